package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	tsync "github.com/tide-sync/tide/sync"
)

// GitLab reports a run to GitLab CI's job log: a collapsible section per
// phase. The JUnit and dotenv reports are files (JUnit, Dotenv), written
// wherever asked, not only inside GitLab.
type GitLab struct {
	w    io.Writer
	now  func() time.Time
	open string
	seen map[string]int
}

// NewGitLab returns a GitLab CI reporter writing section markers to w, the
// log stream. now stamps the markers; nil means time.Now.
func NewGitLab(w io.Writer, now func() time.Time) *GitLab {
	if now == nil {
		now = time.Now
	}
	return &GitLab{w: w, now: now, seen: map[string]int{}}
}

var sectionName = regexp.MustCompile(`[^a-z0-9_.-]+`)

// Phase closes the open section, if any, and opens one titled title.
func (g *GitLab) Phase(title string) {
	g.EndPhase()
	name := "tide_" + strings.Trim(sectionName.ReplaceAllString(strings.ToLower(title), "_"), "_")
	g.seen[name]++
	if n := g.seen[name]; n > 1 {
		name = fmt.Sprintf("%s_%d", name, n)
	}
	// \x1b[0K clears the line so the raw marker never shows.
	fmt.Fprintf(g.w, "\x1b[0Ksection_start:%d:%s[collapsed=false]\r\x1b[0K%s\n", g.now().Unix(), name, title)
	g.open = name
}

// EndPhase closes the open section.
func (g *GitLab) EndPhase() {
	if g.open != "" {
		fmt.Fprintf(g.w, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", g.now().Unix(), g.open)
		g.open = ""
	}
}

// Mask does nothing: GitLab masks only CI/CD variables it was told about;
// tide's own redactor keeps secrets out of what it prints.
func (g *GitLab) Mask([]string) {}

// Publish closes the last section; the reports are separate files.
func (g *GitLab) Publish(Outcome) error {
	g.EndPhase()
	return nil
}

// DotenvPrefix starts every dotenv variable, so the values a downstream job
// receives never collide with tide's own TIDE_* flags.
const DotenvPrefix = "TIDE_RESULT_"

// DotenvName is the dotenv variable of a field: summary-file becomes
// TIDE_RESULT_SUMMARY_FILE.
func DotenvName(field string) string {
	return DotenvPrefix + strings.ToUpper(strings.ReplaceAll(field, "-", "_"))
}

// Dotenv writes the fields of the outcome as a dotenv file (GitLab's
// artifacts:reports:dotenv), the same fields as the GitHub step outputs.
func Dotenv(w io.Writer, o Outcome) error {
	var b strings.Builder
	for _, f := range o.Fields() {
		// GitLab's dotenv parser takes no multi-line values.
		v := strings.NewReplacer("\n", " ", "\r", " ").Replace(f.Value)
		fmt.Fprintf(&b, "%s=%s\n", DotenvName(f.Name), v)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
	SystemOut string      `xml:"system-out,omitempty"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// JUnit writes the outcome as a JUnit XML report: one test case per
// resource block (its failure text is the block's error) plus one for stale
// entity deletion, so GitLab's Tests tab and merge request widget show the
// sync. A run that stopped before syncing is a single errored test case.
func JUnit(w io.Writer, o Outcome) error {
	res := o.Result
	var suite junitSuite
	if res == nil {
		suite = junitSuite{Name: "tide sync", Time: "0.000", Cases: []junitCase{{
			Classname: "tide", Name: "tide sync", Time: "0.000",
			Error: &junitFailure{Message: firstLine(o.Error), Type: o.Status(), Text: fmt.Sprintf("%s\n(exit %d; nothing was written or deleted)", o.Error, o.ExitCode)},
		}}}
	} else {
		class := "tide." + res.Integration + "." + res.Identifier
		suite = junitSuite{
			Name:      fmt.Sprintf("tide sync %s → %s", res.Integration, res.Identifier),
			Time:      seconds(res.DurationMS),
			Timestamp: res.StartedAt.UTC().Format("2006-01-02T15:04:05"),
		}
		if res.DryRun {
			suite.Name += " (dry run)"
		}
		for _, b := range res.Blocks {
			c := junitCase{
				Classname: class,
				Name:      fmt.Sprintf("resources[%d] %s → %s", b.Index, b.Kind, orDash(b.Blueprint)),
				Time:      seconds(b.DurationMS),
			}
			switch {
			case b.Skipped:
				c.Skipped = &junitSkipped{Message: "not selected by --kinds"}
			case b.Error != "":
				c.Failure = &junitFailure{Message: firstLine(b.Error), Type: "block failed", Text: b.Error}
			case len(b.WriteErrors) > 0 || b.Failed > 0:
				text := strings.Join(b.WriteErrors, "\n")
				if n := moreFailed(b); n > 0 {
					text += fmt.Sprintf("\n… and %d more failed writes", n)
				}
				c.Failure = &junitFailure{Message: fmt.Sprintf("%d failed write(s)", b.Failed), Type: "writes failed", Text: text}
			}
			if !b.Skipped {
				c.SystemOut = blockText(b)
				for _, n := range res.Notices {
					if n.Block == b.Index {
						c.SystemOut += "notice: " + noticeText(n) + "\n"
					}
				}
			}
			suite.Cases = append(suite.Cases, c)
		}
		suite.Cases = append(suite.Cases, deletionCase(class, res))
		var out bytes.Buffer
		Text(&out, res)
		suite.SystemOut = out.String()
	}
	suite.Tests = len(suite.Cases)
	for _, c := range suite.Cases {
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	all := junitSuites{Name: "tide", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func deletionCase(class string, res *tsync.Result) junitCase {
	d := res.Deletion
	c := junitCase{Classname: class, Name: "stale entity deletion", Time: "0.000", SystemOut: "deletion: " + deletionLine(d, res.DryRun) + "\n"}
	switch {
	case d.State == tsync.DeletionBlocked || (d.State != tsync.DeletionSkipped && d.Blocked > 0):
		c.Failure = &junitFailure{Message: fmt.Sprintf("%d stale deletes blocked by a guard", d.Blocked), Type: "deletes blocked", Text: deletionLine(d, res.DryRun)}
	case d.Failed > 0 || len(d.Errors) > 0:
		c.Failure = &junitFailure{Message: fmt.Sprintf("%d delete(s) failed", d.Failed), Type: "deletes failed", Text: strings.Join(d.Errors, "\n")}
	case d.State == tsync.DeletionSkipped:
		c.Skipped = &junitSkipped{Message: "deletion skipped: " + d.Reason}
	}
	return c
}

func blockText(b *tsync.BlockResult) string {
	c := b.Counts
	s := fmt.Sprintf("fetched %d, filtered out %d, mapped %d, unmapped %d, created %d, updated %d, unchanged %d, deleted %d, failed %d\n",
		c.Fetched, c.FilteredOut, c.Mapped, c.FailedToMap, c.Created, c.Updated, c.Unchanged, c.Deleted, c.Failed)
	for _, m := range b.Misconfigured {
		s += fmt.Sprintf("mapping field %s = %s gave no value for %d item(s) (%s)\n", m.Field, m.Expr, m.Count, misconfigWhy(m))
	}
	for _, w := range b.Warnings {
		s += w + "\n"
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
