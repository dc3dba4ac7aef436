// Package jiratest is an in-memory Jira Cloud for tests: it serves fixture
// values in the shape of each Jira API the jira integration reads, paged
// the way each API pages (platform PageBeans with isLast and total, the
// users list with neither, Jira Software lists with isLast, nextPageToken
// searches, the Teams API's cursors), checks credentials, counts requests
// and injects faults. It is test-only: no product code imports it.
package jiratest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/tide-sync/tide/internal/vendortest"
)

// Fixtures is a Jira site's content, each list in the shape Jira returns
// its elements. Lists keyed by a parent hold the parent's key (project key,
// board id, team id, issue key).
type Fixtures struct {
	Myself        map[string]any              `json:"myself"`
	Projects      []map[string]any            `json:"projects"`
	Issues        []map[string]any            `json:"issues"`
	Users         []map[string]any            `json:"users"`
	Teams         []map[string]any            `json:"teams"`
	Members       map[string][]map[string]any `json:"members"`
	Versions      map[string][]map[string]any `json:"versions"`
	Components    map[string][]map[string]any `json:"components"`
	Boards        []map[string]any            `json:"boards"`
	BoardProjects map[string][]map[string]any `json:"boardProjects"`
	Sprints       map[string][]map[string]any `json:"sprints"`
	Epics         map[string][]map[string]any `json:"epics"`
	Backlog       map[string][]map[string]any `json:"backlog"`
	Worklogs      map[string][]map[string]any `json:"worklogs"`
}

// LoadFixtures reads Fixtures from a JSON file.
func LoadFixtures(path string) (*Fixtures, error) {
	f, err := vendortest.LoadJSON[Fixtures](path)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// Options configure a Server.
type Options struct {
	// Email and Token are the accepted Basic credentials; with Bearer set,
	// Token is the accepted Bearer token instead.
	Email, Token string
	Bearer       bool
	// OrgID is the Atlassian organization whose teams are served.
	OrgID string
	// PageSize caps maxResults (and the Teams API's page), as Jira caps it
	// below what a client asks: small fixtures then span several pages.
	PageSize int
}

// Fault answers matching requests in place of the fixture. A Fault whose
// Status is 0 lets the request through and only adds Header to the answer.
type Fault struct {
	Method string // "" = any
	Path   string // exact path, or a prefix ending in "*"
	Skip   int    // matching requests let through first
	Times  int    // how many requests get the fault (0 = every one)
	Status int
	Header map[string]string
	Body   string
}

// Request is one request the fake received.
type Request struct {
	Method, Path string
	Query        map[string][]string
	Body         map[string]any
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts Options
	fix  *Fixtures

	mu     sync.Mutex
	faults []*Fault
	log    []Request
	after  func(fix *Fixtures, r Request)
	// fixMu guards fix while AfterAnswer's function may change it: answers
	// are built and encoded under its read lock, changes made under its
	// write lock.
	fixMu sync.RWMutex

	counts vendortest.Counter // by "METHOD /path"
}

// New builds a Server serving fix.
func New(fix *Fixtures, opts Options) *Server {
	if opts.PageSize <= 0 {
		opts.PageSize = 50
	}
	return &Server{opts: opts, fix: fix}
}

// Fail injects a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// AfterAnswer sets fn to run after each fixture answer is built and before
// it is sent: fn may change the fixtures, as a vendor whose data changes
// between two page reads. The client sees the change from its next request.
func (s *Server) AfterAnswer(fn func(fix *Fixtures, r Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = fn
}

// Count returns how many requests "METHOD /path" got.
func (s *Server) Count(route string) int { return s.counts.Count(route) }

// Total returns how many requests the fake got.
func (s *Server) Total() int { return s.counts.Total() }

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		if len(b) > 0 {
			if err := json.Unmarshal(b, &body); err != nil {
				writeJSON(w, http.StatusBadRequest, errorBody("Invalid request payload. Refer to the REST API documentation and try again."))
				return
			}
		}
	}
	s.counts.Add(r.Method + " " + r.URL.Path)
	s.mu.Lock()
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body})
	f := s.fault(r.Method, r.URL.Path)
	s.mu.Unlock()
	if !s.authorized(r) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "Client must be authenticated to access this resource.")
		return
	}
	if f != nil && vendortest.Answer(w, f.Status, f.Header, f.Body) {
		return
	}
	s.fixMu.RLock()
	status, v := s.route(r, body)
	b, err := json.Marshal(v) // before any change: the answer must not see it
	s.fixMu.RUnlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	after := s.after
	s.mu.Unlock()
	if after != nil {
		s.fixMu.Lock()
		after(s.fix, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body})
		s.fixMu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) fault(method, path string) *Fault {
	for _, f := range s.faults {
		if (f.Method != "" && f.Method != method) || !vendortest.MatchPath(f.Path, path) || f.Times < 0 {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			continue
		}
		vendortest.Spend(&f.Times)
		return f
	}
	return nil
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if s.opts.Bearer {
		return s.opts.Token != "" && h == "Bearer "+s.opts.Token
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.opts.Email+":"+s.opts.Token))
	return s.opts.Token != "" && h == want
}

