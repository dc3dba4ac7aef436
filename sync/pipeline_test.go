package sync

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"
	"testing"

	"github.com/tide-sync/tide/integrations"
)

// pagedSource emits pages of svc items; an item with ok == "broken" breaks
// the selector.
type pagedSource struct {
	pages   [][]integrations.Item
	mu      gosync.Mutex
	emitted int
}

func newPagedSource(pages, per int, broken int) *pagedSource {
	s := &pagedSource{}
	for p := range pages {
		var page []integrations.Item
		for i := range per {
			ok := any(true)
			if p+1 == broken && i == per/2 {
				ok = "broken"
			}
			page = append(page, integrations.Item{"id": fmt.Sprintf("svc-%03d-%02d", p, i), "name": "S", "ok": ok})
		}
		s.pages = append(s.pages, page)
	}
	return s
}

func (s *pagedSource) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	for _, p := range s.pages {
		s.mu.Lock()
		s.emitted++
		s.mu.Unlock()
		if err := emit(p); err != nil {
			return fmt.Errorf("emitting: %w", err)
		}
	}
	return nil
}

const pagedMapping = `
resources:
  - kind: svc
    selector: {query: ".ok"}
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"svc"'
`

// Pages are mapped by a pool of workers: every page is mapped once, and the
// result is the same as a sequential run.
func TestPagesMappedByWorkers(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			src := newPagedSource(60, 7, 0)
			res := w.run(pagedMapping, func(c *Config) { c.Source = src; c.MapWorkers = workers })
			if res.Status != StatusCompleted || res.Total.Created != 420 || res.Blocks[0].Fetched != 420 || res.Blocks[0].Mapped != 420 {
				t.Fatalf("status %s, totals %+v, block %+v; want 420 fetched, mapped and created", res.Status, res.Total, res.Blocks[0])
			}
			if got := len(w.ids("svc")); got != 420 {
				t.Errorf("%d entities in Port, want 420", got)
			}
			again := w.run(pagedMapping, func(c *Config) { c.Source = src; c.MapWorkers = workers })
			if again.Total.Unchanged != 420 || again.Total.Created+again.Total.Updated+again.Total.Deleted != 0 {
				t.Errorf("second run totals %+v, want 420 unchanged and nothing written", again.Total)
			}
		})
	}
}

// A page that fails to map fails its block: the source is stopped soon
// after, the error names the page, and nothing is deleted.
func TestFailingPageStopsTheSource(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.run(pagedMapping, func(c *Config) { c.Source = newPagedSource(10, 3, 0) })
	before := len(w.ids("svc"))
	src := newPagedSource(200, 3, 7)
	res := w.run(pagedMapping, func(c *Config) { c.Source = src; c.MapWorkers = 2 })
	if res.Status != StatusFailed {
		t.Fatalf("status %s, want failed", res.Status)
	}
	if msg := res.Blocks[0].Error; !strings.Contains(msg, "page 7") || !strings.Contains(msg, "Expected boolean") {
		t.Errorf("block error %q, want page 7's selector error", msg)
	}
	// The source is stopped once the failure is known: how many pages the
	// other worker maps meanwhile depends on scheduling, so the bound is
	// loose, but a source that is never stopped emits all 200.
	if src.emitted >= 100 {
		t.Errorf("source emitted %d of 200 pages after page 7 failed", src.emitted)
	}
	if res.Deletion.State == "done" || res.Total.Deleted != 0 || len(w.ids("svc")) < before {
		t.Errorf("deletion %+v, %d deleted: a failed block must not delete", res.Deletion, res.Total.Deleted)
	}
}
