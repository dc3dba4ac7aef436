package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	tsync "github.com/tide-sync/tide/sync"
)

// Markdown writes the summary as GitHub-flavoured markdown: the GitHub step
// summary, and anything else that renders markdown (a PR comment).
func Markdown(w io.Writer, o Outcome) {
	res := o.Result
	title := "tide sync"
	if res != nil {
		title = fmt.Sprintf("tide sync `%s` → `%s`", res.Integration, res.Identifier)
	}
	fmt.Fprintf(w, "### %s %s: %s\n\n", statusIcon(o.Status()), title, o.Status())
	if res == nil {
		fmt.Fprintf(w, "The run stopped before syncing (exit %d); nothing was written or deleted.\n\n", o.ExitCode)
		if o.Error != "" {
			fmt.Fprintf(w, "```text\n%s\n```\n\n", fence(o.Error))
		}
		return
	}
	var notes []string
	if res.DryRun {
		notes = append(notes, "**dry run**: nothing was written")
	}
	if len(res.Kinds) > 0 {
		notes = append(notes, "kinds: "+code(strings.Join(res.Kinds, ", ")))
	}
	notes = append(notes, "took "+(time.Duration(res.DurationMS)*time.Millisecond).String(), fmt.Sprintf("exit code %d", o.ExitCode))
	fmt.Fprintf(w, "%s\n\n", strings.Join(notes, " · "))

	verb := ""
	if res.DryRun {
		verb = "would be "
	}
	fmt.Fprintf(w, "| # | kind | blueprint | fetched | filtered out | mapped | unmapped | %screated | %supdated | unchanged | %sdeleted | failed | time |\n", verb, verb, verb)
	fmt.Fprintln(w, "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, b := range res.Blocks {
		if b.Skipped {
			fmt.Fprintf(w, "| %d | %s | %s | – | – | – | – | – | – | – | – | – | not selected by `--kinds` |\n", b.Index, cell(code(b.Kind)), cell(orDash(b.Blueprint)))
			continue
		}
		kind := code(b.Kind)
		if b.Error != "" {
			kind = "❌ " + kind
		}
		c := b.Counts
		fmt.Fprintf(w, "| %d | %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n", b.Index, cell(kind), cell(orDash(b.Blueprint)),
			c.Fetched, c.FilteredOut, c.Mapped, c.FailedToMap, c.Created, c.Updated, c.Unchanged, c.Deleted, c.Failed,
			(time.Duration(b.DurationMS) * time.Millisecond).String())
	}
	t := res.Total
	fmt.Fprintf(w, "| | **total** | | %d | %d | %d | %d | %d | %d | %d | %d | %d | |\n\n",
		t.Fetched, t.FilteredOut, t.Mapped, t.FailedToMap, t.Created, t.Updated, t.Unchanged, t.Deleted, t.Failed)

	if len(res.Notices) > 0 {
		fmt.Fprintln(w, "#### Notices")
		fmt.Fprintln(w)
		for _, n := range res.Notices {
			fmt.Fprintf(w, "- %s\n", inline(noticeText(n)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "**Deletion:** %s.\n\n", deletionLine(res.Deletion, res.DryRun))
	blockedDeletes(w, res)

	for _, b := range res.Blocks {
		if b.Error == "" && len(b.WriteErrors) == 0 && len(b.Warnings) == 0 && b.Duplicates == 0 {
			continue
		}
		fmt.Fprintf(w, "#### resources[%d] (kind %s)\n\n", b.Index, code(b.Kind))
		if b.Error != "" {
			fmt.Fprintf(w, "❌ **failed**; no entity was deleted because of it:\n\n```text\n%s\n```\n\n", fence(b.Error))
		}
		for _, s := range b.Warnings {
			fmt.Fprintf(w, "- ⚠️ %s\n", inline(s))
		}
		for _, s := range b.WriteErrors {
			fmt.Fprintf(w, "- ❌ write failed: %s\n", inline(s))
		}
		if n := moreFailed(b); n > 0 && len(b.WriteErrors) > 0 {
			fmt.Fprintf(w, "- … and %d more failed writes (see the JSON summary)\n", n)
		}
		if b.Duplicates > 0 {
			fmt.Fprintf(w, "- ⚠️ %d items repeated an identifier an earlier item gave (the first in source order was written): %s\n", b.Duplicates, inline(strings.Join(b.DuplicateIDs, ", ")))
		}
		if len(b.Warnings)+len(b.WriteErrors) > 0 || b.Duplicates > 0 {
			fmt.Fprintln(w)
		}
	}
	misconfigured(w, res)
	var other []string
	for _, e := range res.Errors {
		if !strings.HasPrefix(e, "resources[") {
			other = append(other, e)
		}
	}
	other = append(other, res.Deletion.Errors...)
	if len(other) > 0 {
		fmt.Fprintln(w, "#### Errors")
		fmt.Fprintln(w)
		for _, e := range other {
			fmt.Fprintf(w, "- %s\n", inline(e))
		}
		fmt.Fprintln(w)
	}
	if res.Plan != nil {
		markdownPlan(w, res.Plan)
	}
}

// blockedDeletes explains why stale entities were kept and what to do.
func blockedDeletes(w io.Writer, res *tsync.Result) {
	d := res.Deletion
	switch {
	case d.State == tsync.DeletionBlocked:
		fmt.Fprintf(w, "> [!WARNING]\n> **%d stale entities were kept** because deleting them would cross the deletion guard: %s.\n", d.Blocked, inline(d.Reason))
		fmt.Fprintf(w, "> If the source really lost them, delete them in Port or raise `entityDeletionThreshold` in the mapping for one run; if not, fix the source (a wrong token or selector often looks like everything vanished).\n\n")
	case d.State == tsync.DeletionSkipped && d.Blocked > 0:
		fmt.Fprintf(w, "> [!WARNING]\n> **%d owned entities not seen this run were kept**: %s. Fix the failure and re-run; stale entities are deleted only after a complete run.\n\n", d.Blocked, inline(d.Reason))
	}
	if len(d.NotPruned) > 0 {
		fmt.Fprintf(w, "Not pruned (also written by kinds outside `--kinds`): %s.\n\n", code(strings.Join(d.NotPruned, ", ")))
	}
	if len(d.Entities) == 0 {
		return
	}
	fmt.Fprintf(w, "<details><summary>%d stale entities not deleted, and why</summary>\n\n", len(d.Entities))
	fmt.Fprintln(w, "| blueprint | identifier | reason |")
	fmt.Fprintln(w, "|---|---|---|")
	for i, k := range d.Entities {
		if i == keptLimit {
			fmt.Fprintf(w, "\n… and %d more (all in `--summary-file`).\n", len(d.Entities)-keptLimit)
			break
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", cell(code(k.Blueprint)), cell(code(k.Identifier)), cell(string(k.Reason)))
	}
	fmt.Fprint(w, "\n</details>\n\n")
}

func misconfigured(w io.Writer, res *tsync.Result) {
	n := 0
	for _, b := range res.Blocks {
		n += len(b.Misconfigured)
	}
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "#### ⚠️ Mapping fields that gave no value")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| resource | kind | field | expression | items | error |")
	fmt.Fprintln(w, "|---|---|---|---|---:|---|")
	for _, b := range res.Blocks {
		for _, m := range b.Misconfigured {
			fmt.Fprintf(w, "| resources[%d] | %s | %s | %s | %d | %s |\n", b.Index, cell(code(b.Kind)), cell(code(m.Field)), cell(code(m.Expr)), m.Count, cell(inline(orDash(m.Err))))
		}
	}
	fmt.Fprintln(w)
}

// markdownPlanLimit bounds each plan section: a step summary is capped at
// 1 MiB; --summary-file holds the whole plan.
const markdownPlanLimit = 100

func markdownPlan(w io.Writer, p *tsync.Plan) {
	fmt.Fprintf(w, "#### Plan: %d to create, %d to update, %d to delete, %d deletes blocked\n\n",
		len(p.Creates), len(p.Updates), len(p.Deletes), len(p.Blocked))
	for _, bp := range p.CreateBlueprints {
		fmt.Fprintf(w, "- blueprint %s would be created\n", code(bp))
	}
	for _, bp := range p.UpdateBlueprints {
		fmt.Fprintf(w, "- blueprint %s would be updated\n", code(bp))
	}
	if len(p.CreateBlueprints)+len(p.UpdateBlueprints) > 0 {
		fmt.Fprintln(w)
	}
	planSection(w, "➕ create", p.Creates)
	planSection(w, "✏️ update", p.Updates)
	planSection(w, "🗑️ delete", p.Deletes)
	planSection(w, "🛑 kept by a guard (blocked delete)", p.Blocked)
}

func planSection(w io.Writer, title string, es []tsync.PlanEntity) {
	if len(es) == 0 {
		return
	}
	attr := ""
	if len(es) <= 20 {
		attr = " open"
	}
	fmt.Fprintf(w, "<details%s><summary>%s: %d</summary>\n\n", attr, title, len(es))
	for i, e := range es {
		if i == markdownPlanLimit {
			fmt.Fprintf(w, "- … and %d more (see the summary file)\n", len(es)-markdownPlanLimit)
			break
		}
		if e.Reason != "" {
			fmt.Fprintf(w, "- %s (%s)\n", code(e.Blueprint+"/"+e.Identifier), e.Reason)
		} else {
			fmt.Fprintf(w, "- %s\n", code(e.Blueprint+"/"+e.Identifier))
		}
		for _, c := range e.Changes {
			fmt.Fprintf(w, "  - %s: %s → %s\n", code(c.Field), code(compact(c.From)), code(compact(c.To)))
		}
	}
	fmt.Fprintln(w, "\n</details>")
	fmt.Fprintln(w)
}

func statusIcon(status string) string {
	switch status {
	case "completed":
		return "✅"
	case "blocked":
		return "🛑"
	case "aborted":
		return "⏹️"
	}
	return "❌"
}

// code renders s as an inline code span, with a fence longer than any
// backtick run inside it.
func code(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	fenceLen, run := 1, 0
	for _, r := range s {
		if r == '`' {
			run++
			if run >= fenceLen {
				fenceLen = run + 1
			}
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", fenceLen)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return f + " " + s + " " + f
	}
	return f + s + f
}

// cell makes s safe inside a table cell: a pipe ends the cell even inside a
// code span in GitHub's tables, unless escaped.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// inline keeps free text on one line and stops it from opening HTML.
func inline(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// fence keeps text inside a ``` block from closing it.
func fence(s string) string {
	return strings.ReplaceAll(s, "```", "'''")
}
