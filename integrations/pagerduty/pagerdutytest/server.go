// Package pagerdutytest is a PagerDuty REST API fake for tests: it serves
// fixture collections in PagerDuty's classic-pagination envelope
// ({"<collection>": [...], "limit", "offset", "more", "total"}, total
// counted when total=true is asked), filters by
// the name[]= array parameters, answers the analytics endpoints and the
// account's abilities, checks the Authorization header, and injects
// faults. It is test-only: no product code imports it.
package pagerdutytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/internal/vendortest"
)

// Fixtures are the collections, by path ("services", "incidents", ...),
// plus "analytics/services" (metric rows by service_id) and
// "analytics/incidents" (raw incident records by id).
type Fixtures map[string][]map[string]any

// LoadFixtures reads fixtures from a JSON file.
func LoadFixtures(path string) (Fixtures, error) { return vendortest.LoadJSON[Fixtures](path) }

// Fault is an answer served instead of the real one.
type Fault struct {
	Method string // "" any
	Path   string // e.g. "/services"
	Status int
	Header map[string]string
	Body   string
	Times  int // how many times; 0: always
	// Status 0 serves the real answer with Header added.
}

// Options configure a Server.
type Options struct {
	Token string
	// Abilities are the account's abilities GET /abilities lists; nil:
	// those of a Business plan account.
	Abilities []string
	// Now is the fake's time, for PagerDuty's default incidents window
	// (the last 30 days unless since/until or date_range=all is sent).
	Now func() time.Time
}

// Server is the fake. Safe for concurrent use.
type Server struct {
	o   Options
	mu  gosync.Mutex
	fix Fixtures
	// faults by order added
	faults   []*Fault
	requests []string // "METHOD /path?query", in order
	after    func(s *Server, coll string, offset int)
}

// AfterPage sets fn to run after each page of a collection is built and
// before it is sent: fn may change the collections (Set), as a vendor
// whose data changes between two page reads.
func (s *Server) AfterPage(fn func(s *Server, coll string, offset int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after = fn
}

// Get returns one collection.
func (s *Server) Get(coll string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fix[coll]
}

// New builds a Server.
func New(fix Fixtures, o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Abilities == nil {
		o.Abilities = []string{"teams", "read_only_users", "team_responders", "urgencies", "manage_schedules", "manage_api_keys", "coordinated_responding", "event_rules", "beta_custom_actions", "service_support_hours", "preview_incident_alert_grouping"}
	}
	return &Server{o: o, fix: fix}
}

// Fail adds a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// Set replaces one collection.
func (s *Server) Set(coll string, items []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fix[coll] = items
}

// Generate fills coll with n items, ids "<prefix>00001" on.
func (s *Server) Generate(coll, prefix string, n int) {
	items := make([]map[string]any, n)
	for i := range items {
		items[i] = map[string]any{"id": fmt.Sprintf("%s%05d", prefix, i+1), "type": strings.TrimSuffix(coll, "s"), "summary": fmt.Sprint("item ", i+1)}
	}
	s.Set(coll, items)
}

// Requests returns the requests served so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	var fault *Fault
	for _, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && f.Path == r.URL.Path && vendortest.Spend(&f.Times) {
			fault = f
			break
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !s.authorized(r) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"message":"Authentication failed","code":2006}}`)
		return
	}
	if fault != nil && vendortest.Answer(w, fault.Status, fault.Header, fault.Body) {
		return
	}
	switch {
	case r.Method == http.MethodPost && p == "analytics/metrics/incidents/services":
		s.analytics(w, r, "analytics/services", "service_id")
	case r.Method == http.MethodPost && p == "analytics/raw/incidents":
		s.analytics(w, r, "analytics/incidents", "service_id")
	case r.Method == http.MethodGet && p == "abilities":
		vendortest.WriteJSON(w, http.StatusOK, map[string]any{"abilities": s.o.Abilities})
	case r.Method == http.MethodGet:
		s.list(w, r, p)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"message":"Not Found","code":2100}}`)
	}
}

