package sync

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"sort"
	gosync "sync"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// idSet is a set of identifiers, each at a position (the order they were
// added). Identifiers are kept in one byte arena and found through a map
// keyed by their 64-bit hash, checked against the arena copy (a rare
// colliding identifier goes to a small overflow map). Nothing in it holds
// a pointer per identifier, so the garbage collector never scans them.
// It does not lock: its owner does.
type idSet struct {
	hashID   func(string) uint64
	byHash   map[uint64]int32
	overflow map[string]int32 // identifiers whose hash another one took
	arena    []byte           // identifiers, back to back
	ends     []uint32         // identifier i is arena[ends[i-1]:ends[i]]
}

func newIDSet() idSet {
	seed := maphash.MakeSeed()
	return idSet{byHash: make(map[uint64]int32), hashID: func(id string) uint64 { return maphash.String(seed, id) }}
}

// idAt returns identifier i; it aliases the arena (valid until the next
// add).
func (s *idSet) idAt(i int32) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.arena[start:s.ends[i]]
}

// find returns the position of id.
func (s *idSet) find(id string) (int32, bool) {
	if i, ok := s.byHash[s.hashID(id)]; ok && string(s.idAt(i)) == id {
		return i, true
	}
	i, ok := s.overflow[id]
	return i, ok
}

// add adds id, which the set does not hold, and returns its position.
func (s *idSet) add(id string) int32 {
	pos := int32(len(s.ends))
	if sum := s.hashID(id); !s.taken(sum) {
		s.byHash[sum] = pos
	} else {
		if s.overflow == nil {
			s.overflow = map[string]int32{}
		}
		s.overflow[id] = pos
	}
	s.arena = append(s.arena, id...)
	s.ends = append(s.ends, uint32(len(s.arena)))
	return pos
}

// index is the compact snapshot of one blueprint's owned entities:
// identifier → one hash per compare set, plus seen/protected marks
// (docs/architecture.md#concurrency-and-memory). It never holds the
// entities themselves, except on a dry run, where the old values feed the
// field-level plan. A million owned entities cost about 67 bytes each
// (BenchmarkIndexMemory).
type index struct {
	blueprint string
	sets      []compareSet

	mu        gosync.Mutex
	ids       idSet
	hashes    []uint64 // len(ends) × len(sets)
	seen      []bool
	protected []bool
	listed    []bool         // returned by the datasource-entities listing
	olds      [][]fieldValue // dry run only: values per set, flattened like hashes
}

func newIndex(bp string, sets []compareSet) *index {
	return &index{blueprint: bp, sets: sets, ids: newIDSet()}
}

// idAt returns identifier i; it aliases the arena (valid until the next
// load).
func (x *index) idAt(i int32) []byte { return x.ids.idAt(i) }

// find returns the position of id; x.mu is held.
func (x *index) find(id string) (int32, bool) { return x.ids.find(id) }

// slotField is one compared field of a compare set on a projected page:
// the bytes its hash starts with ("properties.lang" and a zero byte) and
// the page slot holding its value.
type slotField struct {
	head string
	slot int
	team bool // compared as a set (normTeam)
}

// projection lists the fields the snapshot reads of x's entities (the
// union of its compare sets', every relation too when relations is set)
// and, per compare set, its fields in hashing order.
func (x *index) projection(relations bool) (*port.Projection, [][]slotField) {
	p := &port.Projection{AllRelations: relations}
	props, rels := map[string]int{}, map[string]int{}
	for _, cs := range x.sets {
		p.Title = p.Title || cs.has&mapping.HasTitle != 0
		p.Icon = p.Icon || cs.has&mapping.HasIcon != 0
		p.Team = p.Team || cs.has&mapping.HasTeam != 0
		for _, name := range cs.props {
			if _, ok := props[name]; !ok {
				props[name] = len(p.Properties)
				p.Properties = append(p.Properties, name)
			}
		}
		for _, name := range cs.rels {
			if _, ok := rels[name]; !ok {
				rels[name] = len(p.Relations)
				p.Relations = append(p.Relations, name)
			}
		}
	}
	fields := make([][]slotField, len(x.sets))
	for s, cs := range x.sets {
		// The order of compareSet.sum.
		if cs.has&mapping.HasTitle != 0 {
			fields[s] = append(fields[s], slotField{head: "title\x00", slot: port.SlotTitle})
		}
		if cs.has&mapping.HasIcon != 0 {
			fields[s] = append(fields[s], slotField{head: "icon\x00", slot: port.SlotIcon})
		}
		if cs.has&mapping.HasTeam != 0 {
			fields[s] = append(fields[s], slotField{head: "team\x00", slot: port.SlotTeam, team: true})
		}
		for _, name := range cs.props {
			fields[s] = append(fields[s], slotField{head: "properties." + name + "\x00", slot: p.PropertySlot(props[name])})
		}
		for _, name := range cs.rels {
			fields[s] = append(fields[s], slotField{head: "relations." + name + "\x00", slot: p.RelationSlot(rels[name])})
		}
	}
	return p, fields
}

