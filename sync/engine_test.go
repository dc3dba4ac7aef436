package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// source serves fixed items per kind; a kind in fail returns an error after
// emitting its items. pageSize > 0 emits pages of that many items.
type source struct {
	items    map[string][]integrations.Item
	fail     map[string]error
	pageSize int
}

func (s *source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	items, ok := s.items[req.Kind]
	if !ok && s.fail[req.Kind] == nil {
		return fmt.Errorf("kind %q: %w", req.Kind, integrations.ErrUnknownKind)
	}
	size := s.pageSize
	if size <= 0 {
		size = max(len(items), 1)
	}
	for start := 0; start < len(items); start += size {
		if err := emit(items[start:min(start+size, len(items))]); err != nil {
			return err
		}
	}
	return s.fail[req.Kind]
}

const testBlueprints = `[
 {"identifier":"team","title":"Team","schema":{"properties":{"size":{"type":"number"}}},
  "relations":{"parent":{"title":"Parent","target":"team","required":false,"many":false}}},
 {"identifier":"svc","title":"Service","schema":{"properties":{"a":{"type":"string"},"b":{"type":"string"},"lang":{"type":"string"}}},
  "relations":{"owner":{"title":"Owner","target":"team","required":false,"many":false}}},
 {"identifier":"repo","title":"Repo","schema":{"properties":{}}}
]`

type world struct {
	t    testing.TB
	fake *porttest.Server
	src  *source
	def  integrations.Definition
	// ctx is the run's context (Background when nil); wrap, when set,
	// sits between the client and the fake, to model what the fake
	// cannot (an answer lost after Port acted).
	ctx  context.Context
	wrap func(r *http.Request, next http.RoundTripper) (*http.Response, error)
}

// testAttempts is the attempts a Port request gets in these tests; a
// fault injected that many times outlasts the retries.
const testAttempts = 6

// noWait is a clock whose backoffs end at once.
type noWait struct{}

func (noWait) Now() time.Time { return time.Now() }
func (noWait) Sleep(ctx context.Context, _ time.Duration) error {
	return context.Cause(ctx)
}

type wrapped struct {
	next http.RoundTripper
	f    func(r *http.Request, next http.RoundTripper) (*http.Response, error)
}

func (w wrapped) RoundTrip(r *http.Request) (*http.Response, error) { return w.f(r, w.next) }

func newWorld(t testing.TB) *world {
	t.Helper()
	fake := porttest.New(porttest.Options{ClientID: "id", ClientSecret: "secret"})
	w := &world{t: t, fake: fake, src: &source{items: map[string][]integrations.Item{}, fail: map[string]error{}}}
	w.def = integrations.Definition{
		Type:      "test",
		Kinds:     []string{"team", "svc", "svc-extra", "repo"},
		Resources: fstest.MapFS{"blueprints.json": {Data: []byte(testBlueprints)}},
	}
	return w
}

// config is the Config of a run of mapping against the world's source and
// fake, through wrap when set.
func (w *world) config(mapping string) Config {
	hc := w.fake.Client()
	if w.wrap != nil {
		hc = &http.Client{Transport: wrapped{next: hc.Transport, f: w.wrap}}
	}
	return Config{
		Definition:    w.def,
		Source:        w.src,
		Client:        port.New(port.Config{BaseURL: "http://fake", ClientID: "id", ClientSecret: "secret", IntegrationType: "test", IntegrationID: "it", Version: "t", HTTPClient: hc, Retry: httpx.Options{MaxAttempts: testAttempts, Clock: noWait{}}}),
		Identifier:    "it",
		Mapping:       []byte(mapping),
		MappingName:   "test mapping",
		InitResources: true,
	}
}

func (w *world) run(mapping string, mod func(*Config)) *Result {
	w.t.Helper()
	cfg := w.config(mapping)
	if mod != nil {
		mod(&cfg)
	}
	ctx := w.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		w.t.Fatalf("Run: %v", err)
	}
	return res
}

func (w *world) ids(bp string) []string {
	var out []string
	for _, e := range w.fake.Entities(bp) {
		out = append(out, e["identifier"].(string))
	}
	sort.Strings(out)
	return out
}

func (w *world) writes() int {
	return w.fake.Count(porttest.RouteBulkUpsert) + w.fake.Count(porttest.RouteEntityUpsert) + w.fake.Count(porttest.RouteBulkDelete)
}

func items(kvs ...map[string]any) []integrations.Item { return kvs }

