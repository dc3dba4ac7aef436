package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tsync "github.com/tide-sync/tide/sync"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// secret is a token that must never reach a report: it appears in an error
// message the reporter is handed, as a leaked token in a vendor error would.
const secret = "ghp_s3cretTok3nValue42"

func redactSecret(s string) string { return strings.ReplaceAll(s, secret, "[REDACTED]") }

// scenario returns the outcome of one kind of run, as the engine reports it.
func scenario(name string) Outcome {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	block := func(i int, bp string, c tsync.Counts) *tsync.BlockResult {
		return &tsync.BlockResult{Index: i, Kind: "file", Blueprint: bp, Counts: c, DurationMS: int64(100 * (i + 1))}
	}
	res := &tsync.Result{
		Status: tsync.StatusCompleted, Integration: "file", Identifier: "tide-file",
		StartedAt: start, DurationMS: 1234,
		Blocks: []*tsync.BlockResult{
			block(0, "team", tsync.Counts{Fetched: 10, FilteredOut: 7, Mapped: 3, Created: 1, Unchanged: 2}),
			block(1, "service", tsync.Counts{Fetched: 10, FilteredOut: 3, Mapped: 7, Created: 2, Updated: 1, Unchanged: 4, Deleted: 1}),
		},
		Deletion: tsync.Deletion{State: "done", Owned: 10, Stale: 1, Deleted: 1, Threshold: 0.9, Rate: 0.1, Scope: []string{"service", "team"}},
	}
	res.Blocks[1].Misconfigured = []tsync.MisconfigStat{{Field: "properties.tier", Expr: ".tier", Count: 5}}
	out := Outcome{Result: res, ExitCode: 0, SummaryFile: "out/summary.json", MappingFile: ".github/port/mapping.yml"}
	switch name {
	case "clean":
	case "dry-run":
		res.DryRun = true
		res.Deletion.State, res.Deletion.Deleted = "planned", 1
		for _, b := range res.Blocks {
			b.Deleted = 0
		}
		res.Plan = &tsync.Plan{
			Creates: []tsync.PlanEntity{{Blueprint: "service", Identifier: "billing", Block: 1}, {Blueprint: "team", Identifier: "data", Block: 0}},
			Updates: []tsync.PlanEntity{{Blueprint: "service", Identifier: "ledger", Block: 1, Changes: []tsync.FieldChange{{Field: "properties.lifecycle", From: "beta", To: "production"}}}},
			Deletes: []tsync.PlanEntity{{Blueprint: "service", Identifier: "refunds", Block: -1}},
		}
	case "failed-block":
		res.Status = tsync.StatusFailed
		out.ExitCode = 1
		res.Blocks[1].Error = "file " + secret + "/zz-broken.yaml: yaml: line 2: did not find expected key"
		res.Blocks[1].Counts = tsync.Counts{Fetched: 9, Mapped: 6, Created: 2, Unchanged: 4}
		res.Errors = []string{"resources[1] (kind \"file\"): " + res.Blocks[1].Error}
		res.Deletion = tsync.Deletion{State: "skipped", Reason: "resources[1] failed", Owned: 10, Stale: 1, Blocked: 1, Threshold: 0.9}
	case "blocked-delete":
		res.Status = tsync.StatusBlocked
		out.ExitCode = 3
		for _, b := range res.Blocks {
			b.Counts = tsync.Counts{}
		}
		res.Blocks[1].BlockedDeletes = 10
		res.Deletion = tsync.Deletion{State: "blocked", Owned: 10, Stale: 10, Blocked: 10, Threshold: 0.9, Rate: 1,
			Reason: "deleting 10 of 10 owned entities (100%) would exceed entityDeletionThreshold 0.9"}
		for i := range 10 {
			res.Deletion.Entities = append(res.Deletion.Entities, tsync.KeptEntity{Blueprint: "service", Identifier: fmt.Sprintf("svc-%d", i), Reason: tsync.ReasonThreshold})
		}
		res.Blocks[0].Duplicates, res.Blocks[0].DuplicateIDs = 1, []string{`team "data"`}
	case "config-error":
		return Outcome{Error: "--port-client-secret " + secret + ": usage error: --mapping: open nope.yml: no such file or directory", ExitCode: 2}
	}
	var t tsync.Counts
	for _, b := range res.Blocks {
		t.Fetched += b.Fetched
		t.FilteredOut += b.FilteredOut
		t.Mapped += b.Mapped
		t.Created += b.Created
		t.Updated += b.Updated
		t.Unchanged += b.Unchanged
		t.Deleted += b.Deleted
		t.BlockedDeletes += b.BlockedDeletes
		t.Failed += b.Failed
	}
	res.Total = t
	return out
}

var scenarios = []string{"clean", "dry-run", "failed-block", "blocked-delete", "config-error"}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// noSecret fails when the secret is anywhere but an ::add-mask:: command.
func noSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, secret) && !strings.HasPrefix(line, "::add-mask::") {
			t.Errorf("%s leaks the secret: %q", what, line)
		}
	}
}

