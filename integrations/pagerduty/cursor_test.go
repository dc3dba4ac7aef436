package pagerduty

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// auditPage is one answer of PagerDuty's cursor-paginated GET /audit/records
// ({records, limit, next_cursor}, no "more"): next is the next_cursor, "" for null.
func auditPage(ids []string, next string) string {
	recs := make([]string, len(ids))
	for i, id := range ids {
		recs[i] = fmt.Sprintf(`{"id":%q,"action":"update","execution_time":"2025-06-30T10:00:00.000Z"}`, id)
	}
	nc := "null"
	if next != "" {
		nc = fmt.Sprintf("%q", next)
	}
	return fmt.Sprintf(`{"records":[%s],"limit":100,"next_cursor":%s,"response_metadata":null}`, strings.Join(recs, ","), nc)
}

// A cursor-paginated collection follows next_cursor (the cursor query
// parameter) until it is null; a cursor that cannot be followed is an
// incomplete listing naming the kind, never a short one.
func TestCursorPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pages   map[string]string // cursor ("" for the first page) -> answer
		wantIDs []string
		wantErr string
	}{
		{
			name: "follows next_cursor to null",
			pages: map[string]string{
				"":   auditPage([]string{"R1", "R2"}, "c2"),
				"c2": auditPage([]string{"R3"}, "c3"),
				"c3": auditPage([]string{"R4"}, ""),
			},
			wantIDs: []string{"R1", "R2", "R3", "R4"},
		},
		{
			name: "an empty page with a cursor is followed once",
			pages: map[string]string{
				"":   auditPage([]string{"R1"}, "c2"),
				"c2": auditPage(nil, "c3"),
				"c3": auditPage([]string{"R2"}, ""),
			},
			wantIDs: []string{"R1", "R2"},
		},
		{
			name: "a repeated cursor is incomplete",
			pages: map[string]string{
				"":   auditPage([]string{"R1"}, "c2"),
				"c2": auditPage([]string{"R2"}, "c2"),
			},
			wantErr: "next_cursor repeats",
		},
		{
			name: "consecutive empty pages with a cursor are incomplete",
			pages: map[string]string{
				"":   auditPage([]string{"R1"}, "c2"),
				"c2": auditPage(nil, "c3"),
				"c3": auditPage(nil, "c4"),
			},
			wantErr: "consecutive empty pages",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var offsets []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/audit/records" {
					http.NotFound(w, r)
					return
				}
				mu.Lock()
				if r.URL.Query().Has("cursor") && r.URL.Query().Has("offset") {
					offsets = append(offsets, r.URL.RawQuery)
				}
				mu.Unlock()
				body, ok := tt.pages[r.URL.Query().Get("cursor")]
				if !ok {
					http.Error(w, `{"error":{"message":"unknown cursor"}}`, http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			}))
			t.Cleanup(srv.Close)
			src, err := NewSource(Config{APIURL: srv.URL, Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = src.Resync(t.Context(), integrations.Request{Kind: "audit/records"}, func(p []integrations.Item) error {
				got = append(got, idsOfItems(p)...)
				return nil
			})
			if tt.wantErr != "" {
				if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "audit/records") {
					t.Fatalf("err = %v, want ErrIncomplete naming audit/records and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantIDs, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(offsets) > 0 {
				t.Errorf("cursor requests also sent offset: %v", offsets)
			}
		})
	}
}

// Raw incident analytics saying more rows exist without a new "last" to
// start after is an incomplete enrichment: an error, not a silent stop.
func TestIncidentAnalyticsMoreWithoutLast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		last string
	}{
		{"empty last", ""},
		{"last repeats starting_after", "A1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.URL.Path {
				case "/incidents":
					fmt.Fprint(w, `{"incidents":[{"id":"Q1","service":{"id":"PS1","type":"service_reference"}}],"limit":100,"offset":0,"more":false}`)
				case "/analytics/raw/incidents":
					var body map[string]any
					if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
						http.Error(w, err.Error(), http.StatusBadRequest)
						return
					}
					last := "A1"
					if body["starting_after"] != nil {
						last = tt.last
					} else if tt.last == "" {
						last = ""
					}
					fmt.Fprintf(w, `{"data":[{"id":"Q1","seconds_to_resolve":60}],"more":true,"last":%q,"limit":100}`, last)
				default:
					http.NotFound(w, r)
				}
			}))
			t.Cleanup(srv.Close)
			src, err := NewSource(Config{APIURL: srv.URL, Token: testToken})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			err = src.Resync(t.Context(), integrations.Request{Kind: "incidents", Selector: map[string]any{"incidentAnalytics": true}},
				func(p []integrations.Item) error { n += len(p); return nil })
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "analytics") {
				t.Fatalf("err = %v, want ErrIncomplete naming the analytics", err)
			}
			if n != 0 {
				t.Errorf("emitted %d incidents with a partial enrichment", n)
			}
		})
	}
}
