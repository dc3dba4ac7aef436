package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/github/githubtest"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// Partial listings, refused credentials and echoed tokens, end to end
// through run(...) against the vendors' fakes: a listing that is not
// whole fails its block (exit 1) or, capped on purpose, blocks its
// blueprint's pruning (exit 3); either way nothing is deleted.

// deletes counts the delete requests Port received.
func deletes(fake *porttest.Server) int {
	return fake.Count(porttest.RouteBulkDelete) + fake.Count(porttest.RouteEntityDelete)
}

// writeMapping writes a mapping file and returns its path.
func writeMapping(t testing.TB, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cappedServices is customMapping with the services listed in pages of 10
// and a cap of two pages; extra goes into the services' selector.
func cappedServices(extra string) string {
	return `
resources:
  - kind: /api/v1/teams
    selector:
      query: "true"
    port:
      entity:
        mappings:
          identifier: .slug
          title: .slug
          blueprint: '"registryTeam"'
  - kind: /api/v1/services
    selector:
      query: "true"` + extra + `
      pagination:
        type: cursor
        cursor_path: meta.next
        page_size: 10
        max_pages: 2
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"registryService"'
          properties:
            tier: .tier
`
}

// custom: max_pages reached with more pages to read is an incomplete
// listing; with allow_partial it is deliberate, and the blueprint is not
// pruned.
func TestCustomPartialListings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		extra    string
		wantCode int
		want     string // in stdout and the summary
	}{
		{"max_pages reached fails the block", "", exitFailed, "stopped at max_pages 2 with more pages to read; raise pagination.max_pages or remove it"},
		{"allow_partial makes the cap deliberate", "\n      allow_partial: true", exitBlocked, "allow_partial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newCustomHarness(t, 30)
			code, out, errs, _ := h.sync()
			mustCode(t, code, exitOK, out, errs)
			h.fake.ResetCounts()
			code, out, errs, sum := h.sync("--mapping", writeMapping(t, cappedServices(tt.extra)))
			mustCode(t, code, tt.wantCode, out, errs)
			if n := deletes(h.fake); n != 0 {
				t.Fatalf("%d delete requests after a partial listing", n)
			}
			if n := len(h.fake.Entities("registryService")); n != 30 {
				t.Fatalf("Port holds %d services, want all 30 kept", n)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("stdout does not say %q:\n%s", tt.want, out)
			}
			b, _ := json.Marshal(sum)
			if !strings.Contains(string(b), tt.want) {
				t.Errorf("the summary does not say %q:\n%s", tt.want, b)
			}
			if tt.wantCode == exitBlocked {
				// 4 teams and the 20 listed services are synced, the other
				// 10 services kept.
				partial := 0
				for _, k := range sum.Deletion.Entities {
					if k.Reason == tsync.ReasonPartial && k.Blueprint == "registryService" {
						partial++
					}
				}
				if sum.Total.Fetched != 24 || sum.Deletion.Blocked != 10 || partial != 10 || sum.Deletion.State != tsync.DeletionBlocked || sum.Status != tsync.StatusBlocked {
					t.Errorf("fetched %d, deletion %+v, status %s; want 24 fetched, 10 services kept as partial-listing", sum.Total.Fetched, sum.Deletion, sum.Status)
				}
			}
		})
	}
}

// custom: a token the API refuses is exit 2 before anything is written,
// naming the flag to check.
func TestCustomRejectedTokenExits2(t *testing.T) {
	t.Parallel()
	h := newCustomHarness(t, 30)
	code, out, errs, _ := h.sync("--custom-api-token", "not-the-t0ken-wrong")
	mustCode(t, code, exitUsage, out, errs)
	if n := h.writes(); n != 0 {
		t.Fatalf("%d writes to Port after a refused token", n)
	}
	if n := h.fake.Count(porttest.RouteIntegrationCreate); n != 0 {
		t.Fatalf("the integration was created (%d)", n)
	}
	if !strings.Contains(errs, "--custom-api-token") || !strings.Contains(errs, "401") {
		t.Errorf("stderr does not name --custom-api-token and the 401:\n%s", errs)
	}
}

