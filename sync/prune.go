package sync

import (
	"context"
	"fmt"
	"sort"
	"strings"
	gosync "sync"

	"github.com/tide-sync/tide/sync/port"
	"golang.org/x/sync/errgroup"
)

// prune deletes the stale entities this integration owns, behind the
// deletion guards (docs/ocean-compatibility.md#deletion-guards). A non-empty
// blockReason blocks all deletes (a failed block) but still counts what
// would have gone.
func (e *engine) prune(ctx context.Context, blockReason string) (d Deletion) {
	cfg := e.mapping.Config
	d = Deletion{Threshold: cfg.EntityDeletionThreshold}
	scope, notPruned := e.pruneScope()
	d.Scope, d.NotPruned = scope, notPruned
	protect := cfg.CreateMissingRelatedEntities

	// A block whose listing was capped on purpose (allow_partial) keeps
	// its blueprint out of the scope: its unlisted entities are counted
	// as blocked, never deleted.
	scope, partial, partialWhy := e.partialScope(scope)
	d.Scope = scope
	for _, bp := range partial {
		d.NotPruned = append(d.NotPruned, bp)
		var del, kept []string
		if x := e.indexes[bp]; x != nil {
			d.Owned += x.len()
			del, kept = x.stale(protect)
		} else {
			d.Owned += e.others.count(bp)
			del, kept = e.others.stale(bp, protect)
		}
		sort.Strings(del)
		d.Kept += len(kept)
		d.Blocked += len(del)
		if br := e.owner(bp); br != nil {
			br.update(func(r *BlockResult) { r.BlockedDeletes += len(del) })
		}
		e.planList(e.planBlocked, bp, del)
	}
	sort.Strings(d.NotPruned)
	defer func() {
		if len(partial) == 0 {
			return
		}
		why := fmt.Sprintf("not pruned: %s (%s), since a listing capped on purpose cannot tell entities it did not list from deleted ones", strings.Join(partial, ", "), partialWhy)
		if d.Reason == "" {
			d.Reason = why
		} else {
			d.Reason += "; " + why
		}
		if d.Blocked > 0 && (d.State == DeletionNone || d.State == "") {
			d.State = DeletionBlocked
		}
	}()

	stale := map[string][]string{}
	for _, bp := range scope {
		var del, kept []string
		if x := e.indexes[bp]; x != nil {
			d.Owned += x.len()
			del, kept = x.stale(protect)
		} else {
			d.Owned += e.others.count(bp)
			del, kept = e.others.stale(bp, protect)
		}
		sort.Strings(del)
		if len(del) > 0 {
			stale[bp] = del
		}
		d.Stale += len(del) + len(kept)
		d.Kept += len(kept)
	}
	if d.Stale == 0 {
		d.State = DeletionNone
		return d
	}
	if d.Owned > 0 {
		d.Rate = float64(d.Stale) / float64(d.Owned)
	}

	// Ocean's threshold: delete only when stale/owned ≤ threshold, measured
	// against the owned count read before any write, where Ocean's
	// denominator shrinks as the run re-writes entities
	// (docs/ocean-compatibility.md#deletion-threshold).
	switch {
	case blockReason != "":
		d.State, d.Reason = DeletionSkipped, blockReason
	case cfg.EntityDeletionThreshold == 0:
		d.State, d.Reason = DeletionBlocked, "entityDeletionThreshold is 0, so stale entities are never deleted"
	case d.Rate > cfg.EntityDeletionThreshold:
		d.State = DeletionBlocked
		d.Reason = fmt.Sprintf("%d of %d owned entities (%.1f%%) are stale, above entityDeletionThreshold %g (%.0f%%); check the source, or raise the threshold",
			d.Stale, d.Owned, d.Rate*100, cfg.EntityDeletionThreshold, cfg.EntityDeletionThreshold*100)
	}
	if d.State != "" {
		for bp, ids := range stale {
			d.Blocked += len(ids)
			if br := e.owner(bp); br != nil {
				br.update(func(r *BlockResult) { r.BlockedDeletes += len(ids) })
			}
			e.planList(e.planBlocked, bp, ids)
		}
		return d
	}

	if e.cfg.DryRun {
		d.State = DeletionPlanned
		for bp, ids := range stale {
			e.planList(e.planDeletes, bp, ids)
			d.Deleted += len(ids)
			if br := e.owner(bp); br != nil {
				br.update(func(r *BlockResult) { r.Deleted += len(ids) })
			}
		}
		return d
	}

	d.State = DeletionDone
	// With --kinds, a cascade would reach blueprints outside the pruned
	// scope (their writers were not selected), so dependents are kept.
	dependents := cfg.DeleteDependentEntities && len(e.cfg.Kinds) == 0
	var mu gosync.Mutex
	var g errgroup.Group
	g.SetLimit(e.cfg.writeConcurrency())
	bps := make([]string, 0, len(stale))
	for bp := range stale {
		bps = append(bps, bp)
	}
	sort.Strings(bps)
	for _, bp := range bps {
		ids := stale[bp]
		for start := 0; start < len(ids); start += port.MaxBulkDelete {
			chunk := ids[start:min(start+port.MaxBulkDelete, len(ids))]
			g.Go(func() error {
				deleted, err := e.cfg.Client.BulkDelete(ctx, bp, chunk, dependents, e.cfg.ResyncID)
				mu.Lock()
				defer mu.Unlock()
				d.Deleted += len(deleted)
				if n := len(chunk) - len(deleted); n > 0 {
					d.Failed += n
					if err != nil && len(d.Errors) < maxSamples {
						d.Errors = append(d.Errors, fmt.Sprintf("deleting from %q: %v", bp, err))
					}
				}
				if br := e.owner(bp); br != nil {
					br.update(func(r *BlockResult) { r.Deleted += len(deleted) })
				}
				return nil
			})
		}
	}
	_ = g.Wait()
	sort.Strings(d.Errors) // gathered concurrently; sorted for a stable summary
	if d.Failed > 0 {
		e.log.Error("some stale entities could not be deleted", "failed", d.Failed)
	}
	return d
}

