// Package lineartest is a fake of Linear's GraphQL API for tests: it
// serves the viewer, the teams, issueLabels and issues connections (and
// one label's children) from a fixture in Linear's shape, with pageInfo cursors,
// Linear's auth rules, rate-limit headers, archived items left out unless
// asked for, and scripted faults. It is test-only: no product code
// imports it.
package lineartest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/internal/vendortest"
)

// Workspace is the fixture: nodes as Linear's API returns them. Labels
// carry no children: the fake derives them from the parent links.
type Workspace struct {
	// Viewer is the user the accepted key belongs to.
	Viewer map[string]any   `json:"viewer"`
	Teams  []map[string]any `json:"teams"`
	Labels []map[string]any `json:"issueLabels"`
	Issues []map[string]any `json:"issues"`
}

// Load reads a fixture file.
func Load(path string) (*Workspace, error) {
	ws, err := vendortest.LoadJSON[Workspace](path)
	if err != nil {
		return nil, err
	}
	return &ws, nil
}

// Options configure the fake.
type Options struct {
	// APIKey is accepted raw in Authorization.
	APIKey string
	// OAuthToken is accepted as "Bearer <token>".
	OAuthToken string
	// Now stamps the rate-limit reset headers; default time.Now.
	Now func() time.Time
}

// Fault is a scripted answer to the next Times requests of operation Op
// (the GraphQL operation name, e.g. "Issues"; "" matches any) whose
// "after" variable is After (when set).
type Fault struct {
	Op     string
	After  string // match only the page after this cursor; "" any
	Status int
	Header map[string]string
	Body   string
	Times  int // 0: once
}

// Request is one GraphQL request the fake received.
type Request struct {
	Op        string
	Query     string
	Variables map[string]any
	Auth      string
}

// Server is the fake. Safe for concurrent use.
type Server struct {
	opts Options

	mu       gosync.Mutex
	ws       *Workspace
	faults   []Fault
	requests []Request
}

// New builds a fake over a copy of ws.
func New(ws *Workspace, opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	var cp Workspace
	b, _ := json.Marshal(ws)
	_ = json.Unmarshal(b, &cp)
	return &Server{opts: opts, ws: &cp}
}

// Fail scripts a fault.
func (s *Server) Fail(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests of operation op were received.
func (s *Server) Count(op string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Op == op {
			n++
		}
	}
	return n
}

// Archive closes and archives the issue with identifier, as Linear does
// when an issue is done and auto-archived; it reports whether it exists.
func (s *Server) Archive(identifier string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.ws.Issues {
		if it["identifier"] == identifier {
			now := s.opts.Now().UTC().Format("2006-01-02T15:04:05.000Z")
			it["state"] = map[string]any{"name": "Done"}
			it["completedAt"], it["archivedAt"], it["autoArchivedAt"], it["updatedAt"] = now, now, now, now
			return true
		}
	}
	return false
}

var opName = regexp.MustCompile(`^\s*query\s+(\w+)`)

// templated catches values written into the query text instead of
// variables.
var templated = regexp.MustCompile(`(first|after|id)\s*:\s*["0-9]`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	auth := r.Header.Get("Authorization")
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, nil, gqlError("Body is not JSON: "+err.Error(), "BAD_USER_INPUT", 400))
		return
	}
	op := ""
	if m := opName.FindStringSubmatch(body.Query); m != nil {
		op = m[1]
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Op: op, Query: body.Query, Variables: body.Variables, Auth: auth})
	n := len(s.requests)
	var fault *Fault
	for i := range s.faults {
		f := &s.faults[i]
		if f.Times > 0 && (f.Op == "" || f.Op == op) && (f.After == "" || body.Variables["after"] == f.After) {
			f.Times--
			cp := *f
			fault = &cp
			break
		}
	}
	s.mu.Unlock()

	hdr := s.limitHeaders(n)
	if auth == "" || (auth != s.opts.APIKey && (s.opts.OAuthToken == "" || auth != "Bearer "+s.opts.OAuthToken)) {
		writeJSON(w, http.StatusUnauthorized, hdr, gqlError("Authentication required, not authenticated", "AUTHENTICATION_ERROR", 401))
		return
	}
	if fault != nil {
		for k, v := range fault.Header {
			hdr[k] = v
		}
		writeRaw(w, fault.Status, hdr, []byte(fault.Body))
		return
	}
	if templated.MatchString(body.Query) {
		writeJSON(w, http.StatusBadRequest, hdr, gqlError("the fake wants page sizes, cursors and ids as variables, not in the query text", "GRAPHQL_VALIDATION_FAILED", 400))
		return
	}
	data, err := s.answer(op, body.Query, body.Variables)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, hdr, gqlError(err.Error(), "GRAPHQL_VALIDATION_FAILED", 400))
		return
	}
	writeJSON(w, http.StatusOK, hdr, map[string]any{"data": data})
}