const mergeMapping = `
resources:
  - kind: svc
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"svc"'
          properties: {a: .a}
  - kind: svc-extra
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"svc"'
          properties: {b: .b}
`

// Two blocks write different fields of one entity: each compares only its
// own fields, so a re-sync writes nothing and one block's change is one write.
func TestMergeTwoBlocksOneEntity(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["svc"] = items(map[string]any{"id": "x", "name": "X", "a": "1"}, map[string]any{"id": "y", "name": "Y", "a": "2"})
	w.src.items["svc-extra"] = items(map[string]any{"id": "x", "b": "bee"})

	res := w.run(mergeMapping, nil)
	if res.Status != StatusCompleted {
		t.Fatalf("status %s: %v", res.Status, res.Errors)
	}
	x, _ := w.fake.Entity("svc", "x")
	if diff := cmp.Diff(map[string]any{"a": "1", "b": "bee"}, x["properties"]); diff != "" {
		t.Fatalf("merged properties (-want +got):\n%s", diff)
	}

	w.fake.ResetCounts()
	res = w.run(mergeMapping, nil)
	if w.writes() != 0 || res.Total.Unchanged != 3 {
		t.Fatalf("re-sync wrote %d, total %+v", w.writes(), res.Total)
	}

	w.src.items["svc-extra"] = items(map[string]any{"id": "x", "b": "bumble"})
	w.fake.ResetCounts()
	res = w.run(mergeMapping, nil)
	if res.Blocks[1].Updated != 1 || res.Blocks[0].Unchanged != 2 || w.fake.Count(porttest.RouteBulkUpsert) != 1 {
		t.Fatalf("one change: blocks %+v %+v, counts %v", res.Blocks[0].Counts, res.Blocks[1].Counts, w.fake.Counts())
	}
	x, _ = w.fake.Entity("svc", "x")
	if diff := cmp.Diff(map[string]any{"a": "1", "b": "bumble"}, x["properties"]); diff != "" {
		t.Fatalf("after change (-want +got):\n%s", diff)
	}
	if res.Deletion.State != "none" {
		t.Fatalf("deletion %+v", res.Deletion)
	}
}

const kindsMapping = `
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"svc"', properties: {a: .a}}}}
  - kind: svc-extra
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"svc"', properties: {b: .b}}}}
`

