package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations/github/githubtest"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port/porttest"
)

const ghToken = "ghp_E2Etoken0123456789abcdefSECRET"

// ghHarness is a GitHub fake and a Port fake, driven through run.
type ghHarness struct {
	*vendorHarness
	gh *githubtest.Server
}

func newGHHarness(t *testing.T) *ghHarness {
	t.Helper()
	fix, err := githubtest.LoadFixtures("integrations/github/testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New(fix, githubtest.Options{Token: ghToken, MaxPerPage: 2})
	args := []string{"--integration", "github", "--github-organization", "acme-corp", "--init-resources"}
	vh := newVendorHarness(t, gh, args, func(url string) map[string]string {
		// As inside GitHub Actions: the token and API URL from the runner.
		return map[string]string{"GITHUB_TOKEN": ghToken, "GITHUB_API_URL": url}
	}, ghToken)
	return &ghHarness{vendorHarness: vh, gh: gh}
}

func (h *ghHarness) writes() int { return writeCount(h.port) }

// The default mapping: organization → repositories → pull requests, with
// relations resolved; a second run writes nothing.
func TestGitHubDefaultMapping(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	code, out, errs, sum := h.sync()
	mustCode(t, code, exitOK, out, errs)
	if got := ids(h.port, "githubOrganization"); !cmp.Equal(got, []string{"acme-corp"}) {
		t.Errorf("organizations = %v", got)
	}
	if got := ids(h.port, "githubRepository"); !cmp.Equal(got, []string{"docs", "ledger", "payments-api", "web-app"}) {
		t.Errorf("repositories = %v", got)
	}
	if got := ids(h.port, "githubPullRequest"); !cmp.Equal(got, []string{"payments-api1987654200", "payments-api1987654300", "payments-api1987654321", "web-app1987000012"}) {
		t.Errorf("pull requests = %v", got)
	}
	repo, _ := h.port.Entity("githubRepository", "payments-api")
	if rel := repo["relations"].(map[string]any)["organization"]; rel != "acme-corp" {
		t.Errorf("repository → organization = %v", rel)
	}
	if readme := repo["properties"].(map[string]any)["readme"]; readme != "# payments-api\nHandles card payments." {
		t.Errorf("readme = %v", readme)
	}
	pr, _ := h.port.Entity("githubPullRequest", "payments-api1987654321")
	props := pr["properties"].(map[string]any)
	if pr["relations"].(map[string]any)["repository"] != "payments-api" || props["prNumber"] != 128.0 ||
		!cmp.Equal(props["reviewers"], []any{"asmith"}) || props["status"] != "open" {
		t.Errorf("pull request = %v", pr)
	}
	if sum.Total.Created != 9 || sum.Status != tsync.StatusCompleted {
		t.Errorf("first run total = %+v, status %s", sum.Total, sum.Status)
	}

	h.syncAgainWritesNothing(9)
}

// Ocean's own default GitHub mapping, as Ocean ships it, loads and runs
// unchanged, its regex rewrite of bot logins (a lookahead, which Go's RE2
// lacks) included: every property of a pull request from a bot, from a
// user, and with assignees and reviewers is what Ocean writes.
func TestGitHubOceanDefaultMapping(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	code, out, errs, sum := h.sync("--mapping", "integrations/github/testdata/ocean-port-app-config.yml")
	mustCode(t, code, exitOK, out, errs)
	if sum.Total.Created != 9 || sum.Total.FailedToMap != 0 {
		t.Fatalf("total = %+v", sum.Total)
	}
	if strings.Contains(errs, "creator") || strings.Contains(errs, "reviewers") || strings.Contains(errs, "assignees") {
		t.Errorf("a pull request field was reported misconfigured:\n%s", errs)
	}
	// Ocean's values: prNumber is the global .id, leadTimeHours is null
	// while unmerged, "dependabot[bot]" becomes "dependabot-bot".
	pr := func(title, creator string, assignees, reviewers []any, id float64, number int, created, updated string) map[string]any {
		return map[string]any{
			"title": title,
			"properties": map[string]any{
				"creator": creator, "assignees": assignees, "reviewers": reviewers,
				"status": "open", "closedAt": nil, "mergedAt": nil, "leadTimeHours": nil,
				"createdAt": created, "updatedAt": updated, "prNumber": id,
				"link": fmt.Sprintf("https://github.com/acme-corp/payments-api/pull/%d", number),
			},
			"relations": map[string]any{"repository": "payments-api"},
		}
	}
	for _, tt := range []struct {
		id   string
		want map[string]any
	}{
		{"payments-api1987654300", pr("Bump golang.org/x/net", "dependabot-bot", []any{}, []any{},
			1987654300, 127, "2025-06-20T10:00:00Z", "2025-06-29T10:00:00Z")},
		{"payments-api1987654321", pr("Add idempotency keys to charge endpoint", "jdoe", []any{"jdoe"}, []any{"asmith"},
			1987654321, 128, "2025-06-27T14:03:11Z", "2025-06-30T08:21:59Z")},
		{"payments-api1987654200", pr("Refund API", "asmith", []any{"asmith", "jdoe"}, []any{"jdoe", "copilot-pull-request-reviewer-bot"},
			1987654200, 126, "2025-06-10T10:00:00Z", "2025-06-28T10:00:00Z")},
	} {
		e, ok := h.port.Entity("githubPullRequest", tt.id)
		if !ok {
			t.Fatalf("%s missing; pull requests = %v", tt.id, ids(h.port, "githubPullRequest"))
		}
		got := map[string]any{"title": e["title"], "properties": e["properties"], "relations": e["relations"]}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tt.id, diff)
		}
	}
	repo, _ := h.port.Entity("githubRepository", "web-app")
	if got := repo["properties"].(map[string]any)["description"]; got != "" {
		t.Errorf("web-app description = %v, want \"\"", got)
	}
}

