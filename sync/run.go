package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// Run performs one sync. A returned error means the run stopped before
// writing entities (config, auth, Port unreachable); errors.Is with
// ErrConfig, mapping.ErrInvalid, integrations.ErrConfig,
// integrations.ErrCredentials or port.ErrAuth marks bad input. Otherwise the Result says what happened.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	start := now()
	log := cfg.logger()
	if cfg.ResyncID == "" {
		cfg.ResyncID = newID()
	}

	cfg.phase("Load the mapping and connect to Port")
	// A mapping file is checked before any network call.
	var m *mapping.Mapping
	if cfg.Mapping != nil {
		var err error
		if m, err = compileMapping(cfg.Mapping, cfg.MappingName, cfg.jqOptions()); err != nil {
			return nil, err
		}
		cfg.MappingSource = &MappingSource{Source: "file", Name: "--mapping " + cfg.MappingName}
	}

	if err := cfg.Client.Authenticate(ctx); err != nil {
		return nil, err
	}
	integ, err := cfg.Client.GetIntegration(ctx, cfg.Identifier)
	switch {
	case errors.Is(err, port.ErrNotFound):
		integ = nil
	case err != nil:
		return nil, fmt.Errorf("reading integration %q: %w", cfg.Identifier, err)
	}

	if m == nil {
		src, ms, err := storedMapping(cfg, integ)
		if err != nil {
			return nil, err
		}
		if m, err = compileMapping(src, ms.Name, cfg.jqOptions()); err != nil {
			return nil, err
		}
		cfg.MappingSource = ms
		log.Info("no --mapping given: using "+ms.Name, "updatedAt", ms.UpdatedAt)
	}
	if err := checkKinds(cfg, m); err != nil {
		return nil, err
	}

	defs, bpChanges, err := checkBlueprints(ctx, cfg, m)
	if err != nil {
		return nil, err
	}
	// The last check before the first write (the integration, blueprints):
	// credentials the vendor refuses stop the run with nothing written.
	if err := checkCredentials(ctx, cfg, m); err != nil {
		return nil, err
	}

	if !cfg.DryRun {
		if integ == nil {
			if err := createIntegration(ctx, cfg, m); err != nil {
				return nil, err
			}
		}
		if err := createBlueprints(ctx, cfg, bpChanges); err != nil {
			return nil, err
		}
		startISO := start.UTC().Format(time.RFC3339Nano)
		if err := cfg.Client.PatchResyncState(ctx, cfg.Identifier, port.ResyncState{Status: "running", LastResyncStart: &startISO}); err != nil {
			log.Warn("could not report the resync state to Port", "err", err)
		}
	}

	if cfg.DryRun {
		cfg.phase("Plan: fetch, map and compare (dry run)")
	} else {
		cfg.phase("Sync: fetch, map, write and delete stale entities")
	}
	e := newEngine(&cfg, m, defs, start)
	for _, bp := range bpChanges.create {
		// Not in Port yet (a dry run with --init-resources): nothing to read.
		e.absent[bp["identifier"].(string)] = true
	}
	res := e.run(ctx)
	if res.Plan != nil {
		for _, bp := range bpChanges.create {
			res.Plan.CreateBlueprints = append(res.Plan.CreateBlueprints, bp["identifier"].(string))
		}
		for _, bp := range bpChanges.update {
			res.Plan.UpdateBlueprints = append(res.Plan.UpdateBlueprints, bp["identifier"].(string))
		}
		sort.Strings(res.Plan.CreateBlueprints)
		sort.Strings(res.Plan.UpdateBlueprints)
	}

	if !cfg.DryRun {
		cfg.phase("Report the resync state to Port")
		st := string(res.Status)
		if res.Status == StatusBlocked {
			st = string(StatusCompleted) // synced; the blocked deletes are in the summary and exit code
		}
		endISO := now().UTC().Format(time.RFC3339Nano)
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := cfg.Client.PatchResyncState(pctx, cfg.Identifier, port.ResyncState{Status: st, LastResyncEnd: &endISO}); err != nil {
			log.Warn("could not report the resync state to Port", "err", err)
		}
	}
	return res, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkCredentials shows every block to a Source that plans
// (integrations.Planner), then asks a Source that checks credentials
// (integrations.CredentialChecker) whether the vendor accepts them, with
// every selected block's request.
func checkCredentials(ctx context.Context, cfg Config, m *mapping.Mapping) error {
	if p, ok := cfg.Source.(integrations.Planner); ok {
		all := make([]integrations.Request, 0, len(m.Blocks))
		for _, b := range m.Blocks {
			all = append(all, integrations.Request{Kind: b.Resource.Kind, Selector: b.Resource.Selector.Extra, Config: m.Config.Extra})
		}
		if err := p.Plan(all); err != nil {
			return configErr("%s: %v", cfg.Definition.Type, err)
		}
	}
	cc, ok := cfg.Source.(integrations.CredentialChecker)
	if !ok {
		return nil
	}
	selected := kindSet(cfg.Kinds)
	var reqs []integrations.Request
	for _, b := range m.Blocks {
		if len(selected) > 0 && !selected[b.Resource.Kind] {
			continue
		}
		reqs = append(reqs, integrations.Request{Kind: b.Resource.Kind, Selector: b.Resource.Selector.Extra, Config: m.Config.Extra})
	}
	if err := cc.CheckCredentials(ctx, reqs); err != nil {
		return fmt.Errorf("%s: %w", cfg.Definition.Type, err)
	}
	return nil
}
