// Package sync is tide's engine: one run maps every resource block's items,
// diffs them against the entities this integration owns in Port, writes the
// changes and prunes stale entities behind the deletion guards. The flow
// is described in docs/architecture.md.
package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	gosync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/sync/mapping"
)

// engine is the state of one run after setup.
type engine struct {
	cfg     *Config
	mapping *mapping.Mapping
	log     *slog.Logger
	start   time.Time
	hash    hasher

	blocks     []*blockRun // every resource block, selected or not
	indexes    map[string]*index
	indexOrder []string
	others     *others
	bpDefs     *blueprintDefs
	rels       *relations

	absent   map[string]bool // blueprints that do not exist yet
	snapDone chan struct{}
	snapErr  error

	writer *writer
	ledger *ledger

	planMu gosync.Mutex
	plan   *Plan

	noticeMu gosync.Mutex
	notices  noticeSet

	// cfgErr is the first block error that is a configuration error.
	cfgErrMu gosync.Mutex
	cfgErr   error

	// late holds the blocks whose integration called Emit after its
	// Resync returned; sealLate folds them into the block results before
	// the deletion decision, and later calls are only logged.
	lateMu     gosync.Mutex
	late       []*blockRun
	lateSealed bool
}

// blockRun is one resource block's run state.
type blockRun struct {
	block    *mapping.Block
	selected bool
	bp       string // constant blueprint, "" when computed
	set      compareSet
	setIdx   int // position of set in the blueprint's index
	index    *index

	mu   gosync.Mutex
	res  *BlockResult
	mis  map[string]*MisconfigStat
	dups dedup
	// credentials: the vendor refused the credentials (exit 2).
	credentials bool
	// started and done say where the block's fetch is, for Progress.
	started time.Time
	done    bool
}

func (b *blockRun) update(f func(r *BlockResult)) {
	b.mu.Lock()
	f(b.res)
	b.mu.Unlock()
}

const maxSamples = 5

func newEngine(cfg *Config, m *mapping.Mapping, bpDefs *blueprintDefs, start time.Time) *engine {
	e := &engine{
		cfg:      cfg,
		mapping:  m,
		log:      cfg.logger(),
		start:    start,
		hash:     newHasher(),
		indexes:  map[string]*index{},
		others:   newOthers(),
		bpDefs:   bpDefs,
		rels:     newRelations(),
		absent:   map[string]bool{},
		snapDone: make(chan struct{}),
		ledger:   newLedger(),
	}
	if cfg.DryRun {
		e.plan = &Plan{Creates: []PlanEntity{}, Updates: []PlanEntity{}, Deletes: []PlanEntity{}, Blocked: []PlanEntity{}}
	}
	selected := kindSet(cfg.Kinds)
	setsByBP := map[string][]compareSet{}
	for _, blk := range m.Blocks {
		br := &blockRun{
			block:    blk,
			selected: len(selected) == 0 || selected[blk.Resource.Kind],
			set:      newCompareSet(blk.Fields()),
			res:      &BlockResult{Index: blk.Index, Kind: blk.Resource.Kind},
			mis:      map[string]*MisconfigStat{},
		}
		br.res.Skipped = !br.selected
		if bp, ok := blk.Blueprint(); ok {
			br.bp = bp
			br.res.Blueprint = bp
			if br.selected {
				sets := setsByBP[bp]
				br.setIdx = -1
				for i, s := range sets {
					if s.key() == br.set.key() {
						br.setIdx = i
					}
				}
				if br.setIdx < 0 {
					br.setIdx = len(sets)
					setsByBP[bp] = append(sets, br.set)
				}
			}
		}
		e.blocks = append(e.blocks, br)
	}
	for bp, sets := range setsByBP {
		e.indexes[bp] = newIndex(bp, sets)
		e.indexOrder = append(e.indexOrder, bp)
	}
	sort.Strings(e.indexOrder)
	for _, br := range e.blocks {
		if br.selected && br.bp != "" {
			br.index = e.indexes[br.bp]
		}
	}
	e.writer = newWriter(e)
	if cfg.Progress != nil {
		cfg.Progress.attach(e.blocks)
	}
	return e
}

func kindSet(kinds []string) map[string]bool {
	if len(kinds) == 0 {
		return nil
	}
	m := map[string]bool{}
	for _, k := range kinds {
		m[k] = true
	}
	return m
}

