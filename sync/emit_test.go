package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// lateSource emits r2 from a goroutine that outlives Resync; kind "team"
// is slow, so the run is still fetching when the late Emit arrives.
type lateSource struct {
	late        bool
	lateEmitted chan error
}

func (s *lateSource) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	switch req.Kind {
	case "team":
		time.Sleep(200 * time.Millisecond)
		return emit(teams("t1"))
	case "repo":
		if err := emit([]integrations.Item{{"id": "r1"}}); err != nil {
			return err
		}
		if !s.late {
			return emit([]integrations.Item{{"id": "r2"}})
		}
		go func() { time.Sleep(20 * time.Millisecond); s.lateEmitted <- emit([]integrations.Item{{"id": "r2"}}) }()
		return nil
	}
	return integrations.ErrUnknownKind
}

// A page emitted after Resync returned is lost: the block fails, nothing
// is deleted as stale and the run fails, rather than deleting the lost
// page's items and reporting success.
func TestEmitAfterReturnFailsTheBlock(t *testing.T) {
	t.Parallel()
	const m = `
resources:
  - kind: repo
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"repo"'}}}
  - kind: team
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"team"'}}}
`
	w := newWorld(t)
	src := &lateSource{lateEmitted: make(chan error, 1)}
	w.run(m, func(c *Config) { c.Source = src })
	if diff := cmp.Diff([]string{"r1", "r2"}, w.ids("repo")); diff != "" {
		t.Fatalf("after the first run (-want +got):\n%s", diff)
	}
	src.late = true
	res := w.run(m, func(c *Config) { c.Source = src })
	if err := <-src.lateEmitted; !errors.Is(err, ErrEmitAfterReturn) {
		t.Fatalf("late emit answered %v, want ErrEmitAfterReturn", err)
	}
	if diff := cmp.Diff([]string{"r1", "r2"}, w.ids("repo")); diff != "" {
		t.Errorf("repos in Port (-want +got):\n%s", diff)
	}
	if res.Status != StatusFailed || res.Deletion.Deleted != 0 {
		t.Errorf("status %s, deleted %d; want failed, 0", res.Status, res.Deletion.Deleted)
	}
	if got := res.Blocks[0].Error; !strings.Contains(got, "after Resync returned") {
		t.Errorf("repo block error %q, want it to name the late Emit", got)
	}
}
