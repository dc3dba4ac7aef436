package custom

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

func TestDataPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		body     string
		dataPath string
		want     []string
		wantErr  string
		wantLog  string
	}{
		{name: "array body", body: `[{"id":"a"},{"id":"b"}]`, want: []string{"a", "b"}},
		{name: "first array field in document order", body: `{"meta":{"n":2},"zeta":[{"id":"z"}],"alpha":[{"id":"a"}]}`, want: []string{"z"}, wantLog: "data_path=.zeta"},
		{name: "odd key spelled as JQ", body: `{"@odata.context":"x","value":[{"id":"v"}]}`, want: []string{"v"}, wantLog: "data_path=.value"},
		{name: "nested JQ", body: `{"data":{"items":[{"id":"n1"},{"id":"n2"}]}}`, dataPath: ".data.items", want: []string{"n1", "n2"}},
		{name: "JQ stream of objects", body: `{"data":[{"node":{"id":"s1"}},{"node":{"id":"s2"}}]}`, dataPath: ".data[].node", want: []string{"s1", "s2"}},
		{name: "JQ with a filter", body: `{"data":[{"id":"k","ok":true},{"id":"x","ok":false}]}`, dataPath: "[.data[] | select(.ok)]", want: []string{"k"}},
		{name: "single object wrapped", body: `{"id":"only","name":"One"}`, dataPath: "[.]", want: []string{"only"}},
		{name: "null path is no items", body: `{"data":null}`, dataPath: ".data", want: nil},
		{name: "a missing key is an error, not no items", body: `{"data":[{"id":"a"}],"meta":{}}`, dataPath: ".dta", wantErr: `the response has no "dta" (it has: data, meta)`},
		{name: "a missing nested key", body: `{"data":{"rows":[]}}`, dataPath: ".data.items", wantErr: `has no "items" (it has: rows)`},
		{name: "object without array", body: `{"id":"x","status":"ok"}`, wantErr: "no array field (keys: id, status)"},
		{name: "path to a string", body: `{"data":"nope"}`, dataPath: ".data", wantErr: `data_path ".data" gave a JSON string`},
		{name: "items not objects", body: `{"data":[1,2]}`, dataPath: ".data", wantErr: "item 0 is a JSON number"},
		{name: "not JSON", body: `<html>login</html>`, wantErr: "not JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tc.body)) })
			h := newSource(t, api.URL)
			var sel map[string]any
			if tc.dataPath != "" {
				sel = map[string]any{"data_path": tc.dataPath}
			}
			got, err := h.resync("/things", sel)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if tc.wantLog != "" && !strings.Contains(h.logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, h.logs)
			}
		})
	}
}

// orgAPI: /teams → /teams/{team}/members → /teams/{team}/members/{user}/roles.
func orgAPI(t *testing.T) *fakeAPI {
	teams := []any{
		map[string]any{"slug": "core", "name": "Core", "archived": false},
		map[string]any{"slug": "web", "name": "Web", "archived": false},
		map[string]any{"slug": "old", "name": "Old", "archived": true},
	}
	members := map[string][]any{
		"core": {map[string]any{"login": "ann"}, map[string]any{"login": "bob"}},
		"web":  {map[string]any{"login": "cy"}},
		"old":  {map[string]any{"login": "zed"}},
	}
	return newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		switch {
		case len(parts) == 1 && parts[0] == "teams":
			writeJSON(w, map[string]any{"teams": teams})
		case len(parts) == 3 && parts[2] == "members":
			m, ok := members[parts[1]]
			if !ok {
				http.NotFound(w, r)
				return
			}
			writeJSON(w, map[string]any{"members": m})
		case len(parts) == 5 && parts[4] == "roles":
			writeJSON(w, map[string]any{"roles": []any{
				map[string]any{"id": parts[1] + "/" + parts[3] + "/admin"},
				map[string]any{"id": parts[1] + "/" + parts[3] + "/dev"},
			}})
		default:
			http.NotFound(w, r)
		}
	})
}

