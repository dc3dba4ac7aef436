package local

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tide-sync/tide/internal/jsonx"
)

// field reads a rule's property from an entity: meta-properties ($identifier,
// $title, $team, $icon, $blueprint, $createdAt, $updatedAt, $datasource) or a
// property name.
func field(e *entity, prop string) any {
	switch prop {
	case "$identifier":
		return e.data["identifier"]
	case "$title":
		return e.data["title"]
	case "$team":
		return e.data["team"]
	case "$icon":
		return e.data["icon"]
	case "$blueprint":
		return e.data["blueprint"]
	case "$createdAt":
		return e.data["createdAt"]
	case "$updatedAt":
		return e.data["updatedAt"]
	case "$datasource":
		return e.datasource
	}
	props, _ := e.data["properties"].(map[string]any)
	return props[prop]
}

// match evaluates a query ({combinator, rules}) or a single rule.
func match(e *entity, q map[string]any) (bool, error) {
	if comb, ok := q["combinator"].(string); ok {
		rules, _ := q["rules"].([]any)
		and := comb == "and"
		if !and && comb != "or" {
			return false, fmt.Errorf("combinator %q: want and or or", comb)
		}
		for _, r := range rules {
			rm, ok := r.(map[string]any)
			if !ok {
				return false, fmt.Errorf("a rule must be an object")
			}
			ok, err := match(e, rm)
			if err != nil {
				return false, err
			}
			if and && !ok {
				return false, nil
			}
			if !and && ok {
				return true, nil
			}
		}
		return and, nil
	}
	prop, _ := q["property"].(string)
	op, _ := q["operator"].(string)
	v := field(e, prop)
	want := q["value"]
	switch op {
	case "=":
		return equal(v, want), nil
	case "!=":
		return !equal(v, want), nil
	case "in", "containsAny":
		list, _ := want.([]any)
		for _, x := range list {
			if equal(v, x) || contains(v, x) {
				return true, nil
			}
		}
		return false, nil
	case "notIn":
		list, _ := want.([]any)
		for _, x := range list {
			if equal(v, x) {
				return false, nil
			}
		}
		return true, nil
	case "contains":
		return contains(v, want), nil
	case "doesNotContains":
		return !contains(v, want), nil
	case "beginsWith":
		s, _ := v.(string)
		w, _ := want.(string)
		return strings.HasPrefix(s, w), nil
	case "endsWith":
		s, _ := v.(string)
		w, _ := want.(string)
		return strings.HasSuffix(s, w), nil
	case "isEmpty":
		return empty(v), nil
	case "isNotEmpty":
		return !empty(v), nil
	case ">", ">=", "<", "<=":
		c, ok := compare(v, want)
		if !ok {
			return false, nil
		}
		switch op {
		case ">":
			return c > 0, nil
		case ">=":
			return c >= 0, nil
		case "<":
			return c < 0, nil
		}
		return c <= 0, nil
	}
	return false, fmt.Errorf("operator %q is not supported by the fake", op)
}

func equal(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func contains(v, want any) bool {
	switch t := v.(type) {
	case string:
		w, ok := want.(string)
		return ok && strings.Contains(t, w)
	case []any:
		for _, x := range t {
			if equal(x, want) {
				return true
			}
		}
	}
	return false
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(x, y), true
	}
	return 0, false
}

// projection encodes the include paths of entities ("identifier",
// "relations", "properties.x") as encoding/json encodes the map holding
// just those paths, without building it (TestProjectionEncodesLikeProject
// holds it to that map).
type projection struct {
	all  bool // no include: the whole entity
	tops []projTop
}

type projTop struct {
	key   string
	whole bool     // "relations": the whole value
	subs  []string // "properties.x", sorted
}

func newProjection(include []string) *projection {
	if len(include) == 0 {
		return &projection{all: true}
	}
	p := &projection{}
	at := map[string]int{} // top key → index in p.tops
	for _, path := range include {
		top, sub, nested := strings.Cut(path, ".")
		i, ok := at[top]
		if !ok {
			i = len(p.tops)
			at[top] = i
			p.tops = append(p.tops, projTop{key: top})
		}
		t := &p.tops[i]
		if !nested {
			t.whole = true
		} else if !slices.Contains(t.subs, sub) {
			t.subs = append(t.subs, sub)
		}
	}
	slices.SortFunc(p.tops, func(a, b projTop) int { return strings.Compare(a.key, b.key) })
	for i := range p.tops {
		slices.Sort(p.tops[i].subs)
	}
	return p
}

// append writes data's projection.
func (p *projection) append(b []byte, data map[string]any) ([]byte, error) {
	if p.all {
		return jsonx.Append(b, data)
	}
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = jsonx.AppendString(b, k)
		b = append(b, ':')
	}
	var err error
	for _, t := range p.tops {
		v, ok := data[t.key]
		if !ok {
			continue
		}
		if t.whole {
			key(t.key)
			if b, err = jsonx.Append(b, v); err != nil {
				return nil, err
			}
			continue
		}
		m, _ := v.(map[string]any)
		open := false
		for _, sub := range t.subs {
			sv, ok := m[sub]
			if !ok {
				continue
			}
			if !open {
				key(t.key)
				b = append(b, '{')
				open = true
			} else {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, sub)
			b = append(b, ':')
			if b, err = jsonx.Append(b, sv); err != nil {
				return nil, err
			}
		}
		if open {
			b = append(b, '}')
		}
	}
	return append(b, '}'), nil
}

// searchStore returns the sorted identifiers of bp matching q; the caller
// holds s.mu.
func (s *Server) searchStore(bp string, q map[string]any) []string {
	st := s.stores[bp]
	if st == nil {
		return nil
	}
	var out []string
	for _, id := range st.ids() {
		if ok, _ := match(st.byID[id], q); ok {
			out = append(out, id)
		}
	}
	return out
}

