package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/defaultstest"
	"github.com/tide-sync/tide/integrations/jira/jiratest"
	"github.com/tide-sync/tide/internal/httpx/httpxtest"
	"github.com/tide-sync/tide/internal/vendortest"
)

const (
	testEmail = "tide-bot@acme.io"
	testToken = "ATATT3xFfGF0jiraSECRETtoken42"
	testOrg   = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
)

type env struct {
	fake  *jiratest.Server
	url   string
	src   *Source
	clock *httpxtest.Clock
}

// newEnv serves the fixtures two to a page, so every listing spans pages.
func newEnv(t *testing.T, opts jiratest.Options, cfg Config) *env {
	t.Helper()
	fix, err := jiratest.LoadFixtures("testdata/site.json")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Token == "" {
		opts.Email, opts.Token = testEmail, testToken
	}
	if opts.OrgID == "" {
		opts.OrgID = testOrg
	}
	if opts.PageSize == 0 {
		opts.PageSize = 2
	}
	fake := jiratest.New(fix, opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c := httpxtest.NewClock(time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC))
	if cfg.Host == "" {
		cfg.Host = srv.URL
	}
	if cfg.Token == "" {
		cfg.Email, cfg.Token, cfg.OrganizationID = testEmail, testToken, testOrg
	}
	cfg.Clock = c
	src, err := NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, url: srv.URL, src: src, clock: c}
}

func (e *env) resync(kind string, sel map[string]any) ([]map[string]any, error) {
	var out []map[string]any
	var mu gosync.Mutex
	err := e.src.Resync(context.Background(), integrations.Request{Kind: kind, Selector: sel}, func(page []integrations.Item) error {
		if !mu.TryLock() {
			return errors.New("Emit called concurrently")
		}
		defer mu.Unlock()
		for _, it := range page {
			out = append(out, it)
		}
		return nil
	})
	return out, err
}

func ids(items []map[string]any, field string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, str(it[field]))
	}
	sort.Strings(out)
	return out
}

// Every kind delivers every fixture item across pages, with Ocean's
// selectors applied and its __ enrichments.
func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind  string
		sel   map[string]any
		field string
		want  []string
	}{
		{kind: "project", field: "key", want: []string{"OPS", "PAY", "WEB"}},
		{kind: "issue", field: "key", want: []string{"OPS-1", "OPS-2", "PAY-700", "PAY-812", "PAY-813"}},
		{kind: "user", field: "accountId", want: []string{"557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "5b10a2844c20165700ede21g", "5b10ac8d82e05b22cc7d4ef5", "712020:8a1c3e5f-7a9b-4c3d-9e1f-2a4b6c8d0e1f"}},
		{kind: "team", sel: map[string]any{"includeMembers": true}, field: "teamId", want: []string{"1f3e5a7c-9b2d-4e6f-8a1c-3e5f7a9b1c3d", "2a4c6e8a-1b3d-4f5a-9c7e-1a3c5e7a9b2d", "3b5d7f9b-2c4e-4a6b-8d0f-2b4d6f8a0c3e"}},
		{kind: "release", field: "id", want: []string{"10100", "10101", "10102", "10200"}},
		{kind: "board", field: "id", want: []string{"12", "13", "14"}},
		{kind: "board", sel: map[string]any{"boardType": "scrum", "projectKey": "PAY"}, field: "id", want: []string{"12", "14"}},
		{kind: "sprint", field: "id", want: []string{"88", "95"}},
		{kind: "sprint", sel: map[string]any{"sprintState": []any{"closed", "future"}}, field: "id", want: []string{"86", "87", "89"}},
		{kind: "sprint", sel: map[string]any{"sprintState": nil}, field: "id", want: []string{"86", "87", "88", "89", "95"}},
		{kind: "backlog", field: "key", want: []string{"OPS-2", "PAY-830", "PAY-831", "PAY-832"}},
		{kind: "backlog", sel: map[string]any{"useSoftwareApi": false}, field: "key", want: []string{"OPS-2", "PAY-830", "PAY-831", "PAY-832"}},
		{kind: "epic", field: "key", want: []string{"PAY-700"}},
		{kind: "epic", sel: map[string]any{"status": []any{"done", "incomplete"}}, field: "key", want: []string{"PAY-512", "PAY-700"}},
		{kind: "worklog", field: "id", want: []string{"50001", "50002", "50003", "50100"}},
		{kind: "component", field: "id", want: []string{"10210", "10211", "10300"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %v", tc.kind, tc.sel), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, jiratest.Options{}, Config{})
			items, err := e.resync(tc.kind, tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(items, tc.field)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.field, diff)
			}
		})
	}
}

