// Package porttest is an in-memory fake of Port's REST API, built from the
// checklist of reference port-api.md §8. Tests serve it with httptest; the
// CLI's local target (--port-url local:PATH) runs it in process through
// Client() and persists it with SaveFile.
package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"
)

// Route names, for Count and Fault.
const (
	RouteToken             = "token"
	RouteIntegrationGet    = "integration.get"
	RouteIntegrationCreate = "integration.create"
	RouteIntegrationPatch  = "integration.patch"
	RouteResyncState       = "integration.resync-state"
	RouteBlueprintGet      = "blueprint.get"
	RouteBlueprintCreate   = "blueprint.create"
	RouteBlueprintPatch    = "blueprint.patch"
	RouteEntityUpsert      = "entity.upsert"
	RouteBulkUpsert        = "entities.bulk-upsert"
	RouteBulkDelete        = "entities.bulk-delete"
	RouteEntityDelete      = "entity.delete"
	RouteEntityGet         = "entity.get"
	RouteSearch            = "entities.search"
	RouteGlobalSearch      = "search"
	RouteDatasource        = "datasource-entities"
	RouteUnknown           = "unknown"
)

const (
	maxBody    = 1 << 20 // Port's body limit
	timeFormat = "2006-01-02T15:04:05.000Z"
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
	// failing with the given status; the rest succeed.
	EntityErrors map[string]int
}

// Server is the fake. Safe for concurrent use.
type Server struct {
	opts Options

	mu           gosync.RWMutex
	tokens       map[string]token // token → info
	clientTokens map[string]string
	blueprints   map[string]map[string]any
	stores       map[string]*store
	integrations map[string]map[string]any
	history      map[string][]string
	tokenSeq     int

	cmu    gosync.Mutex
	counts map[string]int
	faults []*Fault
	window time.Time
	used   int
}

type token struct {
	clientID string
	expires  time.Time
}

// New builds an empty Server.
func New(opts Options) *Server {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 3 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 35000
	}
	s := &Server{opts: opts, counts: map[string]int{}}
	s.reset()
	return s
}

func (s *Server) reset() {
	s.tokens = map[string]token{}
	s.clientTokens = map[string]string{}
	s.blueprints = map[string]map[string]any{}
	s.stores = map[string]*store{}
	s.integrations = map[string]map[string]any{}
	s.history = map[string][]string{}
}

// Client returns an *http.Client whose transport calls the server in
// process: no sockets.
func (s *Server) Client() *http.Client { return &http.Client{Transport: transport{s}} }

type transport struct{ s *Server }

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	sr := r
	if r.Body == nil {
		// A client request may have no body; a server request always has one.
		sr = r.Clone(r.Context())
		sr.Body = http.NoBody
	}
	t.s.ServeHTTP(rec, sr)
	if r.Body != nil {
		r.Body.Close()
	}
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

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

// request is one parsed request.
type request struct {
	r        *http.Request
	segs     []string // unescaped path segments after /v1
	body     []byte
	clientID string
	fault    *Fault
}

// ServeHTTP routes one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	s.rateHeaders(w.Header())
	segs, ok := splitPath(r.URL.EscapedPath())
	route, handler := s.route(r.Method, segs, ok)
	fault := s.takeFault(route)
	// The body is read first: a server notices a client hanging up only
	// once the body is consumed, and slow answers must stop with the client.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if !sleepCtx(r.Context(), s.opts.Latency) {
		return
	}
	if fault != nil {
		if !sleepCtx(r.Context(), fault.Delay) {
			return
		}
		if fault.Status != 0 {
			if fault.RetryAfter != "" {
				w.Header().Set("Retry-After", fault.RetryAfter)
			}
			if fault.RateLimitReset != "" {
				w.Header().Set("x-ratelimit-reset", fault.RateLimitReset)
			}
			writeErr(w, fault.Status, "injected_fault", fmt.Sprintf("injected %d", fault.Status))
			return
		}
	}
	if handler == nil {
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
		return
	}
	if len(body) > maxBody {
		writeErr(w, http.StatusRequestEntityTooLarge, "payload_too_large", "request body is over 1 MiB")
		return
	}
	req := &request{r: r, segs: segs, body: body, fault: fault}
	if route != RouteToken {
		id, ok := s.authorize(r.Header.Get("Authorization"))
		if !ok {
			writeErr(w, http.StatusUnauthorized, "unauthorized", "missing or invalid access token")
			return
		}
		req.clientID = id
	}
	handler(w, req)
}

