package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// The scenarios of deletion safety: each is a way a run used to delete
// data the source still has, or to misreport a delete.

const teamMapping = `
entityDeletionThreshold: %g
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"team"'}}}
`

const searchMapping = `
resources:
  - kind: team
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier:
            combinator: '"and"'
            rules:
              - {property: '"$identifier"', operator: '"="', value: .id}
          blueprint: '"team"'
          properties: {size: .size}
`

func teams(ids ...string) []integrations.Item {
	var out []integrations.Item
	for _, id := range ids {
		out = append(out, map[string]any{"id": id, "name": strings.ToUpper(id)})
	}
	return out
}

func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i+1)
	}
	return out
}

// searchKey is how the fake keys an injected entity error for a search
// identifier (fmt.Sprint of the decoded identifier).
func searchKey(id string) string {
	return fmt.Sprint(map[string]any{"combinator": "and", "rules": []any{map[string]any{"property": "$identifier", "operator": "=", "value": id}}})
}

// 1. A search-identified entity whose write fails is not deleted.
func TestScenarioSearchWriteFailureDeletesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		n     int
		fault porttest.Fault
	}{
		{"207 for one entity", 6, porttest.Fault{Route: porttest.RouteBulkUpsert, EntityErrors: map[string]int{searchKey("t006"): 500}}},
		// 25 entities are two requests; the first (20) fails every attempt.
		{"500 until retries run out", 25, porttest.Fault{Route: porttest.RouteBulkUpsert, Status: 500, RetryAfter: "0", Times: testAttempts}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			ids := seq("t", tt.n)
			w.src.items["team"] = teams(ids...)
			w.run(fmt.Sprintf(teamMapping, 0.9), nil)
			for i, it := range w.src.items["team"] {
				it["size"] = float64(i)
			}
			w.fake.Inject(tt.fault)
			res := w.run(searchMapping, func(c *Config) { c.WriteConcurrency = 1 })
			if diff := cmp.Diff(ids, w.ids("team")); diff != "" {
				t.Fatalf("teams after a failed search-identified write (-want +got):\n%s", diff)
			}
			if res.Status != StatusFailed || res.Deletion.Deleted != 0 || res.Total.Failed == 0 {
				t.Fatalf("status %s deletion %+v total %+v", res.Status, res.Deletion, res.Total)
			}
			for _, r := range reasons(res) {
				if r != ReasonUnresolved {
					t.Fatalf("reasons %v, want %s", reasons(res), ReasonUnresolved)
				}
			}
		})
	}
}

