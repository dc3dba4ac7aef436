package main

import (
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/pagerduty/pagerdutytest"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

const pdToken = "u+PDe2eTOKEN0123456789SECRET"

// pdHarness is a PagerDuty fake and a Port fake, driven through run.
type pdHarness struct {
	*vendorHarness
	pd *pagerdutytest.Server

	mu  gosync.Mutex
	now time.Time
}

func newPDHarness(t *testing.T) *pdHarness {
	t.Helper()
	fix, err := pagerdutytest.LoadFixtures("integrations/pagerduty/testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	h := &pdHarness{now: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
	h.pd = pagerdutytest.New(fix, pagerdutytest.Options{Token: pdToken, Now: func() time.Time {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.now
	}})
	env := func(url string) map[string]string {
		return map[string]string{
			// Ocean's names for the token and the API URL.
			"OCEAN__INTEGRATION__CONFIG__TOKEN":   pdToken,
			"OCEAN__INTEGRATION__CONFIG__API_URL": url,
		}
	}
	h.vendorHarness = newVendorHarness(t, h.pd, []string{"--integration", "pagerduty", "--init-resources"}, env, pdToken)
	return h
}

// The default mapping: services with on-call users and their escalation
// policy, incidents related to services, schedules, on-calls; a second run
// writes nothing; a resolved incident that leaves PagerDuty's default
// window is deleted.
func TestPagerDutyDefaultMapping(t *testing.T) {
	t.Parallel()
	h := newPDHarness(t)
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitOK, out, errs)
	for bp, want := range map[string][]string{
		"pagerdutyService":          {"PSVC123", "PSVC456"},
		"pagerdutyIncident":         {"Q2ABCDEF123456", "Q3RESOLVED00001", "Q4TRIGGERED0001"},
		"pagerdutySchedule":         {"PSCH789", "PSCH790"},
		"pagerdutyEscalationPolicy": {"PEP456", "PEP789"},
		"pagerdutyUser":             {"PUSR001", "PUSR002"},
		"pagerdutyOncall":           {"PUSR001-PSCH789-2025-06-30T08:00:00Z", "PUSR002--2025-06-28T00:00:00Z", "PUSR002-PSCH790-2025-06-30T08:00:00Z"},
	} {
		if diff := cmp.Diff(want, ids(h.port, bp)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", bp, diff)
		}
	}
	svc, _ := h.port.Entity("pagerdutyService", "PSVC123")
	props := svc["properties"].(map[string]any)
	if props["oncall"] != "jane@acme.io" || props["secondaryOncall"] != "bob@acme.io" || props["escalationLevels"] != 2.0 || props["meanSecondsToResolve"] != 5230.0 {
		t.Errorf("service properties = %v", props)
	}
	if rel := svc["relations"].(map[string]any)["pagerdutyEscalationPolicy"]; rel != "PEP456" {
		t.Errorf("service → escalation policy = %v", rel)
	}
	inc, _ := h.port.Entity("pagerdutyIncident", "Q2ABCDEF123456")
	ip := inc["properties"].(map[string]any)
	if inc["relations"].(map[string]any)["pagerdutyService"] != "PSVC123" || !cmp.Equal(ip["assignees"], []any{"jane@acme.io"}) ||
		ip["priority"] != "P1" || ip["triggered_by"] != "Datadog" {
		t.Errorf("incident = %v", inc)
	}
	sch, _ := h.port.Entity("pagerdutySchedule", "PSCH790")
	if got := sch["properties"].(map[string]any)["users"]; !cmp.Equal(got, []any{"bob@acme.io", "jane@acme.io"}) {
		t.Errorf("schedule users = %v", got)
	}
	ep, _ := h.port.Entity("pagerdutyEscalationPolicy", "PEP789")
	if got := ep["properties"].(map[string]any)["primaryOncall"]; got != "bob@acme.io" {
		t.Errorf("primary on-call = %v", got)
	}
	created := sum.Total.Created

	h.syncAgainWritesNothing(created)

	// Five days on, the resolved incident (created 2025-06-05) is outside
	// the 30 days PagerDuty lists by default: it is deleted.
	h.mu.Lock()
	h.now = h.now.AddDate(0, 0, 5)
	h.mu.Unlock()
	code, out, errs, sum = h.sync()
	mustCode(t, code, exitOK, out, errs)
	if diff := cmp.Diff([]string{"Q2ABCDEF123456", "Q4TRIGGERED0001"}, ids(h.port, "pagerdutyIncident")); diff != "" {
		t.Errorf("incidents after the window moved (-want +got):\n%s", diff)
	}
	if sum.Deletion.Deleted != 1 {
		t.Errorf("deletion = %+v", sum.Deletion)
	}
}

// Ocean's default PagerDuty mapping and the mappings of Port's PagerDuty
// documentation load and run against the fake.
func TestPagerDutyOceanAndDocsMappings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file    string
		created int
	}{
		{"integrations/pagerduty/testdata/ocean-port-app-config.yml", 12},
		{"integrations/pagerduty/testdata/docs-port-app-config.yml", 14},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			h := newPDHarness(t)
			code, out, errs, sum := h.sync("--mapping", tc.file)
			mustCode(t, code, exitOK, out, errs)
			if sum.Total.Created != tc.created || sum.Total.FailedToMap != 0 {
				t.Errorf("total = %+v", sum.Total)
			}
			svc, ok := h.port.Entity("pagerdutyService", "PSVC123")
			if !ok || svc["properties"].(map[string]any)["oncall"] != "jane@acme.io" {
				t.Errorf("service = %v", svc)
			}
		})
	}
}

