package sync

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	gosync "sync"
)

// ledger records what this run saw, kept, wrote and failed. It is the one
// owner of deletion: decide reads it, with the snapshot's seen, protected
// and confirmed marks, and answers for every stale entity whether it may
// be deleted and, if not, why (docs/architecture.md#deletion-one-ledger-decides).
type ledger struct {
	mu          gosync.Mutex
	writeFailed int
	writeSample string
	unresolved  int
	unresSample string
	unreadable  map[string]string // blueprint → why its definition could not be read
	unmappable  map[int]int       // block index → items with no identifier or blueprint
	rels        relationStore     // Port's relations of owned entities
	// wrote holds, for each owned entity this run writes, the relation
	// fields the write sets (a bit per relation number of rels; allRels
	// with enableMergeEntity false, where a write replaces every one).
	wrote map[ref]uint64
}

// allRels marks a write that replaces every relation of its entity.
const allRels = ^uint64(0)

// ref names one entity.
type ref struct{ bp, id string }

// relRef is the target of one relation field of an entity.
type relRef struct {
	rel string
	ref
}

func newLedger() *ledger {
	return &ledger{unreadable: map[string]string{}, unmappable: map[int]int{}}
}

// failWrite records a write that did not land. search marks a write under
// a search identifier: the entity it meant is unknown, so it is unresolved.
func (l *ledger) failWrite(search bool, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeFailed++
	if l.writeSample == "" {
		l.writeSample = what
	}
	if search {
		l.unresolved++
		if l.unresSample == "" {
			l.unresSample = what
		}
	}
}

// noteBlockFailures makes sure failures a block counted outside the
// writer (validation before writing) hold deletes back as well.
func (l *ledger) noteBlockFailures(n int, sample string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writeFailed = max(l.writeFailed, n)
	if l.writeSample == "" {
		l.writeSample = sample
	}
}

// unresolvedPlan records, on a dry run, a search identifier that does not
// match exactly one entity: the real run's write would fail.
func (l *ledger) unresolvedPlan(what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unresolved++
	if l.unresSample == "" {
		l.unresSample = what
	}
}

// unreadableBlueprint records a blueprint whose relations are unknown:
// what its entities protect cannot be told.
func (l *ledger) unreadableBlueprint(bp string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.unreadable[bp]; !ok {
		l.unreadable[bp] = err.Error()
	}
}

// unmappableItem records an item of block that gave no entity for want of
// an identifier or a blueprint.
func (l *ledger) unmappableItem(block int) {
	l.mu.Lock()
	l.unmappable[block]++
	l.mu.Unlock()
}

// addRelations records the relation targets Port holds for an owned
// entity: the one at position pos of bp's index, or named id when bp is
// not indexed (pos negative).
func (l *ledger) addRelations(bp, id string, pos int32, targets []relRef) {
	if len(targets) == 0 {
		return
	}
	l.mu.Lock()
	l.rels.add(bp, id, pos, targets)
	l.mu.Unlock()
}

// wroteRelations records that this run writes the relation fields rels
// of the owned entity bp/id (every one when all is set): there the mapped
// value, not Port's, decides which targets stay.
func (l *ledger) wroteRelations(bp, id string, rels []string, all bool) {
	if id == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var bits uint64
	if all {
		bits = allRels
	} else {
		for _, rel := range rels {
			// A relation Port holds on no owned entity has no number:
			// there is nothing of Port's to set aside. Past 63 relations
			// Port's targets protect (the safe side).
			if n, ok := l.rels.relNum[rel]; ok && n < 63 {
				bits |= 1 << n
			}
		}
		if bits == 0 {
			return
		}
	}
	if l.wrote == nil {
		l.wrote = map[ref]uint64{}
	}
	l.wrote[ref{bp, id}] |= bits
}

// candidate is one stale entity: owned, in the pruned scope, not seen.
type candidate struct {
	ref
	pos    int32 // in its blueprint's index; -1 when not indexed
	marked bool  // a kept entity of this run relates to it
	listed bool  // the datasource-entities listing returns it as owned
	reason Reason
	kept   bool // its relations were counted as protecting
}