func errorBody(msg string) map[string]any {
	return map[string]any{"errorMessages": []any{msg}, "errors": map[string]any{}}
}

// route serves one request from the fixtures.
func (s *Server) route(r *http.Request, body map[string]any) (int, any) {
	// Behind Atlassian's gateway, paths start /ex/jira/<cloudId>.
	if rest, ok := strings.CutPrefix(r.URL.Path, "/ex/jira/"); ok {
		if _, after, ok := strings.Cut(rest, "/"); ok {
			r.URL.Path = "/" + after
		}
	}
	p := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	get := r.Method == http.MethodGet
	switch {
	case get && r.URL.Path == "/rest/api/3/myself" && s.fix.Myself != nil:
		return http.StatusOK, s.fix.Myself
	case get && r.URL.Path == "/rest/api/3/project/search":
		projects := s.fix.Projects
		if !strings.Contains(q.Get("expand"), "insight") {
			projects = without(projects, "insight")
		}
		return http.StatusOK, s.pageBean(r, projects, "values", true)
	case get && r.URL.Path == "/rest/api/3/users/search":
		// A bare list, without isLast or total.
		start, max := s.window(r)
		return http.StatusOK, slice(s.fix.Users, start, max)
	case r.Method == http.MethodPost && r.URL.Path == "/rest/api/3/search/jql":
		return s.search(body)
	case get && len(p) == 6 && p[3] == "project" && p[5] == "version":
		if _, ok := s.project(p[4]); !ok {
			return http.StatusNotFound, errorBody(fmt.Sprintf("No project could be found with key '%s'.", p[4]))
		}
		return http.StatusOK, s.pageBean(r, s.fix.Versions[p[4]], "values", true)
	case get && len(p) == 6 && p[3] == "project" && p[5] == "component":
		if _, ok := s.project(p[4]); !ok {
			return http.StatusNotFound, errorBody(fmt.Sprintf("No project could be found with key '%s'.", p[4]))
		}
		return http.StatusOK, s.pageBean(r, s.fix.Components[p[4]], "values", true)
	case get && len(p) == 6 && p[3] == "issue" && p[5] == "worklog":
		// Worklogs page with total only (no isLast).
		return http.StatusOK, s.pageBean(r, s.fix.Worklogs[p[4]], "worklogs", false)
	case get && r.URL.Path == "/rest/agile/1.0/board":
		var boards []map[string]any
		for _, b := range s.fix.Boards {
			loc, _ := b["location"].(map[string]any)
			if t := q.Get("type"); t != "" && b["type"] != t {
				continue
			}
			if k := q.Get("projectKeyOrId"); k != "" && loc["projectKey"] != k {
				continue
			}
			boards = append(boards, b)
		}
		return http.StatusOK, s.pageBean(r, boards, "values", true)
	case get && len(p) == 5 && p[0] == "rest" && p[1] == "agile" && p[3] == "board":
		return s.board(r, p[4], "")
	case get && len(p) == 6 && p[0] == "rest" && p[3] == "board":
		return s.board(r, p[4], p[1]+"/"+p[5])
	case get && len(p) == 8 && strings.Join(p[:6], "/") == "gateway/api/public/teams/v1/org" && p[7] == "teams":
		return s.teams(r, p[6])
	case r.Method == http.MethodPost && len(p) == 10 && p[7] == "teams" && p[9] == "members":
		return s.members(p[6], p[8], body)
	}
	return http.StatusNotFound, errorBody("No resource at " + r.URL.Path)
}

