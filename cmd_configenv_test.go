package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config string
		want         []string
		code         int
		errWant      string
	}{
		{name: "yaml list", config: "file-glob:\n  - catalog/**/*.yaml\n  - more/*.json\n", want: []string{"TIDE_FILE_GLOB=catalog/**/*.yaml\nmore/*.json"}},
		{name: "json, underscore key", config: `{"FILE_GLOB": "a,b/*.yml"}`, want: []string{"TIDE_FILE_GLOB=a,b/*.yml"}},
		{name: "empty", config: "", want: nil},
		{name: "unknown key", config: "file_globs: x\n", code: exitUsage, errWant: `config: "file_globs" is not a parameter of integration "file" (it has: file-glob)`},
		{name: "nested object", config: "file-glob: {a: b}\n", code: exitUsage, errWant: "config: file-glob: want a string"},
		{name: "not an object", config: "- a\n", code: exitUsage, errWant: "want a YAML or JSON object of file parameters"},
		{name: "null", config: "file-glob:\n", code: exitUsage, errWant: "file-glob: no value"},
		{name: "multi-line item", config: "file-glob: \"a\\nb\"\n", code: exitUsage, errWant: "cannot span lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{configEnvVar: tt.config}
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"config-env", "--integration", "file"}, func(k string) string { return env[k] }, &out, &errb)
			if code != tt.code {
				t.Fatalf("code = %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			if tt.errWant != "" {
				if !strings.Contains(errb.String(), tt.errWant) {
					t.Fatalf("stderr = %q, want it to contain %q", errb.String(), tt.errWant)
				}
				return
			}
			var got []string
			for _, p := range strings.Split(out.String(), "\x00") {
				if p != "" {
					got = append(got, p)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("pairs (-want +got):\n%s", d)
			}
		})
	}
}

func TestConfigEnvUnknownIntegration(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"config-env", "--integration", "bitbucket"}, func(string) string { return "" }, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), `--integration "bitbucket": unknown integration; one of: `) || !strings.Contains(errb.String(), "file") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}