// A 403 on one repository's alerts fails that block: the other
// repositories sync, nothing is deleted, and the run exits 1.
func TestGitHubRefusedRepositoryFailsBlock(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	if err := h.port.AddBlueprint(map[string]any{"identifier": "githubDependabotAlert", "title": "Dependabot alert",
		"schema": map[string]any{"properties": map[string]any{"severity": map[string]any{"type": "string"}}}}); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(t.TempDir(), "mapping.yml")
	os.WriteFile(mapping, []byte(`resources:
  - kind: repository
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .name
          title: .name
          blueprint: '"githubRepository"'
  - kind: dependabot-alert
    selector:
      query: "true"
      states: [open]
    port:
      entity:
        mappings:
          identifier: .__repository + "-" + (.number|tostring)
          title: .security_advisory.summary
          blueprint: '"githubDependabotAlert"'
          properties:
            severity: .security_advisory.severity
`), 0o644)
	code, out, errs, _ := h.sync("--mapping", mapping)
	mustCode(t, code, exitOK, out, errs)
	if got := ids(h.port, "githubDependabotAlert"); !cmp.Equal(got, []string{"payments-api-1", "payments-api-3", "web-app-4"}) {
		t.Fatalf("alerts = %v", got)
	}

	h.gh.Fail(githubtest.Fault{Path: "/repos/acme-corp/payments-api/dependabot/alerts", Status: 403,
		Body: `{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/rest","status":"403"}`})
	h.port.ResetCounts()
	webApp := h.gh.Count("GET /repos/acme-corp/web-app/dependabot/alerts")
	code, out, errs, sum := h.sync("--mapping", mapping)
	mustCode(t, code, exitFailed, out, errs)
	if n := h.port.Count(porttest.RouteBulkDelete) + h.port.Count(porttest.RouteEntityDelete); n != 0 {
		t.Fatalf("%d delete requests after a failed block", n)
	}
	if got := ids(h.port, "githubDependabotAlert"); !cmp.Equal(got, []string{"payments-api-1", "payments-api-3", "web-app-4"}) {
		t.Fatalf("alerts after the refused run = %v", got)
	}
	if h.gh.Count("GET /repos/acme-corp/web-app/dependabot/alerts") != webApp+1 {
		t.Error("the other repositories' alerts were not fetched")
	}
	var blockErr string
	for _, b := range sum.Blocks {
		if b.Kind == "dependabot-alert" {
			blockErr = b.Error
		}
	}
	if !strings.Contains(blockErr, "acme-corp/payments-api") || !strings.Contains(blockErr, "403") || sum.Deletion.State != "skipped" {
		t.Errorf("block error %q, deletion %q", blockErr, sum.Deletion.State)
	}
	if !strings.Contains(errs, "payments-api") {
		t.Errorf("stderr does not name the refused repository:\n%s", errs)
	}
}

