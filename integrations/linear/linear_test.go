package linear

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/defaultstest"
	"github.com/tide-sync/tide/integrations/linear/lineartest"
	"github.com/tide-sync/tide/internal/httpx/httpxtest"
	"github.com/tide-sync/tide/internal/vendortest"
)

const testKey = "lin_api_T3stK3yF0rTheFakeW0rkspace0123456789"

// Fixture ids (testdata/workspace.json).
const (
	labelType    = "f0e1d2c3-b4a5-4697-8877-665544332211"
	labelBug     = "a1c2e3f4-0b1d-4e5f-8a9b-0c1d2e3f4a5b"
	labelFeature = "b2d3f4a5-1c2e-4f6a-9bac-1d2e3f4a5b6c"
	labelChore   = "c3e4a5b6-2d3f-4a7b-8cbd-2e3f4a5b6c7d"
)

type env struct {
	fake  *lineartest.Server
	src   *Source
	clock *httpxtest.Clock
}

func newEnv(t *testing.T, pageSize int, key string, opts lineartest.Options) *env {
	t.Helper()
	ws, err := lineartest.Load("testdata/workspace.json")
	if err != nil {
		t.Fatal(err)
	}
	clk := httpxtest.NewClock(time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC))
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	opts.Now = clk.Now
	fake := lineartest.New(ws, opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	src, err := New(Config{URL: srv.URL + "/graphql", APIKey: key, PageSize: pageSize, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, src: src, clock: clk}
}

// resync returns the items of kind and the size of each page emitted.
func (e *env) resync(kind string) ([]map[string]any, []int, error) {
	var items []map[string]any
	var pages []int
	err := e.src.Resync(context.Background(), integrations.Request{Kind: kind}, func(page []integrations.Item) error {
		pages = append(pages, len(page))
		for _, it := range page {
			items = append(items, it)
		}
		return nil
	})
	return items, pages, err
}

func field(items []map[string]any, key string) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it[key]))
	}
	return out
}

func cursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(i)))
}

// Every kind is read over several cursor pages, with the page size and the
// cursor as GraphQL variables; archived issues are left out.
func TestKindsOverCursorPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, op, key string
		want          []string
		wantPages     []int
	}{
		{kind: "team", op: "Teams", key: "key", want: []string{"ENG", "OPS", "DES"}, wantPages: []int{2, 1}},
		{kind: "label", op: "IssueLabels", key: "name", want: []string{"Type", "Bug", "Feature", "Chore", "Area", "Payments", "Web", "Security"}, wantPages: []int{2, 2, 2, 2}},
		{kind: "issue", op: "Issues", key: "identifier", want: []string{"ENG-100", "ENG-123", "ENG-124", "ENG-130", "OPS-7", "OPS-8", "DES-12"}, wantPages: []int{2, 2, 2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 2, testKey, lineartest.Options{})
			items, pages, err := e.resync(tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, field(items, tc.key)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantPages, pages); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			var afters []any
			for _, r := range e.fake.Requests() {
				if r.Op != tc.op {
					continue
				}
				if r.Variables["first"] != 2.0 {
					t.Errorf("first = %v, want the page size 2 as a variable", r.Variables["first"])
				}
				afters = append(afters, r.Variables["after"])
			}
			want := []any{nil}
			for i := 1; i < len(tc.wantPages); i++ {
				want = append(want, cursor(2*i-1))
			}
			if diff := cmp.Diff(want, afters); diff != "" {
				t.Errorf("after variables (-want +got):\n%s", diff)
			}
		})
	}
}

