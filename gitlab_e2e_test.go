package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

const glToken = "glpat-E2Etoken0123456789SECRET"

// glHarness is a GitLab fake and a Port fake, driven through run.
type glHarness struct {
	*vendorHarness
	gl *gitlabtest.Server
}

func newGLHarness(t *testing.T) *glHarness {
	t.Helper()
	fix, err := gitlabtest.LoadFixtures("integrations/gitlab/testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	gl := gitlabtest.New(fix, gitlabtest.Options{Token: glToken, MaxPerPage: 2})
	vh := newVendorHarness(t, gl, []string{"--integration", "gitlab", "--init-resources"}, func(url string) map[string]string {
		return map[string]string{"GITLAB_TOKEN": glToken, "TIDE_GITLAB_HOST": url}
	}, glToken)
	return &glHarness{vendorHarness: vh, gl: gl}
}

// The default mapping: projects, groups with members, members and merge
// requests, relations resolved; a second run writes nothing.
func TestGitLabDefaultMapping(t *testing.T) {
	t.Parallel()
	h := newGLHarness(t)
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitOK, out, errs)
	tests := []struct {
		blueprint string
		want      []string
	}{
		// legacy-billing is archived but listed (Ocean's default does not
		// filter); old-prototype is pending deletion and dropped.
		{"service", []string{"acme/backend/legacy-billing", "acme/backend/payments-api", "acme/frontend/web-app"}},
		{"gitlabGroup", []string{"acme", "acme/backend", "acme/frontend"}},
		{"gitlabMember", []string{"asmith", "jdoe", "rlee"}}, // the bot is left out
		{"gitlabMergeRequest", []string{"33445566", "33445567"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, ids(h.port, tc.blueprint)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.blueprint, diff)
		}
	}
	svc, _ := h.port.Entity("service", "acme/backend/payments-api")
	wantProps := map[string]any{"url": "https://gitlab.com/acme/backend/payments-api", "readme": "# Payments API\nHandles card payments.",
		"codeowners": "* @acme/payments", "language": "Go", "hasPortConfig": true}
	if diff := cmp.Diff(wantProps, svc["properties"]); diff != "" {
		t.Errorf("payments-api properties (-want +got):\n%s", diff)
	}
	grp, _ := h.port.Entity("gitlabGroup", "acme/backend")
	if diff := cmp.Diff(map[string]any{"gitlabMembers": []any{"jdoe", "asmith"}}, grp["relations"]); diff != "" {
		t.Errorf("acme/backend relations (-want +got):\n%s", diff)
	}
	mr, _ := h.port.Entity("gitlabMergeRequest", "33445566")
	if diff := cmp.Diff(map[string]any{"project": "acme/backend/payments-api"}, mr["relations"]); diff != "" {
		t.Errorf("merge request relations (-want +got):\n%s", diff)
	}
	if sum.Status != tsync.StatusCompleted || sum.Total.Created != 11 {
		t.Errorf("first run: status %s, total %+v", sum.Status, sum.Total)
	}
	// Merge requests are asked of the root group only: its listing holds
	// the subgroups'.
	if n := h.gl.Count("/groups/900123/merge_requests"); n != 0 {
		t.Errorf("subgroup merge requests asked %d times, want 0", n)
	}

	h.syncAgainWritesNothing(11)
}

// A 403 on one group's members fails that block: exit 1, nothing deleted.
// A rejected token is exit 2 naming the flag, nothing written or deleted.
func TestGitLabRefusals(t *testing.T) {
	t.Parallel()
	h := newGLHarness(t)
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)

	h.gl.Fail(gitlabtest.Fault{Path: "/groups/900124/members", Status: 403, Body: `{"message":"403 Forbidden"}`})
	h.port.ResetCounts()
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitFailed, out, errs)
	if h.port.Count(porttest.RouteBulkDelete) != 0 || sum.Total.Deleted != 0 {
		t.Errorf("a refused group led to deletes: %+v", sum.Total)
	}
	if !strings.Contains(errs, "acme/frontend") || !strings.Contains(errs, "403") {
		t.Errorf("stderr does not name the refused group:\n%s", errs)
	}

	h2 := newGLHarness(t)
	h2.env["GITLAB_TOKEN"] = "glpat-wrongTOKENvalueSECRET"
	code, out, errs, _ = h2.sync()
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "--gitlab-token") || strings.Contains(out+errs, "glpat-wrongTOKENvalueSECRET") {
		t.Errorf("a rejected token: stderr must name --gitlab-token and not print the token:\n%s", errs)
	}
	if n := h2.port.Count(porttest.RouteBulkDelete) + h2.port.Count(porttest.RouteBulkUpsert); n != 0 {
		t.Errorf("a rejected token led to %d entity writes", n)
	}
}

