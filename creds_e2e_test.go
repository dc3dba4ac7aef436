package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
	"github.com/tide-sync/tide/integrations/jira/jiratest"
	"github.com/tide-sync/tide/integrations/linear/lineartest"
	"github.com/tide-sync/tide/integrations/pagerduty/pagerdutytest"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// portWriteRoutes are every route that changes something in Port: the
// integration, its resync state, blueprints and entities.
var portWriteRoutes = append([]string{
	porttest.RouteIntegrationCreate, porttest.RouteIntegrationPatch, porttest.RouteResyncState,
	porttest.RouteBlueprintCreate, porttest.RouteBlueprintPatch,
}, writeRoutes...)

// portWrites returns the write requests fake served, by route.
func portWrites(fake *porttest.Server) map[string]int {
	out := map[string]int{}
	for _, r := range portWriteRoutes {
		if n := fake.Count(r); n > 0 {
			out[r] = n
		}
	}
	return out
}

// mustSync runs sync and fails the test unless it exits 0.
func mustSync(t *testing.T, sync func(...string) (int, string, string, *tsync.Result)) {
	t.Helper()
	code, out, errs, _ := sync()
	mustCode(t, code, exitOK, out, errs)
}

// credsRun is one run of an integration whose vendor refuses the token.
type credsRun struct {
	sync func() (int, string, string, *tsync.Result)
	port *porttest.Server
}

// A vendor that refuses the configured token ends the run with exit 2
// before anything is written to Port (not the integration, not a
// blueprint, not an entity); the error names the flag to check and the
// refused token appears in no output. A token revoked mid-run (a 401 on a
// listing after the check passed) is exit 2 too, reported as rejected
// credentials, with nothing deleted.
func TestRejectedCredentialsWriteNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flag  string // the error must name it
		token string // the refused token, printed nowhere
		setup func(t *testing.T) credsRun
		// revoke returns a harness synced once whose vendor then answers
		// 401 to one listing, after the credentials check passed.
		revoke func(t *testing.T) credsRun
	}{
		{
			name: "jira", flag: "--atlassian-user-token", token: "ATATT3xWRONGtokenCredsE2E",
			setup: func(t *testing.T) credsRun {
				h := newJiraHarness(t)
				h.env["OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN"] = "ATATT3xWRONGtokenCredsE2E"
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
			revoke: func(t *testing.T) credsRun {
				h := newJiraHarness(t)
				mustSync(t, h.sync)
				h.jira.Fail(jiratest.Fault{Path: "/rest/api/3/project/search", Status: 401, Body: "Client must be authenticated to access this resource."})
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
		},
		{
			name: "linear", flag: "--linear-api-key", token: linearKey,
			setup: func(t *testing.T) credsRun {
				// The workspace accepts another key than the one configured.
				h := newLinearHarness(t, "lin_api_theWorkspacesRealKey")
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
			revoke: func(t *testing.T) credsRun {
				h := newLinearHarness(t, linearKey)
				mustSync(t, h.sync)
				h.linear.Fail(lineartest.Fault{Op: "Issues", Status: 401, Body: `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR"}}]}`})
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
		},
		{
			name: "pagerduty", flag: "--pagerduty-token", token: "wrongPDtokenCredsE2E0123456789",
			setup: func(t *testing.T) credsRun {
				h := newPDHarness(t)
				h.env["OCEAN__INTEGRATION__CONFIG__TOKEN"] = "wrongPDtokenCredsE2E0123456789"
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
			revoke: func(t *testing.T) credsRun {
				h := newPDHarness(t)
				mustSync(t, h.sync)
				h.pd.Fail(pagerdutytest.Fault{Path: "/users", Status: 401, Body: `{"error":{"message":"Authentication failed","code":2006}}`})
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
		},
		{
			name: "gitlab", flag: "--gitlab-token", token: "glpat-wrongCredsE2Etoken0123",
			setup: func(t *testing.T) credsRun {
				h := newGLHarness(t)
				h.env["GITLAB_TOKEN"] = "glpat-wrongCredsE2Etoken0123"
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
			revoke: func(t *testing.T) credsRun {
				h := newGLHarness(t)
				mustSync(t, h.sync)
				h.gl.Fail(gitlabtest.Fault{Path: "/groups", Status: 401, Body: `{"message":"401 Unauthorized"}`})
				return credsRun{sync: func() (int, string, string, *tsync.Result) { return h.sync() }, port: h.port}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.setup(t)
			code, out, errs, sum := r.sync()
			mustCode(t, code, exitUsage, out, errs)
			if diff := cmp.Diff(map[string]int{}, portWrites(r.port)); diff != "" {
				t.Errorf("writes to Port after a refused token (-want +got):\n%s", diff)
			}
			if !strings.Contains(errs, tc.flag) || !strings.Contains(errs, "rejected the credentials") {
				t.Errorf("stderr does not say the credentials were rejected, naming %s:\n%s", tc.flag, errs)
			}
			all := out + errs
			if sum != nil {
				b, _ := json.Marshal(sum)
				all += string(b)
			}
			if strings.Contains(all, tc.token) {
				t.Errorf("the refused token was printed")
			}

			// Revoked mid-run: exit 2, the summary says so, nothing deleted.
			r = tc.revoke(t)
			r.port.ResetCounts()
			code, out, errs, sum = r.sync()
			mustCode(t, code, exitUsage, out, errs)
			if sum == nil {
				t.Fatal("no summary after a mid-run 401")
			}
			if !sum.CredentialsRejected || sum.Deletion.State != tsync.DeletionSkipped {
				t.Errorf("after a mid-run 401: credentialsRejected %v, deletion %q; want true, skipped", sum.CredentialsRejected, sum.Deletion.State)
			}
			if n := r.port.Count(porttest.RouteBulkDelete) + r.port.Count(porttest.RouteEntityDelete); n != 0 {
				t.Errorf("%d deletes after a mid-run 401", n)
			}
			if !strings.Contains(errs, tc.flag) {
				t.Errorf("stderr does not name %s:\n%s", tc.flag, errs)
			}
		})
	}
}
