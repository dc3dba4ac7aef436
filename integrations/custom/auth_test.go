package custom

import (
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/tide-sync/tide/integrations"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	bearerSecret = "bearer-s3cr3t-7f0a"
	basicPass    = "pa55-w0rd-91c2"
	apiKey       = "key-aa88-bb99-cc00"
	headerSecret = "hdr-v4lue-5e5e"
	clientSecret = "client-s3cret-42d1"
)

func TestStaticAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		flags  []string
		header string
		want   string
	}{
		{"bearer", []string{"custom-auth-type", "bearer_token", "custom-api-token", bearerSecret}, "Authorization", "Bearer " + bearerSecret},
		{"basic", []string{"custom-auth-type", "basic", "custom-username", "svc", "custom-password", basicPass}, "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("svc:"+basicPass))},
		{"api key, default header", []string{"custom-auth-type", "api_key", "custom-api-key", apiKey}, "X-Api-Key", apiKey},
		{"api key, own header", []string{"custom-auth-type", "api_key", "custom-api-key", apiKey, "custom-api-key-header", "X-Auth-Token"}, "X-Auth-Token", apiKey},
		{"none, static header", []string{"custom-header", "X-Tenant: " + headerSecret}, "X-Tenant", headerSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get(tc.header) != tc.want {
					http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
					return
				}
				writeJSON(w, records(0, 3))
			})
			h := newSource(t, api.URL, tc.flags...)
			got, err := h.resync("/items", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("items = %d", len(got))
			}
			if tc.name == "none, static header" {
				if a := api.requests()[0].Header.Get("Authorization"); a != "" {
					t.Errorf("auth none sent Authorization %q", a)
				}
			}
		})
	}
}

// A refused request is the block's error: never an empty result, never
// retried, and the credentials appear nowhere.
func TestRefusalsFailTheBlockWithoutSecrets(t *testing.T) {
	t.Parallel()
	for _, code := range []int{401, 403, 404} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
				// Some APIs echo what they were sent.
				http.Error(w, `{"error":"refused","got":"`+r.Header.Get("Authorization")+`"}`, code)
			})
			h := newSource(t, api.URL+"/v1", "custom-auth-type", "bearer_token", "custom-api-token", bearerSecret)
			_, err := h.resync("/teams", nil)
			var se *StatusError
			if !errors.As(err, &se) || se.Status != code {
				t.Fatalf("err = %v, want a StatusError %d", err, code)
			}
			if !strings.Contains(err.Error(), "/v1/teams") || !strings.Contains(err.Error(), fmt.Sprint(code)) {
				t.Errorf("error does not say where: %v", err)
			}
			if n := len(api.requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
			noSecret(t, []string{bearerSecret}, err.Error(), h.logs.String())
		})
	}
}

// tokenServer is an OAuth-ish API: POST /oauth/token (form) issues tokens;
// GET /items wants the latest token in Authorization and ?region=.
type tokenServer struct {
	mu        gosync.Mutex
	issued    int
	valid     string
	dataCalls int
	revokeAt  int // the data call (1-based) at which the token is revoked
	tokenReqs []url.Values
}

func (s *tokenServer) handler(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/oauth/token":
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, `{"error":"invalid_request"}`, 400)
			return
		}
		_ = r.ParseForm()
		s.tokenReqs = append(s.tokenReqs, r.PostForm)
		if r.PostForm.Get("client_secret") != clientSecret {
			http.Error(w, `{"error":"invalid_client"}`, 401)
			return
		}
		s.issued++
		s.valid = fmt.Sprintf("tok-%d-%s", s.issued, "zz91ab")
		writeJSON(w, map[string]any{"access_token": s.valid, "token_type": "bearer", "expires_in": 3600, "meta": map[string]any{"region": "eu1"}})
	case "/items":
		s.dataCalls++
		if s.dataCalls == s.revokeAt {
			s.valid = "revoked"
		}
		if r.Header.Get("Authorization") != "Bearer "+s.valid || r.URL.Query().Get("region") != "eu1" {
			http.Error(w, `{"error":"invalid_token"}`, 401)
			return
		}
		p := atoi(r.URL.Query().Get("page"), 1)
		writeJSON(w, map[string]any{"data": slice((p-1)*10, 10)})
	default:
		http.NotFound(w, r)
	}
}

func customFlags(secret string) []string {
	return []string{
		"custom-auth-type", "custom",
		"custom-auth-request", `{"endpoint": "/oauth/token", "method": "POST", "bodyForm": "grant_type=client_credentials&client_id=tide&client_secret=` + secret + `"}`,
		"custom-auth-request-template", `{"headers": {"Authorization": "Bearer {{ .access_token }}"}, "queryParams": {"region": "{{.meta.region}}"}}`,
		"custom-pagination-type", "page", "custom-page-size", "10",
	}
}

