package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	tsync "github.com/tide-sync/tide/sync"
)

// fixedProgress hands out fixed states, one a Snapshot, the last one
// again once they run out.
type fixedProgress struct {
	mu     gosync.Mutex
	states [][]tsync.BlockProgress
	calls  int
}

func (f *fixedProgress) Snapshot() []tsync.BlockProgress {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.states[min(f.calls, len(f.states)-1)]
	f.calls++
	return s
}

// progressStates is a run seen twice: a block fetching, one not started,
// one done quickly and one failed; then the first one done.
var progressStates = [][]tsync.BlockProgress{
	{
		{Index: 0, Kind: "repository", Fetched: 150, Written: 100, Unchanged: 20, Started: true, Elapsed: 10 * time.Second},
		{Index: 1, Kind: "pull-request"},
		{Index: 2, Kind: "team", Fetched: 3, Written: 1, Unchanged: 2, Started: true, Done: true, Elapsed: 50 * time.Millisecond},
		{Index: 3, Kind: "issue", Failed: 2, Started: true, Done: true, Elapsed: 2400 * time.Millisecond, Error: "github: 403"},
	},
	{
		{Index: 0, Kind: "repository", Fetched: 300, Written: 250, Unchanged: 50, Started: true, Done: true, Elapsed: 20 * time.Second},
		{Index: 1, Kind: "pull-request", Fetched: 7, Started: true, Elapsed: 1500 * time.Millisecond},
		{Index: 2, Kind: "team", Fetched: 3, Written: 1, Unchanged: 2, Started: true, Done: true, Elapsed: 50 * time.Millisecond},
		{Index: 3, Kind: "issue", Failed: 2, Started: true, Done: true, Elapsed: 2400 * time.Millisecond, Error: "github: 403"},
	},
}

// driveProgress runs r, ticks it n times by hand, then ends the sync (the
// context), and returns the period r asked its ticker for. An unbuffered
// tick is taken only once the previous one is handled, so each tick sees
// the next state.
func driveProgress(t *testing.T, r *progressReporter, n int) time.Duration {
	t.Helper()
	ticks := make(chan time.Time)
	var every time.Duration
	stopped := false
	r.tick = func(d time.Duration) (<-chan time.Time, func()) {
		every = d
		return ticks, func() { stopped = true }
	}
	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error { return r.run(ctx) })
	for range n {
		ticks <- time.Time{}
	}
	cancel()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if r.mode != progressNone && !stopped {
		t.Error("the ticker was not stopped")
	}
	return every
}

// In CI (stderr not a terminal), each tick logs a line per block that
// began fetching, with the counters, the rate and the elapsed time, in
// the log's own format.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := newLogger(&buf, "info", "text")
	if err != nil {
		t.Fatal(err)
	}
	r := &progressReporter{p: &fixedProgress{states: progressStates}, mode: progressLines, interval: 15 * time.Second, log: log}
	if every := driveProgress(t, r, 2); every != 15*time.Second {
		t.Errorf("ticker period %s, want --progress-interval's 15s", every)
	}
	got := regexp.MustCompile(`(?m)^time=\S+ `).ReplaceAllString(buf.String(), "")
	want := `level=INFO msg=progress block=resources[0] kind=repository state=fetching fetched=150 written=100 unchanged=20 failed=0 rate=15.0/s elapsed=10s
level=INFO msg=progress block=resources[2] kind=team state=fetched fetched=3 written=1 unchanged=2 failed=0 rate=- elapsed=0s
level=INFO msg=progress block=resources[3] kind=issue state=fetched fetched=0 written=0 unchanged=0 failed=2 rate=0.0/s elapsed=2s
level=INFO msg=progress block=resources[0] kind=repository state=fetched fetched=300 written=250 unchanged=50 failed=0 rate=15.0/s elapsed=20s
level=INFO msg=progress block=resources[1] kind=pull-request state=fetching fetched=7 written=0 unchanged=0 failed=0 rate=4.7/s elapsed=2s
level=INFO msg=progress block=resources[2] kind=team state=fetched fetched=3 written=1 unchanged=2 failed=0 rate=- elapsed=0s
level=INFO msg=progress block=resources[3] kind=issue state=fetched fetched=0 written=0 unchanged=0 failed=2 rate=0.0/s elapsed=2s
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("progress lines (-want +got):\n%s", diff)
	}
}

// In a terminal, each tick redraws one line per block in place (the
// cursor goes back up over the previous frame), and the end of the sync
// draws the final state.
func TestProgressLive(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &progressReporter{p: &fixedProgress{states: progressStates}, mode: progressLive, interval: 15 * time.Second, w: &buf}
	if every := driveProgress(t, r, 2); every != time.Second {
		t.Errorf("ticker period %s, want 1s", every)
	}
	frame1 := "\r<ESC>[K… resources[0] repository               150 fetched     100 written      20 unchanged     0 failed 15.0/s 10s\n" +
		"\r<ESC>[K· resources[1] pull-request               0 fetched       0 written       0 unchanged     0 failed - 0s\n" +
		"\r<ESC>[K✓ resources[2] team                       3 fetched       1 written       2 unchanged     0 failed - 0s\n" +
		"\r<ESC>[K✗ resources[3] issue                      0 fetched       0 written       0 unchanged     2 failed 0.0/s 2s\n"
	frame2 := "<ESC>[4A" +
		"\r<ESC>[K✓ resources[0] repository               300 fetched     250 written      50 unchanged     0 failed 15.0/s 20s\n" +
		"\r<ESC>[K… resources[1] pull-request               7 fetched       0 written       0 unchanged     0 failed 4.7/s 2s\n" +
		"\r<ESC>[K✓ resources[2] team                       3 fetched       1 written       2 unchanged     0 failed - 0s\n" +
		"\r<ESC>[K✗ resources[3] issue                      0 fetched       0 written       0 unchanged     2 failed 0.0/s 2s\n"
	want := frame1 + frame2 + frame2 // the final draw when the sync ends
	got := strings.ReplaceAll(buf.String(), "\x1b", "<ESC>")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("live status (-want +got):\n%s", diff)
	}
}

// Before the engine reached its blocks there is nothing to draw; with
// --progress none nothing is shown and no ticker runs.
func TestProgressQuiet(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode   string
		states [][]tsync.BlockProgress
	}{
		{progressLive, [][]tsync.BlockProgress{nil}},
		{progressLines, [][]tsync.BlockProgress{nil}},
		{progressNone, progressStates},
	} {
		var buf bytes.Buffer
		log, err := newLogger(&buf, "info", "text")
		if err != nil {
			t.Fatal(err)
		}
		r := &progressReporter{p: &fixedProgress{states: tt.states}, mode: tt.mode, interval: time.Second, log: log, w: &buf}
		n := 3
		if tt.mode == progressNone {
			n = 0 // run returns at once: nobody takes a tick
		}
		if every := driveProgress(t, r, n); tt.mode == progressNone && every != 0 {
			t.Errorf("%s: a ticker was started", tt.mode)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %q", tt.mode, buf.String())
		}
	}
}

func TestResolveProgress(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want, err string }{
		{"auto", progressLines, ""}, // a buffer is no terminal
		{"", progressLines, ""},
		{"live", progressLive, ""},
		{"none", progressNone, ""},
		{"fancy", "", `--progress "fancy": want auto, lines, live or none`},
	} {
		got, err := resolveProgress(tt.in, &bytes.Buffer{})
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("resolveProgress(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}
