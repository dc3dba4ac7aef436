package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
	"github.com/tide-sync/tide/sync/report"
)

// ciRun is one `tide sync` inside a CI runner: the runner's env files, the
// reports asked for, and what was printed.
type ciRun struct {
	code                   int
	stdout, stderr         string
	outputs                map[string]string
	stepSummary            string
	junit, dotenv, summary string
}

// syncInCI runs tide as a step of the CI named by ci ("github" or
// "gitlab") against the harness's Port fake.
func (h *harness) syncInCI(ci string, extra ...string) ciRun {
	h.t.Helper()
	dir := h.t.TempDir()
	env := map[string]string{}
	for k, v := range h.env {
		env[k] = v
	}
	files := map[string]string{
		"output": filepath.Join(dir, "github_output"), "step": filepath.Join(dir, "step_summary"),
		"junit": filepath.Join(dir, "reports", "junit.xml"), "dotenv": filepath.Join(dir, "reports", "tide.env"),
		"summary": filepath.Join(dir, "summary.json"),
	}
	switch ci {
	case "github":
		env["GITHUB_ACTIONS"] = "true"
		env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"] = files["output"], files["step"]
		for _, f := range []string{files["output"], files["step"]} {
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				h.t.Fatal(err)
			}
		}
	case "gitlab":
		env["GITLAB_CI"] = "true"
	}
	args := append([]string{"sync",
		"--integration", "file",
		"--file-glob", filepath.Join(h.dir, "**", "*.yaml"),
		"--port-url", h.url,
		"--init-resources",
		"--summary-file", files["summary"],
		"--junit-report", files["junit"],
		"--dotenv-report", files["dotenv"],
	}, extra...)
	var out, errb bytes.Buffer
	r := ciRun{code: run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)}
	r.stdout, r.stderr = out.String(), errb.String()
	read := func(name string) string {
		b, err := os.ReadFile(files[name])
		if err != nil && !os.IsNotExist(err) {
			h.t.Fatal(err)
		}
		return string(b)
	}
	r.stepSummary, r.junit, r.dotenv, r.summary = read("step"), read("junit"), read("dotenv"), read("summary")
	if ci == "github" {
		var err error
		if r.outputs, err = parseEnvFile(read("output")); err != nil {
			h.t.Fatalf("GITHUB_OUTPUT: %v", err)
		}
	}
	// The ::add-mask:: commands carry the secrets by design: the runner
	// consumes them and never prints them. Everything else is checked by
	// the harness for secrets.
	h.out = append(h.out, withoutMasks(r.stdout), withoutMasks(r.stderr), r.stepSummary, r.junit, r.dotenv, r.summary, fmt.Sprint(r.outputs))
	return r
}

func withoutMasks(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// parseEnvFile reads a GITHUB_OUTPUT file as the runner does.
func parseEnvFile(s string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if j := strings.Index(l, "<<"); j > 0 && !strings.Contains(l[:j], "=") {
			name, delim := l[:j], l[j+2:]
			var val []string
			for i++; ; i++ {
				if i >= len(lines) {
					return nil, fmt.Errorf("%s: no closing delimiter", name)
				}
				if lines[i] == delim {
					break
				}
				val = append(val, lines[i])
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("line %q", l)
		}
		out[name] = val
	}
	return out, nil
}

func parseDotenv(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("dotenv line %q", l)
		}
		out[k] = v
	}
	return out
}

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Text string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Text string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, s string) junitDoc {
	t.Helper()
	var d junitDoc
	if err := xml.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("junit report: %v\n%s", err, s)
	}
	return d
}

// fields picks the outputs every scenario asserts.
func fields(m map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"status", "created", "updated", "unchanged", "deleted", "failed", "exit-code"} {
		out[k] = m[k]
	}
	return out
}

func TestGitHubActionsStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	// A clean first run: masks first, groups per phase, outputs, summary.
	r := h.syncInCI("github")
	mustCode(t, r.code, exitOK, r.stdout, r.stderr)
	if !strings.HasPrefix(r.stderr, "::add-mask::"+testClientID+"\n::add-mask::"+testClientSecret+"\n") {
		t.Fatalf("stderr does not start with the masks:\n%s", r.stderr)
	}
	for _, g := range []string{"::group::Load the mapping and connect to Port", "::group::Sync: fetch, map, write and delete stale entities", "::group::Summary", "::endgroup::"} {
		if !strings.Contains(r.stderr, g) {
			t.Errorf("no %q in stderr:\n%s", g, r.stderr)
		}
	}
	want := map[string]string{"status": "completed", "created": "10", "updated": "0", "unchanged": "0", "deleted": "0", "failed": "0", "exit-code": "0"}
	if d := cmp.Diff(want, fields(r.outputs)); d != "" {
		t.Errorf("outputs (-want +got):\n%s", d)
	}
	if r.outputs["summary-file"] == "" || r.summary == "" {
		t.Errorf("summary-file output %q, summary %d bytes", r.outputs["summary-file"], len(r.summary))
	}
	if !strings.Contains(r.stepSummary, "| **total** |") || !strings.Contains(r.stepSummary, "✅") {
		t.Errorf("step summary:\n%s", r.stepSummary)
	}
	// The default mapping marks the fields a catalog file may leave out
	// (tier among them) optional with `// null`: a scheduled run over
	// files without them shows no warning every time.
	if strings.Contains(r.stderr, "mapping field gave no value") {
		t.Errorf("a ::warning for an optional field:\n%s", r.stderr)
	}

	// A dry run that would delete: the plan is in the step summary.
	h.editFile("services.yaml", removeService("refunds"))
	r = h.syncInCI("github", "--dry-run")
	mustCode(t, r.code, exitOK, r.stdout, r.stderr)
	if !strings.Contains(r.stepSummary, "**dry run**") || !strings.Contains(r.stepSummary, "`service/refunds`") || !strings.Contains(r.stepSummary, "Plan: 0 to create") {
		t.Errorf("dry-run step summary lacks the plan:\n%s", r.stepSummary)
	}
	if !strings.Contains(r.stderr, "::group::Plan: fetch, map and compare (dry run)") {
		t.Errorf("dry-run phase not grouped:\n%s", r.stderr)
	}

	// A failing block whose error names a path holding the secret: the
	// ::error names the block, the secret is redacted everywhere.
	broken := filepath.Join(h.dir, "zz-"+testClientSecret+".yaml")
	if err := os.WriteFile(broken, []byte("kind: service\n  identifier: [oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = h.syncInCI("github")
	mustCode(t, r.code, exitFailed, r.stdout, r.stderr)
	if !strings.Contains(r.stderr, "::error title=tide%3A resources[") || !strings.Contains(r.stderr, "zz-[REDACTED].yaml") {
		t.Errorf("no redacted ::error for the failed block:\n%s", r.stderr)
	}
	if r.outputs["status"] != "failed" || r.outputs["exit-code"] != "1" {
		t.Errorf("outputs = %v", r.outputs)
	}
	if _, ok := h.fake.Entity("service", "refunds"); !ok {
		t.Fatal("refunds deleted after a failed block")
	}
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}

	// Everything vanishes: the guard blocks, exit 3, explained.
	for _, f := range []string{"services.yaml", "teams.yaml"} {
		if err := os.WriteFile(filepath.Join(h.dir, f), []byte("[]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h.fake.ResetCounts()
	r = h.syncInCI("github")
	mustCode(t, r.code, exitBlocked, r.stdout, r.stderr)
	if h.fake.Count(porttest.RouteBulkDelete) != 0 {
		t.Fatal("deleted past the guard")
	}
	if r.outputs["status"] != "blocked" || r.outputs["blocked"] == "0" || r.outputs["exit-code"] != "3" {
		t.Errorf("outputs = %v", r.outputs)
	}
	if !strings.Contains(r.stepSummary, "[!WARNING]") || !strings.Contains(r.stepSummary, "entityDeletionThreshold") {
		t.Errorf("step summary does not explain the block:\n%s", r.stepSummary)
	}
	if !strings.Contains(r.stderr, "::error title=tide%3A stale deletes blocked") {
		t.Errorf("no annotation for the blocked deletes:\n%s", r.stderr)
	}
}

func TestGitHubActionsConfigError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.syncInCI("github", "--mapping", filepath.Join(h.dir, "missing-"+testClientSecret+".yml"))
	mustCode(t, r.code, exitUsage, r.stdout, r.stderr)
	if h.writes() != 0 {
		t.Fatal("a config error wrote")
	}
	if r.outputs["status"] != "error" || r.outputs["exit-code"] != "2" {
		t.Errorf("outputs = %v", r.outputs)
	}
	if !strings.Contains(r.stderr, "::error title=tide sync stopped::") || !strings.Contains(r.stderr, "--mapping") {
		t.Errorf("no ::error for the config error:\n%s", r.stderr)
	}
	if !strings.Contains(r.stepSummary, "nothing was written or deleted") {
		t.Errorf("step summary:\n%s", r.stepSummary)
	}
}

func TestGitLabCIJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.syncInCI("gitlab")
	mustCode(t, r.code, exitOK, r.stdout, r.stderr)
	if !strings.Contains(r.stderr, "section_start:") || !strings.Contains(r.stderr, "section_end:") {
		t.Errorf("no collapsible sections:\n%q", r.stderr)
	}
	if strings.Contains(r.stderr, "::") {
		t.Errorf("GitHub commands in a GitLab job:\n%s", r.stderr)
	}
	j := parseJUnit(t, r.junit)
	if j.Tests != 4 || j.Failures != 0 {
		t.Errorf("junit tests=%d failures=%d, want 3 blocks + deletion, no failures", j.Tests, j.Failures)
	}
	env := parseDotenv(t, r.dotenv)
	want := map[string]string{"TIDE_RESULT_STATUS": "completed", "TIDE_RESULT_CREATED": "10", "TIDE_RESULT_EXIT_CODE": "0"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}

	// A failed block is a failed test case whose text is the error.
	if err := os.WriteFile(filepath.Join(h.dir, "zz-broken.yaml"), []byte("kind: service\n  identifier: [oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = h.syncInCI("gitlab")
	mustCode(t, r.code, exitFailed, r.stdout, r.stderr)
	j = parseJUnit(t, r.junit)
	var failed []string
	for _, c := range j.Suites[0].Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name+": "+c.Failure.Text)
		}
	}
	if len(failed) != 3 || !strings.Contains(strings.Join(failed, "\n"), "zz-broken.yaml") {
		// Every block reads the same files, so all three fail.
		t.Errorf("failed cases = %q", failed)
	}
	if env := parseDotenv(t, r.dotenv); env["TIDE_RESULT_STATUS"] != "failed" {
		t.Errorf("dotenv = %v", env)
	}

	// Bad input still leaves both reports, so `when: always` artifacts exist.
	r = h.syncInCI("gitlab", "--concurrency", "0")
	mustCode(t, r.code, exitUsage, r.stdout, r.stderr)
	if j := parseJUnit(t, r.junit); j.Errors != 1 {
		t.Errorf("config error: junit errors = %d", j.Errors)
	}
	if env := parseDotenv(t, r.dotenv); env["TIDE_RESULT_STATUS"] != "error" || env["TIDE_RESULT_EXIT_CODE"] != "2" {
		t.Errorf("dotenv = %v", env)
	}
}