// 2. A blueprint that cannot be read leaves relation targets unknown: no
// delete.
func TestScenarioUnreadableBlueprintBlocksDeletes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, bp := range []map[string]any{
		{"identifier": "team", "title": "Team", "schema": map[string]any{"properties": map[string]any{}}},
		{"identifier": "svc", "title": "Service", "schema": map[string]any{"properties": map[string]any{}},
			"relations": map[string]any{"owner": map[string]any{"title": "Owner", "target": "team", "required": false, "many": false}}},
	} {
		if err := w.fake.AddBlueprint(bp); err != nil {
			t.Fatal(err)
		}
	}
	m := `
createMissingRelatedEntities: true
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: .bp}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: .bp, relations: {owner: .owner}}}}
`
	mk := func(ids ...string) []integrations.Item {
		var out []integrations.Item
		for _, id := range ids {
			out = append(out, map[string]any{"id": id, "bp": "team"})
		}
		return out
	}
	w.src.items["team"] = mk("t1", "t2", "t3", "t4")
	w.src.items["svc"] = items(map[string]any{"id": "s1", "bp": "svc", "owner": "t1"})
	noInit := func(c *Config) { c.InitResources = false }
	w.run(m, noInit)

	w.src.items["team"] = mk("t2", "t3", "t4")
	w.fake.Inject(porttest.Fault{Route: porttest.RouteBlueprintGet, Status: 503, RetryAfter: "0", Times: 1000})
	res := w.run(m, noInit)
	if diff := cmp.Diff([]string{"t1", "t2", "t3", "t4"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Status == StatusCompleted || res.Deletion.Deleted != 0 {
		t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
	}
	wantReasons(t, res, map[string]Reason{"team/t1": ReasonBlueprint})
	if !strings.Contains(res.Deletion.Reason, `blueprint "svc"`) {
		t.Errorf("reason %q does not name the blueprint", res.Deletion.Reason)
	}
}

// 3. --kinds keeps the relation targets of entities it does not sync.
func TestScenarioKindsKeepsRelationTargets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := fmt.Sprintf(relMapping, true)
	w.src.items["team"] = teams("t1", "t2", "t3")
	w.src.items["svc"] = items(map[string]any{"id": "s1", "owner": "t1"})
	w.run(m, nil)

	w.src.items["team"] = teams("t2", "t3")
	full := w.run(m, nil)
	if diff := cmp.Diff([]string{"t1", "t2", "t3"}, w.ids("team")); diff != "" {
		t.Fatalf("full run: teams (-want +got):\n%s", diff)
	}
	shard := w.run(m, func(c *Config) { c.Kinds = []string{"team"} })
	if diff := cmp.Diff([]string{"t1", "t2", "t3"}, w.ids("team")); diff != "" {
		t.Fatalf("--kinds team: teams (-want +got):\n%s", diff)
	}
	if full.Deletion.Kept != 1 || shard.Deletion.Kept != 1 || shard.Status != StatusCompleted {
		t.Fatalf("full %+v\nshard %s %+v", full.Deletion, shard.Status, shard.Deletion)
	}
	wantReasons(t, shard, map[string]Reason{"team/t1": ReasonRelationTarget})
}

// 4. The dry run's plan is what the real run does, for search identifiers
// too.
func TestScenarioDryRunResolvesSearchIdentifiers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = teams("t1", "t2", "t3")
	w.run(fmt.Sprintf(teamMapping, 0.9), nil)

	dry := w.run(searchMapping, func(c *Config) { c.DryRun = true })
	var updated []string
	for _, p := range dry.Plan.Updates {
		updated = append(updated, p.Identifier)
	}
	if diff := cmp.Diff([]string{"t1", "t2", "t3"}, updated); diff != "" {
		t.Fatalf("planned updates (-want +got):\n%s", diff)
	}
	if len(dry.Plan.Deletes) != 0 || len(dry.Plan.Blocked) != 0 || dry.Status != StatusCompleted {
		t.Fatalf("dry run: status %s deletes %v blocked %v", dry.Status, dry.Plan.Deletes, dry.Plan.Blocked)
	}
	real := w.run(searchMapping, nil)
	if real.Deletion.Deleted != 0 || real.Status != StatusCompleted || len(w.ids("team")) != 3 {
		t.Fatalf("real run: status %s deletion %+v", real.Status, real.Deletion)
	}
}

// 5. The threshold holds per written blueprint, not only overall: 20
// teams and 3 repos whose listing comes back empty is 3/23 overall but 3/3
// for repo. A block whose blueprint is computed per item may write any
// blueprint, so the same holds when the repo block's blueprint is `.bp`.
func TestScenarioThresholdPerBlueprint(t *testing.T) {
	t.Parallel()
	for name, bp := range map[string]string{"constant": `'"repo"'`, "computed": ".bp"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			m := `
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
  - kind: repo
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: ` + bp + `}}}
`
			w.src.items["team"] = teams(seq("t", 20)...)
			repos := teams("r1", "r2", "r3")
			for _, r := range repos {
				r["bp"] = "repo"
			}
			w.src.items["repo"] = repos
			w.run(m, nil)
			w.src.items["repo"] = nil
			res := w.run(m, nil)
			if diff := cmp.Diff([]string{"r1", "r2", "r3"}, w.ids("repo")); diff != "" {
				t.Fatalf("repos (-want +got):\n%s", diff)
			}
			if res.Status != StatusBlocked || res.Deletion.Blocked != 3 {
				t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
			}
			wantReasons(t, res, map[string]Reason{"repo/r1": ReasonBPThreshold, "repo/r2": ReasonBPThreshold, "repo/r3": ReasonBPThreshold})
		})
	}
}

