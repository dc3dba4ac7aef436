package port

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

const (
	tSecret = "sup3r-s3cret-value"
	tToken  = "tok-very-secret-123"
)

// stub is a scripted Port: the token endpoint plus one handler.
type stub struct {
	mu     gosync.Mutex
	tokens int
	reqs   []*http.Request
	bodies []string
	next   func(n int, w http.ResponseWriter, r *http.Request)
	n      int
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	if r.URL.Path == "/v1/auth/access_token" {
		s.tokens++
		s.mu.Unlock()
		var in map[string]string
		json.Unmarshal(b, &in)
		if in["clientSecret"] != tSecret {
			w.WriteHeader(401)
			io.WriteString(w, `{"ok":false,"error":"unauthorized"}`)
			return
		}
		io.WriteString(w, `{"ok":true,"accessToken":"`+tToken+`","expiresIn":10800,"tokenType":"Bearer"}`)
		return
	}
	s.n++
	n := s.n
	s.reqs = append(s.reqs, r)
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	s.next(n, w, r)
}

func newStub(t *testing.T, next func(n int, w http.ResponseWriter, r *http.Request)) (*stub, *Client, *[]time.Duration, *bytes.Buffer) {
	t.Helper()
	s := &stub{next: next}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var waits []time.Duration
	var mu gosync.Mutex
	logs := &bytes.Buffer{}
	c := New(Config{
		BaseURL: srv.URL, ClientID: "cid", ClientSecret: tSecret,
		IntegrationType: "file", IntegrationID: "tide-file", Version: "1.2.3",
		Retry:  httpx.Options{MaxAttempts: 4, MaxDelay: 10 * time.Second, Clock: recordClock{mu: &mu, waits: &waits}},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return s, c, &waits, logs
}

// recordClock records the waits instead of sleeping.
type recordClock struct {
	mu    *gosync.Mutex
	waits *[]time.Duration
}

func (recordClock) Now() time.Time { return time.Now() }
func (c recordClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	*c.waits = append(*c.waits, d)
	c.mu.Unlock()
	return nil
}

func noSecrets(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, tSecret) || strings.Contains(s, tToken) {
			t.Fatalf("a secret leaked: %s", s)
		}
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		responses []func(w http.ResponseWriter)
		wantWaits []time.Duration // exact, or nil for backoff-shaped
		wantErr   int             // final APIError status, 0 for success
	}{
		{"429 Retry-After seconds", []func(http.ResponseWriter){status(429, "Retry-After", "2"), ok}, []time.Duration{2 * time.Second}, 0},
		{"x-ratelimit-reset seconds", []func(http.ResponseWriter){status(429, "x-ratelimit-reset", "3"), ok}, []time.Duration{3 * time.Second}, 0},
		{"Retry-After capped", []func(http.ResponseWriter){status(503, "Retry-After", "3600"), ok}, []time.Duration{10 * time.Second}, 0},
		{"5xx with x-ratelimit-reset waits the backoff, not the reset", []func(http.ResponseWriter){status(502, "x-ratelimit-reset", "60"), status(503, "x-ratelimit-reset", "60"), ok}, nil, 0},
		{"5xx then success", []func(http.ResponseWriter){status(502), status(504), ok}, nil, 0},
		{"gives up after MaxAttempts", []func(http.ResponseWriter){status(500), status(500), status(500), status(503)}, nil, 503},
		{"422 is not retried", []func(http.ResponseWriter){status(422)}, []time.Duration{}, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c, waits, logs := newStub(t, func(n int, w http.ResponseWriter, r *http.Request) { tt.responses[n-1](w) })
			_, err := c.GetBlueprint(context.Background(), "svc")
			var ae *APIError
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != 0 && (!errors.As(err, &ae) || ae.Status != tt.wantErr):
				t.Fatalf("err = %v, want status %d", err, tt.wantErr)
			}
			if s.n != len(tt.responses) || s.tokens != 1 {
				t.Fatalf("%d requests, %d token calls", s.n, s.tokens)
			}
			if tt.wantWaits != nil {
				if !slices.Equal(tt.wantWaits, *waits) {
					t.Fatalf("waits = %v, want %v", *waits, tt.wantWaits)
				}
			} else {
				for i, w := range *waits {
					base := httpx.DefaultBaseDelay << i
					if w < base*8/10 || w > base*12/10 {
						t.Fatalf("wait %d = %v, want %v ±20%%", i, w, base)
					}
				}
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			noSecrets(t, logs.String(), msg)
		})
	}
}

