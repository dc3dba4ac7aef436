package custom

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const total = 25

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func slice(from, size int) []any {
	return records(min(from, total), min(from+size, total))
}

func TestPaginationTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		flags    []string
		selector string
		handler  func(base string) http.HandlerFunc
		wantReqs int
		ahead    int    // requests fetched ahead and dropped, beyond wantReqs
		wantLast string // query of the last request
	}{{
		name:  "none",
		flags: nil,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, records(0, total)) }
		},
		wantReqs: 1,
		wantLast: "",
	}, {
		name:  "offset, default params, ends on an empty page",
		flags: []string{"custom-pagination-type", "offset", "custom-page-size", "10"},
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				writeJSON(w, map[string]any{"data": slice(atoi(q.Get("offset"), -1), atoi(q.Get("limit"), 0)), "total": total})
			}
		},
		wantReqs: 4,
		wantLast: "limit=10&offset=25",
	}, {
		name:     "offset, renamed params per resource",
		selector: `{"pagination": {"type": "offset", "param": "skip", "size_param": "take", "page_size": 7}, "data_path": ".items"}`,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				writeJSON(w, map[string]any{"items": slice(atoi(q.Get("skip"), -1), atoi(q.Get("take"), 0))})
			}
		},
		// Three full pages: the listing runs ahead (skip=21, 28, 35);
		// skip=21 is short, so 28 and 35 are dropped and 25 asked.
		wantReqs: 5,
		ahead:    2,
		wantLast: "skip=25&take=7",
	}, {
		name:  "page from 0 with lastPagePath",
		flags: []string{"custom-pagination-type", "page", "custom-start-page", "0", "custom-page-size", "10", "custom-last-page-path", "meta.last"},
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				p, size := atoi(q.Get("page"), -1), atoi(q.Get("size"), 0)
				writeJSON(w, map[string]any{"results": slice(p*size, size), "meta": map[string]any{"last": (p+1)*size >= total}})
			}
		},
		wantReqs: 3,
		wantLast: "page=2&size=10",
	}, {
		name:     "page from 1, array body, empty page ends",
		selector: `{"pagination": {"type": "page", "param": "p", "size_param": "per_page", "page_size": 10}}`,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				p := atoi(q.Get("p"), -1)
				writeJSON(w, slice((p-1)*10, atoi(q.Get("per_page"), 0)))
			}
		},
		wantReqs: 4,
		wantLast: "p=4&per_page=10",
	}, {
		name:  "cursor at a dot path, ends on a null cursor",
		flags: []string{"custom-pagination-type", "cursor", "custom-cursor-path", "meta.next_cursor", "custom-page-size", "10"},
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				from := 0
				if c := r.URL.Query().Get("cursor"); c != "" {
					from = atoi(strings.TrimPrefix(c, "after-"), -100)
				}
				var next any
				if from+10 < total {
					next = fmt.Sprintf("after-%d", from+10)
				}
				writeJSON(w, map[string]any{"data": slice(from, 10), "meta": map[string]any{"next_cursor": next}})
			}
		},
		wantReqs: 3,
		wantLast: "cursor=after-20&limit=10",
	}, {
		name:     "cursor by JQ with hasMorePath",
		selector: `{"pagination": {"type": "cursor", "cursor_path": ".paging.after", "param": "starting_after", "has_more_path": "has_more", "page_size": 0}}`,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				from := 0
				if c := r.URL.Query().Get("starting_after"); c != "" {
					from = atoi(c, -100)
				}
				// The API always sends a cursor; has_more says when to stop.
				writeJSON(w, map[string]any{"data": slice(from, 10), "has_more": from+10 < total, "paging": map[string]any{"after": strconv.Itoa(from + 10)}})
			}
		},
		wantReqs: 3,
		wantLast: "starting_after=20",
	}, {
		name:  "cursor without a path: found in a usual place (Slack's)",
		flags: []string{"custom-pagination-type", "cursor", "custom-page-size", "10"},
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				from := atoi(r.URL.Query().Get("cursor"), 0)
				next := ""
				if from+10 < total {
					next = strconv.Itoa(from + 10)
				}
				writeJSON(w, map[string]any{"ok": true, "members": slice(from, 10), "response_metadata": map[string]any{"next_cursor": next}})
			}
		},
		wantReqs: 3,
		wantLast: "cursor=20&limit=10",
	}, {
		name:  "next_link @odata.nextLink, absolute",
		flags: []string{"custom-pagination-type", "next_link"},
		handler: func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				skip := atoi(r.URL.Query().Get("$skiptoken"), 0)
				body := map[string]any{"@odata.context": base + "/$metadata#items", "value": slice(skip, 10)}
				if skip+10 < total {
					body["@odata.nextLink"] = fmt.Sprintf("%s/items?$skiptoken=%d", base, skip+10)
				}
				writeJSON(w, body)
			}
		},
		wantReqs: 3,
		wantLast: "$skiptoken=20",
	}, {
		name:     "next_link links.next, relative",
		selector: `{"pagination": {"type": "next_link", "next_link_path": "links.next"}, "data_path": ".data"}`,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				from := atoi(r.URL.Query().Get("page[after]"), 0)
				body := map[string]any{"data": slice(from, 10), "links": map[string]any{"next": nil}}
				if from+10 < total {
					body["links"] = map[string]any{"next": fmt.Sprintf("/items?page[after]=%d", from+10)}
				}
				writeJSON(w, body)
			}
		},
		wantReqs: 3,
		wantLast: "page[after]=20",
	}, {
		name:  "header_link, several rels in one header",
		flags: []string{"custom-pagination-type", "header_link", "custom-page-size", "10", "custom-size-param", "per_page"},
		handler: func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				p := atoi(r.URL.Query().Get("page"), 1)
				var links []string
				if p*10 < total {
					links = append(links, fmt.Sprintf(`<%s/items?page=%d&per_page=10&fields=a,b>; rel="next"`, base, p+1))
				}
				links = append(links, fmt.Sprintf(`<%s/items?page=3&per_page=10>; rel="last"`, base), fmt.Sprintf(`<%s/items?page=1>; rel="first prev"`, base))
				w.Header().Set("Link", strings.Join(links, ", "))
				writeJSON(w, slice((p-1)*10, 10))
			}
		},
		wantReqs: 3,
		wantLast: "fields=a%2Cb&page=3&per_page=10",
	}, {
		name:     "header_link with a custom rel",
		selector: `{"pagination": {"type": "header_link", "link_rel": "next-page"}}`,
		handler: func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				p := atoi(r.URL.Query().Get("pg"), 1)
				w.Header().Add("Link", fmt.Sprintf(`<%s/items?pg=1>; rel=next`, base)) // a decoy
				if p*10 < total {
					w.Header().Add("Link", fmt.Sprintf(`<%s/items?pg=%d>; rel="next-page"`, base, p+1))
				}
				writeJSON(w, slice((p-1)*10, 10))
			}
		},
		wantReqs: 3,
		wantLast: "pg=3",
	}, {
		name:     "offset in the body of a POST search",
		selector: `{"method": "POST", "body": {"filter": {"status": "active"}}, "pagination": {"type": "offset", "param": "startAt", "size_param": "maxResults", "page_size": 10, "in": "body"}, "data_path": ".issues"}`,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				var b struct {
					StartAt    *int           `json:"startAt"`
					MaxResults int            `json:"maxResults"`
					Filter     map[string]any `json:"filter"`
				}
				if r.Method != http.MethodPost || decode(r, &b) != nil || b.StartAt == nil || b.Filter["status"] != "active" {
					http.Error(w, `{"error":"bad search"}`, http.StatusBadRequest)
					return
				}
				writeJSON(w, map[string]any{"issues": slice(*b.StartAt, b.MaxResults), "total": total})
			}
		},
		wantReqs: 4,
		wantLast: "",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var api *fakeAPI
			api = newAPI(t, func(w http.ResponseWriter, r *http.Request) { tc.handler(api.URL)(w, r) })
			h := newSource(t, api.URL, tc.flags...)
			var sel map[string]any
			if tc.selector != "" {
				sel = obj(t, tc.selector)
			}
			got, err := h.resync("/items", sel)
			if err != nil {
				t.Fatalf("Resync: %v\nlogs:\n%s", err, h.logs)
			}
			if diff := cmp.Diff(wantIDs(total), ids(got)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			reqs := api.requests()
			// How many requests ahead go out before the short page is
			// read depends on scheduling: at least the pages the listing
			// needs, at most ahead more.
			if len(reqs) < tc.wantReqs || len(reqs) > tc.wantReqs+tc.ahead {
				t.Errorf("requests = %d, want %d to %d (up to %d fetched ahead and dropped): %+v", len(reqs), tc.wantReqs, tc.wantReqs+tc.ahead, tc.ahead, reqs)
			}
			last := reqs[len(reqs)-1].Query
			if tc.ahead > 0 {
				// Requests fetched ahead may arrive after the last one read.
				for _, r := range reqs {
					if r.Query == tc.wantLast {
						last = r.Query
					}
				}
			}
			if last != tc.wantLast {
				t.Errorf("last query = %q, want %q", last, tc.wantLast)
			}
		})
	}
}

func TestPaginationLoopsAreErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		selector string
		handler  func(base string) http.HandlerFunc
	}{{
		name:     "cursor repeats",
		selector: `{"pagination": {"type": "cursor", "cursor_path": "next"}}`,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				next := map[string]string{"": "A", "A": "B", "B": "A"}[r.URL.Query().Get("cursor")]
				writeJSON(w, map[string]any{"data": records(0, 2), "next": next})
			}
		},
	}, {
		name:     "next link points at itself",
		selector: `{"pagination": {"type": "next_link", "next_link_path": "next"}}`,
		handler: func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, map[string]any{"data": records(0, 2), "next": base + "/items?page=2"})
			}
		},
	}, {
		name:     "offset ignored by the API",
		selector: `{"pagination": {"type": "offset"}}`,
		handler: func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, records(0, 3)) }
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var api *fakeAPI
			api = newAPI(t, func(w http.ResponseWriter, r *http.Request) { tc.handler(api.URL)(w, r) })
			h := newSource(t, api.URL)
			_, err := h.resync("/items", obj(t, tc.selector))
			if !errors.Is(err, ErrPageLoop) {
				t.Fatalf("err = %v, want ErrPageLoop", err)
			}
			if n := len(api.requests()); n > 4 {
				t.Errorf("%d requests before the loop was caught", n)
			}
		})
	}
}

