// Package local is the embedded, file-backed Port behind
// --port-url local:PATH: the Port REST routes tide uses, served in process
// on the catalog rules of package catalog, and persisted to one JSON file.
// A newcomer, a mapping author or a pull-request check runs a real sync
// against it without a Port account, then reads the catalog it produced.
//
// It answers as Port does, errors included (docs/port-api.md lists the
// routes and codes), and has no test machinery: the test fake,
// sync/port/porttest, wraps it with counters, faults and latency.
package local

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/internal/jsonx"
)

// Route names, one per Port route the server answers (RouteOf).
const (
	RouteToken             = "token"
	RouteIntegrationGet    = "integration.get"
	RouteIntegrationCreate = "integration.create"
	RouteIntegrationPatch  = "integration.patch"
	RouteIntegrationDelete = "integration.delete"
	RouteResyncState       = "integration.resync-state"
	RouteBlueprintGet      = "blueprint.get"
	RouteBlueprintCreate   = "blueprint.create"
	RouteBlueprintPatch    = "blueprint.patch"
	RouteBlueprintDelete   = "blueprint.delete"
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
	// MaxBody is Port's limit on a request body: 1 MiB, answered with 413.
	MaxBody    = 1 << 20
	timeFormat = "2006-01-02T15:04:05.000Z"
)

// Options configure a Server.
type Options struct {
	ClientID, ClientSecret string // accepted credentials; both empty accepts any non-empty pair
	TokenTTL               time.Duration
	Now                    func() time.Time
}

// Server is an in-memory Port. Safe for concurrent use.
type Server struct {
	opts Options

	mu           gosync.RWMutex
	tokens       map[string]token // token → info
	clientTokens map[string]string
	blueprints   bpSet
	stores       map[string]*store
	integrations map[string]map[string]any
	tokenSeq     int
}

type token struct {
	clientID string
	expires  time.Time
}

// New builds an empty Server.
func New(opts Options) *Server {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 3 * time.Hour // Port's token lifetime
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts}
	s.reset()
	return s
}

func (s *Server) reset() {
	s.tokens = map[string]token{}
	s.clientTokens = map[string]string{}
	s.blueprints = bpSet{}
	s.stores = map[string]*store{}
	s.integrations = map[string]map[string]any{}
}

// Client returns an *http.Client whose transport calls the server in
// process: no sockets.
func (s *Server) Client() *http.Client { return NewClient(s) }

// NewClient returns an *http.Client whose transport serves each request
// with h in process, as a server would: no sockets, the context honoured.
func NewClient(h http.Handler) *http.Client { return &http.Client{Transport: transport{h}} }

type transport struct{ h http.Handler }

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := &recorder{header: http.Header{}}
	sr := r
	if r.Body == nil {
		// A client request may have no body; a server request always has one.
		sr = r.Clone(r.Context())
		sr.Body = http.NoBody
	}
	t.h.ServeHTTP(rec, sr)
	if r.Body != nil {
		r.Body.Close()
	}
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       r,
	}, nil
}

// recorder is the http.ResponseWriter of an in-process request. (The
// standard library's lives in net/http/httptest, which a binary should not
// link.)
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// request is one parsed request.
type request struct {
	r        *http.Request
	segs     []string // unescaped path segments after /v1
	body     []byte
	clientID string
}

// RouteOf names the Port route a request is for (RouteUnknown when none).
func RouteOf(r *http.Request) string {
	segs, ok := splitPath(r.URL.EscapedPath())
	return route(r.Method, segs, ok)
}

