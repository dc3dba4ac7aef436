package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// pending is one entity waiting to be written.
type pending struct {
	block *blockRun
	raw   json.RawMessage
	ent   *mapping.Entity
	// create is the diff's verdict (not in the snapshot); known is false for
	// entities written without a diff, counted by Port's answer instead.
	create, known bool
	// late marks a duplicate's winner rewritten after the loser: the
	// loser's write was already counted.
	late bool
}

// writer batches entities per blueprint into bulk upserts, a bounded number
// in flight (docs/architecture.md#concurrency-and-memory). Producers block
// when the limit is reached, which bounds memory by the pages in flight.
type writer struct {
	e    *engine
	opts port.UpsertOptions

	mu      gosync.Mutex
	batches map[string]*batch
	sizes   map[string]int
	g       errgroup.Group
	bufs    gosync.Pool // *[]byte: batch buffers and encoding scratch

	retryMu gosync.Mutex
	retry   []pending // failed on a missing relation target
}

func newWriter(e *engine) *writer {
	w := &writer{
		e:       e,
		batches: map[string]*batch{},
		sizes:   map[string]int{},
		opts: port.UpsertOptions{
			Merge:                        e.mapping.Config.EnableMergeEntity,
			CreateMissingRelatedEntities: e.mapping.Config.CreateMissingRelatedEntities,
			ResyncID:                     e.cfg.ResyncID,
		},
	}
	w.g.SetLimit(e.cfg.writeConcurrency())
	return w
}

func (w *writer) add(ctx context.Context, br *blockRun, ent *mapping.Entity, create, known bool) {
	w.queue(ctx, pending{block: br, ent: ent, create: create, known: known})
}

// addLate queues a duplicate's winner (see writeLateWinners).
func (w *writer) addLate(ctx context.Context, br *blockRun, ent *mapping.Entity) {
	w.queue(ctx, pending{block: br, ent: ent, late: true})
}

func (w *writer) queue(ctx context.Context, p pending) {
	br, ent := p.block, p.ent
	scratch := w.getBuf()
	raw, err := ent.AppendJSON((*scratch)[:0])
	if err != nil {
		w.putBuf(scratch)
		w.e.ledger.failWrite(false, fmt.Sprintf("encoding entity: %v", err))
		br.update(func(r *BlockResult) {
			r.Failed++
			addSample(&r.WriteErrors, fmt.Sprintf("encoding entity: %v", err))
		})
		return
	}
	bp := ent.Blueprint
	w.mu.Lock()
	if n := w.sizes[bp]; n > 0 && n+len(raw)+64 > port.MaxBulkBytes {
		b := w.batches[bp]
		w.batches[bp], w.sizes[bp] = nil, 0
		w.mu.Unlock()
		w.send(ctx, bp, b)
		w.mu.Lock()
	}
	b := w.batches[bp]
	if b == nil {
		// A batch holds MaxBulkEntities at most: allocated once, not
		// grown by appending.
		b = &batch{items: make([]pending, 0, port.MaxBulkEntities), buf: w.getBuf()}
		w.batches[bp] = b
	}
	start := len(*b.buf)
	*b.buf = append(*b.buf, raw...)
	p.raw = (*b.buf)[start:len(*b.buf):len(*b.buf)]
	b.items = append(b.items, p)
	w.sizes[bp] += len(raw) + 1
	var full *batch
	if len(b.items) >= port.MaxBulkEntities {
		full = b
		w.batches[bp], w.sizes[bp] = nil, 0
	}
	w.mu.Unlock()
	*scratch = raw
	w.putBuf(scratch)
	if full != nil {
		w.send(ctx, bp, full)
	}
}

// batch is the entities of one bulk upsert being gathered. Their JSON
// lies back to back in buf, which goes back to the writer's pool once
// the upsert is done: encoding each entity into its own allocation was a
// twentieth of a first sync's allocations. An entity's raw stays valid
// when buf grows (it keeps the old array); only the last array is
// recycled, after every raw in it is spent.
type batch struct {
	items []pending
	buf   *[]byte
}

// getBuf returns a byte buffer from the writer's pool.
func (w *writer) getBuf() *[]byte {
	if b, ok := w.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 16<<10)
	return &b
}

// putBuf returns b to the pool; a buffer grown past a full request is
// left to the collector. What it held is zeroed first, so a raw still
// in use after its batch (a bug) sends NULs Port refuses, not another
// entity's JSON.
func (w *writer) putBuf(b *[]byte) {
	if cap(*b) <= port.MaxBulkBytes+64<<10 {
		clear(*b)
		*b = (*b)[:0]
		w.bufs.Put(b)
	}
}

