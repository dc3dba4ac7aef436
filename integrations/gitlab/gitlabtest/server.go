// Package gitlabtest is an in-memory GitLab REST API (v4) for tests: it
// serves fixture values in GitLab's JSON shape under /api/v4, paginates
// arrays with offset pagination (page, per_page and the x-next-page,
// x-total, Link headers) or, when asked with pagination=keyset, keyset
// pagination by id (a Link rel="next" holding id_after), checks the
// token, counts requests and injects faults. Test-only: no part of the
// binary imports it.
package gitlabtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tide-sync/tide/internal/vendortest"
)

// Fixtures maps a path under /api/v4, escaped as sent
// ("/projects/4815162/repository/files/README.md/raw"), to its value: an
// array (paginated), an object (served as is) or, for paths ending in
// "/raw", a JSON string served as the raw file. A key may carry a query
// ("/projects/1/search?scope=blobs&search=filename:port.yml") that wins
// over the bare path when the request's filters match it exactly.
type Fixtures map[string]json.RawMessage

// LoadFixtures reads a JSON object of Fixtures from a file.
func LoadFixtures(path string) (Fixtures, error) { return vendortest.LoadJSON[Fixtures](path) }

// Options configure a Server.
type Options struct {
	// Token is the accepted token, sent as "Authorization: Bearer" or
	// PRIVATE-TOKEN.
	Token string
	// MaxPerPage caps per_page (GitLab's cap is 100), so small fixtures
	// span several pages.
	MaxPerPage int
	// Latency is added to every request.
	Latency time.Duration
	// TotalsLimit is the largest listing whose offset pages carry x-total
	// and x-total-pages; GitLab leaves both out past 10,000 items (the
	// default here too).
	TotalsLimit int
}

// Fault changes the answer to matching requests.
type Fault struct {
	Path  string // exact path under /api/v4, or a prefix ending in "*"
	Query string // substring the raw query must hold ("" = any)
	Times int    // how many requests get the fault (0 = every one)
	// Status answers with this status and Body instead of the fixture;
	// 0 serves the fixture and only adds Header.
	Status int
	Header map[string]string
	Body   string
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts Options
	fix  Fixtures

	mu     sync.Mutex
	faults []*Fault
	lists  map[string][]map[string]any // decoded array fixtures, by key
	// filters holds filtered listings, by key and filter values.
	filters map[string][]map[string]any
	after   func(s *Server, path string, page int)

	counts      vendortest.Counter // by path under /api/v4
	requests    atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
}

// New builds a Server serving fix.
func New(fix Fixtures, opts Options) *Server {
	if opts.MaxPerPage <= 0 {
		opts.MaxPerPage = 100
	}
	if opts.TotalsLimit <= 0 {
		opts.TotalsLimit = 10000
	}
	return &Server{opts: opts, fix: fix, lists: map[string][]map[string]any{}, filters: map[string][]map[string]any{}}
}

// Fail injects a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// AfterPage sets fn to run after each offset page is built (its items and
// headers chosen) and before it is sent, with the path under /api/v4 and
// the page number: fn may change a listing (Set), as a GitLab whose data
// changes between two page reads.
func (s *Server) AfterPage(fn func(s *Server, path string, page int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = fn
}

// Get returns the listing served under a Fixtures key ("/groups/1/issues",
// "/groups/1/merge_requests?state=opened"), unfiltered; nil when the key
// holds no array.
func (s *Server) Get(key string) []map[string]any {
	l, _ := s.list(key, s.fix[key])
	return slices.Clone(l)
}

// Set replaces the listing served under a Fixtures key, which must hold an
// array, and drops the filtered listings cached from the old one: later
// pages are cut from the new listing.
func (s *Server) Set(key string, items []map[string]any) {
	if _, ok := s.fix[key]; !ok {
		panic(fmt.Sprintf("gitlabtest: Set %q: no such fixture", key))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists[key] = items
	for fk := range s.filters {
		if strings.HasPrefix(fk, key+"\x00") {
			delete(s.filters, fk)
		}
	}
}

// Count returns how many requests a path (under /api/v4) received.
func (s *Server) Count(path string) int { return s.counts.Count(path) }

// Requests returns the total number of requests served.
func (s *Server) Requests() int64 { return s.requests.Load() }

// MaxInFlight returns the most requests served at once.
func (s *Server) MaxInFlight() int64 { return s.maxInFlight.Load() }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
	}
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	path, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4")
	if !ok {
		writeError(w, http.StatusNotFound, "404 Not Found")
		return
	}
	s.counts.Add(path)
	s.mu.Lock()
	f := s.fault(path, r.URL.RawQuery)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if f != nil {
		if vendortest.Answer(w, f.Status, f.Header, f.Body) {
			return
		}
		// A fault's headers win over the ones the answer sets.
		w = &overrideWriter{ResponseWriter: w, header: f.Header}
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "405 Method Not Allowed")
		return
	}
	q := r.URL.Query()
	raw, key, ok := s.lookup(path, q)
	if !ok {
		if strings.HasSuffix(path, "/search") {
			raw, ok = json.RawMessage("[]"), true // no hits
		} else {
			writeError(w, http.StatusNotFound, "404 Not Found")
			return
		}
	}
	if strings.HasSuffix(path, "/raw") {
		var text string
		if json.Unmarshal(raw, &text) != nil {
			text = string(raw)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, text)
		return
	}
	list, isList := s.list(key, raw)
	if !isList {
		w.Write(raw)
		return
	}
	list = s.filtered(key, list, q)
	if q.Get("pagination") == "keyset" {
		s.keyset(w, r, list)
		return
	}
	s.offset(w, r, path, list)
}

