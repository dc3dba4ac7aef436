package sync

import (
	"context"
	"fmt"
	"hash/maphash"
	gosync "sync"

	"github.com/tide-sync/tide/sync/port"
)

// index is the compact snapshot of one blueprint's owned entities:
// identifier → one hash per compare set, plus seen/protected marks
// (docs/architecture.md#concurrency-and-memory). It never holds the
// entities themselves, except on a dry run, where the old values feed the
// field-level plan.
//
// Identifiers are kept in one byte arena and found through a map keyed by
// their 64-bit hash, checked against the arena copy (a rare colliding
// identifier goes to a small overflow map). Nothing in it holds a pointer
// per entity: a million owned entities cost about 66 bytes each
// (BenchmarkIndexMemory), and the garbage collector never scans them.
type index struct {
	blueprint string
	sets      []compareSet
	hashID    func(string) uint64

	mu        gosync.Mutex
	byHash    map[uint64]int32
	overflow  map[string]int32 // identifiers whose hash another one took
	arena     []byte           // identifiers, back to back
	ends      []uint32         // identifier i is arena[ends[i-1]:ends[i]]
	hashes    []uint64         // len(ends) × len(sets)
	seen      []bool
	protected []bool
	olds      [][]fieldValue // dry run only: values per set, flattened like hashes
}

func newIndex(bp string, sets []compareSet) *index {
	seed := maphash.MakeSeed()
	return &index{
		blueprint: bp, sets: sets, byHash: make(map[uint64]int32),
		hashID: func(id string) uint64 { return maphash.String(seed, id) },
	}
}

// idAt returns identifier i; it aliases the arena (valid until the next
// load).
func (x *index) idAt(i int32) []byte {
	start := uint32(0)
	if i > 0 {
		start = x.ends[i-1]
	}
	return x.arena[start:x.ends[i]]
}

// find returns the position of id; x.mu is held.
func (x *index) find(id string) (int32, bool) {
	if i, ok := x.byHash[x.hashID(id)]; ok && string(x.idAt(i)) == id {
		return i, true
	}
	i, ok := x.overflow[id]
	return i, ok
}

// load adds one page of Port entities.
func (x *index) load(h hasher, page []port.Entity, keepOld bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range page {
		e := &page[i]
		id := e.Identifier
		if _, dup := x.find(id); dup {
			continue
		}
		pos := int32(len(x.ends))
		if sum := x.hashID(id); !x.taken(sum) {
			x.byHash[sum] = pos
		} else {
			if x.overflow == nil {
				x.overflow = map[string]int32{}
			}
			x.overflow[id] = pos
		}
		x.arena = append(x.arena, id...)
		x.ends = append(x.ends, uint32(len(x.arena)))
		x.seen = append(x.seen, false)
		x.protected = append(x.protected, false)
		for _, cs := range x.sets {
			vals := cs.portValues(e)
			x.hashes = append(x.hashes, h.sum(vals))
			if keepOld {
				x.olds = append(x.olds, vals)
			}
		}
	}
}

// taken reports whether sum already names an identifier.
func (x *index) taken(sum uint64) bool {
	_, ok := x.byHash[sum]
	return ok
}

// match marks id seen and reports whether Port has it and whether its
// fields in set s hash to sum. old is the Port values on a dry run.
func (x *index) match(id string, s int, sum uint64) (found, equal bool, old []fieldValue) {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, ok := x.find(id)
	if !ok {
		return false, false, nil
	}
	x.seen[i] = true
	k := int(i)*len(x.sets) + s
	if x.olds != nil {
		old = x.olds[k]
	}
	return true, x.hashes[k] == sum, old
}

// markSeen marks id seen (an entity written under a resolved identifier).
func (x *index) markSeen(id string) {
	x.mu.Lock()
	if i, ok := x.find(id); ok {
		x.seen[i] = true
	}
	x.mu.Unlock()
}

// protect marks id as a relation target of a kept entity.
func (x *index) protect(id string) {
	x.mu.Lock()
	if i, ok := x.find(id); ok {
		x.protected[i] = true
	}
	x.mu.Unlock()
}