func TestPathParametersTwoLevels(t *testing.T) {
	t.Parallel()
	api := orgAPI(t)
	h := newSource(t, api.URL)
	sel := obj(t, `{
		"endpoint": "/teams/{team}/members/{user}/roles",
		"data_path": ".roles",
		"path_parameters": {
			"team": {"endpoint": "/teams", "data_path": ".teams", "field": ".slug", "filter": ".archived | not"},
			"user": {"endpoint": "/teams/{team}/members", "data_path": ".members", "field": ".login"}
		}}`)
	got, err := h.resync("role", sel)
	if err != nil {
		t.Fatalf("Resync: %v", err)
	}
	type row struct{ ID, User, Team, TeamName, P string }
	var rows []row
	for _, it := range got {
		parent := it["__parent"].(map[string]any)
		grand := parent["__parent"].(map[string]any)
		pp := it["__path_parameters"].(map[string]any)
		rows = append(rows, row{it["id"].(string), parent["login"].(string), grand["slug"].(string), grand["name"].(string), fmt.Sprint(pp["team"], "/", pp["user"])})
	}
	// Leaves run concurrently: compare as a set.
	sortRows := func(a, b row) bool { return a.ID < b.ID }
	want := []row{
		{"core/ann/admin", "ann", "core", "Core", "core/ann"}, {"core/ann/dev", "ann", "core", "Core", "core/ann"},
		{"core/bob/admin", "bob", "core", "Core", "core/bob"}, {"core/bob/dev", "bob", "core", "Core", "core/bob"},
		{"web/cy/admin", "cy", "web", "Web", "web/cy"}, {"web/cy/dev", "cy", "web", "Web", "web/cy"},
	}
	if diff := cmp.Diff(want, rows, cmpSort(sortRows)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// /teams once, members once per kept team, roles once per member.
	count := map[string]int{}
	for _, r := range api.requests() {
		count[r.Path]++
	}
	wantCount := map[string]int{
		"/teams": 1, "/teams/core/members": 1, "/teams/web/members": 1,
		"/teams/core/members/ann/roles": 1, "/teams/core/members/bob/roles": 1, "/teams/web/members/cy/roles": 1,
	}
	if diff := cmp.Diff(wantCount, count); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestPathParameterErrors(t *testing.T) {
	t.Parallel()
	api := orgAPI(t)
	h := newSource(t, api.URL)
	tests := []struct {
		sel  string
		want string
	}{
		{`{"endpoint": "/teams/{team}/members"}`, `has {team} but path_parameters has no "team"`},
		{`{"endpoint": "/x/{a}", "path_parameters": {"a": {"endpoint": "/y/{b}", "field": ".id"}, "b": {"endpoint": "/z/{a}", "field": ".id"}}}`, "a needs itself (a → b → a)"},
		{`{"endpoint": "/x/{a}", "path_parameters": {"a": {"endpoint": "/teams"}}}`, "path_parameters.a.field is required"},
		{`{"endpoint": "/x/{a}", "path_parameters": {"a": {"endpoint": "/teams", "field": ".id |"}}}`, "path_parameters.a.field"},
		{`{"endpoint": "/x/{a}", "path_parameters": {"a": {"endpoint": "/teams", "field": ".id", "fliter": "true"}}}`, `unknown field "fliter"`},
		{`{"endpoint": "/x", "method": "DELETE"}`, `method "DELETE"`},
		{`{"endpoint": "/x", "data_path": ".[" }`, "data_path"},
		{`{"endpoint": "/x", "pagination": {"type": "cursor", "in": "header"}}`, `pagination.in "header": want query or body`},
		{`{"endpoint": "/x", "pagination": {"type": "pages"}}`, `"pages": want none, offset`},
		{`{"endpoint": "/x", "pagination": {"typ": "page"}}`, `unknown field "typ"`},
		{`{"endpoint": "/x", "query_params": {"a": {"b": 1}}}`, "query_params.a: an object cannot be"},
		{`{"endpont": "/x"}`, `unknown field "endpont"`},
		{`{"endpoint": "https://elsewhere.example.com/x"}`, "not on the base URL's host"},
	}
	for _, tc := range tests {
		_, err := h.resync("/kind", obj(t, tc.sel))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("selector %s: err = %v, want %q", tc.sel, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "elsewhere") && !errors.Is(err, integrations.ErrConfig) {
			t.Errorf("selector %s: err %v is not ErrConfig", tc.sel, err)
		}
		if err != nil && !strings.Contains(err.Error(), `kind "/kind"`) && !strings.Contains(err.Error(), "elsewhere") {
			t.Errorf("selector %s: err %v does not name the kind", tc.sel, err)
		}
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("%d requests made for invalid selectors", n)
	}
}

func TestPathParameterParentFailureFailsBlock(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/teams" {
			writeJSON(w, []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}})
			return
		}
		if r.URL.Path == "/teams/b/members" {
			http.Error(w, `{"message":"Forbidden"}`, 403)
			return
		}
		writeJSON(w, records(0, 2))
	})
	h := newSource(t, api.URL)
	_, err := h.resync("/teams/{t}/members", obj(t, `{"path_parameters": {"t": {"endpoint": "/teams", "field": ".id"}}}`))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 403 || !strings.Contains(err.Error(), "/teams/b/members") {
		t.Fatalf("err = %v, want the 403 of /teams/b/members", err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("429 with Retry-After is waited out", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) <= 2 {
				w.Header().Set("Retry-After", "7")
				http.Error(w, `{"message":"rate limited"}`, 429)
				return
			}
			writeJSON(w, records(0, 3))
		})
		h := newSource(t, api.URL)
		got, err := h.resync("/items", nil)
		if err != nil || len(got) != 3 {
			t.Fatalf("got %d items, err %v", len(got), err)
		}
		if diff := cmp.Diff([]time.Duration{7 * time.Second, 7 * time.Second}, h.waits); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
	t.Run("Retry-After as an HTTP date", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
				w.WriteHeader(503)
				return
			}
			writeJSON(w, records(0, 1))
		})
		h := newSource(t, api.URL)
		h.src.c.now = func() time.Time { return now }
		if _, err := h.resync("/items", nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{90 * time.Second}, h.waits); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
	t.Run("5xx retried with back-off, then the block fails", func(t *testing.T) {
		t.Parallel()
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "upstream down", 502) })
		h := newSource(t, api.URL, "custom-max-retries", "3")
		_, err := h.resync("/items", nil)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 502 {
			t.Fatalf("err = %v", err)
		}
		if n := len(api.requests()); n != 4 {
			t.Errorf("requests = %d, want 4", n)
		}
		if len(h.waits) != 3 || h.waits[2] < h.waits[0] {
			t.Errorf("waits = %v, want 3 growing", h.waits)
		}
	})
	t.Run("an hour's Retry-After is capped, and the rate-limit waits bounded", func(t *testing.T) {
		t.Parallel()
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
		})
		h := newSource(t, api.URL)
		_, err := h.resync("/items", nil)
		if err == nil || !strings.Contains(err.Error(), "HTTP 429") || len(h.waits) != 10 {
			t.Fatalf("err = %v after %d waits, want a 429 after 10", err, len(h.waits))
		}
		for _, w := range h.waits {
			if w != maxRetryAfter {
				t.Fatalf("waits = %v, want each capped at %s", h.waits, maxRetryAfter)
			}
		}
	})
	t.Run("network error retried", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				hj, _ := w.(http.Hijacker)
				conn, _, _ := hj.Hijack()
				conn.Close()
				return
			}
			writeJSON(w, records(0, 2))
		})
		h := newSource(t, api.URL)
		got, err := h.resync("/items", nil)
		if err != nil || len(got) != 2 {
			t.Fatalf("got %d, err %v", len(got), err)
		}
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	h := newSource(t, api.URL, "custom-timeout", "50ms", "custom-max-retries", "1")
	_, err := h.resync("/slow", nil)
	if err == nil || !strings.Contains(err.Error(), "within 50ms (--custom-timeout)") {
		t.Fatalf("err = %v", err)
	}
}