// pruneScope returns the owned blueprints this run may prune. Without
// --kinds that is every owned blueprint (removing a resource block prunes
// its entities, as Ocean does). With --kinds it is only the constant
// blueprints that no unselected block writes: an entity of a blueprint an
// unselected block writes may still be in the source.
func (e *engine) pruneScope() (scope, notPruned []string) {
	all := map[string]bool{}
	for bp := range e.indexes {
		all[bp] = true
	}
	for _, bp := range e.others.blueprints() {
		all[bp] = true
	}
	if len(e.cfg.Kinds) == 0 {
		for bp := range all {
			scope = append(scope, bp)
		}
		sort.Strings(scope)
		return scope, nil
	}
	excluded := map[string]bool{}
	dynamicUnselected := false
	for _, br := range e.blocks {
		if br.selected {
			continue
		}
		if br.bp == "" {
			dynamicUnselected = true
		}
		excluded[br.bp] = true
	}
	for bp := range all {
		if e.indexes[bp] != nil && !excluded[bp] && !dynamicUnselected {
			scope = append(scope, bp)
		} else {
			notPruned = append(notPruned, bp)
		}
	}
	sort.Strings(scope)
	sort.Strings(notPruned)
	return scope, notPruned
}

// partialScope splits scope into the blueprints still pruned and those
// written by a block whose listing was capped on purpose (allow_partial);
// a capped block of computed blueprints leaves nothing pruned. why names
// the capped blocks.
func (e *engine) partialScope(scope []string) (kept, partial []string, why string) {
	held := map[string]bool{}
	all := false
	var kinds []string
	for _, br := range e.blocks {
		if !br.selected || br.res.Partial == "" {
			continue
		}
		kinds = append(kinds, fmt.Sprintf("resources[%d] kind %q allow_partial", br.res.Index, br.res.Kind))
		if br.bp == "" {
			all = true
		}
		held[br.bp] = true
	}
	if len(kinds) == 0 {
		return scope, nil, ""
	}
	for _, bp := range scope {
		if all || held[bp] {
			partial = append(partial, bp)
		} else {
			kept = append(kept, bp)
		}
	}
	return kept, partial, strings.Join(kinds, ", ")
}

func (e *engine) planList(which func(PlanEntity), bp string, ids []string) {
	if e.plan == nil {
		return
	}
	block := -1
	if br := e.owner(bp); br != nil {
		block = br.res.Index
	}
	e.planMu.Lock()
	defer e.planMu.Unlock()
	for _, id := range ids {
		which(PlanEntity{Blueprint: bp, Identifier: id, Block: block})
	}
}

func (e *engine) planBlocked(p PlanEntity) { e.plan.Blocked = append(e.plan.Blocked, p) }
func (e *engine) planDeletes(p PlanEntity) { e.plan.Deletes = append(e.plan.Deletes, p) }
