// Package porttest is the Port fake for tests: an httptest-ready wrapper
// over the local target (sync/port/local), which answers as Port does on
// tide's model of Port's catalog rules. porttest adds only what tests need:
// request counters, injected faults, latency, Port's rate-limit headers,
// and the history of resync states. It is never linked into the tide
// binary (a test in the root package says so).
package porttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/sync/port/local"
)

// Route names, for Count and Fault.
const (
	RouteToken             = local.RouteToken
	RouteIntegrationGet    = local.RouteIntegrationGet
	RouteIntegrationCreate = local.RouteIntegrationCreate
	RouteIntegrationPatch  = local.RouteIntegrationPatch
	RouteResyncState       = local.RouteResyncState
	RouteBlueprintGet      = local.RouteBlueprintGet
	RouteBlueprintCreate   = local.RouteBlueprintCreate
	RouteBlueprintPatch    = local.RouteBlueprintPatch
	RouteEntityUpsert      = local.RouteEntityUpsert
	RouteBulkUpsert        = local.RouteBulkUpsert
	RouteBulkDelete        = local.RouteBulkDelete
	RouteEntityDelete      = local.RouteEntityDelete
	RouteEntityGet         = local.RouteEntityGet
	RouteSearch            = local.RouteSearch
	RouteGlobalSearch      = local.RouteGlobalSearch
	RouteDatasource        = local.RouteDatasource
	RouteUnknown           = local.RouteUnknown
)

// Options configure a Server.
type Options struct {
	ClientID, ClientSecret string // accepted credentials; both empty accepts any non-empty pair
	TokenTTL               time.Duration
	Now                    func() time.Time
	Latency                time.Duration // added to every request
	RateLimit              int           // x-ratelimit-limit per 300 s window (default 35000)
}

// Fault is an injected misbehaviour, served to the next Times requests of
// its route.
type Fault struct {
	Route          string // "" = any route except the token
	Status         int    // 0 with Delay = a slow answer only
	RetryAfter     string
	RateLimitReset string
	Times          int // default 1
	Delay          time.Duration
	// EntityErrors makes a bulk upsert answer 207 with these identifiers
	// failing with the given status; the rest are written.
	EntityErrors map[string]int
	// EchoAuthorization puts the request's Authorization header in the
	// error message, as some gateways do.
	EchoAuthorization bool
	// Reset drops the connection without an answer (a connection reset).
	Reset bool
}

// Server is the fake: the local target's Port, its seeding and inspection
// methods, plus counters and faults. Safe for concurrent use.
type Server struct {
	*local.Server
	opts Options

	cmu     gosync.Mutex
	counts  map[string]int
	faults  []*Fault
	window  time.Time
	used    int
	history map[string][]string // integration → resync statuses
}

// New builds an empty Server.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 35000
	}
	return &Server{
		Server:  local.New(local.Options{ClientID: opts.ClientID, ClientSecret: opts.ClientSecret, TokenTTL: opts.TokenTTL, Now: opts.Now}),
		opts:    opts,
		counts:  map[string]int{},
		history: map[string][]string{},
	}
}

// Client returns an *http.Client whose transport calls the fake in
// process: no sockets.
func (s *Server) Client() *http.Client { return local.NewClient(s) }

// Count returns how many requests a route got.
func (s *Server) Count(route string) int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.counts[route]
}

// Counts returns the requests per route.
func (s *Server) Counts() map[string]int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes the request counters.
func (s *Server) ResetCounts() {
	s.cmu.Lock()
	s.counts = map[string]int{}
	s.cmu.Unlock()
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.cmu.Lock()
	s.faults = append(s.faults, &f)
	s.cmu.Unlock()
}

// ResyncStates returns the statuses PATCHed for an integration, in order.
func (s *Server) ResyncStates(id string) []string {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return append([]string(nil), s.history[id]...)
}

// takeFault counts the request and returns the fault it meets, if any.
func (s *Server) takeFault(route string) *Fault {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	s.counts[route]++
	for i, f := range s.faults {
		if f.Route == route || (f.Route == "" && route != RouteToken) {
			f.Times--
			if f.Times <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			c := *f
			return &c
		}
	}
	return nil
}