func TestTLSVerification(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, records(0, 2)) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)

	h := newSource(t, srv.URL, "custom-max-retries", "0")
	if _, err := h.resync("/items", nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed certificate accepted by default: err = %v", err)
	}
	if strings.Contains(h.logs.String(), "verification is off") {
		t.Error("warned about TLS with verification on")
	}

	h = newSource(t, srv.URL, "custom-verify-ssl", "false")
	got, err := h.resync("/items", nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("verify off: %d items, err %v", len(got), err)
	}
	if !strings.Contains(h.logs.String(), "level=WARN") || !strings.Contains(h.logs.String(), "verification is off") {
		t.Errorf("no warning with verification off:\n%s", h.logs)
	}
}

func TestMaxConcurrentRequests(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if r.URL.Path == "/teams" {
			var teams []any
			for i := range 12 {
				teams = append(teams, map[string]any{"id": fmt.Sprint(i)})
			}
			writeJSON(w, teams)
			return
		}
		time.Sleep(20 * time.Millisecond) // long enough for requests to overlap
		writeJSON(w, records(0, 1))
	})
	h := newSource(t, api.URL, "custom-max-concurrent-requests", "3")
	got, err := h.resync("/teams/{t}/members", obj(t, `{"path_parameters": {"t": {"endpoint": "/teams", "field": ".id"}}}`))
	if err != nil || len(got) != 12 {
		t.Fatalf("got %d items, err %v", len(got), err)
	}
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak in flight = %d, want 2..3 (limit 3, and concurrent)", p)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	var mu gosync.Mutex
	var stamps []time.Time
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stamps = append(stamps, time.Now())
		mu.Unlock()
		writeJSON(w, slice((atoi(r.URL.Query().Get("page"), 1)-1)*5, 5))
	})
	h := newSource(t, api.URL, "custom-rate-limit", "100", "custom-pagination-type", "page", "custom-page-size", "5")
	if _, err := h.resync("/items", nil); err != nil {
		t.Fatal(err)
	}
	// 6 requests at 100/s: at least 5 gaps of ~10ms between first and last.
	// The listing runs ahead after three full pages: up to 2 more requests
	// may be sent and dropped past the empty page.
	mu.Lock()
	defer mu.Unlock()
	if len(stamps) < 6 || len(stamps) > 6+pagesAhead-1 {
		t.Fatalf("requests = %d, want 6 to %d", len(stamps), 6+pagesAhead-1)
	}
	if d := stamps[5].Sub(stamps[0]); d < 40*time.Millisecond {
		t.Errorf("6 requests took %v at 100 req/s, want ≥ 40ms", d)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url   string
		flags []string
		want  string
	}{
		{"", nil, "--custom-base-url (TIDE_CUSTOM_BASE_URL"},
		{"ftp://x", nil, "--custom-base-url \"ftp://x\""},
		{"https://u:" + basicPass + "@api.example.com", nil, "not in the URL"},
		{"https://api.example.com", []string{"custom-auth-type", "oauth"}, `--custom-auth-type "oauth"`},
		{"https://api.example.com", []string{"custom-auth-type", "bearer_token"}, "needs --custom-api-token"},
		{"https://api.example.com", []string{"custom-auth-type", "basic", "custom-username", "u"}, "needs --custom-password"},
		{"https://api.example.com", []string{"custom-auth-type", "api_key"}, "needs --custom-api-key"},
		{"https://api.example.com", []string{"custom-auth-type", "custom"}, "needs --custom-auth-request"},
		{"https://api.example.com", []string{"custom-auth-type", "custom", "custom-auth-request", `{"endpoint": "/t", "body": {"secret": "` + clientSecret + `"`, "custom-auth-request-template", `{"headers": {"A": "{{.t}}"}}`}, "--custom-auth-request: invalid JSON"},
		{"https://api.example.com", []string{"custom-auth-type", "custom", "custom-auth-request", `{"endpoint": "/t", "secret": "` + clientSecret + `"}`, "custom-auth-request-template", `{"headers": {"A": "{{.t}}"}}`}, `unknown field "secret"`},
		{"https://api.example.com", []string{"custom-auth-type", "custom", "custom-auth-request", `{"endpoint": "/t"}`, "custom-auth-request-template", `{"headers": {"A": "{{.t"}}`}, "unclosed {{"},
		{"https://api.example.com", []string{"custom-auth-type", "custom", "custom-auth-request", `{"endpoint": "/t"}`, "custom-auth-request-template", `{}`}, "at least one of headers"},
		{"https://api.example.com", []string{"custom-header", "NoColon" + headerSecret}, "--custom-header"},
		{"https://api.example.com", []string{"custom-timeout", "soon"}, "--custom-timeout"},
		{"https://api.example.com", []string{"custom-verify-ssl", "maybe"}, "--custom-verify-ssl"},
		{"https://api.example.com", []string{"custom-max-concurrent-requests", "0"}, "--custom-max-concurrent-requests"},
		{"https://api.example.com", []string{"custom-rate-limit", "-1"}, "--custom-rate-limit"},
		{"https://api.example.com", []string{"custom-pagination-type", "pages"}, "--custom-pagination-type"},
		{"https://api.example.com", []string{"custom-start-page", "-1"}, "--custom-start-page"},
		{"https://api.example.com", []string{"custom-page-size", "ten"}, "--custom-page-size"},
		{"https://api.example.com", []string{"custom-cursor-path", ".a["}, "--custom-cursor-path"},
	}
	for _, tc := range tests {
		_, err := tryNewSource(tc.url, tc.flags...)
		if !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: err = %v, want ErrConfig with %q", tc.url, tc.flags, err, tc.want)
			continue
		}
		noSecret(t, []string{basicPass, clientSecret, headerSecret}, err.Error())
	}
}

