package githubtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// lookup finds the fixture of path at the query's ref. A git tree asked
// for without recursive=1 lists the root only, as GitHub's does.
func (s *Server) lookup(path string, q url.Values) (json.RawMessage, bool) {
	raw, ok := s.fix[path]
	if ref := q.Get("ref"); ref != "" {
		if v, found := s.fix[path+"?ref="+ref]; found {
			raw, ok = v, true
		}
	}
	if !ok || !strings.Contains(path, "/git/trees/") || q.Get("recursive") != "" {
		return raw, ok
	}
	var tree map[string]any
	if json.Unmarshal(raw, &tree) != nil {
		return raw, ok
	}
	entries, _ := tree["tree"].([]any)
	var root []any
	for _, e := range entries {
		m, _ := e.(map[string]any)
		if p, _ := m["path"].(string); !strings.Contains(p, "/") {
			root = append(root, e)
		}
	}
	tree["tree"] = root
	b, _ := json.Marshal(tree)
	return b, true
}

// searchCap is how many results GitHub's search serves for one query.
const searchCap = 1000

// serveSearch answers GET /search/repositories: the fixture's
// repositories owned by the q's org: or user: qualifier (other qualifiers
// are not evaluated), paged by page and per_page, with the real API's
// total_count and its refusal of results past the first 1,000.
func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var owner string
	for _, f := range strings.Fields(q.Get("q")) {
		if k, v, ok := strings.Cut(f, ":"); ok && (k == "org" || k == "user") {
			owner = v
		}
	}
	var all []any
	_ = json.Unmarshal(s.fix["/search/repositories"], &all)
	var found []any
	for _, it := range all {
		m, _ := it.(map[string]any)
		o, _ := m["owner"].(map[string]any)
		if login, _ := o["login"].(string); strings.EqualFold(login, owner) {
			found = append(found, it)
		}
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, s.opts.MaxPerPage)
	page := max(1, atoi(q.Get("page")))
	if page*per > searchCap && (page-1)*per >= searchCap {
		writeError(w, http.StatusUnprocessableEntity, "Only the first 1000 search results are available")
		return
	}
	items, next := s.paginate(found[:min(len(found), searchCap)], q)
	s.link(w, r, next)
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(found), "incomplete_results": false, "items": items})
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func (s *Server) serveSAML(w http.ResponseWriter, org string, vars map[string]any) {
	edges, ok := s.nodes("graphql:saml:" + org)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"organization": map[string]any{"samlIdentityProvider": nil}}})
		return
	}
	after, _ := vars["after"].(string)
	c := connection(edges, min(100, s.opts.MaxPerPage), after)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"organization": map[string]any{
		"samlIdentityProvider": map[string]any{"externalIdentities": map[string]any{"edges": c["nodes"], "pageInfo": c["pageInfo"]}},
	}}})
}

// servePulls answers repository.pullRequests: the fixture's nodes in the
// asked states, paged.
func (s *Server) servePulls(w http.ResponseWriter, vars map[string]any) {
	org, _ := vars["org"].(string)
	repo, _ := vars["repo"].(string)
	nodes, ok := s.nodes("graphql:pulls:" + org + "/" + repo)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"repository": map[string]any{"pullRequests": connection(nil, 1, "")}}})
		return
	}
	var states []string
	if l, ok := vars["states"].([]any); ok {
		for _, x := range l {
			st, _ := x.(string)
			states = append(states, st)
		}
	}
	var kept []any
	for _, n := range nodes {
		m, _ := n.(map[string]any)
		if st, _ := m["state"].(string); len(states) == 0 || slices.Contains(states, st) {
			kept = append(kept, n)
		}
	}
	after, _ := vars["after"].(string)
	first := int(num(vars["first"]))
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"repository": map[string]any{"pullRequests": connection(kept, min(first, s.opts.MaxPerPage), after)}}})
}
