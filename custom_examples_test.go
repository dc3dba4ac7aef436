package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tide-sync/tide/sync/port/porttest"
)

// fixtureAPI serves an example's testdata/routes.json: "[METHOD ]path?query"
// → fixture file, with {{BASE}} in a fixture replaced by the server's URL.
// Data requests must carry the wanted header; an unknown request is a 404
// and a test failure, and a route never requested fails the test too.
type fixtureAPI struct {
	t          *testing.T
	dir        string
	routes     map[string]string
	authHeader string
	authValue  string
	mu         sync.Mutex
	used       map[string]int
	srv        *httptest.Server
}

func routeKey(method, path string, q url.Values) string {
	k := method + " " + path
	if len(q) > 0 {
		k += "?" + q.Encode()
	}
	return k
}

func newFixtureAPI(t *testing.T, dir, authHeader, authValue string) *fixtureAPI {
	t.Helper()
	var raw map[string]string
	b, err := os.ReadFile(filepath.Join(dir, "routes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("routes.json: %v", err)
	}
	f := &fixtureAPI{t: t, dir: dir, routes: map[string]string{}, authHeader: authHeader, authValue: authValue, used: map[string]int{}}
	for k, file := range raw {
		method := "GET"
		if m, rest, ok := strings.Cut(k, " "); ok {
			method, k = m, rest
		}
		u, err := url.Parse(k)
		if err != nil {
			t.Fatalf("route %q: %v", k, err)
		}
		f.routes[routeKey(method, u.Path, u.Query())] = file
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(func() {
		f.srv.Close()
		for k := range f.routes {
			if f.used[k] == 0 {
				t.Errorf("route %s was never requested", k)
			}
		}
	})
	return f
}

func (f *fixtureAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := routeKey(r.Method, r.URL.Path, r.URL.Query())
	file, ok := f.routes[key]
	if !ok {
		f.t.Errorf("unexpected request %s", key)
		http.NotFound(w, r)
		return
	}
	if !strings.Contains(file, "token") && r.Header.Get(f.authHeader) != f.authValue {
		f.t.Errorf("%s: %s = %q", key, f.authHeader, r.Header.Get(f.authHeader))
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.used[key]++
	f.mu.Unlock()
	b, err := os.ReadFile(filepath.Join(f.dir, file))
	if err != nil {
		f.t.Errorf("%s: %v", key, err)
		http.Error(w, "fixture missing", 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(strings.ReplaceAll(string(b), "{{BASE}}", f.srv.URL)))
}

// Each example under integrations/custom/examples syncs its fixture pages,
// with its own tide.conf, blueprints and mapping, into the local target; a
// second run changes nothing.
func TestCustomExamples(t *testing.T) {
	t.Parallel()
	type check struct {
		bp, id, field string // field: title, or properties.X, or relations.X
		want          any
	}
	tests := []struct {
		name       string
		authHeader string
		authValue  string
		env        func(base string) map[string]string
		basePath   string
		counts     map[string]int
		checks     []check
		secrets    []string
	}{{
		name:       "pagerduty",
		authHeader: "Authorization",
		authValue:  "Token token=y_NbAkKc66ryYTWUXYEu",
		env: func(string) map[string]string {
			return map[string]string{"TIDE_CUSTOM_API_KEY": "Token token=y_NbAkKc66ryYTWUXYEu"}
		},
		counts: map[string]int{"pagerdutyTeam": 2, "pagerdutyService": 2, "pagerdutyTeamMember": 3},
		checks: []check{
			{"pagerdutyService", "PIJ90N7", "relations.team", "PT4KHLK"},
			{"pagerdutyService", "P7ZRFWT", "properties.escalationPolicy", "Engineering on-call"},
			{"pagerdutyTeamMember", "PQ9K7I8-PXPGF42", "title", "Earline Greenholt (Engineering)"},
			{"pagerdutyTeamMember", "PT4KHLK-PXPGF42", "properties.role", "observer"},
			{"pagerdutyTeamMember", "PT4KHLK-PXPGF42", "relations.team", "PT4KHLK"},
		},
		secrets: []string{"y_NbAkKc66ryYTWUXYEu"},
	}, {
		name:       "msgraph",
		authHeader: "Authorization",
		authValue:  "Bearer eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UtZ3JhcGgtdG9rZW4ifQ.e30.sig-fake-graph",
		basePath:   "/v1.0",
		env: func(base string) map[string]string {
			return map[string]string{"TIDE_CUSTOM_AUTH_REQUEST": `{"endpoint": "` + base + `/tenant-1234/oauth2/v2.0/token", "bodyForm": "grant_type=client_credentials&client_id=app-1&client_secret=gr4ph-s3cret-value&scope=https://graph.microsoft.com/.default"}`}
		},
		counts: map[string]int{"entraUser": 3, "entraGroup": 2},
		checks: []check{
			{"entraUser", "626cbf8c-5dde-46b0-8385-9e40d64736fe", "properties.email", "AlexW@contoso.com"},
			{"entraUser", "5bde3e51-d13b-4db1-9948-fe4b109d11a7", "properties.enabled", false},
			{"entraGroup", "0a53828f-36c9-44c3-be3d-99a7fce977ad", "properties.securityEnabled", true},
		},
		secrets: []string{"gr4ph-s3cret-value", "sig-fake-graph"},
	}, {
		name:       "zendesk",
		authHeader: "Authorization",
		authValue:  "Basic YWdlbnRAYWNtZS5jb20vdG9rZW46NmM3ZjdkYjQtenNrLWFwaS10b2tlbg==", // agent@acme.com/token:6c7f7db4-zsk-api-token
		env: func(string) map[string]string {
			return map[string]string{"TIDE_CUSTOM_USERNAME": "agent@acme.com/token", "TIDE_CUSTOM_PASSWORD": "6c7f7db4-zsk-api-token"}
		},
		counts: map[string]int{"zendeskGroup": 2, "zendeskAgent": 2},
		checks: []check{
			{"zendeskAgent", "35501", "relations.defaultGroup", "360002"},
			{"zendeskAgent", "35436", "properties.timeZone", "Europe/Copenhagen"},
			{"zendeskGroup", "360001", "title", "Support"},
		},
		secrets: []string{"6c7f7db4-zsk-api-token"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex := filepath.Join("integrations", "custom", "examples", tc.name)
			api := newFixtureAPI(t, filepath.Join(ex, "testdata"), tc.authHeader, tc.authValue)
			path := filepath.Join(t.TempDir(), "catalog.json")
			args := []string{"sync", "--integration", "custom",
				"--config", filepath.Join(ex, "tide.conf"),
				"--custom-base-url", api.srv.URL + tc.basePath,
				"--custom-rate-limit", "0",
				"--blueprints", filepath.Join(ex, "blueprints.json"),
				"--mapping", filepath.Join(ex, "port-app-config.yml"),
				"--port-url", "local:" + path}
			env := tc.env(api.srv.URL)
			code, out, errs := runArgs(t, env, args...)
			mustCode(t, code, exitOK, out, errs)
			noSecrets(t, tc.secrets, out, errs)

			cat := porttest.New(porttest.Options{})
			if err := cat.LoadFile(path); err != nil {
				t.Fatal(err)
			}
			for bp, n := range tc.counts {
				if got := len(cat.Entities(bp)); got != n {
					t.Errorf("%s: %d entities, want %d", bp, got, n)
				}
			}
			for _, c := range tc.checks {
				e, ok := cat.Entity(c.bp, c.id)
				if !ok {
					t.Errorf("%s %s missing", c.bp, c.id)
					continue
				}
				var got any = e
				for _, k := range strings.Split(c.field, ".") {
					m, _ := got.(map[string]any)
					got = m[k]
				}
				if got != c.want {
					t.Errorf("%s %s %s = %v, want %v", c.bp, c.id, c.field, got, c.want)
				}
			}

			summary := filepath.Join(t.TempDir(), "s.json")
			code, out, errs = runArgs(t, env, append(args, "--summary-file", summary)...)
			mustCode(t, code, exitOK, out, errs)
			var sum struct {
				Total map[string]int `json:"total"`
			}
			b, _ := os.ReadFile(summary)
			if err := json.Unmarshal(b, &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Total["created"]+sum.Total["updated"]+sum.Total["deleted"] != 0 {
				t.Errorf("second run changed the catalog: %v", sum.Total)
			}
		})
	}
}

func noSecrets(t *testing.T, secrets []string, texts ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, txt := range texts {
			if strings.Contains(txt, s) {
				t.Errorf("secret %q… printed:\n%s", s[:4], txt)
			}
		}
	}
}
