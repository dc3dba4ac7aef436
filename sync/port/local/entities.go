package local

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/port/catalog"
)

// entity is one stored entity.
type entity struct {
	data       map[string]any // identifier, blueprint, title, icon, team, properties, relations, created*/updated*
	datasource string
	updated    time.Time
}

// store holds one blueprint's entities with a lazily sorted id list.
type store struct {
	byID   map[string]*entity
	sorted []string
	dirty  bool
}

func (st *store) ids() []string {
	if st.dirty {
		st.sorted = st.sorted[:0]
		for id := range st.byID {
			st.sorted = append(st.sorted, id)
		}
		sort.Strings(st.sorted)
		st.dirty = false
	}
	return st.sorted
}

func (s *Server) storeOf(bp string) *store {
	st := s.stores[bp]
	if st == nil {
		st = &store{byID: map[string]*entity{}}
		s.stores[bp] = st
	}
	return st
}

// ---- entity writes ----

type upsertFlags struct {
	upsert, merge, createMissing bool
}

func flagsOf(r *http.Request) upsertFlags {
	q := r.URL.Query()
	return upsertFlags{upsert: q.Get("upsert") == "true", merge: q.Get("merge") == "true", createMissing: q.Get("create_missing_related_entities") == "true"}
}

// writeError is a per-entity failure.
type writeError struct {
	status     int
	code, msg  string
	identifier string
}

