package pagerduty

import (
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/defaultstest"
	"github.com/tide-sync/tide/integrations/pagerduty/pagerdutytest"
	"github.com/tide-sync/tide/internal/httpx/httpxtest"
	"github.com/tide-sync/tide/internal/vendortest"
)

const testToken = "u+PDtestTOKEN0123456789SECRET"

var testNow = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

type env struct {
	pd    *pagerdutytest.Server
	src   *Source
	clock *httpxtest.Clock
}

func newEnv(t *testing.T, token string) *env {
	t.Helper()
	fix, err := pagerdutytest.LoadFixtures("testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	pd := pagerdutytest.New(fix, pagerdutytest.Options{Token: testToken, Now: func() time.Time { return testNow }})
	srv := httptest.NewServer(pd)
	t.Cleanup(srv.Close)
	clock := httpxtest.NewClock(testNow)
	src, err := NewSource(Config{APIURL: srv.URL, Token: token, Clock: clock, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return &env{pd: pd, src: src, clock: clock}
}

func (e *env) resync(t *testing.T, kind string, sel map[string]any) ([]integrations.Item, []string, error) {
	t.Helper()
	var items []integrations.Item
	var notices []string
	req := integrations.Request{Kind: kind, Selector: sel, Notice: func(m string) { notices = append(notices, m) }}
	err := e.src.Resync(t.Context(), req, func(page []integrations.Item) error {
		items = append(items, page...)
		return nil
	})
	return items, notices, err
}

func idsOfItems(items []integrations.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it["id"].(string))
	}
	return out
}

// Each kind lists its collection with Ocean's enrichment keys.
func TestKinds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)

	svcs, _, err := e.resync(t, "services", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"PSVC123", "PSVC456"}, idsOfItems(svcs)); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	oncall := svcs[0]["__oncall_user"].([]any)
	var levels []float64
	for _, oc := range oncall {
		levels = append(levels, oc.(map[string]any)["escalation_level"].(float64))
	}
	if diff := cmp.Diff([]float64{1, 2}, levels); diff != "" {
		t.Errorf("PSVC123 on-call levels (-want +got):\n%s", diff)
	}
	if got := svcs[0]["__analytics"].(map[string]any)["mean_seconds_to_resolve"]; got != 5230.0 {
		t.Errorf("PSVC123 analytics = %v", svcs[0]["__analytics"])
	}

	eps, _, err := e.resync(t, "escalation_policies", map[string]any{"attachOncallUsers": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(eps[1]["__oncall_users"].([]any)); got != 1 {
		t.Errorf("PEP789 on-call users = %d, want 1", got)
	}

	schs, _, err := e.resync(t, "schedules", nil)
	if err != nil {
		t.Fatal(err)
	}
	u := schs[1]["users"].([]any)
	if u[0].(map[string]any)["__email"] != "bob@acme.io" || u[1].(map[string]any)["__email"] != "jane@acme.io" {
		t.Errorf("schedule users = %v", u)
	}

	ocs, _, err := e.resync(t, "oncalls", nil)
	if err != nil || len(ocs) != 3 {
		t.Fatalf("oncalls: %d, %v", len(ocs), err)
	}
	teams, _, err := e.resync(t, "teams", nil)
	if err != nil || len(teams) != 1 {
		t.Fatalf("teams (a plain GET /teams): %d, %v", len(teams), err)
	}

	var got []string
	for _, r := range e.pd.Requests() {
		if strings.HasPrefix(r, "GET /oncalls") {
			got = append(got, r)
		}
	}
	want := []string{
		"GET /oncalls?escalation_policy_ids%5B%5D=PEP456&escalation_policy_ids%5B%5D=PEP789&include%5B%5D=users&limit=100&offset=0&total=true",
		"GET /oncalls?escalation_policy_ids%5B%5D=PEP456&escalation_policy_ids%5B%5D=PEP789&include%5B%5D=users&limit=100&offset=0&total=true",
		"GET /oncalls?include%5B%5D=users&limit=100&offset=0&total=true&until=2025-09-29T00%3A00%3A00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("on-call requests (-want +got):\n%s", diff)
	}
}

// apiQueryParams arrays go out as name[]= and narrow the listing.
func TestIncidentQueryArrays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)
	items, _, err := e.resync(t, "incidents", map[string]any{"apiQueryParams": map[string]any{
		"statuses":    []any{"resolved", "acknowledged"},
		"service_ids": []any{"PSVC456"},
		"include[]":   []any{"assignees"},
		"date_range":  "all",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Q3RESOLVED00001"}, idsOfItems(items)); diff != "" {
		t.Errorf("incidents (-want +got):\n%s", diff)
	}
	reqs := e.pd.Requests()
	want := "GET /incidents?date_range=all&include%5B%5D=assignees&limit=100&offset=0&service_ids%5B%5D=PSVC456&statuses%5B%5D=resolved&statuses%5B%5D=acknowledged&total=true"
	if len(reqs) != 1 || reqs[0] != want {
		t.Errorf("requests = %v\nwant %s", reqs, want)
	}
}

// Pages follow offset while more is true.
func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)
	e.pd.Generate("users", "PU", 250)
	items, _, err := e.resync(t, "users", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 250 || items[249]["id"] != "PU00250" {
		t.Fatalf("got %d users", len(items))
	}
	if got := len(e.pd.Requests()); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
}