// A label group with more children than the first page holds gets them
// all (the rest by the label's own children connection); parents link up.
func TestLabelTree(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, testKey, lineartest.Options{})
	items, _, err := e.resync("label")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, it := range items {
		byName[it["name"].(string)] = it
	}
	childIDs := func(l map[string]any) []string {
		var ids []string
		for _, e := range l["children"].(map[string]any)["edges"].([]any) {
			ids = append(ids, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		return ids
	}
	if diff := cmp.Diff([]string{labelBug, labelFeature, labelChore}, childIDs(byName["Type"])); diff != "" {
		t.Errorf("Type's children (-want +got):\n%s", diff)
	}
	if got := childIDs(byName["Bug"]); len(got) != 0 {
		t.Errorf("Bug's children = %v", got)
	}
	if got := byName["Bug"]["parent"]; !cmp.Equal(got, map[string]any{"id": labelType}) {
		t.Errorf("Bug's parent = %v", got)
	}
	if byName["Type"]["parent"] != nil || byName["Type"]["isGroup"] != true {
		t.Errorf("Type = %v", byName["Type"])
	}
	if n := e.fake.Count("IssueLabelChildren"); n != 1 {
		t.Errorf("%d children requests, want 1 (Type has 3 children, pages of 2)", n)
	}
	for _, r := range e.fake.Requests() {
		if r.Op == "IssueLabelChildren" && (r.Variables["id"] != labelType || r.Variables["after"] != cursor(1)) {
			t.Errorf("children request variables = %v", r.Variables)
		}
	}
}

// An issue carries its parent, team, state, people and label ids as
// Linear gives them.
func TestIssueWithParent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 50, testKey, lineartest.Options{})
	items, _, err := e.resync("issue")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	for _, it := range items {
		if it["identifier"] == "ENG-123" {
			got = it
		}
	}
	if got == nil {
		t.Fatal("ENG-123 missing")
	}
	want := map[string]any{
		"parent":   map[string]any{"id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "identifier": "ENG-100"},
		"team":     map[string]any{"id": "9cfb482a-81e3-4154-b5b9-2c805e70a02d", "name": "Engineering", "key": "ENG"},
		"state":    map[string]any{"name": "In Progress"},
		"assignee": map[string]any{"name": "Jane Doe", "email": "jane@acme.io"},
		"labelIds": []any{labelBug, "d4f5b6c7-3e4a-4b8c-9dce-3f4a5b6c7d8e"},
	}
	for k, v := range want {
		if diff := cmp.Diff(v, got[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
}

const rateLimited = `{"errors":[{"message":"Rate limit exceeded","extensions":{"type":"ratelimited","code":"RATELIMITED","statusCode":429,"userError":true,"userPresentableMessage":"Rate limit exceeded. Please try again later."}}]}`

// A RATELIMITED answer (400, or 200) is waited out until the spent budget
// resets, then the same page is asked again and every item arrives.
func TestRateLimitedIsWaitedOut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		status   int
		header   func(now time.Time) map[string]string
		wantWait time.Duration
	}{
		{name: "400, requests spent", status: 400, wantWait: 42 * time.Second, header: func(now time.Time) map[string]string {
			return map[string]string{"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": strconv.FormatInt(now.Add(42*time.Second).UnixMilli(), 10),
				"X-RateLimit-Complexity-Remaining": "2999000", "X-RateLimit-Complexity-Reset": strconv.FormatInt(now.Add(5*time.Second).UnixMilli(), 10)}
		}},
		{name: "200, complexity spent", status: 200, wantWait: 75 * time.Second, header: func(now time.Time) map[string]string {
			return map[string]string{"X-Complexity": "2600", "X-RateLimit-Complexity-Remaining": "1000", "X-RateLimit-Complexity-Reset": strconv.FormatInt(now.Add(75*time.Second).UnixMilli(), 10),
				"X-RateLimit-Requests-Remaining": "4990", "X-RateLimit-Requests-Reset": strconv.FormatInt(now.Add(time.Hour).UnixMilli(), 10)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 2, testKey, lineartest.Options{})
			e.fake.Fail(lineartest.Fault{Op: "Issues", After: cursor(1), Status: tc.status, Body: rateLimited, Header: tc.header(e.clock.Now())})
			items, _, err := e.resync("issue")
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 7 {
				t.Errorf("%d issues, want 7", len(items))
			}
			if diff := cmp.Diff([]time.Duration{tc.wantWait}, e.clock.Waits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if n := e.fake.Count("Issues"); n != 5 {
				t.Errorf("%d Issues requests, want 5 (4 pages, one asked twice)", n)
			}
		})
	}
}

// Answers that are not a whole page fail the block: never a shorter list.
func TestIncompleteAnswersAreErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   lineartest.Fault
		wantErr string
	}{
		{name: "errors in a 200", fault: lineartest.Fault{Status: 200, Body: `{"data":{"issues":null},"errors":[{"message":"Internal error resolving issues","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`},
			wantErr: "issues page 2: linear: /graphql: 200 answer with GraphQL errors: Internal error resolving issues (INTERNAL_SERVER_ERROR)"},
		{name: "errors with partial data in a 200", fault: lineartest.Fault{Status: 200, Body: `{"data":{"issues":{"edges":[],"pageInfo":{"hasNextPage":false}}},"errors":[{"message":"Cannot return null for non-nullable field Issue.team"}]}`},
			wantErr: "200 answer with GraphQL errors: Cannot return null for non-nullable field Issue.team"},
		{name: "a 400 query error", fault: lineartest.Fault{Status: 400, Body: `{"errors":[{"message":"Cannot query field \"nope\" on type \"Issue\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`},
			wantErr: `400 Bad Request: Cannot query field "nope" on type "Issue".`},
		{name: "an empty body", fault: lineartest.Fault{Status: 200, Body: ""}, wantErr: "the answer is empty"},
		{name: "no data", fault: lineartest.Fault{Status: 200, Body: `{}`}, wantErr: "the answer has no data"},
		{name: "no connection", fault: lineartest.Fault{Status: 200, Body: `{"data":{"issues":null}}`}, wantErr: "the answer has no issues connection"},
		{name: "no pageInfo", fault: lineartest.Fault{Status: 200, Body: `{"data":{"issues":{"edges":[]}}}`}, wantErr: "no pageInfo"},
		{name: "more pages without a cursor", fault: lineartest.Fault{Status: 200, Body: `{"data":{"issues":{"edges":[{"node":{"id":"x"}}],"pageInfo":{"hasNextPage":true,"endCursor":null}}}}`}, wantErr: "gives no endCursor"},
		{name: "the same cursor again", fault: lineartest.Fault{Status: 200, Body: `{"data":{"issues":{"edges":[{"node":{"id":"x"}}],"pageInfo":{"hasNextPage":true,"endCursor":"` + cursor(1) + `"}}}}`}, wantErr: "was already followed"},
		{name: "an edge without a node", fault: lineartest.Fault{Status: 200, Body: `{"data":{"issues":{"edges":[{"cursor":"c"}],"pageInfo":{"hasNextPage":false}}}}`}, wantErr: "edge 0 has no node"},
		{name: "a 404 mid-listing", fault: lineartest.Fault{Status: 404, Body: `Not Found`}, wantErr: "404 Not Found"},
		{name: "a 403", fault: lineartest.Fault{Status: 403, Body: `{"errors":[{"message":"Forbidden","extensions":{"code":"FORBIDDEN"}}]}`}, wantErr: "403 Forbidden: Forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 2, testKey, lineartest.Options{})
			f := tc.fault
			f.Op, f.After = "Issues", cursor(1)
			e.fake.Fail(f)
			items, _, err := e.resync("issue")
			if err == nil {
				t.Fatalf("no error; %d items", len(items))
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), `kind "issue"`) {
				t.Errorf("error %q, want it to name the kind and contain %q", err, tc.wantErr)
			}
			if errors.Is(err, integrations.ErrConfig) {
				t.Errorf("%v is a configuration error", err)
			}
			if n := e.fake.Count("Issues"); n != 2 {
				t.Errorf("%d Issues requests, want 2 (no retry of a refused page)", n)
			}
		})
	}
}

