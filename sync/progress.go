package sync

import (
	gosync "sync"
	"time"
)

// Progress lets a caller watch a running sync: the engine attaches its
// resource blocks when it starts, and Snapshot reads their counters at any
// time from any goroutine. The zero value is ready to use.
type Progress struct {
	mu     gosync.Mutex
	blocks []*blockRun
}

// BlockProgress is one selected resource block's state at a moment.
type BlockProgress struct {
	Index     int
	Kind      string
	Blueprint string // "" when computed per item
	Fetched   int    // items the integration delivered so far
	Written   int    // entities created or updated so far (planned, in a dry run)
	Unchanged int
	Failed    int
	Started   bool // the block's fetch began
	Done      bool // the block's fetch ended (writes may still be in flight)
	Elapsed   time.Duration
	Error     string
}

func (p *Progress) attach(blocks []*blockRun) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocks = blocks
}

// Snapshot returns every selected block's progress, in mapping order; nil
// before the run reached its blocks.
func (p *Progress) Snapshot() []BlockProgress {
	p.mu.Lock()
	blocks := p.blocks
	p.mu.Unlock()
	var out []BlockProgress
	for _, br := range blocks {
		if !br.selected {
			continue
		}
		br.mu.Lock()
		bp := BlockProgress{
			Index: br.res.Index, Kind: br.res.Kind, Blueprint: br.res.Blueprint,
			Fetched: br.res.Fetched, Written: br.res.Created + br.res.Updated,
			Unchanged: br.res.Unchanged, Failed: br.res.Failed,
			Started: !br.started.IsZero(), Done: br.done, Error: br.res.Error,
		}
		switch {
		case br.done:
			bp.Elapsed = time.Duration(br.res.DurationMS) * time.Millisecond
		case bp.Started:
			bp.Elapsed = time.Since(br.started)
		}
		br.mu.Unlock()
		out = append(out, bp)
	}
	return out
}
