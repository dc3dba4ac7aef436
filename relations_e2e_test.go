package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// relationMapping maps the e2e catalog's services with their owner
// relation, and its teams when withTeams is set.
func relationMapping(t *testing.T, createMissing, withTeams bool) string {
	t.Helper()
	src := "createMissingRelatedEntities: " + map[bool]string{true: "true", false: "false"}[createMissing] + "\nresources:\n"
	if withTeams {
		src += `  - kind: file
    selector:
      query: '.kind == "team"'
    port:
      entity:
        mappings:
          identifier: .identifier
          title: .title
          blueprint: '"team"'
`
	}
	src += `  - kind: file
    selector:
      query: '.kind == "service"'
    port:
      entity:
        mappings:
          identifier: .identifier
          title: .title
          blueprint: '"service"'
          relations:
            owner: .owner
`
	p := filepath.Join(t.TempDir(), "mapping.yml")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// seedFileBlueprints creates the file integration's blueprints in the fake,
// as they are in a catalog that already exists.
func seedFileBlueprints(t *testing.T, fake *porttest.Server) {
	t.Helper()
	b, err := os.ReadFile("integrations/file/resources/blueprints.json")
	if err != nil {
		t.Fatal(err)
	}
	var bps []map[string]any
	if err := json.Unmarshal(b, &bps); err != nil {
		t.Fatal(err)
	}
	if err := fake.Seed(bps); err != nil {
		t.Fatal(err)
	}
}

// putTeams stores teams written by another tool: they exist in Port but
// are not among the entities this integration owns.
func putTeams(t *testing.T, fake *porttest.Server, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := fake.PutEntity("team", map[string]any{"identifier": id, "title": id}, "port-ocean/other/1.0/other/exporter"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMissingRelationTargetFailsDryRunLikeRealRun: with
// createMissingRelatedEntities false, a relation to an entity that exists
// nowhere used to be planned by the dry run (exit 0) and refused by Port in
// the real run (404, exit 1). Both runs now decide before writing: a target
// exists when it is owned (the snapshot), mapped by this run, or found in
// Port by one search per target blueprint; an entity whose target exists
// nowhere is refused, named with its file, relation and expression, and not
// sent. Targets that do exist (in Port only, or written by the same run)
// give a green run in both modes.
func TestMissingRelationTargetFailsDryRunLikeRealRun(t *testing.T) {
	t.Parallel()
	allServices := []string{"auth", "checkout-api", "gateway", "ledger", "notifications", "refunds", "reports", "search"}
	tests := []struct {
		name      string
		withTeams bool
		inPort    []string // teams another tool wrote
		code      int
		want      string // in the output of both runs
		services  []string
		searches  int // entity searches of a run: the service snapshot and the target lookup
	}{
		{"target nowhere", false, nil, exitFailed,
			`service "checkout-api" ($CATALOG/services.yaml) would be refused by Port, not written: relations.owner = .owner: related entity "payments" of blueprint "team" exists neither in Port nor in this run, and createMissingRelatedEntities is false (related-entity)`,
			nil, 2},
		{"one target in Port", false, []string{"platform"}, exitFailed,
			`service "ledger" ($CATALOG/services.yaml) would be refused by Port, not written: relations.owner = .owner: related entity "payments" of blueprint "team"`,
			[]string{"auth", "gateway", "notifications", "search"}, 2},
		{"targets in Port, owned by another tool", false, []string{"payments", "platform"}, exitOK, "", allServices, 2},
		{"targets written by the same run", true, nil, exitOK, "", allServices, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			seedFileBlueprints(t, h.fake)
			putTeams(t, h.fake, tt.inPort...)
			mapping := relationMapping(t, false, tt.withTeams)
			var lines []string
			for _, extra := range [][]string{{"--dry-run"}, nil} {
				h.fake.ResetCounts()
				code, out, errs, _ := h.sync(append([]string{"--mapping", mapping}, extra...)...)
				all := strings.ReplaceAll(out+errs, h.dir, "$CATALOG")
				mustCode(t, code, tt.code, all, "")
				if got := h.fake.Count(porttest.RouteSearch); got != tt.searches {
					t.Errorf("%v: %d entity searches, want %d", extra, got, tt.searches)
				}
				if tt.want == "" {
					continue
				}
				i := strings.Index(all, tt.want)
				if i < 0 {
					t.Fatalf("%v: output does not say %q:\n%s", extra, tt.want, all)
				}
				line := all[i:]
				lines = append(lines, line[:strings.IndexByte(line, '\n')])
				if strings.Contains(all, "404") || strings.Contains(all, "not_found") {
					t.Errorf("Port was sent an entity it refuses:\n%s", all)
				}
			}
			if len(lines) == 2 && lines[0] != lines[1] {
				t.Errorf("dry run and real run say different things:\n  dry:  %s\n  real: %s", lines[0], lines[1])
			}
			if diff := cmp.Diff(tt.services, sortedIDs(h.fake, "service")); diff != "" {
				t.Errorf("services in Port (-want +got):\n%s", diff)
			}
			if n := h.fake.Count(porttest.RouteEntityUpsert); tt.code != exitOK && n != 0 {
				t.Errorf("%d single upserts: a refused entity was retried", n)
			}
		})
	}
}

// TestRelationStubsNamed: with createMissingRelatedEntities true, the
// related entities that exist neither in Port nor in the run are created
// by Port as empty stubs. They used to be counted nowhere; the dry run and
// the real run now name them in a notice of the JSON summary and the text
// summary, and entities that exist in Port are not among them.
func TestRelationStubsNamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seedFileBlueprints(t, h.fake)
	putTeams(t, h.fake, "payments")
	mapping := relationMapping(t, true, false)
	want := tsync.Notice{Kind: tsync.NoticeRelationStubs, Block: -1, Count: 1, Names: []string{"team/platform"},
		Message: "1 relation target does not exist and Port will create it as an empty entity"}
	for _, extra := range [][]string{{"--dry-run"}, nil} {
		code, out, errs, sum := h.sync(append([]string{"--mapping", mapping}, extra...)...)
		mustCode(t, code, exitOK, out, errs)
		var got []tsync.Notice
		for _, n := range sum.Notices {
			if n.Kind == tsync.NoticeRelationStubs {
				got = append(got, n)
			}
		}
		if diff := cmp.Diff([]tsync.Notice{want}, got); diff != "" {
			t.Errorf("%v: stub notices (-want +got):\n%s", extra, diff)
		}
		if !strings.Contains(out, "notice: 1 relation target does not exist and Port will create it as an empty entity: team/platform") {
			t.Errorf("%v: the summary does not name the stub:\n%s", extra, out)
		}
	}
	if diff := cmp.Diff([]string{"payments", "platform"}, sortedIDs(h.fake, "team")); diff != "" {
		t.Errorf("teams after the real run (-want +got):\n%s", diff)
	}
}