// guards are the run-wide and per-blueprint facts why() reads.
type guards struct {
	interrupted  bool
	blockFailed  bool
	writeFailed  bool
	unresolved   bool
	unreadable   bool
	threshold    float64
	overRate     bool            // stale/owned over the threshold, all pruned blueprints together
	overBP       map[string]bool // stale/owned over the threshold within one written blueprint
	unmappableBP map[string]bool // "" stands for every blueprint
	partialBP    map[string]bool // written by a block capped on purpose; "" stands for every blueprint
	protected    map[ref]bool    // targets of relations of entities kept by decide
}

// why returns why the stale entity c may not be deleted, or "" when it
// may. It is the only place that enumerates the reasons.
func (g *guards) why(c *candidate) Reason {
	switch {
	case !c.listed:
		return ReasonNotConfirmed
	case g.interrupted:
		return ReasonInterrupted
	case g.blockFailed:
		return ReasonBlockFailed
	case g.unresolved:
		return ReasonUnresolved
	case g.writeFailed:
		return ReasonWriteFailed
	case g.unreadable:
		return ReasonBlueprint
	case g.threshold == 0:
		return ReasonDeletionOff
	case g.overRate:
		return ReasonThreshold
	case g.unmappableBP[""] || g.unmappableBP[c.bp]:
		return ReasonUnmappable
	case g.partialBP[""] || g.partialBP[c.bp]:
		return ReasonPartial
	case g.overBP[c.bp]:
		return ReasonBPThreshold
	case c.marked || g.protected[c.ref]:
		return ReasonRelationTarget
	}
	return ""
}

// decision is decide's answer: what to delete, and the Deletion record of
// everything else.
type decision struct {
	d   Deletion
	del map[string][]string // blueprint → identifiers, sorted
	g   *guards
}

