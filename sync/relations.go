package sync

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/catalog"
)

// Relation targets are decided before an entity is written, in dry runs and
// real runs alike (docs/architecture.md#relation-targets): a target exists
// when it is among the owned entities of the snapshot, is mapped by this
// run, or exists in Port. An entity with a target not known while the
// blocks stream is held back until every block has mapped its items; then
// the remaining targets are looked up in Port with one search per target
// blueprint and 1000 identifiers. Without createMissingRelatedEntities an
// entity with a missing target is refused (Port would answer 404) and not
// sent; with it, the missing targets are the empty entities Port will
// create, named in a notice.

// maxSearchIDs is the most identifiers one existence search names: the
// search route's page limit, so one request answers it.
const maxSearchIDs = 1000

// relTarget is one related entity an entity names.
type relTarget struct {
	rel, bp, id string
}

// heldEntity is an entity waiting for its relation targets to be decided.
type heldEntity struct {
	br      *blockRun
	ent     *mapping.Entity
	pos     string
	targets []relTarget
	// late: a duplicate's winner mapped after its loser (writeLateWinners).
	late bool
}

// relations tracks what the run knows about relation targets.
type relations struct {
	mu gosync.Mutex
	// mapped holds the entities this run maps that the snapshot does not
	// have (owned ones are found there), by blueprint.
	mapped map[string]*mappedIDs
	held   []heldEntity
}

// mappedIDs is one blueprint's mapped identifiers: a compact set (no
// string per identifier), less those refused since (rare).
type mappedIDs struct {
	ids     idSet
	refused map[int32]bool
}

func newRelations() *relations {
	return &relations{mapped: map[string]*mappedIDs{}}
}

func (r *relations) addMapped(bp, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.mapped[bp]
	if m == nil {
		m = &mappedIDs{ids: newIDSet()}
		r.mapped[bp] = m
	}
	if i, ok := m.ids.find(id); ok {
		delete(m.refused, i)
		return
	}
	m.ids.add(id)
}

func (r *relations) dropMapped(bp, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.mapped[bp]
	if m == nil {
		return
	}
	if i, ok := m.ids.find(id); ok {
		if m.refused == nil {
			m.refused = map[int32]bool{}
		}
		m.refused[i] = true
	}
}

func (r *relations) isMapped(bp, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.mapped[bp]
	if m == nil {
		return false
	}
	i, ok := m.ids.find(id)
	return ok && !m.refused[i]
}

// has reports whether the snapshot of owned entities holds bp/id.
func (e *engine) owned(bp, id string) bool {
	if x := e.indexes[bp]; x != nil {
		return x.has(id)
	}
	return e.others.has(bp, id)
}

func (x *index) has(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.find(id)
	return ok
}

func (o *others) has(bp, id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.ids[bp][id]
	return ok
}

// known reports whether the run knows t exists: owned, or mapped by this
// run.
func (e *engine) known(t relTarget) bool {
	return e.owned(t.bp, t.id) || e.rels.isMapped(t.bp, t.id)
}

// unknownTarget reports whether one of targets is not known yet.
func (e *engine) unknownTarget(targets []relTarget) bool {
	return slices.ContainsFunc(targets, func(t relTarget) bool { return !e.known(t) })
}

// holdForTargets records ent as mapped and holds it back when one of its
// relation targets (protectTargets) is not known yet; it returns true when
// ent is held.
func (e *engine) holdForTargets(br *blockRun, ent *mapping.Entity, pos string, targets []relTarget) bool {
	if id, plain := ent.ID(); plain && !ent.UsesSearch() && !e.owned(ent.Blueprint, id) {
		e.rels.addMapped(ent.Blueprint, id)
	}
	if !e.unknownTarget(targets) {
		return false
	}
	e.rels.mu.Lock()
	e.rels.held = append(e.rels.held, heldEntity{br: br, ent: ent, pos: pos, targets: targets})
	e.rels.mu.Unlock()
	return true
}

// releaseHeld decides the held entities once every block has mapped its
// items (decideHeld); the ones not refused go on to the diff and the
// writer.
func (e *engine) releaseHeld(ctx context.Context) {
	held := e.rels.held
	e.rels.held = nil
	e.decideHeld(ctx, held, func(h heldEntity) { e.diffEntity(ctx, h.br, h.ent, h.pos) })
}

