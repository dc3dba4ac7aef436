package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

const (
	testClientID     = "cid-e2e-7f3a91"
	testClientSecret = "s3cret-e2e-9b8c7d6e5f"
)

// writeRoutes are the routes that change the catalog.
var writeRoutes = []string{porttest.RouteBulkUpsert, porttest.RouteEntityUpsert, porttest.RouteBulkDelete, porttest.RouteEntityDelete}

// writeCount is the number of write requests fake has served.
func writeCount(fake *porttest.Server) int {
	n := 0
	for _, r := range writeRoutes {
		n += fake.Count(r)
	}
	return n
}

// syncWithSummary runs tide with args (the subcommand first) plus a
// --summary-file and returns the exit code, stdout, stderr and the summary
// file's result (nil when none was written).
func syncWithSummary(t testing.TB, ctx context.Context, args []string, env map[string]string) (code int, stdout, stderr string, sum *tsync.Result) {
	t.Helper()
	summary := filepath.Join(t.TempDir(), "summary.json")
	// Before the caller's flags, so a test's own --summary-file wins.
	args = append([]string{args[0], "--summary-file", summary}, args[1:]...)
	var out, errb bytes.Buffer
	code = run(ctx, args, func(k string) string { return env[k] }, &out, &errb)
	if b, err := os.ReadFile(summary); err == nil {
		sum = &tsync.Result{}
		if err := json.Unmarshal(b, sum); err != nil {
			t.Fatalf("summary file: %v", err)
		}
	}
	return code, out.String(), errb.String(), sum
}

