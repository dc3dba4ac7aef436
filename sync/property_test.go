package sync

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// The deletion-safety property: after any run, whatever the source
// answered (items removed, blocks failing, writes failing, identifiers
// duplicated or null) and whatever --kinds selected, every entity whose
// source item still exists is still in Port, and no entity another writer
// owns was changed or deleted.
//
// TestDeletionSafetyProperty runs a few hundred random cases in `make
// test`; FuzzDeletionSafety explores more for a fixed time in `make fuzz`.

const propertyMapping = `
createMissingRelatedEntities: %v
deleteDependentEntities: %v
entityDeletionThreshold: %g
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"svc"', relations: {owner: .owner}}}}
  - kind: repo
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"repo"'}}}
`

var propertyKinds = []string{"team", "svc", "repo"}

// foreign are entities other writers own: the run must leave them alone.
var foreign = []struct{ bp, id, datasource string }{
	{"team", "ui-team", "port-ui"},
	{"team", "other-install", "port-ocean/test/1.0/other/exporter"},
	{"repo", "imposter", "port-ocean/test/1.0/it/exporter-b"}, // the paged search's contains rule matches it
}

func TestDeletionSafetyProperty(t *testing.T) {
	t.Parallel()
	n := 300
	if testing.Short() {
		n = 50
	}
	for seed := range uint64(n) {
		checkDeletionSafety(t, seed)
		if t.Failed() {
			t.Fatalf("seed %d breaks the deletion-safety property", seed)
		}
	}
}

func FuzzDeletionSafety(f *testing.F) {
	for _, s := range []uint64{0, 1, 7, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { checkDeletionSafety(t, seed) })
}

func checkDeletionSafety(t *testing.T, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := newWorld(t)
	pick := func(p float64) bool { return r.Float64() < p }
	mapping := fmt.Sprintf(propertyMapping, pick(0.5), pick(0.7), []float64{0, 0.5, 0.9, 1}[r.IntN(4)])
	pool := func(kind string) string { return fmt.Sprintf("%s%d", kind[:1], r.IntN(8)) }
	item := func(kind string) map[string]any {
		it := map[string]any{"id": pool(kind), "name": fmt.Sprintf("n%d", r.IntN(3))}
		if kind == "svc" {
			owner := pool("team")
			if pick(0.1) {
				owner = "ui-team"
			}
			it["owner"] = owner
		}
		return it
	}

	// The first run builds the catalog.
	first := map[string][]integrations.Item{}
	for _, k := range propertyKinds {
		for range r.IntN(7) {
			first[k] = append(first[k], item(k))
		}
	}
	w.src.items = first
	w.run(mapping, nil)
	for _, f := range foreign {
		if err := w.fake.PutEntity(f.bp, map[string]any{"identifier": f.id, "title": "theirs"}, f.datasource); err != nil {
			t.Fatal(err)
		}
	}

	// The second run's source: items removed, renamed, changed, added,
	// duplicated; blocks failing; writes failing; --kinds.
	second := map[string][]integrations.Item{}
	for _, k := range propertyKinds {
		for _, it := range first[k] {
			switch {
			case pick(0.25): // removed from the source
			case pick(0.1): // the vendor renamed the id field: identifier null
				second[k] = append(second[k], map[string]any{"ident": it["id"], "name": it["name"]})
			default:
				c := map[string]any{}
				for key, v := range it {
					c[key] = v
				}
				if pick(0.3) {
					c["name"] = fmt.Sprintf("n%d", r.IntN(3))
				}
				second[k] = append(second[k], c)
			}
		}
		for range r.IntN(3) {
			second[k] = append(second[k], item(k))
		}
		if n := len(second[k]); n > 0 && pick(0.2) {
			dup := map[string]any{}
			for key, v := range second[k][r.IntN(n)] {
				dup[key] = v
			}
			dup["name"] = "dup"
			second[k] = append(second[k], dup)
		}
	}
	w.src.items = second
	w.src.pageSize = 1 + r.IntN(4)
	w.src.fail = map[string]error{}
	for _, k := range propertyKinds {
		if pick(0.15) {
			w.src.fail[k] = errors.New("vendor answered 503")
		}
	}
	if pick(0.2) && len(second["team"]) > 0 {
		id := fmt.Sprint(second["team"][r.IntN(len(second["team"]))]["id"])
		w.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, EntityErrors: map[string]int{id: 422}})
	}
	if pick(0.1) {
		w.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Status: 500, RetryAfter: "0", Times: 1 + r.IntN(15)})
	}
	var kinds []string
	if pick(0.3) {
		for _, k := range propertyKinds {
			if pick(0.5) {
				kinds = append(kinds, k)
			}
		}
	}

	before := snapshotCatalog(w)
	res := w.run(mapping, func(c *Config) {
		c.Kinds = kinds
		c.MapWorkers = 1 + r.IntN(3)
	})
	after := snapshotCatalog(w)

	bps := map[string]string{"team": "team", "svc": "svc", "repo": "repo"}
	for _, k := range propertyKinds {
		for _, it := range second[k] {
			id, ok := it["id"].(string)
			if !ok {
				id, _ = it["ident"].(string)
			}
			key := bps[k] + "/" + id
			if _, was := before[key]; was {
				if _, is := after[key]; !is {
					t.Errorf("seed %d: %s was deleted while its source item exists (kinds %v, status %s, deletion %+v)", seed, key, kinds, res.Status, res.Deletion)
				}
			}
		}
	}
	for _, f := range foreign {
		key := f.bp + "/" + f.id
		if diff := cmp.Diff(before[key], after[key]); diff != "" {
			t.Errorf("seed %d: another writer's %s was changed (-before +after):\n%s", seed, key, diff)
		}
	}
}

// snapshotCatalog returns every entity of the fake by "blueprint/identifier".
func snapshotCatalog(w *world) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, bp := range w.fake.Blueprints() {
		for _, e := range w.fake.Entities(bp) {
			out[bp+"/"+e["identifier"].(string)] = e
		}
	}
	return out
}