// Bad input is exit 2 with nothing written: a selector value, a missing
// credential.
func TestGitHubBadInput(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	mapping := filepath.Join(t.TempDir(), "mapping.yml")
	os.WriteFile(mapping, []byte(`resources:
  - kind: pull-request
    selector: {query: "true", states: [opened]}
    port:
      entity:
        mappings: {identifier: .title, blueprint: '"githubPullRequest"'}
`), 0o644)
	code, out, errs, _ := h.sync("--mapping", mapping)
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, `resources[0] (kind "pull-request"): selector.states[0]: "opened"`) {
		t.Errorf("stderr does not name the selector field:\n%s", errs)
	}
	if h.writes() != 0 || h.gh.Requests() != 0 {
		t.Errorf("a bad selector still made %d Port writes and %d GitHub requests", h.writes(), h.gh.Requests())
	}

	delete(h.env, "GITHUB_TOKEN")
	code, out, errs, _ = h.sync()
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "--github-token") {
		t.Errorf("stderr does not name the missing credential:\n%s", errs)
	}

	h.env["GITHUB_TOKEN"] = "ghp_wrongTOKENvalueSECRET"
	code, out, errs, _ = h.sync()
	if code == exitOK || strings.Contains(out+errs, "ghp_wrongTOKENvalueSECRET") {
		t.Errorf("a rejected token: exit %d, or it was printed:\n%s\n%s", code, out, errs)
	}
	if h.port.Count(porttest.RouteBulkDelete) != 0 {
		t.Error("a rejected token led to deletes")
	}
}

// App auth through the CLI: the private key from the environment (base64,
// as a one-line CI secret), installation tokens minted; neither the key nor
// a token is ever printed.
func TestGitHubAppAuth(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	b64 := base64.StdEncoding.EncodeToString([]byte(pemText))
	fix, err := githubtest.LoadFixtures("integrations/github/testdata/api.json")
	if err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New(fix, githubtest.Options{AppID: "4242", AppKey: &key.PublicKey, Installations: []githubtest.Installation{
		{ID: 7, Account: "acme-corp", Type: "Organization"},
	}})
	ghSrv := httptest.NewServer(gh)
	t.Cleanup(ghSrv.Close)
	port := porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	portSrv := httptest.NewServer(port)
	t.Cleanup(portSrv.Close)
	env := map[string]string{
		"TIDE_PORT_CLIENT_ID": testClientID, "TIDE_PORT_CLIENT_SECRET": testClientSecret,
		"TIDE_GITHUB_APP_PRIVATE_KEY": b64,
	}
	code, out, errs := runArgs(t, env, "sync", "--integration", "github", "--github-host", ghSrv.URL,
		"--github-app-id", "4242", "--port-url", portSrv.URL, "--init-resources", "--log-level", "debug")
	mustCode(t, code, exitOK, out, errs)
	if got := ids(port, "githubRepository"); len(got) != 4 {
		t.Errorf("repositories = %v", got)
	}
	if n := gh.Count("POST /app/installations/7/access_tokens"); n != 1 {
		t.Errorf("%d installation token requests, want 1 for the run", n)
	}
	for _, secret := range []string{githubtest.InstallationToken(7), b64[60:120], strings.Split(pemText, "\n")[3]} {
		if strings.Contains(out+errs, secret) {
			t.Errorf("a secret was printed:\n%s\n%s", out, errs)
		}
	}
}

