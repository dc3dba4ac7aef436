package custom

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A page whose answer says more pages follow never ends a listing
// cleanly: cursor and link pagination follow its cursor or next link
// (bounded), page and offset pagination fail as incomplete naming the
// setting. An empty page that says nothing more, or says it is the last,
// still ends the listing.
func TestEmptyPageSayingMore(t *testing.T) {
	t.Parallel()
	// pages serves answers by the value of the query parameter param
	// ("" for the first request).
	pages := func(param string, answers map[string]any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			a, ok := answers[r.URL.Query().Get(param)]
			if !ok {
				http.Error(w, "unexpected page "+r.URL.RawQuery, http.StatusBadRequest)
				return
			}
			writeJSON(w, a)
		}
	}
	tests := []struct {
		name     string
		selector string
		handler  http.HandlerFunc
		wantIDs  []string
		wantErr  string // in an ErrIncomplete error; "" for a complete listing
	}{{
		name:     "cursor: an empty page with a cursor is followed",
		selector: `{"pagination": {"type": "cursor", "cursor_path": "next_cursor", "page_size": 3}, "data_path": ".items"}`,
		handler: pages("cursor", map[string]any{
			"":  map[string]any{"items": records(0, 3), "next_cursor": "a"},
			"a": map[string]any{"items": []any{}, "next_cursor": "b"},
			"b": map[string]any{"items": records(3, 5), "next_cursor": nil},
		}),
		wantIDs: wantIDs(5),
	}, {
		name:     "cursor guessed: an empty first page with a cursor is followed",
		selector: `{"pagination": {"type": "cursor"}, "data_path": ".items"}`,
		handler: pages("cursor", map[string]any{
			"":  map[string]any{"items": []any{}, "next_cursor": "x"},
			"x": map[string]any{"items": records(0, 2), "next_cursor": nil},
		}),
		wantIDs: wantIDs(2),
	}, {
		name:     "cursor: empty pages pointing on forever are incomplete",
		selector: `{"pagination": {"type": "cursor", "cursor_path": "next_cursor"}, "data_path": ".items"}`,
		handler: pages("cursor", map[string]any{
			"":  map[string]any{"items": records(0, 2), "next_cursor": "a"},
			"a": map[string]any{"items": []any{}, "next_cursor": "b"},
			"b": map[string]any{"items": []any{}, "next_cursor": "c"},
			"c": map[string]any{"items": []any{}, "next_cursor": "d"},
			"d": map[string]any{"items": []any{}, "next_cursor": "e"},
			"e": map[string]any{"items": []any{}, "next_cursor": "f"},
		}),
		wantErr: "empty pages in a row",
	}, {
		name:     "cursor: an empty page saying has_more without a cursor is incomplete",
		selector: `{"pagination": {"type": "cursor", "cursor_path": "next_cursor", "has_more_path": "has_more"}, "data_path": ".items"}`,
		handler: pages("cursor", map[string]any{
			"":  map[string]any{"items": records(0, 2), "next_cursor": "a", "has_more": true},
			"a": map[string]any{"items": []any{}, "next_cursor": nil, "has_more": true},
		}),
		wantErr: `has_more_path "has_more"`,
	}, {
		name:     "cursor: a page with items saying has_more without a cursor is incomplete",
		selector: `{"pagination": {"type": "cursor", "cursor_path": "next_cursor", "has_more_path": "has_more"}, "data_path": ".items"}`,
		handler: pages("cursor", map[string]any{
			"":  map[string]any{"items": records(0, 2), "next_cursor": "a", "has_more": true},
			"a": map[string]any{"items": records(2, 4), "next_cursor": nil, "has_more": true},
		}),
		wantErr: `says more pages follow (has_more_path "has_more" is true)`,
	}, {
		name:     "cursor: a page with items, has_more false and no cursor ends",
		selector: `{"pagination": {"type": "cursor", "cursor_path": "next_cursor", "has_more_path": "has_more"}, "data_path": ".items"}`,
		handler: pages("cursor", map[string]any{
			"":  map[string]any{"items": records(0, 2), "next_cursor": "a", "has_more": true},
			"a": map[string]any{"items": records(2, 4), "next_cursor": nil, "has_more": false},
		}),
		wantIDs: wantIDs(4),
	}, {
		name:     "cursor: an empty page with has_more false ends",
		selector: `{"pagination": {"type": "cursor", "cursor_path": "next_cursor", "has_more_path": "has_more"}, "data_path": ".items"}`,
		handler: pages("cursor", map[string]any{
			"":  map[string]any{"items": records(0, 2), "next_cursor": "a", "has_more": true},
			"a": map[string]any{"items": []any{}, "next_cursor": "b", "has_more": false},
		}),
		wantIDs: wantIDs(2),
	}, {
		name:     "next_link: an empty page with a next link is followed",
		selector: `{"pagination": {"type": "next_link", "next_link_path": "next"}, "data_path": ".items"}`,
		handler: pages("after", map[string]any{
			"":  map[string]any{"items": records(0, 2), "next": "/items?after=1"},
			"1": map[string]any{"items": []any{}, "next": "/items?after=2"},
			"2": map[string]any{"items": records(2, 4), "next": nil},
		}),
		wantIDs: wantIDs(4),
	}, {
		name:     "offset: an empty page with has_more true is incomplete",
		selector: `{"pagination": {"type": "offset", "page_size": 2, "has_more_path": "has_more"}, "data_path": ".items"}`,
		handler: pages("offset", map[string]any{
			"0": map[string]any{"items": records(0, 2), "has_more": true},
			"2": map[string]any{"items": []any{}, "has_more": true},
		}),
		wantErr: `has_more_path "has_more"`,
	}, {
		name:     "offset: an empty page with has_more false ends",
		selector: `{"pagination": {"type": "offset", "page_size": 2, "has_more_path": "has_more"}, "data_path": ".items"}`,
		handler: pages("offset", map[string]any{
			"0": map[string]any{"items": records(0, 2), "has_more": true},
			"2": map[string]any{"items": []any{}, "has_more": false},
		}),
		wantIDs: wantIDs(2),
	}, {
		name:     "page: an empty page with last_page_path false is incomplete",
		selector: `{"pagination": {"type": "page", "page_size": 2, "last_page_path": "meta.last"}, "data_path": ".items"}`,
		handler: pages("page", map[string]any{
			"1": map[string]any{"items": records(0, 2), "meta": map[string]any{"last": false}},
			"2": map[string]any{"items": []any{}, "meta": map[string]any{"last": false}},
		}),
		wantErr: `last_page_path "meta.last"`,
	}, {
		name:     "page: an empty page with nothing said ends",
		selector: `{"pagination": {"type": "page", "page_size": 2, "last_page_path": "meta.last"}, "data_path": ".items"}`,
		handler: pages("page", map[string]any{
			"1": map[string]any{"items": records(0, 2), "meta": map[string]any{"last": false}},
			"2": map[string]any{"items": []any{}},
		}),
		wantIDs: wantIDs(2),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, tt.handler)
			h := newSource(t, api.URL)
			got, err := h.resync("/items", obj(t, tt.selector))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrIncomplete naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantIDs, ids(got)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}
