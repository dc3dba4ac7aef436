package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/sync/port/porttest"
)

// golden compares got with testdata/golden/tools/NAME, rewriting it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", "tools", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -run %s -update rewrites it):\n%s", path, t.Name(), diff)
	}
}

// The tools' output on good and broken inputs, one mistake class each:
// an unknown key's near miss, JQ that does not compile, a kind the
// integration lacks, a selector key the kind does not read, a property and
// a relation the blueprint lacks, a blueprint that does not exist.
func TestToolsGolden(t *testing.T) {
	t.Parallel()
	td := filepath.Join("testdata", "tools")
	bps := filepath.Join(td, "blueprints.json")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"tide", nil, nil, exitOK},
		{"tide-help", nil, []string{"--help"}, exitOK},
		{"help-validate", nil, []string{"help", "validate"}, exitOK},
		{"list", nil, []string{"list"}, exitOK},
		{"list-file-json", nil, []string{"list", "file", "--json"}, exitOK},
		{"validate-good", nil, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "good.yml")}, exitOK},
		{"validate-good-no-blueprints", nil, []string{"validate", "--integration", "file", "--file-glob", "x/**", filepath.Join(td, "good.yml")}, exitOK},
		{"validate-typo-key", nil, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "typo-key.yml")}, exitUsage},
		{"validate-bad-jq", nil, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "bad-jq.yml")}, exitUsage},
		{"validate-bad-kind", nil, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "bad-kind.yml")}, exitUsage},
		{"validate-bad-selector", nil, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "bad-selector.yml")}, exitUsage},
		{"validate-bad-property", nil, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "bad-property.yml")}, exitUsage},
		{"validate-bad-blueprint", nil, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "bad-blueprint.yml")}, exitUsage},
		{"validate-bad-property-json", nil, []string{"validate", "--integration", "file", "--blueprints", bps, "--json", filepath.Join(td, "bad-property.yml")}, exitUsage},
		{"validate-github-annotations", map[string]string{"GITHUB_ACTIONS": "true"}, []string{"validate", "--integration", "file", "--blueprints", bps, filepath.Join(td, "bad-property.yml")}, exitUsage},
		{"validate-jira-selector-value", nil, []string{"validate", "--integration", "jira", "--jira-host", "https://acme.atlassian.net", "--atlassian-user-email", "a@b.c", "--atlassian-user-token", "tok", filepath.Join(td, "jira-bad-selector.yml")}, exitUsage},
		{"validate-gitlab-near-miss-selector", nil, []string{"validate", "--integration", "gitlab", filepath.Join(td, "gitlab-near-miss-selector.yml")}, exitUsage},
		{"validate-pagerduty-near-miss-selector", nil, []string{"validate", "--integration", "pagerduty", filepath.Join(td, "pagerduty-near-miss-selector.yml")}, exitUsage},
		{"validate-linear-unknown-selector", nil, []string{"validate", "--integration", "linear", filepath.Join(td, "linear-unknown-selector.yml")}, exitOK},
		{"validate-github-file-ref", nil, []string{"validate", "--integration", "github", filepath.Join(td, "github-file-ref.yml")}, exitOK},
		{"validate-gitlab-file-ref", nil, []string{"validate", "--integration", "gitlab", filepath.Join(td, "gitlab-file-ref.yml")}, exitOK},
		{"validate-gitlab-file-ref-token", map[string]string{"GITLAB_TOKEN": goldenSecret}, []string{"validate", "--integration", "gitlab", filepath.Join(td, "gitlab-file-ref.yml")}, exitOK},
		{"map-json-array", nil, []string{"map", "--integration", "file", "--mapping", filepath.Join(td, "map-error.yml"), filepath.Join(td, "items.json")}, exitOK},
		{"map-jsonl", nil, []string{"map", "--integration", "file", "--mapping", filepath.Join(td, "good.yml"), filepath.Join(td, "items.jsonl")}, exitOK},
		{"map-yaml-default-mapping", nil, []string{"map", "--integration", "file", "--kind", "file", filepath.Join(td, "items.yaml")}, exitOK},
		{"map-json-output", nil, []string{"map", "--integration", "file", "--mapping", filepath.Join(td, "good.yml"), "--blueprints", bps, "--json", filepath.Join(td, "items.jsonl")}, exitOK},
		{"map-bad-jq", nil, []string{"map", "--integration", "file", "--mapping", filepath.Join(td, "bad-jq.yml"), filepath.Join(td, "items.json")}, exitUsage},
		{"map-bad-items", nil, []string{"map", "--integration", "file", "--mapping", filepath.Join(td, "good.yml"), filepath.Join(td, "bad-items.json")}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runArgs(t, tt.env, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			if strings.Contains(out+errOut, goldenSecret) {
				t.Error("the output shows the token")
			}
			golden(t, tt.name+".golden", out+stderrSection(errOut))
		})
	}
}