// upsert validates and stores one entity; the caller holds s.mu and has
// checked that bpID exists.
func (s *Server) upsert(bpID string, in map[string]any, f upsertFlags, ua, clientID string) (id string, created bool, werr *writeError) {
	fail := func(status int, code, msg string) (string, bool, *writeError) {
		return "", false, &writeError{status: status, code: code, msg: msg, identifier: fmt.Sprint(in["identifier"])}
	}
	bp := s.blueprints[bpID].def
	st := s.storeOf(bpID)
	e, vs := catalog.EntityFromJSON(in)
	if len(vs) > 0 {
		return fail(vs.Status(), vs.Code(), vs.Error())
	}
	// A search-query identifier names exactly one existing entity.
	if q, ok := e.Identifier.(map[string]any); ok {
		matches := s.searchStore(bpID, q)
		if len(matches) != 1 {
			werr := &writeError{status: http.StatusNotFound, code: "not_found", msg: fmt.Sprintf("search identifier matched %d entities, want exactly 1", len(matches)), identifier: "unknown"}
			return "", false, werr
		}
		e.Identifier = matches[0]
	}
	// A search-query relation relates the entities it matches.
	for k, v := range e.Relations {
		q, ok := v.(map[string]any)
		r, known := bp.Relations[k]
		if !ok || !known {
			continue
		}
		targets := s.searchStore(r.Target, q)
		switch {
		case r.Many:
			e.Relations[k] = toAny(targets)
		case len(targets) > 0:
			e.Relations[k] = targets[0]
		default:
			e.Relations[k] = nil
		}
	}
	id, _ = e.Identifier.(string)
	old, exists := st.byID[id]
	if exists && f.merge {
		vs = bp.ValidatePatch(e, s.blueprints)
	} else {
		vs = bp.Validate(e, s.blueprints)
	}
	if len(vs) > 0 {
		return fail(vs.Status(), vs.Code(), vs.Error())
	}
	if exists && !f.upsert {
		return fail(http.StatusConflict, "identifier_taken", fmt.Sprintf("entity %q exists", id))
	}

	// Related entities must exist, or be created as stubs when the write
	// asks for it (create_missing_related_entities).
	var stubs [][2]string
	for _, k := range sortedKeys(e.Relations) {
		target := bp.Relations[k].Target
		for _, t := range relationIDs(e.Relations[k]) {
			if t == id && target == bpID {
				continue
			}
			if _, ok := s.storeOf(target).byID[t]; ok {
				continue
			}
			if !f.createMissing {
				rule := catalog.RuleRelatedEntity
				return fail(rule.Status(), rule.Code(), fmt.Sprintf("relations.%s: related entity %q of blueprint %q was not found", k, t, target))
			}
			stubs = append(stubs, [2]string{target, t})
		}
	}
	team := e.Team
	if t, ok := team.(string); ok {
		team = []any{t} // Port stores a team as a list
	}

	now, nowT := s.now(), s.opts.Now()
	for _, stub := range stubs {
		tst := s.storeOf(stub[0])
		if _, ok := tst.byID[stub[1]]; !ok {
			tst.byID[stub[1]] = &entity{data: map[string]any{"identifier": stub[1], "blueprint": stub[0], "createdAt": now, "updatedAt": now, "createdBy": clientID, "updatedBy": clientID}, datasource: ua, updated: nowT}
			tst.dirty = true
		}
	}
	fields := map[string]any{"properties": e.Properties, "relations": e.Relations}
	var data map[string]any
	if exists && f.merge {
		data = deepCopy(old.data).(map[string]any)
		for _, k := range []string{"title", "icon"} {
			if v, ok := in[k]; ok {
				data[k] = v
			}
		}
		if _, ok := in["team"]; ok {
			data["team"] = team
		}
		for _, k := range []string{"properties", "relations"} {
			if v, ok := fields[k].(map[string]any); ok && v != nil {
				m, _ := data[k].(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				for kk, vv := range v {
					m[kk] = deepCopy(vv)
				}
				data[k] = m
			}
		}
	} else {
		data = map[string]any{"properties": map[string]any{}, "relations": map[string]any{}}
		for _, k := range []string{"title", "icon"} {
			if v, ok := in[k]; ok && v != nil {
				data[k] = deepCopy(v)
			}
		}
		for _, k := range []string{"properties", "relations"} {
			if v, ok := fields[k].(map[string]any); ok && v != nil {
				data[k] = deepCopy(v)
			}
		}
		if team != nil {
			data["team"] = team
		}
		data["createdAt"], data["createdBy"] = now, clientID
		if exists {
			data["createdAt"], data["createdBy"] = old.data["createdAt"], old.data["createdBy"]
		}
	}
	data["identifier"], data["blueprint"] = id, bpID
	data["updatedAt"], data["updatedBy"] = now, clientID
	st.byID[id] = &entity{data: data, datasource: ua, updated: nowT}
	if !exists {
		st.dirty = true
	}
	return id, !exists, nil
}

// relationIDs lists the identifiers a (resolved) relation value holds.
func relationIDs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (s *Server) handleUpsert(w http.ResponseWriter, req *request) {
	in, ok := decodeBody(w, req)
	if !ok {
		return
	}
	bp := req.segs[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasBlueprint(w, bp) {
		return
	}
	id, created, werr := s.upsert(bp, in, flagsOf(req.r), req.r.UserAgent(), req.clientID)
	if werr != nil {
		WriteError(w, werr.status, werr.code, werr.msg)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"ok": true, "entity": deepCopy(s.stores[bp].byID[id].data)})
}

func (s *Server) handleBulkUpsert(w http.ResponseWriter, req *request) {
	var in struct {
		Entities []map[string]any
	}
	ents, err := bulkEntities(req.body)
	if err != nil {
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	in.Entities = ents
	if len(in.Entities) < 1 || len(in.Entities) > 20 {
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("entities must hold 1 to 20 items, got %d", len(in.Entities)))
		return
	}
	bp := req.segs[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasBlueprint(w, bp) {
		return
	}
	f := flagsOf(req.r)
	oks, errs := []any{}, []any{}
	for i, e := range in.Entities {
		id, created, werr := s.upsert(bp, e, f, req.r.UserAgent(), req.clientID)
		if werr != nil {
			errs = append(errs, map[string]any{"index": i, "identifier": werr.identifier, "statusCode": werr.status, "error": werr.code, "message": werr.msg})
			continue
		}
		oks = append(oks, map[string]any{"index": i, "identifier": id, "created": created})
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, map[string]any{"ok": true, "entities": oks, "errors": errs})
}

// bulkEntities reads a bulk upsert body, {"entities": [...]}, with jsonx
// (encoding/json's values without its reflection: bulk bodies are the
// local target's largest input). A null element stays a nil entity, as
// encoding/json leaves it.
func bulkEntities(body []byte) ([]map[string]any, error) {
	v, err := jsonx.Decode(body)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("the body is a JSON %s, want an object", jsonx.TypeName(v))
	}
	switch list := obj["entities"].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]map[string]any, len(list))
		for i, x := range list {
			switch e := x.(type) {
			case map[string]any:
				out[i] = e
			case nil:
			default:
				return nil, fmt.Errorf("entities[%d] is a JSON %s, want an object", i, jsonx.TypeName(x))
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("entities is a JSON %s, want an array", jsonx.TypeName(list))
	}
}

// ---- deletes and reads ----

