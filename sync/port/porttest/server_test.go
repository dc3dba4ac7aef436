package porttest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func newFake(t *testing.T) (*Server, func(method, path, body string) (int, http.Header, []byte)) {
	t.Helper()
	s := New(Options{ClientID: "id", ClientSecret: "secret"})
	if err := s.Seed([]map[string]any{
		{"identifier": "svc", "title": "Service", "schema": map[string]any{"properties": map[string]any{"n": map[string]any{"type": "number"}}}},
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var tok string
	do := func(method, path, body string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	_, _, b := do(http.MethodPost, "/v1/auth/access_token", `{"clientId":"id","clientSecret":"secret"}`)
	var out struct{ AccessToken string }
	json.Unmarshal(b, &out)
	tok = out.AccessToken
	if tok == "" {
		t.Fatalf("no token: %s", b)
	}
	return s, do
}

// EntityErrors fail the listed entities of a bulk upsert; the rest are
// written by the local target, and both answers keep the request's indexes.
func TestEntityErrorsKeepIndexes(t *testing.T) {
	t.Parallel()
	s, do := newFake(t)
	s.Inject(Fault{Route: RouteBulkUpsert, EntityErrors: map[string]int{"b": 503}})
	code, _, body := do(http.MethodPost, "/v1/blueprints/svc/entities/bulk?upsert=true",
		`{"entities":[{"identifier":"a"},{"identifier":"b"},{"identifier":"c","properties":{"n":"x"}},{"identifier":"d"}]}`)
	var got struct {
		Entities []struct {
			Index      int
			Identifier string
		}
		Errors []struct {
			Index      int
			Identifier string
			StatusCode int
			Error      string
		}
	}
	if err := json.Unmarshal(body, &got); err != nil || code != http.StatusMultiStatus {
		t.Fatalf("%d %s", code, body)
	}
	type row struct {
		Index  int
		ID     string
		Status int
	}
	var rows []row
	for _, e := range got.Entities {
		rows = append(rows, row{e.Index, e.Identifier, 0})
	}
	for _, e := range got.Errors {
		rows = append(rows, row{e.Index, e.Identifier, e.StatusCode})
	}
	want := []row{{0, "a", 0}, {3, "d", 0}, {1, "b", 503}, {2, "c", 422}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	if s.Len() != 2 {
		t.Fatalf("%d entities written, want a and d", s.Len())
	}
	// The fault was used up: the next request is the local target's alone.
	if code, _, body := do(http.MethodPost, "/v1/blueprints/svc/entities/bulk?upsert=true", `{"entities":[{"identifier":"b"}]}`); code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
}

func TestCountsFaultsAndHistory(t *testing.T) {
	t.Parallel()
	s, do := newFake(t)
	s.Inject(Fault{Route: RouteIntegrationCreate, Status: 429, RetryAfter: "2", Times: 2})
	for range 2 {
		code, h, _ := do(http.MethodPost, "/v1/integration", `{"installationId":"it"}`)
		if code != 429 || h.Get("Retry-After") != "2" {
			t.Fatalf("%d %v", code, h)
		}
	}
	if code, h, body := do(http.MethodPost, "/v1/integration", `{"installationId":"it"}`); code != http.StatusCreated || h.Get("x-ratelimit-limit") != "35000" {
		t.Fatalf("%d %s %v", code, body, h)
	}
	do(http.MethodPatch, "/v1/integration/it/resync-state", `{"status":"running"}`)
	do(http.MethodPatch, "/v1/integration/it/resync-state", `{"status":"bogus"}`)
	do(http.MethodPatch, "/v1/integration/it/resync-state", `{"status":"completed"}`)
	if diff := cmp.Diff([]string{"running", "completed"}, s.ResyncStates("it")); diff != "" {
		t.Fatalf("resync states (-want +got):\n%s", diff)
	}
	want := map[string]int{RouteToken: 1, RouteIntegrationCreate: 3, RouteResyncState: 3}
	if diff := cmp.Diff(want, s.Counts()); diff != "" {
		t.Fatalf("counts (-want +got):\n%s", diff)
	}
	s.ResetCounts()
	if s.Count(RouteToken) != 0 {
		t.Fatal("ResetCounts")
	}
}

// A slow answer stops when the client gives up.
func TestDelayHonoursTheClient(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	s.Inject(Fault{Route: RouteToken, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://fake/v1/auth/access_token", strings.NewReader(`{"clientId":"a","clientSecret":"b"}`))
	if _, err := s.Client().Do(req); err == nil {
		t.Fatal("no error from a cancelled slow request")
	}
}