func TestCustomAuthTemplatesAndRefreshesOn401(t *testing.T) {
	t.Parallel()
	ts := &tokenServer{revokeAt: 2}
	api := newAPI(t, ts.handler)
	h := newSource(t, api.URL, customFlags(clientSecret)...)
	got, err := h.resync("/items", nil)
	if err != nil {
		t.Fatalf("Resync: %v\n%s", err, h.logs)
	}
	if diff := cmp.Diff(wantIDs(total), ids(got)); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if ts.issued != 2 {
		t.Errorf("tokens issued = %d, want 2 (first, then after the 401)", ts.issued)
	}
	if g := ts.tokenReqs[0].Get("grant_type"); g != "client_credentials" {
		t.Errorf("token request grant_type = %q", g)
	}
	var auths []string
	for _, r := range api.requests() {
		if r.Path == "/items" {
			auths = append(auths, r.Header.Get("Authorization")+" "+r.Query)
		}
	}
	want := []string{
		"Bearer tok-1-zz91ab page=1&region=eu1&size=10",
		"Bearer tok-1-zz91ab page=2&region=eu1&size=10", // revoked: 401
		"Bearer tok-2-zz91ab page=2&region=eu1&size=10",
		"Bearer tok-2-zz91ab page=3&region=eu1&size=10",
		"Bearer tok-2-zz91ab page=4&region=eu1&size=10",
	}
	if diff := cmp.Diff(want, auths); diff != "" {
		t.Errorf("data requests (-want +got):\n%s", diff)
	}
	noSecret(t, []string{clientSecret, "tok-1-zz91ab", "tok-2-zz91ab"}, h.logs.String())
}

func TestCustomAuthRenewsBeforeExpiry(t *testing.T) {
	t.Parallel()
	ts := &tokenServer{}
	var mu gosync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		ts.handler(w, r)
		if r.URL.Path == "/items" {
			mu.Lock()
			now = now.Add(30 * time.Minute) // half the token's hour per page
			mu.Unlock()
		}
	})
	h := newSource(t, api.URL, customFlags(clientSecret)...)
	h.src.c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	if _, err := h.resync("/items", nil); err != nil {
		t.Fatal(err)
	}
	// Four pages, 30 min apart; the hour's token is renewed a minute early,
	// so before pages 3 (t+60m) — before any 401.
	if ts.issued != 2 {
		t.Errorf("tokens issued = %d, want 2", ts.issued)
	}
	for _, r := range api.requests() {
		if r.Path == "/items" && r.Header.Get("Authorization") == "Bearer revoked" {
			t.Error("a request used a revoked token")
		}
	}
}

func TestCustomAuthJSONBodyAndBodyTemplate(t *testing.T) {
	t.Parallel()
	api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/auth/login":
			var b map[string]any
			if decode(r, &b) != nil || b["password"] != clientSecret || r.Header.Get("X-Client") != "tide" {
				http.Error(w, `{}`, 401)
				return
			}
			writeJSON(w, map[string]any{"session": map[string]any{"key": "sess-77aa1b"}})
		case "/search":
			var b map[string]any
			if decode(r, &b) != nil || b["sessionKey"] != "sess-77aa1b" || b["type"] != "service" {
				http.Error(w, `{}`, 401)
				return
			}
			writeJSON(w, map[string]any{"results": records(0, 4)})
		}
	})
	h := newSource(t, api.URL,
		"custom-auth-type", "custom",
		"custom-auth-request", `{"endpoint": "/auth/login", "headers": {"X-Client": "tide"}, "body": {"user": "svc", "password": "`+clientSecret+`"}}`,
		"custom-auth-request-template", `{"body": {"sessionKey": "{{.session.key}}"}}`)
	got, err := h.resync("/search", obj(t, `{"method": "POST", "body": {"type": "service"}, "data_path": ".results"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("items = %d", len(got))
	}
	noSecret(t, []string{clientSecret, "sess-77aa1b"}, h.logs.String())
}

func TestCustomAuthFailures(t *testing.T) {
	t.Parallel()
	t.Run("token request refused", func(t *testing.T) {
		t.Parallel()
		ts := &tokenServer{}
		api := newAPI(t, ts.handler)
		h := newSource(t, api.URL, customFlags("wrong-"+clientSecret)...)
		_, err := h.resync("/items", nil)
		if !errors.Is(err, errAuthRequest) || !strings.Contains(err.Error(), "/oauth/token") || !strings.Contains(err.Error(), "401") {
			t.Fatalf("err = %v", err)
		}
		for _, r := range api.requests() {
			if r.Path == "/items" {
				t.Fatal("data requested without a token")
			}
		}
		noSecret(t, []string{clientSecret}, err.Error(), h.logs.String())
	})
	t.Run("template names a missing field", func(t *testing.T) {
		t.Parallel()
		api := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"token": "tk-secret-8888aa"})
		})
		h := newSource(t, api.URL,
			"custom-auth-type", "custom",
			"custom-auth-request", `{"endpoint": "/token", "body": {"k": "v"}}`,
			"custom-auth-request-template", `{"headers": {"Authorization": "Bearer {{.access_token}}"}}`)
		_, err := h.resync("/items", nil)
		if err == nil || !strings.Contains(err.Error(), "headers.Authorization") || !strings.Contains(err.Error(), "keys: token") {
			t.Fatalf("err = %v, want it to name the template field and the response's keys", err)
		}
		noSecret(t, []string{"tk-secret-8888aa"}, err.Error(), h.logs.String())
	})
}

func TestTokenWithoutAuthTypeIsBearer(t *testing.T) {
	t.Parallel()
	a, err := parseAuth(integrations.Values{"custom-api-token": {"tok-abcdef"}})
	if err != nil || a.typ != "bearer_token" {
		t.Fatalf("auth type %q, err %v; want bearer_token", a.typ, err)
	}
	a, err = parseAuth(integrations.Values{})
	if err != nil || a.typ != "none" {
		t.Fatalf("auth type %q, err %v; want none", a.typ, err)
	}
}