// list decodes an array fixture once (a large one is paged many times).
func (s *Server) list(key string, raw json.RawMessage) ([]map[string]any, bool) {
	s.mu.Lock()
	l, ok := s.lists[key]
	s.mu.Unlock()
	if ok {
		return l, true
	}
	if json.Unmarshal(raw, &l) != nil || l == nil {
		return nil, false
	}
	s.mu.Lock()
	s.lists[key] = l
	s.mu.Unlock()
	return l, true
}

// filtered applies filter once per fixture and filter values (a large
// listing is paged many times).
func (s *Server) filtered(key string, list []map[string]any, q url.Values) []map[string]any {
	fk := key + "\x00" + q.Get("state") + "\x00" + q.Get("active") + "\x00" + q.Get("archived") + "\x00" + q.Get("search")
	s.mu.Lock()
	l, ok := s.filters[fk]
	s.mu.Unlock()
	if ok {
		return l
	}
	if p, _, _ := strings.Cut(key, "?"); p != "/projects" && p != "/groups" {
		// search filters the project and group listings; elsewhere
		// (code search) it is a query, answered by the fixture.
		q = cloneQuery(q)
		q.Del("search")
	}
	l = filter(list, q)
	s.mu.Lock()
	s.filters[fk] = l
	s.mu.Unlock()
	return l
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	return out
}

// pagingKeys are the query parameters that choose a page, not a result.
var pagingKeys = map[string]bool{"page": true, "per_page": true, "pagination": true, "order_by": true, "sort": true, "id_after": true}