// 6. Items whose identifier maps to null keep their block's blueprint
// from being pruned; the run says so with exit 3.
func TestScenarioUnmappableItemsBlockTheirBlueprint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = teams(seq("t", 5)...)
	w.run(fmt.Sprintf(teamMapping, 0.9), nil)
	renamed := teams(seq("t", 5)...)
	renamed[4] = map[string]any{"team_id": "t005", "name": "T005"} // the vendor renamed a field
	w.src.items["team"] = renamed
	res := w.run(fmt.Sprintf(teamMapping, 0.9), nil)
	if diff := cmp.Diff(seq("t", 5), w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Status != StatusBlocked || res.Deletion.Blocked != 1 {
		t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
	}
	wantReasons(t, res, map[string]Reason{"team/t005": ReasonUnmappable})
	if !strings.Contains(res.Deletion.Reason, `resources[0] (kind "team") had 1 items with no identifier or blueprint`) {
		t.Errorf("reason %q", res.Deletion.Reason)
	}
}

// 7. Integer ids beyond 2^53 stay distinct entities with exact
// identifiers.
func TestScenarioBigIntegerIdentifiers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, _ := new(big.Int).SetString("1234567890123456789", 10)
	b, _ := new(big.Int).SetString("1234567890123456788", 10)
	w.src.items["team"] = items(map[string]any{"id": a, "name": "A"}, map[string]any{"id": b, "name": "B"})
	res := w.run(fmt.Sprintf(teamMapping, 0.9), nil)
	if diff := cmp.Diff([]string{"1234567890123456788", "1234567890123456789"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Total.Created != 2 || res.Status != StatusCompleted {
		t.Fatalf("status %s total %+v", res.Status, res.Total)
	}
}

// 8. Two items with one identifier: the first in source order wins,
// however pages are mapped, and mapped counts one entity; on a first sync
// and on a re-sync, where the engine finds the identifier in the snapshot.
func TestScenarioDuplicateIdentifiers(t *testing.T) {
	t.Parallel()
	for _, resync := range []bool{false, true} {
		for i := range 8 {
			w := newWorld(t)
			w.src.pageSize = 1
			if resync {
				w.src.items["team"] = items(map[string]any{"id": "x", "name": "old"}, map[string]any{"id": "y", "name": "Y"})
				if res := w.run(fmt.Sprintf(teamMapping, 0.9), nil); res.Status != StatusCompleted {
					t.Fatalf("seeding: %s %v", res.Status, res.Errors)
				}
			}
			w.src.items["team"] = items(
				map[string]any{"id": "x", "name": "first"},
				map[string]any{"id": "y", "name": "Y"},
				map[string]any{"id": "x", "name": "second"},
				map[string]any{"id": "x", "name": "third"})
			res := w.run(fmt.Sprintf(teamMapping, 0.9), func(c *Config) { c.MapWorkers = 4 })
			x, _ := w.fake.Entity("team", "x")
			if x["title"] != "first" || res.Total.Mapped != 2 || res.Total.Duplicates != 2 {
				t.Fatalf("resync %v, run %d: x = %v, total %+v", resync, i, x, res.Total)
			}
			if diff := cmp.Diff([]string{`team "x"`, `team "x"`}, res.Blocks[0].DuplicateIDs); diff != "" {
				t.Fatalf("resync %v: duplicate sample (-want +got):\n%s", resync, diff)
			}
			if res.Deletion.Stale != 0 || res.Status != StatusCompleted {
				t.Fatalf("resync %v: status %s, deletion %+v", resync, res.Status, res.Deletion)
			}
		}
	}
}

// 9. A signal during pruning stops it between requests, and the summary
// counts what the request in flight deleted.
func TestScenarioSignalDuringPruning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = teams(seq("t", 300)...)
	m := fmt.Sprintf(teamMapping, 1.0)
	w.run(m, nil)

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	w.ctx = ctx
	w.wrap = func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		if err := r.Context().Err(); err != nil {
			return nil, err // never sent
		}
		if !strings.HasSuffix(r.URL.Path, "/bulk/entities/delete") {
			return next.RoundTrip(r)
		}
		// The request reaches Port, which deletes; the signal arrives
		// before the answer, and a real transport drops the answer of a
		// cancelled request.
		resp, err := next.RoundTrip(r.Clone(context.WithoutCancel(r.Context())))
		cancel(ErrInterrupted)
		if r.Context().Err() != nil {
			return nil, r.Context().Err()
		}
		return resp, err
	}
	w.src.items["team"] = teams("t001")
	res := w.run(m, func(c *Config) { c.WriteConcurrency = 1 })
	gone := 300 - len(w.ids("team"))
	if res.Status != StatusAborted || res.Deletion.Deleted != gone || gone != 100 {
		t.Fatalf("status %s, %d gone, deletion %+v", res.Status, gone, res.Deletion)
	}
	if n := w.fake.Count(porttest.RouteBulkDelete); n != 1 {
		t.Fatalf("%d delete requests after the signal's first", n)
	}
	if got := countReason(res.Deletion.Entities, ReasonInterrupted); got != 199 || !strings.Contains(res.Deletion.Reason, "interrupted after deleting 100") {
		t.Fatalf("%d kept as interrupted; reason %q", got, res.Deletion.Reason)
	}
}

