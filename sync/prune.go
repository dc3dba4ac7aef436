package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/sync/port"
	"golang.org/x/sync/errgroup"
)

// prune deletes the stale entities this integration owns that decide lets
// go, and records the rest with their reasons. A dry run lists the same
// deletes in the plan: the plan is what the real run does.
func (e *engine) prune(ctx context.Context, blockFailed bool) Deletion {
	dec := e.decide(ctx, blockFailed)
	d := dec.d
	for _, k := range d.Entities {
		if !k.Reason.Guard() {
			continue
		}
		if br := e.owner(k.Blueprint); br != nil {
			br.update(func(r *BlockResult) { r.BlockedDeletes++ })
		}
		e.planKept(k)
	}
	n := 0
	for _, ids := range dec.del {
		n += len(ids)
	}
	switch {
	case d.Stale == 0:
		d.State = DeletionNone
		return d
	case n == 0 && d.Blocked == 0:
		d.State = DeletionDone // every stale entity is kept by rule
		return d
	case n == 0:
		d.State = DeletionBlocked
		if g := dec.g; g.interrupted || g.blockFailed || g.writeFailed {
			d.State = DeletionSkipped
		}
		return d
	}

	if e.cfg.DryRun {
		d.State = DeletionPlanned
		for bp, ids := range dec.del {
			e.planDeletes(bp, ids)
			d.Deleted += len(ids)
			if br := e.owner(bp); br != nil {
				br.update(func(r *BlockResult) { r.Deleted += len(ids) })
			}
		}
		return d
	}

	d.State = DeletionDone
	e.deleteAll(ctx, dec.del, &d)
	sortKept(d.Entities)
	sort.Strings(d.Errors) // gathered concurrently; sorted for a stable summary
	if d.Failed > 0 {
		e.log.Error("some stale entities could not be deleted", "failed", d.Failed)
	}
	if refused := countReason(d.Entities, ReasonRefused); refused > 0 {
		d.Reason = joinReason(d.Reason, fmt.Sprintf("Port refused %d deletes: other entities require them and delete_dependents is false", refused))
	}
	if left := countReason(d.Entities, ReasonInterrupted); left > 0 {
		d.Reason = joinReason(d.Reason, fmt.Sprintf("interrupted after deleting %d entities; %d stale entities were not deleted", d.Deleted, left))
	}
	return d
}

// deleteAll sends the deletes, a bounded number of requests in flight.
// The interrupt is checked before every request: a signal stops pruning
// between requests, and a request already sent runs to its answer (on a
// context of its own, bounded), so what it deleted is counted.
func (e *engine) deleteAll(ctx context.Context, del map[string][]string, d *Deletion) {
	// With --kinds, a cascade would reach blueprints outside the pruned
	// scope (their writers were not selected), so dependents are kept.
	dependents := e.mapping.Config.DeleteDependentEntities && len(e.cfg.Kinds) == 0
	var mu gosync.Mutex
	record := func(bp string, deleted []string, failed int, kept []KeptEntity, err error) {
		mu.Lock()
		defer mu.Unlock()
		d.Deleted += len(deleted)
		d.Failed += failed
		d.Blocked += len(kept)
		d.Entities = append(d.Entities, kept...)
		if err != nil && failed > 0 && len(d.Errors) < maxSamples {
			d.Errors = append(d.Errors, fmt.Sprintf("deleting from %q: %v", bp, err))
		}
		if br := e.owner(bp); br != nil {
			br.update(func(r *BlockResult) { r.Deleted += len(deleted); r.BlockedDeletes += len(kept) })
		}
	}
	bps := make([]string, 0, len(del))
	for bp := range del {
		bps = append(bps, bp)
	}
	sort.Strings(bps)
	var g errgroup.Group
	g.SetLimit(e.cfg.writeConcurrency())
	for _, bp := range bps {
		ids := del[bp]
		for start := 0; start < len(ids); start += port.MaxBulkDelete {
			chunk := ids[start:min(start+port.MaxBulkDelete, len(ids))]
			g.Go(func() error {
				if ctx.Err() != nil {
					record(bp, nil, 0, keptAs(bp, chunk, ReasonInterrupted), nil)
					return nil
				}
				deleted, err := e.deleteChunk(ctx, bp, chunk, dependents)
				var refused *refusal
				if errors.As(err, &refused) && len(chunk) > 1 {
					// Port refuses the whole request when one entity has
					// dependents: delete one per request, as Ocean does with
					// delete_dependents=false, so only the refused stay.
					for i, id := range chunk {
						if ctx.Err() != nil {
							record(bp, nil, 0, keptAs(bp, chunk[i:], ReasonInterrupted), nil)
							return nil
						}
						one, err := e.deleteChunk(ctx, bp, []string{id}, dependents)
						switch {
						case errors.As(err, &refused):
							e.log.Warn("Port refused a delete", "blueprint", bp, "identifier", id, "err", err)
							record(bp, nil, 0, keptAs(bp, []string{id}, ReasonRefused), nil)
						default:
							record(bp, one, 1-len(one), nil, err)
						}
					}
					return nil
				}
				if errors.As(err, &refused) {
					record(bp, nil, 0, keptAs(bp, chunk, ReasonRefused), nil)
					return nil
				}
				record(bp, deleted, len(chunk)-len(deleted), nil, err)
				return nil
			})
		}
	}
	_ = g.Wait()
}

