package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	tsync "github.com/tide-sync/tide/sync"
)

// bigPlan is a dry run that would touch n entities of each sort, each
// update with a long field diff.
func bigPlan(n int) Outcome {
	o := scenario("dry-run")
	p := &tsync.Plan{}
	long := strings.Repeat("x", 400)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("service-%06d", i)
		p.Creates = append(p.Creates, tsync.PlanEntity{Blueprint: "service", Identifier: id, Block: 1})
		p.Updates = append(p.Updates, tsync.PlanEntity{Blueprint: "service", Identifier: id, Block: 1,
			Changes: []tsync.FieldChange{{Field: "properties.description", From: long, To: long + "!"}}})
		p.Deletes = append(p.Deletes, tsync.PlanEntity{Blueprint: "service", Identifier: id, Block: 1})
	}
	o.Result.Plan = p
	return o
}

// GitHub refuses a step summary over 1 MiB; the markdown stays far below it
// however large the plan (the JSON summary file holds the whole plan).
func TestMarkdownStaysUnderStepSummaryLimit(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	Markdown(&b, bigPlan(50000))
	if b.Len() > 256<<10 {
		t.Fatalf("markdown for a 150k-entity plan is %d bytes", b.Len())
	}
	if !strings.Contains(b.String(), "and 49900 more") {
		t.Fatal("the truncation is not said")
	}
}

func BenchmarkMarkdownBigPlan(b *testing.B) {
	o := bigPlan(50000)
	b.ReportAllocs()
	for b.Loop() {
		Markdown(io.Discard, o)
	}
}

func BenchmarkJUnit(b *testing.B) {
	o := scenario("failed-block")
	b.ReportAllocs()
	for b.Loop() {
		if err := JUnit(io.Discard, o); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOutcomeStatus(t *testing.T) {
	t.Parallel()
	done := &tsync.Result{Status: tsync.StatusCompleted}
	tests := []struct {
		o    Outcome
		want string
	}{
		{Outcome{Result: done}, "completed"},
		{Outcome{Result: &tsync.Result{Status: tsync.StatusBlocked}, ExitCode: 3}, "blocked"},
		{Outcome{Result: done, Error: "saving local target: disk full", ExitCode: 1}, "failed"},
		{Outcome{Error: "bad flag", ExitCode: 2}, "error"},
		{Outcome{Error: "interrupted", ExitCode: 130}, "aborted"},
		{Outcome{Error: "port unreachable", ExitCode: 1}, "failed"},
	}
	for _, tt := range tests {
		if got := tt.o.Status(); got != tt.want {
			t.Errorf("%+v: status %q, want %q", tt.o, got, tt.want)
		}
	}
}