func status(code int, kv ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Set(kv[i], kv[i+1])
		}
		w.Header().Set("x-trace-id", "tr-1")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"ok":false,"error":"e%d","message":"m%d"}`, code, code)
	}
}

func ok(w http.ResponseWriter) { io.WriteString(w, `{"ok":true,"blueprint":{"identifier":"svc"}}`) }

func TestAuth(t *testing.T) {
	t.Parallel()
	// Bad credentials fail at once, with no secret in the message.
	s, c, _, logs := newStub(t, nil)
	c.cfg.ClientSecret = "wrong-" + tSecret
	err := c.Authenticate(context.Background())
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "rejected") || s.tokens != 1 {
		t.Fatalf("err = %v after %d token calls", err, s.tokens)
	}
	noSecrets(t, err.Error(), logs.String())

	// A 401 on a call refreshes the token once; a second 401 is ErrAuth.
	s, c, _, _ = newStub(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			status(401)(w)
			return
		}
		ok(w)
	})
	if _, err := c.GetBlueprint(context.Background(), "svc"); err != nil || s.tokens != 2 {
		t.Fatalf("err %v, %d token calls", err, s.tokens)
	}
	s, c, _, _ = newStub(t, func(n int, w http.ResponseWriter, r *http.Request) { status(401)(w) })
	if _, err := c.GetBlueprint(context.Background(), "svc"); !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v", err)
	}
	if s.reqs[0].Header.Get("Authorization") != "Bearer "+tToken {
		t.Fatalf("Authorization = %q", s.reqs[0].Header.Get("Authorization"))
	}
}

// Port echoing the Authorization header in an error must not print the
// access token obtained at run time: it joins the secret set when fetched.
func TestAccessTokenRedactedFromErrors(t *testing.T) {
	t.Parallel()
	s := &stub{next: func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"ok":false,"error":"forbidden","message":"%s may not read this"}`, r.Header.Get("Authorization"))
	}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	secrets := secret.New(tSecret)
	c := New(Config{BaseURL: srv.URL, ClientID: "cid", ClientSecret: tSecret, Secrets: secrets})
	_, err := c.GetBlueprint(context.Background(), "svc")
	if err == nil || !strings.Contains(err.Error(), "[REDACTED] may not read this") {
		t.Fatalf("err = %v", err)
	}
	noSecrets(t, err.Error())
	if !slices.Contains(secrets.Values(), tToken) {
		t.Fatalf("the access token did not join the secret set: %v", secrets.Values())
	}
}

func TestAPIErrorShape(t *testing.T) {
	t.Parallel()
	_, c, _, _ := newStub(t, func(n int, w http.ResponseWriter, r *http.Request) { status(404)(w) })
	_, err := c.GetIntegration(context.Background(), "a/b")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if got, want := err.Error(), "port: GET /v1/integration/a%2Fb: 404 e404: m404 (trace tr-1)"; got != want {
		t.Fatalf("err = %q, want %q", got, want)
	}
}

