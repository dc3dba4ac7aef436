package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	tsync "github.com/tide-sync/tide/sync"
)

// GitHub reports a run to GitHub Actions: secrets masked before anything
// else is printed, a log group per phase, ::error and ::warning
// annotations, step outputs and the step summary.
//
// Ocean's ocean-sail action sets no outputs and passes even when the sync
// failed (docs/ocean-compatibility.md#the-github-action); this is its
// replacement.
type GitHub struct {
	action *githubactions.Action
	masks  *githubactions.Action
	getenv func(string) string
	redact func(string) string
	open   bool
}

// GitHubOptions wires a GitHub reporter.
type GitHubOptions struct {
	// Commands receives annotations and group markers: the log stream, so
	// groups wrap the log lines they belong to. It may redact.
	Commands io.Writer
	// Masks receives ::add-mask:: commands. It must be the same stream as
	// Commands but unredacted: a redactor would blank the very value the
	// runner has to learn.
	Masks io.Writer
	// Getenv reads GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
	Getenv func(string) string
	// Redact scrubs secrets from what goes into the runner's files.
	Redact func(string) string
}

// NewGitHub returns a GitHub Actions reporter.
func NewGitHub(o GitHubOptions) *GitHub {
	if o.Redact == nil {
		o.Redact = func(s string) string { return s }
	}
	if o.Masks == nil {
		o.Masks = o.Commands
	}
	return &GitHub{
		action: githubactions.New(githubactions.WithWriter(o.Commands), githubactions.WithGetenv(o.Getenv)),
		masks:  githubactions.New(githubactions.WithWriter(o.Masks), githubactions.WithGetenv(o.Getenv)),
		getenv: o.Getenv,
		redact: o.Redact,
	}
}

// Mask tells the runner to hide every secret from the log: each value
// whole, and each line of a multi-line value (a PEM key), since the runner
// matches masks line by line.
func (g *GitHub) Mask(secrets []string) {
	seen := map[string]bool{}
	mask := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		g.masks.AddMask(s)
	}
	for _, s := range secrets {
		mask(s)
		if strings.ContainsAny(s, "\r\n") {
			for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
				mask(line)
			}
		}
	}
}

// Phase closes the open log group, if any, and opens one titled title.
func (g *GitHub) Phase(title string) {
	g.EndPhase()
	g.action.Group(title)
	g.open = true
}

// EndPhase closes the open log group.
func (g *GitHub) EndPhase() {
	if g.open {
		g.action.EndGroup()
		g.open = false
	}
}

// Publish writes the annotations, the step outputs and the step summary.
// Outputs are written even when the run failed, so a later step with
// `if: always()` can read them.
func (g *GitHub) Publish(o Outcome) (err error) {
	g.EndPhase()
	defer func() {
		// go-githubactions panics when a runner file cannot be written.
		if r := recover(); r != nil {
			err = fmt.Errorf("github actions: %v", r)
		}
	}()
	g.annotate(o)
	// Both files are always set by the runner; a missing one (a nested
	// or hand-made environment) is skipped rather than failing the run.
	if g.getenv("GITHUB_OUTPUT") != "" {
		for _, f := range o.Fields() {
			g.action.SetOutput(f.Name, g.redact(f.Value))
		}
	}
	if g.getenv("GITHUB_STEP_SUMMARY") != "" {
		var b bytes.Buffer
		Markdown(&b, o)
		g.action.AddStepSummary(g.redact(b.String()))
	}
	return nil
}

// annotate issues ::error for what failed and ::warning for what needs a
// look: blocked deletes and mapping fields that gave no value.
func (g *GitHub) annotate(o Outcome) {
	errorf := func(title, msg string, fields map[string]string) {
		m := map[string]string{"title": title}
		for k, v := range fields {
			m[k] = v
		}
		g.action.WithFieldsMap(m).Errorf("%s", g.redact(msg))
	}
	warnf := func(title, msg string, fields map[string]string) {
		m := map[string]string{"title": title}
		for k, v := range fields {
			m[k] = v
		}
		g.action.WithFieldsMap(m).Warningf("%s", g.redact(msg))
	}
	res := o.Result
	if res == nil {
		var at map[string]string
		if o.MappingFile != "" && o.MappingLine > 0 {
			at = map[string]string{"file": o.MappingFile, "line": strconv.Itoa(o.MappingLine)}
		}
		errorf("tide sync stopped", fmt.Sprintf("%s (exit %d; nothing was written or deleted)", o.Error, o.ExitCode), at)
		return
	}
	var mappingFile map[string]string
	if o.MappingFile != "" {
		mappingFile = map[string]string{"file": o.MappingFile}
	}
	for _, b := range res.Blocks {
		name := fmt.Sprintf("resources[%d] (kind %q)", b.Index, b.Kind)
		if len(b.WriteErrors) > 0 {
			errorf("tide: "+name+": writes failed", fmt.Sprintf("%d failed write(s); first: %s", b.Failed, b.WriteErrors[0]), nil)
		}
		for _, m := range b.Misconfigured {
			warnf("tide: mapping field gave no value",
				fmt.Sprintf("%s: field %s = %s gave no value for %d item(s) (%s)", name, m.Field, m.Expr, m.Count, misconfigWhy(m)), mappingFile)
		}
		for _, s := range b.Warnings {
			warnf("tide: "+name, s, mappingFile)
		}
	}
	for _, n := range res.Notices {
		if n.Kind != tsync.NoticeMapping {
			warnf("tide: notice", noticeText(n), mappingFile)
		}
	}
	// Block errors come grouped, one annotation per distinct error.
	for _, e := range res.Errors {
		if strings.HasPrefix(e, "resources[") {
			blocks, _, _ := strings.Cut(e, " (kind")
			errorf("tide: "+blocks+" failed", e+" (no stale entity was deleted)", nil)
		} else {
			errorf("tide sync", e, nil)
		}
	}
	d := res.Deletion
	switch {
	case d.State == tsync.DeletionBlocked || (d.State != tsync.DeletionSkipped && d.Blocked > 0):
		// An error, not a warning: the step fails with exit code 3.
		errorf("tide: stale deletes blocked (exit 3)", fmt.Sprintf("%d stale entities kept: %s", d.Blocked, d.Reason), nil)
	case d.State == tsync.DeletionSkipped && d.Blocked > 0:
		warnf("tide: stale deletes skipped", fmt.Sprintf("%d owned entities not seen this run were kept: %s", d.Blocked, d.Reason), nil)
	}
	for _, e := range d.Errors {
		errorf("tide: delete failed", e, nil)
	}
}
