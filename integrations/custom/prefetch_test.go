package custom

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// arrivals tells a handler when a request with a given query has arrived.
type arrivals struct {
	mu   gosync.Mutex
	seen map[string]chan struct{}
}

func (a *arrivals) ch(q string) chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[string]chan struct{}{}
	}
	c, ok := a.seen[q]
	if !ok {
		c = make(chan struct{})
		a.seen[q] = c
	}
	return c
}

// arrived marks q; a second request with the same query is not marked again.
func (a *arrivals) arrived(q string) {
	c := a.ch(q)
	select {
	case <-c:
	default:
		close(c)
	}
}

// waitFor reports whether q arrives within d.
func (a *arrivals) waitFor(q string, d time.Duration) bool {
	select {
	case <-a.ch(q):
		return true
	case <-time.After(d):
		return false
	}
}

// Page pagination runs ahead: from the fourth page on, each page is answered
// only once a later page has been asked for, which a listing fetched one
// page after another never does (each then waits out the timeout and the
// test fails). Items stay in order and complete, and at most pagesAhead-1
// requests past the end are dropped.
func TestPagePaginationRunsAhead(t *testing.T) {
	t.Parallel()
	const total, size = 200, 10 // 20 pages, then an empty one
	var arr arrivals
	var mu gosync.Mutex
	late := 0
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		p := atoi(r.URL.Query().Get("page"), -1)
		arr.arrived(fmt.Sprint(p))
		if p >= 4 && p <= total/size && !arr.waitFor(fmt.Sprint(p+1), 5*time.Second) {
			mu.Lock()
			late++
			mu.Unlock()
		}
		from := (p - 1) * size
		writeJSON(w, map[string]any{"data": records(from, min(from+size, total))})
	})
	h := newSource(t, api.URL, "custom-pagination-type", "page", "custom-page-size", "10")
	got, err := h.resync("/items", map[string]any{"data_path": ".data"})
	if err != nil {
		t.Fatalf("Resync: %v", err)
	}
	if diff := cmp.Diff(wantIDs(total), ids(got)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if late > 0 {
		t.Errorf("%d pages were answered before a later page was asked for: no run-ahead", late)
	}
	if n := len(api.requests()); n < total/size+1 || n > total/size+pagesAhead {
		t.Errorf("%d requests, want %d to %d (%d pages, the empty one, at most %d fetched ahead and dropped)", n, total/size+1, total/size+pagesAhead, total/size, pagesAhead-1)
	}
}

// Cursor pagination overlaps one request: the next page is asked for
// before the current page is handed on.
func TestCursorPaginationOverlapsOneRequest(t *testing.T) {
	t.Parallel()
	const total, size = 50, 10
	var arr arrivals
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		from := 0
		if c := r.URL.Query().Get("cursor"); c != "" {
			from = atoi(strings.TrimPrefix(c, "after-"), -100)
		}
		arr.arrived(fmt.Sprint(from))
		var next any
		if from+size < total {
			next = fmt.Sprintf("after-%d", from+size)
		}
		writeJSON(w, map[string]any{"data": records(from, min(from+size, total)), "meta": map[string]any{"next_cursor": next}})
	})
	h := newSource(t, api.URL, "custom-pagination-type", "cursor", "custom-cursor-path", "meta.next_cursor", "custom-page-size", "10")
	var got []map[string]any
	notAhead := 0
	err := h.src.Resync(context.Background(), integrations.Request{Kind: "/items", Selector: map[string]any{"data_path": ".data"}},
		func(page []integrations.Item) error {
			from := len(got)
			got = append(got, page...)
			if from+size < total && !arr.waitFor(fmt.Sprint(from+size), 5*time.Second) {
				notAhead++
			}
			return nil
		})
	if err != nil {
		t.Fatalf("Resync: %v", err)
	}
	if diff := cmp.Diff(wantIDs(total), ids(got)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if notAhead > 0 {
		t.Errorf("%d pages were handed on before the next was asked for", notAhead)
	}
	if n := len(api.requests()); n != total/size {
		t.Errorf("%d requests, want %d: a cursor listing asks for no page it does not read", n, total/size)
	}
}

// An error on a page fetched ahead that the listing does not need (past a
// last page) is dropped with it; an error on a page it needs fails it.
func TestRunAheadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		failAt  int
		wantErr bool
	}{{"past the last page", 9, false}, {"on a page read", 6, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const size, pages = 10, 7
			api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
				p := atoi(r.URL.Query().Get("page"), -1)
				if p == tc.failAt {
					http.Error(w, `{"error":"no such page"}`, http.StatusBadRequest)
					return
				}
				from := (p - 1) * size
				writeJSON(w, map[string]any{"data": records(from, from+size), "meta": map[string]any{"last": p == pages}})
			})
			h := newSource(t, api.URL, "custom-pagination-type", "page", "custom-page-size", "10", "custom-last-page-path", "meta.last")
			got, err := h.resync("/items", map[string]any{"data_path": ".data"})
			if (err != nil) != tc.wantErr {
				t.Fatalf("Resync: %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(wantIDs(size*pages), ids(got)); diff != "" {
					t.Errorf("items (-want +got):\n%s", diff)
				}
			} else if !strings.Contains(err.Error(), fmt.Sprintf("page %d:", tc.failAt)) {
				t.Errorf("error %q does not name page %d", err, tc.failAt)
			}
		})
	}
}