// send starts one bulk upsert, waiting for a free slot.
func (w *writer) send(ctx context.Context, bp string, b *batch) {
	w.g.Go(func() error {
		w.upsert(ctx, bp, b.items, true)
		w.putBuf(b.buf) // every raw in it is spent or copied (retry)
		return nil
	})
}

func (w *writer) upsert(ctx context.Context, bp string, batch []pending, mayRetry bool) {
	raws := make([]json.RawMessage, len(batch))
	for i, p := range batch {
		raws[i] = p.raw
	}
	results, err := w.e.cfg.Client.BulkUpsert(ctx, bp, raws, w.opts)
	for i, p := range batch {
		var r port.UpsertResult
		switch {
		case err != nil:
			r.Err = err
		case i < len(results):
			r = results[i]
		default:
			r.Err = errors.New("no result for entity")
		}
		if r.Err == nil {
			if r.Identifier != "" {
				w.e.markSeen(bp, r.Identifier)
			}
			// Counted by the diff where there was one: Port's "created" also
			// says false for an entity it first made as a relation stub.
			created := r.Created
			if p.known {
				created = p.create
			}
			if p.late {
				continue
			}
			p.block.update(func(res *BlockResult) {
				if created {
					res.Created++
				} else {
					res.Updated++
				}
			})
			continue
		}
		// With createMissingRelatedEntities off, an entity whose relation
		// target is written later in the run is retried once at the end,
		// targets first (docs/ocean-compatibility.md#failed-upsert-retry).
		if mayRetry && !w.opts.CreateMissingRelatedEntities && errors.Is(r.Err, port.ErrNotFound) && ctx.Err() == nil {
			p.raw = bytes.Clone(p.raw) // its batch's buffer is recycled
			w.retryMu.Lock()
			w.retry = append(w.retry, p)
			w.retryMu.Unlock()
			continue
		}
		id, plain := p.ent.ID()
		if !plain {
			id = "(search query)"
		}
		msg := fmt.Sprintf("%s %q: %v", bp, id, r.Err)
		w.e.ledger.failWrite(!plain, msg)
		p.block.update(func(res *BlockResult) {
			res.Failed++
			addSample(&res.WriteErrors, msg)
		})
	}
}

// close flushes every partial batch and waits for all writes.
func (w *writer) close(ctx context.Context) {
	w.mu.Lock()
	bps := make([]string, 0, len(w.batches))
	for bp, b := range w.batches {
		if b != nil && len(b.items) > 0 {
			bps = append(bps, bp)
		}
	}
	w.mu.Unlock()
	for _, bp := range bps {
		w.mu.Lock()
		b := w.batches[bp]
		w.batches[bp], w.sizes[bp] = nil, 0
		w.mu.Unlock()
		if b != nil && len(b.items) > 0 {
			w.send(ctx, bp, b)
		}
	}
	_ = w.g.Wait()
}

// retryMissing re-upserts, one at a time and targets first, the entities
// that failed on a missing relation target.
func (w *writer) retryMissing(ctx context.Context) {
	if len(w.retry) == 0 {
		return
	}
	for _, p := range orderTargetsFirst(w.retry) {
		if ctx.Err() != nil {
			_, plain := p.ent.ID()
			w.e.ledger.failWrite(!plain, "a write waiting for its relation target: the run was interrupted")
			p.block.update(func(res *BlockResult) { res.Failed++ })
			continue
		}
		w.upsert(ctx, p.ent.Blueprint, []pending{p}, false)
	}
	w.retry = nil
}

// orderTargetsFirst sorts entities so relation targets come before the
// entities pointing at them; a cycle leaves the rest in their order.
func orderTargetsFirst(ps []pending) []pending {
	byID := map[string]int{} // relation values name identifiers only
	for i, p := range ps {
		if id, ok := p.ent.ID(); ok {
			byID[id] = i
		}
	}
	done := make([]bool, len(ps))
	visiting := make([]bool, len(ps))
	out := make([]pending, 0, len(ps))
	var visit func(i int)
	visit = func(i int) {
		if done[i] || visiting[i] {
			return
		}
		visiting[i] = true
		for _, v := range ps[i].ent.Relations {
			for _, id := range relationIDs(v) {
				if j, ok := byID[id]; ok && j != i {
					visit(j)
				}
			}
		}
		visiting[i] = false
		done[i] = true
		out = append(out, ps[i])
	}
	for i := range ps {
		visit(i)
	}
	return out
}

func addSample(s *[]string, msg string) {
	if len(*s) < maxSamples {
		*s = append(*s, msg)
	}
}