// custom: an API error that quotes the access token shows it nowhere:
// stdout, stderr, the summary, the markdown and the JUnit reports.
func TestCustomEchoedTokenInNoOutput(t *testing.T) {
	t.Parallel()
	h := newCustomHarness(t, 30)
	h.api.teamsCode.Store(http.StatusBadRequest)
	h.api.echo.Store(true)
	dir := t.TempDir()
	md, junit, sumFile := filepath.Join(dir, "summary.md"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.json")
	code, out, errs, _ := h.sync("--markdown-report", md, "--junit-report", junit, "--summary-file", sumFile, "--ci", "none")
	mustCode(t, code, exitFailed, out, errs)
	texts := map[string]string{"stdout": out, "stderr": errs}
	for name, p := range map[string]string{"markdown": md, "junit": junit, "summary": sumFile} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		texts[name] = string(b)
	}
	if !strings.Contains(texts["summary"], "request refused") {
		t.Fatalf("the summary does not carry the API's error:\n%s", texts["summary"])
	}
	for name, text := range texts {
		if strings.Contains(text, customToken) {
			t.Errorf("%s shows the token:\n%s", name, text)
		}
	}
}

// teamDirectory pages /teams (?page=, three teams a page, has_more) and
// answers /teams/{id}/members unpaginated.
type teamDirectory struct {
	teams atomic.Int32 // requests for /teams
}

func (d *teamDirectory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/teams" {
		d.teams.Add(1)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		var data []map[string]any
		for i := (page - 1) * 3; i < min(page*3, 7); i++ {
			data = append(data, map[string]any{"id": fmt.Sprintf("t%d", i)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "has_more": page*3 < 7})
		return
	}
	if team, ok := strings.CutPrefix(r.URL.Path, "/teams/"); ok {
		team = strings.TrimSuffix(team, "/members")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []map[string]any{{"login": team + "-lead"}}})
		return
	}
	http.NotFound(w, r)
}

// custom: a parent listing (path_parameters) without a pagination of its
// own pages as its endpoint does elsewhere in the mapping, so the members
// of every team are read, and /teams is fetched once for both blocks.
func TestCustomParentListingPagesAndIsFetchedOnce(t *testing.T) {
	t.Parallel()
	fake := porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	for _, bp := range []string{"dirTeam", "dirMember"} {
		if err := fake.AddBlueprint(map[string]any{"identifier": bp, "title": bp, "schema": map[string]any{"properties": map[string]any{}}}); err != nil {
			t.Fatal(err)
		}
	}
	portSrv := httptest.NewServer(fake)
	t.Cleanup(portSrv.Close)
	dir := &teamDirectory{}
	api := httptest.NewServer(dir)
	t.Cleanup(api.Close)
	mapping := writeMapping(t, `
resources:
  - kind: /teams
    selector:
      query: "true"
      data_path: .data
      pagination: {type: page, page_size: 3, has_more_path: has_more}
    port:
      entity:
        mappings: {identifier: .id, title: .id, blueprint: '"dirTeam"'}
  - kind: /teams/{team}/members
    selector:
      query: "true"
      data_path: .data
      path_parameters:
        team: {endpoint: /teams, data_path: .data, field: .id}
    port:
      entity:
        mappings: {identifier: .login, title: .login, blueprint: '"dirMember"'}
`)
	env := map[string]string{"TIDE_PORT_CLIENT_ID": testClientID, "TIDE_PORT_CLIENT_SECRET": testClientSecret}
	code, out, errs, _ := syncWithSummary(t, t.Context(), []string{"sync", "--integration", "custom", "--custom-base-url", api.URL,
		"--port-url", portSrv.URL, "--mapping", mapping}, env)
	mustCode(t, code, exitOK, out, errs)
	want := []string{"t0-lead", "t1-lead", "t2-lead", "t3-lead", "t4-lead", "t5-lead", "t6-lead"}
	if diff := cmp.Diff(want, ids(fake, "dirMember")); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if n := len(ids(fake, "dirTeam")); n != 7 {
		t.Errorf("%d teams, want 7", n)
	}
	if n := dir.teams.Load(); n != 3 {
		t.Errorf("/teams was asked %d times, want 3: its three pages, once for the run", n)
	}
}