// A page cap reached is an incomplete listing, not a shorter one: the
// engine would delete what was not listed.
func TestMaxPagesIsIncomplete(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, slice((atoi(r.URL.Query().Get("page"), 1)-1)*10, 10))
	})
	h := newSource(t, api.URL)
	_, err := h.resync("/items", obj(t, `{"pagination": {"type": "page", "page_size": 10, "max_pages": 2}}`))
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "max_pages 2") {
		t.Fatalf("err = %v, want an incomplete listing naming max_pages", err)
	}
	if n := len(api.requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

// An answer that says more pages exist, fetched without pagination, is an
// incomplete listing whose error names the setting to add; so is an empty
// body.
func TestUnpaginatedAnswerWithMorePages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header map[string]string
		body   string
		want   string
	}{
		{"has_more", nil, `{"data":[{"id":1}],"has_more":true}`, "has_more: true"},
		{"hasMore", nil, `{"data":[{"id":1}],"hasMore":true}`, "hasMore: true"},
		{"more", nil, `{"data":[{"id":1}],"more":true}`, "more: true"},
		{"next cursor", nil, `{"data":[{"id":1}],"next_cursor":"abc"}`, "next_cursor is set"},
		{"nextPageToken", nil, `{"data":[{"id":1}],"nextPageToken":"t2"}`, "nextPageToken is set"},
		{"Link header", map[string]string{"Link": `</items?page=2>; rel="next"`}, `[{"id":1}]`, `Link rel="next"`},
		{"empty body", nil, ``, "empty body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				io.WriteString(w, tc.body)
			})
			h := newSource(t, api.URL)
			_, err := h.resync("/items", nil)
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want an incomplete listing saying %q", err, tc.want)
			}
			if tc.body != "" && !strings.Contains(err.Error(), "set pagination") {
				t.Fatalf("err = %v does not name the setting to add", err)
			}
		})
	}
	// The last page of a paginated listing saying has_more: false is fine.
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":1}],"has_more":false}`)
	})
	if _, err := newSource(t, api.URL).resync("/items", nil); err != nil {
		t.Fatal(err)
	}
}

