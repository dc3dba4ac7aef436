package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The load benchmark itself, at a size CI affords: it builds tide and the
// fake, runs the three syncs with and without Port latency, and fails if
// any run's counts, status or request pattern is not what the phase must
// give (timings are reported, never asserted).
func TestLoadSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	t.Chdir("../..")
	out := filepath.Join(t.TempDir(), "runs.json")
	if err := mainErr("2000", "0,5ms", 4, out, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || len(b) < 100 {
		t.Fatalf("runs file: %v (%d bytes)", err, len(b))
	}
}
