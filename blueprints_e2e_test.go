package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/sync/port/porttest"
)

// ownModel is a data model of the user's own, in Port's export shape: a
// microservice related to a squad, listed before the squad it needs.
func ownModel(t *testing.T, langTitle string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bps.json")
	body := `{"ok": true, "blueprints": [
  {"identifier": "microservice", "title": "Microservice", "schema": {"properties": {"lang": {"type": "string", "title": "` + langTitle + `"}}},
   "relations": {"squad": {"title": "Squad", "target": "squad", "required": false, "many": false}}},
  {"identifier": "squad", "title": "Squad", "schema": {"properties": {}}}
]}`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const ownModelMapping = `resources:
  - kind: file
    selector: {query: '.kind == "team"'}
    port: {entity: {mappings: {identifier: .identifier, title: .title, blueprint: '"squad"'}}}
  - kind: file
    selector: {query: '.kind == "service"'}
    port:
      entity:
        mappings:
          identifier: .identifier
          blueprint: '"microservice"'
          properties: {lang: .language}
          relations: {squad: .owner}
`

// TestBlueprintsFileOnPort: --blueprints with --init-resources writes the
// file's blueprints to Port: the dry run lists them in the plan and writes
// nothing; the real run creates them bare, then complete (the microservice
// relates to a squad listed after it), and syncs entities into them; a
// blueprint changed in the file is updated, an unchanged one is not
// written again. Without --init-resources, or with a relation to a
// blueprint that exists nowhere, it is exit 2 before any write.
func TestBlueprintsFileOnPort(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mapping := filepath.Join(t.TempDir(), "m.yml")
	if err := os.WriteFile(mapping, []byte(ownModelMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	bpWrites := func() int {
		return h.fake.Count(porttest.RouteBlueprintCreate) + h.fake.Count(porttest.RouteBlueprintPatch)
	}

	bps := ownModel(t, "Language")
	code, out, errs, sum := h.sync("--mapping", mapping, "--blueprints", bps, "--dry-run")
	mustCode(t, code, exitOK, out, errs)
	if diff := cmp.Diff([]string{"microservice", "service", "squad", "system", "team"}, sum.Plan.CreateBlueprints); diff != "" {
		t.Errorf("planned blueprints (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "  + blueprint microservice\n") || len(sum.Plan.Creates) != 10 {
		t.Errorf("the plan does not list the blueprints and the 10 entities:\n%s", out)
	}
	if n := bpWrites() + h.writes(); n != 0 || len(h.fake.Blueprints()) != 0 {
		t.Fatalf("the dry run wrote %d times: %v", n, h.fake.Blueprints())
	}

	code, out, errs, _ = h.sync("--mapping", mapping, "--blueprints", bps)
	mustCode(t, code, exitOK, out, errs)
	if e, ok := h.fake.Entity("microservice", "checkout-api"); !ok || e["relations"].(map[string]any)["squad"] != "payments" {
		t.Errorf("checkout-api = %v", e)
	}
	if got := h.fake.Count(porttest.RouteBlueprintCreate); got != 5 {
		t.Errorf("%d blueprint creates, want 5 (2 from the file, 3 defaults)", got)
	}

	// Unchanged: nothing to write. Changed: one update, planned first.
	h.fake.ResetCounts()
	code, out, errs, sum = h.sync("--mapping", mapping, "--blueprints", bps, "--dry-run")
	mustCode(t, code, exitOK, out, errs)
	if len(sum.Plan.CreateBlueprints)+len(sum.Plan.UpdateBlueprints) != 0 {
		t.Errorf("an unchanged file plans blueprint writes: %+v %+v", sum.Plan.CreateBlueprints, sum.Plan.UpdateBlueprints)
	}
	changed := ownModel(t, "Programming language")
	code, out, errs, sum = h.sync("--mapping", mapping, "--blueprints", changed, "--dry-run")
	mustCode(t, code, exitOK, out, errs)
	if diff := cmp.Diff([]string{"microservice"}, sum.Plan.UpdateBlueprints); diff != "" || !strings.Contains(out, "  ~ blueprint microservice\n") {
		t.Errorf("planned updates (-want +got):\n%s\n%s", diff, out)
	}
	if n := bpWrites(); n != 0 {
		t.Fatalf("dry runs wrote %d blueprints", n)
	}
	code, out, errs, _ = h.sync("--mapping", mapping, "--blueprints", changed)
	mustCode(t, code, exitOK, out, errs)
	bp, _ := h.fake.Blueprint("microservice")
	if title := bp["schema"].(map[string]any)["properties"].(map[string]any)["lang"].(map[string]any)["title"]; title != "Programming language" || bpWrites() != 1 {
		t.Errorf("lang title %v after %d blueprint writes, want the file's after 1", title, bpWrites())
	}

	// Mistakes: exit 2, nothing written.
	h.fake.ResetCounts()
	broken := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(broken, []byte(`[{"identifier": "microservice", "title": "M", "relations": {"squad": {"title": "S", "target": "tribe", "many": false}}}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--blueprints", broken}, `--blueprints: blueprint "microservice": relation "squad" targets blueprint "tribe", which is neither in Port nor in the file`},
		{[]string{"--blueprints", broken, "--dry-run"}, `--blueprints: blueprint "microservice": relation "squad" targets blueprint "tribe", which is neither in Port nor in the file`},
	} {
		code, out, errs, _ := h.sync(append([]string{"--mapping", mapping}, tc.args...)...)
		mustCode(t, code, exitUsage, out, errs)
		if !strings.Contains(errs, tc.want) {
			t.Errorf("%v: stderr does not say %q:\n%s", tc.args, tc.want, errs)
		}
	}
	code, _, errs = runArgs(t, h.env, "sync", "--integration", "file", "--file-glob", filepath.Join(h.dir, "*.yaml"),
		"--port-url", h.url, "--mapping", mapping, "--blueprints", bps)
	if code != exitUsage || !strings.Contains(errs, "--blueprints "+bps+" writes blueprints to Port only with --init-resources") {
		t.Errorf("exit %d without --init-resources: %s", code, errs)
	}
	if n := bpWrites() + h.writes(); n != 0 {
		t.Errorf("%d writes on a refused --blueprints", n)
	}
}

// TestBlueprintsFileLocalDefaults: on the local target, --blueprints gives
// the catalog the file's blueprints and the integration's defaults only
// with --init-resources; without --blueprints the defaults are seeded as
// the quickstart expects.
func TestBlueprintsFileLocalDefaults(t *testing.T) {
	t.Parallel()
	mapping := filepath.Join(t.TempDir(), "m.yml")
	if err := os.WriteFile(mapping, []byte(ownModelMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	bps := ownModel(t, "Language")
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		{"--blueprints", []string{"--blueprints", bps, "--mapping", mapping}, []string{"microservice", "squad"}},
		{"--blueprints --init-resources", []string{"--blueprints", bps, "--init-resources", "--mapping", mapping}, []string{"microservice", "service", "squad", "system", "team"}},
		{"no --blueprints", nil, []string{"service", "system", "team"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "catalog.json")
			code, out, errs := runArgs(t, nil, append([]string{"sync", "--integration", "file", "--file-glob", "testdata/e2e/catalog/*.yaml",
				"--port-url", "local:" + path}, tt.extra...)...)
			mustCode(t, code, exitOK, out, errs)
			cat := porttest.New(porttest.Options{})
			if err := cat.LoadFile(path); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, cat.Blueprints()); diff != "" {
				t.Errorf("blueprints (-want +got):\n%s", diff)
			}
		})
	}
}