// runnerFiles are the files the Actions runner hands a step.
func runnerFiles(t *testing.T) (getenv func(string) string, output, summary string) {
	dir := t.TempDir()
	output, summary = filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	env := map[string]string{"GITHUB_OUTPUT": output, "GITHUB_STEP_SUMMARY": summary, "GITHUB_ACTIONS": "true"}
	return func(k string) string { return env[k] }, output, summary
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGitHubReport(t *testing.T) {
	t.Parallel()
	for _, name := range scenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			getenv, output, summary := runnerFiles(t)
			var stream bytes.Buffer
			g := NewGitHub(GitHubOptions{Commands: &stream, Masks: &stream, Getenv: getenv, Redact: redactSecret})
			g.Mask([]string{secret, "", "-----BEGIN KEY-----\nline2-of-the-key\n-----END KEY-----"})
			g.Phase("Load the mapping and connect to Port")
			stream.WriteString("time=... level=INFO msg=fetching\n")
			g.Phase("Summary")
			if err := g.Publish(scenario(name)); err != nil {
				t.Fatal(err)
			}
			cmds := stream.String()
			golden(t, "github-"+name+".commands", cmds)
			out, sum := readFile(t, output), readFile(t, summary)
			golden(t, "github-"+name+".output", stableDelimiters(out))
			golden(t, "github-"+name+".summary.md", sum)

			// Masks come before anything else the runner would print.
			// The whole secret, the multi-line key, and each of its lines.
			const masks = 5
			lines := strings.Split(strings.TrimSpace(cmds), "\n")
			for i, l := range lines {
				if i < masks && !strings.HasPrefix(l, "::add-mask::") {
					t.Fatalf("line %d is %q, want the masks first", i, l)
				}
				if i >= masks && strings.HasPrefix(l, "::add-mask::") {
					t.Fatalf("a mask after other output, line %d", i)
				}
			}
			noSecret(t, "the command stream", cmds)
			noSecret(t, "the outputs file", out)
			noSecret(t, "the step summary", sum)
		})
	}
}

// stableDelimiters replaces the random heredoc delimiters of the outputs
// file, so the golden file is stable.
func stableDelimiters(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if j := strings.Index(l, "<<"); j > 0 {
			delim := l[j+2:]
			for k := i + 1; k < len(lines); k++ {
				if lines[k] == delim {
					lines[k] = "EOF"
					break
				}
			}
			lines[i] = l[:j+2] + "EOF"
		}
	}
	return strings.Join(lines, "\n")
}

// TestGitHubOutputsParse reads the outputs file back the way the runner
// does (name<<DELIM ... DELIM) and checks the values.
func TestGitHubOutputsParse(t *testing.T) {
	t.Parallel()
	tests := map[string]map[string]string{
		"clean":          {"status": "completed", "created": "3", "updated": "1", "unchanged": "6", "deleted": "1", "failed": "0", "summary-file": "out/summary.json", "blocked": "0", "exit-code": "0"},
		"dry-run":        {"status": "completed", "created": "3", "updated": "1", "unchanged": "6", "deleted": "0", "failed": "0", "summary-file": "out/summary.json", "blocked": "0", "exit-code": "0"},
		"failed-block":   {"status": "failed", "created": "3", "updated": "0", "unchanged": "6", "deleted": "0", "failed": "0", "summary-file": "out/summary.json", "blocked": "0", "exit-code": "1"},
		"blocked-delete": {"status": "blocked", "created": "0", "updated": "0", "unchanged": "0", "deleted": "0", "failed": "0", "summary-file": "out/summary.json", "blocked": "10", "exit-code": "3"},
		"config-error":   {"status": "error", "created": "0", "updated": "0", "unchanged": "0", "deleted": "0", "failed": "0", "summary-file": "", "blocked": "0", "exit-code": "2"},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			getenv, output, _ := runnerFiles(t)
			g := NewGitHub(GitHubOptions{Commands: &bytes.Buffer{}, Getenv: getenv, Redact: redactSecret})
			if err := g.Publish(scenario(name)); err != nil {
				t.Fatal(err)
			}
			got, err := parseEnvFile(readFile(t, output))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
		})
	}
}

func TestGitHubPublishReportsUnwritableFiles(t *testing.T) {
	t.Parallel()
	env := map[string]string{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "missing-dir", "output")}
	g := NewGitHub(GitHubOptions{Commands: &bytes.Buffer{}, Getenv: func(k string) string { return env[k] }})
	if err := g.Publish(scenario("clean")); err == nil || !strings.Contains(err.Error(), "github actions") {
		t.Fatalf("err = %v, want a github actions error", err)
	}
}

