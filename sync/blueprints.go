package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/catalog"
)

// checkBlueprints reads the definition of every constant blueprint the
// selected blocks write. A missing one is a config error before any write,
// unless --init-resources will create it from the integration's defaults.
func checkBlueprints(ctx context.Context, cfg Config, m *mapping.Mapping) (*blueprintDefs, []map[string]any, error) {
	defs := newBlueprintDefs(cfg.Client)
	defaults := map[string]map[string]any{}
	var defaultOrder []string
	if cfg.InitResources {
		bps, err := cfg.Definition.Blueprints()
		if err != nil {
			return nil, nil, fmt.Errorf("default blueprints of %q: %w", cfg.Definition.Type, err)
		}
		for _, bp := range bps {
			id, _ := bp["identifier"].(string)
			defaults[id] = bp
			defaultOrder = append(defaultOrder, id)
		}
	}
	var toCreate []map[string]any
	// Every missing default blueprint is created, not just the ones the
	// mapping writes, so relations between them resolve.
	for _, id := range defaultOrder {
		_, err := defs.fetch(ctx, id)
		switch {
		case errors.Is(err, port.ErrNotFound):
			toCreate = append(toCreate, defaults[id])
			defs.put(id, defaults[id])
		case err != nil:
			return nil, nil, fmt.Errorf("reading blueprint %q: %w", id, err)
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
			return nil, nil, configErr("resources[%d] (kind %q) writes blueprint %q, which does not exist in Port; create it, or pass --init-resources to create the integration's default blueprints", b.Index, b.Resource.Kind, bp)
		case err != nil:
			return nil, nil, fmt.Errorf("reading blueprint %q: %w", bp, err)
		}
	}
	if err := checkMappedFields(ctx, cfg, m, defs); err != nil {
		return nil, nil, err
	}
	return defs, toCreate, nil
}

// createBlueprints creates blueprints in two stages, bare then complete, so
// relations between new blueprints resolve (Ocean's staged creation).
func createBlueprints(ctx context.Context, cfg Config, bps []map[string]any) error {
	for _, bp := range bps {
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
	for _, bp := range bps {
		id := bp["identifier"].(string)
		if err := cfg.Client.PatchBlueprint(ctx, id, bp); err != nil {
			return fmt.Errorf("--init-resources: completing blueprint %q: %w", id, err)
		}
	}
	if len(bps) > 0 {
		cfg.logger().Info("created default blueprints", "count", len(bps))
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