func byID(items []map[string]any, field, id string) map[string]any {
	for _, it := range items {
		if str(it[field]) == id {
			return it
		}
	}
	return nil
}

func TestEnrichment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	get := func(kind string, sel map[string]any) []map[string]any {
		items, err := e.resync(kind, sel)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		return items
	}
	team := byID(get("team", map[string]any{"includeMembers": true}), "teamId", "1f3e5a7c-9b2d-4e6f-8a1c-3e5f7a9b1c3d")
	wantMembers := []any{map[string]any{"accountId": "5b10a2844c20165700ede21g"}, map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef5"}, map[string]any{"accountId": "712020:8a1c3e5f-7a9b-4c3d-9e1f-2a4b6c8d0e1f"}}
	if diff := cmp.Diff(wantMembers, team["__members"]); diff != "" {
		t.Errorf("team __members (-want +got):\n%s", diff)
	}
	if noMembers := byID(get("team", nil), "teamId", "1f3e5a7c-9b2d-4e6f-8a1c-3e5f7a9b1c3d"); noMembers["__members"] != nil {
		t.Errorf("includeMembers false still fetched members: %v", noMembers["__members"])
	}
	got := map[string]any{
		"release __projectKey":   byID(get("release", nil), "id", "10102")["__projectKey"],
		"board __projectKeys":    byID(get("board", nil), "id", "14")["__projectKeys"],
		"backlog __boardId":      byID(get("backlog", nil), "key", "OPS-2")["__boardId"],
		"epic __boardId":         byID(get("epic", nil), "key", "PAY-700")["__boardId"],
		"worklog __issueKey":     byID(get("worklog", nil), "id", "50100")["__issueKey"],
		"component __project":    byID(get("component", nil), "id", "10300")["__project"].(map[string]any)["name"],
		"project insight":        byID(get("project", nil), "key", "PAY")["insight"].(map[string]any)["totalIssueCount"],
		"project without expand": byID(get("project", map[string]any{"expand": "lead"}), "key", "PAY")["insight"],
	}
	want := map[string]any{
		"release __projectKey":   "PAY",
		"board __projectKeys":    []any{"PAY", "WEB"},
		"backlog __boardId":      13.0,
		"epic __boardId":         12.0,
		"worklog __issueKey":     "OPS-1",
		"component __project":    "Operations",
		"project insight":        1284.0,
		"project without expand": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("enrichment (-want +got):\n%s", diff)
	}
}

