package porttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"time"
	"unicode/utf8"
)

var (
	// Port's identifier pattern without its look-ahead (. and .. are
	// checked apart): letters, digits and @ _ . + : \ / = -
	entityIDPattern    = regexp.MustCompile(`^[\p{L}0-9@_.+:\\/=-]+$`)
	blueprintIDPattern = regexp.MustCompile(`^[\p{L}0-9@_.+:\\/-]+$`)
)

func validID(id string, re *regexp.Regexp, maxLen int) bool {
	return id != "." && id != ".." && utf8.RuneCountInString(id) <= maxLen && re.MatchString(id)
}

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

// ---- blueprints ----

func (s *Server) validateBlueprint(bp map[string]any) error {
	id, _ := bp["identifier"].(string)
	if !validID(id, blueprintIDPattern, 100) {
		return fmt.Errorf("blueprint identifier %q is invalid", id)
	}
	if t, _ := bp["title"].(string); t == "" {
		return fmt.Errorf("blueprint %q: title is required", id)
	}
	if sch, ok := bp["schema"]; ok {
		m, ok := sch.(map[string]any)
		if !ok {
			return fmt.Errorf("blueprint %q: schema must be an object", id)
		}
		if p, ok := m["properties"]; ok {
			if _, ok := p.(map[string]any); !ok {
				return fmt.Errorf("blueprint %q: schema.properties must be an object", id)
			}
		}
	}
	if rels, ok := bp["relations"]; ok && rels != nil {
		m, ok := rels.(map[string]any)
		if !ok {
			return fmt.Errorf("blueprint %q: relations must be an object", id)
		}
		for name, r := range m {
			rm, _ := r.(map[string]any)
			if t, _ := rm["target"].(string); t == "" {
				return fmt.Errorf("blueprint %q: relation %q needs a target", id, name)
			}
		}
	}
	return nil
}

// AddBlueprint stores a blueprint as POST /v1/blueprints would.
func (s *Server) AddBlueprint(bp map[string]any) error {
	if err := s.validateBlueprint(bp); err != nil {
		return err
	}
	bp = deepCopy(bp).(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	id := bp["identifier"].(string)
	if _, dup := s.blueprints[id]; dup {
		return fmt.Errorf("blueprint %q exists", id)
	}
	bp["createdAt"], bp["updatedAt"] = s.now(), s.now()
	s.blueprints[id] = bp
	return nil
}

// Blueprint returns a copy of a blueprint.
func (s *Server) Blueprint(id string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	bp, ok := s.blueprints[id]
	if !ok {
		return nil, false
	}
	return deepCopy(bp).(map[string]any), true
}

// Blueprints lists the blueprint identifiers, sorted.
func (s *Server) Blueprints() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.blueprints))
	for id := range s.blueprints {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (s *Server) handleBlueprintGet(w http.ResponseWriter, req *request) {
	bp, ok := s.Blueprint(req.segs[1])
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("blueprint %q not found", req.segs[1]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "blueprint": bp})
}

func (s *Server) handleBlueprintCreate(w http.ResponseWriter, req *request) {
	bp, ok := decodeBody(w, req)
	if !ok {
		return
	}
	if err := s.validateBlueprint(bp); err != nil {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	if _, exists := s.Blueprint(bp["identifier"].(string)); exists {
		writeErr(w, http.StatusConflict, "identifier_taken", fmt.Sprintf("blueprint %q exists", bp["identifier"]))
		return
	}
	if err := s.AddBlueprint(bp); err != nil {
		writeErr(w, http.StatusConflict, "identifier_taken", err.Error())
		return
	}
	out, _ := s.Blueprint(bp["identifier"].(string))
	writeJSON(w, http.StatusCreated, map[string]any{"ok": true, "blueprint": out})
}

func (s *Server) handleBlueprintPatch(w http.ResponseWriter, req *request) {
	patch, ok := decodeBody(w, req)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bp, ok := s.blueprints[req.segs[1]]
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", "blueprint not found")
		return
	}
	next := deepCopy(bp).(map[string]any)
	for k, v := range patch {
		if k != "identifier" {
			next[k] = deepCopy(v)
		}
	}
	if err := s.validateBlueprint(next); err != nil {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	next["updatedAt"] = s.now()
	s.blueprints[req.segs[1]] = next
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "blueprint": deepCopy(next)})
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

// upsert validates and stores one entity; the caller holds s.mu.
func (s *Server) upsert(bpID string, in map[string]any, f upsertFlags, ua, clientID string) (id string, created bool, werr *writeError) {
	fail := func(status int, code, format string, args ...any) (string, bool, *writeError) {
		return "", false, &writeError{status: status, code: code, msg: fmt.Sprintf(format, args...), identifier: fmt.Sprint(in["identifier"])}
	}
	bp := s.blueprints[bpID]
	st := s.storeOf(bpID)
	switch t := in["identifier"].(type) {
	case string:
		id = t
		if !validID(id, entityIDPattern, 1000) {
			return fail(http.StatusUnprocessableEntity, "invalid_identifier", "identifier %q does not match Port's pattern", id)
		}
	case map[string]any:
		matches := s.searchStore(bpID, t)
		if len(matches) != 1 {
			e := &writeError{status: http.StatusNotFound, code: "not_found", msg: fmt.Sprintf("search identifier matched %d entities, want exactly 1", len(matches)), identifier: "unknown"}
			return "", false, e
		}
		id = matches[0]
	default:
		return fail(http.StatusUnprocessableEntity, "invalid_identifier", "identifier must be a string or a search query")
	}

	schema, _ := bp["schema"].(map[string]any)
	propDefs, _ := schema["properties"].(map[string]any)
	if props, ok := in["properties"]; ok && props != nil {
		pm, ok := props.(map[string]any)
		if !ok {
			return fail(http.StatusUnprocessableEntity, "invalid_request", "properties must be an object")
		}
		for k, v := range pm {
			def, ok := propDefs[k].(map[string]any)
			if !ok {
				return fail(http.StatusUnprocessableEntity, "unknown_property", "property %q is not in blueprint %q", k, bpID)
			}
			if msg := checkType(def, v); msg != "" {
				return fail(http.StatusUnprocessableEntity, "invalid_property_value", "property %q: %s", k, msg)
			}
		}
	}
	relDefs, _ := bp["relations"].(map[string]any)
	var stubs [][2]string
	if rels, ok := in["relations"]; ok && rels != nil {
		rm, ok := rels.(map[string]any)
		if !ok {
			return fail(http.StatusUnprocessableEntity, "invalid_request", "relations must be an object")
		}
		for k, v := range rm {
			def, ok := relDefs[k].(map[string]any)
			if !ok {
				return fail(http.StatusUnprocessableEntity, "unknown_relation", "relation %q is not in blueprint %q", k, bpID)
			}
			target, _ := def["target"].(string)
			many, _ := def["many"].(bool)
			var targets []string
			switch t := v.(type) {
			case nil:
			case string:
				targets = []string{t}
			case []any:
				if !many {
					return fail(http.StatusUnprocessableEntity, "invalid_relation", "relation %q takes one identifier", k)
				}
				for _, x := range t {
					xs, ok := x.(string)
					if !ok {
						return fail(http.StatusUnprocessableEntity, "invalid_relation", "relation %q: identifiers must be strings", k)
					}
					targets = append(targets, xs)
				}
			case map[string]any:
				targets = s.searchStore(target, t)
				if many {
					in["relations"].(map[string]any)[k] = toAny(targets)
				} else if len(targets) > 0 {
					in["relations"].(map[string]any)[k] = targets[0]
				}
				continue
			default:
				return fail(http.StatusUnprocessableEntity, "invalid_relation", "relation %q must be an identifier, a list or null", k)
			}
			if _, ok := s.blueprints[target]; !ok {
				return fail(http.StatusNotFound, "not_found", "relation %q targets blueprint %q, which does not exist", k, target)
			}
			for _, t := range targets {
				if t == id && target == bpID {
					continue
				}
				if _, ok := s.storeOf(target).byID[t]; ok {
					continue
				}
				if !f.createMissing {
					return fail(http.StatusNotFound, "not_found", "related entity %q of blueprint %q was not found", t, target)
				}
				stubs = append(stubs, [2]string{target, t})
			}
		}
	}
	team := in["team"]
	switch t := team.(type) {
	case nil:
	case string:
		team = []any{t}
	case []any:
		for _, x := range t {
			if _, ok := x.(string); !ok {
				return fail(http.StatusUnprocessableEntity, "invalid_team", "team must be a string or a list of strings")
			}
		}
	default:
		return fail(http.StatusUnprocessableEntity, "invalid_team", "team must be a string or a list of strings")
	}

	now, nowT := s.now(), s.opts.Now()
	for _, stub := range stubs {
		tst := s.storeOf(stub[0])
		if _, ok := tst.byID[stub[1]]; !ok {
			tst.byID[stub[1]] = &entity{data: map[string]any{"identifier": stub[1], "blueprint": stub[0], "createdAt": now, "updatedAt": now, "createdBy": clientID, "updatedBy": clientID}, datasource: ua, updated: nowT}
			tst.dirty = true
		}
	}
	old, exists := st.byID[id]
	if exists && !f.upsert {
		return fail(http.StatusConflict, "identifier_taken", "entity %q exists", id)
	}
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
			if v, ok := in[k].(map[string]any); ok {
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
		for _, k := range []string{"title", "icon", "properties", "relations"} {
			if v, ok := in[k]; ok && v != nil {
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

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// checkType validates a property value against its schema; "" when fine.
func checkType(def map[string]any, v any) string {
	if v == nil {
		return ""
	}
	typ, _ := def["type"].(string)
	ok := true
	switch typ {
	case "string":
		_, ok = v.(string)
	case "number":
		_, ok = v.(float64)
	case "boolean":
		_, ok = v.(bool)
	case "object":
		_, ok = v.(map[string]any)
	case "array":
		_, ok = v.([]any)
	}
	if !ok {
		return fmt.Sprintf("want a %s, got %s", typ, jsonType(v))
	}
	if enum, ok := def["enum"].([]any); ok {
		for _, e := range enum {
			if e == v {
				return ""
			}
		}
		return fmt.Sprintf("value %v is not one of %v", v, enum)
	}
	return ""
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
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
		writeErr(w, werr.status, werr.code, werr.msg)
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
		Entities []map[string]any `json:"entities"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	if len(in.Entities) < 1 || len(in.Entities) > 20 {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("entities must hold 1 to 20 items, got %d", len(in.Entities)))
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
		if req.fault != nil && req.fault.EntityErrors != nil {
			if st, bad := req.fault.EntityErrors[fmt.Sprint(e["identifier"])]; bad {
				errs = append(errs, map[string]any{"index": i, "identifier": e["identifier"], "statusCode": st, "error": "injected_fault", "message": "injected entity error"})
				continue
			}
		}
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

// ---- deletes and reads ----

func (s *Server) handleBulkDelete(w http.ResponseWriter, req *request) {
	var in struct {
		Entities []string `json:"entities"`
	}
	if err := json.Unmarshal(req.body, &in); err != nil {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
		return
	}
	if len(in.Entities) < 1 || len(in.Entities) > 100 {
		writeErr(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("entities must hold 1 to 100 identifiers, got %d", len(in.Entities)))
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
		// All or nothing: an entity with a required relation pointing at a
		// target blocks the whole call (port-api §3.3).
		for _, id := range targets {
			if who := s.requiredDependent(bp, id); who != "" {
				writeErr(w, http.StatusUnprocessableEntity, "has_dependents", fmt.Sprintf("entity %q is required by %s", id, who))
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
	for srcBP, def := range s.blueprints {
		rels, _ := def["relations"].(map[string]any)
		for name, r := range rels {
			rm, _ := r.(map[string]any)
			if rm["target"] != bp || rm["required"] != true {
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
		rels, _ := def["relations"].(map[string]any)
		for name, r := range rels {
			rm, _ := r.(map[string]any)
			if rm["target"] != bp {
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
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("entity %q not found", id))
		return
	}
	dependents := req.r.URL.Query().Get("delete_dependents") == "true"
	if !dependents {
		if who := s.requiredDependent(bp, id); who != "" {
			writeErr(w, http.StatusUnprocessableEntity, "has_dependents", fmt.Sprintf("entity %q is required by %s", id, who))
			return
		}
	}
	s.remove(bp, id, dependents)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) handleEntityGet(w http.ResponseWriter, req *request) {
	e, ok := s.Entity(req.segs[1], req.segs[3])
	if !ok {
		writeErr(w, http.StatusNotFound, "not_found", fmt.Sprintf("entity %q not found", req.segs[3]))
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
