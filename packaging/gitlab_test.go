package packaging

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tide-sync/tide/integrations/gitlab/gitlabtest"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// This file runs the GitLab template the way a shell-executor runner does:
// it includes .gitlab-ci-template.yml into the example pipeline
// (testdata/gitlab/.gitlab-ci.yml), resolves `extends`, evaluates the
// rules for a pipeline source, runs the job's script with its variables and
// GitLab's predefined ones (tide on PATH in place of the image), collects
// the JUnit and dotenv reports even when the job fails, and hands the
// dotenv variables to the `needs:` job.

type glJob map[string]any

// loadPipeline reads the example pipeline with the template included.
func loadPipeline(t *testing.T) map[string]glJob {
	t.Helper()
	read := func(path string) map[string]any {
		b, err := os.ReadFile(path)
		must(t, err, "read %s", path)
		var m map[string]any
		must(t, yaml.Unmarshal(b, &m), "parse %s", path)
		return m
	}
	pipe := read(filepath.Join("testdata", "gitlab", ".gitlab-ci.yml"))
	all := map[string]any{}
	for _, inc := range pipe["include"].([]any) {
		local := inc.(map[string]any)["local"].(string)
		for k, v := range read(filepath.Join(repoRoot, local)) {
			all[k] = v
		}
	}
	for k, v := range pipe {
		if k != "include" {
			all[k] = v
		}
	}
	jobs := map[string]glJob{}
	for name, v := range all {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is not a job", name)
		}
		jobs[name] = m
	}
	for name := range jobs {
		jobs[name] = resolveExtends(t, jobs, name, 0)
	}
	return jobs
}

// resolveExtends merges a job over what it extends: hashes deep-merged,
// everything else (arrays included) replaced, as GitLab does.
func resolveExtends(t *testing.T, jobs map[string]glJob, name string, depth int) glJob {
	t.Helper()
	if depth > 10 {
		t.Fatalf("extends loop at %s", name)
	}
	job := jobs[name]
	parent, ok := job["extends"].(string)
	if !ok {
		return job
	}
	if _, ok := jobs[parent]; !ok {
		t.Fatalf("%s extends unknown %s", name, parent)
	}
	merged := deepMerge(resolveExtends(t, jobs, parent, depth+1), job)
	delete(merged, "extends")
	return merged
}

func deepMerge(base, over map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = deepMerge(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

var ruleRE = regexp.MustCompile(`^\$CI_PIPELINE_SOURCE == "([a-z_]+)"$`)

// runs evaluates the job's rules for a pipeline source.
func runs(t *testing.T, job glJob, source string) bool {
	t.Helper()
	rules, ok := job["rules"].([]any)
	if !ok {
		return true
	}
	for _, r := range rules {
		cond := r.(map[string]any)["if"].(string)
		m := ruleRE.FindStringSubmatch(cond)
		if m == nil {
			t.Fatalf("the harness does not evaluate the rule %q", cond)
		}
		if m[1] == source {
			return true
		}
	}
	return false
}

// glResult is one job run on the miniature runner.
type glResult struct {
	code   int
	log    string
	dotenv map[string]string
	junit  string
	files  []string // artifacts:paths found
}

// runJob runs job in project dir with tide on PATH and extra variables
// (the project's CI/CD variables).
func runJob(t *testing.T, job glJob, dir, source string, cicd map[string]string) glResult {
	t.Helper()
	env := hostEnv(t)
	env["PATH"] = filepath.Dir(tideBinary(t)) + ":" + env["PATH"]
	for k, v := range map[string]string{"CI": "true", "GITLAB_CI": "true", "CI_PIPELINE_SOURCE": source, "CI_PROJECT_DIR": dir,
		"CI_SERVER_URL": "https://gitlab.example.com", "CI_PROJECT_NAMESPACE": "platform", "CI_JOB_NAME": "tide-sync"} {
		env[k] = v
	}
	for k, v := range cicd {
		env[k] = v
	}
	vars, _ := job["variables"].(map[string]any)
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env[k] = os.Expand(fmt.Sprint(vars[k]), func(n string) string { return env[n] })
	}
	var script []string
	for _, l := range job["script"].([]any) {
		script = append(script, l.(string))
	}
	// The shell executor runs the script lines in one bash with -e.
	cmd := exec.Command("bash", "--noprofile", "--norc", "-e", "-c", strings.Join(script, "\n"))
	cmd.Dir = dir
	cmd.Env = environ(env)
	log, err := runLogged(t, cmd)
	res := glResult{log: log}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		res.code = ee.ExitCode()
	}
	art, _ := job["artifacts"].(map[string]any)
	if art == nil || art["when"] != "always" {
		t.Fatal("artifacts must be collected when: always, or a failed sync leaves no report")
	}
	reports := art["reports"].(map[string]any)
	if b, err := os.ReadFile(filepath.Join(dir, reports["junit"].(string))); err == nil {
		res.junit = string(b)
	}
	res.dotenv = map[string]string{}
	if b, err := os.ReadFile(filepath.Join(dir, reports["dotenv"].(string))); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("dotenv line %q", l)
			}
			res.dotenv[k] = v
		}
	}
	for _, p := range art["paths"].([]any) {
		matches, _ := filepath.Glob(filepath.Join(dir, p.(string), "*"))
		res.files = append(res.files, matches...)
	}
	return res
}

func gitlabProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(repoRoot, "testdata", "e2e", "catalog")
	must(t, os.MkdirAll(filepath.Join(dir, "catalog"), 0o755), "catalog")
	entries, err := os.ReadDir(src)
	must(t, err, "catalog")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		must(t, err, "catalog")
		must(t, os.WriteFile(filepath.Join(dir, "catalog", e.Name()), b, 0o644), "catalog")
	}
	return dir
}

func TestGitLabTemplateRules(t *testing.T) {
	t.Parallel()
	jobs := loadPipeline(t)
	job := jobs["tide-sync"]
	for source, want := range map[string]bool{"schedule": true, "web": true, "api": true, "trigger": true, "push": false, "merge_request_event": false} {
		if got := runs(t, job, source); got != want {
			t.Errorf("on %s: runs = %v, want %v", source, got, want)
		}
	}
	img := job["image"].(map[string]any)
	if !strings.HasPrefix(img["name"].(string), "ghcr.io/tide-sync/tide:") || fmt.Sprint(img["entrypoint"]) != "[]" {
		t.Errorf("image = %v", img)
	}
}

func TestGitLabTemplateJob(t *testing.T) {
	t.Parallel()
	fake, portURL := portFake(t)
	jobs := loadPipeline(t)
	dir := gitlabProject(t)
	// The project's masked CI/CD variables.
	cicd := map[string]string{"PORT_CLIENT_ID": portClientID, "PORT_CLIENT_SECRET": portClientSecret, "PORT_BASE_URL": portURL}

	res := runJob(t, jobs["tide-sync"], dir, "schedule", cicd)
	if res.code != 0 {
		t.Fatalf("job failed (%d):\n%s", res.code, res.log)
	}
	if fake.Len() != 10 {
		t.Errorf("Port holds %d entities", fake.Len())
	}
	if !strings.Contains(res.log, "section_start:") || !strings.Contains(res.log, "tide sync file → tide-file: completed") {
		t.Errorf("job log:\n%s", res.log)
	}
	if res.dotenv["TIDE_RESULT_STATUS"] != "completed" || res.dotenv["TIDE_RESULT_CREATED"] != "10" {
		t.Errorf("dotenv = %v", res.dotenv)
	}
	if !strings.Contains(res.junit, `tests="4" failures="0"`) {
		t.Errorf("junit:\n%s", res.junit)
	}
	if len(res.files) != 4 {
		t.Errorf("artifacts = %v, want summary.json, summary.md, junit.xml, tide.env", res.files)
	}

	// The needs: job sees the dotenv variables.
	down := runJob(t, withArtifacts(jobs["report"]), dir, "schedule", res.dotenv)
	if down.code != 0 || !strings.Contains(down.log, "tide completed created=10 deleted=0") {
		t.Errorf("downstream job (%d):\n%s", down.code, down.log)
	}

	// A failed block fails the job; the reports still exist and say why.
	must(t, os.WriteFile(filepath.Join(dir, "catalog", "zz-broken.yaml"), []byte("kind: service\n  identifier: [oops\n"), 0o644), "broken")
	res = runJob(t, jobs["tide-sync"], dir, "schedule", cicd)
	if res.code != 1 || res.dotenv["TIDE_RESULT_STATUS"] != "failed" || !strings.Contains(res.junit, "zz-broken.yaml") || !strings.Contains(res.junit, "<failure") {
		t.Fatalf("failed job: code %d dotenv %v\njunit:\n%s\nlog:\n%s", res.code, res.dotenv, res.junit, res.log)
	}
	if fake.Count(porttest.RouteBulkDelete) != 0 {
		t.Fatal("deleted after a failed block")
	}
	for _, s := range []string{portClientID, portClientSecret} {
		if strings.Contains(res.log+res.junit+fmt.Sprint(res.dotenv), s) {
			t.Error("a secret reached the job log or reports")
		}
	}
}

