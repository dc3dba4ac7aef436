package github

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/github/githubtest"
)

const (
	paymentsRepo = "/repos/acme-corp/payments-api"
	runbookSHA   = "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
)

// runbook is the large file's text: over the contents API's 1 MB.
var runbook = "# Runbook\n" + strings.Repeat("All systems nominal.\n", 60000)

// envWith is patEnv over the fixtures plus extra (which win).
func envWith(t *testing.T, cfg Config, extra githubtest.Fixtures) *env {
	t.Helper()
	fix := fixtures(t)
	for k, v := range extra {
		fix[k] = v
	}
	// The blob of the large file, too big to keep in testdata.
	blob, _ := json.Marshal(map[string]any{"sha": runbookSHA, "size": len(runbook), "encoding": "base64", "content": base64.StdEncoding.EncodeToString([]byte(runbook)), "node_id": "B_1", "url": "x"})
	fix[paymentsRepo+"/git/blobs/"+runbookSHA] = blob
	w := &fakeClock{now: time.Now()}
	fake := githubtest.New(fix, githubtest.Options{Token: testToken, MaxPerPage: 2, Now: w.Now})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	cfg.Host = srv.URL
	src, err := NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := src.c.hxOpts
	o.Clock, o.BaseDelay = w, time.Millisecond
	src.c.setOptions(o)
	return &env{fake: fake, src: src, waits: w}
}

func orgEnv(t *testing.T) *env { return envWith(t, Config{Organization: "acme-corp"}, nil) }

// file:// values: found, missing (null), large (blob API), on a branch,
// in a monorepo folder; each repository, ref and path fetched once.
func TestFileValues(t *testing.T) {
	t.Parallel()
	e := orgEnv(t)
	repos, err := resync(t, e.src, "repository", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var payments, web map[string]any
	for _, r := range repos {
		switch r["name"] {
		case "payments-api":
			payments = r
		case "web-app":
			web = r
		}
	}
	files, err := resync(t, e.src, "file", map[string]any{"files": []any{map[string]any{"path": "services/worker/port.yml"}}}, nil)
	if err != nil || len(files) != 1 {
		t.Fatalf("file kind: %v, %d items", err, len(files))
	}
	onRelease, err := resync(t, e.src, "file", map[string]any{"files": []any{map[string]any{"path": "README.md", "repos": []any{map[string]any{"name": "payments-api", "branch": "release"}}}}}, nil)
	if err != nil || len(onRelease) != 1 {
		t.Fatalf("file kind on release: %v, %d items", err, len(onRelease))
	}
	folders, err := resync(t, e.src, "folder", map[string]any{"folders": []any{map[string]any{"path": "services/*", "repos": []any{map[string]any{"name": "payments-api", "branch": "release"}}}}}, nil)
	if err != nil || len(folders) != 1 {
		t.Fatalf("folder kind: %v, %d items", err, len(folders))
	}
	pulls, err := resync(t, e.src, "pull-request", nil, nil)
	if err != nil || len(pulls) == 0 {
		t.Fatalf("pull-request: %v", err)
	}
	// Repositories are read concurrently: take a payments-api pull request
	// whichever repository's came first.
	pr := slices.IndexFunc(pulls, func(it map[string]any) bool { return it["__repository"] == "payments-api" })
	if pr < 0 {
		t.Fatal("no pull request of payments-api")
	}

	refs := []string{"file://README.md", "file://docs/RUNBOOK.md", "file://NOPE.md"}
	items := []integrations.Item{payments, web, files[0], onRelease[0], folders[0], pulls[pr], {"no": "repository"}}
	got, err := e.src.ResolveValues(context.Background(), integrations.Request{}, items, refs)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"file://README.md": "# payments-api\nHandles card payments.", "file://docs/RUNBOOK.md": runbook, "file://NOPE.md": nil},
		{"file://README.md": "# web-app", "file://docs/RUNBOOK.md": nil, "file://NOPE.md": nil},
		// Next to the file, on its branch.
		{"file://README.md": "# worker\nDrains the payment queue.", "file://docs/RUNBOOK.md": nil, "file://NOPE.md": nil},
		// (The fake serves RUNBOOK.md at every ref.)
		{"file://README.md": "# payments-api\nRelease branch.", "file://docs/RUNBOOK.md": runbook, "file://NOPE.md": nil},
		// Inside the folder, on the folder's branch.
		{"file://README.md": "# worker\nRelease branch worker.", "file://docs/RUNBOOK.md": nil, "file://NOPE.md": nil},
		// Other kinds: their repository's default branch.
		{"file://README.md": "# payments-api\nHandles card payments.", "file://docs/RUNBOOK.md": runbook, "file://NOPE.md": nil},
		{"file://README.md": nil, "file://docs/RUNBOOK.md": nil, "file://NOPE.md": nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results for %d items", len(got), len(want))
	}
	for i := range want {
		if diff := cmp.Diff(want[i], got[i]); diff != "" {
			t.Errorf("item %d (-want +got):\n%s", i, diff)
		}
	}
	// Once a run per repository, ref and path: resolving again costs nothing.
	before := e.fake.Requests()
	if _, err := e.src.ResolveValues(context.Background(), integrations.Request{}, items, refs); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Requests() - before; n != 0 {
		t.Errorf("resolving the same values again sent %d requests, want 0", n)
	}
	if n := e.fake.Count("GET " + paymentsRepo + "/git/blobs/" + runbookSHA); n != 2 {
		t.Errorf("the large file's blob was fetched %d times, want 2 (the default branch, release)", n)
	}
	if n := e.fake.Count("GET " + paymentsRepo + "/contents/README.md"); n != 3 {
		// main (the repository item and the pull request share it), release,
		// and the file kind's own listing on release.
		t.Errorf("README.md was fetched %d times, want 3", n)
	}
	if _, err := e.src.ResolveValues(context.Background(), integrations.Request{}, items[:1], []string{"search://scope=blobs&&query=x"}); err == nil {
		t.Error("a search:// value resolved; the GitHub integration does not offer it")
	}
}