// decide gathers the stale entities of the pruned scope and asks why() of
// each. Relation targets of every entity that stays (seen this run, out
// of scope, or stale but kept) are protected, to a fixed point. Ocean's
// safe delete does so only with createMissingRelatedEntities on; tide does
// it always, since deleting a target either cascades to the entity that
// stays (delete_dependents=true) or leaves its relation dangling
// (docs/ocean-compatibility.md#relation-targets).
func (e *engine) decide(ctx context.Context, blockFailed bool) decision {
	cfg := e.mapping.Config
	l := e.ledger
	d := Deletion{Threshold: cfg.EntityDeletionThreshold}
	scope, notPruned := e.pruneScope()
	d.Scope, d.NotPruned = scope, notPruned
	inScope := map[string]bool{}
	for _, bp := range scope {
		inScope[bp] = true
	}

	var cands []*candidate
	staleBP := map[string]int{}
	ownedBP := map[string]int{}
	for _, bp := range scope {
		var unseen []unseenEntity
		if x := e.indexes[bp]; x != nil {
			ownedBP[bp] = x.len()
			unseen = x.unseen()
		} else {
			ownedBP[bp] = e.others.count(bp)
			unseen = e.others.unseen(bp)
		}
		d.Owned += ownedBP[bp]
		staleBP[bp] = len(unseen)
		for _, u := range unseen {
			cands = append(cands, &candidate{ref: ref{bp, u.id}, pos: u.pos, marked: u.protected, listed: u.listed})
		}
	}
	d.Stale = len(cands)
	if d.Owned > 0 {
		d.Rate = float64(d.Stale) / float64(d.Owned)
	}

	// Entities refused before they were sent (validation, a field that
	// would be erased) are failed writes too.
	failed, sample := 0, ""
	for _, br := range e.blocks {
		br.mu.Lock()
		failed += br.res.Failed
		if sample == "" && len(br.res.WriteErrors) > 0 {
			sample = br.res.WriteErrors[0]
		}
		br.mu.Unlock()
	}
	if failed > 0 {
		l.noteBlockFailures(failed, sample)
	}
	l.mu.Lock()
	g := &guards{
		interrupted:  ctx.Err() != nil,
		blockFailed:  blockFailed,
		writeFailed:  l.writeFailed > 0,
		unresolved:   l.unresolved > 0,
		unreadable:   len(l.unreadable) > 0,
		threshold:    cfg.EntityDeletionThreshold,
		overRate:     d.Rate > cfg.EntityDeletionThreshold,
		overBP:       map[string]bool{},
		unmappableBP: map[string]bool{},
		partialBP:    map[string]bool{},
		protected:    map[ref]bool{},
	}
	for _, br := range e.blocks {
		if br.selected && br.res.Partial != "" {
			g.partialBP[br.bp] = true // "" for a computed blueprint: every one
		}
	}
	for idx, n := range l.unmappable {
		if n == 0 {
			continue
		}
		for _, br := range e.blocks {
			if br.res.Index == idx {
				g.unmappableBP[br.bp] = true // "" for a computed blueprint: every one
			}
		}
	}
	rels := &l.rels
	l.mu.Unlock()
	// The per-blueprint threshold applies to blueprints a selected block
	// writes: there an empty or short listing is suspicious. A blueprint no
	// block writes any more is pruned under the overall threshold alone, so
	// removing a resource block still prunes its entities (as Ocean does).
	// A selected block whose blueprint is computed per item may write any
	// blueprint, and an empty listing shows none of them: then every
	// blueprint counts as written.
	computed := false
	for _, br := range e.blocks {
		computed = computed || (br.selected && br.bp == "")
	}
	for bp, n := range staleBP {
		if (computed || e.owner(bp) != nil) && ownedBP[bp] > 0 && float64(n)/float64(ownedBP[bp]) > cfg.EntityDeletionThreshold {
			g.overBP[bp] = true
		}
	}

	wrote := l.wrote
	keep := func(r ref, pos int32) bool {
		changed := false
		var skip uint64
		if len(wrote) > 0 {
			if r.id == "" {
				r.id = e.indexes[r.bp].idString(pos)
			}
			skip = wrote[r]
		}
		rels.targets(r, pos, func(rel uint64, t ref) {
			if skip == allRels || (rel < 63 && skip&(1<<rel) != 0) {
				return // this run wrote that relation: its mapped value protects
			}
			if !g.protected[t] {
				g.protected[t] = true
				changed = true
			}
		})
		return changed
	}
	// An owned entity that stays keeps the targets of the relations Port
	// holds on it, but for the relation fields this run writes there (the
	// mapped value protects those): dropping a relation from the mapping,
	// which a merge upsert leaves in Port, must not let a cascade delete
	// the entity through its old target. Owned entities outside the scope
	// all stay; in scope, the seen ones do now and the kept stale ones
	// below.
	rels.sources(func(bp, id string, pos int32) {
		if pos >= 0 {
			x := e.indexes[bp]
			if !inScope[bp] || x.seenAt(pos) {
				keep(ref{bp, x.idString(pos)}, pos)
			}
			return
		}
		if r := (ref{bp, id}); !inScope[bp] || e.seen(r) {
			keep(r, -1)
		}
	})
	for changed := true; changed; {
		changed = false
		for _, c := range cands {
			c.reason = g.why(c)
			if c.reason != "" && !c.kept {
				c.kept = true
				if keep(c.ref, c.pos) {
					changed = true
				}
			}
		}
	}

	del := map[string][]string{}
	guardCount := map[Reason]int{}
	for _, c := range cands {
		if c.reason == "" {
			del[c.bp] = append(del[c.bp], c.id)
			continue
		}
		d.Entities = append(d.Entities, KeptEntity{Blueprint: c.bp, Identifier: c.id, Reason: c.reason})
		if c.reason.Guard() {
			d.Blocked++
			guardCount[c.reason]++
		} else {
			d.Kept++
		}
	}
	for bp := range del {
		sort.Strings(del[bp])
	}
	sortKept(d.Entities)
	d.Reason = e.reasonText(g, guardCount, d, staleBP, ownedBP)
	return decision{d: d, del: del, g: g}
}