// withArtifacts gives a downstream job the artifacts section the harness
// reads (it has none of its own).
func withArtifacts(job glJob) glJob {
	out := glJob{}
	for k, v := range job {
		out[k] = v
	}
	out["artifacts"] = map[string]any{"when": "always", "paths": []any{}, "reports": map[string]any{"junit": "none", "dotenv": "none"}}
	return out
}

// The GitLab integration in a scheduled job: the host is the job's own
// instance (CI_SERVER_URL, here the fake), the token a masked CI/CD
// variable; no host flag. The JUnit report shows each resource block.
func TestGitLabTemplateJobGitLabIntegration(t *testing.T) {
	t.Parallel()
	fake, portURL := portFake(t)
	fix, err := gitlabtest.LoadFixtures(filepath.Join(repoRoot, "integrations", "gitlab", "testdata", "api.json"))
	must(t, err, "fixtures")
	const token = "glpat-CIjobTOKENsecret0123"
	gl := httptest.NewServer(gitlabtest.New(fix, gitlabtest.Options{Token: token}))
	t.Cleanup(gl.Close)

	job := glJob{}
	for k, v := range loadPipeline(t)["tide-sync"] {
		job[k] = v
	}
	job["variables"] = map[string]any{}
	for k, v := range loadPipeline(t)["tide-sync"]["variables"].(map[string]any) {
		if !strings.HasPrefix(k, "TIDE_FILE_") {
			job["variables"].(map[string]any)[k] = v
		}
	}
	job["variables"].(map[string]any)["TIDE_INTEGRATION"] = "gitlab"
	cicd := map[string]string{"PORT_CLIENT_ID": portClientID, "PORT_CLIENT_SECRET": portClientSecret, "PORT_BASE_URL": portURL,
		"GITLAB_TOKEN": token, "CI_SERVER_URL": gl.URL, "CI_PROJECT_NAMESPACE": "acme", "CI_JOB_TOKEN": "glcbt-jobTOKENsecret"}
	res := runJob(t, job, t.TempDir(), "schedule", cicd)
	if res.code != 0 {
		t.Fatalf("job failed (%d):\n%s", res.code, res.log)
	}
	if fake.Len() != 11 {
		t.Errorf("Port holds %d entities, want 11", fake.Len())
	}
	if !strings.Contains(res.junit, `tests="5" failures="0"`) || !strings.Contains(res.junit, "merge-request") {
		t.Errorf("junit (4 blocks + deletion):\n%s", res.junit)
	}
	if res.dotenv["TIDE_RESULT_STATUS"] != "completed" || res.dotenv["TIDE_RESULT_CREATED"] != "11" {
		t.Errorf("dotenv = %v", res.dotenv)
	}
	for _, s := range []string{token, "glcbt-jobTOKENsecret", portClientSecret} {
		if strings.Contains(res.log+res.junit+fmt.Sprint(res.dotenv), s) {
			t.Error("a secret reached the job log or reports")
		}
	}
}