func TestBulkUpsert(t *testing.T) {
	t.Parallel()
	ent := func(id string, pad int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"identifier":%q,"blueprint":"svc","properties":{"pad":%q}}`, id, strings.Repeat("x", pad)))
	}
	// Answer every bulk request with success for every index except
	// identifier "bad"; 413 for requests holding "huge".
	s, c, _, _ := newStub(t, nil)
	s.next = func(n int, w http.ResponseWriter, r *http.Request) {
		body := s.bodies[n-1]
		if strings.HasSuffix(r.URL.Path, "/entities") { // single fallback
			var e map[string]any
			json.Unmarshal([]byte(body), &e)
			w.WriteHeader(201)
			fmt.Fprintf(w, `{"ok":true,"entity":{"identifier":%q}}`, e["identifier"])
			return
		}
		if strings.Contains(body, `"too-big-for-bulk"`) {
			status(413)(w)
			return
		}
		var in struct{ Entities []map[string]any }
		json.Unmarshal([]byte(body), &in)
		var oks, errs []string
		for i, e := range in.Entities {
			switch e["identifier"] {
			case "bad":
				errs = append(errs, fmt.Sprintf(`{"index":%d,"identifier":"bad","statusCode":422,"error":"invalid","message":"no"}`, i))
			case "unresolved":
				errs = append(errs, fmt.Sprintf(`{"index":%d,"identifier":"unknown","statusCode":404,"error":"not_found","message":"none"}`, i))
			case "forgotten":
			default:
				oks = append(oks, fmt.Sprintf(`{"index":%d,"identifier":%q,"created":true}`, i, e["identifier"]))
			}
		}
		w.WriteHeader(207)
		fmt.Fprintf(w, `{"ok":true,"entities":[%s],"errors":[%s]}`, strings.Join(oks, ","), strings.Join(errs, ","))
	}

	var in []json.RawMessage
	for i := range 45 {
		in = append(in, ent(fmt.Sprintf("e%d", i), 10))
	}
	in[3], in[4], in[5] = ent("bad", 1), ent("unresolved", 1), ent("forgotten", 1)
	in = append(in, ent("alone", 1<<20)) // over 1 MiB alone
	res, err := c.BulkUpsert(context.Background(), "svc", in, UpsertOptions{Merge: true, CreateMissingRelatedEntities: true, ResyncID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.reqs) != 3 {
		t.Fatalf("%d requests, want 20/20/5", len(s.reqs))
	}
	q := s.reqs[0].URL.Query()
	if q.Get("upsert") != "true" || q.Get("merge") != "true" || q.Get("create_missing_related_entities") != "true" || q.Get("ocean_info_resync_id") != "r1" {
		t.Fatalf("query = %v", q)
	}
	if ua := s.reqs[0].UserAgent(); ua != "port-ocean/file/tide-1.2.3/tide-file/exporter" {
		t.Fatalf("User-Agent = %q", ua)
	}
	if res[0].Err != nil || res[0].Identifier != "e0" || !res[0].Created {
		t.Fatalf("res[0] = %+v", res[0])
	}
	for i, want := range map[int]string{3: "422 invalid", 4: "search identifier matched no entity", 5: "no result", 45: "over Port's 1 MiB"} {
		if res[i].Err == nil || !strings.Contains(res[i].Err.Error(), want) {
			t.Errorf("res[%d].Err = %v, want %q", i, res[i].Err, want)
		}
	}

	// Size: three ~400 KB entities cannot share one request.
	s.reqs, s.bodies, s.n = nil, nil, 0
	big := []json.RawMessage{ent("b1", 400<<10), ent("b2", 400<<10), ent("b3", 400<<10)}
	if _, err := c.BulkUpsert(context.Background(), "svc", big, UpsertOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, b := range s.bodies {
		if len(b) > 1<<20 {
			t.Fatalf("request %d is %d bytes", i, len(b))
		}
	}
	if len(s.reqs) != 2 {
		t.Fatalf("%d requests for 3×400 KB, want 2", len(s.reqs))
	}

	// 413 falls back to single upserts.
	s.reqs, s.bodies, s.n = nil, nil, 0
	res, _ = c.BulkUpsert(context.Background(), "svc", []json.RawMessage{ent("too-big-for-bulk", 1), ent("x", 1)}, UpsertOptions{})
	if len(s.reqs) != 3 || res[0].Err != nil || res[1].Identifier != "x" || !res[1].Created {
		t.Fatalf("%d requests, results %+v", len(s.reqs), res)
	}
}

func TestBulkDeleteAndPaging(t *testing.T) {
	t.Parallel()
	s, c, _, _ := newStub(t, nil)
	s.next = func(n int, w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		json.Unmarshal([]byte(s.bodies[n-1]), &in)
		switch {
		case strings.HasSuffix(r.URL.Path, "/delete"):
			ids := in["entities"].([]any)
			b, _ := json.Marshal(map[string]any{"deletedEntities": ids[:len(ids)-1]}) // one refused each time
			w.Write(b)
		case strings.HasSuffix(r.URL.Path, "/entities/search"):
			next := map[int]string{1: "c1", 2: "c2"}[n]
			fmt.Fprintf(w, `{"ok":true,"entities":[{"identifier":"p%d","blueprint":"svc"}],"next":%q}`, n, next)
		default:
			fmt.Fprintf(w, `{"ok":true,"entities":[{"identifier":"d%d","blueprint":"svc"}],"next":%s}`, n, map[bool]string{true: `"k"`, false: "null"}[n == 1])
		}
	}
	var ids []string
	for i := range 250 {
		ids = append(ids, fmt.Sprint(i))
	}
	deleted, err := c.BulkDelete(context.Background(), "svc", ids, true, "")
	if err != nil || len(deleted) != 247 || len(s.reqs) != 3 || s.reqs[0].URL.Query().Get("delete_dependents") != "true" {
		t.Fatalf("deleted %d, err %v, %d requests", len(deleted), err, len(s.reqs))
	}

	s.reqs, s.bodies, s.n = nil, nil, 0
	var got []string
	err = c.SearchEntities(context.Background(), "svc", SearchRequest{Include: []string{"identifier", "title"}}, func(p []Entity) error {
		for _, e := range p {
			got = append(got, e.Identifier)
		}
		return nil
	})
	if err != nil || !cmp.Equal(got, []string{"p1", "p2", "p3"}) {
		t.Fatalf("got %v err %v", got, err)
	}
	if !strings.Contains(s.bodies[1], `"from":"c1"`) || !strings.Contains(s.bodies[0], `"limit":1000`) || !strings.Contains(s.bodies[0], `"include":["identifier","title"]`) {
		t.Fatalf("bodies = %v", s.bodies)
	}

	s.reqs, s.bodies, s.n = nil, nil, 0
	got = nil
	before := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	err = c.DatasourceEntities(context.Background(), DatasourceQuery{Prefix: DatasourcePrefix("file"), Suffix: DatasourceSuffix("tide-file"), Before: before}, func(p []EntityRef) error {
		for _, e := range p {
			got = append(got, e.Identifier)
		}
		return nil
	})
	if err != nil || !cmp.Equal(got, []string{"d1", "d2"}) {
		t.Fatalf("got %v err %v", got, err)
	}
	for _, want := range []string{`"datasource_prefix":"port-ocean/file/"`, `"datasource_suffix":"/tide-file/exporter"`, `"limit":5000`, `"before":"2026-01-02T03:04:05.601Z"`} {
		if !strings.Contains(s.bodies[0], want) {
			t.Fatalf("body %s lacks %s", s.bodies[0], want)
		}
	}
}

func TestResyncStateWireKey(t *testing.T) {
	t.Parallel()
	s, c, _, _ := newStub(t, func(n int, w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"ok":true}`) })
	iv := 60
	if err := c.PatchResyncState(context.Background(), "x", ResyncState{Status: "completed", IntervalInMinutes: &iv}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.bodies[0], `"intervalInMinuets":60`) || !strings.Contains(s.bodies[0], `"status":"completed"`) {
		t.Fatalf("body = %s", s.bodies[0])
	}
	if ua := s.reqs[0].UserAgent(); ua != "port-ocean/file/tide-1.2.3/tide-file" {
		t.Fatalf("User-Agent = %q", ua)
	}
}

