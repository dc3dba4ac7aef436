package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	gosync "sync"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/catalog"
)

// blueprintChanges are the blueprint writes a run makes before entities:
// created bare then completed, or updated with their full definition.
type blueprintChanges struct {
	create []map[string]any
	update []map[string]any
}

// checkBlueprints reads the definition of every constant blueprint the
// selected blocks write. A missing one is a config error before any write,
// unless --init-resources will create it from the integration's defaults
// or --blueprints.
func checkBlueprints(ctx context.Context, cfg Config, m *mapping.Mapping) (*blueprintDefs, blueprintChanges, error) {
	defs := newBlueprintDefs(cfg.Client)
	var ch blueprintChanges
	defaults := map[string]map[string]any{}
	var defaultOrder []string
	if cfg.InitResources {
		bps, err := cfg.Definition.Blueprints()
		if err != nil {
			return nil, ch, fmt.Errorf("default blueprints of %q: %w", cfg.Definition.Type, err)
		}
		for _, bp := range bps {
			id, _ := bp["identifier"].(string)
			defaults[id] = bp
			defaultOrder = append(defaultOrder, id)
		}
	}
	given := map[string]bool{}
	if cfg.InitResources && len(cfg.Blueprints) > 0 {
		var err error
		if given, err = planGivenBlueprints(ctx, cfg, defs, defaults, &ch); err != nil {
			return nil, ch, err
		}
	}
	// Every missing default blueprint is created, not just the ones the
	// mapping writes, so relations between them resolve; --blueprints wins
	// for the identifiers it names.
	for _, id := range defaultOrder {
		if given[id] {
			continue
		}
		_, err := defs.fetch(ctx, id)
		switch {
		case errors.Is(err, port.ErrNotFound):
			ch.create = append(ch.create, defaults[id])
			defs.put(id, defaults[id])
		case err != nil:
			return nil, ch, fmt.Errorf("reading blueprint %q: %w", id, err)
		}
	}
	selected := kindSet(cfg.Kinds)
	for _, b := range m.Blocks {
		if selected != nil && !selected[b.Resource.Kind] {
			continue
		}
		bp, ok := b.Blueprint()
		if !ok {
			continue
		}
		_, err := defs.fetch(ctx, bp)
		switch {
		case errors.Is(err, port.ErrNotFound):
			return nil, ch, configErr("resources[%d] (kind %q) writes blueprint %q, which does not exist in Port; create it, or pass --init-resources to create the integration's default blueprints (and those of --blueprints)", b.Index, b.Resource.Kind, bp)
		case err != nil:
			return nil, ch, fmt.Errorf("reading blueprint %q: %w", bp, err)
		}
	}
	if err := checkMappedFields(ctx, cfg, m, defs); err != nil {
		return nil, ch, err
	}
	return defs, ch, nil
}

// planGivenBlueprints decides, for each blueprint of --blueprints, whether
// Port lacks it (create) or holds another definition (update), and checks
// that every relation targets a blueprint that exists, is in the file or
// is one of the integration's defaults.
// The run's definitions then follow the file, so entities are checked
// against what the run will write.
func planGivenBlueprints(ctx context.Context, cfg Config, defs *blueprintDefs, defaults map[string]map[string]any, ch *blueprintChanges) (map[string]bool, error) {
	given := map[string]bool{}
	for i, bp := range cfg.Blueprints {
		id, _ := bp["identifier"].(string)
		if id == "" {
			return nil, configErr("--blueprints: blueprint %d has no identifier", i+1)
		}
		if given[id] {
			return nil, configErr("--blueprints: blueprint %q is given twice", id)
		}
		given[id] = true
		if _, err := catalog.ParseBlueprint(bp); err != nil {
			return nil, configErr("--blueprints: blueprint %q: %v", id, err)
		}
	}
	for _, bp := range cfg.Blueprints {
		id := bp["identifier"].(string)
		for name, target := range parseBPDef(bp).targets {
			if given[target] || defaults[target] != nil {
				continue // in the file, or a default created when missing
			}
			if _, err := defs.fetch(ctx, target); errors.Is(err, port.ErrNotFound) {
				return nil, configErr("--blueprints: blueprint %q: relation %q targets blueprint %q, which is neither in Port nor in the file", id, name, target)
			} else if err != nil {
				return nil, fmt.Errorf("reading blueprint %q: %w", target, err)
			}
		}
	}
	for _, bp := range cfg.Blueprints {
		id := bp["identifier"].(string)
		cur, err := cfg.Client.GetBlueprint(ctx, id)
		switch {
		case errors.Is(err, port.ErrNotFound):
			ch.create = append(ch.create, bp)
		case err != nil:
			return nil, fmt.Errorf("reading blueprint %q: %w", id, err)
		case !covers(bp, cur, true):
			ch.update = append(ch.update, bp)
		}
		defs.put(id, bp)
	}
	return given, nil
}

