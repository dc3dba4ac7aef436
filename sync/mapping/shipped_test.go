package mapping

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedMappingsLoad parses and compiles, under the strict keys, every
// mapping the repository ships (the integrations' defaults, the custom
// examples, Ocean's GitHub mapping) and the Ocean mappings kept from Port's
// public docs (testdata/ocean-docs, each with its source URL): none may fail
// or warn.
func TestShippedMappingsLoad(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{
		"../../integrations/*/resources/port-app-config.yml",
		"../../integrations/github/testdata/ocean-port-app-config.yml",
		"testdata/ocean-docs/*.yml",
	} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	err := filepath.WalkDir("../../integrations/custom/examples", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && filepath.Base(p) == "port-app-config.yml" || strings.Contains(filepath.Base(p), "mapping") && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d mappings, want the shipped ones and the docs' (%v)", len(files), files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range cfg.Warnings {
				t.Errorf("warning: %s", w)
			}
			if strings.Contains(string(src), "file://") {
				// Ocean's file:// values are resolved by the Git integrations,
				// not compiled as JQ; this test is about the keys.
				return
			}
			if _, err := Compile(cfg, Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