// decideHeld decides entities whose relation targets were not known when
// they were mapped: the targets neither owned nor mapped are looked up in
// Port; an entity whose target exists nowhere is refused without
// createMissingRelatedEntities, and its missing targets are named as stubs
// with it. release is called, in order, for each entity not refused.
func (e *engine) decideHeld(ctx context.Context, held []heldEntity, release func(heldEntity)) {
	if len(held) == 0 || ctx.Err() != nil {
		return
	}
	ask := map[string]map[string]bool{}
	for _, h := range held {
		for _, t := range h.targets {
			if e.known(t) || e.absent[t.bp] {
				continue
			}
			if ask[t.bp] == nil {
				ask[t.bp] = map[string]bool{}
			}
			ask[t.bp][t.id] = true
		}
	}
	inPort, err := e.existing(ctx, ask)
	if err != nil {
		for _, h := range held {
			id, _ := h.ent.ID()
			e.markSeen(h.ent.Blueprint, id)
			h.br.update(func(r *BlockResult) {
				r.Failed++
				addSample(&r.WriteErrors, fmt.Sprintf("%s %q (%s) not written: %v", h.ent.Blueprint, id, h.pos, err))
			})
		}
		return
	}
	exists := func(t relTarget) bool {
		return inPort[t.bp][t.id] || e.known(t)
	}
	createMissing := e.mapping.Config.CreateMissingRelatedEntities
	// Refusing one held entity may take away the target of another, so
	// refuse until nothing changes: the verdict does not depend on the
	// order the blocks mapped their items in.
	refused := make([]bool, len(held))
	for changed := !createMissing; changed; {
		changed = false
		for i, h := range held {
			if refused[i] || !slices.ContainsFunc(h.targets, func(t relTarget) bool { return !exists(t) }) {
				continue
			}
			refused[i], changed = true, true
			// A late winner's identifier stays as its loser left it: the
			// loser was written (or refused) on its own.
			if id, plain := h.ent.ID(); plain && !h.late {
				e.rels.dropMapped(h.ent.Blueprint, id)
			}
		}
	}
	stubs := map[string]bool{}
	for i, h := range held {
		if refused[i] {
			e.refuseMissing(h, exists)
			continue
		}
		for _, t := range h.targets {
			if !exists(t) {
				stubs[t.bp+"/"+t.id] = true
			}
		}
		release(h)
	}
	if len(stubs) > 0 {
		names := make([]string, 0, len(stubs))
		for n := range stubs {
			names = append(names, n)
		}
		sort.Strings(names)
		msg := fmt.Sprintf("%d relation targets do not exist and Port will create them as empty entities", len(names))
		if len(names) == 1 {
			msg = "1 relation target does not exist and Port will create it as an empty entity"
		}
		n := Notice{Kind: NoticeRelationStubs, Block: -1, Count: len(names), Message: msg}
		n.Names = names[:min(len(names), maxNoticeNames)]
		e.noticeMu.Lock()
		e.notices.add(n)
		e.noticeMu.Unlock()
	}
}

// refuseMissing reports a held entity whose related entity exists nowhere
// as a failed write of its block, naming the source item, the relation, its
// expression and the targets; it counts as seen, so it is never pruned.
func (e *engine) refuseMissing(h heldEntity, exists func(relTarget) bool) {
	id, _ := h.ent.ID()
	e.markSeen(h.ent.Blueprint, id)
	var parts []string
	for _, t := range h.targets {
		if exists(t) {
			continue
		}
		path := "relations." + t.rel
		if expr := h.br.block.Expr(path); expr != "" {
			path += " = " + expr
		}
		parts = append(parts, fmt.Sprintf("%s: related entity %q of blueprint %q exists neither in Port nor in this run, and createMissingRelatedEntities is false (%s)", path, t.id, t.bp, catalog.RuleRelatedEntity))
	}
	msg := fmt.Sprintf("%s %q (%s) would be refused by Port, not written: %s", h.ent.Blueprint, id, h.pos, strings.Join(parts, "; "))
	h.br.update(func(r *BlockResult) {
		r.Failed++
		addSample(&r.WriteErrors, msg)
	})
}

// existing looks ids up in Port, per blueprint, at most maxSearchIDs a
// request, and returns those found.
func (e *engine) existing(ctx context.Context, ask map[string]map[string]bool) (map[string]map[string]bool, error) {
	found := map[string]map[string]bool{}
	var mu gosync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(e.cfg.concurrency())
	bps := make([]string, 0, len(ask))
	for bp := range ask {
		bps = append(bps, bp)
		found[bp] = map[string]bool{}
	}
	sort.Strings(bps)
	for _, bp := range bps {
		ids := make([]any, 0, len(ask[bp]))
		for id := range ask[bp] {
			ids = append(ids, id)
		}
		for chunk := range slices.Chunk(ids, maxSearchIDs) {
			g.Go(func() error {
				req := port.SearchRequest{Include: []string{"identifier"}, Query: map[string]any{
					"combinator": "and",
					"rules":      []any{map[string]any{"property": "$identifier", "operator": "in", "value": chunk}},
				}}
				err := e.cfg.Client.SearchEntities(ctx, bp, req, func(page []port.Entity) error {
					mu.Lock()
					defer mu.Unlock()
					for _, ent := range page {
						found[bp][ent.Identifier] = true
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("checking that %d related entities of blueprint %q exist: %w", len(chunk), bp, err)
				}
				return nil
			})
		}
	}
	return found, g.Wait()
}
