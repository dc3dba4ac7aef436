package httpx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/internal/httpx/httpxtest"
	"github.com/tide-sync/tide/internal/secret"
)

// newFakeClock is the clock every test here starts from.
func newFakeClock() *httpxtest.Clock {
	return httpxtest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
}

// step is one scripted answer.
type step struct {
	status int
	header map[string]string
	body   string
	reset  bool          // drop the connection instead of answering
	stall  time.Duration // answer this late
}

// script serves its steps in order, then the last one forever.
func script(t *testing.T, clock *httpxtest.Clock, steps ...step) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		s := steps[min(i, len(steps)-1)]
		if s.reset {
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("no hijacker")
				return
			}
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		if s.stall > 0 {
			select {
			case <-time.After(s.stall):
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range s.header {
			// Dates in the script are relative to the fake clock.
			v = strings.ReplaceAll(v, "{now+10s}", clock.Now().Add(10*time.Second).Format(http.TimeFormat))
			v = strings.ReplaceAll(v, "{epoch+100}", fmt.Sprint(clock.Now().Add(100*time.Second).Unix()))
			v = strings.ReplaceAll(v, "{epochms+90}", fmt.Sprint(clock.Now().Add(90*time.Second).UnixMilli()))
			v = strings.ReplaceAll(v, "{epochms+20}", fmt.Sprint(clock.Now().Add(20*time.Second).UnixMilli()))
			v = strings.ReplaceAll(v, "{iso+40s}", clock.Now().Add(40*time.Second).Format(time.RFC3339))
			w.Header().Set(k, v)
		}
		w.WriteHeader(s.status)
		fmt.Fprint(w, s.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// linearLimited is Linear's answer to a spent budget.
const linearLimited = `{"errors":[{"message":"Rate limit exceeded","extensions":{"type":"ratelimited","code":"RATELIMITED","statusCode":429,"userError":true,"userPresentableMessage":"Rate limit exceeded. Please try again later."}}]}`

const s = time.Second
const ms = time.Millisecond

func TestDoRetryPolicy(t *testing.T) {
	t.Parallel()
	ok := step{status: 200, body: `{"ok":true}`}
	tests := []struct {
		name      string
		rl        RateLimit
		steps     []step
		opts      func(*Options)
		wantWaits []time.Duration
		wantCalls int64
		wantErr   string // substring; "" means success
	}{
		{name: "200 at once", steps: []step{ok}, wantCalls: 1},
		{
			name: "5xx with x-ratelimit-reset 60 waits the backoff, not 60s", rl: Port,
			steps:     []step{{status: 502, header: map[string]string{"x-ratelimit-reset": "60"}}, {status: 503, header: map[string]string{"x-ratelimit-reset": "60"}}, {status: 500, header: map[string]string{"x-ratelimit-reset": "60", "x-ratelimit-remaining": "0"}}, ok},
			wantWaits: []time.Duration{500 * ms, 1 * s, 2 * s}, wantCalls: 4,
		},
		{
			name: "503 with Retry-After seconds", steps: []step{{status: 503, header: map[string]string{"Retry-After": "2"}}, ok},
			wantWaits: []time.Duration{2 * s}, wantCalls: 2,
		},
		{
			name: "503 with a long Retry-After is capped at the backoff cap", steps: []step{{status: 503, header: map[string]string{"Retry-After": "120"}}, ok},
			wantWaits: []time.Duration{30 * s}, wantCalls: 2,
		},
		{
			name: "408 backs off", steps: []step{{status: 408}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name: "429 with Retry-After seconds", steps: []step{{status: 429, header: map[string]string{"Retry-After": "7"}}, ok},
			wantWaits: []time.Duration{7 * s}, wantCalls: 2,
		},
		{
			name: "429 with Retry-After as an HTTP date", steps: []step{{status: 429, header: map[string]string{"Retry-After": "{now+10s}"}}, ok},
			wantWaits: []time.Duration{10 * s}, wantCalls: 2,
		},
		{
			name: "429 with Retry-After 0 retries at once", steps: []step{{status: 429, header: map[string]string{"Retry-After": "0"}}, ok},
			wantWaits: []time.Duration{0}, wantCalls: 2,
		},
		{
			name: "429 without headers backs off", steps: []step{{status: 429}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name: "429 asking for an hour is capped", steps: []step{{status: 429, header: map[string]string{"Retry-After": "3600"}}, ok},
			wantWaits: []time.Duration{5 * time.Minute}, wantCalls: 2,
		},
		{
			name: "Port 429 waits x-ratelimit-reset", rl: Port,
			steps:     []step{{status: 429, header: map[string]string{"x-ratelimit-reset": "12"}}, ok},
			wantWaits: []time.Duration{12 * s}, wantCalls: 2,
		},
		{
			name: "Port 429 prefers Retry-After", rl: Port,
			steps:     []step{{status: 429, header: map[string]string{"x-ratelimit-reset": "12", "Retry-After": "3"}}, ok},
			wantWaits: []time.Duration{3 * s}, wantCalls: 2,
		},
		{
			name: "GitHub primary limit: 403 with remaining 0 waits until the reset", rl: GitHub,
			steps:     []step{{status: 403, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "{epoch+100}"}, body: `{"message":"API rate limit exceeded"}`}, ok},
			wantWaits: []time.Duration{101 * s}, wantCalls: 2,
		},
		{
			name: "GitHub secondary limit without a time waits a minute", rl: GitHub,
			steps:     []step{{status: 403, body: `{"message":"You have exceeded a secondary rate limit"}`}, ok},
			wantWaits: []time.Duration{time.Minute}, wantCalls: 2,
		},
		{
			name: "GitHub secondary limit with Retry-After", rl: GitHub,
			steps:     []step{{status: 429, header: map[string]string{"Retry-After": "5"}}, ok},
			wantWaits: []time.Duration{5 * s}, wantCalls: 2,
		},
		{
			name: "GitHub 403 that is no rate limit fails at once", rl: GitHub,
			steps:   []step{{status: 403, header: map[string]string{"X-Ratelimit-Remaining": "4000"}, body: `{"message":"Resource not accessible by integration"}`}},
			wantErr: "403 Forbidden: Resource not accessible by integration", wantCalls: 1,
		},
		{
			name: "GitHub 502 with a spent quota still waits the backoff", rl: GitHub,
			steps:     []step{{status: 502, header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "{epoch+100}"}}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name: "GitLab 429 waits until RateLimit-Reset", rl: GitLab,
			steps:     []step{{status: 429, header: map[string]string{"RateLimit-Reset": "{epoch+100}"}}, ok},
			wantWaits: []time.Duration{100 * s}, wantCalls: 2,
		},
		{
			name: "GitLab 503 with RateLimit-Reset waits the backoff", rl: GitLab,
			steps:     []step{{status: 503, header: map[string]string{"RateLimit-Reset": "{epoch+100}"}}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name: "Jira 429 waits until X-RateLimit-Reset", rl: Jira,
			steps:     []step{{status: 429, header: map[string]string{"X-RateLimit-Reset": "{iso+40s}", "X-RateLimit-NearLimit": "true"}}, ok},
			wantWaits: []time.Duration{40 * s}, wantCalls: 2,
		},
		{
			name: "Jira 429 prefers Retry-After", rl: Jira,
			steps:     []step{{status: 429, header: map[string]string{"X-RateLimit-Reset": "{iso+40s}", "Retry-After": "4"}}, ok},
			wantWaits: []time.Duration{4 * s}, wantCalls: 2,
		},
		{
			name: "PagerDuty 429 waits ratelimit-reset", rl: PagerDuty,
			steps:     []step{{status: 429, header: map[string]string{"ratelimit-reset": "30", "ratelimit-remaining": "0"}}, ok},
			wantWaits: []time.Duration{30 * s}, wantCalls: 2,
		},
		{
			name: "PagerDuty 500 with ratelimit-reset waits the backoff", rl: PagerDuty,
			steps:     []step{{status: 500, header: map[string]string{"ratelimit-reset": "30"}}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name: "Linear 400 RATELIMITED waits until the spent requests budget resets (epoch ms)", rl: Linear,
			steps: []step{{status: 400, body: linearLimited, header: map[string]string{
				"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": "{epochms+90}",
				"X-RateLimit-Complexity-Remaining": "240000", "X-RateLimit-Complexity-Reset": "{epochms+20}",
			}}, ok},
			wantWaits: []time.Duration{90 * s}, wantCalls: 2,
		},
		{
			name: "Linear 200 RATELIMITED is no page: the spent complexity budget is waited out", rl: Linear,
			steps: []step{{status: 200, body: linearLimited, header: map[string]string{
				"X-Complexity": "1500", "X-RateLimit-Complexity-Remaining": "900", "X-RateLimit-Complexity-Reset": "{epochms+20}",
				"X-RateLimit-Requests-Remaining": "4000", "X-RateLimit-Requests-Reset": "{epochms+90}",
			}}, ok},
			wantWaits: []time.Duration{20 * s}, wantCalls: 2,
		},
		{
			name: "Linear RATELIMITED with no budget spent waits the earliest reset", rl: Linear,
			steps: []step{{status: 400, body: linearLimited, header: map[string]string{
				"X-RateLimit-Requests-Reset": "{epochms+90}", "X-RateLimit-Complexity-Reset": "{epochms+20}",
			}}, ok},
			wantWaits: []time.Duration{20 * s}, wantCalls: 2,
		},
		{
			name: "Linear RATELIMITED prefers Retry-After", rl: Linear,
			steps:     []step{{status: 400, body: linearLimited, header: map[string]string{"Retry-After": "3", "X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": "{epochms+90}"}}, ok},
			wantWaits: []time.Duration{3 * s}, wantCalls: 2,
		},
		{
			name: "Linear RATELIMITED without headers backs off", rl: Linear,
			steps:     []step{{status: 400, body: linearLimited}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name: "Linear 400 query error fails at once with GraphQL's message", rl: Linear,
			steps:   []step{{status: 400, body: `{"errors":[{"message":"Cannot query field \"nope\" on type \"Issue\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`}},
			wantErr: `400 Bad Request: Cannot query field "nope" on type "Issue".`, wantCalls: 1,
		},
		{
			name: "Linear 200 whose data mentions RATELIMITED is a page", rl: Linear,
			steps: []step{{status: 200, body: `{"data":{"issues":{"edges":[{"node":{"title":"RATELIMITED answers loop"}}]}}}`}}, wantCalls: 1,
		},
		{
			name: "Linear 502 with a RATELIMITED body waits the backoff", rl: Linear,
			steps:     []step{{status: 502, body: linearLimited, header: map[string]string{"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": "{epochms+90}"}}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name: "Linear 200 RATELIMITED forever gives up naming the limit", rl: Linear,
			opts:      func(o *Options) { o.MaxRateWaits = 1 },
			steps:     []step{{status: 200, body: linearLimited, header: map[string]string{"Retry-After": "1"}}},
			wantWaits: []time.Duration{1 * s}, wantCalls: 2,
			wantErr: "200 OK: Rate limit exceeded (still rate limited after 1 waits)",
		},
		{
			name: "404 fails at once", steps: []step{{status: 404, body: `{"message":"Not Found"}`}},
			wantErr: "404 Not Found: Not Found", wantCalls: 1,
		},
		{
			name:      "5xx forever gives up after the attempts",
			steps:     []step{{status: 500, body: `{"message":"boom"}`}},
			wantWaits: []time.Duration{500 * ms, 1 * s, 2 * s, 4 * s, 8 * s}, wantCalls: 6,
			wantErr: "500 Internal Server Error: boom (gave up after 6 attempts)",
		},
		{
			name:      "rate-limit waits spend no attempts",
			opts:      func(o *Options) { o.MaxAttempts = 2 },
			steps:     []step{{status: 429, header: map[string]string{"Retry-After": "1"}}, {status: 429, header: map[string]string{"Retry-After": "1"}}, {status: 500}, ok},
			wantWaits: []time.Duration{1 * s, 1 * s, 500 * ms}, wantCalls: 4,
		},
		{
			name:      "rate limited beyond MaxRateWaits",
			opts:      func(o *Options) { o.MaxRateWaits = 2 },
			steps:     []step{{status: 429, header: map[string]string{"Retry-After": "1"}}},
			wantWaits: []time.Duration{1 * s, 1 * s}, wantCalls: 3,
			wantErr: "still rate limited after 2 waits",
		},
		{
			name:      "the bound on failures stops retries early",
			opts:      func(o *Options) { o.MaxElapsed = 3 * s; o.MaxAttempts = 100 },
			steps:     []step{{status: 503}},
			wantWaits: []time.Duration{500 * ms, 1 * s}, wantCalls: 3,
			wantErr: "retrying would take longer than 3s",
		},
		{
			name:      "connection resets back off like a 5xx",
			steps:     []step{{reset: true}, {reset: true}, ok},
			wantWaits: []time.Duration{500 * ms, 1 * s}, wantCalls: 3,
		},
		{
			name:      "a stalled answer times out and backs off",
			opts:      func(o *Options) { o.Timeout = 2 * s; o.MaxElapsed = time.Minute },
			steps:     []step{{status: 200, stall: 10 * s}, ok},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
		},
		{
			name:      "a stalled API gives up naming the timeout flag",
			opts:      func(o *Options) { o.Timeout = 300 * ms; o.MaxAttempts = 2; o.MaxElapsed = time.Minute },
			steps:     []step{{status: 200, stall: 10 * s}},
			wantWaits: []time.Duration{500 * ms}, wantCalls: 2,
			wantErr: "no complete answer within 300ms (--http-timeout)",
		},
		{
			name:    "a body over the limit is an error, not retried",
			opts:    func(o *Options) { o.MaxBody = 10 },
			steps:   []step{{status: 200, body: `{"items":[1,2,3,4,5]}`}},
			wantErr: "the answer is larger than the limit", wantCalls: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			srv, calls := script(t, clock, tc.steps...)
			o := Options{API: "test", Clock: clock, Rand: func() float64 { return 0.5 }, RateLimit: tc.rl}
			if tc.opts != nil {
				tc.opts(&o)
			}
			c := New(o)
			resp, err := c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL + "/items?page=2"})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Do: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("Do succeeded (%d), want error %q", resp.Status, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not contain %q", err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "page=2") {
				t.Errorf("error shows the query string: %v", err)
			}
			if diff := cmp.Diff(tc.wantWaits, clock.Waits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("requests = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestDoStatusErrorIsTyped(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv, _ := script(t, clock, step{status: 422, body: `{"error":{"message":"bad field"}}`})
	_, err := New(Options{API: "x", Clock: clock}).Do(context.Background(), Request{Method: "POST", URL: srv.URL + "/a/b", Body: []byte(`{}`)})
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("want *StatusError, got %T %v", err, err)
	}
	got := []any{se.Status, se.Path, se.Method, se.Message}
	if diff := cmp.Diff([]any{422, "/a/b", "POST", "bad field"}, got); diff != "" {
		t.Error(diff)
	}
}

func TestDoCancelledContextStopsWaiting(t *testing.T) {
	t.Parallel()
	srv, _ := script(t, newFakeClock(), step{status: 503})
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("run timed out (--timeout)")
	c := New(Options{API: "x", BaseDelay: time.Hour, MaxDelay: time.Hour, MaxElapsed: 10 * time.Hour})
	go func() { time.Sleep(20 * ms); cancel(cause) }()
	_, err := c.Do(ctx, Request{Method: "GET", URL: srv.URL})
	if !errors.Is(err, cause) {
		t.Fatalf("want the run's cause, got %v", err)
	}
}

func TestErrorsCarryNoSecret(t *testing.T) {
	t.Parallel()
	const tok = "tok-abcdef-123456"
	secrets := secret.New()
	tk := NewToken(TokenOptions{Secrets: secrets, Fetch: func(context.Context) (Grant, error) { return Grant{Value: tok}, nil }})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"message":"header %s is not allowed here"}`, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	c := New(Options{API: "x", Secrets: secrets, Clock: newFakeClock()})
	_, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/x?access_token=" + tok, Auth: tk})
	if err == nil || strings.Contains(err.Error(), tok) || !strings.Contains(err.Error(), secret.Mask) {
		t.Fatalf("error %v: want the token redacted", err)
	}
	// A transport error names no URL (its query could hold a token).
	srv.Close()
	_, err = c.Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/x?access_token=" + tok, MaxAttempts: 1})
	if err == nil || strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), "access_token") {
		t.Fatalf("transport error %v shows the query", err)
	}
}

// Fifty requests that meet a 401 at once cause exactly one token request,
// and all of them succeed with the new token.
func TestTokenRefreshIsSingleFlight(t *testing.T) {
	t.Parallel()
	const n = 50
	var fetches atomic.Int64
	var rejected atomic.Int64
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			k := fetches.Add(1)
			time.Sleep(10 * ms) // a slow token endpoint widens the window
			fmt.Fprintf(w, `{"token":"token-%d"}`, k)
		default:
			if r.Header.Get("Authorization") == "Bearer token-1" {
				// Token 1 was revoked: hold every request until all n
				// have it, so they meet the 401 together.
				if rejected.Add(1) == n {
					close(all)
				}
				select {
				case <-all:
				case <-time.After(5 * s):
				}
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, `{}`)
		}
	}))
	defer srv.Close()
	tokenClient := New(Options{API: "auth"})
	tk := NewToken(TokenOptions{Fetch: func(ctx context.Context) (Grant, error) {
		resp, err := tokenClient.Do(ctx, Request{Method: "POST", URL: srv.URL + "/token"})
		if err != nil {
			return Grant{}, err
		}
		v, err := resp.JSON()
		if err != nil {
			return Grant{}, err
		}
		return Grant{Value: v.(map[string]any)["token"].(string)}, nil
	}})
	if _, _, err := tk.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := New(Options{API: "api", MaxInFlight: -1})
	var wg gosync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/items", Auth: tk})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := rejected.Load(); got != n {
		t.Errorf("requests with the revoked token = %d, want %d", got, n)
	}
	if got := fetches.Load(); got != 2 {
		t.Errorf("token requests = %d, want 2 (the first token and one refresh for all %d 401s)", got, n)
	}
}

// A caller waiting for a refresh another caller runs is not stuck behind
// it: no lock is held across the fetch.
func TestTokenWaiterHonoursItsContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	tk := NewToken(TokenOptions{Fetch: func(ctx context.Context) (Grant, error) {
		<-release
		return Grant{Value: "abcdefgh"}, nil
	}})
	go tk.Get(context.Background())
	time.Sleep(10 * ms)
	ctx, cancel := context.WithTimeout(context.Background(), 20*ms)
	defer cancel()
	if _, _, err := tk.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the waiter's deadline, got %v", err)
	}
	tk.Invalidate(0) // never blocks either
	close(release)
}

func TestTokenFetchErrorReachesEveryWaiter(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int64
	boom := errors.New("rejected")
	tk := NewToken(TokenOptions{Fetch: func(context.Context) (Grant, error) {
		fetches.Add(1)
		time.Sleep(20 * ms)
		return Grant{}, boom
	}})
	var wg gosync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := tk.Get(context.Background()); !errors.Is(err, boom) {
				t.Errorf("got %v", err)
			}
		}()
	}
	wg.Wait()
	if got := fetches.Load(); got > 2 {
		t.Errorf("fetches = %d: waiters fetched again instead of sharing the failure", got)
	}
}

func TestResponseJSON(t *testing.T) {
	t.Parallel()
	if _, err := (&Response{Body: []byte("  ")}).JSON(); !errors.Is(err, ErrEmptyBody) {
		t.Errorf("empty body: %v", err)
	}
	v, err := (&Response{Body: []byte(`{"a":[1,"x"]}`)}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"a": []any{1.0, "x"}}, v); diff != "" {
		t.Error(diff)
	}
}

// checkPause sends two requests through a client of api: the first,
// answered with first, must not wait; the second waits exactly want (the
// pause the first answer called for) and is answered.
func checkPause(t *testing.T, api string, rl RateLimit, first step, want []time.Duration) {
	t.Helper()
	clock := newFakeClock()
	srv, calls := script(t, clock, first, step{status: 200, body: `{}`})
	c := New(Options{API: api, Clock: clock, RateLimit: rl})
	_, _ = c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL})
	if len(clock.Waits()) != 0 {
		t.Fatalf("the first request waited %v", clock.Waits())
	}
	if _, err := c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, clock.Waits()); diff != "" {
		t.Errorf("waits before the second request (-want +got):\n%s", diff)
	}
	if calls.Load() != 2 {
		t.Errorf("requests = %d", calls.Load())
	}
}

// Jira's near-limit warnings on ordinary answers pause the next request
// (any goroutine's) for as long as Jira says; a 5xx's headers never do.
func TestJiraProactivePause(t *testing.T) {
	t.Parallel()
	ok := step{status: 200, body: `{}`}
	tests := []struct {
		name      string
		first     step
		wantWaits []time.Duration
	}{
		{name: "near limit waits until X-RateLimit-Reset", first: step{status: 200, body: `{}`, header: map[string]string{"X-RateLimit-NearLimit": "true", "X-RateLimit-Reset": "{iso+40s}"}}, wantWaits: []time.Duration{40 * s}},
		{name: "remaining 1 without a reset waits a window", first: step{status: 200, body: `{}`, header: map[string]string{"X-RateLimit-Remaining": "1"}}, wantWaits: []time.Duration{JiraWindow}},
		{name: "near limit with Retry-After", first: step{status: 200, body: `{}`, header: map[string]string{"X-RateLimit-NearLimit": "true", "Retry-After": "3"}}, wantWaits: []time.Duration{3 * s}},
		{name: "plenty remaining: no pause", first: step{status: 200, body: `{}`, header: map[string]string{"X-RateLimit-Remaining": "90", "X-RateLimit-NearLimit": "false"}}},
		{name: "a 404 near the limit pauses too", first: step{status: 404, body: `{}`, header: map[string]string{"X-RateLimit-NearLimit": "true"}}, wantWaits: []time.Duration{JiraWindow}},
		{name: "a pause is capped at MaxWait", first: step{status: 200, body: `{}`, header: map[string]string{"X-RateLimit-NearLimit": "true", "Retry-After": "3600"}}, wantWaits: []time.Duration{DefaultMaxWait}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkPause(t, "jira", Jira, tc.first, tc.wantWaits)
		})
	}
	t.Run("a 5xx near the limit backs off only", func(t *testing.T) {
		t.Parallel()
		clock := newFakeClock()
		srv, _ := script(t, clock, step{status: 503, header: map[string]string{"X-RateLimit-NearLimit": "true", "X-RateLimit-Reset": "{iso+40s}"}}, ok)
		c := New(Options{API: "jira", Clock: clock, RateLimit: Jira, Rand: func() float64 { return 0.5 }})
		if _, err := c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]time.Duration{500 * ms}, clock.Waits()); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
}

// PagerDuty's ratelimit-* headers on ordinary answers pause the next
// request once 90% of the window's budget is used; a 429 with the daily
// analytics budget spent ends the request at once.
func TestPagerDutyPacing(t *testing.T) {
	t.Parallel()
	ok := step{status: 200, body: `{}`}
	tests := []struct {
		name      string
		first     step
		wantWaits []time.Duration
	}{
		{name: "90% used waits ratelimit-reset", first: step{status: 200, body: `{}`, header: map[string]string{"ratelimit-limit": "960", "ratelimit-remaining": "96", "ratelimit-reset": "25"}}, wantWaits: []time.Duration{25 * s}},
		{name: "89% used: no pause", first: step{status: 200, body: `{}`, header: map[string]string{"ratelimit-limit": "100", "ratelimit-remaining": "11", "ratelimit-reset": "25"}}},
		{name: "no headers: no pause", first: ok},
		{name: "a 404 at the limit pauses too", first: step{status: 404, body: `{}`, header: map[string]string{"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "7"}}, wantWaits: []time.Duration{7 * s}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkPause(t, "pagerduty", PagerDuty, tc.first, tc.wantWaits)
		})
	}
	t.Run("daily analytics budget spent: no retry, no pause", func(t *testing.T) {
		t.Parallel()
		clock := newFakeClock()
		srv, calls := script(t, clock, step{status: 429, body: `{"error":{"message":"Daily limit reached"}}`,
			header: map[string]string{"daily-ratelimit-remaining": "0", "daily-ratelimit-reset": "40000", "ratelimit-reset": "30"}}, ok)
		c := New(Options{API: "pagerduty", Clock: clock, RateLimit: PagerDuty})
		_, err := c.Do(context.Background(), Request{Method: http.MethodPost, URL: srv.URL})
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 429 || !se.RateLimited {
			t.Fatalf("err = %v, want a rate-limited 429", err)
		}
		if _, err := c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL}); err != nil {
			t.Fatal(err)
		}
		if len(clock.Waits()) != 0 || calls.Load() != 2 {
			t.Errorf("waits %v, requests %d; want none and 2", clock.Waits(), calls.Load())
		}
	})
}