func (s *Server) project(key string) (map[string]any, bool) {
	for _, pr := range s.fix.Projects {
		if pr["key"] == key {
			return pr, true
		}
	}
	return nil, false
}

// window reads startAt and maxResults, maxResults capped at PageSize.
func (s *Server) window(r *http.Request) (int, int) {
	start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	max, err := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if err != nil || max <= 0 || max > s.opts.PageSize {
		max = s.opts.PageSize
	}
	return start, max
}

func slice(all []map[string]any, start, max int) []map[string]any {
	out := []map[string]any{}
	for i := start; i < len(all) && i < start+max; i++ {
		out = append(out, all[i])
	}
	return out
}

// pageBean is Jira's PageBean: startAt, maxResults, total, isLast (when
// withLast) and the page under key.
func (s *Server) pageBean(r *http.Request, all []map[string]any, key string, withLast bool) map[string]any {
	start, max := s.window(r)
	page := slice(all, start, max)
	out := map[string]any{"self": "https://acme.atlassian.net" + r.URL.RequestURI(), "startAt": start, "maxResults": max, "total": len(all), key: page}
	if withLast {
		last := start+len(page) >= len(all)
		out["isLast"] = last
		if !last {
			out["nextPage"] = fmt.Sprintf("https://acme.atlassian.net%s?startAt=%d&maxResults=%d", r.URL.Path, start+max, max)
		}
	}
	return out
}

// agilePage is Jira Software's page: startAt, maxResults, isLast, values
// (no total).
func (s *Server) agilePage(r *http.Request, all []map[string]any, key string) map[string]any {
	start, max := s.window(r)
	page := slice(all, start, max)
	return map[string]any{"maxResults": max, "startAt": start, "isLast": start+len(page) >= len(all), key: page}
}

func (s *Server) board(r *http.Request, id, sub string) (int, any) {
	var board map[string]any
	for _, b := range s.fix.Boards {
		if fmt.Sprint(b["id"]) == id {
			board = b
		}
	}
	if board == nil {
		return http.StatusNotFound, errorBody(fmt.Sprintf("Board does not exist or you do not have permission to see it."))
	}
	q := r.URL.Query()
	switch sub {
	case "":
		return http.StatusOK, board
	case "agile/project":
		return http.StatusOK, s.pageBean(r, s.fix.BoardProjects[id], "values", true)
	case "agile/sprint":
		if board["type"] != "scrum" {
			return http.StatusBadRequest, errorBody("The board does not support sprints")
		}
		var sprints []map[string]any
		for _, sp := range s.fix.Sprints[id] {
			if st := q.Get("state"); st == "" || strings.Contains(","+st+",", ","+fmt.Sprint(sp["state"])+",") {
				sprints = append(sprints, sp)
			}
		}
		return http.StatusOK, s.agilePage(r, sprints, "values")
	case "agile/epic":
		var epics []map[string]any
		for _, e := range s.fix.Epics[id] {
			if d := q.Get("done"); d == "" || d == fmt.Sprint(e["done"]) {
				epics = append(epics, e)
			}
		}
		return http.StatusOK, s.agilePage(r, epics, "values")
	case "agile/backlog":
		start, max := s.window(r)
		all := s.fix.Backlog[id]
		return http.StatusOK, map[string]any{"expand": "schema,names", "startAt": start, "maxResults": max, "total": len(all), "issues": slice(all, start, max)}
	case "software/backlog":
		return http.StatusOK, s.tokenPage(s.fix.Backlog[id], q.Get("nextPageToken"), q.Get("maxResults"))
	}
	return http.StatusNotFound, errorBody("No resource at " + r.URL.Path)
}