// goldenSecret is a token some golden cases pass; no output may show it.
const goldenSecret = "glpat-T00lsGoldenSecret"

func stderrSection(s string) string {
	if s == "" {
		return ""
	}
	return "--- stderr\n" + s
}

// Every subcommand's --help (and `help CMD`) exits 0 and prints its usage;
// every unknown flag exits 2 naming the closest flag.
func TestEverySubcommandHelpAndUnknownFlag(t *testing.T) {
	t.Parallel()
	unknown := map[string][2]string{ // command → a near miss and the flag it means
		"sync":       {"--file-globs", "--file-glob"},
		"validate":   {"--blueprint", "--blueprints"},
		"map":        {"--limt", "--limit"},
		"list":       {"--jsn", "--json"},
		"defaults":   {"--dryrun", "--dry-run"},
		"config-env": {"--integraton", "--integration"},
		"version":    {"--jsn", ""},
		"help":       {"--jsn", ""},
	}
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
				code, out, errOut := runArgs(t, nil, args...)
				if code != exitOK || !strings.Contains(strings.ToLower(out), "usage") {
					t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
				}
			}
			u, ok := unknown[c.name]
			if !ok {
				t.Fatalf("no unknown-flag case for %s", c.name)
			}
			if u[1] == "" {
				return // takes no flags
			}
			code, _, errOut := runArgs(t, nil, c.name, u[0], "x")
			if code != exitUsage || !strings.Contains(errOut, "did you mean "+u[1]+"?") {
				t.Errorf("%s %s: exit %d, stderr %q; want 2 and did you mean %s", c.name, u[0], code, errOut, u[1])
			}
		})
	}
}

func TestCLIMistakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // in stderr
	}{
		{"bad bool env names value and forms", map[string]string{"TIDE_DRY_RUN": "yes"}, []string{"sync", "--integration", "file"},
			[]string{`TIDE_DRY_RUN="yes"`, "--dry-run", "want true or false"}},
		{"bad duration names flag value and forms", nil, []string{"sync", "--timeout", "5x"},
			[]string{`"5x"`, "-timeout", "number of seconds"}},
		{"another integration's flag", nil, []string{"sync", "--integration", "file", "--file-glob", "a/**", "--github-token", "t0k3n-secret", "--port-url", "local:" + filepath.Join(t.TempDir(), "c.json")},
			[]string{`--github-token is a flag of integration "github", not of "file"`}},
		{"unknown integration", nil, []string{"sync", "--integration", "gihtub"}, []string{`did you mean "github"?`}},
		{"unknown command", nil, []string{"valdiate"}, []string{`did you mean "validate"?`}},
		{"unknown defaults action", nil, []string{"defaults", "dokc", "file"}, []string{`did you mean "dock"?`}},
		{"secret env value never echoed", map[string]string{"TIDE_PORT_CLIENT_SECRET": "s3cr3t-value"}, []string{"sync", "--integration", "file", "--concurrency", "0"},
			[]string{"--concurrency must be at least 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runArgs(t, tt.env, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			for _, s := range []string{"t0k3n-secret", "s3cr3t-value"} {
				if strings.Contains(out+errOut, s) {
					t.Errorf("output shows the secret %q", s)
				}
			}
		})
	}
}

