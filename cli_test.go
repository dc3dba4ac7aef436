package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/internal/secret"
)

func TestHelpListsEveryFlagWithItsEnv(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	code := run(context.Background(), []string{"sync", "--help"}, func(string) string { return "" }, &out, io.Discard)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	specs := syncFlags(fs, &syncOptions{}, registry())
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if !strings.Contains(out.String(), "--"+f.Name+"\n") {
			t.Errorf("help lacks --%s", f.Name)
		}
		if !strings.Contains(out.String(), envName(f.Name)) {
			t.Errorf("help lacks %s", envName(f.Name))
		}
	})
	if n != len(specs) {
		t.Fatalf("%d flags but %d env specs: every flag needs a spec", n, len(specs))
	}
	for _, want := range []string{"--file-glob", "PORT_CLIENT_SECRET", "OCEAN__PORT__CLIENT_ID", "OCEAN__INTEGRATION__CONFIG__FILE_GLOB", "Exit codes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &errb); code != exitOK || !strings.HasPrefix(out.String(), "tide ") {
		t.Fatalf("version: exit %d, %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "frobnicate") {
		t.Fatalf("unknown command: exit %d, %q", code, errb.String())
	}
}

// Flags win over TIDE_ env, which wins over the Port and Ocean names, which
// win over the config file.
func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	cfgFile := filepath.Join(t.TempDir(), "tide.conf")
	if err := os.WriteFile(cfgFile, []byte("identifier from-file\nport-url https://file.example\nconcurrency 7\nfile-glob a/**\nfile-glob b/*.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*syncOptions) any
		exp  any
	}{
		{"flag beats env", []string{"--identifier", "from-flag"}, map[string]string{"TIDE_IDENTIFIER": "from-env"},
			func(o *syncOptions) any { return o.identifier }, "from-flag"},
		{"TIDE beats Ocean", nil, map[string]string{"TIDE_IDENTIFIER": "tide", "OCEAN__INTEGRATION__IDENTIFIER": "ocean"},
			func(o *syncOptions) any { return o.identifier }, "tide"},
		{"Ocean alias", nil, map[string]string{"OCEAN__INTEGRATION__IDENTIFIER": "ocean"},
			func(o *syncOptions) any { return o.identifier }, "ocean"},
		{"Port alias for secret", nil, map[string]string{"PORT_CLIENT_SECRET": "p", "OCEAN__PORT__CLIENT_SECRET": "o"},
			func(o *syncOptions) any { return o.clientSecret }, "p"},
		{"env beats config file", []string{"--config", cfgFile}, map[string]string{"TIDE_IDENTIFIER": "env"},
			func(o *syncOptions) any { return o.identifier }, "env"},
		{"config file fills the rest", []string{"--config", cfgFile}, nil,
			func(o *syncOptions) any { return []any{o.identifier, o.portURL, o.concurrency} }, []any{"from-file", "https://file.example", 7}},
		{"repeatable param from config file", []string{"--config", cfgFile}, nil,
			func(o *syncOptions) any { return o.params.List("file-glob") }, []string{"a/**", "b/*.yaml"}},
		{"repeatable param from env lines", nil, map[string]string{"TIDE_FILE_GLOB": "x/**\n{a,b}/*.json\n"},
			func(o *syncOptions) any { return o.params.List("file-glob") }, []string{"x/**", "{a,b}/*.json"}},
		{"Ocean integration config name", nil, map[string]string{"OCEAN__INTEGRATION__CONFIG__FILE_GLOB": "c/**"},
			func(o *syncOptions) any { return o.params.List("file-glob") }, []string{"c/**"}},
		{"kinds split on commas", []string{"--kinds", "a,b", "--kinds", "c"}, nil,
			func(o *syncOptions) any { return o.kinds }, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, _, err := parseSync(tt.args, func(k string) string { return tt.env[k] }, io.Discard, registry())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.exp, tt.want(o)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := redact(&buf, secret.New("hunter2-secret", "abc", ""))
	io.WriteString(w, "token=hunter2-secret and abc stays\n")
	if got, want := buf.String(), "token=[REDACTED] and abc stays\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