func TestCIFlagValidated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.syncInCI("", "--ci", "jenkins")
	mustCode(t, r.code, exitUsage, r.stdout, r.stderr)
	if !strings.Contains(r.stderr, `--ci "jenkins"`) {
		t.Errorf("stderr = %s", r.stderr)
	}
}

// TestRedactResultBeforeRendering: renderers escape text (JSON \u0026, XML
// &amp;, markdown &lt;), so a secret with such characters must be gone from
// the Result before any of them sees it.
func TestRedactResultBeforeRendering(t *testing.T) {
	t.Parallel()
	const sec = "p<a&s>s\"word-42"
	res := &tsync.Result{Status: tsync.StatusFailed, Integration: "file", Identifier: "x",
		Blocks:   []*tsync.BlockResult{{Index: 0, Kind: "file", Error: "vendor said: bad token " + sec}},
		Errors:   []string{"resources[0]: " + sec},
		Deletion: tsync.Deletion{State: "skipped", Reason: sec},
		Plan:     &tsync.Plan{Updates: []tsync.PlanEntity{{Changes: []tsync.FieldChange{{Field: "properties.k", From: sec, To: map[string]any{"n": sec}}}}}},
	}
	got, err := redactResult(res, []string{sec})
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	report.Text(&all, got)
	report.Markdown(&all, report.Outcome{Result: got, ExitCode: 1})
	if err := report.JSON(&all, got); err != nil {
		t.Fatal(err)
	}
	if err := report.JUnit(&all, report.Outcome{Result: got, ExitCode: 1}); err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{sec, "p\\u003ca\\u0026s", "p&lt;a&amp;s", "a&amp;s"} {
		if strings.Contains(all.String(), form) {
			t.Fatalf("rendered reports hold %q:\n%s", form, all.String())
		}
	}
	if !strings.Contains(all.String(), "bad token [REDACTED]") {
		t.Fatalf("the message around the secret was lost:\n%s", all.String())
	}
	if res.Blocks[0].Error == got.Blocks[0].Error {
		t.Fatal("not redacted")
	}
}