// --timeout 5 is five seconds, as --custom-timeout 5 is.
func TestTimeoutSeconds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{{"5", "5s"}, {"1.5", "1.5s"}, {"2m", "2m0s"}} {
		o, _, err := parseSync([]string{"--timeout", tt.in}, func(string) string { return "" }, &bytes.Buffer{}, registry())
		if err != nil {
			t.Fatal(err)
		}
		if got := o.timeout.String(); got != tt.want {
			t.Errorf("--timeout %s = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// defaults dock then defaults clean leaves Port as it was; clean refuses,
// deleting nothing, while the blueprints hold entities.
func TestDefaultsDockThenClean(t *testing.T) {
	t.Parallel()
	fake := porttest.New(porttest.Options{ClientID: testClientID, ClientSecret: testClientSecret})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	// Something of someone else's, which must survive.
	if err := fake.AddBlueprint(map[string]any{"identifier": "region", "title": "Region", "schema": map[string]any{"properties": map[string]any{}}}); err != nil {
		t.Fatal(err)
	}
	if err := fake.PutEntity("region", map[string]any{"identifier": "eu", "title": "EU"}, "someone"); err != nil {
		t.Fatal(err)
	}
	fake.PutIntegration(map[string]any{"installationId": "other", "installationAppType": "github"})
	state := func() string {
		var b bytes.Buffer
		if err := fake.Save(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	before := state()
	env := map[string]string{"PORT_CLIENT_ID": testClientID, "PORT_CLIENT_SECRET": testClientSecret}
	port := []string{"--port-url", srv.URL}

	if code, out, errOut := runArgs(t, env, append([]string{"defaults", "dock", "file", "--dry-run"}, port...)...); code != exitOK || !strings.Contains(out, "would create: team, system, service") {
		t.Fatalf("dock --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	if got := state(); got != before {
		t.Fatal("dock --dry-run changed Port")
	}
	if code, out, errOut := runArgs(t, env, append([]string{"defaults", "dock", "file"}, port...)...); code != exitOK {
		t.Fatalf("dock: exit %d\n%s%s", code, out, errOut)
	}
	if got, want := fake.Blueprints(), []string{"region", "service", "system", "team"}; !cmp.Equal(got, want) {
		t.Fatalf("after dock blueprints = %v, want %v", got, want)
	}
	in, ok := fake.Integration("tide-file")
	if !ok || in["config"] == nil {
		t.Fatalf("dock did not create the integration with its mapping: %v", in)
	}
	// A second dock skips what exists.
	if code, out, _ := runArgs(t, env, append([]string{"defaults", "dock", "file"}, port...)...); code != exitOK || !strings.Contains(out, "left as they are: team, system, service") {
		t.Fatalf("second dock: exit %d\n%s", code, out)
	}

	// An entity in a default blueprint: clean refuses and deletes nothing.
	if err := fake.PutEntity("team", map[string]any{"identifier": "payments", "title": "Payments"}, "someone"); err != nil {
		t.Fatal(err)
	}
	docked := state()
	code, out, errOut := runArgs(t, env, append([]string{"defaults", "clean", "file"}, port...)...)
	if code != exitUsage || !strings.Contains(errOut, "team (1)") || !strings.Contains(errOut, "--force") {
		t.Fatalf("clean with entities: exit %d\n%s%s", code, out, errOut)
	}
	if state() != docked {
		t.Fatal("a refused clean changed Port")
	}
	if code, out, errOut := runArgs(t, env, append([]string{"defaults", "clean", "file", "--force", "--dry-run"}, port...)...); code != exitOK || state() != docked {
		t.Fatalf("clean --force --dry-run: exit %d, changed %v\n%s%s", code, state() != docked, out, errOut)
	}
	if code, out, errOut := runArgs(t, env, append([]string{"defaults", "clean", "file", "--force"}, port...)...); code != exitOK {
		t.Fatalf("clean --force: exit %d\n%s%s", code, out, errOut)
	}
	if diff := cmp.Diff(before, state()); diff != "" {
		t.Fatalf("dock then clean did not leave Port as it was (-before +after):\n%s", diff)
	}
}
