package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mappingWith is a one-block service mapping for the e2e catalog, with
// edit applied to its text.
func mappingWith(t *testing.T, edit func(string) string) string {
	t.Helper()
	src := `deleteDependentEntities: true
createMissingRelatedEntities: true
resources:
  - kind: file
    selector:
      query: '.kind == "service"'
    port:
      entity:
        mappings:
          identifier: .identifier
          title: .title
          blueprint: '"service"'
          properties:
            language: .language
`
	out := edit(src)
	if out == src {
		t.Fatal("the edit changed nothing")
	}
	p := filepath.Join(t.TempDir(), "mapping.yml")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

// TestMistakesFailDryRunLikeRealRun: each mistake users made, which Ocean
// ignores or turns into a 422 after the plan said all is well, stops the
// dry run and the real run alike: the same exit code (2), the same message
// naming the key, its line and what was meant, nothing written, and a
// summary file saying so.
func TestMistakesFailDryRunLikeRealRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(string) string
		want string // in the error line
		line int    // the line the summary and annotations point at
	}{
		{"itemToParse", replace("      entity:\n", "      itemToParse: .services\n      entity:\n"),
			`resources[0].port.itemToParse: unknown key "itemToParse"; did you mean "itemsToParse"?`, 8},
		{"createMissingRelatedEntites", replace("createMissingRelatedEntities", "createMissingRelatedEntites"),
			`createMissingRelatedEntites: unknown key "createMissingRelatedEntites"; did you mean "createMissingRelatedEntities"?`, 2},
		{"selector.file", replace("      query: '.kind == \"service\"'\n", "      query: '.kind == \"service\"'\n      file: 'services.yaml'\n"),
			`resources[0].selector.file: unknown key "file"; did you mean "files"?`, 7},
		{"top-level resource", replace("resources:", "resource:"),
			`resource: unknown key "resource"; did you mean "resources"?`, 3},
		{"no resources", func(s string) string { return s[:strings.Index(s, "resources:")] + "resources: []\n" },
			`resources: empty: the mapping has no resource blocks`, 3},
		{"unquoted blueprint", replace(`blueprint: '"service"'`, "blueprint: squad"),
			`function not defined: squad/0 (a string constant needs quotes inside the YAML string: '"squad"')`, 12},
		{"yaml error", replace("          title: .title\n", "          title: .title\n          bad: ]\n"),
			`yaml: line 11: did not find expected node content`, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mapping := mappingWith(t, tt.edit)
			h := newHarness(t)
			type run struct {
				code   int
				msg    string
				status string
				line   int
			}
			var runs []run
			for _, extra := range [][]string{{"--dry-run"}, nil} {
				summary := filepath.Join(t.TempDir(), "summary.json")
				// A stale summary of an earlier, green run must not survive.
				if err := os.WriteFile(summary, []byte(`{"status":"completed"}`), 0o644); err != nil {
					t.Fatal(err)
				}
				code, out, errs, _ := h.sync(append([]string{"--mapping", mapping, "--summary-file", summary}, extra...)...)
				mustCode(t, code, exitUsage, out, errs)
				var msg string
				for _, l := range strings.Split(errs, "\n") {
					if strings.HasPrefix(l, "tide: ") {
						msg = l
					}
				}
				if !strings.Contains(errs, tt.want) {
					t.Errorf("stderr does not say %q:\n%s", tt.want, errs)
				}
				var sum struct {
					Status      string `json:"status"`
					ExitCode    int    `json:"exitCode"`
					Error       string `json:"error"`
					MappingLine int    `json:"mappingLine"`
				}
				b, err := os.ReadFile(summary)
				if err != nil {
					t.Fatalf("no summary file on exit 2: %v", err)
				}
				if err := json.Unmarshal(b, &sum); err != nil {
					t.Fatal(err)
				}
				if sum.Status != "error" || sum.ExitCode != exitUsage || !strings.Contains(sum.Error, tt.want) {
					t.Errorf("summary file = %s, want status error, exit 2 and the message", b)
				}
				runs = append(runs, run{code, msg, sum.Status, sum.MappingLine})
			}
			if runs[0] != runs[1] {
				t.Errorf("dry run and real run differ:\n  dry:  %+v\n  real: %+v", runs[0], runs[1])
			}
			if runs[1].line != tt.line {
				t.Errorf("mapping line = %d, want %d", runs[1].line, tt.line)
			}
			if h.writes() != 0 || h.fake.Len() != 0 || len(h.fake.Blueprints()) != 0 {
				t.Errorf("a mistaken mapping wrote to Port: %v", h.fake.Counts())
			}
		})
	}
}
