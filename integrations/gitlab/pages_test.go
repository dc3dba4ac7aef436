package gitlab

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
	"github.com/tide-sync/tide/internal/httpx/httpxtest"
)

const mrPath = "/groups/1/merge_requests"

// pagesEnv serves generated(3, 3): nine open merge requests of group 1, two
// a page (five pages), behind handler wrap.
func pagesEnv(t *testing.T, opts gitlabtest.Options, wrap func(http.Handler) http.Handler) (*gitlabtest.Server, *Source) {
	t.Helper()
	opts.MaxPerPage = 2
	return pagesEnvOf(t, generated(3, 3), opts, wrap)
}

func pagesEnvOf(t *testing.T, fix gitlabtest.Fixtures, opts gitlabtest.Options, wrap func(http.Handler) http.Handler) (*gitlabtest.Server, *Source) {
	t.Helper()
	opts.Token = testToken
	fake := gitlabtest.New(fix, opts)
	var h http.Handler = fake
	if wrap != nil {
		h = wrap(fake)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	src, err := NewSource(Config{Host: srv.URL, Token: testToken, Concurrency: 4, Clock: httpxtest.NewClock(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	return fake, src
}

// mrIDs resyncs merge requests and returns their ids in the order
// delivered.
func mrIDs(t *testing.T, src *Source) ([]string, error) {
	t.Helper()
	items, err := resyncKind(src, "merge-request", nil)
	var got []string
	for _, it := range items {
		got = append(got, jsonNum(it["id"]).(string))
	}
	return got, err
}

// wantMRs is generated(3, 3)'s merge request ids in listing order.
var wantMRs = []string{"0", "1", "2", "1000", "1001", "1002", "2000", "2001", "2002"}

// pageOf returns the page number of a merge-request listing request, or 0.
func pageOf(r *http.Request) int {
	if !strings.HasSuffix(r.URL.Path, mrPath) {
		return 0
	}
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	return n
}

// Pages 2..N of one listing are in flight together: page 2 is answered only
// once page 3 has been asked (a client reading pages in turn never asks
// page 3 and fails). Items arrive complete, in page order, with totals
// (x-total-pages: exactly the five pages) and without them (GitLab leaves
// them out past 10,000 items: a window past the last page, answered empty).
func TestPagesConcurrent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		totalsLimit int
		wantPages   int
	}{
		{"x-total-pages", 0, 5},
		{"no totals", 1, 9}, // page 1, then a window of 8 (2 × concurrency)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page3 := make(chan struct{})
			var closed atomic.Bool
			fake, src := pagesEnv(t, gitlabtest.Options{TotalsLimit: tc.totalsLimit}, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch pageOf(r) {
					case 3:
						if closed.CompareAndSwap(false, true) {
							close(page3)
						}
					case 2:
						select {
						case <-page3:
						case <-time.After(10 * time.Second):
							http.Error(w, `{"message":"page 3 never asked while page 2 was in flight"}`, http.StatusBadRequest)
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			})
			got, err := mrIDs(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantMRs, got); diff != "" {
				t.Errorf("merge requests (-want +got):\n%s", diff)
			}
			if n := fake.Count(mrPath); n != tc.wantPages {
				t.Errorf("%d pages asked, want %d", n, tc.wantPages)
			}
		})
	}
}

// Complete or error: a listing that grew while read is followed past
// x-total-pages, and fails as changed when x-total counted fewer; items on
// a page after the one GitLab called the last, an empty page in the middle
// and a failed page are errors, never a shorter list.
func TestPagesCompleteOrError(t *testing.T) {
	t.Parallel()
	grew := []gitlabtest.Fault{
		{Path: mrPath, Query: "page=5", Header: map[string]string{"X-Next-Page": "6"}},
		{Path: mrPath, Query: "page=6", Status: 200, Body: `[{"id": 9000, "state": "opened"}]`, Header: map[string]string{"X-Next-Page": ""}},
	}
	tests := []struct {
		name        string
		totalsLimit int
		faults      []gitlabtest.Fault
		want        []string
		wantErr     string
	}{
		{"grew", 0, grew, nil, "it counted 9 items and 10 distinct ones were listed"},
		{"grew, no x-total", 1, grew, append(append([]string(nil), wantMRs...), "9000"), ""},
		{"items after the last", 0, []gitlabtest.Fault{
			{Path: mrPath, Query: "page=3", Header: map[string]string{"X-Next-Page": ""}},
		}, nil, "page 4 holds items after page 3"},
		{"empty page before the last", 0, []gitlabtest.Fault{
			{Path: mrPath, Query: "page=4", Status: 200, Body: `[]`, Header: map[string]string{"X-Next-Page": "5"}},
		}, nil, "page 4 is empty but not the last"},
		{"a page fails", 0, []gitlabtest.Fault{
			{Path: mrPath, Query: "page=3", Status: 404, Body: `{"message":"404 Not found"}`},
		}, nil, "page 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, src := pagesEnv(t, gitlabtest.Options{TotalsLimit: tc.totalsLimit}, nil)
			for _, f := range tc.faults {
				fake.Fail(f)
			}
			got, err := mrIDs(t, src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("merge requests (-want +got):\n%s", diff)
			}
		})
	}
}