func cmpSort[T any](less func(a, b T) bool) cmp.Option {
	return cmp.Transformer("sort", func(in []T) []T {
		out := append([]T(nil), in...)
		for i := 1; i < len(out); i++ {
			for j := i; j > 0 && less(out[j], out[j-1]); j-- {
				out[j], out[j-1] = out[j-1], out[j]
			}
		}
		return out
	})
}

func TestPlainHTTPCredentialsWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		warn bool
	}{
		{"http://registry.internal.example", true},
		{"https://registry.internal.example", false},
		{"http://127.0.0.1:8080", false},
		{"http://localhost:8080", false},
	} {
		h := newSource(t, tc.url, "custom-auth-type", "bearer_token", "custom-api-token", bearerSecret)
		if got := strings.Contains(h.logs.String(), "plain http"); got != tc.warn {
			t.Errorf("%s: warned = %v, want %v", tc.url, got, tc.warn)
		}
		noSecret(t, []string{bearerSecret}, h.logs.String())
	}
}

// 64-bit ids beyond 2^53 stay exact: rounded, two records would become one
// entity.
func TestBigIntegerIDsStayExact(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/guilds":
			_, _ = w.Write([]byte(`[{"id": 1234567890123456789, "n": 1.5}, {"id": 1234567890123456790, "n": 2}]`))
		default:
			_, _ = w.Write([]byte(`[{"path": "` + r.URL.Path + `"}]`))
		}
	})
	h := newSource(t, api.URL)
	got, err := h.resync("/guilds", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1234567890123456789", "1234567890123456790"}, ids(got)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if n, ok := got[0]["n"].(float64); !ok || n != 1.5 {
		t.Errorf("n = %#v, want float64 1.5", got[0]["n"])
	}
	got, err = h.resync("/guilds/{g}/roles", obj(t, `{"path_parameters": {"g": {"endpoint": "/guilds", "field": ".id"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, it := range got {
		paths = append(paths, it["path"].(string))
	}
	want := []string{"/guilds/1234567890123456789/roles", "/guilds/1234567890123456790/roles"}
	if diff := cmp.Diff(want, paths, cmpSort(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}
