// Package report renders a run's Result: a text summary for terminals and
// logs, and JSON for --summary-file.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	tsync "github.com/tide-sync/tide/sync"
)

// planLimit bounds each plan section in the text summary; the JSON summary
// always holds the whole plan.
const planLimit = 50

// JSON writes the summary as indented JSON. Apart from startedAt and the
// durations, the same run gives the same bytes.
func JSON(w io.Writer, res *tsync.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// SummaryJSON writes the --summary-file: the Result's JSON when the run
// synced, else the outcome of a run that stopped before syncing (status
// "error" for bad input, exit 2), so the file always describes this run.
func SummaryJSON(w io.Writer, o Outcome) error {
	if o.Result != nil {
		res := o.Result
		if o.Error != "" {
			// Synced, then failed (saving the local target): the file
			// must not say completed.
			cp := *res
			cp.Status = tsync.Status(o.Status())
			cp.Errors = append(append([]string(nil), res.Errors...), o.Error)
			res = &cp
		}
		return JSON(w, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Status   string `json:"status"`
		ExitCode int    `json:"exitCode"`
		Error    string `json:"error"`
		Line     int    `json:"mappingLine,omitempty"`
	}{o.Status(), o.ExitCode, o.Error, o.MappingLine})
}

// Text writes the human summary.
func Text(w io.Writer, res *tsync.Result) {
	mode := ""
	if res.DryRun {
		mode = "  (dry run: nothing was written)"
	}
	fmt.Fprintf(w, "tide sync %s → %s: %s in %s%s\n\n", res.Integration, res.Identifier, res.Status,
		(time.Duration(res.DurationMS) * time.Millisecond).String(), mode)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tkind\tblueprint\tfetched\tfiltered\tmapped\tunmapped\tcreated\tupdated\tunchanged\tdeleted\tblocked\tfailed\t")
	for _, b := range res.Blocks {
		if b.Skipped {
			fmt.Fprintf(tw, "%d\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", b.Index, b.Kind, orDash(b.Blueprint))
			continue
		}
		row(tw, fmt.Sprint(b.Index), b.Kind, orDash(b.Blueprint), b.Counts)
	}
	row(tw, "", "total", "", res.Total)
	tw.Flush()
	fmt.Fprintln(w)

	notices(w, res)
	for _, b := range res.Blocks {
		name := fmt.Sprintf("resources[%d] (kind %q)", b.Index, b.Kind)
		if b.Skipped {
			fmt.Fprintf(w, "%s: not selected by --kinds\n", name)
		}
		for _, m := range b.Misconfigured {
			fmt.Fprintf(w, "%s: %s = %s gave no value for %d item(s) (%s)\n", name, m.Field, m.Expr, m.Count, misconfigWhy(m))
		}
		for _, s := range b.Warnings {
			fmt.Fprintf(w, "%s: %s\n", name, s)
		}
		for _, s := range b.WriteErrors {
			fmt.Fprintf(w, "%s: write failed: %s\n", name, s)
		}
		if n := moreFailed(b); n > 0 {
			fmt.Fprintf(w, "%s: … and %d more failed writes (see --summary-file)\n", name, n)
		}
		if b.Duplicates > 0 {
			fmt.Fprintf(w, "%s: %d items repeated an identifier an earlier item gave (the first in source order was written): %s\n",
				name, b.Duplicates, strings.Join(b.DuplicateIDs, ", "))
		}
	}
	// Block errors come grouped: one line per distinct error, naming
	// every block it failed.
	for _, e := range res.Errors {
		if strings.HasPrefix(e, "resources[") {
			fmt.Fprintf(w, "FAILED: %s\n", e)
		} else {
			fmt.Fprintf(w, "error: %s\n", e)
		}
	}

	d := res.Deletion
	fmt.Fprintf(w, "deletion: %s", deletionLine(d, res.DryRun))
	fmt.Fprintln(w)
	if len(d.NotPruned) > 0 {
		fmt.Fprintf(w, "not pruned (also written by kinds not selected by --kinds): %s\n", strings.Join(d.NotPruned, ", "))
	}
	for _, e := range d.Errors {
		fmt.Fprintf(w, "delete failed: %s\n", e)
	}
	if n := d.Failed - len(d.Errors); len(d.Errors) > 0 && n > 0 {
		fmt.Fprintf(w, "… and %d more failed deletes\n", n)
	}
	keptList(w, d.Entities)
	if res.Plan != nil {
		plan(w, res.Plan)
	}
}

// notices lists what the run did that its author may not expect.
func notices(w io.Writer, res *tsync.Result) {
	for _, n := range res.Notices {
		fmt.Fprintf(w, "notice: %s\n", noticeText(n))
	}
}

func noticeText(n tsync.Notice) string {
	s := n.Message
	if len(n.Names) > 0 {
		s += ": " + strings.Join(n.Names, ", ")
		if n.Count > len(n.Names) {
			s += fmt.Sprintf(" … and %d more", n.Count-len(n.Names))
		}
	}
	return s
}

// misconfigWhy says why a mapping field gave no value, and what was written.
func misconfigWhy(m tsync.MisconfigStat) string {
	if m.Err != "" {
		return "error: " + m.Err + "; left out of the write, so Port keeps its value"
	}
	return "null, missing, or misconfigured"
}

// moreFailed is the number of failed writes beyond the samples shown.
func moreFailed(b *tsync.BlockResult) int {
	return max(0, b.Failed-len(b.WriteErrors))
}

func deletionLine(d tsync.Deletion, dry bool) string {
	switch d.State {
	case tsync.DeletionNone:
		return fmt.Sprintf("nothing stale among %d owned entities", d.Owned)
	case tsync.DeletionDone:
		s := fmt.Sprintf("deleted %d stale of %d owned entities", d.Deleted, d.Owned)
		if d.Kept > 0 {
			s += fmt.Sprintf("; kept %d (relation targets of kept entities, or not confirmed as owned)", d.Kept)
		}
		if d.Blocked > 0 {
			s += fmt.Sprintf("; %d BLOCKED: %s", d.Blocked, d.Reason)
		}
		if d.Failed > 0 {
			s += fmt.Sprintf("; %d FAILED", d.Failed)
		}
		return s
	case tsync.DeletionPlanned:
		s := fmt.Sprintf("would delete %d stale of %d owned entities", d.Deleted, d.Owned)
		if d.Kept > 0 {
			s += fmt.Sprintf("; would keep %d (relation targets of kept entities, or not confirmed as owned)", d.Kept)
		}
		if d.Blocked > 0 {
			s += fmt.Sprintf("; %d would be BLOCKED: %s", d.Blocked, d.Reason)
		}
		return s
	case tsync.DeletionBlocked:
		verb := "BLOCKED"
		if dry {
			verb = "would be BLOCKED"
		}
		return fmt.Sprintf("%s, %d stale entities kept: %s", verb, d.Blocked, d.Reason)
	case tsync.DeletionSkipped:
		if d.Blocked > 0 {
			return fmt.Sprintf("SKIPPED: %s; %d owned entities not seen this run were kept", d.Reason, d.Blocked)
		}
		return "skipped: " + d.Reason
	}
	return string(d.State)
}

// keptLimit bounds the kept and blocked entities the text and markdown
// summaries name; the JSON summary names them all.
const keptLimit = 50

// keptList names stale entities that were not deleted, with the reason.
func keptList(w io.Writer, ks []tsync.KeptEntity) {
	if len(ks) == 0 {
		return
	}
	fmt.Fprintf(w, "stale entities not deleted (%d):\n", len(ks))
	for i, k := range ks {
		if i == keptLimit {
			fmt.Fprintf(w, "  … and %d more (all in --summary-file)\n", len(ks)-keptLimit)
			break
		}
		fmt.Fprintf(w, "  %s/%s: %s\n", k.Blueprint, k.Identifier, k.Reason)
	}
}

func row(tw io.Writer, idx, kind, bp string, c tsync.Counts) {
	fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", idx, kind, bp,
		c.Fetched, c.FilteredOut, c.Mapped, c.FailedToMap, c.Created, c.Updated, c.Unchanged, c.Deleted, c.BlockedDeletes, c.Failed)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plan(w io.Writer, p *tsync.Plan) {
	fmt.Fprintf(w, "\nplan: %d to create, %d to update, %d to delete, %d deletes blocked\n",
		len(p.Creates), len(p.Updates), len(p.Deletes), len(p.Blocked))
	for _, bp := range p.CreateBlueprints {
		fmt.Fprintf(w, "  + blueprint %s\n", bp)
	}
	for _, bp := range p.UpdateBlueprints {
		fmt.Fprintf(w, "  ~ blueprint %s\n", bp)
	}
	section(w, "+", p.Creates)
	section(w, "~", p.Updates)
	section(w, "-", p.Deletes)
	section(w, "! keep (blocked)", p.Blocked)
}

func section(w io.Writer, mark string, es []tsync.PlanEntity) {
	for i, e := range es {
		if i == planLimit {
			fmt.Fprintf(w, "  %s … and %d more (see --summary-file)\n", mark, len(es)-planLimit)
			return
		}
		if e.Reason != "" {
			fmt.Fprintf(w, "  %s %s/%s (%s)\n", mark, e.Blueprint, e.Identifier, e.Reason)
		} else {
			fmt.Fprintf(w, "  %s %s/%s\n", mark, e.Blueprint, e.Identifier)
		}
		for _, c := range e.Changes {
			fmt.Fprintf(w, "      %s: %s → %s\n", c.Field, compact(c.From), compact(c.To))
		}
	}
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// ANSI colours for the summary on a terminal (the logs use tint's).
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[91m"
	ansiGreen  = "\x1b[92m"
	ansiYellow = "\x1b[93m"
)

// ColorText writes the human summary with colour, for a terminal: the
// status, failures in red, blocked or skipped deletes in yellow.
func ColorText(w io.Writer, res *tsync.Result) {
	var b strings.Builder
	Text(&b, res)
	lines := strings.SplitAfter(b.String(), "\n")
	statusColor := ansiRed
	switch res.Status {
	case tsync.StatusCompleted:
		statusColor = ansiGreen
	case tsync.StatusBlocked, tsync.StatusAborted:
		statusColor = ansiYellow
	}
	for i, line := range lines {
		switch {
		case i == 0:
			status := ": " + string(res.Status) + " in "
			line = strings.Replace(line, status, ": "+statusColor+ansiBold+string(res.Status)+ansiReset+" in ", 1)
		case strings.Contains(line, "FAILED") || strings.HasPrefix(line, "error: ") || strings.Contains(line, "failed: "):
			line = ansiRed + strings.TrimSuffix(line, "\n") + ansiReset + "\n"
		case strings.Contains(line, "BLOCKED") || strings.Contains(line, "SKIPPED") || strings.Contains(line, "gave no value") || strings.HasPrefix(line, "notice: "):
			line = ansiYellow + strings.TrimSuffix(line, "\n") + ansiReset + "\n"
		case strings.Contains(line, " total "):
			line = ansiBold + strings.TrimSuffix(line, "\n") + ansiReset + "\n"
		}
		io.WriteString(w, line)
	}
}
