package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/mapping"
)

// sources groups the selected blocks by what they ask the integration
// for (kind and selector): the blocks of one group read one fetch, so a
// large page is held once, not once per block (docs/architecture.md#hostile-input).
func (e *engine) sources() [][]*blockRun {
	var groups [][]*blockRun
	at := map[string]int{}
	for _, br := range e.blocks {
		if !br.selected {
			continue
		}
		sel, _ := json.Marshal(br.block.Resource.Selector.Extra)
		key := br.block.Resource.Kind + "\x00" + string(sel)
		i, ok := at[key]
		if !ok {
			i = len(groups)
			at[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], br)
	}
	return groups
}

// runBlocks streams the items of one fetch through the mapping and diff of
// every block in grp. A block that fails stops mapping while its siblings
// go on; the fetch stops once every block has failed.
func (e *engine) runBlocks(ctx context.Context, grp []*blockRun) {
	t0 := time.Now()
	type state struct {
		br   *blockRun
		log  *slog.Logger
		refs []string
		mu   gosync.Mutex
		err  error
	}
	sts := make([]*state, len(grp))
	for i, br := range grp {
		br.mu.Lock()
		br.started = t0
		br.mu.Unlock()
		sts[i] = &state{br: br, log: e.log.With("kind", br.res.Kind, "index", br.res.Index), refs: mapping.Values(br.block.References())}
		sts[i].log.Info("fetching")
	}
	defer func() {
		for _, br := range grp {
			br.mu.Lock()
			br.res.DurationMS = time.Since(t0).Milliseconds()
			br.done = true
			br.mu.Unlock()
		}
	}()
	var live atomic.Int64
	live.Store(int64(len(sts)))
	first := grp[0]
	req := integrations.Request{
		Kind:     first.block.Resource.Kind,
		Selector: first.block.Resource.Selector.Extra,
		Config:   e.mapping.Config.Extra,
		Notice:   e.blockNotice(first),
		Items:    footprint(grp),
	}
	err := e.streamPages(ctx, req, func() { e.emitAfterReturn(grp) }, func(n int, items []integrations.Item) error {
		for _, st := range sts {
			st.mu.Lock()
			failed := st.err != nil
			st.mu.Unlock()
			if failed {
				continue
			}
			st.br.update(func(r *BlockResult) { r.Fetched += len(items) })
			if err := e.mapPage(ctx, st.br, req, st.refs, n, items); err != nil {
				st.mu.Lock()
				if st.err == nil {
					st.err = err
					if live.Add(-1) == 0 {
						st.mu.Unlock()
						return err
					}
				}
				st.mu.Unlock()
			}
		}
		return ctx.Err()
	})
	for _, st := range sts {
		berr := st.err
		if berr == nil {
			berr = err
		}
		e.blockOutcome(ctx, st.br, st.log, berr)
	}
}

// footprint is what of each item the blocks of grp and the engine read:
// the union of the blocks' footprints, and __path and id, which name an
// item in messages (position). nil (whole items) when any block's reads
// are not fully known.
func footprint(grp []*blockRun) *jsonx.Projection {
	p := &jsonx.Projection{Keys: map[string]*jsonx.Projection{"__path": nil, "id": nil}}
	for _, br := range grp {
		if p = p.Union(br.block.Footprint()); p == nil {
			return nil
		}
	}
	return p
}

// blockOutcome records how a block's fetch and mapping ended.
func (e *engine) blockOutcome(ctx context.Context, br *blockRun, log *slog.Logger, err error) {
	switch {
	case err == nil:
		log.Info("fetched", "items", br.res.Fetched)
	case errors.Is(err, errSnapshot):
		br.update(func(r *BlockResult) { r.Error = "not synced: reading the current catalog failed" })
	case ctx.Err() != nil:
		br.update(func(r *BlockResult) { r.Error = "interrupted" })
	case errors.Is(err, integrations.ErrPartialAllowed):
		// Every delivered item is synced; the blueprint is left unpruned
		// (prune) and the run ends blocked.
		log.Warn("listing capped on purpose: the blueprint is not pruned", "items", br.res.Fetched, "err", err)
		br.update(func(r *BlockResult) { r.Partial = err.Error() })
	case errors.Is(err, integrations.ErrCredentials):
		log.Error("the vendor rejected the credentials", "err", err)
		br.update(func(r *BlockResult) { r.Error = err.Error() })
		br.mu.Lock()
		br.credentials = true
		br.mu.Unlock()
	default:
		log.Error("resource block failed", "err", err)
		br.update(func(r *BlockResult) { r.Error = err.Error() })
		if errors.Is(err, integrations.ErrConfig) {
			e.cfgErrMu.Lock()
			if e.cfgErr == nil {
				e.cfgErr = err
			}
			e.cfgErrMu.Unlock()
		}
	}
}