// run executes the pipeline: snapshot ∥ handlers → diff → writes → deletes.
func (e *engine) run(ctx context.Context) *Result {
	res := &Result{
		Integration: e.cfg.Definition.Type,
		Identifier:  e.cfg.Identifier,
		DryRun:      e.cfg.DryRun,
		Kinds:       e.cfg.Kinds,
		StartedAt:   e.start.UTC(),
		Plan:        e.plan,
	}
	for _, br := range e.blocks {
		res.Blocks = append(res.Blocks, br.res)
	}

	go func() {
		defer close(e.snapDone)
		e.snapErr = e.snapshot(ctx)
	}()

	// A failing block must not cancel its siblings (Ocean processes the
	// other kinds); only the run's own context stops them.
	var g errgroup.Group
	g.SetLimit(e.cfg.concurrency())
	for _, grp := range e.sources() {
		g.Go(func() error {
			e.runBlocks(ctx, grp)
			return nil
		})
	}
	_ = g.Wait()
	<-e.snapDone
	if e.snapErr == nil {
		e.releaseHeld(ctx)
	}
	e.writer.close(ctx)
	// A loser retried after its late winner was written would overwrite
	// it: the retries go first, and again for the late winners' own.
	e.writer.retryMissing(ctx)
	e.writeLateWinners(ctx)
	e.writer.retryMissing(ctx)

	e.sealLate()
	failed, partial := false, false
	for _, br := range e.blocks {
		br.finish()
		failed = failed || br.res.Error != ""
		partial = partial || br.res.Partial != ""
		res.CredentialsRejected = res.CredentialsRejected || br.credentials
	}
	// One line per distinct error: a file every block reads fails each
	// block the same way.
	res.Errors = append(res.Errors, groupErrors(res.Blocks)...)
	if e.snapErr != nil && ctx.Err() == nil {
		failed = true
		res.Errors = append(res.Errors, e.snapErr.Error())
	}

	res.Deletion = e.prune(ctx, failed)

	for _, br := range e.blocks {
		res.Total.add(br.res.Counts)
	}
	res.Total.Fetched = e.fetchedTotal()
	e.finishNotices(res)
	res.Total.Deleted = res.Deletion.Deleted
	res.Total.BlockedDeletes = res.Deletion.Blocked
	res.Total.Failed += res.Deletion.Failed

	switch {
	case ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrTimeout):
		res.Status = StatusFailed
		res.Errors = append(res.Errors, context.Cause(ctx).Error())
	case ctx.Err() != nil:
		res.Status = StatusAborted
	case failed || res.Total.Failed > 0:
		res.Status = StatusFailed
	case res.Deletion.Blocked > 0, partial:
		res.Status = StatusBlocked
	default:
		res.Status = StatusCompleted
	}
	if e.plan != nil {
		e.plan.sort()
	}
	e.cfgErrMu.Lock()
	res.ConfigError = e.cfgErr
	e.cfgErrMu.Unlock()
	res.DurationMS = time.Since(e.start).Milliseconds()
	if e.cfg.atRunEnd != nil {
		e.cfg.atRunEnd()
		runtime.KeepAlive(e)
	}
	return res
}

// handle accounts for one mapped item and queues its entity when it
// changed. pos names the item for messages; seq is its place in the
// source's order.
func (e *engine) handle(ctx context.Context, br *blockRun, o mapping.Outcome, pos string, seq uint64) {
	if o.Warning != "" || (o.Entity == nil && !o.Filtered) {
		// Its entity is unknown: it may be one Port has, so the block's
		// blueprint is not pruned this run.
		e.ledger.unmappableItem(br.res.Index)
	}
	if o.Entity != nil && !e.claim(ctx, br, o.Entity, pos, seq) {
		return
	}
	br.mu.Lock()
	for _, m := range o.Misconfigured {
		st := br.mis[m.Field]
		if st == nil {
			st = &MisconfigStat{Field: m.Field, Expr: m.Expr}
			br.mis[m.Field] = st
		}
		st.Count++
		if st.Err == "" {
			st.Err = m.Err
		}
	}
	switch {
	case o.Warning != "":
		br.res.FailedToMap++
		addSample(&br.res.Warnings, o.Warning)
	case o.Filtered:
		br.res.FilteredOut++
	case o.Entity == nil:
		br.res.FailedToMap++
	default:
		br.res.Mapped++
	}
	br.mu.Unlock()
	if o.Entity != nil {
		e.diff(ctx, br, o.Entity, pos)
	}
}

// diff compares one entity with the snapshot and queues a write when needed.
func (e *engine) diff(ctx context.Context, br *blockRun, ent *mapping.Entity, pos string) {
	targets := e.protectTargets(ctx, ent)
	if e.holdForTargets(br, ent, pos, targets) {
		return
	}
	e.diffEntity(ctx, br, ent, pos)
}

