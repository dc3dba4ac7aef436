package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	tsync "github.com/tide-sync/tide/sync"
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

// TestNoticesGolden runs a sync that gives every kind of notice tide has
// (which mapping was used, an ignored mapping key, a selector that kept 0
// of N items, a glob that matched nothing, relation targets Port will
// create as stubs) plus a field whose expression
// raised an error, and holds its text summary, markdown and JUnit reports
// to testdata/golden (rewritten with -update).
func TestNoticesGolden(t *testing.T) {
	t.Parallel()
	mapping := filepath.Join(t.TempDir(), "mapping.yml")
	if err := os.WriteFile(mapping, []byte(`createMissingRelatedEntities: true
resources:
  - kind: file
    selector:
      query: '.kind == "team"'
    port:
      entity:
        mappings:
          identifier: .identifier
          title: .title
          blueprint: '"team"'
          comment: teams come from teams.yaml
          properties:
            email: .email
            slack: .slack // null
  - kind: file
    selector:
      query: '.kind == "svc"'
    port:
      entity:
        mappings:
          identifier: .identifier
          blueprint: '"service"'
  - kind: file
    selector:
      query: '.kind == "service"'
    port:
      entity:
        mappings:
          identifier: .identifier
          title: .title + 1
          blueprint: '"service"'
          properties:
            language: .language
          relations:
            owner: .owner
            system: '"platform-" + .language'
`), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	dir := t.TempDir()
	md, junit := filepath.Join(dir, "summary.md"), filepath.Join(dir, "junit.xml")
	// The directory exists and holds no catalog file: a notice. (A glob
	// whose directory does not exist fails its blocks.)
	if err := os.MkdirAll(filepath.Join(h.dir, "nothing-here"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errs, sum := h.sync("--mapping", mapping, "--file-glob", filepath.Join(h.dir, "nothing-here", "*.yaml"),
		"--markdown-report", md, "--junit-report", junit, "--ci", "none")
	mustCode(t, code, exitOK, out, errs)
	kinds := map[string]bool{}
	for _, n := range sum.Notices {
		kinds[string(n.Kind)] = true
	}
	for _, k := range []string{"mapping", "unknown-key", "selector-kept-none", "source-empty", "relation-stubs"} {
		if !kinds[k] {
			t.Errorf("no %s notice in the JSON summary: %+v", k, sum.Notices)
		}
	}
	if sum.Total.Fetched != 10 {
		t.Errorf("total fetched = %d, want 10 (10 items, read by three blocks)", sum.Total.Fetched)
	}
	for _, e := range h.fake.Entities("service") {
		if _, has := e["title"]; has && e["title"] == nil {
			t.Errorf("service %v: title written as null over the data", e["identifier"])
		}
	}
	norm := func(s string) string {
		s = strings.ReplaceAll(s, h.dir, "$CATALOG")
		s = strings.ReplaceAll(s, mapping, "$MAPPING")
		for _, re := range []*regexp.Regexp{
			regexp.MustCompile(`\d+(\.\d+)?(µs|ms|s)\b`),
			regexp.MustCompile(`time="[0-9.]+"`),
			regexp.MustCompile(`timestamp="[^"]+"`),
			regexp.MustCompile(`\d{4}-\d\d-\d\dT[0-9:.]+Z`),
		} {
			s = re.ReplaceAllString(s, "X")
		}
		return s
	}
	for name, got := range map[string]string{"notices.txt": out, "notices.md": readFile(t, md), "notices.junit.xml": readFile(t, junit)} {
		p := filepath.Join("testdata", "golden", name)
		got = norm(got)
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s differs (-want +got):\n%s", p, diff)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRuntimeErrorKeepsPortValue: `title: .title + 1` used to set every
// title to null with exit 0. The field is now left out of the write, Port
// keeps the title, and the summary says so; the dry run plans the same.
func TestRuntimeErrorKeepsPortValue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	good := mappingWith(t, replace("          title: .title\n", "          title: .title // null\n"))
	code, out, errs, _ := h.sync("--mapping", good)
	mustCode(t, code, exitOK, out, errs)
	broken := mappingWith(t, replace("          title: .title\n", "          title: .title + 1\n"))
	for _, extra := range [][]string{{"--dry-run"}, nil} {
		code, out, errs, sum := h.sync(append([]string{"--mapping", broken}, extra...)...)
		mustCode(t, code, exitOK, out, errs)
		if !strings.Contains(out, "title = .title + 1 gave no value for 8 item(s) (error: cannot add") || !strings.Contains(out, "left out of the write") {
			t.Errorf("summary does not report the failed field:\n%s", out)
		}
		if len(sum.Blocks[0].Misconfigured) != 1 || sum.Blocks[0].Misconfigured[0].Err == "" {
			t.Errorf("JSON misconfigured = %+v, want the title's error", sum.Blocks[0].Misconfigured)
		}
	}
	for _, e := range h.fake.Entities("service") {
		if e["title"] == nil || e["title"] == "" {
			t.Errorf("service %v lost its title: %v", e["identifier"], e)
		}
	}
}

// TestRefusedEntitiesFailDryRunLikeRealRun: an entity Port would refuse (a
// value outside the enum, a wrong JSON type, a relation to a blueprint
// that does not exist) used to be planned by the dry run (exit 0) and
// refused by Port in the real run (exit 1, the 422 naming neither the file
// nor the field). Both runs now check every entity against its blueprint
// before writing: the same exit code, the same message naming the source
// file, the field, its expression and Port's rule; the refused entities
// are not sent.
func TestRefusedEntitiesFailDryRunLikeRealRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(string) string
		code int
		want string
	}{
		{"value outside the enum", replace("            language: .language\n", "            lifecycle: .lifecycle + \"-ish\"\n"), exitFailed,
			`service "checkout-api" ($CATALOG/services.yaml) would be refused by Port, not written: properties.lifecycle = .lifecycle + "-ish": `},
		{"wrong JSON type", replace("            language: .language\n", "            tags: .language\n"), exitFailed,
			`service "auth" ($CATALOG/services.yaml) would be refused by Port, not written: properties.tags = .language: `},
		{"property the blueprint lacks", replace("            language: .language\n", "            owner: .owner\n"), exitUsage,
			`resources[0].port.entity.mappings.properties.owner: blueprint "service" has no property "owner"`},
		{"relation the blueprint lacks", replace("            language: .language\n", "            language: .language\n          relations:\n            team: .owner\n"), exitUsage,
			`resources[0].port.entity.mappings.relations.team: blueprint "service" has no relation "team"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			// The blueprints exist before either run, as in a real catalog.
			code, out, errs, _ := h.sync("--mapping", mappingWith(t, replace("          title: .title\n", "          title: .title // null\n")), "--kinds", "file")
			mustCode(t, code, exitOK, out, errs)
			before := h.writes()
			mapping := mappingWith(t, tt.edit)
			var msgs []string
			for _, extra := range [][]string{{"--dry-run"}, nil} {
				code, out, errs, _ := h.sync(append([]string{"--mapping", mapping}, extra...)...)
				all := strings.ReplaceAll(out+errs, h.dir, "$CATALOG")
				mustCode(t, code, tt.code, all, "")
				i := strings.Index(all, tt.want)
				if i < 0 {
					t.Fatalf("output does not say %q:\n%s", tt.want, all)
				}
				line := all[i:]
				line = line[:strings.IndexByte(line, '\n')]
				msgs = append(msgs, line)
			}
			if msgs[0] != msgs[1] {
				t.Errorf("dry run and real run say different things:\n  dry:  %s\n  real: %s", msgs[0], msgs[1])
			}
			if tt.code == exitUsage && h.writes() != before {
				t.Errorf("a mapping mistake wrote to Port: %d writes", h.writes()-before)
			}
			for _, e := range h.fake.Entities("service") {
				p, _ := e["properties"].(map[string]any)
				if lc, _ := p["lifecycle"].(string); strings.HasSuffix(lc, "-ish") {
					t.Errorf("a refused value reached Port: %v", e)
				}
			}
		})
	}
}

// TestBlueprintsFileUpdatesLocalTarget: --blueprints takes Port's export
// shape, and a blueprint changed in the file changes it on the local
// target (it used to be ignored once the catalog existed).
func TestBlueprintsFileUpdatesLocalTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bps := filepath.Join(dir, "bps.json")
	write := func(props string) {
		t.Helper()
		if err := os.WriteFile(bps, []byte(`{"ok": true, "blueprints": [{"identifier":"microservice","title":"Microservice","schema":{"properties":{`+props+`}}}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mapping := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(mapping, []byte(`resources:
  - kind: file
    selector: {query: '.kind == "service"'}
    port:
      entity:
        mappings:
          identifier: .identifier
          blueprint: '"microservice"'
          properties: {lang: .language, tier: .tier}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	catalogPath := filepath.Join(dir, "catalog.json")
	args := []string{"sync", "--integration", "file", "--file-glob", "testdata/quickstart/services/*",
		"--port-url", "local:" + catalogPath, "--blueprints", bps, "--mapping", mapping}

	write(`"lang":{"type":"string"}`)
	if err := os.WriteFile(mapping, []byte(strings.Replace(readFile(t, mapping), ", tier: .tier", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runArgs(t, nil, args...)
	mustCode(t, code, exitOK, out, errs)
	// The blueprint gains a property, the mapping maps it: the stored
	// definition must follow the file.
	write(`"lang":{"type":"string"},"tier":{"type":"string"}`)
	if err := os.WriteFile(mapping, []byte(strings.Replace(readFile(t, mapping), "lang: .language", "lang: .language, tier: .tier", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runArgs(t, nil, args...)
	mustCode(t, code, exitOK, out, errs)
}

// TestSelectorNearMissFailsDryRunLikeRealRun: a misspelt selector key of
// the GitHub or custom integration (Ocean ignores it and syncs with the
// default) stops the dry run and the real run alike, exit 2, with the same
// "did you mean" naming the key and its line, before anything is written.
func TestSelectorNearMissFailsDryRunLikeRealRun(t *testing.T) {
	t.Parallel()
	type runner struct {
		sync   func(extra ...string) (int, string, string, *tsync.Result)
		writes func() int
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) runner
		want  string
	}{
		{"github", func(t *testing.T) runner {
			h := newGHHarness(t)
			p := filepath.Join(t.TempDir(), "m.yml")
			if err := os.WriteFile(p, []byte(`resources:
  - kind: pull-request
    selector:
      query: "true"
      closedSinceDat: "2025-01-01"
    port:
      entity:
        mappings:
          identifier: .head.repo.name + (.id|tostring)
          blueprint: '"githubPullRequest"'
`), 0o644); err != nil {
				t.Fatal(err)
			}
			return runner{func(extra ...string) (int, string, string, *tsync.Result) {
				return h.sync(append([]string{"--mapping", p}, extra...)...)
			}, h.writes}
		}, `resources[0].selector.closedSinceDat: unknown key "closedSinceDat"; did you mean "closedSinceDate"? (kind "pull-request") (line 5)`},
		{"custom", func(t *testing.T) runner {
			h := newCustomHarness(t, 5)
			bad := strings.Replace(customMapping, "      pagination:\n", "      dataPath: .items\n      pagination:\n", 1)
			if err := os.WriteFile(h.mapping, []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			return runner{h.sync, func() int { return h.writes() + int(h.api.requests.Load()) }}
		}, `resources[1].selector.dataPath: unknown key "dataPath"; did you mean "data_path"? (kind "/api/v1/services") (line 15)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.setup(t)
			var msgs []string
			for _, extra := range [][]string{{"--dry-run"}, nil} {
				code, out, errs, _ := r.sync(extra...)
				mustCode(t, code, exitUsage, out, errs)
				if !strings.Contains(errs, tt.want) {
					t.Fatalf("%v: stderr does not say %q:\n%s", extra, tt.want, errs)
				}
				for _, l := range strings.Split(errs, "\n") {
					if strings.HasPrefix(l, "tide: ") {
						msgs = append(msgs, l)
					}
				}
			}
			if len(msgs) != 2 || msgs[0] != msgs[1] {
				t.Errorf("dry run and real run say different things: %q", msgs)
			}
			if n := r.writes(); n != 0 {
				t.Errorf("%d writes or vendor requests on a misspelt selector", n)
			}
		})
	}
}