// GitHub: partial listings fail their block with exit 1 and delete
// nothing.
func TestGitHubPartialListings(t *testing.T) {
	t.Parallel()
	mapping := `
resources:
  - kind: repository
    selector: {query: "true"}
    port:
      entity:
        mappings: {identifier: .name, title: .name, blueprint: '"githubRepository"'}
  - kind: file
    selector:
      query: "true"
      files: [{path: "**/port.yml"}]
    port:
      entity:
        mappings: {identifier: .repository.name + "/" + .__path, title: .__path, blueprint: '"ghFile"'}
`
	tests := []struct {
		name  string
		fault githubtest.Fault
		want  string
	}{
		{"a truncated git tree", githubtest.Fault{Path: "/repos/acme-corp/web-app/git/trees/main", Status: 200,
			Body: `{"sha":"abc","url":"x","truncated":true,"tree":[{"path":"port.yml","type":"blob"}]}`},
			"GitHub truncated the git tree of acme-corp/web-app"},
		{"a 404 in the middle of the repository listing", githubtest.Fault{Path: "/orgs/acme-corp/repos", Query: "page=2", Status: 404, Body: `{"message":"Not Found"}`},
			"answered 404 in the middle of the listing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newGHHarness(t)
			if err := h.port.AddBlueprint(map[string]any{"identifier": "ghFile", "title": "file", "schema": map[string]any{"properties": map[string]any{}}}); err != nil {
				t.Fatal(err)
			}
			mp := writeMapping(t, mapping)
			code, out, errs, _ := h.sync("--mapping", mp)
			mustCode(t, code, exitOK, out, errs)
			repos, files := ids(h.port, "githubRepository"), ids(h.port, "ghFile")
			if len(repos) != 4 || len(files) != 3 {
				t.Fatalf("first run: repos %v, files %v", repos, files)
			}
			h.gh.Fail(tt.fault)
			h.port.ResetCounts()
			code, out, errs, sum := h.sync("--mapping", mp)
			mustCode(t, code, exitFailed, out, errs)
			if n := deletes(h.port); n != 0 {
				t.Fatalf("%d delete requests after a partial listing", n)
			}
			if !cmp.Equal(ids(h.port, "githubRepository"), repos) || !cmp.Equal(ids(h.port, "ghFile"), files) {
				t.Fatalf("entities changed: repos %v, files %v", ids(h.port, "githubRepository"), ids(h.port, "ghFile"))
			}
			if !strings.Contains(out, tt.want) || sum.Deletion.State != tsync.DeletionSkipped {
				t.Errorf("stdout does not say %q, or deletion is %q:\n%s", tt.want, sum.Deletion.State, out)
			}
		})
	}
}