// pageLoader hashes projected pages for one index; it is not safe for
// concurrent use (the snapshot reads pages one after another).
type pageLoader struct {
	x       *index
	h       hasher
	fields  [][]slotField
	keepOld bool
	cz      canon
	buf     []byte
	sums    []uint64
}

// load adds one projected page of Port entities. Each compare set's hash
// is the one compareSet.sum gives for the decoded entity; the hashing runs
// before x is locked, so the diff's lookups do not wait for it.
func (l *pageLoader) load(page *port.ProjectedPage) error {
	n, sets := page.Len(), len(l.fields)
	l.sums = l.sums[:0]
	var olds [][]fieldValue
	for i := range n {
		for _, fs := range l.fields {
			sum, err := l.sum(page, i, fs)
			if err != nil {
				return fmt.Errorf("entity %q: %w", page.Identifier(i), err)
			}
			l.sums = append(l.sums, sum)
			if l.keepOld {
				old, err := oldValues(page, i, fs)
				if err != nil {
					return fmt.Errorf("entity %q: %w", page.Identifier(i), err)
				}
				olds = append(olds, old)
			}
		}
	}
	x := l.x
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range n {
		id := page.Identifier(i)
		if _, dup := x.find(id); dup {
			continue
		}
		x.ids.add(id)
		x.seen = append(x.seen, false)
		x.protected = append(x.protected, false)
		x.listed = append(x.listed, false)
		x.hashes = append(x.hashes, l.sums[i*sets:(i+1)*sets]...)
		if l.keepOld {
			x.olds = append(x.olds, olds[i*sets:(i+1)*sets]...)
		}
	}
	return nil
}

// sum hashes entity i's fields fs as compareSet.sum does.
func (l *pageLoader) sum(page *port.ProjectedPage, i int, fs []slotField) (uint64, error) {
	var mh maphash.Hash
	mh.SetSeed(l.h.seed)
	for _, f := range fs {
		b := append(l.buf[:0], f.head...)
		raw := page.Field(i, f.slot)
		var err error
		switch {
		case raw == nil:
			b = append(b, 'z')
		case f.team && (raw[0] == '"' || raw[0] == '['):
			// A string or a list: the set normTeam makes of it.
			var v any
			if v, err = jsonx.Decode(raw); err == nil {
				b = appendCanonical(b, normTeam(v))
			}
		default:
			b, err = l.cz.append(b, raw)
		}
		if err != nil {
			return 0, err
		}
		mh.Write(b)
		l.buf = b
	}
	return mh.Sum64(), nil
}

// oldValues decodes entity i's fields fs for the dry-run plan, as
// compareSet.values lists them.
func oldValues(page *port.ProjectedPage, i int, fs []slotField) ([]fieldValue, error) {
	out := make([]fieldValue, 0, len(fs))
	for _, f := range fs {
		var v any
		if raw := page.Field(i, f.slot); raw != nil {
			var err error
			if v, err = jsonx.Decode(raw); err != nil {
				return nil, err
			}
		}
		if f.team {
			v = normTeam(v)
		}
		out = append(out, fieldValue{f.head[:len(f.head)-1], v})
	}
	return out, nil
}

// taken reports whether sum already names an identifier.
func (s *idSet) taken(sum uint64) bool {
	_, ok := s.byHash[sum]
	return ok
}

// match marks id seen and reports whether Port has it and whether its
// fields in set s hash to sum. old is the Port values on a dry run.
func (x *index) match(id string, s int, sum uint64) (found, equal bool, old []fieldValue) {
	found, stored, old := x.lookup(id, s)
	return found, found && stored == sum, old
}

// lookup marks id seen and returns, when Port has it, the hash of its
// fields in set s and (on a dry run) their values. The diff hashes the
// mapped entity only when it is found: on a first sync none is, and
// that hash was a twentieth of the run's CPU.
func (x *index) lookup(id string, s int) (found bool, sum uint64, old []fieldValue) {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, ok := x.find(id)
	if !ok {
		return false, 0, nil
	}
	x.seen[i] = true
	k := int(i)*len(x.sets) + s
	if x.olds != nil {
		old = x.olds[k]
	}
	return true, x.hashes[k], old
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
	return len(x.ids.ends)
}

// confirm marks id as returned by the datasource-entities listing.
func (x *index) confirm(id string) {
	x.mu.Lock()
	if i, ok := x.find(id); ok {
		x.listed[i] = true
	}
	x.mu.Unlock()
}