// lookup finds the fixture: path plus the largest subset of the request's
// filters that names a fixture, else the bare path.
func (s *Server) lookup(path string, q url.Values) (json.RawMessage, string, bool) {
	var keys []string
	for k := range q {
		if !pagingKeys[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) <= 8 {
		best, bestKey, bestN := json.RawMessage(nil), "", -1
		for mask := 1; mask < 1<<len(keys); mask++ {
			var parts []string
			for i, k := range keys {
				if mask&(1<<i) != 0 {
					parts = append(parts, k+"="+q.Get(k))
				}
			}
			key := path + "?" + strings.Join(parts, "&")
			if raw, ok := s.fix[key]; ok && len(parts) > bestN {
				best, bestKey, bestN = raw, key, len(parts)
			}
		}
		if best != nil {
			return best, bestKey, true
		}
	}
	raw, ok := s.fix[path]
	return raw, path, ok
}

// filter applies the filters GitLab applies server-side that the fixtures
// rely on: state (merge requests, issues), active=true (projects and
// groups neither archived nor marked for deletion) and search (projects
// and groups whose name or path holds it, any case).
func filter(list []map[string]any, q url.Values) []map[string]any {
	state, active, search := q.Get("state"), q.Get("active") == "true", strings.ToLower(q.Get("search"))
	if state == "" && !active && search == "" {
		return list
	}
	out := []map[string]any{}
	for _, it := range list {
		if search != "" {
			name, _ := it["name"].(string)
			p, _ := it["path"].(string)
			if !strings.Contains(strings.ToLower(name), search) && !strings.Contains(strings.ToLower(p), search) {
				continue
			}
		}
		if state != "" && state != "all" && it["state"] != state {
			continue
		}
		if active && (it["archived"] == true || it["marked_for_deletion_at"] != nil || it["marked_for_deletion_on"] != nil) {
			continue
		}
		out = append(out, it)
	}
	return out
}

func (s *Server) perPage(q url.Values) int {
	n, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || n <= 0 {
		n = 20 // GitLab's default
	}
	return min(n, s.opts.MaxPerPage)
}

func (s *Server) offset(w http.ResponseWriter, r *http.Request, path string, list []map[string]any) {
	q := r.URL.Query()
	per := s.perPage(q)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	pages := max((len(list)+per-1)/per, 1)
	lo, hi := min((page-1)*per, len(list)), min(page*per, len(list))
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	if len(list) <= s.opts.TotalsLimit {
		h.Set("X-Total", strconv.Itoa(len(list)))
		h.Set("X-Total-Pages", strconv.Itoa(pages))
	}
	next := ""
	if page < pages {
		next = strconv.Itoa(page + 1)
		u := *r.URL
		nq := u.Query()
		nq.Set("page", next)
		u.RawQuery = nq.Encode()
		h.Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, u.RequestURI()))
	}
	h.Set("X-Next-Page", next)
	s.mu.Lock()
	after := s.after
	s.mu.Unlock()
	if after != nil {
		after(s, path, page)
	}
	vendortest.WriteJSON(w, http.StatusOK, list[lo:hi])
}

func (s *Server) keyset(w http.ResponseWriter, r *http.Request, list []map[string]any) {
	q := r.URL.Query()
	if q.Get("order_by") != "id" {
		writeError(w, http.StatusMethodNotAllowed, "405 Method Not Allowed: keyset pagination is ordered by id")
		return
	}
	sorted := append([]map[string]any(nil), list...)
	sort.Slice(sorted, func(i, j int) bool { return idOf(sorted[i]) < idOf(sorted[j]) })
	after, _ := strconv.ParseFloat(q.Get("id_after"), 64)
	var rest []map[string]any
	for _, it := range sorted {
		if q.Get("id_after") == "" || idOf(it) > after {
			rest = append(rest, it)
		}
	}
	per := s.perPage(q)
	page := rest[:min(per, len(rest))]
	if len(rest) > per {
		u := *r.URL
		nq := u.Query()
		nq.Set("id_after", strconv.FormatFloat(idOf(page[len(page)-1]), 'f', -1, 64))
		u.RawQuery = nq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, u.RequestURI()))
	}
	if page == nil {
		page = []map[string]any{}
	}
	vendortest.WriteJSON(w, http.StatusOK, page)
}

func idOf(it map[string]any) float64 {
	f, _ := it["id"].(float64)
	return f
}

func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Token == "" {
		return false
	}
	if r.Header.Get("Authorization") == "Bearer "+s.opts.Token {
		return true
	}
	return r.Header.Get("PRIVATE-TOKEN") == s.opts.Token
}

// fault returns the first live fault matching; s.mu is held.
func (s *Server) fault(path, rawQuery string) *Fault {
	for _, f := range s.faults {
		if vendortest.MatchPath(f.Path, path) && (f.Query == "" || strings.Contains(rawQuery, f.Query)) && vendortest.Spend(&f.Times) {
			return f
		}
	}
	return nil
}

// overrideWriter sets a fault's headers again just before the answer is
// written, over what the handler set.
type overrideWriter struct {
	http.ResponseWriter
	header map[string]string
	done   bool
}

func (o *overrideWriter) apply() {
	if !o.done {
		o.done = true
		for k, v := range o.header {
			o.ResponseWriter.Header().Set(k, v)
		}
	}
}

func (o *overrideWriter) WriteHeader(code int) { o.apply(); o.ResponseWriter.WriteHeader(code) }

func (o *overrideWriter) Write(b []byte) (int, error) { o.apply(); return o.ResponseWriter.Write(b) }

// writeError answers as GitLab does: {"message": "..."}.
func writeError(w http.ResponseWriter, status int, msg string) {
	vendortest.WriteJSON(w, status, map[string]string{"message": msg})
}
