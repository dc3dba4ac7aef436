package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// An empty page with a Link rel="next" is not the end of a REST listing:
// the next page is asked for; a second empty page in a row that still links
// on is an incomplete listing, never a short one.
func TestEmptyPageWithNextLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pages   []string // page n's JSON body; every page but the last links to the next
		want    []string
		wantErr bool
	}{
		{
			name:  "an empty page in the middle is followed",
			pages: []string{`[{"name":"a"},{"name":"b"}]`, `[]`, `[{"name":"c"}]`},
			want:  []string{"a", "b", "c"},
		},
		{
			name:  "an empty first page with a next link is followed",
			pages: []string{`[]`, `[{"name":"a"}]`},
			want:  []string{"a"},
		},
		{
			name:  "an empty last page ends",
			pages: []string{`[{"name":"a"}]`, `[]`},
			want:  []string{"a"},
		},
		{
			name:    "two empty pages in a row with next links are incomplete",
			pages:   []string{`[{"name":"a"}]`, `[]`, `[]`, `[{"name":"b"}]`},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := 1
				if p := r.URL.Query().Get("page"); p != "" {
					fmt.Sscan(p, &n)
				}
				if n < 1 || n > len(tt.pages) {
					http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
					return
				}
				if n < len(tt.pages) {
					w.Header().Set("Link", fmt.Sprintf(`<%s%s?per_page=100&page=%d>; rel="next"`, srv.URL, r.URL.Path, n+1))
				}
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tt.pages[n-1])
			}))
			t.Cleanup(srv.Close)
			src, err := NewSource(Config{Host: srv.URL, Token: testToken, Organization: "acme-corp"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = src.c.list(context.Background(), src.pat, "/orgs/acme-corp/repos", nil, listOpts{}, func(items []map[string]any) (bool, error) {
				for _, it := range items {
					got = append(got, fmt.Sprint(it["name"]))
				}
				return true, nil
			})
			if tt.wantErr {
				if !errors.Is(err, integrations.ErrIncomplete) || !strings.Contains(err.Error(), "/orgs/acme-corp/repos") {
					t.Fatalf("err = %v, want ErrIncomplete naming the path", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}
