package httpxtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/httpx/httpxtest"
)

var _ httpx.Clock = (*httpxtest.Clock)(nil)

func TestClockRecordsAndAdvances(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	c := httpxtest.NewClock(start)
	for _, d := range []time.Duration{2 * time.Second, 500 * time.Millisecond} {
		if err := c.Sleep(context.Background(), d); err != nil {
			t.Fatalf("Sleep(%v) = %v", d, err)
		}
	}
	if got, want := c.Now(), start.Add(2500*time.Millisecond); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second, 500 * time.Millisecond}, c.Waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	// Waits is a copy: the caller cannot rewrite the record.
	c.Waits()[0] = 0
	if got := c.Waits()[0]; got != 2*time.Second {
		t.Errorf("Waits()[0] = %v after the caller changed its copy, want 2s", got)
	}
}

func TestClockSleepEndedContext(t *testing.T) {
	t.Parallel()
	c := httpxtest.NewClock(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on an ended context = %v, want context.Canceled", err)
	}
}