func (s *Server) handleBulkDelete(w http.ResponseWriter, req *request) {
	var in struct {
		Entities []string `json:"entities"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil {
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	if len(in.Entities) < 1 || len(in.Entities) > 100 {
		WriteError(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("entities must hold 1 to 100 identifiers, got %d", len(in.Entities)))
		return
	}
	bp := req.segs[1]
	dependents := req.r.URL.Query().Get("delete_dependents") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasBlueprint(w, bp) {
		return
	}
	st := s.storeOf(bp)
	var targets []string
	for _, id := range in.Entities {
		if _, ok := st.byID[id]; ok {
			targets = append(targets, id)
		}
	}
	if !dependents {
		// All or nothing, as Port documents for bulk delete without
		// delete_dependents: an entity with a required relation pointing at
		// a target blocks the whole call.
		for _, id := range targets {
			if who := s.requiredDependent(bp, id); who != "" {
				WriteError(w, http.StatusUnprocessableEntity, "has_dependents", fmt.Sprintf("entity %q is required by %s", id, who))
				return
			}
		}
	}
	deleted := []string{}
	for _, id := range targets {
		deleted = append(deleted, id)
		s.remove(bp, id, dependents)
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "deletedEntities": deleted})
}

// requiredDependent names an entity whose required relation targets (bp, id).
func (s *Server) requiredDependent(bp, id string) string {
	for _, srcBP := range sortedKeys(s.blueprints) {
		for _, name := range sortedKeys(s.blueprints[srcBP].def.Relations) {
			r := s.blueprints[srcBP].def.Relations[name]
			if r.Target != bp || !r.Required {
				continue
			}
			for sid, e := range s.storeOf(srcBP).byID {
				if refers(e.data, name, id) {
					return fmt.Sprintf("%s/%s", srcBP, sid)
				}
			}
		}
	}
	return ""
}

func refers(data map[string]any, rel, id string) bool {
	rels, _ := data["relations"].(map[string]any)
	switch v := rels[rel].(type) {
	case string:
		return v == id
	case []any:
		for _, x := range v {
			if x == id {
				return true
			}
		}
	}
	return false
}

// remove deletes (bp, id) and, with dependents, every entity relating to it,
// recursively.
func (s *Server) remove(bp, id string, dependents bool) {
	st := s.storeOf(bp)
	if _, ok := st.byID[id]; !ok {
		return
	}
	delete(st.byID, id)
	st.dirty = true
	if !dependents {
		return
	}
	for srcBP, def := range s.blueprints {
		for name, r := range def.def.Relations {
			if r.Target != bp {
				continue
			}
			for sid, e := range s.storeOf(srcBP).byID {
				if refers(e.data, name, id) {
					s.remove(srcBP, sid, true)
				}
			}
		}
	}
}

func (s *Server) handleEntityDelete(w http.ResponseWriter, req *request) {
	bp, id := req.segs[1], req.segs[3]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.storeOf(bp).byID[id]; !ok {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("entity %q not found", id))
		return
	}
	dependents := req.r.URL.Query().Get("delete_dependents") == "true"
	if !dependents {
		if who := s.requiredDependent(bp, id); who != "" {
			WriteError(w, http.StatusUnprocessableEntity, "has_dependents", fmt.Sprintf("entity %q is required by %s", id, who))
			return
		}
	}
	s.remove(bp, id, dependents)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) handleEntityGet(w http.ResponseWriter, req *request) {
	e, ok := s.Entity(req.segs[1], req.segs[3])
	if !ok {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("entity %q not found", req.segs[3]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "entity": e})
}

// PutEntity stores an entity written by datasource, without HTTP (seeding).
func (s *Server) PutEntity(bp string, e map[string]any, datasource string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blueprints[bp]; !ok {
		return fmt.Errorf("blueprint %q not found", bp)
	}
	_, _, werr := s.upsert(bp, deepCopy(e).(map[string]any), upsertFlags{upsert: true, createMissing: true}, datasource, "seed")
	if werr != nil {
		return fmt.Errorf("%d %s: %s", werr.status, werr.code, werr.msg)
	}
	return nil
}

// Entity returns a copy of an entity.
func (s *Server) Entity(bp, id string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stores[bp]
	if st == nil {
		return nil, false
	}
	e, ok := st.byID[id]
	if !ok {
		return nil, false
	}
	return deepCopy(e.data).(map[string]any), true
}

// Entities returns copies of a blueprint's entities, sorted by identifier.
func (s *Server) Entities(bp string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[bp]
	if st == nil {
		return nil
	}
	var out []map[string]any
	for _, id := range st.ids() {
		out = append(out, deepCopy(st.byID[id].data).(map[string]any))
	}
	return out
}

// Datasource returns the User-Agent that last wrote an entity.
func (s *Server) Datasource(bp, id string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if st := s.stores[bp]; st != nil {
		if e, ok := st.byID[id]; ok {
			return e.datasource
		}
	}
	return ""
}

// Len returns the number of entities.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, st := range s.stores {
		n += len(st.byID)
	}
	return n
}
