package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/sync/port/porttest"
)

// runArgs runs the CLI with env and returns exit code, stdout and stderr.
func runArgs(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

// The README's first command, against a temp file: a real sync into the
// local target, then a re-sync that changes nothing, then a dry run.
func TestQuickstartLocalTarget(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nested", "catalog.json")
	args := []string{"sync", "--integration", "file", "--file-glob", "testdata/quickstart/**", "--port-url", "local:" + path}
	code, out, errs := runArgs(t, nil, args...)
	mustCode(t, code, exitOK, out, errs)
	if !strings.Contains(out, "completed") {
		t.Fatalf("no summary:\n%s", out)
	}
	saved := porttest.New(porttest.Options{})
	if err := saved.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if saved.Len() != 16 || len(saved.Entities("service")) != 9 || len(saved.Entities("team")) != 4 {
		t.Fatalf("local catalog holds %d entities", saved.Len())
	}
	if ds := saved.Datasource("service", "payments-api"); !strings.HasPrefix(ds, "port-ocean/file/tide-") || !strings.HasSuffix(ds, "/tide-file/exporter") {
		t.Fatalf("datasource = %q", ds)
	}
	summary := filepath.Join(t.TempDir(), "s.json")
	code, out, errs = runArgs(t, nil, append(args, "--summary-file", summary)...)
	mustCode(t, code, exitOK, out, errs)
	var sum struct {
		Total map[string]int `json:"total"`
	}
	b, _ := os.ReadFile(summary)
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Total["unchanged"] != 16 || sum.Total["created"]+sum.Total["updated"]+sum.Total["deleted"] != 0 {
		t.Fatalf("re-sync total = %v", sum.Total)
	}

	// A dry run leaves the file alone.
	before, _ := os.ReadFile(path)
	code, out, errs = runArgs(t, nil, append(args, "--dry-run")...)
	mustCode(t, code, exitOK, out, errs)
	after, _ := os.ReadFile(path)
	if len(before) == 0 || !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the local catalog")
	}
}

// --blueprints seeds the local target with a user's own data model, and the
// mapping writes to it.
func TestLocalTargetWithOwnBlueprints(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bps := filepath.Join(dir, "bps.json")
	os.WriteFile(bps, []byte(`[{"identifier":"microservice","title":"Microservice","schema":{"properties":{"lang":{"type":"string"}}}}]`), 0o644)
	mapping := filepath.Join(dir, "m.yaml")
	os.WriteFile(mapping, []byte(`resources:
  - kind: file
    selector: {query: '.kind == "service"'}
    port:
      entity:
        mappings:
          identifier: .identifier
          blueprint: '"microservice"'
          properties: {lang: .language}
`), 0o644)
	path := filepath.Join(dir, "catalog.json")
	code, out, errs := runArgs(t, nil, "sync", "--integration", "file", "--file-glob", "testdata/quickstart/services/*",
		"--port-url", "local:"+path, "--blueprints", bps, "--mapping", mapping)
	mustCode(t, code, exitOK, out, errs)
	s := porttest.New(porttest.Options{})
	if err := s.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	e, ok := s.Entity("microservice", "identity")
	if !ok || e["properties"].(map[string]any)["lang"] != "rust" {
		t.Fatalf("identity = %v", e)
	}

	// A property the blueprint lacks is a mapping mistake: exit 2 before
	// any write, naming the field, its line and the blueprint's properties.
	os.WriteFile(mapping, []byte(`resources:
  - kind: file
    selector: {query: '.kind == "service"'}
    port: {entity: {mappings: {identifier: .identifier, blueprint: '"microservice"', properties: {tier: .tier}}}}
`), 0o644)
	code, out, errs = runArgs(t, nil, "sync", "--integration", "file", "--file-glob", "testdata/quickstart/services/*",
		"--port-url", "local:"+path, "--blueprints", bps, "--mapping", mapping)
	mustCode(t, code, exitUsage, out, errs)
	if want := `resources[0].port.entity.mappings.properties.tier: blueprint "microservice" has no property "tier" (it has: lang) (kind "file") (line 4)`; !strings.Contains(errs, want) {
		t.Fatalf("stderr does not say %q:\n%s", want, errs)
	}

	// --blueprints without the local target is a usage error.
	code, _, errs = runArgs(t, map[string]string{"TIDE_PORT_CLIENT_ID": "a", "TIDE_PORT_CLIENT_SECRET": "b"},
		"sync", "--integration", "file", "--file-glob", "x", "--blueprints", bps)
	if code != exitUsage || !strings.Contains(errs, "--blueprints") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// The summary file's counts are a contract: integer counts under created,
// updated, unchanged, deleted and failed per block and in total.
func TestSummaryFileContract(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, _, _, _ = h.sync()
	h.editFile("services.yaml", removeService("search"))
	summary := filepath.Join(t.TempDir(), "s.json")
	code, out, errs, _ := h.sync("--summary-file", summary)
	mustCode(t, code, exitOK, out, errs)
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Status string                     `json:"status"`
		Blocks []map[string]any           `json:"blocks"`
		Total  map[string]json.RawMessage `json:"total"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	keys := []string{"created", "updated", "unchanged", "deleted", "failed"}
	got := map[string]string{}
	for _, k := range keys {
		got[k] = string(raw.Total[k])
		for i, blk := range raw.Blocks {
			if _, ok := blk[k].(float64); !ok {
				t.Errorf("blocks[%d].%s is %v, want a number", i, k, blk[k])
			}
		}
	}
	want := map[string]string{"created": "0", "updated": "0", "unchanged": "9", "deleted": "1", "failed": "0"}
	if diff := cmp.Diff(want, got); diff != "" || raw.Status != "completed" {
		t.Fatalf("status %s, total (-want +got):\n%s", raw.Status, diff)
	}
}