// What each request asked Jira: Ocean's defaults, the selector's values.
func TestRequestsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	for _, k := range []struct {
		kind string
		sel  map[string]any
	}{
		{"issue", map[string]any{"fields": "summary,status", "expand": "changelog"}},
		{"issue", nil},
		{"sprint", nil},
		{"epic", nil},
		{"backlog", nil},
		{"worklog", map[string]any{"apiQueryParams": map[string]any{"startedAfter": 1719792000000.0}}},
		{"component", map[string]any{"componentSource": "auto", "nameFilter": "ref"}},
	} {
		if _, err := e.resync(k.kind, k.sel); err != nil {
			t.Fatalf("%s: %v", k.kind, err)
		}
	}
	var searches []map[string]any
	seen := map[string]string{}
	for _, r := range e.fake.Requests() {
		switch {
		case r.Path == "/rest/api/3/search/jql" && r.Body["nextPageToken"] == nil:
			searches = append(searches, r.Body)
		case strings.HasSuffix(r.Path, "/sprint"), strings.HasSuffix(r.Path, "/epic"), strings.HasSuffix(r.Path, "/component"),
			strings.HasPrefix(r.Path, "/rest/software/1.0/board/12/backlog"), strings.HasSuffix(r.Path, "PAY-812/worklog"):
			q := r.Query
			delete(q, "startAt")
			delete(q, "nextPageToken")
			if _, ok := seen[r.Path]; !ok {
				seen[r.Path] = fmt.Sprint(q)
			}
		}
	}
	wantSearches := []map[string]any{
		{"jql": defaultIssueJQL, "maxResults": 50.0, "fields": []any{"summary", "status"}, "expand": "changelog"},
		{"jql": defaultIssueJQL, "maxResults": 50.0, "fields": []any{"*all"}},
		{"jql": defaultWorklogJQL, "maxResults": 50.0, "fields": []any{"key"}},
	}
	if diff := cmp.Diff(wantSearches, searches); diff != "" {
		t.Errorf("issue searches (-want +got):\n%s", diff)
	}
	wantQueries := map[string]string{
		"/rest/agile/1.0/board/12/sprint":     "map[maxResults:[50] state:[active]]",
		"/rest/agile/1.0/board/14/sprint":     "map[maxResults:[50] state:[active]]",
		"/rest/agile/1.0/board/13/sprint":     "map[maxResults:[50] state:[active]]",
		"/rest/agile/1.0/board/12/epic":       "map[done:[false] maxResults:[50]]",
		"/rest/agile/1.0/board/13/epic":       "map[done:[false] maxResults:[50]]",
		"/rest/agile/1.0/board/14/epic":       "map[done:[false] maxResults:[50]]",
		"/rest/software/1.0/board/12/backlog": "map[jql:[" + defaultBacklogJQL + "] maxResults:[50]]",
		"/rest/api/3/issue/PAY-812/worklog":   "map[maxResults:[50] startedAfter:[1719792000000]]",
		"/rest/api/3/project/PAY/component":   "map[componentSource:[auto] maxResults:[50] query:[ref]]",
		"/rest/api/3/project/OPS/component":   "map[componentSource:[auto] maxResults:[50] query:[ref]]",
		"/rest/api/3/project/WEB/component":   "map[componentSource:[auto] maxResults:[50] query:[ref]]",
	}
	if diff := cmp.Diff(wantQueries, seen); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}

// Each scheme stops exactly where Jira says: the fake caps pages at two
// items, far below the 50 asked for, so a short page alone never ends a
// listing that carries isLast or total.
func TestPaginationStopsWhereJiraSays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	for _, kind := range []string{"project", "user", "issue", "team", "release", "board", "worklog", "backlog"} {
		sel := map[string]any(nil)
		if kind == "team" {
			sel = map[string]any{"includeMembers": true}
		}
		if _, err := e.resync(kind, sel); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	got := map[string]int{}
	for _, route := range []string{
		"GET /rest/api/3/users/search",
		"POST /rest/api/3/search/jql",
		"GET /gateway/api/public/teams/v1/org/" + testOrg + "/teams",
		"POST /gateway/api/public/teams/v1/org/" + testOrg + "/teams/1f3e5a7c-9b2d-4e6f-8a1c-3e5f7a9b1c3d/members",
		"POST /gateway/api/public/teams/v1/org/" + testOrg + "/teams/3b5d7f9b-2c4e-4a6b-8d0f-2b4d6f8a0c3e/members",
		"GET /rest/api/3/project/PAY/version",
		"GET /rest/api/3/project/WEB/version",
		"GET /rest/agile/1.0/board",
		"GET /rest/api/3/issue/PAY-812/worklog",
		"GET /rest/software/1.0/board/12/backlog",
	} {
		got[route] = e.fake.Count(route)
	}
	want := map[string]int{
		"GET /rest/api/3/users/search":                               3,     // 2 + 2 + the empty page (no isLast, no total)
		"POST /rest/api/3/search/jql":                                3 + 3, // issues: 2+2+1 ending with isLast; worklog's search again
		"GET /gateway/api/public/teams/v1/org/" + testOrg + "/teams": 2,     // cursor, then none
		"POST /gateway/api/public/teams/v1/org/" + testOrg + "/teams/1f3e5a7c-9b2d-4e6f-8a1c-3e5f7a9b1c3d/members": 2, // hasNextPage, then not
		"POST /gateway/api/public/teams/v1/org/" + testOrg + "/teams/3b5d7f9b-2c4e-4a6b-8d0f-2b4d6f8a0c3e/members": 1,
		"GET /rest/api/3/project/PAY/version":     2,     // isLast false, then true
		"GET /rest/api/3/project/WEB/version":     1,     // empty and isLast
		"GET /rest/agile/1.0/board":               2 + 2, // board, then backlog lists the boards
		"GET /rest/api/3/issue/PAY-812/worklog":   2,     // total 3
		"GET /rest/software/1.0/board/12/backlog": 2,     // token, then isLast
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests per route (-want +got):\n%s", diff)
	}
}