func (x *index) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.ends)
}

// stale returns the owned identifiers not seen this run, split into those to
// delete and those kept as relation targets (when protect is set).
func (x *index) stale(protect bool) (del, kept []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range int32(len(x.ends)) {
		if x.seen[i] {
			continue
		}
		id := string(x.idAt(i))
		if protect && x.protected[i] {
			kept = append(kept, id)
			continue
		}
		del = append(del, id)
	}
	return del, kept
}

// others holds owned entities of blueprints the selected blocks do not
// write with a constant blueprint: found through the datasource listing, so
// that removing a resource block prunes its entities next run, as Ocean does.
type others struct {
	mu        gosync.Mutex
	ids       map[string]map[string]bool // blueprint → identifier → seen or protected
	protected map[string]map[string]bool
}

func newOthers() *others {
	return &others{ids: map[string]map[string]bool{}, protected: map[string]map[string]bool{}}
}

func (o *others) add(bp, id string) {
	o.mu.Lock()
	m := o.ids[bp]
	if m == nil {
		m = map[string]bool{}
		o.ids[bp] = m
	}
	if _, ok := m[id]; !ok {
		m[id] = false
	}
	o.mu.Unlock()
}

func (o *others) markSeen(bp, id string) {
	o.mu.Lock()
	if m := o.ids[bp]; m != nil {
		if _, ok := m[id]; ok {
			m[id] = true
		}
	}
	o.mu.Unlock()
}

func (o *others) protect(bp, id string) {
	o.mu.Lock()
	if m := o.ids[bp]; m != nil {
		if _, ok := m[id]; ok {
			p := o.protected[bp]
			if p == nil {
				p = map[string]bool{}
				o.protected[bp] = p
			}
			p[id] = true
		}
	}
	o.mu.Unlock()
}

func (o *others) count(bp string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.ids[bp])
}

func (o *others) blueprints() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.ids))
	for bp := range o.ids {
		out = append(out, bp)
	}
	return out
}

func (o *others) stale(bp string, protect bool) (del, kept []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for id, seen := range o.ids[bp] {
		if seen {
			continue
		}
		if protect && o.protected[bp][id] {
			kept = append(kept, id)
			continue
		}
		del = append(del, id)
	}
	return del, kept
}

// ownedQuery is the search query matching entities this integration owns.
func ownedQuery(typ, id string) map[string]any {
	return map[string]any{
		"combinator": "and",
		"rules": []any{
			map[string]any{"property": "$datasource", "operator": "contains", "value": port.DatasourcePrefix(typ)},
			map[string]any{"property": "$datasource", "operator": "contains", "value": port.DatasourceSuffix(id)},
		},
	}
}

// snapshot reads the owned entities of every indexed blueprint and the
// owned refs of every other blueprint. It runs while the resync handlers
// fetch; mapping waits for it before diffing.
func (e *engine) snapshot(ctx context.Context) error {
	keepOld := e.cfg.DryRun
	for _, bp := range e.indexOrder {
		if e.absent[bp] {
			continue
		}
		x := e.indexes[bp]
		seen := map[string]bool{"identifier": true}
		include := []string{"identifier"}
		for _, cs := range x.sets {
			include = cs.include(seen, include)
		}
		req := port.SearchRequest{Query: ownedQuery(e.cfg.Definition.Type, e.cfg.Identifier), Include: include}
		err := e.cfg.Client.SearchEntities(ctx, bp, req, func(page []port.Entity) error {
			x.load(e.hash, page, keepOld)
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading owned entities of blueprint %q: %w", bp, err)
		}
	}
	q := port.DatasourceQuery{
		Prefix: port.DatasourcePrefix(e.cfg.Definition.Type),
		Suffix: port.DatasourceSuffix(e.cfg.Identifier),
		Before: e.start,
	}
	err := e.cfg.Client.DatasourceEntities(ctx, q, func(page []port.EntityRef) error {
		for _, r := range page {
			if _, indexed := e.indexes[r.Blueprint]; indexed {
				continue
			}
			e.others.add(r.Blueprint, r.Identifier)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing owned entities: %w", err)
	}
	return nil
}