func (x *index) isSeen(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, ok := x.find(id)
	return ok && x.seen[i]
}

// unseenEntity is an owned entity this run did not see.
type unseenEntity struct {
	id                string
	pos               int32 // in the index; -1 for others
	protected, listed bool
}

// seenAt reports whether the entity at position i was seen.
func (x *index) seenAt(i int32) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.seen[i]
}

// idString returns identifier i.
func (x *index) idString(i int32) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return string(x.idAt(i))
}

// pos returns the position of id.
func (x *index) pos(id string) (int32, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.find(id)
}

// unseen returns the owned entities not seen this run.
func (x *index) unseen() []unseenEntity {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []unseenEntity
	for i := range int32(len(x.ids.ends)) {
		if x.seen[i] {
			continue
		}
		out = append(out, unseenEntity{id: string(x.idAt(i)), pos: i, protected: x.protected[i], listed: x.listed[i]})
	}
	return out
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

// unseen returns bp's owned entities not seen this run; the listing found
// every one of them.
func (o *others) unseen(bp string) []unseenEntity {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []unseenEntity
	for id, seen := range o.ids[bp] {
		if !seen {
			out = append(out, unseenEntity{id: id, pos: -1, protected: o.protected[bp][id], listed: true})
		}
	}
	return out
}

func (o *others) isSeen(bp, id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ids[bp][id]
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
//
// The paged search's `$datasource contains` rules decide what the index
// holds, but Port documents that rule for the global search only; the
// datasource-entities listing (what Ocean uses) confirms each owned entity,
// and an entity it does not return is never deleted
// (docs/port-api.md#owned-entities-paged-search).
func (e *engine) snapshot(ctx context.Context) error {
	// The owned entities of each indexed blueprint (paged by cursor, one
	// page ahead) and the datasource-entities listing are read side by
	// side: the snapshot gates every block's diff, so its length is wall
	// time for the whole run. A listing that confirms an entity of a
	// blueprint still being read waits in conf until that index is whole.
	conf := newConfirmations(e.indexOrder, e.absent, maxPendingConfirmations)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return e.listOwned(gctx, conf) })
	sem := make(chan struct{}, maxSnapshotSearches)
	for _, bp := range e.indexOrder {
		if e.absent[bp] {
			continue
		}
		g.Go(func() error {
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-sem }()
			if err := e.readOwned(gctx, bp); err != nil {
				return err
			}
			conf.loaded(e.indexes[bp], bp)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// The relations of owned entities no selected block writes protect
	// their targets too (with --kinds, a shard must keep what another
	// shard's entities point at).
	bps := e.others.blueprints()
	sort.Strings(bps)
	for _, bp := range bps {
		def := e.relationsOf(ctx, bp)
		if def == nil {
			continue
		}
		req := port.SearchRequest{Query: ownedQuery(e.cfg.Definition.Type, e.cfg.Identifier), Include: []string{"identifier", "relations"}}
		err := e.cfg.Client.SearchProjected(ctx, bp, req, &port.Projection{AllRelations: true}, func(page *port.ProjectedPage) error {
			return e.recordRelations(def, bp, nil, page)
		})
		if err != nil {
			return fmt.Errorf("reading relations of owned entities of blueprint %q: %w", bp, err)
		}
	}
	return nil
}

// maxSnapshotSearches is how many blueprints' owned entities are read at
// once (each with one page requested ahead).
const maxSnapshotSearches = 3

// readOwned loads the owned entities of the indexed blueprint bp into its
// index, with the relations they hold.
func (e *engine) readOwned(ctx context.Context, bp string) error {
	x := e.indexes[bp]
	seen := map[string]bool{"identifier": true}
	include := []string{"identifier"}
	for _, cs := range x.sets {
		include = cs.include(seen, include)
	}
	def := e.relationsOf(ctx, bp)
	if def != nil {
		include = append(include, "relations")
	}
	req := port.SearchRequest{Query: ownedQuery(e.cfg.Definition.Type, e.cfg.Identifier), Include: include}
	proj, fields := x.projection(def != nil)
	l := &pageLoader{x: x, h: e.hash, fields: fields, keepOld: e.cfg.DryRun}
	err := e.cfg.Client.SearchProjected(ctx, bp, req, proj, func(page *port.ProjectedPage) error {
		if err := l.load(page); err != nil {
			return err
		}
		return e.recordRelations(def, bp, x, page)
	})
	if err != nil {
		return fmt.Errorf("reading owned entities of blueprint %q: %w", bp, err)
	}
	return nil
}

// listOwned reads the datasource-entities listing: it confirms the owned
// entities of indexed blueprints (through conf) and records those of
// every other blueprint.
func (e *engine) listOwned(ctx context.Context, conf *confirmations) error {
	q := port.DatasourceQuery{
		Prefix: port.DatasourcePrefix(e.cfg.Definition.Type),
		Suffix: port.DatasourceSuffix(e.cfg.Identifier),
		Before: e.start,
	}
	err := e.cfg.Client.DatasourceEntities(ctx, q, func(page []port.EntityRef) error {
		for _, r := range page {
			if x, indexed := e.indexes[r.Blueprint]; indexed {
				if err := conf.confirm(ctx, x, r.Blueprint, r.Identifier); err != nil {
					return err
				}
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

// maxPendingConfirmations bounds the identifiers the listing holds for
// indexes still loading (about 40 bytes each); past it the listing waits
// for the index it is ahead of.
var maxPendingConfirmations = 16384

// confirmations applies the listing's confirmations to indexes that may
// still be loading: index.confirm ignores an identifier the index does not
// hold, so one confirmed before its blueprint's index is whole waits here
// until it is.
type confirmations struct {
	mu  gosync.Mutex
	bps map[string]*confirmState
	n   int // identifiers pending, all blueprints
	max int
}

type confirmState struct {
	whole   bool
	loaded  chan struct{} // closed once whole
	pending []string
}

// newConfirmations tracks the indexed blueprints; an absent one is whole
// (empty) from the start.
func newConfirmations(indexed []string, absent map[string]bool, max int) *confirmations {
	c := &confirmations{bps: map[string]*confirmState{}, max: max}
	for _, bp := range indexed {
		st := &confirmState{loaded: make(chan struct{})}
		if absent[bp] {
			st.whole = true
			close(st.loaded)
		}
		c.bps[bp] = st
	}
	return c
}

// confirm marks id listed in bp's index x, now or once x is whole. When
// too many wait, it returns only once x is whole (or ctx ends).
func (c *confirmations) confirm(ctx context.Context, x *index, bp, id string) error {
	c.mu.Lock()
	st := c.bps[bp]
	if st == nil || st.whole {
		c.mu.Unlock()
		x.confirm(id)
		return nil
	}
	st.pending = append(st.pending, id)
	c.n++
	full := c.n >= c.max
	c.mu.Unlock()
	if !full {
		return nil
	}
	select {
	case <-st.loaded:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loaded marks bp's index x whole and applies what waited for it.
func (c *confirmations) loaded(x *index, bp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.bps[bp]
	if st == nil || st.whole {
		return
	}
	for _, id := range st.pending {
		x.confirm(id)
	}
	c.n -= len(st.pending)
	st.pending, st.whole = nil, true
	close(st.loaded)
}

// relationsOf returns bp's definition when it has relations, nil when it
// has none or cannot be read (recorded in the ledger: deletes wait).
func (e *engine) relationsOf(ctx context.Context, bp string) *bpDef {
	def, err := e.bpDefs.fetch(ctx, bp)
	if err != nil {
		e.ledger.unreadableBlueprint(bp, fmt.Errorf("reading blueprint %q: %w", bp, err))
		return nil
	}
	if def == nil || len(def.targets) == 0 {
		return nil
	}
	return def
}

// recordRelations keeps the relation targets Port holds for a page of
// owned entities, by their position in x when bp is indexed (x not nil).
func (e *engine) recordRelations(def *bpDef, bp string, x *index, page *port.ProjectedPage) error {
	if def == nil {
		return nil
	}
	var ts []relRef // reused: the ledger copies the targets
	for i := range page.Len() {
		ts = ts[:0]
		for _, r := range page.RelationsOf(i) {
			target := def.relationTarget(r.Name)
			if target == "" {
				continue
			}
			ids, err := rawRelationIDs(r.Value)
			if err != nil {
				return fmt.Errorf("entity %q: relation %q: %w", page.Identifier(i), r.Name, err)
			}
			for _, id := range ids {
				ts = append(ts, relRef{r.Name, ref{target, id}})
			}
		}
		if len(ts) == 0 {
			continue
		}
		id := page.Identifier(i)
		pos := int32(-1)
		if x != nil {
			p, ok := x.pos(id)
			if !ok {
				continue // not loaded: cannot happen, load adds every entity
			}
			pos = p
		}
		e.ledger.addRelations(bp, id, pos, ts)
	}
	return nil
}

// rawRelationIDs lists the identifiers a relation value holds, as
// relationIDs does for the decoded value: a string, or the strings of a
// list.
func rawRelationIDs(raw []byte) ([]string, error) {
	switch raw[0] {
	case '"':
		if s := raw[1 : len(raw)-1]; bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
			return []string{string(s)}, nil
		}
	case '[':
	default:
		return nil, nil
	}
	v, err := jsonx.Decode(raw)
	if err != nil {
		return nil, err
	}
	return relationIDs(v), nil
}
