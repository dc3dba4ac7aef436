package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/github/githubtest"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// tide map --live --limit N reads N items from the vendor, maps them and
// prints the entities; it needs no Port, and with Port at hand it only
// reads blueprints. GitHub hands each page of repositories on as it is
// listed and enriched, so only the repositories read are enriched (here:
// their README and CODEOWNERS); how many listing pages go out before the
// limit stops the listing depends on scheduling (the listing never waits
// for the reader, as other blocks of a run share it), so the pages the
// limit saves are TestMapLiveStopsPaging's.
func TestMapLiveGitHub(t *testing.T) {
	t.Parallel()
	fix, err := githubtest.LoadFixtures("integrations/github/testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		limit     string
		withPort  bool
		wantItems []string
	}{
		{"two of four, no Port", "2", false, []string{"payments-api", "web-app"}},
		{"one, Port read only", "1", true, []string{"payments-api"}},
		{"more than there are", "10", false, []string{"payments-api", "web-app", "ledger", "docs"}},
	}
	contents := regexp.MustCompile(`^GET /repos/acme-corp/([^/]+)/contents/`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := githubtest.New(fix, githubtest.Options{Token: ghToken, MaxPerPage: 1})
			ghSrv := httptest.NewServer(gh)
			defer ghSrv.Close()
			env := map[string]string{"GITHUB_TOKEN": ghToken}
			var port *porttest.Server
			if tt.withPort {
				port = porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
				portSrv := httptest.NewServer(port)
				defer portSrv.Close()
				env["PORT_CLIENT_ID"], env["PORT_CLIENT_SECRET"], env["PORT_BASE_URL"] = testClientID, testClientSecret, portSrv.URL
			}
			code, out, errOut := runArgs(t, env, "map", "--integration", "github", "--github-host", ghSrv.URL,
				"--github-organization", "acme-corp", "--kind", "repository", "--live", "--limit", tt.limit)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			if strings.Contains(out+errOut, ghToken) || strings.Contains(out+errOut, testClientSecret) {
				t.Error("the output shows a secret")
			}
			var got []string
			for _, m := range regexp.MustCompile(`(?m)^item \d+ \(full_name acme-corp\/(\S+)\):$`).FindAllStringSubmatch(out, -1) {
				got = append(got, m[1])
			}
			if diff := cmp.Diff(tt.wantItems, got); diff != "" {
				t.Errorf("items (-want +got):\n%s\n%s", diff, out)
			}
			if n := strings.Count(out, "entity:\n"); n != len(tt.wantItems) {
				t.Errorf("%d entities printed, want %d:\n%s", n, len(tt.wantItems), out)
			}
			enriched := []string{}
			for route := range gh.Counts() {
				if m := contents.FindStringSubmatch(route); m != nil && !slices.Contains(enriched, m[1]) {
					enriched = append(enriched, m[1])
				}
			}
			want := slices.Clone(tt.wantItems)
			slices.Sort(want)
			slices.Sort(enriched)
			if diff := cmp.Diff(want, enriched); diff != "" {
				t.Errorf("repositories enriched (-want +got): only those read are:\n%s", diff)
			}
			if port != nil {
				for route := range port.Counts() {
					if route != porttest.RouteToken && route != porttest.RouteBlueprintGet {
						t.Errorf("map sent %s to Port; it may only read blueprints (requests: %v)", route, port.Counts())
					}
				}
				if port.Count(porttest.RouteBlueprintGet) == 0 {
					t.Errorf("map did not read the blueprints from Port: %v", port.Counts())
				}
			}
		})
	}
}

// pageAPI is a REST API paging /services by ?page=N&size=M (an empty page
// ends it), recording the pages asked for.
type pageAPI struct {
	items []map[string]any
	mu    gosync.Mutex
	pages []int
}

func (a *pageAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/services" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	if page < 1 || size < 1 {
		http.Error(w, "page and size required", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.pages = append(a.pages, page)
	a.mu.Unlock()
	from, to := min((page-1)*size, len(a.items)), min(page*size, len(a.items))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(a.items[from:to])
}

func (a *pageAPI) asked() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.pages)
}

// --live --limit N stops the listing at the page holding the Nth item;
// items the selector drops count (they are shown as dropped).
func TestMapLiveStopsPaging(t *testing.T) {
	t.Parallel()
	var items []map[string]any
	for i := 1; i <= 9; i++ {
		items = append(items, map[string]any{"id": fmt.Sprintf("svc-%d", i), "name": fmt.Sprintf("Service %d", i), "tier": i % 3, "active": i != 2})
	}
	tests := []struct {
		limit     string
		wantPages []int
		wantItems int
	}{
		{"1", []int{1}, 1},
		{"3", []int{1, 2}, 3},
		{"4", []int{1, 2}, 4},
		// Every page up to the empty sixth that ends the listing; past three
		// full pages the custom integration reads up to three pages ahead,
		// which it drops once the listing ended: only the first six pages
		// asked for are held here.
		{"20", []int{1, 2, 3, 4, 5, 6}, 9},
	}
	for _, tt := range tests {
		t.Run("limit "+tt.limit, func(t *testing.T) {
			t.Parallel()
			api := &pageAPI{items: items}
			srv := httptest.NewServer(api)
			defer srv.Close()
			code, out, errOut := runArgs(t, nil, "map", "--integration", "custom", "--custom-base-url", srv.URL,
				"--custom-pagination-type", "page", "--custom-page-size", "2", "--custom-api-token", goldenSecret,
				"--mapping", filepath.Join("testdata", "tools", "custom-live.yml"), "--live", "--limit", tt.limit)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			if strings.Contains(out+errOut, goldenSecret) {
				t.Error("the output shows the token")
			}
			asked := api.asked()
			if len(tt.wantPages) >= 3 {
				slices.Sort(asked)
				asked = asked[:min(len(asked), len(tt.wantPages))]
			} else if len(asked) == len(tt.wantPages)+1 && asked[len(asked)-1] == len(tt.wantPages)+1 {
				// The next page's request goes out before a page is handed
				// on (fetching overlaps mapping): it may reach the API
				// before the reader's stop cancels it. No other page may.
				asked = asked[:len(tt.wantPages)]
			}
			if diff := cmp.Diff(tt.wantPages, asked); diff != "" {
				t.Errorf("pages asked for (-want +got):\n%s", diff)
			}
			want := fmt.Sprintf("%d item(s): %d entit(ies) made, %d dropped by a selector, 0 problem(s)", tt.wantItems, tt.wantItems-min(tt.wantItems/2, 1), min(tt.wantItems/2, 1))
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
			if !strings.Contains(out, `"identifier": "svc-1"`) || !strings.Contains(out, `"tier": 1`) {
				t.Errorf("the first entity is not printed:\n%s", out)
			}
		})
	}
}
