package sync

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// BenchmarkHashEntity measures hashing one entity's compared fields, done
// once per mapped entity and once per snapshot entity.
func BenchmarkHashEntity(b *testing.B) {
	e := &mapping.Entity{
		Identifier: "payments-api", Blueprint: "svc", Title: "Payments API",
		Properties: map[string]any{"a": "go", "b": "production", "lang": "Mission Critical"},
		Relations:  map[string]any{"owner": "payments"},
		Has:        mapping.HasTitle | mapping.HasProperties | mapping.HasRelations,
	}
	cs := compareSet{has: e.Has, props: []string{"a", "b", "lang"}, rels: []string{"owner"}}
	h := newHasher()
	b.ReportAllocs()
	for b.Loop() {
		h.sum(cs.sourceValues(e))
	}
}

// BenchmarkSyncInProcess runs whole syncs of 10k items against the
// in-process fake: first sync, then an unchanged re-sync.
func BenchmarkSyncInProcess(b *testing.B) {
	const n = 10000
	var page []integrations.Item
	for i := range n {
		page = append(page, map[string]any{"id": fmt.Sprintf("svc-%05d", i), "name": fmt.Sprintf("Service %d", i), "a": "x", "lang": "go", "owner": "t1"})
	}
	src := &source{items: map[string][]integrations.Item{"svc": page, "team": {{"id": "t1"}}}}
	m := `
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"svc"', properties: {a: .a, lang: .lang}, relations: {owner: .owner}}}}
`
	for _, phase := range []string{"first", "unchanged"} {
		b.Run(phase, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := newWorld(b)
				w.src = src
				cfg := func() Config { return w.config(m) }
				if phase == "unchanged" {
					if _, err := Run(context.Background(), cfg()); err != nil {
						b.Fatal(err)
					}
					w.fake.ResetCounts()
				}
				b.StartTimer()
				res, err := Run(context.Background(), cfg())
				if err != nil || res.Status != StatusCompleted {
					b.Fatalf("%v %v", err, res.Errors)
				}
				b.StopTimer()
				if phase == "unchanged" && w.fake.Count(porttest.RouteBulkUpsert) != 0 {
					b.Fatal("unchanged re-sync wrote")
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkIndexMemory loads the snapshot index with 1M owned entities
// (one compare set) and reports the live heap it holds per entity.
func BenchmarkIndexMemory(b *testing.B) {
	const n = 1_000_000
	page := make([]port.Entity, 1000)
	h := newHasher()
	cs := compareSet{}
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		x := newIndex("svc", []compareSet{cs})
		for p := 0; p < n/len(page); p++ {
			for i := range page {
				page[i] = port.Entity{Identifier: fmt.Sprintf("svc-%07d", p*len(page)+i), Blueprint: "svc"}
			}
			x.load(h, page, false)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/entity")
		runtime.KeepAlive(x)
	}
}

// BenchmarkEngineMemory runs whole syncs of 200k services (each related to
// a team) against the in-process fake and reports the live heap the
// engine holds at the end of its run per entity: what grows with the
// catalog besides the pages in flight. The first sync creates every
// entity; the unchanged re-sync matches every one against the snapshot.
func BenchmarkEngineMemory(b *testing.B) {
	const n = 200_000
	src := genSource{n: n, teams: 100}
	m := `
resources:
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
  - kind: svc
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, title: .name, blueprint: '"svc"', properties: {a: .a}, relations: {owner: .owner}}}}
`
	for _, phase := range []string{"first", "unchanged"} {
		b.Run(phase, func(b *testing.B) {
			for b.Loop() {
				w := newWorld(b)
				var live uint64
				cfg := func() Config {
					c := w.config(m)
					c.Source = src
					return c
				}
				if phase == "unchanged" {
					if _, err := Run(context.Background(), cfg()); err != nil {
						b.Fatal(err)
					}
				}
				c := cfg()
				c.atRunEnd = func() {
					live = heapAfterGC()
					if p := os.Getenv("TIDE_HEAPPROF"); p != "" {
						f, _ := os.Create(p + "." + phase)
						_ = pprof.WriteHeapProfile(f)
						f.Close()
					}
				}
				res, err := Run(context.Background(), c)
				if err != nil || res.Status != StatusCompleted {
					b.Fatalf("%v %v", err, res.Errors)
				}
				// The fake and the source hold the same after the run as at
				// its end: the difference is the engine's.
				b.ReportMetric((float64(live)-float64(heapAfterGC()))/n, "bytes/entity")
				runtime.KeepAlive(res)
				runtime.KeepAlive(w)
			}
		})
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// genSource makes its items as a decoder would, afresh for every page: n
// services, each related to one of the teams.
type genSource struct{ n, teams int }

func (g genSource) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	switch req.Kind {
	case "team":
		page := make([]integrations.Item, g.teams)
		for i := range page {
			page[i] = map[string]any{"id": fmt.Sprintf("t%d", i)}
		}
		return emit(page)
	case "svc":
		for start := 0; start < g.n; start += 100 {
			page := make([]integrations.Item, min(100, g.n-start))
			for i := range page {
				page[i] = map[string]any{"id": fmt.Sprintf("svc-%07d", start+i), "name": "S", "a": "x", "owner": fmt.Sprintf("t%d", (start+i)%g.teams)}
			}
			if err := emit(page); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("kind %q: %w", req.Kind, integrations.ErrUnknownKind)
}
