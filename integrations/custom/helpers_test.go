package custom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// recorded is one request the fake API saw.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// fakeAPI is an httptest server that records every request.
type fakeAPI struct {
	*httptest.Server
	mu   gosync.Mutex
	reqs []recorded
}

func newAPI(t *testing.T, h http.HandlerFunc) *fakeAPI {
	t.Helper()
	a := &fakeAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		a.mu.Lock()
		a.reqs = append(a.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body.String()})
		a.mu.Unlock()
		r.Body = ioNopCloser(body.Bytes())
		h(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *fakeAPI) requests() []recorded {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]recorded(nil), a.reqs...)
}

// harness is a Source built from flag values, its log, and the waits it
// would have slept.
type harness struct {
	src   *Source
	logs  *lockedBuffer
	mu    gosync.Mutex
	waits []time.Duration
}

func newSource(t *testing.T, baseURL string, kv ...string) *harness {
	t.Helper()
	h, err := tryNewSource(baseURL, kv...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

func tryNewSource(baseURL string, kv ...string) (*harness, error) {
	vals := integrations.Values{}
	if baseURL != "" {
		vals["custom-base-url"] = []string{baseURL}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		vals[kv[i]] = append(vals[kv[i]], kv[i+1])
	}
	h := &harness{logs: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := New(integrations.Settings{Values: vals, Logger: log})
	if err != nil {
		return nil, err
	}
	o := src.c.hxOpts
	o.BaseDelay = time.Millisecond
	o.Clock = recordClock{h: h}
	src.c.hx = httpx.New(o)
	h.src = src
	return h, nil
}

// recordClock records the waits instead of sleeping.
type recordClock struct{ h *harness }

func (c recordClock) Now() time.Time { return c.h.src.c.now() }
func (c recordClock) Sleep(ctx context.Context, d time.Duration) error {
	c.h.mu.Lock()
	c.h.waits = append(c.h.waits, d)
	c.h.mu.Unlock()
	return ctx.Err()
}

// resync runs one block and returns its items, in order.
func (h *harness) resync(kind string, selector map[string]any) ([]map[string]any, error) {
	return h.resyncCfg(kind, selector, nil)
}

func (h *harness) resyncCfg(kind string, selector, config map[string]any) ([]map[string]any, error) {
	var out []map[string]any
	err := h.src.Resync(context.Background(), integrations.Request{Kind: kind, Selector: selector, Config: config}, func(page []integrations.Item) error {
		out = append(out, page...)
		return nil
	})
	return out, err
}

func ids(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it["id"]))
	}
	return out
}

func records(from, to int) []any {
	out := []any{}
	for i := from; i < to; i++ {
		out = append(out, map[string]any{"id": fmt.Sprintf("r%03d", i), "name": fmt.Sprintf("Record %d", i)})
	}
	return out
}

func wantIDs(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("r%03d", i))
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// yamlish parses a JSON object literal as a selector would arrive.
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// noSecret fails when any secret appears in any of the texts.
func noSecret(t *testing.T, secrets []string, texts ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, txt := range texts {
			if strings.Contains(txt, s) {
				t.Errorf("secret %q leaked into:\n%s", s[:2]+"…", txt)
			}
		}
	}
}

func ioNopCloser(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func decode(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }
