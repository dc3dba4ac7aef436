package local

import (
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/tide-sync/tide/sync/port/catalog"
)

// blueprint is a stored blueprint: the JSON Port answers with, and its
// parsed rules.
type blueprint struct {
	raw map[string]any
	def *catalog.Blueprint
}

// bpSet holds the blueprints by identifier; it is the catalog.Blueprints
// that relation targets are found in.
type bpSet map[string]*blueprint

func (b bpSet) Lookup(id string) (*catalog.Blueprint, bool) {
	bp, ok := b[id]
	if !ok {
		return nil, false
	}
	return bp.def, true
}

// with is b and extra, for checking blueprints created together.
type withSet struct {
	bpSet
	extra catalog.Set
}

func (w withSet) Lookup(id string) (*catalog.Blueprint, bool) {
	if bp, ok := w.extra[id]; ok {
		return bp, true
	}
	return w.bpSet.Lookup(id)
}

// parseBlueprint reads a blueprint body and checks its relation targets
// against bps; the error is catalog.Violations.
func parseBlueprint(raw map[string]any, bps catalog.Blueprints) (*catalog.Blueprint, error) {
	def, err := catalog.ParseBlueprint(raw)
	if err != nil {
		return nil, err
	}
	if vs := def.CheckTargets(bps); len(vs) > 0 {
		return nil, vs
	}
	return def, nil
}

// writeViolations answers with the status and code of err when it is
// catalog.Violations, 422 otherwise.
func writeViolations(w http.ResponseWriter, err error) {
	var vs catalog.Violations
	if errors.As(err, &vs) {
		WriteError(w, vs.Status(), vs.Code(), vs.Error())
		return
	}
	WriteError(w, http.StatusUnprocessableEntity, "invalid_request", err.Error())
}

// errExists is a blueprint identifier already taken.
var errExists = errors.New("exists")

// AddBlueprint stores a blueprint as POST /v1/blueprints would: its
// relations must target blueprints that exist (or itself).
func (s *Server) AddBlueprint(raw map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addBlueprint(raw, s.blueprints)
}

// addBlueprint stores raw after checking it against bps; the caller holds s.mu.
func (s *Server) addBlueprint(raw map[string]any, bps catalog.Blueprints) error {
	def, err := parseBlueprint(raw, bps)
	if err != nil {
		return err
	}
	if _, dup := s.blueprints[def.Identifier]; dup {
		return fmt.Errorf("blueprint %q: %w", def.Identifier, errExists)
	}
	raw = deepCopy(raw).(map[string]any)
	raw["createdAt"], raw["updatedAt"] = s.now(), s.now()
	s.blueprints[def.Identifier] = &blueprint{raw: raw, def: def}
	return nil
}

// Seed adds the blueprints the server lacks, leaving the ones it has as
// they are. Their relations may target each other in any order, as when
// Port's own tools create blueprints bare and then add the relations.
func (s *Server) Seed(raws []map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch := catalog.Set{}
	var add []map[string]any
	for _, raw := range raws {
		id, _ := raw["identifier"].(string)
		if _, ok := s.blueprints[id]; ok {
			continue
		}
		if _, ok := batch[id]; ok {
			continue
		}
		def, err := catalog.ParseBlueprint(raw)
		if err != nil {
			return fmt.Errorf("blueprint %q: %w", id, err)
		}
		batch[id] = def
		add = append(add, raw)
	}
	bps := withSet{s.blueprints, batch}
	for _, raw := range add {
		if err := s.addBlueprint(raw, bps); err != nil {
			return fmt.Errorf("blueprint %q: %w", raw["identifier"], err)
		}
	}
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
	return deepCopy(bp.raw).(map[string]any), true
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
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("blueprint %q not found", req.segs[1]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "blueprint": bp})
}

// handleBlueprintDelete deletes a blueprint. It refuses (409) while the
// blueprint holds entities or another blueprint's relation targets it:
// clients delete the entities first, as Port's own tools do.
func (s *Server) handleBlueprintDelete(w http.ResponseWriter, req *request) {
	id := req.segs[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blueprints[id]; !ok {
		WriteError(w, http.StatusNotFound, "not_found", fmt.Sprintf("blueprint %q not found", id))
		return
	}
	if st := s.stores[id]; st != nil && len(st.ids()) > 0 {
		WriteError(w, http.StatusConflict, "has_dependents", fmt.Sprintf("blueprint %q has %d entities; delete them first", id, len(st.ids())))
		return
	}
	for _, other := range sortedKeys(s.blueprints) {
		if other == id {
			continue
		}
		for name, rel := range s.blueprints[other].def.Relations {
			if rel.Target == id {
				WriteError(w, http.StatusConflict, "has_dependents", fmt.Sprintf("relation %q of blueprint %q targets blueprint %q", name, other, id))
				return
			}
		}
	}
	delete(s.blueprints, id)
	delete(s.stores, id)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

func (s *Server) handleBlueprintCreate(w http.ResponseWriter, req *request) {
	raw, ok := decodeBody(w, req)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.addBlueprint(raw, s.blueprints)
	if errors.Is(err, errExists) {
		WriteError(w, http.StatusConflict, "identifier_taken", err.Error())
		return
	}
	if err != nil {
		writeViolations(w, err)
		return
	}
	id := raw["identifier"].(string)
	writeJSON(w, http.StatusCreated, map[string]any{"ok": true, "blueprint": deepCopy(s.blueprints[id].raw)})
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
		WriteError(w, http.StatusNotFound, "not_found", "blueprint not found")
		return
	}
	next := deepCopy(bp.raw).(map[string]any)
	for k, v := range patch {
		if k != "identifier" {
			next[k] = deepCopy(v)
		}
	}
	def, err := parseBlueprint(next, s.blueprints)
	if err != nil {
		writeViolations(w, err)
		return
	}
	next["updatedAt"] = s.now()
	s.blueprints[req.segs[1]] = &blueprint{raw: next, def: def}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "blueprint": deepCopy(next)})
}

// Apply creates the blueprints the server lacks and replaces the ones it
// has with the given definitions (--blueprints: the file is the truth for
// the blueprints it names). It returns the identifiers created and updated.
// Entities already stored are not re-checked against a changed definition.
func (s *Server) Apply(raws []map[string]any) (created, updated []string, err error) {
	s.mu.Lock()
	var add []map[string]any
	for _, raw := range raws {
		id, _ := raw["identifier"].(string)
		old, ok := s.blueprints[id]
		if !ok {
			add = append(add, raw)
			continue
		}
		def, err := catalog.ParseBlueprint(raw)
		if err != nil {
			s.mu.Unlock()
			return nil, nil, fmt.Errorf("blueprint %q: %w", id, err)
		}
		cp := deepCopy(raw).(map[string]any)
		cp["createdAt"], cp["updatedAt"] = old.raw["createdAt"], s.now()
		s.blueprints[id] = &blueprint{raw: cp, def: def}
		updated = append(updated, id)
	}
	s.mu.Unlock()
	if err := s.Seed(add); err != nil {
		return nil, nil, err
	}
	for _, raw := range add {
		id, _ := raw["identifier"].(string)
		created = append(created, id)
	}
	return created, updated, nil
}
