package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tide-sync/tide/sync/port/porttest"
)

// A Port whose bulk endpoint never answers ends the run within the bound
// --http-timeout sets (each request gives up after ten times it), without
// --timeout: exit 1, nothing deleted, and the error names the flag.
func TestStalledPortEndsWithinTheHTTPBound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)
	h.editFile("services.yaml", removeService("gateway"))
	h.editFile("services.yaml", func(s string) string { return strings.Replace(s, "title: Auth", "title: Auth 2", 1) })
	h.fake.ResetCounts()
	h.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Delay: time.Hour, Times: 1000})
	code, out, errs, sum := h.sync("--http-timeout", "300ms")
	mustCode(t, code, exitFailed, out, errs)
	if n := h.fake.Count(porttest.RouteBulkDelete); n != 0 {
		t.Fatalf("%d deletes after failed writes\n%s\n%s", n, out, errs)
	}
	if _, ok := h.fake.Entity("service", "gateway"); !ok {
		t.Fatal("gateway deleted")
	}
	if !strings.Contains(strings.Join(sum.Errors, "\n")+out+errs, "--http-timeout") {
		t.Fatalf("errors do not name --http-timeout: %v\n%s", sum.Errors, errs)
	}
}

// A burst of connection resets on bulk upserts is retried with backoff
// (a wait after each reset, not ten attempts back to back) and the run
// succeeds.
func TestConnectionResetsAreRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Reset: true, Times: 2})
	code, out, errs, sum := h.sync("--log-format", "json")
	mustCode(t, code, exitOK, out, errs)
	if h.fake.Len() != 10 || sum.Total.Created != 10 || sum.Total.Failed != 0 {
		t.Fatalf("after resets: %d entities, total %+v", h.fake.Len(), sum.Total)
	}
	waits := regexp.MustCompile(`"msg":"retrying","component":"port".*"wait":([0-9]+)`).FindAllStringSubmatch(errs, -1)
	if len(waits) < 2 {
		t.Fatalf("want a logged retry per reset:\n%s", errs)
	}
	for _, w := range waits {
		if w[1] == "0" {
			t.Fatalf("a reset was retried without a wait:\n%s", errs)
		}
	}
}

// An access token Port echoes in an error reaches no output: not stdout,
// stderr, the JSON summary, the markdown or JUnit report, the GitHub step
// summary or outputs; the runner is told to mask it the moment it exists.
func TestRunTimeTokenInNoOutput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Status: 403, EchoAuthorization: true, Times: 1000})
	md := t.TempDir() + "/summary.md"
	r := h.syncInCI("github", "--markdown-report", md)
	mustCode(t, r.code, exitFailed, r.stdout, r.stderr)
	m := regexp.MustCompile(`(?m)^::add-mask::(tok-[0-9-]+)$`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("the access token was not masked:\n%s", r.stderr)
	}
	tok := m[1]
	markdown := readFile(t, md)
	outputs := ""
	for k, v := range r.outputs {
		outputs += k + "=" + v + "\n"
	}
	logs := strings.Replace(r.stderr, m[0], "", 1)
	for name, text := range map[string]string{"stdout": r.stdout, "stderr": logs, "summary": r.summary, "junit": r.junit, "dotenv": r.dotenv, "markdown": markdown, "step summary": r.stepSummary, "outputs": outputs} {
		if strings.Contains(text, tok) {
			t.Errorf("%s shows the access token:\n%s", name, text)
		}
	}
	if !strings.Contains(r.summary+markdown, "Authorization: Bearer [REDACTED]") {
		t.Errorf("the refusal is not reported (redacted):\n%s\n%s", r.summary, markdown)
	}
	if h.fake.Count(porttest.RouteBulkDelete) != 0 {
		t.Fatal("deleted after refused writes")
	}
}