// Search pages are decoded with every field and the next page is fetched
// while the caller works on this one; a caller's error stops paging with
// the prefetched request finished, never more than one page ahead.
func TestSearchPrefetchAndDecode(t *testing.T) {
	t.Parallel()
	s, c, _, _ := newStub(t, nil)
	s.next = func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"ok":true,"entities":[{"identifier":"p%d","blueprint":"svc","title":"P %d","team":["a"],"icon":null,
			"properties":{"n":%d,"tags":["x"]},"relations":{"owner":"t%d"},"createdAt":"2026-01-01T00:00:00Z"}],"next":"c%d"}`, n, n, n, n, n)
	}
	var got []Entity
	stop := errors.New("stop")
	err := c.SearchEntities(context.Background(), "svc", SearchRequest{}, func(p []Entity) error {
		got = append(got, p...)
		if len(got) == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the caller's", err)
	}
	if len(s.reqs) != 4 {
		t.Errorf("%d requests for 3 pages consumed, want 4 (one prefetched)", len(s.reqs))
	}
	want := Entity{Identifier: "p2", Blueprint: "svc", Title: "P 2", Team: []any{"a"},
		Properties: map[string]any{"n": 2.0, "tags": []any{"x"}}, Relations: map[string]any{"owner": "t2"}}
	if diff := cmp.Diff(want, got[1]); diff != "" {
		t.Errorf("page 2 entity (-want +got):\n%s", diff)
	}

	s.reqs, s.bodies, s.n = nil, nil, 0
	s.next = func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 2 {
			fmt.Fprint(w, `{"ok":true,"entities":[{"identifier":`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"entities":[],"next":"c%d"}`, n)
	}
	err = c.SearchEntities(context.Background(), "svc", SearchRequest{}, func([]Entity) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "decoding the answer") {
		t.Errorf("truncated page: err = %v", err)
	}
}
