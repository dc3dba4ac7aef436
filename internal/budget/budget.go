// Package budget bounds JQ evaluations: a mapping edited in Port's UI and a
// vendor's answer are input tide does not control, and an expression such
// as `[range(1e8)]` must neither hang a run nor exhaust the runner's memory.
//
// gojq has no allocation hook, but gojq.Code.RunWithContext consults the
// context's Done method before every instruction it executes. A Meter is
// that context: it passes the run's cancellation through at once (--timeout,
// SIGINT, SIGTERM), and every 1024 instructions it checks the item's time
// budget and how far the heap grew since the evaluation began. Growth is
// read from runtime/metrics (/memory/classes/heap/objects:bytes, which moves
// with every allocation rather than only at a collection); when it passes
// the bound, a collection is forced and the live heap
// (/gc/heap/live:bytes) decides, so garbage a long loop leaves behind is
// never mistaken for something the expression built. The reasoning and its
// limits are in docs/architecture.md#hostile-input.
package budget

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"time"
)

// Defaults of Limits' zero fields.
const (
	// DefaultItemTimeout bounds the JQ evaluation of one item: the
	// selector and every mapped field together.
	DefaultItemTimeout = 10 * time.Second
	// DefaultMaxMemory bounds how far the heap may grow while one item is
	// evaluated.
	DefaultMaxMemory = 32 << 20
)

// checkEvery is how many gojq instructions pass between two checks of the
// clock and the heap: a check costs about a microsecond, an instruction
// tens of nanoseconds.
const checkEvery = 1024

// ErrExceeded is wrapped by every error a Meter stops an evaluation with.
var ErrExceeded = errors.New("JQ evaluation over budget")

// ExceededError says which budget an evaluation ran out of.
type ExceededError struct {
	// Timeout is set when the time budget ran out, Output when a value
	// the evaluation gave is larger than the memory budget once written
	// out; otherwise the heap grew past the memory budget.
	Timeout bool
	Output  bool
	Limit   time.Duration // the time budget, when Timeout
	Grew    uint64        // bytes the live heap grew by, when not Timeout
	Max     uint64        // the memory budget in bytes, when not Timeout
}

func (e *ExceededError) Error() string {
	if e.Timeout {
		return fmt.Sprintf("JQ evaluation ran past its per-item time budget of %s (--jq-item-timeout)", e.Limit)
	}
	if e.Output {
		return fmt.Sprintf("JQ evaluation gave a value larger than its per-item budget of %s once written out (--jq-max-memory)", Size(e.Max))
	}
	return fmt.Sprintf("JQ evaluation grew the heap by %s, over its per-item budget of %s (--jq-max-memory)", Size(e.Grew), Size(e.Max))
}

// Unwrap makes errors.Is(err, ErrExceeded) true.
func (e *ExceededError) Unwrap() error { return ErrExceeded }

// Limits are the budgets of one item's evaluation.
type Limits struct {
	ItemTimeout time.Duration // zero means DefaultItemTimeout
	MaxMemory   uint64        // bytes; zero means DefaultMaxMemory
}

func (l Limits) withDefaults() Limits {
	if l.ItemTimeout <= 0 {
		l.ItemTimeout = DefaultItemTimeout
	}
	if l.MaxMemory == 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	return l
}

// Start begins the budget of one item under ctx. The Meter is the context
// to hand to gojq's RunWithContext for every expression of that item, one
// after the other: it is not safe for concurrent use.
func (l Limits) Start(ctx context.Context) *Meter {
	return &Meter{parent: ctx, limits: l.withDefaults(), start: time.Now()}
}

// Meter is a context.Context that stops a gojq evaluation when the parent
// is done or a budget runs out. gojq calls Done before every instruction,
// which is what the Meter counts.
type Meter struct {
	parent context.Context
	limits Limits
	start  time.Time
	ops    uint32
	armed  bool
	base   uint64 // heap objects at the first check
	next   uint64 // heap objects that trigger a look at the live heap
	err    error
}

// MaxMemory is the memory budget in bytes.
func (m *Meter) MaxMemory() uint64 { return m.limits.MaxMemory }

// Deadline is the parent's.
func (m *Meter) Deadline() (time.Time, bool) { return m.parent.Deadline() }

// Value is the parent's.
func (m *Meter) Value(key any) any { return m.parent.Value(key) }

// Err is the budget error once a budget ran out, else the parent's.
func (m *Meter) Err() error {
	if m.err != nil {
		return m.err
	}
	return m.parent.Err()
}

// Done counts one instruction and every checkEvery instructions checks the
// budgets; it returns a closed channel once one ran out.
func (m *Meter) Done() <-chan struct{} {
	m.ops++
	if m.ops%checkEvery == 0 && m.err == nil {
		m.check()
	}
	if m.err != nil {
		return closed
	}
	return m.parent.Done()
}

// Check checks the budgets at once; an evaluation outside gojq (a regex, a
// value walk) calls it at its own pace.
func (m *Meter) Check() error {
	if m.err == nil {
		m.check()
	}
	return m.Err()
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (m *Meter) check() {
	if d := time.Since(m.start); d > m.limits.ItemTimeout {
		m.err = &ExceededError{Timeout: true, Limit: m.limits.ItemTimeout}
		return
	}
	cur := read(heapObjects)
	if !m.armed {
		// Taken at the first check, not at Start: most items finish in
		// fewer instructions and never pay for a read.
		m.armed, m.base, m.next = true, cur, cur+m.limits.MaxMemory
		return
	}
	if cur < m.next {
		return
	}
	// The heap grew past the bound, perhaps only with garbage: collect and
	// look at what is live.
	runtime.GC()
	var grew uint64
	if live := read(heapLive); live > m.base {
		grew = live - m.base
	}
	if grew > m.limits.MaxMemory {
		m.err = &ExceededError{Grew: grew, Max: m.limits.MaxMemory}
		return
	}
	// Look again once the heap could hold what is left of the budget.
	m.next = read(heapObjects) + m.limits.MaxMemory - grew
}

const (
	heapObjects = "/memory/classes/heap/objects:bytes"
	heapLive    = "/gc/heap/live:bytes"
)

func read(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// Size renders a byte count the way the flags take it: "32MiB", "1.5GiB",
// "512B".
func Size(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i, f := 0, float64(n)
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f == float64(uint64(f)) {
		return fmt.Sprintf("%d%s", uint64(f), units[i])
	}
	return fmt.Sprintf("%.1f%s", f, units[i])
}

// ParseSize reads a byte count as the flags take it: a whole number of
// bytes, or one followed by KiB, MiB, GiB (powers of 1024) or KB, MB, GB
// (powers of 1000), e.g. "64MiB". Zero and negative sizes are refused.
func ParseSize(s string) (uint64, error) {
	num, unit := s, ""
	for i, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			num, unit = s[:i], s[i:]
			break
		}
	}
	mult := map[string]float64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
	if mult == 0 || num == "" {
		return 0, fmt.Errorf("%q is not a size (e.g. 64MiB, 500MB, 1048576)", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("%q is not a positive size (e.g. 64MiB, 500MB, 1048576)", s)
	}
	if f*mult >= 1<<62 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return uint64(f * mult), nil
}
