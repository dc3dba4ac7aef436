package report

import (
	"strconv"

	tsync "github.com/tide-sync/tide/sync"
)

// Outcome is one invocation's end state as CI reporters see it: the run's
// Result, or the error that stopped it before syncing.
type Outcome struct {
	// Result is nil when the run stopped before syncing (bad config,
	// authentication, Port unreachable).
	Result *tsync.Result
	// Error is the message that stopped the run, already redacted; "" when
	// Result says everything.
	Error string
	// ExitCode is the process's exit code
	// (docs/ocean-compatibility.md#exit-codes).
	ExitCode int
	// MappingFile is --mapping, so annotations can point at it.
	MappingFile string
	// MappingLine is the line of the mapping error that stopped the run;
	// 0 when unknown.
	MappingLine int
	// SummaryFile is where the JSON summary was written, "" if nowhere.
	SummaryFile string
}

// Status is the outcome's one-word state: the Result's status, or "error"
// when the run stopped on bad input (exit 2), "aborted" when interrupted,
// "failed" otherwise (also when a completed sync ended in an error).
func (o Outcome) Status() string {
	// An error after a complete sync (saving the local target) still fails
	// the run.
	if o.Result != nil && (o.Error == "" || o.Result.Status != tsync.StatusCompleted) {
		return string(o.Result.Status)
	}
	if o.Result != nil && o.ExitCode == 0 {
		return string(o.Result.Status)
	}
	switch o.ExitCode {
	case 2:
		return "error"
	case 130:
		return string(tsync.StatusAborted)
	}
	return string(tsync.StatusFailed)
}

// Field is one machine-readable result: a GitHub step output and, upper-cased
// with the TIDE_RESULT_ prefix, a dotenv variable.
type Field struct {
	Name  string
	Value string
}

// Fields are the step outputs and dotenv values, in a fixed order.
func (o Outcome) Fields() []Field {
	var t tsync.Counts
	if o.Result != nil {
		t = o.Result.Total
	}
	return []Field{
		{"status", o.Status()},
		{"created", strconv.Itoa(t.Created)},
		{"updated", strconv.Itoa(t.Updated)},
		{"unchanged", strconv.Itoa(t.Unchanged)},
		{"deleted", strconv.Itoa(t.Deleted)},
		{"failed", strconv.Itoa(t.Failed)},
		{"summary-file", o.SummaryFile},
		{"blocked", strconv.Itoa(t.BlockedDeletes)},
		{"exit-code", strconv.Itoa(o.ExitCode)},
	}
}