// file:// values through the engine: each repository's README (null for a
// repository without one), a monorepo folder's own README on the folder's
// branch; a second run writes nothing.
func TestGitHubFileValues(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	code, out, errs, sum := h.sync("--mapping", "integrations/github/testdata/e2e-file-values.yml")
	mustCode(t, code, exitOK, out, errs)
	want := map[string]any{
		"payments-api":        "# payments-api\nHandles card payments.",
		"web-app":             "# web-app",
		"docs":                nil,
		"ledger":              "# ledger",
		"payments-api-worker": "# worker\nRelease branch worker.",
	}
	got := map[string]any{}
	for _, id := range ids(h.port, "githubRepository") {
		e, _ := h.port.Entity("githubRepository", id)
		got[id] = e["properties"].(map[string]any)["readme"]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readme per entity (-want +got):\n%s", diff)
	}
	if sum.Total.Created != 5 || sum.Status != tsync.StatusCompleted {
		t.Errorf("first run total = %+v, status %s", sum.Total, sum.Status)
	}
	if n := h.gh.Count("GET /repos/acme-corp/payments-api/contents/README.md"); n != 1 {
		t.Errorf("payments-api's README was fetched %d times, want 1", n)
	}
	h.syncAgainWritesNothing(5, "--mapping", "integrations/github/testdata/e2e-file-values.yml")
}

// A mapping value with a prefix GitHub does not resolve is a configuration
// error naming the field, before anything is fetched.
func TestGitHubSearchValueRefused(t *testing.T) {
	t.Parallel()
	h := newGHHarness(t)
	m := filepath.Join(t.TempDir(), "m.yml")
	if err := os.WriteFile(m, []byte("resources:\n  - kind: repository\n    selector: {query: 'true'}\n    port:\n      entity:\n        mappings:\n          identifier: .name\n          blueprint: '\"githubRepository\"'\n          properties:\n            hasPortConfig: search://scope=blobs&&query=filename:port.yml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs, _ := h.sync("--mapping", m)
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "properties.hasPortConfig") || !strings.Contains(errs, "search://") {
		t.Errorf("the error does not name the field and prefix:\n%s", errs)
	}
	if h.gh.Requests() != 0 {
		t.Errorf("%d GitHub requests before the config error, want 0", h.gh.Requests())
	}
}

// The older selector spellings Ocean and Port's GitHub docs use (state for
// states, protection_rules) pass `tide validate` without credentials as
// they pass a run: both read GitHub's one table of selector keys.
func TestGitHubOlderSelectorSpellingsValidateAsTheyRun(t *testing.T) {
	t.Parallel()
	mp := writeMapping(t, `
resources:
  - kind: pull-request
    selector: {query: "true", state: all}
    port:
      entity:
        mappings: {identifier: .head.repo.name + (.id|tostring), title: .title, blueprint: '"githubPullRequest"'}
  - kind: dependabot-alert
    selector: {query: "true", state: [open, fixed]}
    port:
      entity:
        mappings: {identifier: .__repository + "-" + (.number|tostring), title: .state, blueprint: '"ghItem"'}
  - kind: branch
    selector: {query: "true", protection_rules: true}
    port:
      entity:
        mappings: {identifier: .__repository + "-" + .name, title: .name, blueprint: '"ghItem"'}
`)
	code, out, errs := runArgs(t, map[string]string{}, "validate", "--integration", "github", "--mapping", mp)
	mustCode(t, code, exitOK, out, errs)
	if strings.Contains(out+errs, "unknown key") || strings.Contains(out+errs, "ignored") {
		t.Errorf("validate flags an accepted key:\n%s\n%s", out, errs)
	}
	h := newGHHarness(t)
	if err := h.port.AddBlueprint(map[string]any{"identifier": "ghItem", "title": "item", "schema": map[string]any{"properties": map[string]any{}}}); err != nil {
		t.Fatal(err)
	}
	code, out, errs, _ = h.sync("--mapping", mp)
	mustCode(t, code, exitOK, out, errs)
	if strings.Contains(out+errs, "ignored") {
		t.Errorf("the run reports an accepted key as ignored:\n%s\n%s", out, errs)
	}
}

// ghReportRun runs a sync as inside GitHub Actions with every report
// written, and returns each output by name: stdout, stderr (its
// ::add-mask:: commands left out: they carry the secrets by design, and
// the runner consumes them), the JSON summary, markdown, JUnit, dotenv,
// the step summary and the step outputs.
func ghReportRun(t *testing.T, env map[string]string, args ...string) (int, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"summary": filepath.Join(dir, "summary.json"), "markdown": filepath.Join(dir, "summary.md"),
		"junit": filepath.Join(dir, "junit.xml"), "dotenv": filepath.Join(dir, "tide.env"),
		"step summary": filepath.Join(dir, "step_summary"), "outputs": filepath.Join(dir, "github_output"),
	}
	for _, f := range []string{files["step summary"], files["outputs"]} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	full := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": files["step summary"], "GITHUB_OUTPUT": files["outputs"]}
	for k, v := range env {
		full[k] = v
	}
	args = append(args, "--summary-file", files["summary"], "--markdown-report", files["markdown"],
		"--junit-report", files["junit"], "--dotenv-report", files["dotenv"])
	code, out, errs := runArgs(t, full, args...)
	texts := map[string]string{"stdout": out, "stderr": withoutMasks(errs), "stderr with masks": errs}
	for name, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		texts[name] = string(b)
	}
	return code, texts
}