// refusal is a delete Port answered with a 4xx that is about the entities
// (dependents, most often), not about the request's transport.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// deleteChunk deletes ids of bp in one request and returns those gone.
// An identifier Port's answer leaves out is looked up: one already gone
// (a retry after a first attempt that deleted but whose answer was lost)
// is deleted, not failed.
func (e *engine) deleteChunk(ctx context.Context, bp string, ids []string, dependents bool) ([]string, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deleteRequestTimeout)
	defer cancel()
	deleted, err := e.cfg.Client.BulkDelete(rctx, bp, ids, dependents, e.cfg.ResyncID)
	var ae *port.APIError
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Status != http.StatusRequestTimeout && ae.Status != http.StatusTooManyRequests {
		return nil, &refusal{err}
	}
	if err != nil || len(deleted) == len(ids) {
		return deleted, err
	}
	gone := map[string]bool{}
	for _, id := range deleted {
		gone[id] = true
	}
	var missing []any
	for _, id := range ids {
		if !gone[id] {
			missing = append(missing, id)
		}
	}
	present := map[string]bool{}
	q := map[string]any{"combinator": "and", "rules": []any{map[string]any{"property": "$identifier", "operator": "in", "value": missing}}}
	err = e.cfg.Client.SearchEntities(rctx, bp, port.SearchRequest{Query: q, Include: []string{"identifier"}}, func(page []port.Entity) error {
		for _, p := range page {
			present[p.Identifier] = true
		}
		return nil
	})
	if err != nil {
		return deleted, fmt.Errorf("Port deleted %d of %d; checking the rest: %w", len(deleted), len(ids), err)
	}
	for _, id := range missing {
		if s := id.(string); !present[s] {
			deleted = append(deleted, s)
		}
	}
	if len(deleted) < len(ids) {
		return deleted, fmt.Errorf("Port kept %d of %d entities it was asked to delete", len(ids)-len(deleted), len(ids))
	}
	return deleted, nil
}

// deleteRequestTimeout bounds one delete request, retries included, once
// it is sent: an interrupt waits for it rather than losing its answer.
const deleteRequestTimeout = 2 * time.Minute

func keptAs(bp string, ids []string, r Reason) []KeptEntity {
	out := make([]KeptEntity, len(ids))
	for i, id := range ids {
		out[i] = KeptEntity{Blueprint: bp, Identifier: id, Reason: r}
	}
	return out
}

func countReason(ks []KeptEntity, r Reason) int {
	n := 0
	for _, k := range ks {
		if k.Reason == r {
			n++
		}
	}
	return n
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
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

// planDeletes lists the deletes of bp in the plan.
func (e *engine) planDeletes(bp string, ids []string) {
	block := e.ownerIndex(bp)
	e.planMu.Lock()
	defer e.planMu.Unlock()
	for _, id := range ids {
		e.plan.Deletes = append(e.plan.Deletes, PlanEntity{Blueprint: bp, Identifier: id, Block: block})
	}
}

// planKept lists a delete a guard blocked in the plan, with its reason.
func (e *engine) planKept(k KeptEntity) {
	if e.plan == nil {
		return
	}
	block := e.ownerIndex(k.Blueprint)
	e.planMu.Lock()
	e.plan.Blocked = append(e.plan.Blocked, PlanEntity{Blueprint: k.Blueprint, Identifier: k.Identifier, Block: block, Reason: k.Reason})
	e.planMu.Unlock()
}

// ownerIndex is the index of bp's owner block in the plan, -1 when none.
func (e *engine) ownerIndex(bp string) int {
	if br := e.owner(bp); br != nil {
		return br.res.Index
	}
	return -1
}
