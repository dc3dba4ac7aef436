package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// ErrEntitiesExist is returned by CleanDefaults when a default blueprint
// still holds entities and Force is off.
var ErrEntitiesExist = errors.New("blueprints hold entities")

// DefaultsConfig is what DockDefaults and CleanDefaults act on.
type DefaultsConfig struct {
	Definition integrations.Definition
	Client     *port.Client
	Identifier string // the integration object's installation id
	Version    string
	DryRun     bool // plan only: read, never write
	Force      bool // CleanDefaults: delete the blueprints' entities too
}

// DefaultsPlan says what DockDefaults or CleanDefaults did, or would do on
// a dry run.
type DefaultsPlan struct {
	Create      []string `json:"create,omitempty"`      // blueprints created, in order
	Delete      []string `json:"delete,omitempty"`      // blueprints deleted, in order
	Skip        []string `json:"skip,omitempty"`        // blueprints already there (dock) or absent (clean)
	Integration string   `json:"integration,omitempty"` // "create", "delete", "exists" or "absent"
	// Entities counts, per blueprint, the entities clean found (and, with
	// Force, deleted).
	Entities map[string]int `json:"entities,omitempty"`
}

// DockDefaults creates the integration's default blueprints that Port
// lacks, in dependency order and in two stages (bare, then with relations,
// as Ocean creates them), then the integration object with the default
// mapping when it does not exist. Existing blueprints are left as they are.
func DockDefaults(ctx context.Context, cfg DefaultsConfig) (*DefaultsPlan, error) {
	bps, err := cfg.Definition.Blueprints()
	if err != nil {
		return nil, fmt.Errorf("default blueprints of %q: %w", cfg.Definition.Type, err)
	}
	if err := cfg.Client.Authenticate(ctx); err != nil {
		return nil, err
	}
	plan := &DefaultsPlan{}
	var create []map[string]any
	for _, bp := range dependencyOrder(bps) {
		id, _ := bp["identifier"].(string)
		_, err := cfg.Client.GetBlueprint(ctx, id)
		switch {
		case errors.Is(err, port.ErrNotFound):
			create = append(create, bp)
			plan.Create = append(plan.Create, id)
		case err != nil:
			return nil, fmt.Errorf("reading blueprint %q: %w", id, err)
		default:
			plan.Skip = append(plan.Skip, id)
		}
	}
	_, err = cfg.Client.GetIntegration(ctx, cfg.Identifier)
	switch {
	case errors.Is(err, port.ErrNotFound):
		plan.Integration = "create"
	case err != nil:
		return nil, fmt.Errorf("reading integration %q: %w", cfg.Identifier, err)
	default:
		plan.Integration = "exists"
	}
	if cfg.DryRun {
		return plan, nil
	}
	rc := Config{Definition: cfg.Definition, Client: cfg.Client, Identifier: cfg.Identifier, Version: cfg.Version}
	if err := createBlueprints(ctx, rc, blueprintChanges{create: create}); err != nil {
		return plan, err
	}
	if plan.Integration == "create" {
		m, err := cfg.Definition.DefaultMapping()
		if err != nil {
			return plan, err
		}
		cm, err := compileMapping(m, "default mapping", mapping.Options{})
		if err != nil {
			return plan, err
		}
		if err := createIntegration(ctx, rc, cm); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

// CleanDefaults deletes the integration's default blueprints (dependents
// first) and the integration object. It refuses, deleting nothing, while
// any of the blueprints holds entities, unless Force, which deletes those
// entities first.
func CleanDefaults(ctx context.Context, cfg DefaultsConfig) (*DefaultsPlan, error) {
	bps, err := cfg.Definition.Blueprints()
	if err != nil {
		return nil, fmt.Errorf("default blueprints of %q: %w", cfg.Definition.Type, err)
	}
	if err := cfg.Client.Authenticate(ctx); err != nil {
		return nil, err
	}
	plan := &DefaultsPlan{Entities: map[string]int{}}
	order := dependencyOrder(bps)
	slices.Reverse(order)
	var held []string
	for _, bp := range order {
		id, _ := bp["identifier"].(string)
		_, err := cfg.Client.GetBlueprint(ctx, id)
		switch {
		case errors.Is(err, port.ErrNotFound):
			plan.Skip = append(plan.Skip, id)
			continue
		case err != nil:
			return nil, fmt.Errorf("reading blueprint %q: %w", id, err)
		}
		plan.Delete = append(plan.Delete, id)
		n := 0
		err = cfg.Client.SearchEntities(ctx, id, port.SearchRequest{Include: []string{"identifier"}}, func(es []port.Entity) error {
			n += len(es)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("counting the entities of blueprint %q: %w", id, err)
		}
		if n > 0 {
			plan.Entities[id] = n
			held = append(held, fmt.Sprintf("%s (%d)", id, n))
		}
	}
	_, err = cfg.Client.GetIntegration(ctx, cfg.Identifier)
	switch {
	case errors.Is(err, port.ErrNotFound):
		plan.Integration = "absent"
	case err != nil:
		return nil, fmt.Errorf("reading integration %q: %w", cfg.Identifier, err)
	default:
		plan.Integration = "delete"
	}
	if len(held) > 0 && !cfg.Force {
		return plan, fmt.Errorf("%w: %v; nothing was deleted (pass --force to delete them with their blueprints)", ErrEntitiesExist, held)
	}
	if cfg.DryRun {
		return plan, nil
	}
	for _, id := range plan.Delete {
		if plan.Entities[id] > 0 {
			if err := deleteAllEntities(ctx, cfg.Client, id); err != nil {
				return plan, err
			}
		}
		if err := cfg.Client.DeleteBlueprint(ctx, id); err != nil {
			return plan, fmt.Errorf("deleting blueprint %q: %w", id, err)
		}
	}
	if plan.Integration == "delete" {
		if err := cfg.Client.DeleteIntegration(ctx, cfg.Identifier); err != nil {
			return plan, fmt.Errorf("deleting integration %q: %w", cfg.Identifier, err)
		}
	}
	return plan, nil
}

func deleteAllEntities(ctx context.Context, c *port.Client, bp string) error {
	var ids []string
	err := c.SearchEntities(ctx, bp, port.SearchRequest{Include: []string{"identifier"}}, func(es []port.Entity) error {
		for _, e := range es {
			ids = append(ids, e.Identifier)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing the entities of blueprint %q: %w", bp, err)
	}
	for len(ids) > 0 {
		n := min(len(ids), 100) // Port's bulk delete takes at most 100
		if _, err := c.BulkDelete(ctx, bp, ids[:n], true, ""); err != nil {
			return fmt.Errorf("deleting the entities of blueprint %q: %w", bp, err)
		}
		ids = ids[n:]
	}
	return nil
}

// dependencyOrder sorts blueprints so each comes after the blueprints its
// relations target (a cycle keeps the file's order); ties keep the file's
// order.
func dependencyOrder(bps []map[string]any) []map[string]any {
	byID := map[string]map[string]any{}
	var ids []string
	for _, bp := range bps {
		id, _ := bp["identifier"].(string)
		byID[id] = bp
		ids = append(ids, id)
	}
	done := map[string]bool{}
	visiting := map[string]bool{}
	var out []map[string]any
	var visit func(id string)
	visit = func(id string) {
		if done[id] || visiting[id] {
			return
		}
		visiting[id] = true
		rels, _ := byID[id]["relations"].(map[string]any)
		targets := make([]string, 0, len(rels))
		for _, r := range rels {
			if rm, ok := r.(map[string]any); ok {
				if t, ok := rm["target"].(string); ok && byID[t] != nil {
					targets = append(targets, t)
				}
			}
		}
		sort.Strings(targets)
		for _, t := range targets {
			visit(t)
		}
		visiting[id] = false
		done[id] = true
		out = append(out, byID[id])
	}
	for _, id := range ids {
		visit(id)
	}
	return out
}