// An answer that contradicts itself, an empty body or a 404 after the
// first page is an incomplete listing: an error, never a shorter list.
func TestIncompleteListingsAreErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		kind  string
		sel   map[string]any
		fault jiratest.Fault
		want  string
	}{
		{name: "empty page before total", kind: "worklog",
			fault: jiratest.Fault{Path: "/rest/api/3/issue/PAY-812/worklog", Status: 200, Body: `{"startAt":0,"maxResults":50,"total":3,"worklogs":[]}`},
			want:  "issue PAY-812: incomplete listing: /rest/api/3/issue/PAY-812/worklog: the listing ended after 0 of the 3 items Jira counts"},
		{name: "empty page with isLast false", kind: "project",
			fault: jiratest.Fault{Path: "/rest/api/3/project/search", Status: 200, Body: `{"startAt":0,"maxResults":50,"total":3,"isLast":false,"values":[]}`},
			want:  "page 1 is empty although Jira says more follow"},
		{name: "isLast false without a token", kind: "issue",
			fault: jiratest.Fault{Path: "/rest/api/3/search/jql", Status: 200, Body: `{"issues":[{"id":"1","key":"PAY-1"}],"isLast":false}`},
			want:  "says more follow (isLast false) but gives no nextPageToken"},
		{name: "a page without its list", kind: "release",
			fault: jiratest.Fault{Path: "/rest/api/3/project/OPS/version", Status: 200, Body: `{"startAt":0,"maxResults":50,"total":1,"isLast":true}`},
			want:  `project OPS: jira: /rest/api/3/project/OPS/version: the answer has no "values" list`},
		{name: "an empty body", kind: "user",
			fault: jiratest.Fault{Path: "/rest/api/3/users/search", Status: 200, Body: ``},
			want:  "the answer is empty"},
		{name: "members without a cursor", kind: "team", sel: map[string]any{"includeMembers": true},
			fault: jiratest.Fault{Path: "/gateway/api/public/teams/v1/org/" + testOrg + "/teams/2a4c6e8a-1b3d-4f5a-9c7e-1a3c5e7a9b2d/members", Status: 200, Body: `{"results":[],"pageInfo":{"hasNextPage":true,"endCursor":null}}`},
			want:  "gives no new endCursor"},
		{name: "a 404 mid-pagination", kind: "project",
			fault: jiratest.Fault{Path: "/rest/api/3/project/search", Skip: 1, Status: 404, Body: `{"errorMessages":["Not found"],"errors":{}}`},
			want:  "page 2: not found, or not visible to this account (404): jira: GET /rest/api/3/project/search: 404 Not Found: Not found"},
		{name: "a 403 on a listing", kind: "board",
			fault: jiratest.Fault{Path: "/rest/agile/1.0/board/14/project", Status: 403, Body: `{"errorMessages":["You do not have permission to view this board."],"errors":{}}`},
			want:  "board 14: Jira refused access (403"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, jiratest.Options{}, Config{})
			e.fake.Fail(tc.fault)
			items, err := e.resync(tc.kind, tc.sel)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (%d items), want %q", err, len(items), tc.want)
			}
			if errors.Is(err, integrations.ErrConfig) {
				t.Errorf("an incomplete listing is not a configuration error: %v", err)
			}
		})
	}
}

