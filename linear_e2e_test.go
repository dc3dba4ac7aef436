package main

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/linear/lineartest"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

const linearKey = "lin_api_E2eK3yNeverPrinted0123456789abcdef"

// Fixture label ids (integrations/linear/testdata/workspace.json).
const (
	lnType    = "f0e1d2c3-b4a5-4697-8877-665544332211"
	lnBug     = "a1c2e3f4-0b1d-4e5f-8a9b-0c1d2e3f4a5b"
	lnFeature = "b2d3f4a5-1c2e-4f6a-9bac-1d2e3f4a5b6c"
	lnChore   = "c3e4a5b6-2d3f-4a7b-8cbd-2e3f4a5b6c7d"
	lnPay     = "d4f5b6c7-3e4a-4b8c-9dce-3f4a5b6c7d8e"
)

// linearHarness is a Linear fake and a Port fake, driven through run.
type linearHarness struct {
	*vendorHarness
	linear *lineartest.Server
}

func newLinearHarness(t *testing.T, fakeKey string) *linearHarness {
	t.Helper()
	ws, err := lineartest.Load("integrations/linear/testdata/workspace.json")
	if err != nil {
		t.Fatal(err)
	}
	ln := lineartest.New(ws, lineartest.Options{APIKey: fakeKey})
	env := func(url string) map[string]string {
		return map[string]string{
			"TIDE_LINEAR_URL": url + "/graphql",
			// As Ocean's CI installs pass it.
			"OCEAN__INTEGRATION__CONFIG__LINEAR_API_KEY": linearKey,
		}
	}
	h := newVendorHarness(t, ln, []string{"--integration", "linear", "--init-resources", "--linear-page-size", "2"}, env, linearKey)
	return &linearHarness{vendorHarness: h, linear: ln}
}

func relation(fake *porttest.Server, bp, id, rel string) any {
	e, ok := fake.Entity(bp, id)
	if !ok {
		return "<no entity>"
	}
	return e["relations"].(map[string]any)[rel]
}

func sortedAny(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		out = append(out, x.(string))
	}
	sort.Strings(out)
	return out
}

// The default mapping (Port's guide's, byte for byte): teams, labels with
// parent and child relations, issues with team, labels and parent; a
// second run writes nothing; an issue closed and archived in Linear is
// deleted by the next run.
func TestLinearDefaultMapping(t *testing.T) {
	t.Parallel()
	h := newLinearHarness(t, linearKey)
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitOK, out, errs)
	if diff := cmp.Diff([]string{"DES", "ENG", "OPS"}, ids(h.port, "linearTeam")); diff != "" {
		t.Errorf("teams (-want +got):\n%s", diff)
	}
	if n := len(ids(h.port, "linearLabel")); n != 8 {
		t.Errorf("%d labels, want 8", n)
	}
	if diff := cmp.Diff([]string{"DES-12", "ENG-100", "ENG-123", "ENG-124", "ENG-130", "OPS-7", "OPS-8"}, ids(h.port, "linearIssue")); diff != "" {
		t.Errorf("issues (-want +got):\n%s", diff)
	}
	team, _ := h.port.Entity("linearTeam", "ENG")
	if diff := cmp.Diff(map[string]any{"description": "Core product engineering", "workspaceName": "Acme", "url": "https://linear.app/acme/team/ENG"}, team["properties"]); diff != "" {
		t.Errorf("team ENG properties (-want +got):\n%s", diff)
	}
	if got := relation(h.port, "linearLabel", lnBug, "parentLabel"); got != lnType {
		t.Errorf("Bug → parentLabel = %v", got)
	}
	if diff := cmp.Diff([]string{lnBug, lnFeature, lnChore}, sortedAny(relation(h.port, "linearLabel", lnType, "childLabels")), cmp.Transformer("sort", func(s []string) []string {
		c := append([]string(nil), s...)
		sort.Strings(c)
		return c
	})); diff != "" {
		t.Errorf("Type → childLabels (-want +got):\n%s", diff)
	}
	issue, _ := h.port.Entity("linearIssue", "ENG-123")
	rels := issue["relations"].(map[string]any)
	if rels["team"] != "ENG" || rels["parentIssue"] != "ENG-100" || !cmp.Equal(sortedAny(rels["labels"]), []string{lnBug, lnPay}) {
		t.Errorf("ENG-123 relations = %v", rels)
	}
	props := issue["properties"].(map[string]any)
	if props["status"] != "In Progress" || props["assignee"] != "jane@acme.io" || props["priority"] != "High" || props["created"] != "2025-06-01T10:00:00.000Z" {
		t.Errorf("ENG-123 properties = %v", props)
	}
	if sum.Total.Created != 18 || sum.Total.FailedToMap != 0 || sum.Status != tsync.StatusCompleted {
		t.Errorf("first run total = %+v, status %s", sum.Total, sum.Status)
	}

	h.syncAgainWritesNothing(18)

	if !h.linear.Archive("ENG-124") {
		t.Fatal("no ENG-124 on the fake")
	}
	code, out, errs, sum = h.sync()
	mustCode(t, code, exitOK, out, errs)
	if diff := cmp.Diff([]string{"DES-12", "ENG-100", "ENG-123", "ENG-130", "OPS-7", "OPS-8"}, ids(h.port, "linearIssue")); diff != "" {
		t.Errorf("issues after archiving ENG-124 (-want +got):\n%s", diff)
	}
	if sum.Total.Deleted != 1 || len(ids(h.port, "linearLabel")) != 8 || len(ids(h.port, "linearTeam")) != 3 {
		t.Errorf("third run total = %+v", sum.Total)
	}
}

