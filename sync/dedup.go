package sync

import (
	"context"
	"fmt"
	"hash/maphash"
	"sort"
	gosync "sync"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// dedup finds identifiers one block gives more than once in a run. The
// winner is the first item in the source's order, whatever order the map
// workers finish pages in: Ocean upserts every duplicate and the last
// write wins, which with concurrent writes is whichever lands last.
//
// An entity the block's snapshot index holds is found by its position
// there: 8 bytes per owned entity, exact. Any other keeps a 64-bit hash of
// its blueprint and identifier, not the identifier: about 40 bytes per
// entity. Two identifiers sharing a hash would be taken for duplicates;
// the dropped one is still marked seen, so a collision keeps an entity
// unwritten for a run and never deletes it.
type dedup struct {
	mu      gosync.Mutex
	seed    maphash.Seed
	firstAt []uint64          // index position → earliest source position + 1; 0: not yet
	first   map[uint64]uint64 // identifier hash → earliest source position
	late    map[dupKey]lateWinner
}

// dupKey names an identifier in dedup: its index position, or its hash
// (pos -1).
type dupKey struct {
	pos  int32
	hash uint64
}

// lateWinner is a duplicate that came first in the source but was mapped
// after another item with its identifier had been written.
type lateWinner struct {
	seq uint64
	pos string // for messages
	ent *mapping.Entity
}

// sourcePos orders items as the source emitted them: page, item in the
// page, entity of the item (itemsToParse).
func sourcePos(page, item, k int) uint64 {
	return uint64(min(page, 1<<24-1))<<40 | uint64(min(item, 1<<20-1))<<20 | uint64(min(k, 1<<20-1))
}

// claim reports whether ent is the first of its identifier in br so far.
// A later duplicate is counted and dropped; an earlier one arriving late
// is kept for writeLateWinners.
func (e *engine) claim(ctx context.Context, br *blockRun, ent *mapping.Entity, pos string, seq uint64) bool {
	id, plain := ent.ID()
	if !plain {
		return true // Port resolves a search identifier; nothing to compare
	}
	dd := &br.dups
	key := dupKey{pos: -1}
	if br.index != nil && ent.Blueprint == br.bp {
		if i, ok := br.index.pos(id); ok {
			key.pos = i
		}
	}
	dd.mu.Lock()
	p, dup := uint64(0), false
	if key.pos >= 0 {
		if dd.firstAt == nil {
			dd.firstAt = make([]uint64, br.index.len()) // complete: claims start after the snapshot
		}
		if v := dd.firstAt[key.pos]; v != 0 {
			p, dup = v-1, true
		} else {
			dd.firstAt[key.pos] = seq + 1
		}
	} else {
		if dd.first == nil {
			dd.seed = maphash.MakeSeed()
			dd.first = map[uint64]uint64{}
		}
		var h maphash.Hash
		h.SetSeed(dd.seed)
		h.WriteString(ent.Blueprint)
		h.WriteByte(0)
		h.WriteString(id)
		key.hash = h.Sum64()
		p, dup = dd.first[key.hash]
		if !dup {
			dd.first[key.hash] = seq
		}
	}
	if !dup {
		dd.mu.Unlock()
		return true
	}
	if seq < p {
		if key.pos >= 0 {
			dd.firstAt[key.pos] = seq + 1
		} else {
			dd.first[key.hash] = seq
		}
		if dd.late == nil {
			dd.late = map[dupKey]lateWinner{}
		}
		dd.late[key] = lateWinner{seq: seq, pos: pos, ent: ent}
	}
	dd.mu.Unlock()
	br.update(func(r *BlockResult) {
		r.Duplicates++
		addSample(&r.DuplicateIDs, fmt.Sprintf("%s %q", ent.Blueprint, id))
	})
	e.markSeen(ent.Blueprint, id)
	return false
}

// writeLateWinners writes, after every other write, the duplicates that
// won on source order but were mapped after a loser was written. Their
// relation targets are decided as every other entity's are, in dry runs
// and real runs alike: one whose target is not known yet is held and
// decided with the others held here (decideHeld), so a winner whose target
// exists nowhere is refused before it is sent, and the plan lists what the
// real run writes. A dry run replaces the loser's plan entry instead of
// writing.
func (e *engine) writeLateWinners(ctx context.Context) {
	wrote := false
	var held []heldEntity
	for _, br := range e.blocks {
		br.dups.mu.Lock()
		late := make([]lateWinner, 0, len(br.dups.late))
		for _, w := range br.dups.late {
			late = append(late, w)
		}
		br.dups.late = nil
		br.dups.mu.Unlock()
		sort.Slice(late, func(i, j int) bool { return late[i].seq < late[j].seq })
		for _, w := range late {
			wrote = true
			// The loser already recorded the identifier as mapped:
			// holdForTargets is not called, so a refused loser stays refused.
			h := heldEntity{br: br, ent: w.ent, pos: w.pos, targets: e.protectTargets(ctx, w.ent), late: true}
			if e.unknownTarget(h.targets) {
				held = append(held, h)
				continue
			}
			e.writeLate(ctx, h)
		}
	}
	e.decideHeld(ctx, held, func(h heldEntity) { e.writeLate(ctx, h) })
	if wrote && e.plan == nil {
		e.writer.close(ctx)
	}
}

// writeLate writes a late winner whose relation targets are decided; on a
// dry run it takes the place of its loser's plan entry.
func (e *engine) writeLate(ctx context.Context, h heldEntity) {
	id, _ := h.ent.ID()
	if e.plan != nil {
		e.planDrop(h.br, h.ent.Blueprint, id)
		e.diffEntity(ctx, h.br, h.ent, h.pos)
		return
	}
	if !e.rejected(ctx, h.br, h.ent, id, true, h.pos) {
		e.wroteRelations(h.ent, id)
		e.writer.addLate(ctx, h.br, h.ent)
	}
}

// planDrop removes the planned write of (bp, id) by br, and its count:
// the winner taking its place is counted by its own diff, as the real run
// counts the loser's write once.
func (e *engine) planDrop(br *blockRun, bp, id string) {
	e.planMu.Lock()
	defer e.planMu.Unlock()
	dropped := 0
	drop := func(s []PlanEntity) []PlanEntity {
		out := s[:0]
		for _, p := range s {
			if p.Blueprint != bp || p.Identifier != id || p.Block != br.res.Index {
				out = append(out, p)
			} else {
				dropped++
			}
		}
		return out
	}
	e.plan.Creates = drop(e.plan.Creates)
	creates := dropped
	e.plan.Updates = drop(e.plan.Updates)
	br.update(func(r *BlockResult) {
		r.Created -= creates
		r.Updated -= dropped - creates
	})
}

// planSearch resolves a search identifier on a dry run, as Port will on
// the real run, so the plan marks the entity it writes as seen and deletes
// what the real run deletes. One that matches no single entity would fail
// its write: the plan counts it failed and deletes nothing, as the real
// run will.
func (e *engine) planSearch(ctx context.Context, br *blockRun, ent *mapping.Entity) {
	q, _ := ent.Identifier.(map[string]any)
	var ids []string
	err := e.cfg.Client.SearchEntities(ctx, ent.Blueprint, port.SearchRequest{Query: q, Include: []string{"identifier"}}, func(page []port.Entity) error {
		for _, p := range page {
			ids = append(ids, p.Identifier)
		}
		return nil
	})
	var why string
	switch {
	case err == nil && len(ids) == 1:
		e.markSeen(ent.Blueprint, ids[0])
		e.planMu.Lock()
		e.plan.Updates = append(e.plan.Updates, PlanEntity{Blueprint: ent.Blueprint, Identifier: ids[0], Block: br.res.Index})
		e.planMu.Unlock()
		br.update(func(r *BlockResult) { r.Updated++ })
		return
	case err != nil:
		why = fmt.Sprintf("%s (search query): would fail: %v", ent.Blueprint, err)
	default:
		why = fmt.Sprintf("%s (search query): would fail: the search identifier matched %d entities, want exactly 1", ent.Blueprint, len(ids))
	}
	e.ledger.unresolvedPlan(why)
	br.update(func(r *BlockResult) {
		r.Failed++
		addSample(&r.WriteErrors, why)
	})
}
