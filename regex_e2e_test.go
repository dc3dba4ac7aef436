package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A constant regex that can never compile is a mapping error: the run
// exits 2 naming the field, its line, the expression and the regex
// problem, before it asks Port anything, in a dry run and a real run alike.
func TestBadConstantRegexExits2(t *testing.T) {
	t.Parallel()
	mapping := filepath.Join(t.TempDir(), "regex.yaml")
	if err := os.WriteFile(mapping, []byte(`resources:
  - kind: file
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .identifier
          blueprint: '"service"'
          properties:
            language: .language | sub("[a-"; "x")
            tier: .tier | test("a"; "z")
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range [][]string{{"--dry-run"}, nil} {
		t.Run(strings.Join(append([]string{"run"}, mode...), " "), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			code, out, errs, _ := h.sync(append([]string{"--mapping", mapping}, mode...)...)
			mustCode(t, code, exitUsage, out, errs)
			for _, want := range []string{
				`resources[0] (kind "file") port.entity.mappings.properties.language: sub/2: "[a-" is not a valid regex: premature end of char-class: ".language | sub(\"[a-\"; \"x\")" (line 10)`,
				`resources[0] (kind "file") port.entity.mappings.properties.tier: test/2: z is not a valid modifier string: ".tier | test(\"a\"; \"z\")" (line 11)`,
			} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
			if n := len(h.fake.Counts()); n != 0 || h.fake.Len() != 0 || len(h.fake.Blueprints()) != 0 {
				t.Fatalf("a bad mapping reached Port: %v", h.fake.Counts())
			}
		})
	}
}