const depBlueprint = `{"identifier":"dep","title":"Dep","schema":{"properties":{}},
 "relations":{"team":{"title":"Team","target":"team","required":true,"many":false}}}`

// 10. One entity Port refuses to delete (another writer's entity requires
// it) does not hold back the others of its request.
func TestScenarioRefusedDeleteIsIsolated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var dep map[string]any
	if err := json.Unmarshal([]byte(depBlueprint), &dep); err != nil {
		t.Fatal(err)
	}
	m := `
deleteDependentEntities: false
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
`
	w.src.items["team"] = teams(seq("t", 6)...)
	w.run(m, nil)
	if err := w.fake.AddBlueprint(dep); err != nil { // its target, team, exists now
		t.Fatal(err)
	}
	if err := w.fake.PutEntity("dep", map[string]any{"identifier": "d1", "relations": map[string]any{"team": "t001"}}, "port-ui"); err != nil {
		t.Fatal(err)
	}
	w.src.items["team"] = teams("t003", "t004", "t005", "t006")
	res := w.run(m, nil)
	if diff := cmp.Diff([]string{"t001", "t003", "t004", "t005", "t006"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Deletion.Deleted != 1 || res.Deletion.Failed != 0 || res.Status != StatusBlocked {
		t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
	}
	wantReasons(t, res, map[string]Reason{"team/t001": ReasonRefused})
}

// 11. A bulk delete retried after its first answer was lost reports the
// entities the first attempt deleted as deleted.
func TestScenarioRetriedDeleteCountsFirstAttempt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = teams(seq("t", 5)...)
	m := fmt.Sprintf(teamMapping, 0.9)
	w.run(m, nil)
	first := true
	w.wrap = func(r *http.Request, next http.RoundTripper) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if first && err == nil && strings.HasSuffix(r.URL.Path, "/bulk/entities/delete") {
			first = false
			resp.Body.Close()
			return &http.Response{StatusCode: http.StatusGatewayTimeout, Header: http.Header{"Retry-After": {"0"}},
				Body: io.NopCloser(strings.NewReader(`{"ok":false,"error":"gateway_timeout"}`)), Request: r}, nil
		}
		return resp, err
	}
	w.src.items["team"] = teams(seq("t", 4)...)
	res := w.run(m, nil)
	if res.Status != StatusCompleted || res.Deletion.Deleted != 1 || res.Deletion.Failed != 0 || len(w.ids("team")) != 4 {
		t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
	}
}