// authorized checks PagerDuty's two schemes: "Token token=<key>" for a
// REST API key, "Bearer <token>" with the version-2 Accept header for an
// OAuth token (pd...).
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if strings.HasPrefix(s.o.Token, "pd") {
		return h == "Bearer "+s.o.Token && r.Header.Get("Accept") == "application/vnd.pagerduty+json;version=2"
	}
	return h == "Token token="+s.o.Token
}

// filters maps a name[]= parameter to the item field it filters on.
var filters = map[string]func(map[string]any) string{
	"statuses[]":              func(m map[string]any) string { s, _ := m["status"].(string); return s },
	"urgencies[]":             func(m map[string]any) string { s, _ := m["urgency"].(string); return s },
	"service_ids[]":           func(m map[string]any) string { return ref(m["service"]) },
	"escalation_policy_ids[]": func(m map[string]any) string { return ref(m["escalation_policy"]) },
}

func ref(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["id"].(string)
	return s
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, p string) {
	s.mu.Lock()
	all, ok := s.fix[p]
	s.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"message":"Not Found","code":2100}}`)
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 25 // PagerDuty's default page; 100 at most
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	if offset+limit > 10000 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"message":"Invalid Input Provided","code":2001,"errors":["Offset must be less than 10000."]}}`)
		return
	}
	var items []map[string]any
	for _, it := range all {
		keep := true
		for param, field := range filters {
			if vals, ok := q[param]; ok && !slices.Contains(vals, field(it)) {
				keep = false
			}
		}
		if keep && p == "incidents" && q.Get("since") == "" && q.Get("date_range") != "all" {
			// PagerDuty lists the last 30 days' incidents by default.
			if t, err := time.Parse(time.RFC3339, fmt.Sprint(it["created_at"])); err == nil && t.Before(s.o.Now().AddDate(0, 0, -30)) {
				keep = false
			}
		}
		if keep {
			items = append(items, it)
		}
	}
	end := min(offset+limit, len(items))
	page := []map[string]any{}
	if offset < len(items) {
		page = items[offset:end]
	}
	var total any // null unless total=true is asked
	if q.Get("total") == "true" {
		total = len(items)
	}
	out := map[string]any{p[strings.LastIndex(p, "/")+1:]: page, "limit": limit, "offset": offset, "more": end < len(items), "total": total}
	s.mu.Lock()
	after := s.after
	s.mu.Unlock()
	if after != nil {
		b, _ := json.Marshal(out) // the answer must not see the change
		after(s, p, offset)
		w.Write(b)
		return
	}
	vendortest.WriteJSON(w, http.StatusOK, out)
}

// analytics answers with the rows of coll whose key is in
// filters.service_ids, in pages of the body's limit after starting_after.
func (s *Server) analytics(w http.ResponseWriter, r *http.Request, coll, key string) {
	var body struct {
		Filters struct {
			ServiceIDs []string `json:"service_ids"`
		} `json:"filters"`
		Limit         int    `json:"limit"`
		StartingAfter string `json:"starting_after"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":%q}}`, err.Error())
		return
	}
	s.mu.Lock()
	all := s.fix[coll]
	s.mu.Unlock()
	var rows []map[string]any
	started := body.StartingAfter == ""
	for _, row := range all {
		if !started {
			started = row["id"] == body.StartingAfter
			continue
		}
		if sid, _ := row[key].(string); slices.Contains(body.Filters.ServiceIDs, sid) {
			rows = append(rows, row)
		}
	}
	more := false
	if body.Limit > 0 && len(rows) > body.Limit {
		rows, more = rows[:body.Limit], true
	}
	out := map[string]any{"data": rows, "more": more}
	if len(rows) > 0 {
		out["last"] = rows[len(rows)-1]["id"]
	}
	w.Header().Set("Daily-Ratelimit-Limit", "1000")
	w.Header().Set("Daily-Ratelimit-Remaining", "999")
	vendortest.WriteJSON(w, http.StatusOK, out)
}