// Ocean's agile rule: without isLast or total, a page shorter than
// maxResults ends the list.
func TestAgileShortPageWithoutIsLast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	e.fake.Fail(jiratest.Fault{Path: "/rest/agile/1.0/board", Status: 200, Body: `{"maxResults":50,"startAt":0,"values":[{"id":12,"name":"PAY board","type":"scrum"}]}`})
	items, err := e.resync("board", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"12"}, ids(items, "id")); diff != "" {
		t.Error(diff)
	}
	if n := e.fake.Count("GET /rest/agile/1.0/board"); n != 1 {
		t.Errorf("%d board pages asked for, want 1", n)
	}
}

// A kanban board answers the sprint listing with 400 "does not support
// sprints": no sprints there, not a failure (Ocean skips it too).
func TestKanbanBoardHasNoSprints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	if _, err := e.resync("sprint", nil); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count("GET /rest/agile/1.0/board/13/sprint"); n != 1 {
		t.Errorf("kanban board asked %d times", n)
	}
}

// A 429 waits Retry-After and the listing completes; a near-limit warning
// on an ordinary answer pauses the next request.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	t.Run("429 with Retry-After", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, jiratest.Options{}, Config{})
		e.fake.Fail(jiratest.Fault{Path: "/rest/api/3/search/jql", Skip: 1, Times: 1, Status: 429,
			Header: map[string]string{"Retry-After": "7", "RateLimit-Reason": "jira-quota-tenant-based"}, Body: `{"errorMessages":["Rate limit exceeded."]}`})
		items, err := e.resync("issue", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 5 {
			t.Errorf("%d issues after the 429, want 5", len(items))
		}
		if diff := cmp.Diff([]time.Duration{7 * time.Second}, e.clock.Waits()); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
		if n := e.fake.Count("POST /rest/api/3/search/jql"); n != 4 {
			t.Errorf("%d searches, want 3 pages + 1 retry", n)
		}
	})
	t.Run("near-limit pause", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, jiratest.Options{}, Config{})
		reset := e.clock.Now().Add(12 * time.Second).Format(time.RFC3339)
		e.fake.Fail(jiratest.Fault{Path: "/rest/api/3/project/search", Times: 1,
			Header: map[string]string{"X-RateLimit-NearLimit": "true", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": reset}})
		items, err := e.resync("project", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 3 {
			t.Errorf("%d projects, want 3", len(items))
		}
		if diff := cmp.Diff([]time.Duration{12 * time.Second}, e.clock.Waits()); diff != "" {
			t.Errorf("waits before the second page (-want +got):\n%s", diff)
		}
	})
	t.Run("a 5xx is retried, not a rate limit", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, jiratest.Options{}, Config{})
		e.fake.Fail(jiratest.Fault{Path: "/rest/api/3/users/search", Times: 1, Status: 503, Header: map[string]string{"X-RateLimit-NearLimit": "true", "Retry-After": "60"}})
		if _, err := e.resync("user", nil); err != nil {
			t.Fatal(err)
		}
		if w := e.clock.Waits(); len(w) != 1 || w[0] != 30*time.Second {
			t.Errorf("waits %v: want one backoff capped at 30s, no near-limit pause", w)
		}
	})
}