// --kinds prunes only blueprints that the selected kinds alone write.
func TestKindsScopesDeletion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"id": "t3"})
	w.src.items["svc"] = items(map[string]any{"id": "s1", "a": "1"}, map[string]any{"id": "s2", "a": "2"}, map[string]any{"id": "s3", "a": "3"})
	w.src.items["svc-extra"] = items(map[string]any{"id": "s1", "b": "1"})
	if res := w.run(kindsMapping, nil); res.Status != StatusCompleted {
		t.Fatalf("first run: %s %v", res.Status, res.Errors)
	}

	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"})
	w.src.items["svc"] = items(map[string]any{"id": "s1", "a": "1"}, map[string]any{"id": "s2", "a": "2"})
	res := w.run(kindsMapping, func(c *Config) { c.Kinds = []string{"team", "svc"} })
	if res.Status != StatusCompleted {
		t.Fatalf("status %s %v", res.Status, res.Errors)
	}
	if diff := cmp.Diff([]string{"t1", "t2"}, w.ids("team")); diff != "" {
		t.Fatalf("team pruned wrongly (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"s1", "s2", "s3"}, w.ids("svc")); diff != "" {
		t.Fatalf("svc is also written by svc-extra and must not be pruned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"svc"}, res.Deletion.NotPruned); diff != "" {
		t.Fatalf("NotPruned (-want +got):\n%s", diff)
	}
	if !res.Blocks[2].Skipped || res.Blocks[0].Deleted != 1 {
		t.Fatalf("blocks: %+v", res.Blocks)
	}
}

const relMapping = `
createMissingRelatedEntities: %v
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"svc"', relations: {owner: .owner}}}}
`

// A stale entity that a kept entity still relates to is kept when
// createMissingRelatedEntities is on (Ocean's safe delete).
func TestRelationTargetsOfKeptEntitiesAreKept(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := fmt.Sprintf(relMapping, true)
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"id": "t3"}, map[string]any{"id": "t4"})
	w.src.items["svc"] = items(map[string]any{"id": "s1", "owner": "t1"}, map[string]any{"id": "s2", "owner": "t2"})
	w.run(m, nil)

	w.src.items["team"] = items(map[string]any{"id": "t3"}, map[string]any{"id": "t4"})
	res := w.run(m, nil)
	if diff := cmp.Diff([]string{"t1", "t2", "t3", "t4"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Deletion.Kept != 2 || res.Deletion.Deleted != 0 || res.Deletion.State != "done" {
		t.Fatalf("deletion %+v", res.Deletion)
	}

	// Once no service points at t1, it goes.
	w.src.items["svc"] = items(map[string]any{"id": "s1", "owner": "t3"}, map[string]any{"id": "s2", "owner": "t2"})
	res = w.run(m, nil)
	if diff := cmp.Diff([]string{"t2", "t3", "t4"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Deletion.Deleted != 1 || res.Deletion.Kept != 1 {
		t.Fatalf("deletion %+v", res.Deletion)
	}
}

// The same protection when the target blueprint is computed per item: its
// owned entities come from the datasource listing, not a per-blueprint
// index, and a kept service still keeps its team.
func TestRelationTargetsKeptInComputedBlueprint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := `
createMissingRelatedEntities: true
resources:
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"svc"', relations: {owner: .owner}}}}
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: .bp}}}
`
	w.src.items["team"] = items(map[string]any{"id": "t1", "bp": "team"}, map[string]any{"id": "t2", "bp": "team"}, map[string]any{"id": "t3", "bp": "team"})
	w.src.items["svc"] = items(map[string]any{"id": "s1", "owner": "t1"})
	w.run(m, nil)

	w.src.items["team"] = items(map[string]any{"id": "t3", "bp": "team"})
	res := w.run(m, nil)
	if diff := cmp.Diff([]string{"t1", "t3"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Deletion.Kept != 1 || res.Deletion.Deleted != 1 || res.Deletion.State != DeletionDone {
		t.Fatalf("deletion %+v", res.Deletion)
	}
}

// With createMissingRelatedEntities off, Port refuses an entity whose
// relation target does not exist yet; the writer retries those at the end,
// one at a time, targets first. The chain t3 → t2 → t1 → t0 arrives
// referrers first: t3, t2 and t1 wait until the run has mapped their
// targets, then join t0 in one bulk request, which Port applies in order:
// the first pass writes t0 and t1 and refuses t3 and t2. Only a retry in
// targets-first order (t2, t3) writes both: no retry leaves two failures,
// a retry in arrival order (t3, t2) leaves one.
func TestMissingTargetRetriedTargetsFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := `
createMissingRelatedEntities: false
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"', relations: {parent: .parent}}}}
`
	w.src.items["team"] = items(
		map[string]any{"id": "t3", "parent": "t2"},
		map[string]any{"id": "t2", "parent": "t1"},
		map[string]any{"id": "t1", "parent": "t0"},
		map[string]any{"id": "t0", "parent": nil},
	)
	res := w.run(m, nil)
	if res.Status != StatusCompleted || res.Total.Failed != 0 || res.Total.Created != 4 {
		t.Fatalf("status %s total %+v errors %v block %+v", res.Status, res.Total, res.Errors, res.Blocks[0])
	}
	if got := w.fake.Count(porttest.RouteBulkUpsert); got != 3 {
		t.Errorf("%d bulk upserts, want 3 (the four entities in one request, then t2 and t3 one at a time)", got)
	}
	for child, parent := range map[string]string{"t3": "t2", "t2": "t1", "t1": "t0"} {
		e, ok := w.fake.Entity("team", child)
		if !ok || e["relations"].(map[string]any)["parent"] != parent {
			t.Errorf("%s = %v, want parent %s", child, e, parent)
		}
	}
}

// Removing a resource block prunes its entities next run, as Ocean does.
func TestRemovedBlockIsPruned(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	both := `
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
  - kind: repo
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"repo"'}}}
`
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"id": "t3"}, map[string]any{"id": "t4"}, map[string]any{"id": "t5"})
	w.src.items["repo"] = items(map[string]any{"id": "r1"})
	w.run(both, nil)
	teamsOnly := both[:len(both)-len(`  - kind: repo
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"repo"'}}}
`)]
	res := w.run(teamsOnly, nil)
	if len(w.ids("repo")) != 0 || res.Deletion.Deleted != 1 || res.Deletion.Owned != 6 {
		t.Fatalf("repo left %v, deletion %+v", w.ids("repo"), res.Deletion)
	}
}

func TestThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		threshold   float64
		before      int
		after       int
		wantState   DeletionState
		wantDeleted int
	}{
		{0.9, 3, 2, "done", 1},    // 1 of 3 stale
		{0.9, 3, 0, "blocked", 0}, // 3 of 3
		{0.5, 2, 0, "blocked", 0}, // 2 of 2
		{0.5, 4, 2, "done", 2},    // exactly at the threshold deletes
		{0, 3, 2, "blocked", 0},   // 0 turns deletion off
		{1, 2, 0, "done", 2},      // 1 always deletes
		{0.9, 3, 3, "none", 0},    // nothing stale
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%g_%d_%d", tt.threshold, tt.before, tt.after), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			m := fmt.Sprintf(`
entityDeletionThreshold: %g
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
`, tt.threshold)
			mk := func(n int) []integrations.Item {
				var out []integrations.Item
				for i := range n {
					out = append(out, map[string]any{"id": fmt.Sprintf("t%d", i)})
				}
				return out
			}
			w.src.items["team"] = mk(tt.before)
			w.run(m, nil)
			w.src.items["team"] = mk(tt.after)
			res := w.run(m, nil)
			if res.Deletion.State != tt.wantState || res.Deletion.Deleted != tt.wantDeleted {
				t.Fatalf("deletion %+v", res.Deletion)
			}
			if got := len(w.ids("team")); got != tt.before-tt.wantDeleted {
				t.Fatalf("%d teams left", got)
			}
			wantStatus := StatusCompleted
			if tt.wantState == "blocked" {
				wantStatus = StatusBlocked
			}
			if res.Status != wantStatus {
				t.Fatalf("status %s, want %s", res.Status, wantStatus)
			}
		})
	}
}

// A failing block blocks all deletes, including other blocks' stale ones.
func TestFailedBlockSkipsAllDeletes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"})
	w.src.items["svc"] = items(map[string]any{"id": "s1", "a": "x"})
	w.run(kindsMapping, nil)
	w.src.items["team"] = items(map[string]any{"id": "t1"})
	w.src.fail["svc"] = errors.New("vendor said 403")
	res := w.run(kindsMapping, nil)
	if res.Status != StatusFailed || res.Deletion.State != "skipped" || len(w.ids("team")) != 2 {
		t.Fatalf("status %s deletion %+v teams %v", res.Status, res.Deletion, w.ids("team"))
	}
	if res.Blocks[1].Error == "" {
		t.Fatal("the failing block has no error")
	}
}

// Entities owned by another writer are never deleted.
func TestOnlyOwnedEntitiesAreDeleted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"id": "t3"})
	w.src.items["svc"] = nil
	m := fmt.Sprintf(relMapping, false)
	w.run(m, nil)
	if err := w.fake.PutEntity("team", map[string]any{"identifier": "manual"}, "port-ui"); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.PutEntity("team", map[string]any{"identifier": "other-install"}, "port-ocean/test/1.0/another/exporter"); err != nil {
		t.Fatal(err)
	}
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"})
	res := w.run(m, nil)
	if diff := cmp.Diff([]string{"manual", "other-install", "t1", "t2"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Deletion.Deleted != 1 || res.Deletion.Owned != 3 {
		t.Fatalf("deletion %+v", res.Deletion)
	}
}

// A delete that Port keeps refusing is a failed write: status failed.
func TestFailedDeletesFailTheRun(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := fmt.Sprintf(relMapping, true)
	w.src.items["svc"] = nil
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"id": "t3"})
	w.run(m, nil)
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"})
	w.fake.Inject(porttest.Fault{Route: porttest.RouteBulkDelete, Status: 500, RetryAfter: "0", Times: 100})
	res := w.run(m, nil)
	if res.Status != StatusFailed || res.Deletion.Failed != 1 || res.Total.Failed != 1 || len(res.Deletion.Errors) != 1 {
		t.Fatalf("status %s deletion %+v total %+v", res.Status, res.Deletion, res.Total)
	}
}

// Per-entity upsert failures (207) fail the run and are reported on their
// block, while the other entities sync.
func TestPartialUpsertFailure(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := fmt.Sprintf(relMapping, true)
	w.src.items["svc"] = nil
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"})
	w.run(m, nil)
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"id": "t3"})
	w.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, EntityErrors: map[string]int{"t3": 422}})
	res := w.run(m, nil)
	if res.Status != StatusFailed || res.Blocks[0].Failed != 1 || res.Blocks[0].Unchanged != 2 || len(res.Blocks[0].WriteErrors) != 1 {
		t.Fatalf("status %s block %+v", res.Status, res.Blocks[0])
	}
	if diff := cmp.Diff([]string{"t1", "t2"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
}

// With --kinds, a delete must not cascade into blueprints outside the
// scope: dependents of a pruned entity may be entities tide does not know
// (its own entities' targets are kept as relation targets).
func TestKindsDeletesDoNotCascade(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := fmt.Sprintf(relMapping, false)
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"id": "t3"})
	w.src.items["svc"] = items(map[string]any{"id": "s1", "owner": "t1"})
	w.run(m, nil)
	if err := w.fake.PutEntity("svc", map[string]any{"identifier": "manual", "relations": map[string]any{"owner": "t3"}}, "port-ui"); err != nil {
		t.Fatal(err)
	}
	w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"})
	res := w.run(m, func(c *Config) { c.Kinds = []string{"team"} })
	if res.Deletion.Deleted != 1 || len(w.ids("team")) != 2 {
		t.Fatalf("deletion %+v teams %v", res.Deletion, w.ids("team"))
	}
	if diff := cmp.Diff([]string{"manual", "s1"}, w.ids("svc")); diff != "" {
		t.Fatalf("a --kinds team run deleted services (-want +got):\n%s", diff)
	}
}

// Relation targets are looked up in Port only when the run does not know
// them: teams this integration owns are in the snapshot and cost no
// search; 2500 teams that exist nowhere are looked up in three requests
// (1000 identifiers each) and, with createMissingRelatedEntities, named as
// the stubs Port creates. Without it, every service naming one is refused
// and not sent, and the owned teams' services are written.
func TestRelationTargetLookup(t *testing.T) {
	t.Parallel()
	svcOnly := `
createMissingRelatedEntities: %v
resources:
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"svc"', relations: {owner: .owner}}}}
`
	for _, createMissing := range []bool{true, false} {
		t.Run(fmt.Sprint("createMissing=", createMissing), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.src.items["team"] = items(map[string]any{"id": "t1"}, map[string]any{"id": "t2"})
			w.run(fmt.Sprintf(relMapping, true), nil) // the teams are owned now

			// svc only, so the teams are owned entities of another blueprint
			// (the datasource listing), not of an indexed one.
			dry := func(c *Config) { c.DryRun = true }
			owned := []integrations.Item{map[string]any{"id": "owned-1", "owner": "t1"}, map[string]any{"id": "owned-2", "owner": "t2"}}
			w.src.items["svc"] = owned
			w.fake.ResetCounts()
			w.run(fmt.Sprintf(svcOnly, createMissing), dry)
			base := w.fake.Count(porttest.RouteSearch) // the run's own searches: no lookup for owned targets

			svcs := append([]integrations.Item(nil), owned...)
			for i := range 2500 {
				svcs = append(svcs, map[string]any{"id": fmt.Sprintf("s%d", i), "owner": fmt.Sprintf("x%d", i)})
			}
			w.src.items["svc"] = svcs
			w.fake.ResetCounts()
			res := w.run(fmt.Sprintf(svcOnly, createMissing), dry)
			if got := w.fake.Count(porttest.RouteSearch) - base; got != 3 {
				t.Errorf("%d lookup searches, want 3 (2500 targets, 1000 a request)", got)
			}
			var stubs *Notice
			for i := range res.Notices {
				if res.Notices[i].Kind == NoticeRelationStubs {
					stubs = &res.Notices[i]
				}
			}
			if !createMissing {
				if stubs != nil {
					t.Errorf("stub notice without createMissingRelatedEntities: %+v", stubs)
				}
				if res.Total.Failed != 2500 || res.Total.Created != 2 || res.Status != StatusFailed {
					t.Errorf("status %s total %+v, want 2500 refused and the 2 owned teams' services planned", res.Status, res.Total)
				}
				if len(res.Plan.Creates) != 2 {
					t.Errorf("plan creates %v, want owned-1 and owned-2", res.Plan.Creates)
				}
				return
			}
			if stubs == nil || stubs.Count != 2500 || len(stubs.Names) != maxNoticeNames || stubs.Names[0] != "team/x0" {
				t.Fatalf("stub notice = %+v, want 2500 stubs, %d named", stubs, maxNoticeNames)
			}
			if res.Total.Failed != 0 || res.Total.Created != 2502 {
				t.Errorf("total %+v, want every service planned", res.Total)
			}
		})
	}
}