// A listing past PagerDuty's 10,000 records is incomplete: an error, never
// the first 10,000; no request asks past the ceiling.
func TestRecordCeiling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)
	e.pd.Generate("users", "PU", MaxRecords+1)
	items, _, err := e.resync(t, "users", nil)
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "narrow the resource block's selector") {
		t.Fatalf("err = %v, want ErrIncomplete naming the selector", err)
	}
	if len(items) != MaxRecords {
		t.Errorf("delivered %d before failing", len(items))
	}
	for _, r := range e.pd.Requests() {
		if strings.Contains(r, "offset=10000") {
			t.Errorf("asked past the ceiling: %s", r)
		}
	}

	// Exactly 10,000: complete.
	e.pd.Generate("teams", "PT", MaxRecords)
	if items, _, err := e.resync(t, "teams", nil); err != nil || len(items) != MaxRecords {
		t.Errorf("10,000 teams: %d, %v", len(items), err)
	}
}

// A 429 waits what ratelimit-reset says, then the listing goes on.
func TestRateLimitWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)
	e.pd.Fail(pagerdutytest.Fault{Path: "/teams", Status: 429, Times: 1,
		Header: map[string]string{"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "7"},
		Body:   `{"error":{"message":"Rate Limit Exceeded","code":2020}}`})
	items, _, err := e.resync(t, "teams", nil)
	if err != nil || len(items) != 1 {
		t.Fatalf("teams: %d, %v", len(items), err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, e.clock.Waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// Analytics refused (403) or out of its daily budget (429): the services
// are still delivered, __analytics says why it is missing (so the mapped
// fields are left out of the write), and the block's notice says so.
func TestAnalyticsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fault  pagerdutytest.Fault
		reason string
	}{
		{"403", pagerdutytest.Fault{Method: "POST", Path: "/analytics/metrics/incidents/services", Status: 403,
			Body: `{"error":{"message":"Access Denied","code":2010}}`}, "PagerDuty answered 403 Forbidden"},
		{"daily budget spent", pagerdutytest.Fault{Method: "POST", Path: "/analytics/metrics/incidents/services", Status: 429,
			Header: map[string]string{"daily-ratelimit-remaining": "0", "ratelimit-reset": "30"},
			Body:   `{"error":{"message":"Daily rate limit exceeded"}}`}, "the daily analytics budget is spent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, testToken)
			e.pd.Fail(tc.fault)
			items, notices, err := e.resync(t, "services", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 2 || items[0]["__oncall_user"] == nil {
				t.Fatalf("services = %v", items)
			}
			if got := items[0]["__analytics"]; got != "analytics skipped: "+tc.reason {
				t.Errorf("__analytics = %v", got)
			}
			if len(notices) != 1 || !strings.Contains(notices[0], tc.reason) {
				t.Errorf("notices = %q", notices)
			}
			if len(e.clock.Waits()) != 0 {
				t.Errorf("waited %v on a spent analytics budget", e.clock.Waits())
			}
			// Analytics stays off for the run: no second call.
			if _, _, err := e.resync(t, "services", nil); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range e.pd.Requests() {
				if strings.HasPrefix(r, "POST /analytics") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("analytics requests = %d, want 1", n)
			}
		})
	}
}

// Incident analytics: __analytics is each incident's raw record.
func TestIncidentAnalytics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)
	items, _, err := e.resync(t, "incidents", map[string]any{"incidentAnalytics": true, "apiQueryParams": map[string]any{"date_range": "all"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		a, ok := it["__analytics"].(map[string]any)
		if !ok || a["id"] != it["id"] {
			t.Errorf("%v: __analytics = %v", it["id"], it["__analytics"])
		}
	}
}

// CheckCredentials sends one GET /abilities: a 401 is a credentials error
// naming the flag and the EU URL; a 403 (a scoped OAuth token without
// abilities.read) and a server error are left for the blocks.
func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		token    string
		fault    *pagerdutytest.Fault
		want     bool // a credentials error
		requests int
	}{
		{name: "accepted", token: testToken, requests: 1},
		{name: "401", token: "wrongTOKENvalue0123SECRET", want: true, requests: 1},
		{name: "403 without abilities.read", token: testToken, requests: 1,
			fault: &pagerdutytest.Fault{Path: "/abilities", Status: 403, Body: `{"error":{"message":"Access Denied","code":2010}}`}},
		{name: "a server error", token: testToken, requests: 2,
			fault: &pagerdutytest.Fault{Path: "/abilities", Status: 500, Body: `{"error":{"message":"Internal Server Error"}}`, Times: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.token)
			if tc.fault != nil {
				e.pd.Fail(*tc.fault)
			}
			err := e.src.CheckCredentials(t.Context(), []integrations.Request{{Kind: "services"}})
			if got := errors.Is(err, integrations.ErrCredentials); got != tc.want || (!tc.want && err != nil) {
				t.Fatalf("err = %v, want a credentials error: %v", err, tc.want)
			}
			if tc.want {
				vendortest.WantCredentialsError(t, err, tc.token, "401", "--pagerduty-token (TIDE_PAGERDUTY_TOKEN, OCEAN__INTEGRATION__CONFIG__TOKEN)", EUAPIURL)
			}
			want := slices.Repeat([]string{"GET /abilities"}, tc.requests)
			if diff := cmp.Diff(want, e.pd.Requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// A token rejected on a listing (revoked mid-run) is a credentials error
// naming the flag; the token appears nowhere. An OAuth token (pd...) is
// sent as Bearer.
func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "wrongTOKENvalue0123SECRET")
	_, _, err := e.resync(t, "services", nil)
	if !errors.Is(err, integrations.ErrCredentials) || !strings.Contains(err.Error(), "--pagerduty-token") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrongTOKENvalue0123SECRET") {
		t.Errorf("the token is in the error: %v", err)
	}

	fix, _ := pagerdutytest.LoadFixtures("testdata/api.json")
	pd := pagerdutytest.New(fix, pagerdutytest.Options{Token: "pdOAuthTOKEN0123456789"})
	srv := httptest.NewServer(pd)
	t.Cleanup(srv.Close)
	src, err := NewSource(Config{APIURL: srv.URL, Token: "pdOAuthTOKEN0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Resync(t.Context(), integrations.Request{Kind: "users"}, func([]integrations.Item) error { return nil }); err != nil {
		t.Errorf("OAuth token: %v", err)
	}
}

// Refusals and broken answers fail the block, never a shorter list.
func TestListingErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault pagerdutytest.Fault
		want  string
	}{
		{"403", pagerdutytest.Fault{Path: "/users", Status: 403, Body: `{"error":{"message":"Access Denied"}}`}, "403"},
		{"404", pagerdutytest.Fault{Path: "/users", Status: 404, Body: `{"error":{"message":"Not Found"}}`}, "404"},
		{"empty body", pagerdutytest.Fault{Path: "/users", Status: 200}, "empty"},
		{"no list", pagerdutytest.Fault{Path: "/users", Status: 200, Body: `{"more":false}`}, `no "users" list`},
		{"more with an empty page", pagerdutytest.Fault{Path: "/users", Status: 200, Body: `{"users":[],"more":true}`}, "incomplete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, testToken)
			e.pd.Fail(tc.fault)
			_, _, err := e.resync(t, "users", nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// Bad selectors and parameters are configuration errors naming the field.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)
	for _, tc := range []struct {
		kind string
		sel  map[string]any
		want string
	}{
		{"incidents", map[string]any{"apiQueryParams": map[string]any{"statuses": []any{"open"}}}, `selector.apiQueryParams.statuses[0]: "open" is not one of triggered, acknowledged, resolved`},
		{"incidents", map[string]any{"apiQueryParams": map[string]any{"status": []any{"resolved"}}}, "status: not a query parameter of incidents"},
		{"services", map[string]any{"serviceAnalytics": "yes"}, "selector.serviceAnalytics: want true or false"},
		{"services", map[string]any{"analyticsMonthsPeriod": 0.5}, "analyticsMonthsPeriod: want a whole number"},
		{"users", map[string]any{"apiQueryParams": map[string]any{"query": "x"}}, "takes no query parameters"},
		{"oncalls", map[string]any{"apiQueryParams": map[string]any{"until": "soon"}}, "until: want a whole number"},
		{"services", map[string]any{"includeCustomFields": true}, "custom field values are not fetched"},
		{"Users?x=1", nil, "not a PagerDuty collection"},
	} {
		err := e.src.ValidateRequest(integrations.Request{Kind: tc.kind, Selector: tc.sel})
		if !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want %q", tc.kind, tc.sel, err, tc.want)
		}
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "--pagerduty-token"},
		{Config{Token: "abcdefgh", APIURL: "api.pagerduty.com"}, "--pagerduty-api-url"},
	} {
		if _, err := NewSource(tc.cfg); !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v", tc.cfg, err)
		}
	}
	if len(e.pd.Requests()) != 0 {
		t.Errorf("validation made requests: %v", e.pd.Requests())
	}
}

// The default mapping writes only what the default blueprints declare,
// with their types, from the fixtures.
func TestDefaultResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testToken)
	defaultstest.Check(t, Definition(), func(req integrations.Request) ([]integrations.Item, error) {
		items, _, err := e.resync(t, req.Kind, req.Selector)
		return items, err
	})
}
