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
	out := filepath.Join(t.TempDir(), "runs.json")
	o := options{sizes: "2000", lats: "0,5ms", sources: strings.Join(Sources, ","), writeConc: 4, repeat: 1, jsonOut: out, workdir: t.TempDir()}
	if err := mainErr(o); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || len(b) < 100 {
		t.Fatalf("runs file: %v (%d bytes)", err, len(b))
	}
}