// seen reports whether this run wrote or matched r.
func (e *engine) seen(r ref) bool {
	if x := e.indexes[r.bp]; x != nil {
		return x.isSeen(r.id)
	}
	return e.others.isSeen(r.bp, r.id)
}

// reasonText explains, in one line, the guards that blocked deletes.
func (e *engine) reasonText(g *guards, n map[Reason]int, d Deletion, staleBP, ownedBP map[string]int) string {
	l := e.ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	if n[ReasonInterrupted] > 0 {
		parts = append(parts, "the run was interrupted")
	}
	if n[ReasonBlockFailed] > 0 {
		parts = append(parts, "a resource block failed, so the source state is incomplete")
	}
	if n[ReasonUnresolved] > 0 {
		parts = append(parts, fmt.Sprintf("%d search identifiers matched no single entity (first: %s), so which entity they keep is unknown", l.unresolved, l.unresSample))
	}
	if n[ReasonWriteFailed] > 0 {
		parts = append(parts, fmt.Sprintf("%d writes failed (first: %s); a run that could not write what it saw deletes nothing", l.writeFailed, l.writeSample))
	}
	if n[ReasonBlueprint] > 0 {
		bps := make([]string, 0, len(l.unreadable))
		for bp := range l.unreadable {
			bps = append(bps, bp)
		}
		sort.Strings(bps)
		parts = append(parts, fmt.Sprintf("the relations of blueprint %q could not be read (%s), so the relation targets to keep are unknown", bps[0], l.unreadable[bps[0]]))
	}
	if n[ReasonDeletionOff] > 0 {
		parts = append(parts, "entityDeletionThreshold is 0, so stale entities are never deleted")
	}
	if n[ReasonThreshold] > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d owned entities (%.1f%%) are stale, above entityDeletionThreshold %g (%.0f%%); check the source, or raise the threshold",
			d.Stale, d.Owned, d.Rate*100, g.threshold, g.threshold*100))
	}
	if n[ReasonUnmappable] > 0 {
		var bs []string
		for _, br := range e.blocks {
			if k := l.unmappable[br.res.Index]; k > 0 {
				bp := br.bp
				if bp == "" {
					bp = "every blueprint (computed per item)"
				} else {
					bp = fmt.Sprintf("%q", bp)
				}
				bs = append(bs, fmt.Sprintf("resources[%d] (kind %q) had %d items with no identifier or blueprint, so %s is not pruned", br.res.Index, br.res.Kind, k, bp))
			}
		}
		parts = append(parts, strings.Join(bs, "; "))
	}
	if n[ReasonPartial] > 0 {
		var bs []string
		for _, br := range e.blocks {
			if br.selected && br.res.Partial != "" {
				bp := fmt.Sprintf("%q", br.bp)
				if br.bp == "" {
					bp = "every blueprint (computed per item)"
				}
				bs = append(bs, fmt.Sprintf("resources[%d] (kind %q) was capped on purpose (allow_partial), so %s is not pruned: a capped listing cannot tell entities it did not list from deleted ones", br.res.Index, br.res.Kind, bp))
			}
		}
		parts = append(parts, strings.Join(bs, "; "))
	}
	if n[ReasonBPThreshold] > 0 {
		bps := make([]string, 0, len(g.overBP))
		for bp := range g.overBP {
			bps = append(bps, bp)
		}
		sort.Strings(bps)
		for _, bp := range bps {
			parts = append(parts, fmt.Sprintf("%d of %d owned %q entities are stale, above entityDeletionThreshold %g for that blueprint; check the source, or raise the threshold",
				staleBP[bp], ownedBP[bp], bp, g.threshold))
		}
	}
	if n[ReasonRefused] > 0 {
		parts = append(parts, fmt.Sprintf("Port refused %d deletes (entities other entities require; delete_dependents=false)", n[ReasonRefused]))
	}
	return strings.Join(parts, "; ")
}