// A 401 on a listing (credentials revoked mid-run) is a credentials error
// naming the flags to check, without the token; the gateway takes a
// Bearer token without an email.
func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{Email: testEmail, Token: "ATATT3xWRONGtokenVALUE99", OrganizationID: testOrg})
	_, err := e.resync("project", nil)
	if !errors.Is(err, integrations.ErrCredentials) {
		t.Fatalf("err = %v, want a credentials error", err)
	}
	for _, want := range []string{"401", "--atlassian-user-token", "TIDE_ATLASSIAN_USER_TOKEN", "--atlassian-user-email"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "WRONGtoken") || strings.Contains(err.Error(), testEmail) {
		t.Errorf("error shows a credential: %v", err)
	}
	if n := e.fake.Count("GET /rest/api/3/project/search"); n != 1 {
		t.Errorf("a 401 was retried: %d requests", n)
	}

	fix, err := jiratest.LoadFixtures("testdata/site.json")
	if err != nil {
		t.Fatal(err)
	}
	fake := jiratest.New(fix, jiratest.Options{Bearer: true, Token: testToken, PageSize: 2})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	// The gateway URL is https://api.atlassian.com/ex/jira/<cloudId>; the
	// fake stands in for it through a transport that redirects the host.
	src, err := NewSource(Config{Host: gatewayPrefix + "11223344-a1b2-3b33-c444-def123456789", Token: testToken, HTTPClient: redirect(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	gw := &env{fake: fake, src: src}
	items, err := gw.resync("project", nil)
	if err != nil || len(items) != 3 {
		t.Fatalf("gateway: %d projects, %v", len(items), err)
	}
	if p := fake.Requests()[0].Path; p != "/ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/project/search" {
		t.Errorf("gateway path %q", p)
	}
}

// CheckCredentials asks /rest/api/3/myself once: a 401, or a 403 there, is
// a credentials error naming the settings; a 401 for a missing OAuth
// scope and any other failure are left for the blocks.
func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	const wrong = "ATATT3xWRONGcheckTOKEN77"
	tests := []struct {
		name   string
		token  string
		bearer bool
		fault  *jiratest.Fault
		want   []string // in the error; none: no error
		// retried: the check's request is sent again (a 5xx), else once.
		retried bool
	}{
		{name: "accepted", token: testToken},
		{name: "wrong token", token: wrong,
			want: []string{"401", "--atlassian-user-email (TIDE_ATLASSIAN_USER_EMAIL", "--atlassian-user-token (TIDE_ATLASSIAN_USER_TOKEN or OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN)"}},
		{name: "wrong gateway token", token: wrong, bearer: true,
			want: []string{"401", "--atlassian-user-token (TIDE_ATLASSIAN_USER_TOKEN", "gateway's OAuth access token"}},
		{name: "a 403 on myself", token: testToken,
			fault: &jiratest.Fault{Path: "/rest/api/3/myself", Status: 403, Header: map[string]string{"X-Seraph-LoginReason": "AUTHENTICATION_DENIED"}, Body: `{"errorMessages":["CAPTCHA_CHALLENGE"],"errors":{}}`},
			want:  []string{"403", "CAPTCHA", "--atlassian-user-token"}},
		{name: "an OAuth scope missing", token: testToken, bearer: true,
			fault: &jiratest.Fault{Path: "*", Status: 401, Body: `{"code":401,"message":"Unauthorized; scope does not match"}`}},
		{name: "a server error", token: testToken,
			fault:   &jiratest.Fault{Path: "/rest/api/3/myself", Status: 500, Body: `{"errorMessages":["Internal server error"],"errors":{}}`},
			retried: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fix, err := jiratest.LoadFixtures("testdata/site.json")
			if err != nil {
				t.Fatal(err)
			}
			fake := jiratest.New(fix, jiratest.Options{Email: testEmail, Token: testToken, Bearer: tc.bearer})
			if tc.fault != nil {
				fake.Fail(*tc.fault)
			}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			cfg := Config{Host: srv.URL, Email: testEmail, Token: tc.token, Clock: httpxtest.NewClock(time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC))}
			if tc.bearer {
				cfg = Config{Host: gatewayPrefix + "11223344-a1b2-3b33-c444-def123456789", Token: tc.token, HTTPClient: redirect(srv.URL), Clock: cfg.Clock}
			}
			src, err := NewSource(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = src.CheckCredentials(context.Background(), []integrations.Request{{Kind: "project"}})
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
			} else {
				vendortest.WantCredentialsError(t, err, tc.token, tc.want...)
			}
			var got []string
			for _, r := range fake.Requests() {
				got = append(got, r.Method+" "+r.Path)
			}
			want := "GET /rest/api/3/myself"
			if tc.bearer {
				want = "GET /ex/jira/11223344-a1b2-3b33-c444-def123456789/rest/api/3/myself"
			}
			wantReqs := []string{want}
			if tc.retried {
				wantReqs = slices.Repeat(wantReqs, max(len(got), 2))
			}
			if diff := cmp.Diff(wantReqs, got); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// redirect sends every request to the test server, whatever its host.
func redirect(to string) *http.Client {
	u, _ := url.Parse(to)
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no host", Config{Email: testEmail, Token: testToken}, "--jira-host (TIDE_JIRA_HOST or OCEAN__INTEGRATION__CONFIG__JIRA_HOST) is required"},
		{"host not a URL", Config{Host: "acme.atlassian.net", Email: testEmail, Token: testToken}, `--jira-host (TIDE_JIRA_HOST or OCEAN__INTEGRATION__CONFIG__JIRA_HOST) "acme.atlassian.net": want an http(s) URL`},
		{"no token", Config{Host: "https://acme.atlassian.net", Email: testEmail}, "--atlassian-user-token (TIDE_ATLASSIAN_USER_TOKEN or OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN) is required"},
		{"no email with a site", Config{Host: "https://acme.atlassian.net", Token: testToken}, "--atlassian-user-email (TIDE_ATLASSIAN_USER_EMAIL or OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL) is required"},
		{"gateway without cloud id", Config{Host: gatewayPrefix, Token: testToken}, "ends with the site's cloud id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSource(tc.cfg)
			if !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the token is in the error: %v", err)
			}
		})
	}
}