// diffEntity is diff once ent's relation targets are known to exist (or
// to be created as stubs).
func (e *engine) diffEntity(ctx context.Context, br *blockRun, ent *mapping.Entity, pos string) {
	id, plain := ent.ID()
	if len(ent.Omitted) > 0 {
		if e.rejected(ctx, br, ent, id, true, pos) {
			return
		}
		if !plain && e.plan != nil && e.mapping.Config.EnableMergeEntity {
			// Written under a search identifier, as the real run would:
			// the dry run resolves the search to plan which entity it is.
			e.planSearch(ctx, br, ent)
			return
		}
		e.omittedWrite(ctx, br, ent, id, plain)
		return
	}
	if !plain && e.plan != nil {
		if !e.rejected(ctx, br, ent, id, true, pos) {
			e.planSearch(ctx, br, ent)
		}
		return
	}
	exact := plain && !ent.UsesSearch() && br.index != nil && ent.Blueprint == br.bp
	if !exact {
		// Computed blueprints and search queries are always written, as
		// Ocean does; the written identifier is marked seen on success.
		if plain {
			e.markSeen(ent.Blueprint, id)
		}
		if !e.rejected(ctx, br, ent, id, true, pos) {
			e.write(ctx, br, ent, id, false, true, nil)
		}
		return
	}
	found, stored, old := br.index.lookup(id, br.setIdx)
	equal := found && br.set.sourceSum(e.hash, ent) == stored
	if equal {
		br.update(func(r *BlockResult) { r.Unchanged++ })
		return
	}
	if e.rejected(ctx, br, ent, id, found, pos) {
		return
	}
	var ch []FieldChange
	if found && old != nil {
		ch = changes(old, br.set.sourceValues(ent))
	}
	e.write(ctx, br, ent, id, !found, false, ch)
}

func (e *engine) markSeen(bp, id string) {
	if x := e.indexes[bp]; x != nil {
		x.markSeen(id)
		return
	}
	e.others.markSeen(bp, id)
}

// write queues ent, or records it in the plan on a dry run.
func (e *engine) write(ctx context.Context, br *blockRun, ent *mapping.Entity, id string, create, always bool, ch []FieldChange) {
	if !create {
		e.wroteRelations(ent, id)
	}
	if e.plan != nil {
		pe := PlanEntity{Blueprint: ent.Blueprint, Identifier: id, Block: br.res.Index, Changes: ch}
		if pe.Identifier == "" {
			pe.Identifier = "(search query)"
		}
		e.planMu.Lock()
		if create {
			e.plan.Creates = append(e.plan.Creates, pe)
		} else {
			e.plan.Updates = append(e.plan.Updates, pe)
		}
		e.planMu.Unlock()
		br.update(func(r *BlockResult) {
			if create {
				r.Created++
			} else {
				r.Updated++
			}
		})
		return
	}
	e.writer.add(ctx, br, ent, create, !always)
}

// wroteRelations records the relation fields a write of the owned entity
// id sets: with enableMergeEntity false the upsert replaces them all.
func (e *engine) wroteRelations(ent *mapping.Entity, id string) {
	merge := e.mapping.Config.EnableMergeEntity
	if merge && len(ent.Relations) == 0 {
		return
	}
	rels := make([]string, 0, len(ent.Relations))
	for rel := range ent.Relations {
		rels = append(rels, rel)
	}
	e.ledger.wroteRelations(ent.Blueprint, id, rels, !merge)
}

// protectTargets records the relation targets of a kept entity, which stale
// deletion keeps (Ocean's safe delete, which tide applies whatever
// createMissingRelatedEntities says: docs/ocean-compatibility.md#relation-targets),
// and returns the related entities ent names by identifier, for the
// relation-target decision (a search query names none the run can check,
// and an entity relating to itself needs no other).
func (e *engine) protectTargets(ctx context.Context, ent *mapping.Entity) []relTarget {
	if len(ent.Relations) == 0 {
		return nil
	}
	def, err := e.bpDefs.fetch(ctx, ent.Blueprint)
	if err != nil {
		// Without the blueprint its relations' targets are unknown, so
		// nothing may be deleted this run.
		e.ledger.unreadableBlueprint(ent.Blueprint, fmt.Errorf("reading blueprint %q: %w", ent.Blueprint, err))
		return nil
	}
	self, _ := ent.ID()
	var out []relTarget
	for rel, v := range ent.Relations {
		target := def.relationTarget(rel)
		if target == "" {
			continue // an unknown relation: the blueprint check refuses it
		}
		for _, id := range relationIDs(v) {
			if x := e.indexes[target]; x != nil {
				x.protect(id)
			} else {
				e.others.protect(target, id)
			}
			if id == "" || (id == self && target == ent.Blueprint) {
				continue
			}
			out = append(out, relTarget{rel: rel, bp: target, id: id})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.rel < b.rel || a.rel == b.rel && a.id < b.id
	})
	return out
}

func relationIDs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// finish folds the misconfiguration tally into the result, sorted.
func (b *blockRun) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.res.Misconfigured = b.res.Misconfigured[:0]
	for _, m := range b.mis {
		b.res.Misconfigured = append(b.res.Misconfigured, *m)
	}
	sort.Slice(b.res.Misconfigured, func(i, j int) bool { return b.res.Misconfigured[i].Field < b.res.Misconfigured[j].Field })
	sort.Strings(b.res.WriteErrors) // written concurrently; sorted for a stable summary
	if len(b.res.Misconfigured) == 0 {
		b.res.Misconfigured = nil
	}
}

// owner returns the block that stale entities of bp are counted under: the
// first selected block writing bp with a constant blueprint.
func (e *engine) owner(bp string) *blockRun {
	for _, br := range e.blocks {
		if br.selected && br.bp == bp {
			return br
		}
	}
	return nil
}
