package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
	"github.com/tide-sync/tide/internal/httpx/httpxtest"
)

const testToken = "glpat-unitTOKEN0123456789"

type env struct {
	fake  *gitlabtest.Server
	src   *Source
	clock *httpxtest.Clock
}

func newEnv(t *testing.T, concurrency int) *env {
	t.Helper()
	fix, err := gitlabtest.LoadFixtures("testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	fake := gitlabtest.New(fix, gitlabtest.Options{Token: testToken, MaxPerPage: 2})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := httpxtest.NewClock(time.Now())
	src, err := NewSource(Config{Host: srv.URL, Token: testToken, Concurrency: concurrency, Clock: c,
		Now: func() time.Time { return time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, src: src, clock: c}
}

func (e *env) resync(t *testing.T, kind string, selector map[string]any) ([]map[string]any, error) {
	t.Helper()
	return resyncKind(e.src, kind, selector)
}

// resyncKind returns the items src delivers for kind, in the order
// delivered, and Resync's error.
func resyncKind(src *Source, kind string, selector map[string]any) ([]map[string]any, error) {
	var got []map[string]any
	err := src.Resync(context.Background(), integrations.Request{Kind: kind, Selector: selector}, func(page []integrations.Item) error {
		for _, it := range page {
			got = append(got, it)
		}
		return nil
	})
	return got, err
}

func field(items []map[string]any, key string) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(jsonNum(it[key])))
	}
	sort.Strings(out)
	return out
}

// Every kind delivers its fixture items across pages (2 a page), with
// Ocean's enrichment keys.
func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind     string
		selector map[string]any
		key      string
		want     []string
	}{
		{"project", nil, "path_with_namespace", []string{"acme/backend/legacy-billing", "acme/backend/payments-api", "acme/frontend/web-app"}},
		{"project", map[string]any{"includeOnlyActiveProjects": true}, "path_with_namespace", []string{"acme/backend/payments-api", "acme/frontend/web-app"}},
		{"group", nil, "full_path", []string{"acme", "acme/backend", "acme/frontend"}},
		{"member", nil, "username", []string{"asmith", "jdoe", "rlee"}},
		{"member", map[string]any{"includeBotMembers": true}, "username", []string{"asmith", "group_900123_bot_3f2a", "jdoe", "rlee"}},
		{"merge-request", nil, "id", []string{"33445566", "33445567"}},
		{"merge-request", map[string]any{"states": []any{"opened", "merged"}}, "id", []string{"33445500", "33445566", "33445567"}},
		{"issue", nil, "id", []string{"77889900"}},
		{"pipeline", nil, "id", []string{"1500012347", "1500012348", "1500012349"}},
		{"job", nil, "id", []string{"8000000002", "8000000003", "8000000004"}},
		{"tag", nil, "name", []string{"v1.4.0", "v1.4.0", "v1.4.0"}},
		{"release", nil, "tag_name", []string{"v1.4.0", "v1.4.0", "v1.4.0"}},
		{"branch", nil, "name", []string{"main", "main", "main"}},
		{"deployment", nil, "id", []string{"600002", "600003", "600004"}},
		{"environment", nil, "name", []string{"production", "production", "production"}},
	}
	for _, tc := range tests {
		t.Run(tc.kind+fmt.Sprint(tc.selector), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 4)
			got, err := e.resync(t, tc.kind, tc.selector)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, field(got, tc.key)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

// Projects: keyset pages (Link rel=next with id_after); groups: offset
// pages (x-next-page).
func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	if _, err := e.resync(t, "project", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.resync(t, "group", nil); err != nil {
		t.Fatal(err)
	}
	// 4 projects at 2 a page: 2 keyset pages; 3 groups: 2 offset pages.
	if got := []int{e.fake.Count("/projects"), e.fake.Count("/groups")}; !cmp.Equal(got, []int{2, 2}) {
		t.Errorf("pages asked (projects, groups) = %v, want [2 2]", got)
	}
	// A page answered empty although GitLab said another follows is an
	// incomplete listing: an error, never a shorter list.
	e2 := newEnv(t, 4)
	e2.fake.Fail(gitlabtest.Fault{Path: "/groups", Query: "page=2", Status: 200, Body: "[]", Header: map[string]string{"X-Next-Page": "3"}})
	if _, err := e2.resync(t, "group", nil); err == nil {
		t.Error("an empty page before the last was accepted")
	}
	e3 := newEnv(t, 4)
	e3.fake.Fail(gitlabtest.Fault{Path: "/groups/900001/members", Status: 404, Body: `{"message":"404 Not found"}`})
	e3.fake.Fail(gitlabtest.Fault{Path: "/groups", Query: "page=2", Status: 404, Body: `{"message":"404 Not found"}`})
	if _, err := e3.resync(t, "group", nil); err == nil {
		t.Error("a 404 mid-listing was accepted")
	}
}

// RateLimit-Remaining at the floor holds the next request back until
// RateLimit-Reset; a 429 waits Retry-After and is retried.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1)
	reset := strconv.FormatInt(e.clock.Now().Add(42*time.Second).Unix(), 10)
	e.fake.Fail(gitlabtest.Fault{Path: "/groups", Times: 1, Header: map[string]string{"RateLimit-Remaining": "1", "RateLimit-Reset": reset}})
	e.fake.Fail(gitlabtest.Fault{Path: "/groups/900001/members", Times: 1, Status: 429, Header: map[string]string{"Retry-After": "7"}, Body: `{"message":"Retry later"}`})
	got, err := e.resync(t, "group-with-members", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("%d groups, want 3", len(got))
	}
	// The 429 holds back every request for its Retry-After, so a request
	// that starts while it waits (the next group's members) may wait the
	// same 7s; which ones do depends on scheduling.
	waits := e.clock.Waits()
	ok := len(waits) >= 2 && waits[0] >= 40*time.Second && waits[0] <= 43*time.Second
	for _, w := range waits[min(1, len(waits)):] {
		ok = ok && w == 7*time.Second
	}
	if !ok {
		t.Errorf("waits = %v, want ~42s (the reset), then 7s (Retry-After) for the 429 and any request it held", waits)
	}
}

