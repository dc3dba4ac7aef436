package main

import (
	"context"
	"testing"
	"time"
)

// The collector's target changes once, when the live heap first reaches
// largeHeap, and not before.
func TestWatchHeapLowersTheTargetForALargeHeap(t *testing.T) {
	t.Parallel()
	lives := []uint64{1 << 20, 10 << 20, largeHeap - 1, largeHeap, largeHeap * 2}
	i := -1
	live := func() uint64 { i++; return lives[i] }
	tick := make(chan time.Time)
	var set []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchHeap(context.Background(), live, tick, func(p int) int { set = append(set, p); return 100 })
	}()
	for range 4 {
		tick <- time.Time{}
	}
	<-done
	if len(set) != 1 || set[0] != largeHeapGCPercent || i != 3 {
		t.Fatalf("after %d reads set %v, want [%d] once the 4th read reaches %d", i+1, set, largeHeapGCPercent, largeHeap)
	}
}

func TestWatchHeapStopsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	watchHeap(ctx, func() uint64 { t.Fatal("read after cancel"); return 0 }, make(chan time.Time), func(int) int { t.Fatal("set after cancel"); return 0 })
}

// GOGC or GOMEMLIMIT in the environment leaves the collector alone.
func TestTuneGCRespectsTheEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  string
		want bool
	}{{"", true}, {"GOGC", false}, {"GOMEMLIMIT", false}} {
		stop, watching := tuneGC(func(name string) string {
			if name == tc.env {
				return "200"
			}
			return ""
		})
		stop()
		if watching != tc.want {
			t.Errorf("%s set: watching %v, want %v", tc.env, watching, tc.want)
		}
	}
}