// 12. An entity the paged search takes for owned but the datasource
// listing does not return is never deleted.
func TestScenarioDeleteOnlyWhatTheListingConfirms(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.src.items["team"] = teams(seq("t", 4)...)
	m := fmt.Sprintf(teamMapping, 0.9)
	w.run(m, nil)
	// Another installation whose datasource contains this one's suffix.
	if err := w.fake.PutEntity("team", map[string]any{"identifier": "imposter"}, "port-ocean/test/1.0/it/exporter-b"); err != nil {
		t.Fatal(err)
	}
	res := w.run(m, nil)
	if diff := cmp.Diff(append([]string{"imposter"}, seq("t", 4)...), w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Deletion.Deleted != 0 || res.Status != StatusCompleted {
		t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
	}
	wantReasons(t, res, map[string]Reason{"team/imposter": ReasonNotConfirmed})
}

// 13. A run whose writes failed deletes nothing and fails.
func TestScenarioFailedWritesDeleteNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  *porttest.Fault
		newOne map[string]any
	}{
		{"207 with a 422", &porttest.Fault{Route: porttest.RouteBulkUpsert, EntityErrors: map[string]int{"t006": 422}}, map[string]any{"id": "t006", "name": "T006"}},
		{"500 until retries run out", &porttest.Fault{Route: porttest.RouteBulkUpsert, Status: 500, RetryAfter: "0", Times: 1000}, map[string]any{"id": "t006", "name": "T006"}},
		{"entity over 1 MiB", nil, map[string]any{"id": "t006", "name": strings.Repeat("x", 1<<20)}},
		{"refused by validation before writing", nil, map[string]any{"id": "t006", "name": 5.0}}, // a title must be a string
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.src.items["team"] = teams(seq("t", 5)...)
			m := fmt.Sprintf(teamMapping, 0.9)
			w.run(m, nil)
			w.src.items["team"] = append(teams(seq("t", 4)...), tt.newOne)
			if tt.fault != nil {
				w.fake.Inject(*tt.fault)
			}
			res := w.run(m, nil)
			if diff := cmp.Diff(seq("t", 5), w.ids("team")); diff != "" {
				t.Fatalf("teams (-want +got):\n%s", diff)
			}
			if res.Status != StatusFailed || res.Deletion.Deleted != 0 || res.Deletion.State != DeletionSkipped || res.Deletion.Reason == "" {
				t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
			}
			wantReasons(t, res, map[string]Reason{"team/t005": ReasonWriteFailed})
		})
	}
}

// reasons maps "blueprint/identifier" to why the run kept it.
func reasons(res *Result) map[string]Reason {
	out := map[string]Reason{}
	for _, k := range res.Deletion.Entities {
		out[k.Blueprint+"/"+k.Identifier] = k.Reason
	}
	return out
}

func wantReasons(t *testing.T, res *Result, want map[string]Reason) {
	t.Helper()
	if diff := cmp.Diff(want, reasons(res)); diff != "" {
		t.Errorf("kept entities and reasons (-want +got):\n%s", diff)
	}
}

func fstestBlueprints(js string) fstest.MapFS {
	return fstest.MapFS{"blueprints.json": {Data: []byte(js)}}
}