// Inside GitLab CI the host comes from CI_SERVER_URL; the job's namespace
// (CI_PROJECT_NAMESPACE) does not narrow the scope: the catalog is what the
// token sees (narrowing would delete what lies outside); the mapping's
// search narrows it when asked. A job token alone is refused with the
// reason.
func TestGitLabCIDefaults(t *testing.T) {
	t.Parallel()
	h := newGLHarness(t)
	h.env["GITLAB_CI"] = "true"
	h.env["CI_SERVER_URL"] = h.env["TIDE_GITLAB_HOST"]
	h.env["CI_PROJECT_NAMESPACE"] = "acme/frontend"
	delete(h.env, "TIDE_GITLAB_HOST")
	code, out, errs, _ := h.sync()
	mustCode(t, code, exitOK, out, errs)
	if len(ids(h.port, "service")) != 3 || len(ids(h.port, "gitlabGroup")) != 3 {
		t.Errorf("services = %v, groups = %v; want every one the token sees", ids(h.port, "service"), ids(h.port, "gitlabGroup"))
	}

	// The mapping's search scopes the run: only acme/frontend's groups,
	// members and merge requests; the rest is deleted as stale.
	mapping := filepath.Join(t.TempDir(), "scoped.yml")
	b, err := os.ReadFile("integrations/gitlab/resources/port-app-config.yml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(mapping, append([]byte("search:\n  group: frontend\n  project: web\n"), b...), 0o644)
	code, out, errs, _ = h.sync("--mapping", mapping)
	mustCode(t, code, exitOK, out, errs)
	for bp, want := range map[string][]string{"service": {"acme/frontend/web-app"}, "gitlabGroup": {"acme/frontend"}, "gitlabMergeRequest": {"33445567"}} {
		if diff := cmp.Diff(want, ids(h.port, bp)); diff != "" {
			t.Errorf("scoped %s (-want +got):\n%s", bp, diff)
		}
	}

	delete(h.env, "GITLAB_TOKEN")
	h.env["CI_JOB_TOKEN"] = "glcbt-jobTOKENsecret"
	code, out, errs, _ = h.sync()
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "CI_JOB_TOKEN") || !strings.Contains(errs, "--gitlab-token") || strings.Contains(errs, "glcbt-jobTOKENsecret") {
		t.Errorf("stderr must explain the job token:\n%s", errs)
	}
}

// A search:// value in a mapping for an integration that does not resolve
// it (GitHub resolves file:// only) is a config error naming the field.
func TestReferenceNeedsResolver(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	mapping := filepath.Join(t.TempDir(), "mapping.yml")
	os.WriteFile(mapping, []byte(`resources:
  - kind: repository
    selector: {query: "true"}
    port:
      entity:
        mappings: {identifier: .name, blueprint: '"githubRepository"', properties: {readme: "search://scope=blobs&&query=README"}}
`), 0o644)
	code, out, errs, _ := h.sync("--mapping", mapping)
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "port.entity.mappings.properties.readme") || !strings.Contains(errs, "search://scope=blobs&&query=README") {
		t.Errorf("stderr does not name the field:\n%s", errs)
	}
}

// Ocean's own default gitlab-v2 mapping (file://README.md, folders) loads
// and runs against the fake; a second run writes nothing.
func TestGitLabOceanDefaultMapping(t *testing.T) {
	t.Parallel()
	h := newGLHarness(t)
	code, out, errs, sum := h.sync("--mapping", "integrations/gitlab/testdata/ocean-port-app-config.yml")
	mustCode(t, code, exitOK, out, errs)
	svc, _ := h.port.Entity("service", "acme/backend/payments-api")
	if p := svc["properties"].(map[string]any); p["readme"] != "# Payments API\nHandles card payments." || p["language"] != "Go" {
		t.Errorf("payments-api = %v", p)
	}
	// The folder block (path */*/*) yields payments-api's services/api/v1.
	folder, ok := h.port.Entity("service", "acme/backend/payments-api/services/api/v1")
	if !ok || folder["properties"].(map[string]any)["url"] != "https://gitlab.com/acme/backend/payments-api/tree/main/services/api/v1" {
		t.Errorf("folder service = %v", folder)
	}
	if sum.Total.Created == 0 {
		t.Errorf("nothing created: %+v", sum.Total)
	}
	h.port.ResetCounts()
	code, out, errs, _ = h.sync("--mapping", "integrations/gitlab/testdata/ocean-port-app-config.yml")
	mustCode(t, code, exitOK, out, errs)
	if n := writeCount(h.port); n != 0 {
		t.Errorf("second run: %d writes", n)
	}
}

// The local target with the integration's defaults: blueprints seeded from
// resources/, entities created.
func TestGitLabLocalTarget(t *testing.T) {
	t.Parallel()
	h := newGLHarness(t)
	env := map[string]string{"GITLAB_TOKEN": glToken, "TIDE_GITLAB_HOST": h.env["TIDE_GITLAB_HOST"]}
	saved := h.syncLocal(env, "gitlab")
	if saved.Len() != 11 || len(saved.Entities("gitlabMergeRequest")) != 2 {
		t.Errorf("local catalog holds %d entities", saved.Len())
	}
}
