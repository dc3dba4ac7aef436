package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tide-sync/tide/internal/secret"
	"github.com/tide-sync/tide/sync/report"
)

// failIfOK turns success into failure when a report could not be written: a
// pipeline that reads a missing file must not see a green step.
func failIfOK(code int) int {
	if code == exitOK || code == exitBlocked {
		return exitFailed
	}
	return code
}

// ciReporter is what a CI system shows natively (report.GitHub,
// report.GitLab): masks, folded log phases, annotations, outputs.
type ciReporter interface {
	Mask(secrets []string)
	Phase(title string)
	EndPhase()
	Publish(report.Outcome) error
}

// plainCI is a terminal or cron: the text summary says everything.
type plainCI struct{}

func (plainCI) Mask([]string)                {}
func (plainCI) Phase(string)                 {}
func (plainCI) EndPhase()                    {}
func (plainCI) Publish(report.Outcome) error { return nil }

// newCIReporter picks the CI reporter for --ci. Workflow commands and
// section markers go to stderr, the log stream, so the folds wrap the log
// lines of their phase; masks go there unredacted (raw), since the
// redactor would blank the very value the runner has to learn.
func newCIReporter(mode string, getenv func(string) string, raw, stderr io.Writer, secrets *secret.Set) (ciReporter, error) {
	switch mode {
	case "auto", "":
		switch {
		case getenv("GITHUB_ACTIONS") == "true":
			mode = "github"
		case getenv("GITLAB_CI") == "true":
			mode = "gitlab"
		default:
			mode = "none"
		}
	case "github", "gitlab", "none":
	default:
		return plainCI{}, fmt.Errorf("%w: --ci %q: want auto, github, gitlab or none", errUsage, mode)
	}
	switch mode {
	case "github":
		return report.NewGitHub(report.GitHubOptions{
			Commands: stderr,
			Masks:    raw,
			Getenv:   getenv,
			Redact:   secrets.Redact,
		}), nil
	case "gitlab":
		return report.NewGitLab(stderr, nil), nil
	}
	return plainCI{}, nil
}

// reporting ends a run: the CI reporter's annotations and outputs, and the
// JUnit and dotenv files, whatever the outcome, so a pipeline's
// `when: always` artifacts and `if: always()` steps find them.
type reporting struct {
	ci            ciReporter
	stderr        io.Writer
	secrets       *secret.Set
	junit, dotenv string
	markdown      string
	summary       string
	mapping       string
}

// removeStale deletes the report files a previous run left, before this
// run does anything: a pipeline must never read the last run's
// "completed" as this run's.
func (r *reporting) removeStale() {
	for _, p := range []string{r.summary, r.junit, r.dotenv, r.markdown} {
		if p == "" {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(r.stderr, "tide: removing the previous report %s: %v\n", p, err)
		}
	}
}

func (r *reporting) finish(out report.Outcome) int {
	secrets := r.secrets.Values()
	out.Error = redactString(out.Error, secrets)
	out.MappingFile = r.mapping
	code := out.ExitCode
	// The JSON summary is written whatever the outcome (exit 2 included),
	// so a script reading it always reads this run.
	if r.summary != "" {
		if err := writeReport(r.summary, secrets, func(w io.Writer) error { return report.SummaryJSON(w, out) }); err != nil {
			fmt.Fprintf(r.stderr, "tide: --summary-file: %v\n", err)
			code = failIfOK(code)
		} else {
			out.SummaryFile = r.summary
		}
	}
	if r.junit != "" {
		if err := writeReport(r.junit, secrets, func(w io.Writer) error { return report.JUnit(w, out) }); err != nil {
			fmt.Fprintf(r.stderr, "tide: --junit-report: %v\n", err)
			code = failIfOK(code)
		}
	}
	if r.dotenv != "" {
		if err := writeReport(r.dotenv, secrets, func(w io.Writer) error { return report.Dotenv(w, out) }); err != nil {
			fmt.Fprintf(r.stderr, "tide: --dotenv-report: %v\n", err)
			code = failIfOK(code)
		}
	}
	if r.markdown != "" {
		if err := writeReport(r.markdown, secrets, func(w io.Writer) error { report.Markdown(w, out); return nil }); err != nil {
			fmt.Fprintf(r.stderr, "tide: --markdown-report: %v\n", err)
			code = failIfOK(code)
		}
	}
	if err := r.ci.Publish(out); err != nil {
		fmt.Fprintf(r.stderr, "tide: %v\n", err)
		code = failIfOK(code)
	}
	return code
}

// writeReport renders a report and writes it, redacted, to path.
func writeReport(path string, secrets []string, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(path, []byte(redactString(b.String(), secrets)), 0o644)
}

func (o *syncOptions) secrets(specs []flagSpec) []string {
	var out []string
	for _, s := range specs {
		if !s.secret {
			continue
		}
		switch s.name {
		case "port-client-id":
			out = append(out, o.clientID)
		case "port-client-secret":
			out = append(out, o.clientSecret)
		default:
			out = append(out, o.params.List(s.name)...)
		}
	}
	return out
}