// harness is one Port fake and one catalog directory, driven through run.
type harness struct {
	t    *testing.T
	fake *porttest.Server
	url  string
	dir  string
	env  map[string]string
	out  []string // everything printed, checked for secrets at cleanup
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	fake := porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	copyDir(t, "testdata/e2e/catalog", dir)
	h := &harness{t: t, fake: fake, url: srv.URL, dir: dir, env: map[string]string{
		"TIDE_PORT_CLIENT_ID":     testClientID,
		"TIDE_PORT_CLIENT_SECRET": testClientSecret,
	}}
	t.Cleanup(func() {
		for _, o := range h.out {
			if strings.Contains(o, testClientSecret) || strings.Contains(o, testClientID) {
				t.Errorf("a secret was printed:\n%s", o)
			}
		}
	})
	return h
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sync runs `tide sync` with the harness's defaults plus extra args.
func (h *harness) sync(extra ...string) (code int, stdout, stderr string, sum *tsync.Result) {
	h.t.Helper()
	return h.syncCtx(context.Background(), extra...)
}

func (h *harness) syncCtx(ctx context.Context, extra ...string) (code int, stdout, stderr string, sum *tsync.Result) {
	h.t.Helper()
	args := append([]string{"sync",
		"--integration", "file",
		"--file-glob", filepath.Join(h.dir, "**", "*.yaml"),
		"--port-url", h.url,
		"--init-resources",
	}, extra...)
	code, stdout, stderr, sum = syncWithSummary(h.t, ctx, args, h.env)
	h.out = append(h.out, stdout, stderr)
	return code, stdout, stderr, sum
}

func (h *harness) writes() int { return writeCount(h.fake) }

func (h *harness) editFile(name string, edit func(string) string) {
	h.t.Helper()
	p := filepath.Join(h.dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		h.t.Fatal(err)
	}
	out := edit(string(b))
	if out == string(b) {
		h.t.Fatalf("edit of %s changed nothing", name)
	}
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// removeService drops one service from services.yaml.
func removeService(id string) func(string) string {
	return func(s string) string {
		re := regexp.MustCompile(`(?s)- kind: service\n  identifier: ` + regexp.QuoteMeta(id) + `\n.*?(\n- |\z)`)
		return re.ReplaceAllStringFunc(s, func(m string) string {
			if strings.HasSuffix(m, "\n- ") {
				return "- "
			}
			return ""
		})
	}
}

func ids(fake *porttest.Server, bp string) []string {
	var out []string
	for _, e := range fake.Entities(bp) {
		out = append(out, e["identifier"].(string))
	}
	return out
}

// sortedIDs is ids sorted.
func sortedIDs(fake *porttest.Server, bp string) []string {
	out := ids(fake, bp)
	sort.Strings(out)
	return out
}

func mustCode(t *testing.T, got, want int, stdout, stderr string) {
	t.Helper()
	if got != want {
		t.Fatalf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got, want, stdout, stderr)
	}
}

func TestSyncLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	code, out, errs, sum := h.sync()
	mustCode(t, code, exitOK, out, errs)
	if got, want := ids(h.fake, "service"), []string{"auth", "checkout-api", "gateway", "ledger", "notifications", "refunds", "reports", "search"}; !cmp.Equal(got, want) {
		t.Fatalf("services after first sync: %v, want %v", got, want)
	}
	if got := ids(h.fake, "team"); !cmp.Equal(got, []string{"payments", "platform"}) {
		t.Fatalf("teams after first sync: %v", got)
	}
	if sum.Total.Created != 10 || sum.Total.Updated != 0 || sum.Status != tsync.StatusCompleted {
		t.Fatalf("first sync total = %+v status %s, want 10 created", sum.Total, sum.Status)
	}
	svc, _ := h.fake.Entity("service", "checkout-api")
	rels, _ := svc["relations"].(map[string]any)
	if rels["owner"] != "payments" || !cmp.Equal(rels["dependsOn"], []any{"ledger"}) {
		t.Fatalf("checkout-api relations = %v", rels)
	}
	if !strings.Contains(out, "total") || !strings.Contains(out, "completed") {
		t.Fatalf("stdout has no summary table:\n%s", out)
	}
	if got := h.fake.ResyncStates("tide-file"); !cmp.Equal(got, []string{"running", "completed"}) {
		t.Fatalf("resync states = %v", got)
	}

	// An immediate second sync writes nothing.
	h.fake.ResetCounts()
	code, out, errs, sum = h.sync()
	mustCode(t, code, exitOK, out, errs)
	if n := h.writes(); n != 0 {
		t.Fatalf("second sync made %d write requests, want 0 (counts %v)", n, h.fake.Counts())
	}
	if sum.Total.Unchanged != 10 || sum.Total.Created+sum.Total.Updated+sum.Total.Deleted != 0 {
		t.Fatalf("second sync total = %+v", sum.Total)
	}

	// Changing one item updates exactly one entity.
	h.fake.ResetCounts()
	h.editFile("services.yaml", func(s string) string { return strings.Replace(s, "title: Search", "title: Search v2", 1) })
	code, out, errs, sum = h.sync()
	mustCode(t, code, exitOK, out, errs)
	if sum.Total.Updated != 1 || sum.Total.Unchanged != 9 || sum.Total.Created != 0 {
		t.Fatalf("after one change total = %+v", sum.Total)
	}
	if h.fake.Count(porttest.RouteBulkUpsert) != 1 || h.fake.Count(porttest.RouteBulkDelete) != 0 {
		t.Fatalf("after one change counts = %v", h.fake.Counts())
	}
	if e, _ := h.fake.Entity("service", "search"); e["title"] != "Search v2" {
		t.Fatalf("search title = %v", e["title"])
	}

	// Removing one item deletes exactly one entity.
	h.fake.ResetCounts()
	h.editFile("services.yaml", removeService("notifications"))
	code, out, errs, sum = h.sync()
	mustCode(t, code, exitOK, out, errs)
	if sum.Total.Deleted != 1 || sum.Deletion.State != "done" || h.fake.Count(porttest.RouteBulkUpsert) != 0 {
		t.Fatalf("after one removal total = %+v deletion %+v counts %v", sum.Total, sum.Deletion, h.fake.Counts())
	}
	if _, ok := h.fake.Entity("service", "notifications"); ok {
		t.Fatal("notifications still in Port")
	}
	if len(ids(h.fake, "service")) != 7 {
		t.Fatalf("services = %v", ids(h.fake, "service"))
	}
}

func TestFailingBlockDeletesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)

	// One item disappears and one file breaks: the block fails, so the
	// stale entity must stay.
	h.editFile("services.yaml", removeService("refunds"))
	if err := os.WriteFile(filepath.Join(h.dir, "zz-broken.yaml"), []byte("kind: service\n  identifier: [oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		h.fake.ResetCounts()
		var args []string
		if dry {
			args = append(args, "--dry-run")
		}
		code, out, errs, sum := h.sync(args...)
		mustCode(t, code, exitFailed, out, errs)
		if n := h.fake.Count(porttest.RouteBulkDelete); n != 0 {
			t.Fatalf("dry=%v: %d delete requests after a failed block", dry, n)
		}
		if _, ok := h.fake.Entity("service", "refunds"); !ok {
			t.Fatalf("dry=%v: refunds was deleted after a failed block", dry)
		}
		if sum.Deletion.State != "skipped" || sum.Deletion.Blocked != 1 || sum.Status != tsync.StatusFailed {
			t.Fatalf("dry=%v: deletion = %+v status %s", dry, sum.Deletion, sum.Status)
		}
		if !strings.Contains(out, "zz-broken.yaml") {
			t.Fatalf("dry=%v: summary does not name the broken file:\n%s", dry, out)
		}
	}
	if got := h.fake.ResyncStates("tide-file"); got[len(got)-1] != "failed" {
		t.Fatalf("resync states = %v", got)
	}
}

func TestMassDisappearanceIsBlocked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)

	for _, f := range []string{"services.yaml", "teams.yaml"} {
		if err := os.WriteFile(filepath.Join(h.dir, f), []byte("[]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, dry := range []bool{true, false} {
		h.fake.ResetCounts()
		var args []string
		if dry {
			args = append(args, "--dry-run")
		}
		code, out, errs, sum := h.sync(args...)
		mustCode(t, code, exitBlocked, out, errs)
		if n := h.writes(); n != 0 {
			t.Fatalf("dry=%v: %d writes when the threshold blocked deletion", dry, n)
		}
		if h.fake.Len() != 10 {
			t.Fatalf("dry=%v: %d entities left, want 10", dry, h.fake.Len())
		}
		if sum.Deletion.State != "blocked" || sum.Deletion.Blocked != 10 || sum.Total.BlockedDeletes != 10 {
			t.Fatalf("dry=%v: deletion = %+v total %+v", dry, sum.Deletion, sum.Total)
		}
		if !strings.Contains(out, "entityDeletionThreshold") {
			t.Fatalf("dry=%v: summary does not explain the block:\n%s", dry, out)
		}
		if dry && len(sum.Plan.Blocked) != 10 {
			t.Fatalf("plan blocked = %v", sum.Plan.Blocked)
		}
	}
}

func TestPortStormIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Status: 429, RetryAfter: "0", Times: 3})
	h.fake.Inject(porttest.Fault{Route: porttest.RouteSearch, Status: 503, RetryAfter: "0", Times: 2})
	h.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Status: 502, RetryAfter: "0", Times: 2})
	// Debug logs show every retry; the harness checks they hold no secret.
	code, out, errs, sum := h.sync("--log-level", "debug", "--log-format", "json")
	mustCode(t, code, exitOK, out, errs)
	if h.fake.Len() != 10 || sum.Total.Created != 10 || sum.Total.Failed != 0 {
		t.Fatalf("after storm: %d entities, total %+v", h.fake.Len(), sum.Total)
	}
	if !strings.Contains(errs, `"msg":"retrying","component":"port"`) {
		t.Fatalf("retries not logged as JSON:\n%s", errs)
	}
	// The faults were really served.
	if h.fake.Count(porttest.RouteBulkUpsert) < 5+2 {
		t.Fatalf("bulk upserts = %d, want the 5 faults plus the real ones", h.fake.Count(porttest.RouteBulkUpsert))
	}
	h.fake.ResetCounts()
	code, out, errs, _ = h.sync()
	mustCode(t, code, exitOK, out, errs)
	if h.writes() != 0 {
		t.Fatalf("re-sync after storm wrote: %v", h.fake.Counts())
	}

	// A dry run through a storm of reads plans the one change and writes nothing.
	h.editFile("services.yaml", func(s string) string { return strings.Replace(s, "title: Refunds", "title: Refunds 2", 1) })
	h.fake.ResetCounts()
	h.fake.Inject(porttest.Fault{Route: porttest.RouteSearch, Status: 429, RetryAfter: "0", Times: 3})
	h.fake.Inject(porttest.Fault{Route: porttest.RouteDatasource, Status: 503, RetryAfter: "0", Times: 2})
	code, out, errs, sum = h.sync("--dry-run")
	mustCode(t, code, exitOK, out, errs)
	if h.writes() != 0 || len(sum.Plan.Updates) != 1 || sum.Plan.Updates[0].Identifier != "refunds" {
		t.Fatalf("dry run in a storm: counts %v plan %+v", h.fake.Counts(), sum.Plan)
	}
}

