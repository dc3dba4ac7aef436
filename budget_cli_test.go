package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bad budget or size flag, on the command line or in the env, is exit 2
// naming the flag, before anything is read or written.
func TestBudgetFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"memory not a size", []string{"--jq-max-memory", "lots"}, nil, `invalid value "lots" for flag -jq-max-memory`},
		{"memory zero", []string{"--jq-max-memory", "0"}, nil, "-jq-max-memory"},
		{"memory from env", nil, map[string]string{"TIDE_JQ_MAX_MEMORY": "-5MiB"}, `env TIDE_JQ_MAX_MEMORY="-5MiB" (for --jq-max-memory): "-5MiB" is not a size`},
		{"response size unit", []string{"--max-response-size", "64XB"}, nil, `invalid value "64XB" for flag -max-response-size`},
		{"item timeout zero", []string{"--jq-item-timeout", "0s"}, nil, "--jq-item-timeout must be positive, got 0s"},
		{"item timeout negative", []string{"--jq-item-timeout", "-1s"}, nil, "--jq-item-timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			catalog := filepath.Join(dir, "catalog.json")
			args := append([]string{"sync", "--integration", "file", "--file-glob", "testdata/quickstart/**", "--port-url", "local:" + catalog, "--ci", "none"}, tt.args...)
			getenv := func(k string) string { return tt.env[k] }
			var out, errb bytes.Buffer
			code := run(context.Background(), args, getenv, &out, &errb)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", code, exitUsage, errb.String())
			}
			if !strings.Contains(errb.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errb.String())
			}
			if _, err := os.Stat(catalog); err == nil {
				t.Error("the local catalog was written")
			}
		})
	}
}
