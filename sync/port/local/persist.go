package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/tide-sync/tide/sync/port/catalog"
)

// snapshot is the persisted state, in a deterministic order.
type snapshot struct {
	Version      int              `json:"version"`
	Blueprints   []map[string]any `json:"blueprints"`
	Integrations []map[string]any `json:"integrations"`
	Entities     []storedEntity   `json:"entities"`
}

type storedEntity struct {
	Blueprint  string         `json:"blueprint"`
	Identifier string         `json:"identifier"`
	Datasource string         `json:"datasource"`
	Updated    time.Time      `json:"updated"`
	Data       map[string]any `json:"data"`
}

// Save writes the whole state as JSON; the same state gives the same bytes.
func (s *Server) Save(w io.Writer) error {
	s.mu.Lock()
	snap := snapshot{Version: 1, Blueprints: []map[string]any{}, Integrations: []map[string]any{}, Entities: []storedEntity{}}
	for _, id := range sortedKeys(s.blueprints) {
		snap.Blueprints = append(snap.Blueprints, s.blueprints[id].raw)
	}
	for _, id := range sortedKeys(s.integrations) {
		snap.Integrations = append(snap.Integrations, s.integrations[id])
	}
	bps := make([]string, 0, len(s.stores))
	for bp := range s.stores {
		bps = append(bps, bp)
	}
	sort.Strings(bps)
	for _, bp := range bps {
		st := s.stores[bp]
		for _, id := range st.ids() {
			e := st.byID[id]
			snap.Entities = append(snap.Entities, storedEntity{Blueprint: bp, Identifier: id, Datasource: e.datasource, Updated: e.updated.UTC(), Data: e.data})
		}
	}
	b, err := json.MarshalIndent(snap, "", " ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Load replaces the state with one written by Save.
func (s *Server) Load(r io.Reader) error {
	var snap snapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("reading the local catalog: %w", err)
	}
	bps := bpSet{}
	for i, raw := range snap.Blueprints {
		def, err := catalog.ParseBlueprint(raw)
		if err != nil {
			return fmt.Errorf("reading the local catalog: blueprint %d (%v): %w", i, raw["identifier"], err)
		}
		bps[def.Identifier] = &blueprint{raw: raw, def: def}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
	s.blueprints = bps
	for _, in := range snap.Integrations {
		id, _ := in["identifier"].(string)
		s.integrations[id] = in
	}
	for _, e := range snap.Entities {
		st := s.storeOf(e.Blueprint)
		st.byID[e.Identifier] = &entity{data: e.Data, datasource: e.Datasource, updated: e.Updated}
		st.dirty = true
	}
	return nil
}

// LoadFile loads a state file; a missing file is an empty state.
func (s *Server) LoadFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return s.Load(f)
}

// SaveFile writes the state atomically (temp file, then rename).
func (s *Server) SaveFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tide-catalog-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := s.Save(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