func TestGitLabReports(t *testing.T) {
	t.Parallel()
	for _, name := range scenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := scenario(name)
			o.Error = redactSecret(o.Error) // the caller redacts, as cmd_sync does
			if o.Result != nil {
				for _, b := range o.Result.Blocks {
					b.Error = redactSecret(b.Error)
				}
				for i, e := range o.Result.Errors {
					o.Result.Errors[i] = redactSecret(e)
				}
			}
			var junit, dotenv bytes.Buffer
			if err := JUnit(&junit, o); err != nil {
				t.Fatal(err)
			}
			if err := Dotenv(&dotenv, o); err != nil {
				t.Fatal(err)
			}
			golden(t, "gitlab-"+name+".junit.xml", junit.String())
			golden(t, "gitlab-"+name+".env", dotenv.String())
			noSecret(t, "junit", junit.String())
			noSecret(t, "dotenv", dotenv.String())

			var doc junitSuites
			if err := xml.Unmarshal(junit.Bytes(), &doc); err != nil {
				t.Fatalf("the JUnit report is not XML: %v", err)
			}
			if o.Result != nil && doc.Tests != len(o.Result.Blocks)+1 {
				t.Errorf("tests = %d, want one per block plus deletion (%d)", doc.Tests, len(o.Result.Blocks)+1)
			}
		})
	}
}

func TestJUnitFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario                  string
		failures, errors, skipped int
		failureText               string
	}{
		{"clean", 0, 0, 0, ""},
		{"dry-run", 0, 0, 0, ""},
		{"failed-block", 1, 0, 1, "zz-broken.yaml: yaml: line 2: did not find expected key"},
		{"blocked-delete", 1, 0, 0, "would exceed entityDeletionThreshold 0.9"},
		{"config-error", 0, 1, 0, "no such file or directory"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := JUnit(&b, scenario(tt.scenario)); err != nil {
			t.Fatal(err)
		}
		var doc junitSuites
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		got := [3]int{doc.Failures, doc.Errors, doc.Skipped}
		if want := [3]int{tt.failures, tt.errors, tt.skipped}; got != want {
			t.Errorf("%s: failures/errors/skipped = %v, want %v", tt.scenario, got, want)
		}
		var texts []string
		for _, c := range doc.Suites[0].Cases {
			if c.Failure != nil {
				texts = append(texts, c.Failure.Text)
			}
			if c.Error != nil {
				texts = append(texts, c.Error.Text)
			}
		}
		if tt.failureText != "" && !strings.Contains(strings.Join(texts, "\n"), tt.failureText) {
			t.Errorf("%s: failure texts %q lack %q", tt.scenario, texts, tt.failureText)
		}
	}
}

func TestGitLabSections(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	g := NewGitLab(&b, func() time.Time { return time.Unix(1700000000, 0) })
	g.Phase("Load the mapping and connect to Port")
	b.WriteString("log line\n")
	g.Phase("Summary")
	g.Phase("Summary")
	if err := g.Publish(scenario("clean")); err != nil {
		t.Fatal(err)
	}
	want := "\x1b[0Ksection_start:1700000000:tide_load_the_mapping_and_connect_to_port[collapsed=false]\r\x1b[0KLoad the mapping and connect to Port\n" +
		"log line\n" +
		"\x1b[0Ksection_end:1700000000:tide_load_the_mapping_and_connect_to_port\r\x1b[0K\n" +
		"\x1b[0Ksection_start:1700000000:tide_summary[collapsed=false]\r\x1b[0KSummary\n" +
		"\x1b[0Ksection_end:1700000000:tide_summary\r\x1b[0K\n" +
		"\x1b[0Ksection_start:1700000000:tide_summary_2[collapsed=false]\r\x1b[0KSummary\n" +
		"\x1b[0Ksection_end:1700000000:tide_summary_2\r\x1b[0K\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("sections (-want +got):\n%s", d)
	}
}

func TestColorText(t *testing.T) {
	t.Parallel()
	var plain, color bytes.Buffer
	o := scenario("failed-block")
	Text(&plain, o.Result)
	ColorText(&color, o.Result)
	if !strings.Contains(color.String(), ansiRed+ansiBold+"failed"+ansiReset) {
		t.Errorf("status not coloured:\n%q", color.String())
	}
	stripped := strings.NewReplacer(ansiReset, "", ansiBold, "", ansiRed, "", ansiGreen, "", ansiYellow, "").Replace(color.String())
	if d := cmp.Diff(plain.String(), stripped); d != "" {
		t.Errorf("colour changed the text (-plain +colour):\n%s", d)
	}
}

// parseEnvFile reads a GITHUB_OUTPUT/GITHUB_ENV file as the runner does:
// name=value lines and name<<DELIMITER heredocs.
func parseEnvFile(s string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSuffix(lines[i], "\r")
		if l == "" {
			continue
		}
		if j := strings.Index(l, "<<"); j > 0 && (!strings.Contains(l, "=") || strings.Index(l, "=") > j) {
			name, delim := l[:j], l[j+2:]
			var val []string
			for i++; ; i++ {
				if i >= len(lines) {
					return nil, fmt.Errorf("%s: no closing delimiter %q", name, delim)
				}
				if strings.TrimSuffix(lines[i], "\r") == delim {
					break
				}
				val = append(val, strings.TrimSuffix(lines[i], "\r"))
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is neither name=value nor name<<DELIMITER", i+1, l)
		}
		out[name] = val
	}
	return out, nil
}