func TestBadInputExits2BeforeAnyWrite(t *testing.T) {
	t.Parallel()
	badMapping := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badMapping, []byte(`resources:
  - kind: file
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .identifier
          blueprint: '"service"'
          properties:
            language: .language.
`), 0o644)
	unknownKind := filepath.Join(t.TempDir(), "kind.yaml")
	os.WriteFile(unknownKind, []byte(`resources:
  - kind: repository
    selector: {query: "true"}
    port: {entity: {mappings: {identifier: .id, blueprint: '"service"'}}}
`), 0o644)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{name: "unknown flag", args: []string{"--nope"}, want: "unknown flag --nope"},
		{name: "bad port url", args: []string{"--port-url", "ftp://x"}, want: "--port-url"},
		{name: "bad region", args: []string{"--port-region", "mars"}, want: "--port-region"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, want: "--log-level"},
		{name: "bad concurrency", args: []string{"--concurrency", "0"}, want: "--concurrency"},
		{name: "missing mapping file", args: []string{"--mapping", "/nonexistent/m.yaml"}, want: "--mapping"},
		{name: "jq syntax error", args: []string{"--mapping", badMapping}, want: "properties.language"},
		{name: "unknown kind", args: []string{"--mapping", unknownKind}, want: `resources[0].kind`},
		{name: "kinds not in mapping", args: []string{"--kinds", "repository"}, want: "--kinds"},
		{name: "bad credentials", env: map[string]string{"TIDE_PORT_CLIENT_SECRET": "wrong-secret-value"}, want: "rejected"},
		{name: "no credentials", env: map[string]string{"TIDE_PORT_CLIENT_ID": "", "TIDE_PORT_CLIENT_SECRET": ""}, want: "--port-client-id"},
		{name: "bad env value", env: map[string]string{"TIDE_CONCURRENCY": "many"}, want: "TIDE_CONCURRENCY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			for k, v := range tt.env {
				h.env[k] = v
			}
			code, out, errs, _ := h.sync(tt.args...)
			mustCode(t, code, exitUsage, out, errs)
			if !strings.Contains(errs, tt.want) {
				t.Fatalf("stderr does not mention %q:\n%s", tt.want, errs)
			}
			if h.writes() != 0 || h.fake.Len() != 0 || len(h.fake.Blueprints()) != 0 {
				t.Fatalf("bad input wrote to Port: %v", h.fake.Counts())
			}
		})
	}
}

func TestDryRunPlansAndWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// On an empty Port, the plan creates the blueprints and every entity.
	code, out, errs, sum := h.sync("--dry-run")
	mustCode(t, code, exitOK, out, errs)
	if h.writes() != 0 || len(h.fake.Blueprints()) != 0 || h.fake.Count(porttest.RouteBlueprintCreate) != 0 {
		t.Fatalf("dry run wrote: %v", h.fake.Counts())
	}
	if len(sum.Plan.Creates) != 10 || !cmp.Equal(sum.Plan.CreateBlueprints, []string{"service", "system", "team"}) {
		t.Fatalf("plan = %+v", sum.Plan)
	}
	if !strings.Contains(out, "+ service/checkout-api") || !strings.Contains(out, "dry run") {
		t.Fatalf("plan not printed:\n%s", out)
	}

	code, out, errs, _ = h.sync()
	mustCode(t, code, exitOK, out, errs)

	// A change and a removal show as a field-level update and a delete.
	h.editFile("services.yaml", func(s string) string { return strings.Replace(s, "language: rust", "language: zig", 1) })
	h.editFile("services.yaml", removeService("reports"))
	h.fake.ResetCounts()
	code, out, errs, sum = h.sync("--dry-run")
	mustCode(t, code, exitOK, out, errs)
	if h.writes() != 0 {
		t.Fatalf("dry run wrote: %v", h.fake.Counts())
	}
	wantUpd := []tsync.PlanEntity{{Blueprint: "service", Identifier: "auth", Block: 2,
		Changes: []tsync.FieldChange{{Field: "properties.language", From: "rust", To: "zig"}}}}
	if diff := cmp.Diff(wantUpd, sum.Plan.Updates); diff != "" {
		t.Fatalf("plan updates (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]tsync.PlanEntity{{Blueprint: "service", Identifier: "reports", Block: 2}}, sum.Plan.Deletes); diff != "" {
		t.Fatalf("plan deletes (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, `properties.language: "rust" → "zig"`) || !strings.Contains(out, "- service/reports") {
		t.Fatalf("plan not printed:\n%s", out)
	}
	if _, ok := h.fake.Entity("service", "reports"); !ok {
		t.Fatal("dry run deleted reports")
	}
}

func TestSummaryIsDeterministic(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)
	h.editFile("services.yaml", removeService("ledger"))
	h.editFile("services.yaml", func(s string) string { return strings.Replace(s, "title: Gateway", "title: Edge", 1) })
	strip := func(r *tsync.Result) *tsync.Result {
		r.StartedAt, r.DurationMS = time.Time{}, 0
		for _, b := range r.Blocks {
			b.DurationMS = 0
		}
		return r
	}
	_, _, _, a := h.sync("--dry-run")
	_, _, _, b := h.sync("--dry-run")
	if diff := cmp.Diff(strip(a), strip(b)); diff != "" {
		t.Fatalf("two dry runs differ (-first +second):\n%s", diff)
	}
}

func TestInterruptDeletesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)
	h.editFile("services.yaml", removeService("auth"))
	h.editFile("services.yaml", func(s string) string { return strings.Replace(s, "title: Ledger", "title: Ledger 2", 1) })
	h.fake.ResetCounts()
	h.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Delay: 2 * time.Second})

	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		for h.fake.Count(porttest.RouteBulkUpsert) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel(tsync.ErrInterrupted)
	}()
	code, out, errs, _ = h.syncCtx(ctx)
	mustCode(t, code, exitInterrupted, out, errs)
	if h.fake.Count(porttest.RouteBulkDelete) != 0 {
		t.Fatal("an interrupted run deleted")
	}
	if _, ok := h.fake.Entity("service", "auth"); !ok {
		t.Fatal("auth deleted by an interrupted run")
	}
	if got := h.fake.ResyncStates("tide-file"); got[len(got)-1] != "aborted" {
		t.Fatalf("resync states = %v", got)
	}
}

func TestTimeoutFailsWithoutDeletes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)
	h.editFile("services.yaml", removeService("gateway"))
	h.editFile("services.yaml", func(s string) string { return strings.Replace(s, "title: Auth", "title: Auth 2", 1) })
	h.fake.ResetCounts()
	h.fake.Inject(porttest.Fault{Route: porttest.RouteBulkUpsert, Delay: 5 * time.Second})
	code, out, errs, sum := h.sync("--timeout", "300ms")
	mustCode(t, code, exitFailed, out, errs)
	if h.fake.Count(porttest.RouteBulkDelete) != 0 {
		t.Fatal("a timed-out run deleted")
	}
	if sum.Status != tsync.StatusFailed || !strings.Contains(strings.Join(sum.Errors, "\n"), "--timeout") {
		t.Fatalf("status %s errors %v", sum.Status, sum.Errors)
	}
	if got := h.fake.ResyncStates("tide-file"); got[len(got)-1] != "failed" {
		t.Fatalf("resync states = %v", got)
	}
}

func TestEmptyStoredMappingExits2(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fake.PutIntegration(map[string]any{"installationId": "tide-file", "config": map[string]any{}})
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "has no mapping") || !strings.Contains(errs, "--mapping") {
		t.Fatalf("stderr: %s", errs)
	}
	if h.writes() != 0 || len(h.fake.Blueprints()) != 0 {
		t.Fatalf("wrote: %v", h.fake.Counts())
	}
}