func TestMappingLevelPaginationDefault(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		writeJSON(w, map[string]any{"rows": slice(atoi(q.Get("start"), -1), 10)})
	})
	h := newSource(t, api.URL, "custom-pagination-type", "page")
	cfg := map[string]any{"pagination": map[string]any{"type": "offset", "param": "start", "pageSize": 10}}
	got, err := h.resyncCfg("/items", nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantIDs(total), ids(got)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

func TestLinkHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []string
		rel  string
		want string
	}{
		{[]string{`<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"`}, "next", "https://a/x?page=2"},
		{[]string{`<https://a/x?page=9>; rel="last"`, `<https://a/x?q=a,b>; rel="next"`}, "next", "https://a/x?q=a,b"},
		{[]string{`<https://a/1>; title="a, b"; rel="prev next"`}, "next", "https://a/1"},
		{[]string{`<https://a/1>; REL=Next`}, "next", "https://a/1"},
		{[]string{`<https://a/1>; rel="last"`}, "next", ""},
		{[]string{`garbage`}, "next", ""},
		{nil, "next", ""},
	}
	for _, tc := range tests {
		if got := linkHeader(tc.in, tc.rel); got != tc.want {
			t.Errorf("linkHeader(%q, %q) = %q, want %q", tc.in, tc.rel, got, tc.want)
		}
	}
}

func TestCursorWithoutPathOrGuessIsAnError(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"data": records(0, 3), "after": "x"})
	})
	h := newSource(t, api.URL, "custom-pagination-type", "cursor")
	_, err := h.resync("/items", nil)
	if err == nil || !strings.Contains(err.Error(), "set --custom-cursor-path") {
		t.Fatalf("err = %v", err)
	}
}

// A wrong path must never end paging early: that would drop the later pages
// and delete their entities.
func TestWrongPathsDoNotTruncate(t *testing.T) {
	t.Parallel()
	t.Run("has_more_path absent: paging goes on", func(t *testing.T) {
		t.Parallel()
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			from := atoi(r.URL.Query().Get("offset"), 0)
			writeJSON(w, map[string]any{"data": slice(from, 10), "has_more": from+10 < total})
		})
		h := newSource(t, api.URL)
		got, err := h.resync("/items", obj(t, `{"pagination": {"type": "offset", "page_size": 10, "has_more_path": "hasMore"}}`))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantIDs(total), ids(got)); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if !strings.Contains(h.logs.String(), "has_more_path not in the response") {
			t.Errorf("no warning:\n%s", h.logs)
		}
	})
	t.Run("cursor_path absent on a full first page: an error", func(t *testing.T) {
		t.Parallel()
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"data": slice(0, 10), "meta": map[string]any{"next_cursor": "x"}})
		})
		h := newSource(t, api.URL)
		_, err := h.resync("/items", obj(t, `{"pagination": {"type": "cursor", "page_size": 10, "cursor_path": "meta.nextCursor"}}`))
		if err == nil || !strings.Contains(err.Error(), `cursor_path "meta.nextCursor" is not in the response`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cursor_path absent on a short page: the end", func(t *testing.T) {
		t.Parallel()
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"data": slice(0, 4)})
		})
		h := newSource(t, api.URL)
		got, err := h.resync("/items", obj(t, `{"pagination": {"type": "cursor", "page_size": 10, "cursor_path": "meta.next"}}`))
		if err != nil || len(got) != 4 {
			t.Fatalf("got %d, err %v", len(got), err)
		}
	})
}