// A relation Port holds on an owned entity that stays protects its target
// unless this run writes that relation field: dropping relations.owner from
// the mapping (a merge upsert leaves it in Port) must not let the old team
// go stale and take the services with it (delete_dependents cascades).
// With enableMergeEntity false a write replaces every relation, so there
// Port's old value protects nothing and the team goes.
func TestPortRelationsOfSeenEntitiesProtectTargets(t *testing.T) {
	t.Parallel()
	const before = `
enableMergeEntity: %t
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"svc"', relations: {owner: .owner}}}}
`
	const after = `
enableMergeEntity: %t
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: %s, blueprint: '"svc"'}}}
`
	tests := []struct {
		name      string
		merge     bool
		title     string // another title writes every service
		wantTeams []string
	}{
		{name: "merge, services unchanged", merge: true, title: ".name", wantTeams: []string{"t1", "t2", "t3"}},
		{name: "merge, services written", merge: true, title: `'.name + "!"'`, wantTeams: []string{"t1", "t2", "t3"}},
		{name: "no merge, services written", merge: false, title: `'.name + "!"'`, wantTeams: []string{"t2", "t3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.src.items["team"] = teams("t1", "t2", "t3")
			var svcs []integrations.Item
			for _, id := range seq("s", 10) {
				svcs = append(svcs, map[string]any{"id": id, "name": id, "owner": "t1"})
			}
			w.src.items["svc"] = svcs
			w.run(fmt.Sprintf(before, tt.merge), nil)
			w.src.items["team"] = teams("t2", "t3") // t1 gone at the vendor
			res := w.run(fmt.Sprintf(after, tt.merge, tt.title), nil)
			if diff := cmp.Diff(seq("s", 10), w.ids("svc")); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTeams, w.ids("team")); diff != "" {
				t.Errorf("teams (-want +got):\n%s", diff)
			}
			if res.Status != StatusCompleted {
				t.Errorf("status %s (errors %v, deletion %+v)", res.Status, res.Errors, res.Deletion)
			}
			if wantUpdated := map[bool]int{false: 0, true: 10}[tt.title != ".name"]; res.Total.Updated != wantUpdated {
				t.Errorf("%d services written, want %d", res.Total.Updated, wantUpdated)
			}
		})
	}
}

// The datasource listing is read beside the owned-entity search: when it
// confirms entities before their blueprint's index is loaded, the
// confirmations wait for it, and the stale entities are deleted as when
// the reads ran one after the other.
func TestSnapshotListingBeforeSearchStillConfirms(t *testing.T) {
	t.Parallel()
	listingBeforeSearch(t)
}

// With more confirmations waiting than maxPendingConfirmations the listing
// waits for the index instead of holding more; the verdicts are the same.
// Not parallel: it lowers the package's bound while no other test runs.
func TestSnapshotListingWaitsPastItsBound(t *testing.T) {
	defer func(n int) { maxPendingConfirmations = n }(maxPendingConfirmations)
	maxPendingConfirmations = 2
	listingBeforeSearch(t)
}

func listingBeforeSearch(t *testing.T) {
	w := newWorld(t)
	m := fmt.Sprintf(teamMapping, 1.0)
	w.src.items["team"] = teams(seq("t", 4)...)
	w.run(m, nil)
	// The next run's owned-entity search answers late: the listing is
	// done long before.
	w.fake.Inject(porttest.Fault{Route: porttest.RouteSearch, Delay: 300 * time.Millisecond})
	w.src.items["team"] = teams("t001")
	res := w.run(m, nil)
	if diff := cmp.Diff([]string{"t001"}, w.ids("team")); diff != "" {
		t.Fatalf("teams (-want +got):\n%s", diff)
	}
	if res.Status != StatusCompleted || res.Deletion.Deleted != 3 {
		t.Fatalf("status %s deletion %+v", res.Status, res.Deletion)
	}
	if n := w.fake.Counts()[porttest.RouteDatasource]; n == 0 {
		t.Fatalf("no datasource listing: %v", w.fake.Counts())
	}
}
