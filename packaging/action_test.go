package packaging

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tide-sync/tide/integrations/github/githubtest"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// This file is a GitHub Actions runner in miniature, for action.yml: it
// evaluates the `${{ }}` expressions the action uses, runs each composite
// step's script with `bash --noprofile --norc -eo pipefail` as the runner
// does, with fresh GITHUB_OUTPUT/GITHUB_ENV/GITHUB_PATH files per step and a
// GITHUB_STEP_SUMMARY, reads the step outputs back from those files, maps
// them to the action's outputs, and hands those to a later workflow step.
// It refuses any expression it does not know and any `${{` inside a script,
// so the action cannot drift out of what is tested here.

type actionFile struct {
	Inputs map[string]struct {
		Required bool    `yaml:"required"`
		Default  *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	Run   string            `yaml:"run"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
}

func loadAction(t *testing.T) actionFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// jobRun is one job on the miniature runner.
type jobRun struct {
	t       *testing.T
	env     map[string]string // the job's environment
	temp    string            // RUNNER_TEMP
	summary string            // GITHUB_STEP_SUMMARY
	log     strings.Builder   // what the runner would show, before masking
	masks   []string
}

func newJob(t *testing.T) *jobRun {
	t.Helper()
	j := &jobRun{t: t, env: hostEnv(t), temp: t.TempDir()}
	ws := t.TempDir()
	j.summary = filepath.Join(j.temp, "step_summary.md")
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	osName := map[string]string{"linux": "Linux", "darwin": "macOS"}[runtime.GOOS]
	for k, v := range map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_TEMP": j.temp, "RUNNER_OS": osName, "RUNNER_ARCH": arch,
		"GITHUB_WORKSPACE": ws, "GITHUB_STEP_SUMMARY": j.summary,
	} {
		j.env[k] = v
	}
	return j
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// eval expands the expressions of s; ctx holds inputs.*, steps.*.outputs.*.
func (j *jobRun) eval(s string, ctx map[string]string) string {
	j.t.Helper()
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		key := exprRE.FindStringSubmatch(m)[1]
		v, ok := ctx[key]
		if !ok {
			if strings.HasPrefix(key, "steps.") && strings.Contains(key, ".outputs.") {
				return "" // an output a step did not set is empty
			}
			j.t.Fatalf("the harness does not know the expression %q", m)
		}
		return v
	})
}

// runScript runs one step's script as the runner does and returns its
// outputs, or the exit code when it failed.
func (j *jobRun) runScript(name, script string, stepEnv map[string]string, actionPath string) (map[string]string, int) {
	j.t.Helper()
	dir := j.t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH"} {
		files[f] = filepath.Join(dir, strings.ToLower(f))
		must(j.t, os.WriteFile(files[f], nil, 0o644), "env file")
	}
	path := filepath.Join(dir, "script.sh")
	must(j.t, os.WriteFile(path, []byte(script), 0o644), "script")
	env := map[string]string{}
	for k, v := range j.env {
		env[k] = v
	}
	for k, v := range stepEnv {
		env[k] = v
	}
	for k, v := range files {
		env[k] = v
	}
	if actionPath != "" {
		env["GITHUB_ACTION_PATH"] = actionPath
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", path)
	cmd.Env = environ(env)
	cmd.Dir = j.env["GITHUB_WORKSPACE"]
	out, err := runLogged(j.t, cmd)
	fmt.Fprintf(&j.log, "##[group]Run %s\n%s##[endgroup]\n", name, out)
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSuffix(l, "\r"), "::add-mask::"); ok {
			j.masks = append(j.masks, v)
		}
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			j.t.Fatalf("step %s: %v", name, err)
		}
		code = ee.ExitCode()
	}
	outputs := j.readEnvFile(files["GITHUB_OUTPUT"])
	for k, v := range j.readEnvFile(files["GITHUB_ENV"]) {
		j.env[k] = v
	}
	if b, _ := os.ReadFile(files["GITHUB_PATH"]); len(b) > 0 {
		for _, p := range strings.Fields(string(b)) {
			j.env["PATH"] = p + ":" + j.env["PATH"]
		}
	}
	return outputs, code
}

// readEnvFile parses name=value and name<<DELIMITER heredocs.
func (j *jobRun) readEnvFile(path string) map[string]string {
	j.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		j.t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSuffix(lines[i], "\r")
		if l == "" {
			continue
		}
		if k := strings.Index(l, "<<"); k > 0 && !strings.Contains(l[:k], "=") {
			name, delim := l[:k], l[k+2:]
			var val []string
			for i++; ; i++ {
				if i >= len(lines) {
					j.t.Fatalf("%s: %s: no closing %q", path, name, delim)
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
			j.t.Fatalf("%s: line %q is not name=value", path, l)
		}
		out[name] = val
	}
	return out
}

// actionResult is what a workflow sees of one `uses: ./` step.
type actionResult struct {
	outputs    map[string]string
	failedStep string
	code       int
}

// harnessWorkflowToken stands for the workflow's github.token.
const harnessWorkflowToken = "ghs_harnessWorkflowToken0123456789"

// uses runs action.yml with the `with:` inputs, as a step of the job.
func (j *jobRun) uses(actionPath string, with map[string]string) actionResult {
	j.t.Helper()
	a := loadAction(j.t)
	if a.Runs.Using != "composite" {
		j.t.Fatalf("runs.using = %q", a.Runs.Using)
	}
	ctx := map[string]string{"github.action_path": actionPath, "runner.temp": j.temp, "github.token": harnessWorkflowToken}
	for name, in := range a.Inputs {
		v, given := with[name]
		if !given {
			if in.Required {
				j.t.Fatalf("input %s is required", name)
			}
			if in.Default != nil {
				v = j.eval(*in.Default, ctx) // defaults may be expressions (github.token)
			}
		}
		ctx["inputs."+name] = v
	}
	for name := range with {
		if _, ok := a.Inputs[name]; !ok {
			j.t.Fatalf("with: %s is not an input of the action", name)
		}
	}
	res := actionResult{outputs: map[string]string{}}
	for i, s := range a.Runs.Steps {
		if s.Uses != "" || s.If != "" {
			j.t.Fatalf("step %d: the harness runs only unconditional run: steps", i)
		}
		if s.Shell != "bash" {
			j.t.Fatalf("step %s: shell %q, want bash", s.ID, s.Shell)
		}
		if strings.Contains(s.Run, "${{") {
			j.t.Fatalf("step %s interpolates an expression into its script; pass it through env:", s.ID)
		}
		env := map[string]string{}
		for k, v := range s.Env {
			env[k] = j.eval(v, ctx)
		}
		outs, code := j.runScript(s.Name, s.Run, env, actionPath)
		for k, v := range outs {
			ctx["steps."+s.ID+".outputs."+k] = v
		}
		if code != 0 {
			res.failedStep, res.code = s.ID, code
			break
		}
	}
	for name, o := range a.Outputs {
		res.outputs[name] = j.eval(o.Value, ctx)
	}
	return res
}

// later runs a later workflow step that reads the action's outputs, as a
// workflow does with `env: STATUS: ${{ steps.tide.outputs.status }}`.
func (j *jobRun) later(res actionResult) map[string]string {
	j.t.Helper()
	env := map[string]string{}
	var names []string
	for k, v := range res.outputs {
		n := "TIDE_OUT_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		env[n] = v
		names = append(names, n)
	}
	sort.Strings(names)
	script := "for n in " + strings.Join(names, " ") + "; do printf '%s=%s\\n' \"$n\" \"${!n}\" >>\"$GITHUB_OUTPUT\"; done\n"
	outs, code := j.runScript("read the outputs", script, env, "")
	if code != 0 {
		j.t.Fatalf("later step failed:\n%s", j.log.String())
	}
	return outs
}

// checkNoSecret fails when a secret appears in the job log outside an
// ::add-mask:: command, or was not masked at all.
func (j *jobRun) checkNoSecret(secrets ...string) {
	j.t.Helper()
	for _, s := range secrets {
		masked := false
		for _, m := range j.masks {
			masked = masked || m == s
		}
		if !masked {
			j.t.Errorf("secret %q was never masked", s[:4]+"…")
		}
		for _, l := range strings.Split(j.log.String(), "\n") {
			if strings.Contains(l, s) && !strings.HasPrefix(l, "::add-mask::") {
				j.t.Errorf("the job log holds a secret: %q", l)
			}
		}
		if b, _ := os.ReadFile(j.summary); strings.Contains(string(b), s) {
			j.t.Error("the step summary holds a secret")
		}
	}
}

const (
	portClientID     = "action-cid-5e6f7a8b"
	portClientSecret = "action-secret-1a2b3c4d5e"
)

// portFake is a Port API over HTTP, as the action's tide sees it.
func portFake(t *testing.T) (*porttest.Server, string) {
	t.Helper()
	fake := porttest.New(porttest.Options{ClientID: portClientID, ClientSecret: portClientSecret})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

// catalog writes a small file-integration catalog into the job's workspace.
func (j *jobRun) catalog() {
	j.t.Helper()
	dir := filepath.Join(j.env["GITHUB_WORKSPACE"], "catalog")
	must(j.t, os.MkdirAll(dir, 0o755), "catalog")
	src := filepath.Join(repoRoot, "testdata", "e2e", "catalog")
	entries, err := os.ReadDir(src)
	must(j.t, err, "catalog")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		must(j.t, err, "catalog")
		must(j.t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644), "catalog")
	}
}

// releaseServer serves a fake GitHub release of version, built with
// scripts/release.sh for this machine, with /latest redirecting to it as
// GitHub does. tamper corrupts the archive after the checksums were taken.
func releaseServer(t *testing.T, version string, tamper bool) string {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "release.sh"))
	cmd.Dir = repoRoot
	env := hostEnv(t)
	env["VERSION"], env["OUT"], env["PLATFORMS"] = version, out, runtime.GOOS+"/"+runtime.GOARCH
	cmd.Env = environ(env)
	if log, err := runLogged(t, cmd); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, log)
	}
	if tamper {
		p := filepath.Join(out, fmt.Sprintf("tide_%s_%s_%s.tar.gz", version, runtime.GOOS, runtime.GOARCH))
		b, err := os.ReadFile(p)
		must(t, err, "tamper")
		b[len(b)/2] ^= 0xff
		must(t, os.WriteFile(p, b, 0o644), "tamper")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /latest", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/tag/v"+version, http.StatusFound)
	})
	mux.HandleFunc("GET /tag/{tag}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "release page") })
	mux.Handle("GET /download/v"+version+"/", http.StripPrefix("/download/v"+version+"/", http.FileServer(http.Dir(out))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestActionRunsReleasedBinary: the action downloads the release for this
// OS/arch (resolving `latest`), verifies its checksum, syncs into a Port
// fake, and a later step reads its outputs.
func TestActionRunsReleasedBinary(t *testing.T) {
	t.Parallel()
	releases := releaseServer(t, "9.9.9", false)
	fake, portURL := portFake(t)
	j := newJob(t)
	j.catalog()
	with := map[string]string{
		"integration":        "file",
		"port-client-id":     portClientID,
		"port-client-secret": portClientSecret,
		"port-url":           portURL,
		"config":             "file-glob:\n  - catalog/**/*.yaml\n",
		"init-resources":     "true",
		"releases-url":       releases,
	}
	res := j.uses(repoRoot, with)
	if res.failedStep != "" {
		t.Fatalf("step %s failed (%d):\n%s", res.failedStep, res.code, j.log.String())
	}
	got := j.later(res)
	want := map[string]string{"TIDE_OUT_STATUS": "completed", "TIDE_OUT_CREATED": "10", "TIDE_OUT_UPDATED": "0", "TIDE_OUT_UNCHANGED": "0",
		"TIDE_OUT_DELETED": "0", "TIDE_OUT_FAILED": "0", "TIDE_OUT_BLOCKED": "0", "TIDE_OUT_EXIT_CODE": "0", "TIDE_OUT_VERSION": "9.9.9"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q\n%s", k, got[k], v, j.log.String())
		}
	}
	for _, k := range []string{"TIDE_OUT_SUMMARY_FILE", "TIDE_OUT_MARKDOWN_FILE"} {
		if _, err := os.Stat(got[k]); err != nil {
			t.Errorf("%s = %q: %v", k, got[k], err)
		}
	}
	if fake.Len() != 10 {
		t.Errorf("Port holds %d entities, want 10", fake.Len())
	}
	if !strings.Contains(j.log.String(), "tide 9.9.9") {
		t.Errorf("the released binary did not run:\n%s", j.log.String())
	}
	sum, _ := os.ReadFile(j.summary)
	if !strings.Contains(string(sum), "| **total** |") {
		t.Errorf("step summary:\n%s", sum)
	}
	j.checkNoSecret(portClientID, portClientSecret)
	if testing.Verbose() {
		t.Logf("job log:\n%s\nstep summary:\n%s", j.log.String(), sum)
	}

	// Run again as a dry run of an explicit version: nothing changes.
	with["version"], with["dry-run"] = "v9.9.9", "true"
	res = j.uses(repoRoot, with)
	if res.failedStep != "" || res.outputs["unchanged"] != "10" || res.outputs["created"] != "0" {
		t.Fatalf("dry run: %+v\n%s", res, j.log.String())
	}
	j.checkNoSecret(portClientID, portClientSecret)
}

// TestActionRefusesTamperedRelease: a checksum mismatch stops the action
// before anything runs.
func TestActionRefusesTamperedRelease(t *testing.T) {
	t.Parallel()
	releases := releaseServer(t, "9.9.8", true)
	fake, portURL := portFake(t)
	j := newJob(t)
	res := j.uses(repoRoot, map[string]string{
		"integration": "file", "port-client-id": portClientID, "port-client-secret": portClientSecret,
		"port-url": portURL, "releases-url": releases, "version": "9.9.8",
	})
	if res.failedStep != "install" || !strings.Contains(j.log.String(), "checksum mismatch") {
		t.Fatalf("failed step %q:\n%s", res.failedStep, j.log.String())
	}
	if fake.Count(porttest.RouteToken) != 0 {
		t.Fatal("tide ran after a checksum mismatch")
	}
}

// TestActionFromSource: `version: source` builds the action's own checkout;
// a failing sync fails the step with tide's exit code, and the outputs are
// still set for an `if: always()` step.
func TestActionFromSource(t *testing.T) {
	t.Parallel()
	fake, portURL := portFake(t)
	j := newJob(t)
	j.catalog()
	must(t, os.WriteFile(filepath.Join(j.env["GITHUB_WORKSPACE"], "catalog", "zz-broken.yaml"), []byte("kind: service\n  identifier: [oops\n"), 0o644), "broken")
	res := j.uses(repoRoot, map[string]string{
		"integration": "file", "port-client-id": portClientID, "port-client-secret": portClientSecret,
		"port-url": portURL, "version": "source", "init-resources": "true",
		"config": `{"file-glob": "catalog/*.yaml"}`, "args": "--log-level debug\n--concurrency 2",
	})
	if res.failedStep != "sync" || res.code != 1 {
		t.Fatalf("failed step %q code %d, want sync/1:\n%s", res.failedStep, res.code, j.log.String())
	}
	if res.outputs["status"] != "failed" || res.outputs["exit-code"] != "1" || !strings.HasPrefix(res.outputs["version"], "source") {
		t.Fatalf("outputs = %v", res.outputs)
	}
	if !strings.Contains(j.log.String(), "::error title=tide%3A resources[") {
		t.Errorf("no ::error annotation:\n%s", j.log.String())
	}
	if !strings.Contains(j.log.String(), "level=DEBUG") {
		t.Errorf("args did not reach tide (no debug log):\n%s", j.log.String())
	}
	if fake.Count(porttest.RouteBulkDelete) != 0 {
		t.Fatal("deleted after a failed block")
	}
	j.checkNoSecret(portClientID, portClientSecret)
}

// TestActionRejectsBadConfig: an unknown parameter in config stops with
// exit 2 before any Port call, naming the key and not echoing values.
func TestActionRejectsBadConfig(t *testing.T) {
	t.Parallel()
	fake, portURL := portFake(t)
	j := newJob(t)
	res := j.uses(repoRoot, map[string]string{
		"integration": "file", "port-client-id": portClientID, "port-client-secret": portClientSecret,
		"port-url": portURL, "version": "source", "config": "file_globs: " + portClientSecret + "\n",
	})
	if res.failedStep != "sync" || res.code != 2 || res.outputs["status"] != "error" {
		t.Fatalf("result %+v:\n%s", res, j.log.String())
	}
	if !strings.Contains(j.log.String(), `"file_globs" is not a parameter of integration "file"`) {
		t.Errorf("log does not name the key:\n%s", j.log.String())
	}
	if strings.Contains(j.log.String(), portClientSecret) {
		t.Errorf("a config value was echoed:\n%s", j.log.String())
	}
	if fake.Count(porttest.RouteToken) != 0 {
		t.Fatal("tide called Port with a bad config")
	}
}

// TestActionInputsAreNotInterpolated: an input full of shell syntax reaches
// tide as data.
func TestActionInputsAreNotInterpolated(t *testing.T) {
	t.Parallel()
	_, portURL := portFake(t)
	j := newJob(t)
	marker := filepath.Join(j.temp, "pwned")
	res := j.uses(repoRoot, map[string]string{
		"integration": "file", "port-client-id": portClientID, "port-client-secret": portClientSecret,
		"port-url": portURL, "version": "source",
		"identifier": `x"; touch ` + marker + `; echo "`, "kinds": "$(touch " + marker + ")",
		"args": "`touch " + marker + "`",
	})
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("an input was executed by the shell")
	}
	if res.code != 2 {
		t.Fatalf("want exit 2 for the bad input, got %+v:\n%s", res, j.log.String())
	}
}

// TestActionGitHubUsesWorkflowToken: with no token given, the github
// integration runs on the workflow's own token (github.token), which tide
// masks and never prints.
func TestActionGitHubUsesWorkflowToken(t *testing.T) {
	t.Parallel()
	releases := releaseServer(t, "9.9.9", false)
	fake, portURL := portFake(t)
	fix, err := githubtest.LoadFixtures(filepath.Join(repoRoot, "integrations", "github", "testdata", "api.json"))
	if err != nil {
		t.Fatal(err)
	}
	gh := httptest.NewServer(githubtest.New(fix, githubtest.Options{Token: harnessWorkflowToken}))
	t.Cleanup(gh.Close)
	j := newJob(t)
	res := j.uses(repoRoot, map[string]string{
		"integration":        "github",
		"port-client-id":     portClientID,
		"port-client-secret": portClientSecret,
		"port-url":           portURL,
		"config":             "github-host: " + gh.URL + "\ngithub-organization: acme-corp\n",
		"kinds":              "organization,repository",
		"init-resources":     "true",
		"releases-url":       releases,
	})
	if res.failedStep != "" || res.outputs["status"] != "completed" {
		t.Fatalf("step %q failed (%d), outputs %v:\n%s", res.failedStep, res.code, res.outputs, j.log.String())
	}
	if fake.Len() == 0 || res.outputs["created"] == "0" {
		t.Errorf("Port holds %d entities, created %s; want the organisation and its repositories", fake.Len(), res.outputs["created"])
	}
	j.checkNoSecret(harnessWorkflowToken, portClientSecret)
}