// limitHeaders are Linear's rate-limit headers (resets in epoch ms).
func (s *Server) limitHeaders(n int) map[string]string {
	reset := strconv.FormatInt(s.opts.Now().Add(time.Hour).UnixMilli(), 10)
	return map[string]string{
		"X-RateLimit-Requests-Limit": "5000", "X-RateLimit-Requests-Remaining": strconv.Itoa(max(5000-n, 0)),
		"X-RateLimit-Requests-Reset": reset, "X-Complexity": "250",
		"X-RateLimit-Complexity-Limit": "3000000", "X-RateLimit-Complexity-Remaining": strconv.Itoa(max(3000000-250*n, 0)),
		"X-RateLimit-Complexity-Reset": reset,
	}
}

func (s *Server) answer(op, query string, vars map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	archived, _ := vars["includeArchived"].(bool)
	switch op {
	case "Viewer":
		if s.ws.Viewer == nil {
			return nil, fmt.Errorf("the fixture has no viewer")
		}
		return map[string]any{"viewer": clone(s.ws.Viewer)}, nil
	case "Teams":
		conn, err := page(query, s.visible(s.ws.Teams, archived), vars)
		return map[string]any{"teams": conn}, err
	case "Issues":
		conn, err := page(query, s.visible(s.ws.Issues, archived), vars)
		return map[string]any{"issues": conn}, err
	case "IssueLabels":
		childFirst, err := intVar(vars, "childrenFirst")
		if err != nil {
			return nil, err
		}
		var nodes []map[string]any
		for _, l := range s.visible(s.ws.Labels, archived) {
			n := clone(l)
			kids, err := page("", s.children(l["id"]), map[string]any{"first": childFirst})
			if err != nil {
				return nil, err
			}
			n["children"] = kids
			nodes = append(nodes, n)
		}
		conn, err := page(query, nodes, vars)
		return map[string]any{"issueLabels": conn}, err
	case "IssueLabelChildren":
		id, _ := vars["id"].(string)
		for _, l := range s.ws.Labels {
			if l["id"] == id {
				kids, err := page("", s.children(id), vars)
				return map[string]any{"issueLabel": map[string]any{"children": kids}}, err
			}
		}
		return nil, fmt.Errorf("Entity not found: IssueLabel %q", id)
	}
	return nil, fmt.Errorf("the fake does not serve operation %q", op)
}

func (s *Server) visible(nodes []map[string]any, archived bool) []map[string]any {
	var out []map[string]any
	for _, n := range nodes {
		if archived || n["archivedAt"] == nil {
			out = append(out, clone(n))
		}
	}
	return out
}

// children are the non-archived labels whose parent is id, as id-only
// nodes.
func (s *Server) children(id any) []map[string]any {
	var out []map[string]any
	for _, l := range s.ws.Labels {
		if p, ok := l["parent"].(map[string]any); ok && p["id"] == id && l["archivedAt"] == nil {
			out = append(out, map[string]any{"id": l["id"]})
		}
	}
	return out
}

// page serves one page of a connection. A non-empty query must name every
// field the fixture nodes carry: a field the integration does not ask for
// would be missing from Linear's real answer.
func page(query string, nodes []map[string]any, vars map[string]any) (map[string]any, error) {
	first, err := intVar(vars, "first")
	if err != nil {
		return nil, err
	}
	if first < 1 || first > 250 {
		return nil, fmt.Errorf("first: %d is out of range (1-250)", first)
	}
	start := 0
	if a, ok := vars["after"].(string); ok && a != "" {
		b, err := base64.StdEncoding.DecodeString(a)
		i, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:"))
		if err != nil || err2 != nil || i < 0 || i >= len(nodes) {
			return nil, fmt.Errorf("after: cursor %q is not valid", a)
		}
		start = i + 1
	}
	end := min(start+first, len(nodes))
	edges := []any{}
	var startCursor, endCursor any
	for i := start; i < end; i++ {
		if query != "" {
			for k := range nodes[i] {
				if !regexp.MustCompile(`\b` + k + `\b`).MatchString(query) {
					return nil, fmt.Errorf("the query does not ask for field %q, which the fixture holds", k)
				}
			}
		}
		c := base64.StdEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(i)))
		if startCursor == nil {
			startCursor = c
		}
		endCursor = c
		edges = append(edges, map[string]any{"cursor": c, "node": nodes[i]})
	}
	return map[string]any{"edges": edges, "pageInfo": map[string]any{
		"hasNextPage": end < len(nodes), "hasPreviousPage": start > 0, "startCursor": startCursor, "endCursor": endCursor,
	}}, nil
}

func intVar(vars map[string]any, name string) (int, error) {
	switch v := vars[name].(type) {
	case float64:
		return int(v), nil
	case int:
		return v, nil
	case nil:
		return 0, fmt.Errorf("variable $%s is required", name)
	default:
		return 0, fmt.Errorf("variable $%s: want Int, got %T", name, v)
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func gqlError(msg, code string, status int) map[string]any {
	return map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{
		"code": code, "statusCode": status, "userError": true, "userPresentableMessage": msg,
	}}}}
}

func writeJSON(w http.ResponseWriter, status int, hdr map[string]string, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, status, hdr, b)
}

func writeRaw(w http.ResponseWriter, status int, hdr map[string]string, b []byte) {
	for k, v := range hdr {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