// A key Linear refuses on a listing (revoked mid-run) is a credentials
// error naming the flag and env vars, without the key.
func TestRejectedKeyIsACredentialsError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault *lineartest.Fault
	}{
		{name: "401"},
		{name: "400 AUTHENTICATION_ERROR", fault: &lineartest.Fault{Status: 400, Body: `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]}`}},
		{name: "200 AUTHENTICATION_ERROR", fault: &lineartest.Fault{Status: 200, Body: `{"data":null,"errors":[{"message":"Invalid API key ` + testKey + `","extensions":{"code":"AUTHENTICATION_ERROR"}}]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key := testKey
			opts := lineartest.Options{}
			if tc.fault == nil {
				opts.APIKey = "lin_api_another"
			}
			e := newEnv(t, 50, key, opts)
			if tc.fault != nil {
				e.fake.Fail(*tc.fault)
			}
			_, _, err := e.resync("team")
			vendortest.WantCredentialsError(t, err, key, "--linear-api-key", "LINEAR_API_KEY", "rejected")
			if n := e.fake.Count("Teams"); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// CheckCredentials sends one Viewer query: a refused key is a credentials
// error naming the flag; any other failure is left for the blocks.
func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		accepted string // the key the fake accepts; "": testKey
		fault    *lineartest.Fault
		want     bool // a credentials error
		requests int  // Viewer requests
	}{
		{name: "accepted", requests: 1},
		{name: "401", accepted: "lin_api_another", want: true, requests: 1},
		{name: "400 AUTHENTICATION_ERROR", want: true, requests: 1,
			fault: &lineartest.Fault{Op: "Viewer", Status: 400, Body: `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]}`}},
		{name: "a query error", requests: 1,
			fault: &lineartest.Fault{Op: "Viewer", Status: 400, Body: `{"errors":[{"message":"Cannot query field","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`}},
		{name: "a server error", requests: 2,
			fault: &lineartest.Fault{Op: "Viewer", Status: 502, Body: `bad gateway`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 50, testKey, lineartest.Options{APIKey: tc.accepted})
			if tc.fault != nil {
				e.fake.Fail(*tc.fault)
			}
			err := e.src.CheckCredentials(context.Background(), []integrations.Request{{Kind: "team"}})
			if got := errors.Is(err, integrations.ErrCredentials); got != tc.want {
				t.Fatalf("err = %v; a credentials error: %v, want %v", err, got, tc.want)
			}
			if !tc.want && err != nil {
				t.Fatalf("err = %v, want none (left for the blocks)", err)
			}
			if tc.want && (!strings.Contains(err.Error(), "--linear-api-key (TIDE_LINEAR_API_KEY, LINEAR_API_KEY") || strings.Contains(err.Error(), testKey)) {
				t.Errorf("error %q: want the flag named, the key not shown", err)
			}
			if got := e.fake.Count("Viewer"); got != tc.requests || len(e.fake.Requests()) != got {
				t.Errorf("%d Viewer requests of %d, want %d", got, len(e.fake.Requests()), tc.requests)
			}
		})
	}
}

// A personal key goes raw in Authorization; an OAuth token as Bearer.
func TestAuthorizationHeader(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{testKey, testKey},
		{"lin_oauth_0123456789abcdef", "Bearer lin_oauth_0123456789abcdef"},
		{"Bearer 0123456789abcdef", "Bearer 0123456789abcdef"},
		{"bearer  0123456789abcdef", "Bearer 0123456789abcdef"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			opts := lineartest.Options{OAuthToken: strings.TrimPrefix(tc.want, "Bearer ")}
			e := newEnv(t, 50, tc.key, opts)
			if _, _, err := e.resync("team"); err != nil {
				t.Fatal(err)
			}
			if got := e.fake.Requests()[0].Auth; got != tc.want {
				t.Errorf("Authorization = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		values  integrations.Values
		wantErr string
	}{
		{name: "no key", values: integrations.Values{}, wantErr: "--linear-api-key (TIDE_LINEAR_API_KEY, LINEAR_API_KEY or OCEAN__INTEGRATION__CONFIG__LINEAR_API_KEY)"},
		{name: "page size zero", values: integrations.Values{"linear-api-key": {testKey}, "linear-page-size": {"0"}}, wantErr: "--linear-page-size (TIDE_LINEAR_PAGE_SIZE) \"0\": want a whole number from 1 to 250"},
		{name: "page size too big", values: integrations.Values{"linear-api-key": {testKey}, "linear-page-size": {"251"}}, wantErr: "from 1 to 250"},
		{name: "page size not a number", values: integrations.Values{"linear-api-key": {testKey}, "linear-page-size": {"fifty"}}, wantErr: "from 1 to 250"},
		{name: "bad URL", values: integrations.Values{"linear-api-key": {testKey}, "linear-url": {"api.linear.app/graphql"}}, wantErr: "--linear-url (TIDE_LINEAR_URL)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Definition().New(integrations.Settings{Values: tc.values})
			if !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrConfig with %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

// Linear's kinds read no selector field besides query (Ocean's read none
// either): the engine warns about any other; a kind tide does not offer is
// refused before any fetch.
func TestRequestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 50, testKey, lineartest.Options{})
	if keys := e.src.SelectorKeys("issue"); len(keys) != 0 {
		t.Errorf("SelectorKeys = %v", keys)
	}
	if err := e.src.ValidateRequest(integrations.Request{Kind: "issue", Selector: map[string]any{"teamKeys": []any{"ENG"}}}); err != nil {
		t.Errorf("issue: %v", err)
	}
	if err := e.src.ValidateRequest(integrations.Request{Kind: "cycle"}); !errors.Is(err, integrations.ErrUnknownKind) {
		t.Errorf("cycle: %v", err)
	}
	if len(e.fake.Requests()) != 0 {
		t.Error("validation sent requests")
	}
}

// The default blueprints declare every property and relation the default
// mapping writes, with matching types, over the fixture's items.
func TestDefaultResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 50, testKey, lineartest.Options{})
	defaultstest.Check(t, Definition(), func(req integrations.Request) ([]integrations.Item, error) {
		if err := e.src.ValidateRequest(req); err != nil {
			return nil, err
		}
		items, _, err := e.resync(req.Kind)
		out := make([]integrations.Item, len(items))
		for i, it := range items {
			out[i] = it
		}
		return out, err
	})
}