func sortKept(ks []KeptEntity) {
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].Blueprint != ks[j].Blueprint {
			return ks[i].Blueprint < ks[j].Blueprint
		}
		return ks[i].Identifier < ks[j].Identifier
	})
}

// relationStore holds the relation targets Port has for owned entities.
// A re-sync reads them for every owned entity but needs them only for the
// few it does not see again, so they are kept compactly: one byte arena
// holds each entity's targets (a count, then per target its blueprint's
// number and its identifier), and an entity finds its offset by its
// position in the snapshot index when its blueprint is indexed (4 bytes
// an entity, no second copy of its identifier), or through a map of
// identifiers otherwise (owned entities of blueprints no selected block
// writes).
type relationStore struct {
	bps    []string          // target blueprints by number
	bpNum  map[string]uint64 // target blueprint → number
	relNum map[string]uint64 // relation field → number
	byPos  map[string][]uint32
	at     map[string]map[string]uint32
	arena  []byte
}

// add records the targets of the entity of bp at position pos of bp's
// index, or named id when pos is negative (bp not indexed), replacing any
// recorded before.
func (s *relationStore) add(bp, id string, pos int32, targets []relRef) {
	if s.bpNum == nil {
		s.bpNum, s.relNum, s.byPos, s.at = map[string]uint64{}, map[string]uint64{}, map[string][]uint32{}, map[string]map[string]uint32{}
	}
	off := uint32(len(s.arena))
	if pos >= 0 {
		offs := s.byPos[bp]
		if int(pos) >= len(offs) {
			offs = append(offs, make([]uint32, int(pos)+1-len(offs))...)
		}
		offs[pos] = off + 1 // 0: none recorded
		s.byPos[bp] = offs
	} else {
		ids := s.at[bp]
		if ids == nil {
			ids = map[string]uint32{}
			s.at[bp] = ids
		}
		ids[id] = off
	}
	s.arena = binary.AppendUvarint(s.arena, uint64(len(targets)))
	for _, t := range targets {
		n, ok := s.bpNum[t.bp]
		if !ok {
			n = uint64(len(s.bps))
			s.bps = append(s.bps, t.bp)
			s.bpNum[t.bp] = n
		}
		r, ok := s.relNum[t.rel]
		if !ok {
			r = uint64(len(s.relNum))
			s.relNum[t.rel] = r
		}
		s.arena = binary.AppendUvarint(s.arena, n)
		s.arena = binary.AppendUvarint(s.arena, r)
		s.arena = binary.AppendUvarint(s.arena, uint64(len(t.id)))
		s.arena = append(s.arena, t.id...)
	}
}

// targets calls fn with each recorded target of src and the number of
// its relation field, found at position
// pos of its blueprint's index, or by identifier when pos is negative.
func (s *relationStore) targets(src ref, pos int32, fn func(rel uint64, t ref)) {
	var off uint32
	if pos >= 0 {
		offs := s.byPos[src.bp]
		if int(pos) >= len(offs) || offs[pos] == 0 {
			return
		}
		off = offs[pos] - 1
	} else {
		var ok bool
		if off, ok = s.at[src.bp][src.id]; !ok {
			return
		}
	}
	b := s.arena[off:]
	next := func() uint64 {
		v, n := binary.Uvarint(b)
		b = b[n:]
		return v
	}
	for range next() {
		bp := s.bps[next()]
		rel := next()
		n := next()
		fn(rel, ref{bp, string(b[:n])})
		b = b[n:]
	}
}

// sources calls fn with every entity whose targets are recorded: by
// position in bp's index (id empty), or by identifier (pos -1).
func (s *relationStore) sources(fn func(bp, id string, pos int32)) {
	for bp, offs := range s.byPos {
		for i, off := range offs {
			if off != 0 {
				fn(bp, "", int32(i))
			}
		}
	}
	for bp, ids := range s.at {
		for id := range ids {
			fn(bp, id, -1)
		}
	}
}