func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

func decodeCursor(c string) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, fmt.Errorf("invalid cursor")
	}
	return strings.Split(string(b), "\x00"), nil
}

// answer is a search answer, {"entities": [...], "next": ..., "ok": true},
// encoded entity by entity as encoding/json encodes it (sorted keys).
type answer struct {
	plan *projection
	b    []byte
	n    int
}

func newAnswer(include []string) *answer {
	return &answer{plan: newProjection(include), b: append(make([]byte, 0, 64<<10), `{"entities":[`...)}
}

// add appends one entity's projection.
func (a *answer) add(data map[string]any) error {
	if a.n > 0 {
		a.b = append(a.b, ',')
	}
	a.n++
	var err error
	a.b, err = a.plan.append(a.b, data)
	return err
}

// write sends the answer, with next when it is not empty.
func (a *answer) write(w http.ResponseWriter, next string) {
	b := append(a.b, ']')
	if next != "" {
		b = append(b, `,"next":`...)
		b = jsonx.AppendString(b, next)
	}
	b = append(b, `,"ok":true}`...)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (s *Server) handleSearch(w http.ResponseWriter, req *request) {
	var in struct {
		Query   map[string]any `json:"query"`
		Include []string       `json:"include"`
		Limit   *int           `json:"limit"`
		From    string         `json:"from"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil {
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	limit := 200
	if in.Limit != nil {
		limit = *in.Limit
	}
	if limit < 1 || limit > 1000 {
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("limit must be 1 to 1000, got %d", limit))
		return
	}
	bp := req.segs[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasBlueprint(w, bp) {
		return
	}
	ids := s.storeOf(bp).ids()
	start := 0
	if in.From != "" {
		c, err := decodeCursor(in.From)
		if err != nil {
			WriteError(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
			return
		}
		start = sort.SearchStrings(ids, c[0])
		if start < len(ids) && ids[start] == c[0] {
			start++
		}
	}
	out := newAnswer(in.Include)
	next := ""
	st := s.stores[bp]
	for i := start; i < len(ids); i++ {
		e := st.byID[ids[i]]
		if in.Query != nil {
			ok, err := match(e, in.Query)
			if err != nil {
				WriteError(w, http.StatusUnprocessableEntity, "invalid_query", err.Error())
				return
			}
			if !ok {
				continue
			}
		}
		if out.n == limit {
			next = encodeCursor(ids[i-1])
			break
		}
		if err := out.add(e.data); err != nil {
			WriteError(w, http.StatusInternalServerError, "internal", err.Error())
			return
		}
	}
	out.write(w, next)
}

func (s *Server) handleGlobalSearch(w http.ResponseWriter, req *request) {
	q, ok := decodeBody(w, req)
	if !ok {
		return
	}
	var include []string
	for _, v := range req.r.URL.Query()["include"] {
		include = append(include, strings.Split(v, ",")...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bps := make([]string, 0, len(s.stores))
	for bp := range s.stores {
		bps = append(bps, bp)
	}
	sort.Strings(bps)
	out := newAnswer(include)
	for _, bp := range bps {
		st := s.stores[bp]
		for _, id := range st.ids() {
			ok, err := match(st.byID[id], q)
			if err != nil {
				WriteError(w, http.StatusUnprocessableEntity, "invalid_query", err.Error())
				return
			}
			if !ok {
				continue
			}
			if err := out.add(st.byID[id].data); err != nil {
				WriteError(w, http.StatusInternalServerError, "internal", err.Error())
				return
			}
		}
	}
	out.write(w, "")
}

func (s *Server) handleDatasource(w http.ResponseWriter, req *request) {
	var in struct {
		Prefix string `json:"datasource_prefix"`
		Suffix string `json:"datasource_suffix"`
		Limit  int    `json:"limit"`
		From   any    `json:"from"`
		Before string `json:"before"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil {
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	if in.Limit <= 0 {
		in.Limit = 5000
	}
	var before time.Time
	if in.Before != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Before)
		if err != nil {
			WriteError(w, http.StatusUnprocessableEntity, "invalid_request", "before: "+err.Error())
			return
		}
		before = t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bps := make([]string, 0, len(s.stores))
	for bp := range s.stores {
		bps = append(bps, bp)
	}
	sort.Strings(bps)
	startBP, startID := "", ""
	if c, ok := in.From.(string); ok && c != "" {
		parts, err := decodeCursor(c)
		if err != nil || len(parts) != 2 {
			WriteError(w, http.StatusUnprocessableEntity, "invalid_request", "invalid cursor")
			return
		}
		startBP, startID = parts[0], parts[1]
	}
	out := []any{}
	var next any
	last := [2]string{}
outer:
	for _, bp := range bps {
		if bp < startBP {
			continue
		}
		st := s.stores[bp]
		ids := st.ids()
		i := 0
		if bp == startBP {
			i = sort.SearchStrings(ids, startID)
			if i < len(ids) && ids[i] == startID {
				i++
			}
		}
		for ; i < len(ids); i++ {
			e := st.byID[ids[i]]
			if !strings.HasPrefix(e.datasource, in.Prefix) || !strings.HasSuffix(e.datasource, in.Suffix) {
				continue
			}
			if !before.IsZero() && !e.updated.Before(before) {
				continue
			}
			if len(out) == in.Limit {
				next = encodeCursor(last[0], last[1])
				break outer
			}
			out = append(out, map[string]any{"identifier": ids[i], "blueprint": bp})
			last = [2]string{bp, ids[i]}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "entities": out, "next": next})
}