// tokenPage serves a nextPageToken page: the token is the next offset,
// encoded; the last page says isLast and carries no token.
func (s *Server) tokenPage(all []map[string]any, token, maxResults string) map[string]any {
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err == nil {
			start, _ = strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
		}
	}
	max, err := strconv.Atoi(maxResults)
	if err != nil || max <= 0 || max > s.opts.PageSize {
		max = s.opts.PageSize
	}
	page := slice(all, start, max)
	out := map[string]any{"issues": page, "isLast": start+len(page) >= len(all)}
	if start+len(page) < len(all) {
		out["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(start+len(page))))
	}
	return out
}

// search is POST /rest/api/3/search/jql. JQL is not evaluated: every
// issue matches (tests read the JQL sent from Requests). fields ["key"]
// returns the issues without their fields, as Jira does.
func (s *Server) search(body map[string]any) (int, any) {
	if jql, _ := body["jql"].(string); strings.TrimSpace(jql) == "" {
		return http.StatusBadRequest, errorBody("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	issues := s.fix.Issues
	if fs, _ := body["fields"].([]any); len(fs) == 1 && fs[0] == "key" {
		issues = nil
		for _, is := range s.fix.Issues {
			issues = append(issues, map[string]any{"id": is["id"], "key": is["key"], "self": is["self"], "fields": map[string]any{}})
		}
	}
	token, _ := body["nextPageToken"].(string)
	max := ""
	if m, ok := body["maxResults"].(float64); ok {
		max = strconv.Itoa(int(m))
	}
	return http.StatusOK, s.tokenPage(issues, token, max)
}

// teams is the Teams API's list: entities and the next page's cursor.
func (s *Server) teams(r *http.Request, org string) (int, any) {
	if org != s.opts.OrgID {
		return http.StatusNotFound, map[string]any{"code": 404, "message": "Organization not found"}
	}
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, _ := base64.RawURLEncoding.DecodeString(c)
		start, _ = strconv.Atoi(string(b))
	}
	page := slice(s.fix.Teams, start, s.opts.PageSize)
	out := map[string]any{"entities": page}
	if start+len(page) < len(s.fix.Teams) {
		out["cursor"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start + len(page))))
	}
	return http.StatusOK, out
}

// members is the Teams API's members: results and a Relay pageInfo.
func (s *Server) members(org, team string, body map[string]any) (int, any) {
	if org != s.opts.OrgID {
		return http.StatusNotFound, map[string]any{"code": 404, "message": "Organization not found"}
	}
	all, ok := s.fix.Members[team]
	if !ok {
		return http.StatusNotFound, map[string]any{"code": 404, "message": "Team not found"}
	}
	start := 0
	if after, _ := body["after"].(string); after != "" {
		b, _ := base64.RawURLEncoding.DecodeString(after)
		start, _ = strconv.Atoi(string(b))
	}
	first := s.opts.PageSize
	if f, ok := body["first"].(float64); ok && int(f) < first {
		first = int(f)
	}
	page := slice(all, start, first)
	more := start+len(page) < len(all)
	info := map[string]any{"hasNextPage": more, "endCursor": nil}
	if len(page) > 0 {
		info["endCursor"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start + len(page))))
	}
	return http.StatusOK, map[string]any{"results": page, "pageInfo": info}
}

// without copies items without key.
func without(items []map[string]any, key string) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, it := range items {
		c := make(map[string]any, len(it))
		for k, v := range it {
			if k != key {
				c[k] = v
			}
		}
		out[i] = c
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	vendortest.WriteJSON(w, status, v)
}
