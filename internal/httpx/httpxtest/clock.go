// Package httpxtest holds test doubles for the shared HTTP client. It is
// test-only code: the tide binary never links it.
package httpxtest

import (
	"context"
	gosync "sync"
	"time"
)

// Clock is an httpx.Clock that never sleeps: Sleep records the wait the
// client chose and moves Now forward by it, so a test can assert the waits
// exactly and rate-limit resets computed from Now stay consistent.
type Clock struct {
	mu    gosync.Mutex
	now   time.Time
	waits []time.Duration
}

// NewClock returns a Clock whose Now starts at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's current time: its start plus every wait so far.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d, advances Now by it and returns at once, with ctx's
// error if ctx has ended.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

// Waits is a copy of the waits recorded so far, in order.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}