// A file value the API refuses (not a 404) fails the page: it is no null.
func TestFileValueRefused(t *testing.T) {
	t.Parallel()
	e := orgEnv(t)
	e.fake.Fail(githubtest.Fault{Path: paymentsRepo + "/contents/README.md", Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
	item := integrations.Item{"name": "payments-api", "owner": map[string]any{"login": "acme-corp"}, "default_branch": "main"}
	_, err := e.src.ResolveValues(context.Background(), integrations.Request{}, []integrations.Item{item}, []string{"file://README.md"})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("err = %v, want the 403", err)
	}
}

func TestNewKindsAndSelectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind string
		sel  map[string]any
		cfg  map[string]any
		got  func(items []map[string]any) any
		want any
	}{
		{
			name: "collaborator", kind: "collaborator", sel: map[string]any{"affiliation": "direct"},
			got:  func(items []map[string]any) any { return keys(items, "login") },
			want: []string{"payments-api/jdoe"},
		},
		{
			name: "deployment-status with Ocean's __deployment_id", kind: "deployment-status",
			got: func(items []map[string]any) any {
				var out []string
				for _, it := range items {
					out = append(out, fmt.Sprintf("%v/%v/%v", it["__repository"], it["__deployment_id"], it["state"]))
				}
				return out
			},
			want: []string{"payments-api/1000001/success", "payments-api/1000001/in_progress", "payments-api/1000000/success"},
		},
		{
			name: "folder at the root (no recursion)", kind: "folder", sel: map[string]any{"folders": []any{map[string]any{"path": "*", "repos": []any{"payments-api"}}}},
			got: func(items []map[string]any) any {
				var out []string
				for _, it := range items {
					f := it["folder"].(map[string]any)
					r := it["__repository"].(map[string]any)
					out = append(out, fmt.Sprintf("%v %v@%v %v", it["__organization"], r["name"], it["__branch"], f["path"]))
				}
				return out
			},
			want: []string{"acme-corp payments-api@main services"},
		},
		{
			name: "folder glob", kind: "folder", sel: map[string]any{"folders": []any{map[string]any{"path": "services/*"}}},
			got: func(items []map[string]any) any {
				var out []string
				for _, it := range items {
					out = append(out, it["folder"].(map[string]any)["path"].(string))
				}
				return out
			},
			want: []string{"services/worker"},
		},
		{
			name: "repoSearch.query lists the search API's repositories", kind: "repository", sel: map[string]any{"repoSearch": map[string]any{"query": "topic:payments"}},
			got:  func(items []map[string]any) any { return keys(items, "name") },
			want: []string{"ledger", "payments-api"},
		},
		{
			name: "repoSearch on a per-repository kind", kind: "tag", sel: map[string]any{"repoSearch": map[string]any{"query": "topic:payments"}},
			got:  func(items []map[string]any) any { return keys(items, "name") },
			want: []string{"payments-api/v1.1.0", "payments-api/v1.2.0"},
		},
		{
			name: "includedRelations sbom, customProperties, pages", kind: "repository",
			sel: map[string]any{"includedRelations": map[string]any{"sbom": true, "customProperties": true, "pages": true}},
			got: func(items []map[string]any) any {
				out := map[string]any{}
				for _, it := range items {
					sbom, _ := it["__sbom"].(map[string]any)
					pages, _ := it["__pages"].(map[string]any)
					out[it["name"].(string)] = []any{sbom["name"], it["custom_properties"], pages["html_url"]}
				}
				return out
			},
			want: map[string]any{
				"payments-api": []any{"com.github.acme-corp/payments-api", map[string]any{"tier": "1", "owners": []any{"payments"}}, nil},
				"web-app":      []any{nil, map[string]any{}, nil},
				"ledger":       []any{nil, map[string]any{}, nil},
				"docs":         []any{nil, map[string]any{}, "https://docs.acme.io"},
			},
		},
		{
			name: "environment includeVariables", kind: "environment", sel: map[string]any{"includeVariables": true},
			got: func(items []map[string]any) any {
				out := map[string]any{}
				for _, it := range items {
					out[it["name"].(string)] = it["__variables"]
				}
				return out
			},
			want: map[string]any{"production": []any{map[string]any{"name": "REGION", "value": "eu-west-1", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}}, "staging": []any{}},
		},
		{
			name: "branch detailed", kind: "branch", sel: map[string]any{"detailed": true, "query": "true"},
			got: func(items []map[string]any) any {
				var out []string
				for _, it := range items {
					if it["name"] == "main" {
						out = append(out, fmt.Sprint(it["protection"], " ", it["__repository_object"].(map[string]any)["default_branch"]))
					}
				}
				return out
			},
			want: []string{"map[enabled:true] main"},
		},
		{
			name: "deployment enrichWithFirstCommit", kind: "deployment", sel: map[string]any{"enrichWithFirstCommit": true},
			got: func(items []map[string]any) any {
				out := map[string]any{}
				for _, it := range items {
					fc, _ := it["__firstCommit"].(map[string]any)
					out[jsonID(it["id"])] = []any{fc["__sha"], fc["__timestamp"], it["__commitCount"]}
				}
				return out
			},
			want: map[string]any{
				"1000001": []any{"b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8", "2025-06-25T10:00:00Z", 2.0},
				"1000000": []any{"1f2e3d4c5b6a79880716253443526170f9e8d7c6", "2025-06-19T08:00:00Z", 1.0},
			},
		},
		{
			name: "user includeSAMLEmail", kind: "user", sel: map[string]any{"includeSAMLEmail": true},
			got: func(items []map[string]any) any {
				out := map[string]any{}
				for _, it := range items {
					out[it["login"].(string)] = it["__SAMLEmail"]
				}
				return out
			},
			want: map[string]any{"user0": "user0@acme.io", "user1": nil, "user2": nil, "user3": nil, "user4": nil, "user5": nil, "user6": nil},
		},
		{
			name: "team includeSAMLEmail", kind: "team", sel: map[string]any{"includeSAMLEmail": true},
			got: func(items []map[string]any) any {
				var out []string
				for _, it := range items {
					if it["slug"] != "payments" {
						continue
					}
					for _, n := range it["members"].(map[string]any)["nodes"].([]any) {
						m := n.(map[string]any)
						out = append(out, fmt.Sprintf("%v=%v", m["login"], m["__SAMLEmail"]))
					}
				}
				return out
			},
			want: []string{"jdoe=jane@acme.io", "asmith=<nil>"},
		},
		{
			name: "pull-request api graphql with enrichWithFirstCommit", kind: "pull-request",
			sel: map[string]any{"api": "graphql", "enrichWithFirstCommit": true, "states": []any{"open", "closed"}},
			got: func(items []map[string]any) any {
				var out []string
				for _, it := range items {
					if it["__repository"] != "payments-api" {
						continue
					}
					fc, _ := it["firstCommit"].(map[string]any)
					head := it["head"].(map[string]any)["repo"].(map[string]any)
					out = append(out, fmt.Sprintf("%v %v %v comments=%v commits=%v reviewers=%d head=%v first=%v", it["number"], it["state"], it["mergeable"], it["comments"], it["commits"], len(it["requested_reviewers"].([]any)), head["name"], fc["oid"]))
				}
				return out
			},
			want: []string{
				"128 open true comments=2 commits=3 reviewers=2 head=payments-api first=aa11bb22cc33",
				"127 open true comments=2 commits=3 reviewers=2 head=payments-api first=aa11bb22cc33",
				"125 merged false comments=2 commits=3 reviewers=2 head=payments-api first=aa11bb22cc33",
			},
		},
		{
			name: "file validationCheck is accepted (a pull-request webhook feature)", kind: "file",
			sel:  map[string]any{"files": []any{map[string]any{"path": "port.yml", "repos": []any{"web-app"}, "validationCheck": true}}, "validationCheck": true},
			got:  func(items []map[string]any) any { return keys(items, "__path") },
			want: []string{"web-app/port.yml"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := orgEnv(t)
			items, err := resync(t, e.src, tc.kind, tc.sel, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, tc.got(items)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// includeAuthenticatedUser adds the token's own account and its private
// repositories (GET /user, /user/repos).
func TestIncludeAuthenticatedUser(t *testing.T) {
	t.Parallel()
	e := envWith(t, Config{}, nil)
	cfg := map[string]any{"includeAuthenticatedUser": true}
	orgs, err := resync(t, e.src, "organization", nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme-corp", "acme-labs", "jdoe"}, keys(orgs, "login")); diff != "" {
		t.Errorf("organizations (-want +got):\n%s", diff)
	}
	repos, err := resync(t, e.src, "repository", nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(repos, "full_name"); !strings.Contains(strings.Join(got, ","), "jdoe/dotfiles") {
		t.Errorf("repositories %v lack the user's private jdoe/dotfiles", got)
	}
	vals, err := e.src.ResolveValues(context.Background(), integrations.Request{}, []integrations.Item{{"name": "dotfiles", "owner": map[string]any{"login": "jdoe"}, "default_branch": "main"}}, []string{"file://README.md"})
	if err != nil || vals[0]["file://README.md"] != "# dotfiles" {
		t.Errorf("file:// on the user's repository = %v, %v", vals, err)
	}
}

// The search API serves 1,000 results a query: a query finding more is an
// incomplete listing (the block fails, nothing is deleted); one finding
// exactly 1,000 is listed whole.
func TestRepoSearchCap(t *testing.T) {
	t.Parallel()
	build := func(n int) githubtest.Fixtures {
		items := make([]map[string]any, n)
		for i := range items {
			items[i] = map[string]any{"id": i + 1, "name": fmt.Sprintf("svc-%04d", i), "owner": map[string]any{"login": "acme-corp"}, "default_branch": "main", "private": false, "score": 1.0}
		}
		b, _ := json.Marshal(items)
		return githubtest.Fixtures{"/search/repositories": b}
	}
	sel := map[string]any{"repoSearch": map[string]any{"query": "topic:service"}}

	e := envWith(t, Config{Organization: "acme-corp"}, build(1001))
	var emitted int
	err := e.src.Resync(context.Background(), integrations.Request{Kind: "repository", Selector: sel}, func(p []integrations.Item) error { emitted += len(p); return nil })
	if err == nil || !strings.Contains(err.Error(), "finds 1001 repositories") || !strings.Contains(err.Error(), "narrow the query") {
		t.Fatalf("err = %v, want the 1,000-result cap named", err)
	}
	if emitted != 0 {
		t.Errorf("%d repositories emitted before the cap was found, want 0", emitted)
	}

	e = envWith(t, Config{Organization: "acme-corp"}, build(1000))
	items, err := resync(t, e.src, "repository", sel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1000 {
		t.Errorf("listed %d repositories, want 1000", len(items))
	}
	for _, it := range items {
		if _, ok := it["score"]; ok {
			t.Fatal("a search item keeps the search score")
		}
	}
}

func TestNewSelectorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind string
		sel  map[string]any
		want string
	}{
		{"repository", map[string]any{"repoSearch": map[string]any{"query": "org:other topic:x"}}, "leave out org:"},
		{"repository", map[string]any{"repoSearch": "topic:x"}, "selector.repoSearch: want {query"},
		{"pull-request", map[string]any{"api": "soap"}, `selector.api: "soap" is not one of rest, graphql`},
		{"pull-request", map[string]any{"enrichWithFirstCommit": true}, "needs selector.api: graphql"},
		{"folder", nil, "selector.folders is required"},
		{"folder", map[string]any{"folders": []any{map[string]any{"path": "[x"}}}, "not a valid glob"},
		{"collaborator", map[string]any{"affiliation": "everyone"}, "selector.affiliation"},
		{"user", map[string]any{"includeSAMLEmail": "yes"}, "selector.includeSAMLEmail: want true or false"},
		{"repository", map[string]any{"includedRelations": map[string]any{"sbom": "yes"}}, "selector.includedRelations.sbom"},
	}
	e := orgEnv(t)
	for _, tc := range tests {
		err := e.src.ValidateRequest(integrations.Request{Kind: tc.kind, Selector: tc.sel})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want %q", tc.kind, tc.sel, err, tc.want)
		}
	}
}