// ServeHTTP answers one request as Port would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	segs, ok := splitPath(r.URL.EscapedPath())
	route := route(r.Method, segs, ok)
	handler := s.handler(route)
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		WriteError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if handler == nil {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
		return
	}
	if len(body) > MaxBody {
		WriteError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "request body is over 1 MiB")
		return
	}
	req := &request{r: r, segs: segs, body: body}
	if route != RouteToken {
		id, ok := s.authorize(r.Header.Get("Authorization"))
		if !ok {
			WriteError(w, http.StatusUnauthorized, "unauthorized", "missing or invalid access token")
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

func route(method string, p []string, ok bool) string {
	if !ok {
		return RouteUnknown
	}
	n := len(p)
	switch {
	case method == http.MethodPost && n == 2 && p[0] == "auth" && p[1] == "access_token":
		return RouteToken
	case p[0] == "integration" && n == 1 && method == http.MethodPost:
		return RouteIntegrationCreate
	case p[0] == "integration" && n == 2 && method == http.MethodGet:
		return RouteIntegrationGet
	case p[0] == "integration" && n == 2 && method == http.MethodPatch:
		return RouteIntegrationPatch
	case p[0] == "integration" && n == 2 && method == http.MethodDelete:
		return RouteIntegrationDelete
	case p[0] == "integration" && n == 3 && p[2] == "resync-state" && method == http.MethodPatch:
		return RouteResyncState
	case p[0] == "entities" && n == 2 && p[1] == "search" && method == http.MethodPost:
		return RouteGlobalSearch
	case p[0] != "blueprints":
		return RouteUnknown
	case n == 1 && method == http.MethodPost:
		return RouteBlueprintCreate
	case n == 3 && p[1] == "entities" && p[2] == "datasource-entities" && method == http.MethodPost:
		return RouteDatasource
	case n == 2 && method == http.MethodGet:
		return RouteBlueprintGet
	case n == 2 && method == http.MethodPatch:
		return RouteBlueprintPatch
	case n == 2 && method == http.MethodDelete:
		return RouteBlueprintDelete
	case n == 3 && p[2] == "entities" && method == http.MethodPost:
		return RouteEntityUpsert
	case n == 4 && p[2] == "entities" && p[3] == "bulk" && method == http.MethodPost:
		return RouteBulkUpsert
	case n == 4 && p[2] == "entities" && p[3] == "search" && method == http.MethodPost:
		return RouteSearch
	case n == 5 && p[2] == "bulk" && p[3] == "entities" && p[4] == "delete" && method == http.MethodPost:
		return RouteBulkDelete
	case n == 4 && p[2] == "entities" && method == http.MethodGet:
		return RouteEntityGet
	case n == 4 && p[2] == "entities" && method == http.MethodDelete:
		return RouteEntityDelete
	}
	return RouteUnknown
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := jsonx.Append(nil, v) // encoding/json's bytes, without reflection: search answers are large
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	w.WriteHeader(status)
	w.Write(b)
}

// handler is the function answering a route; nil for RouteUnknown.
func (s *Server) handler(route string) handlerFunc {
	switch route {
	case RouteToken:
		return s.handleToken
	case RouteIntegrationCreate:
		return s.handleIntegrationCreate
	case RouteIntegrationGet:
		return s.handleIntegrationGet
	case RouteIntegrationPatch:
		return s.handleIntegrationPatch
	case RouteResyncState:
		return s.handleResyncState
	case RouteIntegrationDelete:
		return s.handleIntegrationDelete
	case RouteBlueprintDelete:
		return s.handleBlueprintDelete
	case RouteGlobalSearch:
		return s.handleGlobalSearch
	case RouteBlueprintCreate:
		return s.handleBlueprintCreate
	case RouteDatasource:
		return s.handleDatasource
	case RouteBlueprintGet:
		return s.handleBlueprintGet
	case RouteBlueprintPatch:
		return s.handleBlueprintPatch
	case RouteEntityUpsert:
		return s.handleUpsert
	case RouteBulkUpsert:
		return s.handleBulkUpsert
	case RouteSearch:
		return s.handleSearch
	case RouteBulkDelete:
		return s.handleBulkDelete
	case RouteEntityGet:
		return s.handleEntityGet
	case RouteEntityDelete:
		return s.handleEntityDelete
	}
	return nil
}

// WriteError writes Port's error envelope: {"ok": false, "error": code,
// "message": msg}.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
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
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", "clientId and clientSecret are required")
		return
	}
	want := s.opts.ClientID != "" || s.opts.ClientSecret != ""
	if want && (in.ClientID != s.opts.ClientID || in.ClientSecret != s.opts.ClientSecret) {
		WriteError(w, http.StatusUnauthorized, "unauthorized", "invalid credentials")
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
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return nil, false
	}
	return m, true
}

// hasBlueprint answers 404 when bp does not exist; the caller holds s.mu.
func (s *Server) hasBlueprint(w http.ResponseWriter, bp string) bool {
	if _, ok := s.blueprints[bp]; !ok {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("blueprint %q not found", bp))
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
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("integration %q not found", req.segs[1]))
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
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", "installationId is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.integrations[id]; dup {
		WriteError(w, http.StatusConflict, "conflict", fmt.Sprintf("integration %q exists", id))
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
		WriteError(w, http.StatusNotFound, "not_found", "integration not found")
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
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("status %q: want running, completed, failed or aborted", status))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := req.segs[1]
	in, ok := s.integrations[id]
	if !ok {
		WriteError(w, http.StatusNotFound, "not_found", "integration not found")
		return
	}
	st["updatedAt"] = s.now()
	in["resyncState"] = st
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "integration": deepCopy(in)})
}

func (s *Server) handleIntegrationDelete(w http.ResponseWriter, req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.integrations[req.segs[1]]; !ok {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("integration %q not found", req.segs[1]))
		return
	}
	delete(s.integrations, req.segs[1])
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
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