// A bad selector is a configuration error naming the kind and the field,
// found before any request.
func TestSelectorErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	noOrg, err := NewSource(Config{Host: e.url, Email: testEmail, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		src  *Source
		kind string
		sel  map[string]any
		want string
	}{
		{e.src, "issue", map[string]any{"JQL": "x"}, `kind "issue": selector.JQL: unknown field (known fields: query, jql, fields, expand)`},
		{e.src, "user", map[string]any{"jql": "x"}, `kind "user": selector.jql: unknown field (it takes no other fields)`},
		{e.src, "issue", map[string]any{"jql": 3.0}, `kind "issue": selector.jql: want a string, got a number`},
		{e.src, "sprint", map[string]any{"sprintState": []any{"active", "open"}}, `kind "sprint": selector.sprintState[1]: "open": want one of active, closed, future`},
		{e.src, "board", map[string]any{"boardType": "agile"}, `selector.boardType: "agile": want one of scrum, kanban, simple`},
		{e.src, "epic", map[string]any{"status": "closed"}, `selector.status: "closed": want one of done, incomplete`},
		{e.src, "team", map[string]any{"includeMembers": "yes"}, `selector.includeMembers: want true or false, got a string`},
		{e.src, "worklog", map[string]any{"apiQueryParams": map[string]any{"startedAfter": "yesterday"}}, `selector.apiQueryParams.startedAfter: want epoch milliseconds, got "yesterday"`},
		{e.src, "component", map[string]any{"componentSource": "git"}, `selector.componentSource: "git": want one of jira, compass, auto`},
		{noOrg, "team", nil, `kind "team" reads the Atlassian Teams API, which needs --atlassian-organization-id`},
	}
	for _, tc := range tests {
		err := tc.src.ValidateRequest(integrations.Request{Kind: tc.kind, Selector: tc.sel})
		if !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want %q", tc.kind, tc.sel, err, tc.want)
		}
	}
	if err := e.src.ValidateRequest(integrations.Request{Kind: "issues"}); !errors.Is(err, integrations.ErrUnknownKind) {
		t.Errorf("kind issues: %v", err)
	}
	if n := e.fake.Total(); n != 0 {
		t.Errorf("validation sent %d requests", n)
	}
}

// The default mapping writes only declared properties and relations, with
// the types its blueprints declare, from every fixture item.
func TestDefaultResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jiratest.Options{}, Config{})
	defaultstest.Check(t, Definition(), func(req integrations.Request) ([]integrations.Item, error) {
		if err := e.src.ValidateRequest(req); err != nil {
			return nil, err
		}
		items, err := e.resync(req.Kind, req.Selector)
		out := make([]integrations.Item, len(items))
		for i, it := range items {
			out[i] = it
		}
		return out, err
	})
}