func (s *Server) rateHeaders(h http.Header) {
	s.cmu.Lock()
	now := s.opts.Now()
	if now.Sub(s.window) >= 300*time.Second {
		s.window, s.used = now, 0
	}
	s.used++
	remaining := max(s.opts.RateLimit-s.used, 0)
	reset := int((300*time.Second - now.Sub(s.window)).Seconds())
	s.cmu.Unlock()
	h.Set("x-ratelimit-limit", strconv.Itoa(s.opts.RateLimit))
	h.Set("x-ratelimit-remaining", strconv.Itoa(remaining))
	h.Set("x-ratelimit-reset", strconv.Itoa(reset))
	h.Set("x-ratelimit-period", "300")
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ServeHTTP counts the request, serves its fault or latency, then lets the
// local target answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	s.rateHeaders(w.Header())
	route := local.RouteOf(r)
	fault := s.takeFault(route)
	// The body is read first: a server notices a client hanging up only
	// once the body is consumed, and slow answers must stop with the client.
	body, err := io.ReadAll(io.LimitReader(r.Body, local.MaxBody+1))
	if err != nil {
		local.WriteError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if !sleepCtx(r.Context(), s.opts.Latency) {
		return
	}
	if fault != nil {
		if !sleepCtx(r.Context(), fault.Delay) {
			return
		}
		if fault.Reset {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if fault.Status != 0 {
			if fault.RetryAfter != "" {
				w.Header().Set("Retry-After", fault.RetryAfter)
			}
			if fault.RateLimitReset != "" {
				w.Header().Set("x-ratelimit-reset", fault.RateLimitReset)
			}
			msg := fmt.Sprintf("injected %d", fault.Status)
			if fault.EchoAuthorization {
				msg += ": refused the request with Authorization: " + r.Header.Get("Authorization")
			}
			local.WriteError(w, fault.Status, "injected_fault", msg)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if fault != nil && len(fault.EntityErrors) > 0 && route == RouteBulkUpsert {
		s.bulkWithEntityErrors(w, r, body, fault.EntityErrors)
		return
	}
	if route == RouteResyncState {
		rec := &statusRecorder{ResponseWriter: w}
		s.Server.ServeHTTP(rec, r)
		if rec.status == http.StatusOK {
			var st struct{ Status string }
			json.Unmarshal(body, &st)
			// /v1/integration/{id}/resync-state
			segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
			id, _ := url.PathUnescape(segs[2])
			s.cmu.Lock()
			s.history[id] = append(s.history[id], st.Status)
			s.cmu.Unlock()
		}
		return
	}
	s.Server.ServeHTTP(w, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// bulkWithEntityErrors answers a bulk upsert whose listed identifiers fail
// with the given statuses: the others go to the local target, and the two
// answers are joined by request index, as Port's 207 reports them.
func (s *Server) bulkWithEntityErrors(w http.ResponseWriter, r *http.Request, body []byte, bad map[string]int) {
	var in struct {
		Entities []map[string]any `json:"entities"`
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Entities) < 1 || len(in.Entities) > 20 {
		s.Server.ServeHTTP(w, r) // the local target refuses it as Port would
		return
	}
	errs := []any{}
	var rest []map[string]any
	var index []int // rest position → request position
	for i, e := range in.Entities {
		if st, ok := bad[fmt.Sprint(e["identifier"])]; ok {
			id := e["identifier"]
			if _, plain := id.(string); !plain {
				id = "unknown" // Port's answer for a search identifier
			}
			errs = append(errs, map[string]any{"index": i, "identifier": id, "statusCode": st, "error": "injected_fault", "message": "injected entity error"})
			continue
		}
		rest = append(rest, e)
		index = append(index, i)
	}
	oks := []any{}
	if len(rest) > 0 {
		b, _ := json.Marshal(map[string]any{"entities": rest})
		sub := r.Clone(r.Context())
		sub.Body = io.NopCloser(bytes.NewReader(b))
		sub.ContentLength = int64(len(b))
		rec := httptest.NewRecorder()
		s.Server.ServeHTTP(rec, sub)
		var out struct {
			Entities []map[string]any `json:"entities"`
			Errors   []map[string]any `json:"errors"`
		}
		if rec.Code != http.StatusOK && rec.Code != http.StatusMultiStatus || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		for _, list := range []struct {
			src []map[string]any
			dst *[]any
		}{{out.Entities, &oks}, {out.Errors, &errs}} {
			for _, x := range list.src {
				if i, ok := x["index"].(float64); ok && int(i) < len(index) {
					x["index"] = index[int(i)]
				}
				*list.dst = append(*list.dst, x)
			}
		}
	}
	for _, list := range [][]any{oks, errs} {
		sort.SliceStable(list, func(i, j int) bool { return indexOf(list[i]) < indexOf(list[j]) })
	}
	b, _ := json.Marshal(map[string]any{"ok": true, "entities": oks, "errors": errs})
	w.WriteHeader(http.StatusMultiStatus)
	w.Write(b)
}

func indexOf(x any) int {
	switch i := x.(map[string]any)["index"].(type) {
	case int:
		return i
	case float64:
		return int(i)
	}
	return 0
}