func splitPath(p string) ([]string, bool) {
	p = strings.TrimPrefix(p, "/")
	if !strings.HasPrefix(p, "v1/") {
		return nil, false
	}
	raw := strings.Split(strings.TrimSuffix(strings.TrimPrefix(p, "v1/"), "/"), "/")
	out := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s) // a literal + stays a plus
		if err != nil {
			return nil, false
		}
		out[i] = u
	}
	return out, true
}

type handlerFunc func(http.ResponseWriter, *request)

func (s *Server) route(method string, p []string, ok bool) (string, handlerFunc) {
	if !ok {
		return RouteUnknown, nil
	}
	n := len(p)
	switch {
	case method == http.MethodPost && n == 2 && p[0] == "auth" && p[1] == "access_token":
		return RouteToken, s.handleToken
	case p[0] == "integration" && n == 1 && method == http.MethodPost:
		return RouteIntegrationCreate, s.handleIntegrationCreate
	case p[0] == "integration" && n == 2 && method == http.MethodGet:
		return RouteIntegrationGet, s.handleIntegrationGet
	case p[0] == "integration" && n == 2 && method == http.MethodPatch:
		return RouteIntegrationPatch, s.handleIntegrationPatch
	case p[0] == "integration" && n == 3 && p[2] == "resync-state" && method == http.MethodPatch:
		return RouteResyncState, s.handleResyncState
	case p[0] == "entities" && n == 2 && p[1] == "search" && method == http.MethodPost:
		return RouteGlobalSearch, s.handleGlobalSearch
	case p[0] != "blueprints":
		return RouteUnknown, nil
	case n == 1 && method == http.MethodPost:
		return RouteBlueprintCreate, s.handleBlueprintCreate
	case n == 3 && p[1] == "entities" && p[2] == "datasource-entities" && method == http.MethodPost:
		return RouteDatasource, s.handleDatasource
	case n == 2 && method == http.MethodGet:
		return RouteBlueprintGet, s.handleBlueprintGet
	case n == 2 && method == http.MethodPatch:
		return RouteBlueprintPatch, s.handleBlueprintPatch
	case n == 3 && p[2] == "entities" && method == http.MethodPost:
		return RouteEntityUpsert, s.handleUpsert
	case n == 4 && p[2] == "entities" && p[3] == "bulk" && method == http.MethodPost:
		return RouteBulkUpsert, s.handleBulkUpsert
	case n == 4 && p[2] == "entities" && p[3] == "search" && method == http.MethodPost:
		return RouteSearch, s.handleSearch
	case n == 5 && p[2] == "bulk" && p[3] == "entities" && p[4] == "delete" && method == http.MethodPost:
		return RouteBulkDelete, s.handleBulkDelete
	case n == 4 && p[2] == "entities" && method == http.MethodGet:
		return RouteEntityGet, s.handleEntityGet
	case n == 4 && p[2] == "entities" && method == http.MethodDelete:
		return RouteEntityDelete, s.handleEntityDelete
	}
	return RouteUnknown, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	w.WriteHeader(status)
	w.Write(b)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": code, "message": msg})
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) handleToken(w http.ResponseWriter, req *request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil || in.ClientID == "" || in.ClientSecret == "" {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", "clientId and clientSecret are required")
		return
	}
	want := s.opts.ClientID != "" || s.opts.ClientSecret != ""
	if want && (in.ClientID != s.opts.ClientID || in.ClientSecret != s.opts.ClientSecret) {
		writeErr(w, http.StatusUnauthorized, "unauthorized", "invalid credentials")
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	tok, ok := s.clientTokens[in.ClientID]
	// Port hands out the same token until it expires.
	if !ok || !s.tokens[tok].expires.After(now) {
		s.tokenSeq++
		tok = fmt.Sprintf("tok-%d-%d", s.tokenSeq, now.UnixNano())
		s.tokens[tok] = token{clientID: in.ClientID, expires: now.Add(s.opts.TokenTTL)}
		s.clientTokens[in.ClientID] = tok
	}
	left := s.tokens[tok].expires.Sub(now)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "accessToken": tok, "expiresIn": int(left.Seconds()), "tokenType": "Bearer"})
}

func (s *Server) authorize(h string) (string, bool) {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return "", false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tokens[tok]
	if !ok || !t.expires.After(s.opts.Now()) {
		return "", false
	}
	return t.clientID, true
}

func (s *Server) now() string { return s.opts.Now().UTC().Format(timeFormat) }

// decodeBody decodes a JSON object body, answering 422 when it is not one.
func decodeBody(w http.ResponseWriter, req *request) (map[string]any, bool) {
	m, err := decodeObject(req.body)
	if err != nil {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return nil, false
	}
	return m, true
}

// hasBlueprint answers 404 when bp does not exist; the caller holds s.mu.
func (s *Server) hasBlueprint(w http.ResponseWriter, bp string) bool {
	if _, ok := s.blueprints[bp]; !ok {
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("blueprint %q not found", bp))
		return false
	}
	return true
}

func decodeObject(b []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("body must be a JSON object")
	}
	return m, nil
}

// ---- integrations ----

func (s *Server) handleIntegrationGet(w http.ResponseWriter, req *request) {
	s.mu.RLock()
	in, ok := s.integrations[req.segs[1]]
	var out map[string]any
	if ok {
		out = deepCopy(in).(map[string]any)
	}
	s.mu.RUnlock()
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("integration %q not found", req.segs[1]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "integration": out})
}

func (s *Server) handleIntegrationCreate(w http.ResponseWriter, req *request) {
	in, ok := decodeBody(w, req)
	if !ok {
		return
	}
	id, _ := in["installationId"].(string)
	if id == "" {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", "installationId is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.integrations[id]; dup {
		writeErr(w, http.StatusConflict, "conflict", fmt.Sprintf("integration %q exists", id))
		return
	}
	in["identifier"] = id
	in["createdAt"], in["updatedAt"] = s.now(), s.now()
	in["createdBy"], in["updatedBy"] = req.clientID, req.clientID
	in["resyncState"] = nil
	s.integrations[id] = in
	writeJSON(w, http.StatusCreated, map[string]any{"ok": true, "integration": deepCopy(in)})
}

func (s *Server) handleIntegrationPatch(w http.ResponseWriter, req *request) {
	patch, ok := decodeBody(w, req)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.integrations[req.segs[1]]
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", "integration not found")
		return
	}
	for k, v := range patch {
		in[k] = v
	}
	in["updatedAt"], in["updatedBy"] = s.now(), req.clientID
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "integration": deepCopy(in)})
}

func (s *Server) handleResyncState(w http.ResponseWriter, req *request) {
	st, ok := decodeBody(w, req)
	if !ok {
		return
	}
	status, _ := st["status"].(string)
	switch status {
	case "running", "completed", "failed", "aborted":
	default:
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("status %q: want running, completed, failed or aborted", status))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := req.segs[1]
	in, ok := s.integrations[id]
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", "integration not found")
		return
	}
	st["updatedAt"] = s.now()
	in["resyncState"] = st
	s.history[id] = append(s.history[id], status)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "integration": deepCopy(in)})
}

// ---- inspection and seeding ----

// PutIntegration stores an integration object (seeding).
func (s *Server) PutIntegration(in map[string]any) {
	in = deepCopy(in).(map[string]any)
	id, _ := in["installationId"].(string)
	if id == "" {
		id, _ = in["identifier"].(string)
	}
	in["installationId"], in["identifier"] = id, id
	s.mu.Lock()
	s.integrations[id] = in
	s.mu.Unlock()
}

// Integration returns a copy of an integration object.
func (s *Server) Integration(id string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	in, ok := s.integrations[id]
	if !ok {
		return nil, false
	}
	return deepCopy(in).(map[string]any), true
}

// ResyncStates returns the statuses PATCHed for an integration, in order.
func (s *Server) ResyncStates(id string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.history[id]...)
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = x
		}
		return out
	}
	return v
}
