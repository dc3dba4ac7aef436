package sync

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	gosync "sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// orderedSource maps a block's duplicate out of source order on purpose:
// with two map workers, the worker given the page whose item says "hold"
// waits in ResolveValues until a page whose item says "release" is
// resolved. Pages go to the workers in order, so by then the other worker
// has mapped every page between them, and the held page's entity — first
// in the source — is claimed after its later duplicate: a late winner,
// every run.
type orderedSource struct {
	*source
	once    gosync.Once
	release chan struct{}
}

func (s *orderedSource) ValuePrefixes() []string { return []string{"file://"} }

func (s *orderedSource) ResolveValues(ctx context.Context, req integrations.Request, items []integrations.Item, refs []string) ([]map[string]any, error) {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		if it["release"] == true {
			s.once.Do(func() { close(s.release) })
		}
		if it["hold"] == true {
			select {
			case <-s.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		out[i] = map[string]any{}
		for _, r := range refs {
			out[i][r] = "resolved"
		}
	}
	return out, nil
}

const lateWinnerMapping = `
createMissingRelatedEntities: false
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"svc"'
          properties: {a: file://A}
          relations: {owner: .owner}
`

// A duplicate's winner mapped after its loser was written goes through
// the relation-target decision every other entity does, in a dry run and
// a real run alike: a target that exists (mapped by another block, or in
// Port though not owned) lets it be written; one that exists nowhere,
// with createMissingRelatedEntities false, refuses it before it is sent.
// The dry run's plan, refusals and status are the real run's.
func TestLateWinnerRelationTargetsDryRunIsTheRealRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		owner      string
		wantTitle  string // s1's title in Port after the real run
		wantOwner  string
		wantErrors []string
		wantStatus Status
	}{
		{"target mapped by another block", "t2", "winner", "t2", nil, StatusCompleted},
		{"target in Port, not owned", "p1", "winner", "p1", nil, StatusCompleted},
		{"target nowhere", "ghost", "loser", "t1", []string{
			`svc "s1" (page 1, item 1, id "s1") would be refused by Port, not written: relations.owner = .owner: related entity "ghost" of blueprint "team" exists neither in Port nor in this run, and createMissingRelatedEntities is false (related-entity)`,
		}, StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.src.items["team"] = nil
			if res := w.run(fmt.Sprintf(teamMapping, 0.9), nil); res.Status != StatusCompleted { // creates the blueprints
				t.Fatalf("seeding: %s %v", res.Status, res.Errors)
			}
			if err := w.fake.PutEntity("team", map[string]any{"identifier": "p1"}, "port-ocean/other/1.0/other/exporter"); err != nil {
				t.Fatal(err)
			}
			w.src.items["team"] = teams("t1", "t2")
			w.src.items["svc"] = items(
				map[string]any{"id": "s1", "name": "winner", "owner": tt.owner, "hold": true},
				map[string]any{"id": "s1", "name": "loser", "owner": "t1"},
				map[string]any{"id": "s2", "name": "other", "owner": "t1", "release": true},
			)
			w.src.pageSize = 1
			var mu gosync.Mutex
			var sent []string
			w.wrap = func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
				if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/entities/bulk") {
					b, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(b))
					mu.Lock()
					sent = append(sent, string(b))
					mu.Unlock()
				}
				return next.RoundTrip(r)
			}
			run := func(dry bool) *Result {
				src := &orderedSource{source: w.src, release: make(chan struct{})}
				return w.runSource(src, lateWinnerMapping, func(c *Config) {
					c.MapWorkers = 2
					c.DryRun = dry
				})
			}
			before := w.catalog()
			dry := run(true)
			if diff := cmp.Diff(before, w.catalog()); diff != "" {
				t.Fatalf("the dry run changed the catalog (-before +after):\n%s", diff)
			}
			real := run(false)
			after := w.catalog()

			if dry.Total.Duplicates != 1 || real.Total.Duplicates != 1 {
				t.Fatalf("duplicates: dry %d, real %d, want 1", dry.Total.Duplicates, real.Total.Duplicates)
			}
			p := dry.Plan
			if diff := cmp.Diff(planIDs(p.Creates), minus(after, before)); diff != "" {
				t.Errorf("creates (-plan +real):\n%s", diff)
			}
			if diff := cmp.Diff([]int{len(p.Creates), len(p.Updates), dry.Total.Failed}, []int{real.Total.Created, real.Total.Updated, real.Total.Failed}); diff != "" {
				t.Errorf("created, updated, failed (-plan +real):\n%s", diff)
			}
			if diff := cmp.Diff(real.Total, dry.Total); diff != "" {
				t.Errorf("totals (-real +dry):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrors, real.Blocks[1].WriteErrors); diff != "" {
				t.Errorf("real run's write errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(real.Blocks[1].WriteErrors, dry.Blocks[1].WriteErrors); diff != "" {
				t.Errorf("write errors (-real +dry):\n%s", diff)
			}
			if dry.Status != tt.wantStatus || real.Status != tt.wantStatus {
				t.Errorf("status: dry %s, real %s, want %s", dry.Status, real.Status, tt.wantStatus)
			}
			s1, ok := w.fake.Entity("svc", "s1")
			if !ok {
				t.Fatalf("svc s1 not in Port after the real run")
			}
			got := fmt.Sprint(s1["title"], " ", s1["relations"].(map[string]any)["owner"])
			if want := tt.wantTitle + " " + tt.wantOwner; got != want {
				t.Errorf("svc s1 in Port: title and owner %q, want %q", got, want)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, b := range sent {
				if strings.Contains(b, `"ghost"`) {
					t.Errorf("an entity related to a target that exists nowhere was sent: %s", b)
				}
			}
		})
	}
}

// runSource is run with src as the integration's source.
func (w *world) runSource(src integrations.Source, mapping string, mod func(*Config)) *Result {
	w.t.Helper()
	return w.run(mapping, func(c *Config) {
		c.Source = src
		if mod != nil {
			mod(c)
		}
	})
}