// A GitHub error whose message quotes the Authorization header (a 403 on
// a repository's pull requests) shows neither the configured token nor an
// App installation token minted during the run in any output or report;
// the refusal itself is reported, redacted, and the run-time token is
// masked in the Actions log.
func TestGitHubEchoedTokenInNoOutput(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	b64 := base64.StdEncoding.EncodeToString([]byte(pemText))
	tests := []struct {
		name    string
		opts    githubtest.Options
		env     map[string]string
		args    []string
		secrets []string // must appear nowhere
		masked  string   // a run-time token the Actions log must mask
	}{
		{
			name:    "personal access token",
			opts:    githubtest.Options{Token: ghToken},
			env:     map[string]string{"GITHUB_TOKEN": ghToken},
			args:    []string{"--github-organization", "acme-corp"},
			secrets: []string{ghToken},
		},
		{
			name: "App installation token",
			opts: githubtest.Options{AppID: "4242", AppKey: &key.PublicKey, Installations: []githubtest.Installation{
				{ID: 7, Account: "acme-corp", Type: "Organization"},
			}},
			env:     map[string]string{"TIDE_GITHUB_APP_PRIVATE_KEY": b64},
			args:    []string{"--github-app-id", "4242"},
			secrets: []string{githubtest.InstallationToken(7), b64[60:120], strings.Split(pemText, "\n")[3]},
			masked:  githubtest.InstallationToken(7),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fix, err := githubtest.LoadFixtures("integrations/github/testdata/api.json")
			if err != nil {
				t.Fatal(err)
			}
			gh := githubtest.New(fix, tt.opts)
			gh.Fail(githubtest.Fault{Path: "/repos/acme-corp/payments-api/pulls", Status: 403, EchoAuthorization: true})
			ghSrv := httptest.NewServer(gh)
			t.Cleanup(ghSrv.Close)
			port := porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
			portSrv := httptest.NewServer(port)
			t.Cleanup(portSrv.Close)
			env := map[string]string{"TIDE_PORT_CLIENT_ID": testClientID, "TIDE_PORT_CLIENT_SECRET": testClientSecret}
			for k, v := range tt.env {
				env[k] = v
			}
			args := append([]string{"sync", "--integration", "github", "--github-host", ghSrv.URL,
				"--port-url", portSrv.URL, "--init-resources", "--log-level", "debug"}, tt.args...)
			code, texts := ghReportRun(t, env, args...)
			mustCode(t, code, exitFailed, texts["stdout"], texts["stderr"])
			if gh.Count("GET /repos/acme-corp/payments-api/pulls") == 0 {
				t.Fatal("the pull requests were never asked for: the fault was not met")
			}
			for _, name := range []string{"summary", "markdown", "junit"} {
				if !strings.Contains(texts[name], "Resource not accessible with Authorization: ") {
					t.Errorf("%s does not report the refusal:\n%s", name, texts[name])
				}
			}
			for name, text := range texts {
				if name == "stderr with masks" {
					continue
				}
				for _, s := range append(tt.secrets, testClientSecret) {
					if strings.Contains(text, s) {
						t.Errorf("%s shows a secret (%.12s...):\n%s", name, s, text)
					}
				}
			}
			if tt.masked != "" && !strings.Contains(texts["stderr with masks"], "::add-mask::"+tt.masked+"\n") {
				t.Errorf("the installation token is not masked in the Actions log:\n%s", texts["stderr with masks"])
			}
			if n := deletes(port); n != 0 {
				t.Errorf("%d delete requests after a refused block", n)
			}
		})
	}
}