// covers reports whether have (Port's definition) already says what want
// (the file's) says: every value of want equal in have, and nothing in have
// that want lacks except empty values Port fills in (required: [],
// mirrorProperties: {}) and, at the top, Port's own fields (createdAt, ...).
func covers(want, have any, top bool) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return len(w) == 0 && empty(have)
		}
		for k, v := range w {
			if !covers(v, h[k], false) {
				return false
			}
		}
		for k, v := range h {
			if _, ok := w[k]; ok || empty(v) {
				continue
			}
			if top && !slices.Contains(blueprintKeys, k) {
				continue // Port's own: createdAt, updatedBy, ...
			}
			return false
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok {
			return len(w) == 0 && empty(have)
		}
		if len(w) != len(h) {
			return false
		}
		for i := range w {
			if !covers(w[i], h[i], false) {
				return false
			}
		}
		return true
	case nil:
		return empty(have)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(have)
	return string(a) == string(b)
}

// blueprintKeys are the fields of a blueprint definition a user writes.
var blueprintKeys = []string{"identifier", "title", "icon", "description", "schema", "calculationProperties",
	"mirrorProperties", "aggregationProperties", "relations", "teamInheritance", "ownership", "changelogDestination"}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// createBlueprints creates blueprints in two stages, bare then complete, so
// relations between new blueprints resolve (Ocean's staged creation); the
// updated ones are patched in the second stage, once every new target
// exists.
func createBlueprints(ctx context.Context, cfg Config, ch blueprintChanges) error {
	for _, bp := range ch.create {
		bare := map[string]any{}
		for k, v := range bp {
			switch k {
			case "relations", "mirrorProperties", "calculationProperties", "aggregationProperties", "ownership", "teamInheritance":
			default:
				bare[k] = v
			}
		}
		if err := cfg.Client.CreateBlueprint(ctx, bare); err != nil {
			return fmt.Errorf("--init-resources: creating blueprint %q: %w", bp["identifier"], err)
		}
	}
	for _, bp := range ch.create {
		id := bp["identifier"].(string)
		if err := cfg.Client.PatchBlueprint(ctx, id, bp); err != nil {
			return fmt.Errorf("--init-resources: completing blueprint %q: %w", id, err)
		}
	}
	for _, bp := range ch.update {
		id := bp["identifier"].(string)
		if err := cfg.Client.PatchBlueprint(ctx, id, bp); err != nil {
			return fmt.Errorf("--blueprints: updating blueprint %q: %w", id, err)
		}
	}
	if n := len(ch.create) + len(ch.update); n > 0 {
		cfg.logger().Info("blueprints written", "created", len(ch.create), "updated", len(ch.update))
	}
	return nil
}

// blueprintDefs holds the relation targets of blueprint definitions, read
// from Port once per blueprint and run. Fetches happen outside the lock: two
// blocks asking for the same blueprint at once may both read it, which is
// harmless, while holding a lock across a retrying network call would stall
// every block behind one slow answer.
type blueprintDefs struct {
	client *port.Client
	mu     gosync.Mutex
	defs   map[string]*bpDef
	errs   map[string]error
}

type bpDef struct {
	targets map[string]string // relation → target blueprint
	// model is the definition as Port's catalog rules read it, used to
	// check entities before writing; nil when it does not parse (tide then
	// leaves the checking to Port).
	model *catalog.Blueprint
}

func (d *bpDef) relationTarget(rel string) string {
	if d == nil {
		return ""
	}
	return d.targets[rel]
}

func newBlueprintDefs(c *port.Client) *blueprintDefs {
	return &blueprintDefs{client: c, defs: map[string]*bpDef{}, errs: map[string]error{}}
}

func (b *blueprintDefs) put(id string, raw map[string]any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.defs[id] = parseBPDef(raw)
	delete(b.errs, id)
}

func parseBPDef(raw map[string]any) *bpDef {
	d := &bpDef{targets: map[string]string{}}
	if m, err := catalog.ParseBlueprint(raw); err == nil {
		d.model = m
	}
	rels, _ := raw["relations"].(map[string]any)
	for name, r := range rels {
		if rm, ok := r.(map[string]any); ok {
			if t, ok := rm["target"].(string); ok {
				d.targets[name] = t
			}
		}
	}
	return d
}

// fetch returns the definition of id, reading it from Port the first time;
// an error (port.ErrNotFound included) is remembered and returned again.
func (b *blueprintDefs) fetch(ctx context.Context, id string) (*bpDef, error) {
	b.mu.Lock()
	d, ok := b.defs[id]
	err := b.errs[id]
	b.mu.Unlock()
	if ok || err != nil {
		return d, err
	}
	raw, err := b.client.GetBlueprint(ctx, id)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.errs[id] = err
		return nil, err
	}
	d = parseBPDef(raw)
	b.defs[id] = d
	return d, nil
}
