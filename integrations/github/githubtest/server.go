// Package githubtest is an in-memory GitHub API (REST and the GraphQL
// queries the github integration sends) for tests: it serves fixture values
// in GitHub's JSON shape, paginates them with Link headers, checks
// credentials, mints App installation tokens, counts requests and injects
// faults.
package githubtest

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Fixtures maps a REST path ("/orgs/acme/repos") to its value in GitHub's
// shape: an array (paginated), an object (served as is) or an object
// holding one array next to total_count (paginated on that array). A key
// "PATH?ref=REF" answers PATH asked for at that ref (the contents API on
// a branch); without one, PATH answers every ref. Keys starting with
// "graphql:" hold GraphQL data: "graphql:members:ORG" (the organisation's
// membersWithRole nodes), "graphql:team:ORG/SLUG" (a team's member
// nodes), "graphql:saml:ORG" (the SAML external identities' edges; none:
// SAML is off) and "graphql:pulls:ORG/REPO" (pull request nodes). The key
// "/search/repositories" holds the repositories the search API finds.
type Fixtures map[string]json.RawMessage

// LoadFixtures reads a JSON object of Fixtures from a file.
func LoadFixtures(path string) (Fixtures, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Options configure a Server.
type Options struct {
	// Token is the accepted personal access token ("" accepts none).
	Token string
	// AppID and AppKey enable App auth: JWTs signed by AppKey's private key
	// with issuer AppID are accepted on /app endpoints.
	AppID  string
	AppKey *rsa.PublicKey
	// Installations are served on /app/installations; each one's token is
	// minted by POST /app/installations/{id}/access_tokens.
	Installations []Installation
	// MaxPerPage caps REST's per_page and GraphQL's first (GitHub's cap is
	// 100 for both), so small fixtures span several pages.
	MaxPerPage int
	// Latency is added to every request.
	Latency time.Duration
	// Now dates the installation tokens' expiry (an hour after it);
	// default time.Now. A test on a fake clock passes the clock's.
	Now func() time.Time
}

// Installation is one App installation.
type Installation struct {
	ID        int64
	Account   string
	Type      string // Organization or User
	Suspended bool
}

// Fault answers matching requests in place of the fixture.
type Fault struct {
	Method string // "" = any
	Path   string // exact path, or a prefix ending in "*"
	Query  string // substring the raw query must hold ("" = any)
	Times  int    // how many requests get the fault (0 = every one)
	Status int
	Header map[string]string
	Body   string
	// EchoAuthorization answers with GitHub's error shape whose message
	// quotes the request's Authorization header (Body is then unused), as
	// a misbehaving proxy in front of GitHub Enterprise might.
	EchoAuthorization bool
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts Options
	fix  Fixtures

	mu     sync.Mutex
	faults []*Fault
	counts map[string]int
	tokens map[string]int64 // installation token → installation id
	seq    int

	requests    atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

// New builds a Server serving fix.
func New(fix Fixtures, opts Options) *Server {
	if opts.MaxPerPage <= 0 {
		opts.MaxPerPage = 100
	}
	return &Server{opts: opts, fix: fix, counts: map[string]int{}, tokens: map[string]int64{}}
}

// Fail injects a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Count returns how many requests METHOD PATH received ("GET /orgs/x/repos";
// "POST graphql" for GraphQL).
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// Counts returns every route's count.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Requests returns the total number of requests served.
func (s *Server) Requests() int64 { return s.requests.Load() }

// MaxInFlight returns the most requests served at once.
func (s *Server) MaxInFlight() int64 { return s.maxInFlight.Load() }

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// InstallationToken is the token minted for installation id, so tests can
// check it never leaks.
func InstallationToken(id int64) string { return fmt.Sprintf("ghs_installation%dSECRETtoken", id) }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
	}
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	route := r.Method + " " + path
	if path == "/graphql" || path == "/api/graphql" {
		route = "POST graphql"
	}
	s.mu.Lock()
	s.counts[route]++
	f := s.fault(r.Method, path, r.URL.RawQuery)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if f != nil {
		for k, v := range f.Header {
			w.Header().Set(k, v)
		}
		if f.EchoAuthorization {
			writeError(w, f.Status, "Resource not accessible with Authorization: "+r.Header.Get("Authorization"))
			return
		}
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
		return
	}
	if strings.HasPrefix(path, "/app/") || path == "/app" {
		s.serveApp(w, r, path)
		return
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	w.Header().Set("X-Ratelimit-Limit", "5000")
	w.Header().Set("X-Ratelimit-Remaining", "4999")
	w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	if route == "POST graphql" {
		s.serveGraphQL(w, r)
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if path == "/search/repositories" {
		s.serveSearch(w, r)
		return
	}
	raw, ok := s.lookup(path, r.URL.Query())
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	s.serveREST(w, r, raw)
}

// fault returns the first live fault matching; s.mu is held.
func (s *Server) fault(method, path, query string) *Fault {
	for _, f := range s.faults {
		if f.Times < 0 {
			continue
		}
		if f.Method != "" && f.Method != method {
			continue
		}
		if p, ok := strings.CutSuffix(f.Path, "*"); ok {
			if !strings.HasPrefix(path, p) {
				continue
			}
		} else if f.Path != path {
			continue
		}
		if f.Query != "" && !strings.Contains(query, f.Query) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				f.Times = -1 // spent
			}
		}
		return f
	}
	return nil
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	if s.opts.Token != "" && tok == s.opts.Token {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok = s.tokens[tok]
	return ok
}

func (s *Server) checkJWT(r *http.Request) error {
	if s.opts.AppKey == nil {
		return fmt.Errorf("no App configured")
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return fmt.Errorf("no bearer")
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return s.opts.AppKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		return err
	}
	if claims.Issuer != s.opts.AppID {
		return fmt.Errorf("issuer %q", claims.Issuer)
	}
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute+time.Second {
		return fmt.Errorf("JWT lives longer than 10 minutes")
	}
	return nil
}

func (s *Server) serveApp(w http.ResponseWriter, r *http.Request, path string) {
	if err := s.checkJWT(r); err != nil {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded: "+err.Error())
		return
	}
	if path == "/app/installations" && r.Method == http.MethodGet {
		var out []map[string]any
		for _, in := range s.opts.Installations {
			var suspended any
			if in.Suspended {
				suspended = "2025-01-01T00:00:00Z"
			}
			out = append(out, map[string]any{
				"id": in.ID, "app_id": s.opts.AppID, "target_type": in.Type, "suspended_at": suspended,
				"account": map[string]any{"login": in.Account, "type": in.Type},
			})
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	rest, ok := strings.CutPrefix(path, "/app/installations/")
	if idText, ok2 := strings.CutSuffix(rest, "/access_tokens"); ok && ok2 && r.Method == http.MethodPost {
		id, _ := strconv.ParseInt(idText, 10, 64)
		for _, in := range s.opts.Installations {
			if in.ID == id && !in.Suspended {
				tok := InstallationToken(id)
				s.mu.Lock()
				s.tokens[tok] = id
				s.mu.Unlock()
				writeJSON(w, http.StatusCreated, map[string]any{
					"token": tok, "expires_at": s.now().Add(time.Hour).UTC().Format(time.RFC3339),
					"permissions": map[string]string{"metadata": "read"}, "repository_selection": "all",
				})
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// listKeys are the keys of GitHub's wrapped listings.
var listKeys = []string{"workflows", "workflow_runs", "environments", "items", "repositories", "variables"}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, raw json.RawMessage) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		writeError(w, http.StatusInternalServerError, "bad fixture")
		return
	}
	q := r.URL.Query()
	switch t := v.(type) {
	case []any:
		items := filter(t, q)
		page, next := s.paginate(items, q)
		s.link(w, r, next)
		writeJSON(w, http.StatusOK, page)
	case map[string]any:
		for _, k := range listKeys {
			arr, ok := t[k].([]any)
			if !ok {
				continue
			}
			items := filter(arr, q)
			page, next := s.paginate(items, q)
			s.link(w, r, next)
			out := map[string]any{"total_count": len(items), k: page}
			writeJSON(w, http.StatusOK, out)
			return
		}
		writeJSON(w, http.StatusOK, t)
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// filter applies the listing filters GitHub applies server-side that the
// integration relies on: state (comma list, "all"), status and labels.
func filter(items []any, q url.Values) []any {
	out := items
	keep := func(pred func(map[string]any) bool) {
		var kept []any
		for _, it := range out {
			if m, ok := it.(map[string]any); ok && pred(m) {
				kept = append(kept, it)
			}
		}
		out = kept
	}
	if st := q.Get("state"); st != "" && st != "all" {
		states := strings.Split(st, ",")
		keep(func(m map[string]any) bool { s, _ := m["state"].(string); return s == "" || slices.Contains(states, s) })
	}
	if typ := q.Get("type"); typ == "public" || typ == "private" {
		keep(func(m map[string]any) bool { p, _ := m["private"].(bool); return p == (typ == "private") })
	}
	if st := q.Get("status"); st != "" {
		keep(func(m map[string]any) bool { return m["status"] == st || m["conclusion"] == st })
	}
	if ls := q.Get("labels"); ls != "" {
		want := strings.Split(ls, ",")
		keep(func(m map[string]any) bool {
			have := map[string]bool{}
			labels, _ := m["labels"].([]any)
			for _, l := range labels {
				if lm, ok := l.(map[string]any); ok {
					n, _ := lm["name"].(string)
					have[n] = true
				}
			}
			for _, w := range want {
				if !have[w] {
					return false
				}
			}
			return true
		})
	}
	return out
}

func (s *Server) paginate(items []any, q url.Values) ([]any, int) {
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30 // GitHub's default
	}
	per = min(per, s.opts.MaxPerPage)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	start := min((page-1)*per, len(items))
	end := min(start+per, len(items))
	next := 0
	if end < len(items) {
		next = page + 1
	}
	if items[start:end] == nil {
		return []any{}, next
	}
	return items[start:end], next
}

func (s *Server) link(w http.ResponseWriter, r *http.Request, next int) {
	if next == 0 {
		return
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	q := u.Query()
	q.Set("page", strconv.Itoa(next))
	u.RawQuery = q.Encode()
	first := u
	fq := first.Query()
	fq.Set("page", "1")
	first.RawQuery = fq.Encode()
	w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s>; rel="first"`, u.String(), first.String()))
}

var (
	teamAlias  = regexp.MustCompile(`t(\d+): team\(slug: \$s(\d+)\) \{.*?members\(first: (\d+)\)`)
	teamSingle = regexp.MustCompile(`team\(slug: \$slug\) \{ members\(first: (\d+), after: \$after\)`)
)

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	org, _ := body.Variables["org"].(string)
	switch {
	case strings.Contains(body.Query, "membersWithRole"):
		first := int(num(body.Variables["first"]))
		after, _ := body.Variables["after"].(string)
		nodes, ok := s.nodes("graphql:members:" + org)
		if !ok {
			writeGraphQLError(w, "NOT_FOUND", fmt.Sprintf("Could not resolve to an Organization with the login of '%s'.", org))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"organization": map[string]any{"membersWithRole": connection(nodes, min(first, s.opts.MaxPerPage), after)}}})
	case teamSingle.MatchString(body.Query):
		first, _ := strconv.Atoi(teamSingle.FindStringSubmatch(body.Query)[1])
		slug, _ := body.Variables["slug"].(string)
		after, _ := body.Variables["after"].(string)
		nodes, _ := s.nodes("graphql:team:" + org + "/" + slug)
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"organization": map[string]any{"team": map[string]any{"members": connection(nodes, min(first, s.opts.MaxPerPage), after)}}}})
	case teamAlias.MatchString(body.Query):
		orgData := map[string]any{}
		for _, m := range teamAlias.FindAllStringSubmatch(body.Query, -1) {
			slug, _ := body.Variables["s"+m[2]].(string)
			first, _ := strconv.Atoi(m[3])
			nodes, ok := s.nodes("graphql:team:" + org + "/" + slug)
			if !ok {
				orgData["t"+m[1]] = nil
				continue
			}
			orgData["t"+m[1]] = map[string]any{
				"databaseId": 4400000 + len(slug), "notificationSetting": "NOTIFICATIONS_ENABLED", "privacy": "VISIBLE",
				"members": connection(nodes, min(first, s.opts.MaxPerPage), ""),
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"organization": orgData}})
	case strings.Contains(body.Query, "samlIdentityProvider"):
		s.serveSAML(w, org, body.Variables)
	case strings.Contains(body.Query, "pullRequests("):
		s.servePulls(w, body.Variables)
	default:
		writeGraphQLError(w, "UNKNOWN", "githubtest: unsupported query")
	}
}

func (s *Server) nodes(key string) ([]any, bool) {
	raw, ok := s.fix[key]
	if !ok {
		return nil, false
	}
	var nodes []any
	if err := json.Unmarshal(raw, &nodes); err != nil {
		return nil, false
	}
	return nodes, true
}

// connection pages nodes GraphQL-style; cursors are opaque base64 offsets.
func connection(nodes []any, first int, after string) map[string]any {
	start := 0
	if after != "" {
		b, _ := base64.StdEncoding.DecodeString(after)
		start, _ = strconv.Atoi(strings.TrimPrefix(string(b), "cursor:"))
	}
	if first <= 0 || first > 100 {
		first = 100
	}
	start = min(start, len(nodes))
	end := min(start+first, len(nodes))
	page := nodes[start:end]
	if page == nil {
		page = []any{}
	}
	var cursor any
	if end > start {
		cursor = base64.StdEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(end)))
	}
	return map[string]any{"nodes": page, "pageInfo": map[string]any{"hasNextPage": end < len(nodes), "endCursor": cursor}}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

func writeGraphQLError(w http.ResponseWriter, typ, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{"type": typ, "message": msg}}})
}