// An issue seen through two root groups is yielded once.
func TestDuplicatesYieldedOnce(t *testing.T) {
	t.Parallel()
	fix, err := gitlabtest.LoadFixtures("testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	var groups []map[string]any
	json.Unmarshal(fix["/groups"], &groups)
	groups = append(groups, map[string]any{"id": 900200, "full_path": "partners", "parent_id": nil, "name": "Partners"})
	fix["/groups"], _ = json.Marshal(groups)
	fix["/groups/900200/issues"] = fix["/groups/900001/issues"]
	fix["/groups/900200/merge_requests?state=opened"] = fix["/groups/900001/merge_requests?state=opened"]
	fake := gitlabtest.New(fix, gitlabtest.Options{Token: testToken})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	src, err := NewSource(Config{Host: srv.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{fake: fake, src: src}
	for kind, want := range map[string][]string{"issue": {"77889900"}, "merge-request": {"33445566", "33445567"}} {
		got, err := e.resync(t, kind, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, field(got, "id")); diff != "" {
			t.Errorf("%s (-want +got):\n%s", kind, diff)
		}
	}
}

// file:// reads the default branch (parsed when JSON or YAML; a missing
// file is null); search:// says whether the project search finds it. Each
// project and value is fetched once.
func TestResolveValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	projects, err := e.resync(t, "project", map[string]any{"includeOnlyActiveProjects": true})
	if err != nil {
		t.Fatal(err)
	}
	refs := []string{"file://README.md", "file://port.json", "file://catalog-info.yaml", "search://scope=blobs&&query=filename:port.yml", "search://scope=blobs&query=filename:port.yml"}
	items := make([]integrations.Item, 0, 2*len(projects))
	for _, p := range projects {
		items = append(items, p, p) // the same project twice: fetched once
	}
	got, err := e.src.ResolveValues(context.Background(), integrations.Request{Kind: "project"}, items, refs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"file://README.md":                              "# Payments API\nHandles card payments.",
		"file://port.json":                              map[string]any{"tier": "Mission Critical", "owners": []any{"payments"}},
		"file://catalog-info.yaml":                      map[string]any{"kind": "Component", "metadata": map[string]any{"name": "payments-api"}},
		"search://scope=blobs&&query=filename:port.yml": true, "search://scope=blobs&query=filename:port.yml": true,
	}
	for i, it := range items {
		if it["path"] != "payments-api" {
			continue
		}
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Errorf("payments-api (-want +got):\n%s", diff)
		}
	}
	web := map[string]any{"file://README.md": "# Web App", "file://port.json": nil, "file://catalog-info.yaml": nil,
		"search://scope=blobs&&query=filename:port.yml": false, "search://scope=blobs&query=filename:port.yml": false}
	for i, it := range items {
		if it["path"] == "web-app" {
			if diff := cmp.Diff(web, got[i]); diff != "" {
				t.Errorf("web-app (-want +got):\n%s", diff)
			}
		}
	}
	if n := e.fake.Count("/projects/4815162/repository/files/README.md/raw"); n != 1 {
		t.Errorf("README.md fetched %d times for one project, want 1", n)
	}
	if _, err := e.src.ResolveValues(context.Background(), integrations.Request{Kind: "project"}, items, []string{"search://filename:port.yml"}); err == nil {
		t.Error("a search value without scope= and query= was accepted")
	}
}

// A 401 is a credentials error naming the flag; a 403 is an error, not an
// empty list.
func TestRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	e.fake.Fail(gitlabtest.Fault{Path: "/groups/900124/issues", Status: 403, Body: `{"message":"403 Forbidden"}`})
	e.fake.Fail(gitlabtest.Fault{Path: "/groups/900124/members", Status: 403, Body: `{"message":"403 Forbidden"}`})
	if _, err := e.resync(t, "member", nil); err == nil {
		t.Error("a 403 on a group's members gave a shorter list")
	}
	e = newEnv(t, 4)
	e.fake.Fail(gitlabtest.Fault{Path: "/groups", Status: 401, Body: `{"message":"401 Unauthorized"}`})
	_, err := e.resync(t, "group", nil)
	if !errors.Is(err, integrations.ErrCredentials) || !strings.Contains(err.Error(), "--gitlab-token") {
		t.Errorf("401: %v, want integrations.ErrCredentials naming --gitlab-token", err)
	}
}

