package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tide-sync/tide/integrations"
)

// parallelSource breaks the Emit contract on purpose: it emits from many
// goroutines at once, and optionally once more after Resync returned.
type parallelSource struct {
	goroutines, pages, perPage int
	late                       chan error // set: emit again after returning, report the result
}

func (s *parallelSource) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	var wg gosync.WaitGroup
	errs := make(chan error, s.goroutines)
	for g := range s.goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range s.pages {
				page := make([]integrations.Item, s.perPage)
				for i := range page {
					page[i] = map[string]any{"id": fmt.Sprintf("r-%d-%d-%d", g, p, i)}
				}
				if err := emit(page); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if s.late != nil {
		go func() {
			time.Sleep(20 * time.Millisecond)
			s.late <- emit([]integrations.Item{{"id": "late"}})
		}()
	}
	return <-errs
}

const repoMapping = `
resources:
  - kind: repo
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"repo"'
`

// Run under -race: an integration that emits from many goroutines gets
// every item counted and written exactly once, with no data race in the
// engine's accounting.
func TestEmitFromManyGoroutines(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	src := &parallelSource{goroutines: 16, pages: 5, perPage: 3}
	res := w.run(repoMapping, func(c *Config) { c.Source = src })
	want := src.goroutines * src.pages * src.perPage
	if res.Status != StatusCompleted || res.Total.Fetched != want || res.Total.Created != want {
		t.Fatalf("status %s, fetched %d, created %d; want %d each (errors %v)", res.Status, res.Total.Fetched, res.Total.Created, want, res.Errors)
	}
	if got := len(w.ids("repo")); got != want {
		t.Fatalf("%d entities in Port, want %d", got, want)
	}
}

// An Emit after Resync returned is refused with ErrEmitAfterReturn, not a
// panic on a closed channel.
func TestEmitAfterReturnIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	src := &parallelSource{goroutines: 2, pages: 1, perPage: 1, late: make(chan error, 1)}
	w.run(repoMapping, func(c *Config) { c.Source = src })
	if err := <-src.late; !errors.Is(err, ErrEmitAfterReturn) || !strings.Contains(err.Error(), "after Resync returned") {
		t.Fatalf("late emit: %v", err)
	}
}