// A server sending no x-next-page is read page after page until a short
// page, as Ocean does: 210 merge requests, 100 a page, three pages one at
// a time.
func TestPagesWithoutNextHeader(t *testing.T) {
	t.Parallel()
	var inFlight, most atomic.Int64
	fake, src := pagesEnvOf(t, generated(3, 70), gitlabtest.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if pageOf(r) != 0 {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
			}
			next.ServeHTTP(stripNext{w}, r)
		})
	})
	got, err := mrIDs(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 210 || got[0] != "0" || got[209] != "2069" {
		t.Errorf("%d merge requests, first %v, last %v; want 210, 0 … 2069", len(got), got[:min(1, len(got))], got[max(len(got)-1, 0):])
	}
	if n, m := fake.Count(mrPath), most.Load(); n != 3 || m != 1 {
		t.Errorf("%d pages asked, %d at once; want 3, one at a time", n, m)
	}
}

// stripNext drops the pagination headers, as a server that sends none.
type stripNext struct{ http.ResponseWriter }

func (s stripNext) WriteHeader(code int) {
	for _, k := range []string{"X-Next-Page", "X-Total", "X-Total-Pages"} {
		s.Header().Del(k)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s stripNext) Write(b []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	return s.ResponseWriter.Write(b)
}

// A folder pattern with a glob matches the folder's path; a plain path
// selects the folders directly in that directory ("/" the root), as Port's
// documentation describes.
func TestFolderMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, dir string
		want         bool
	}{
		{"*/*/*", "services/api/v1", true},
		{"*/*/*", "services/api", false},
		{"/", "services", true},
		{"/", "services/api", false},
		{"services/", "services/api", true},
		{"services", "services/api", true},
		{"services/", "services", false},
		{"services/", "services/api/v1", false},
		{"apps/**", "apps/a/b", true},
	}
	for _, tc := range tests {
		if got := folderMatch(tc.pattern, tc.dir); got != tc.want {
			t.Errorf("folderMatch(%q, %q) = %v, want %v", tc.pattern, tc.dir, got, tc.want)
		}
	}
}

// The mapping's top-level search ({group, project}, Port's GitLab docs)
// scopes the group and project listings, and every kind built on them.
func TestSearchScope(t *testing.T) {
	t.Parallel()
	cfg := map[string]any{"search": map[string]any{"group": "backend", "project": "web"}}
	tests := []struct {
		kind, key string
		want      []string
	}{
		{"group", "full_path", []string{"acme/backend"}},
		{"member", "username", []string{"asmith", "jdoe"}},
		{"merge-request", "id", []string{"33445566"}},
		{"project", "path_with_namespace", []string{"acme/frontend/web-app"}},
		{"pipeline", "id", []string{"1500012348"}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 4)
			var got []map[string]any
			err := e.src.Resync(context.Background(), integrations.Request{Kind: tc.kind, Config: cfg}, func(page []integrations.Item) error {
				for _, it := range page {
					got = append(got, it)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, field(got, tc.key)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
	bad := []struct {
		search  any
		wantErr string
	}{
		{"backend", "search: want an object {group, project}"},
		{map[string]any{"team": "x"}, "search.team: unknown key"},
		{map[string]any{"group": 3.0}, "search.group: want a string"},
	}
	e := newEnv(t, 4)
	for _, tc := range bad {
		err := e.src.ValidateRequest(integrations.Request{Kind: "group", Config: map[string]any{"search": tc.search}})
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("search %v: err = %v, want %q", tc.search, err, tc.wantErr)
		}
	}
}