// file finds files by glob on the default branch, content parsed; folder
// yields the directories matching a pattern.
func TestFilesAndFolders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	got, err := e.resync(t, "file", map[string]any{"files": map[string]any{"path": "**/port.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d files, want 1: %v", len(got), got)
	}
	f := got[0]["file"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"identifier": "payments-api", "tier": "Mission Critical"}, f["content"]); diff != "" || got[0]["repo"].(map[string]any)["path"] != "payments-api" {
		t.Errorf("file item: %v (-want +got):\n%s", got[0]["repo"], diff)
	}
	got, err = e.resync(t, "folder", map[string]any{"folders": []any{map[string]any{"path": "services/*", "repos": []any{map[string]any{"name": "acme/backend/payments-api"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, it := range got {
		paths = append(paths, it["folder"].(map[string]any)["path"].(string)+"@"+it["__branch"].(string))
	}
	sort.Strings(paths)
	if diff := cmp.Diff([]string{"services/api@main", "services/worker@main"}, paths); diff != "" {
		t.Errorf("folders (-want +got):\n%s", diff)
	}
}

// Selector mistakes are caught before any fetch, naming the key.
func TestValidateRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	tests := []struct {
		kind     string
		selector map[string]any
		config   map[string]any
		want     string
	}{
		{"merge-request", map[string]any{"states": []any{"open"}}, nil, `selector.states[0]: "open" is not one of opened, closed, merged`},
		{"project", map[string]any{"includeLanguage": true}, nil, `selector.includeLanguage: kind "project" has no such selector key`},
		{"group", nil, map[string]any{"visibility": map[string]any{"minAccessLevel": 35.0}}, "visibility.minAccessLevel: 35"},
		{"branch", map[string]any{"regex": "("}, nil, "selector.regex"},
		{"file", nil, nil, "selector.files"},
	}
	for _, tc := range tests {
		err := e.src.ValidateRequest(integrations.Request{Kind: tc.kind, Selector: tc.selector, Config: tc.config})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: %v, want %q", tc.kind, tc.selector, err, tc.want)
		}
	}
	if e.fake.Requests() != 0 {
		t.Errorf("validation sent %d requests", e.fake.Requests())
	}
}