// GitHub: a 404 on something listed a moment before in the same run (a
// workflow's runs, a branch, a file the tree listed, a deployment's
// statuses, an environment's variables, the next state of a repository's
// pull requests) is a listing that changed under the run, not "the
// repository has none": the block fails (exit 1) and nothing is deleted.
func TestGitHub404OnWhatWasJustListed(t *testing.T) {
	t.Parallel()
	const pa = "/repos/acme-corp/payments-api"
	tests := []struct {
		kind, selector, identifier string
		fault                      githubtest.Fault
		want                       string
	}{
		{"workflow-run", "", ".__repository + \"-\" + (.id|tostring)",
			githubtest.Fault{Path: pa + "/actions/workflows/61234567/runs", Status: 404, Body: `{"message":"Not Found"}`},
			"workflow 61234567 runs: not found, though just listed"},
		{"pull-request", "states: [open, closed]", ".__repository + \"-\" + (.id|tostring)",
			githubtest.Fault{Path: pa + "/pulls", Query: "state=closed", Status: 404, Body: `{"message":"Not Found"}`},
			"closed pull requests: not found, though just listed"},
		{"branch", "detailed: true", ".__repository + \"-\" + .name",
			githubtest.Fault{Path: pa + "/branches/release", Status: 404, Body: `{"message":"Branch not found"}`},
			`branch "release": not found, though just listed`},
		{"file", `files: [{path: "**/port.yml"}]`, ".repository.name + \"/\" + .__path",
			githubtest.Fault{Path: pa + "/contents/services/worker/port.yml", Status: 404, Body: `{"message":"Not Found"}`},
			`file "services/worker/port.yml": not found, though just listed`},
		{"deployment-status", "", ".__repository + \"-\" + (.id|tostring)",
			githubtest.Fault{Path: pa + "/deployments/1000001/statuses", Status: 404, Body: `{"message":"Not Found"}`},
			"deployment 1000001 statuses: not found, though just listed"},
		{"environment", "includeVariables: true", ".__repository + \"-\" + .name",
			githubtest.Fault{Path: pa + "/environments/staging/variables", Status: 404, Body: `{"message":"Not Found"}`},
			`environment "staging" variables: not found, though just listed`},
	}
	for _, tt := range tests {
		if tt.selector != "" {
			tt.selector = ", " + tt.selector
		}
		t.Run(tt.kind, func(t *testing.T) {
			t.Parallel()
			h := newGHHarness(t)
			if err := h.port.AddBlueprint(map[string]any{"identifier": "ghItem", "title": "item", "schema": map[string]any{"properties": map[string]any{}}}); err != nil {
				t.Fatal(err)
			}
			mp := writeMapping(t, `
resources:
  - kind: `+tt.kind+`
    selector: {query: "true"`+tt.selector+`}
    port:
      entity:
        mappings: {identifier: '`+tt.identifier+`', title: '`+tt.identifier+`', blueprint: '"ghItem"'}
`)
			code, out, errs, _ := h.sync("--mapping", mp)
			mustCode(t, code, exitOK, out, errs)
			before := ids(h.port, "ghItem")
			if len(before) == 0 {
				t.Fatalf("the first run synced no %s", tt.kind)
			}
			h.gh.Fail(tt.fault)
			h.port.ResetCounts()
			code, out, errs, sum := h.sync("--mapping", mp)
			mustCode(t, code, exitFailed, out, errs)
			if n := deletes(h.port); n != 0 {
				t.Fatalf("%d delete requests after a 404 on what was just listed", n)
			}
			if diff := cmp.Diff(before, ids(h.port, "ghItem")); diff != "" {
				t.Errorf("entities changed (-before +after):\n%s", diff)
			}
			if !strings.Contains(out, tt.want) || sum.Deletion.State != tsync.DeletionSkipped {
				t.Errorf("stdout does not say %q, or deletion is %q:\n%s", tt.want, sum.Deletion.State, out)
			}
		})
	}
}

// GitHub: a token GitHub refuses is exit 2 before anything is written,
// naming the flag and env var to check.
func TestGitHubRejectedTokenExits2(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	code, out, errs, _ := h.sync("--github-token", "ghp_wrongTOKEN0123456789abcdef")
	mustCode(t, code, exitUsage, out, errs)
	if n := h.writes(); n != 0 {
		t.Fatalf("%d writes to Port after a refused token", n)
	}
	if n := h.port.Count(porttest.RouteIntegrationCreate) + h.port.Count(porttest.RouteBlueprintCreate); n != 0 {
		t.Fatalf("the integration or blueprints were created (%d requests)", n)
	}
	if !strings.Contains(errs, "--github-token / TIDE_GITHUB_TOKEN or GITHUB_TOKEN") || !strings.Contains(errs, "401") {
		t.Errorf("stderr does not name the token's flag and the 401:\n%s", errs)
	}
	if strings.Contains(out+errs, "ghp_wrongTOKEN0123456789abcdef") {
		t.Errorf("the refused token was printed")
	}
}

// file: a glob whose directory does not exist fails its block; nothing is
// deleted.
func TestFileMissingGlobDirectory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)
	before := len(h.fake.Entities("service"))
	h.fake.ResetCounts()
	code, out, errs, _ = h.sync("--file-glob", filepath.Join(h.dir, "no-such-dir", "*.yaml"))
	mustCode(t, code, exitFailed, out, errs)
	if n := deletes(h.fake); n != 0 || len(h.fake.Entities("service")) != before {
		t.Fatalf("%d delete requests; %d services, want %d", n, len(h.fake.Entities("service")), before)
	}
	if !strings.Contains(out, "no-such-dir") || !strings.Contains(out, "does not exist") {
		t.Errorf("stdout does not name the missing directory:\n%s", out)
	}
}
