package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	tsync "github.com/tide-sync/tide/sync"
)

// Progress modes of --progress.
const (
	progressAuto  = "auto"
	progressLines = "lines"
	progressLive  = "live"
	progressNone  = "none"
)

// progressReporter shows a running sync's blocks: a log line per block at a
// steady interval (CI logs), or a live status redrawn in place (a
// terminal).
type progressReporter struct {
	p        snapshotter
	mode     string
	interval time.Duration
	log      *slog.Logger
	w        io.Writer // the live status's terminal
	drawn    int       // lines of the live status on screen
	// tick starts a ticker of period d and returns its channel and its
	// stop; nil is time.NewTicker (tests tick by hand).
	tick func(d time.Duration) (<-chan time.Time, func())
}

// snapshotter is what the reporter reads: *tsync.Progress.
type snapshotter interface {
	Snapshot() []tsync.BlockProgress
}

// resolveProgress turns auto into lines or live.
func resolveProgress(mode string, stderr io.Writer) (string, error) {
	switch mode {
	case progressAuto, "":
		if isTerminal(stderr) {
			return progressLive, nil
		}
		return progressLines, nil
	case progressLines, progressLive, progressNone:
		return mode, nil
	}
	return "", fmt.Errorf("%w: --progress %q: want auto, lines, live or none", errUsage, mode)
}

// run reports until ctx ends; the caller cancels ctx when the sync
// returns. It runs in the caller's errgroup.
func (r *progressReporter) run(ctx context.Context) error {
	if r.mode == progressNone {
		return nil
	}
	every := r.interval
	if r.mode == progressLive {
		every = time.Second
	}
	tick := r.tick
	if tick == nil {
		tick = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	ticks, stop := tick(every)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			if r.mode == progressLive {
				r.draw()
			}
			return nil
		case <-ticks:
			if r.mode == progressLive {
				r.draw()
			} else {
				r.lines()
			}
		}
	}
}

// lines logs one line per block that is fetching or has fetched.
func (r *progressReporter) lines() {
	for _, b := range r.p.Snapshot() {
		if !b.Started {
			continue
		}
		state := "fetching"
		if b.Done {
			state = "fetched"
		}
		r.log.Info("progress", "block", fmt.Sprintf("resources[%d]", b.Index), "kind", b.Kind, "state", state,
			"fetched", b.Fetched, "written", b.Written, "unchanged", b.Unchanged, "failed", b.Failed,
			"rate", rate(b), "elapsed", b.Elapsed.Round(time.Second).String())
	}
}

// draw redraws the live status: one line per block.
func (r *progressReporter) draw() {
	snap := r.p.Snapshot()
	if len(snap) == 0 {
		return
	}
	var sb strings.Builder
	if r.drawn > 0 {
		fmt.Fprintf(&sb, "\x1b[%dA", r.drawn)
	}
	for _, b := range snap {
		mark := "·"
		switch {
		case b.Error != "":
			mark = "✗"
		case b.Done:
			mark = "✓"
		case b.Started:
			mark = "…"
		}
		fmt.Fprintf(&sb, "\r\x1b[K%s resources[%d] %-20s %7d fetched %7d written %7d unchanged %5d failed %s %s\n",
			mark, b.Index, b.Kind, b.Fetched, b.Written, b.Unchanged, b.Failed, rate(b), b.Elapsed.Round(time.Second))
	}
	r.drawn = len(snap)
	io.WriteString(r.w, sb.String())
}

// rate is items fetched a second, as text.
func rate(b tsync.BlockProgress) string {
	if b.Elapsed < time.Second/10 {
		return "-"
	}
	return fmt.Sprintf("%.1f/s", float64(b.Fetched)/b.Elapsed.Seconds())
}

// withProgress runs fn while r reports, and stops the reporter when fn
// returns.
func withProgress[T any](ctx context.Context, r *progressReporter, fn func() (T, error)) (T, error) {
	pctx, stop := context.WithCancel(ctx)
	var g errgroup.Group
	g.Go(func() error { return r.run(pctx) })
	res, err := fn()
	stop()
	_ = g.Wait() // the reporter returns nil
	return res, err
}