// Analytics refused: the run succeeds, the summary says the enrichment was
// skipped, the services are written, and the metrics an earlier run wrote
// stay as they were.
func TestPagerDutyAnalyticsRefused(t *testing.T) {
	t.Parallel()
	h := newPDHarness(t)
	code, out, errs, _ := h.sync("--kinds", "services")
	mustCode(t, code, exitOK, out, errs)

	h.pd.Fail(pagerdutytest.Fault{Method: "POST", Path: "/analytics/metrics/incidents/services", Status: 403, Body: `{"error":{"message":"Access Denied","code":2010}}`})
	fix, _ := pagerdutytest.LoadFixtures("integrations/pagerduty/testdata/api.json")
	fix["services"][0]["status"] = "critical"
	h.pd.Set("services", fix["services"])
	code, out, errs, sum := h.sync("--kinds", "services")
	mustCode(t, code, exitOK, out, errs)
	found := false
	for _, n := range sum.Notices {
		found = found || strings.Contains(n.Message, "analytics enrichment skipped (PagerDuty answered 403 Forbidden)")
	}
	if !found || !strings.Contains(out, "analytics enrichment skipped") {
		t.Errorf("no notice of the skipped analytics: %+v\n%s", sum.Notices, out)
	}
	svc, _ := h.port.Entity("pagerdutyService", "PSVC123")
	props := svc["properties"].(map[string]any)
	if props["status"] != "critical" || props["meanSecondsToResolve"] != 5230.0 || props["meanSecondsToEngage"] != 340.0 {
		t.Errorf("service properties = %v (want the new status and the earlier metrics)", props)
	}
}

// A rejected token is exit 2 naming the flag, with nothing written or
// deleted; a listing past 10,000 records fails its block with no deletes.
func TestPagerDutyFailures(t *testing.T) {
	t.Parallel()
	h := newPDHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)
	h.port.ResetCounts()

	h.pd.Generate("users", "PU", 10001)
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitFailed, out, errs)
	if !strings.Contains(out+errs, "PagerDuty lists at most 10000 records") || sum.Deletion.State != tsync.DeletionSkipped {
		t.Errorf("ceiling: deletion %+v\n%s\n%s", sum.Deletion, out, errs)
	}
	if h.port.Count(porttest.RouteBulkDelete) != 0 {
		t.Error("an incomplete listing led to deletes")
	}

	h.env["OCEAN__INTEGRATION__CONFIG__TOKEN"] = "wrongPDtoken0123456789SECRET"
	h.port.ResetCounts()
	code, out, errs, _ = h.sync()
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "--pagerduty-token") || strings.Contains(out+errs, "wrongPDtoken0123456789SECRET") {
		t.Errorf("401: stderr does not name the flag, or shows the token:\n%s", errs)
	}
	if h.port.Count(porttest.RouteBulkDelete) != 0 || writeCount(h.port) != 0 {
		t.Error("a rejected token led to writes")
	}
}
