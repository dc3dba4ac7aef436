package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The load benchmark itself, at a size CI affords: it builds tide and the
// fakes, runs the three syncs of every source with and without Port
// latency, and fails if any run's counts, status or request pattern is not
// what the phase must give (timings are reported, never asserted).
func TestLoadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four binaries")
	}
	t.Chdir("../..")
	work := t.TempDir()
	// Every source without Port latency; the custom one with it too.
	for _, o := range []options{
		{sizes: "1000", lats: "0", sources: strings.Join(Sources, ",")},
		{sizes: "2000", lats: "5ms", sources: "custom"},
	} {
		o.writeConc, o.repeat, o.workdir = 4, 1, work
		o.jsonOut = filepath.Join(t.TempDir(), "runs.json")
		if err := mainErr(o); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(o.jsonOut); err != nil || len(b) < 100 {
			t.Fatalf("runs file: %v (%d bytes)", err, len(b))
		}
	}
}