// A key Linear refuses: exit 2 naming the setting, nothing written or
// deleted, the key in no output.
func TestLinearRejectedKeyExits2(t *testing.T) {
	t.Parallel()
	h := newLinearHarness(t, "lin_api_theWorkspacesRealKey")
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitUsage, out, errs)
	if n := writeCount(h.port); n != 0 {
		t.Errorf("%d writes after a rejected key", n)
	}
	if !strings.Contains(errs, "--linear-api-key") {
		t.Errorf("stderr does not name --linear-api-key:\n%s", errs)
	}
}

// The default mapping printed in Port's Linear docs maps childIssues, a
// relation the linearIssue blueprint (Port's docs' own) does not declare,
// from a field Ocean's issue query never fetches: Port would refuse every
// issue. tide refuses the mapping before any fetch or write (exit 2),
// naming the field and its line.
func TestLinearDocsMappingRefused(t *testing.T) {
	t.Parallel()
	h := newLinearHarness(t, linearKey)
	code, out, errs, _ := h.sync("--mapping", "integrations/linear/testdata/docs-port-app-config.yml")
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, `relations.childIssues: blueprint "linearIssue" has no relation "childIssues"`) || !strings.Contains(errs, "(line 61)") {
		t.Errorf("stderr does not name the field and its line:\n%s", errs)
	}
	if n := writeCount(h.port); n != 0 || len(h.linear.Requests()) != 0 {
		t.Errorf("%d writes, %d Linear requests before the refusal", n, len(h.linear.Requests()))
	}
}

// Ocean's later default mapping (five more kinds, team relations tide's
// team kind does not fetch) is refused before any fetch or write, naming
// the first kind tide does not offer.
func TestLinearOceanHeadMappingRefused(t *testing.T) {
	t.Parallel()
	h := newLinearHarness(t, linearKey)
	code, out, errs, _ := h.sync("--mapping", "integrations/linear/testdata/ocean-head-port-app-config.yml")
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(out+errs, `"document"`) {
		t.Errorf("the error does not name kind document:\n%s\n%s", out, errs)
	}
	if n := writeCount(h.port); n != 0 || len(h.linear.Requests()) != 0 {
		t.Errorf("%d writes, %d Linear requests before the refusal", n, len(h.linear.Requests()))
	}
}

// The local target with Linear's defaults: its blueprints are seeded from
// the integration's, and the default mapping creates every entity.
func TestLinearLocalTarget(t *testing.T) {
	t.Parallel()
	h := newLinearHarness(t, linearKey)
	env := map[string]string{"LINEAR_API_KEY": linearKey, "TIDE_LINEAR_URL": h.env["TIDE_LINEAR_URL"]}
	saved := h.syncLocal(env, "linear")
	if got := []int{len(saved.Entities("linearTeam")), len(saved.Entities("linearLabel")), len(saved.Entities("linearIssue"))}; !cmp.Equal(got, []int{3, 8, 7}) {
		t.Errorf("teams, labels, issues = %v, want [3 8 7]", got)
	}
}