// emitAfterReturn records that the integration emitted a page for grp
// after its Resync returned. The page is lost, so every block reading it
// fails (its items would otherwise be deleted as stale); once the deletion
// decision is taken (sealLate) it can only be logged.
func (e *engine) emitAfterReturn(grp []*blockRun) {
	e.lateMu.Lock()
	defer e.lateMu.Unlock()
	if !e.lateSealed {
		e.late = append(e.late, grp...)
	}
}

// sealLate marks the blocks that received an Emit after Resync returned
// as failed. Called once, before the block results decide deletion.
func (e *engine) sealLate() {
	e.lateMu.Lock()
	defer e.lateMu.Unlock()
	e.lateSealed = true
	for _, br := range e.late {
		br.update(func(r *BlockResult) {
			if r.Error == "" {
				r.Error = ErrEmitAfterReturn.Error() + "; a page was lost"
			}
		})
	}
}

// mapPage maps one page's items through one block, resolving the block's
// prefixed values (file://, search://) first when the integration offers
// them.
func (e *engine) mapPage(ctx context.Context, br *blockRun, req integrations.Request, refs []string, n int, items []integrations.Item) error {
	var resolved []map[string]any
	if resolver, ok := e.cfg.Source.(integrations.ValueResolver); ok && len(refs) > 0 {
		var err error
		if resolved, err = resolver.ResolveValues(ctx, req, items, refs); err != nil {
			return fmt.Errorf("page %d: resolving %s: %w", n, strings.Join(refs, ", "), err)
		}
		if len(resolved) != len(items) {
			return fmt.Errorf("page %d: resolving %s: %d results for %d items", n, strings.Join(refs, ", "), len(resolved), len(items))
		}
	}
	for i, item := range items {
		pos := position(n, i, item)
		var vals map[string]any
		if resolved != nil {
			vals = resolved[i]
		}
		k := 0
		if err := br.block.ProcessResolved(ctx, item, vals, func(o mapping.Outcome) {
			e.handle(ctx, br, o, pos, sourcePos(n, i, k))
			k++
		}); err != nil {
			if errors.Is(err, budget.ErrExceeded) {
				return fmt.Errorf("%s: %w", pos, err)
			}
			return fmt.Errorf("page %d: %w", n, err)
		}
	}
	return nil
}

var errSnapshot = errors.New("snapshot failed")

// ErrEmitAfterReturn is what Emit returns when an integration calls it
// after its Resync returned (a bug in the integration).
var ErrEmitAfterReturn = errors.New("integration bug: Emit called after Resync returned")

// streamPages runs the block's resync handler and hands each page, once
// the snapshot is loaded, to a pool of workers (one per core) that map and
// diff it. Decoding the next page thus overlaps mapping this one, and a
// block with a single handler still uses every core. The channel holds one
// page per worker, so a fast source waits for the workers: memory is
// bounded by the pages in flight. The first worker error stops the source
// and is returned; every page handed over is finished before streamPages
// returns. Pages are numbered from 1 in the order the source emitted them.
//
// late is called for each Emit after Resync returned: that page is lost,
// so the blocks must fail rather than delete its items as stale.
func (e *engine) streamPages(ctx context.Context, req integrations.Request, late func(), work func(n int, items []integrations.Item) error) error {
	type page struct {
		n     int
		items []integrations.Item
	}
	workers := e.cfg.mapWorkers()
	pages := make(chan page, workers)
	var (
		wg      gosync.WaitGroup
		errOnce gosync.Once
		werr    error
		failed  = make(chan struct{})
	)
	fail := func(err error) {
		errOnce.Do(func() { werr = err; close(failed) })
	}
	for range workers {
		wg.Go(func() {
			for p := range pages {
				select {
				case <-failed:
					continue // drain: the block has failed
				default:
				}
				if err := work(p.n, p.items); err != nil {
					fail(err)
				}
			}
		})
	}
	// The Emit contract (integrations.Emit): never concurrent, never after
	// Resync returns. The engine enforces it rather than trusting it: calls
	// are serialised by emitMu, and a call after the return is refused
	// loudly instead of sending on a closed channel.
	var (
		emitMu   gosync.Mutex
		returned bool
		n        int
	)
	err := e.cfg.Source.Resync(ctx, req, func(items []integrations.Item) error {
		emitMu.Lock()
		defer emitMu.Unlock()
		if returned {
			e.log.Error("integration bug: Emit called after Resync returned; the page is dropped and the block fails", "kind", req.Kind)
			late()
			return ErrEmitAfterReturn
		}
		n++
		select {
		case <-e.snapDone:
		case <-ctx.Done():
			return ctx.Err()
		}
		if e.snapErr != nil {
			return errSnapshot
		}
		select {
		case pages <- page{n, items}:
			return nil
		case <-failed:
			return werr
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	emitMu.Lock()
	returned = true
	emitMu.Unlock()
	close(pages)
	wg.Wait()
	if werr != nil {
		return werr // the first failure; the source's error then only echoes it
	}
	return err
}
