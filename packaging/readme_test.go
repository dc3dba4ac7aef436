package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// readmeBlocks returns the README's fenced blocks of a language.
func readmeBlocks(t *testing.T, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestREADMEWorkflowsUseRealInputs: every `uses: tide-sync/tide@` step in
// the README passes only inputs action.yml declares, and all required ones.
func TestREADMEWorkflowsUseRealInputs(t *testing.T) {
	t.Parallel()
	a := loadAction(t)
	n := 0
	for _, block := range readmeBlocks(t, "yaml") {
		var doc any
		if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
			t.Errorf("README yaml block does not parse: %v\n%s", err, block)
			continue
		}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if u, _ := x["uses"].(string); strings.HasPrefix(u, "tide-sync/tide@") {
					n++
					with, _ := x["with"].(map[string]any)
					for k := range with {
						if _, ok := a.Inputs[k]; !ok {
							t.Errorf("README passes unknown input %q to the action", k)
						}
					}
					for name, in := range a.Inputs {
						if _, ok := with[name]; in.Required && !ok {
							t.Errorf("README step lacks required input %q", name)
						}
					}
				}
				for _, e := range x {
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		walk(doc)
	}
	if n < 3 {
		t.Errorf("found %d uses of the action in the README, want the schedule, plan and matrix examples", n)
	}
}

// TestREADMEGitLabExampleIsTheTestedOne: the README's GitLab pipeline is
// the one TestGitLabTemplateJob and `make gitlab-ci-local` run.
func TestREADMEGitLabExampleIsTheTestedOne(t *testing.T) {
	t.Parallel()
	var readme map[string]any
	for _, block := range readmeBlocks(t, "yaml") {
		if strings.Contains(block, "extends: .tide-sync") {
			must(t, yaml.Unmarshal([]byte(block), &readme), "README gitlab block")
		}
	}
	b, err := os.ReadFile(filepath.Join("testdata", "gitlab", ".gitlab-ci.yml"))
	must(t, err, "example")
	var tested map[string]any
	must(t, yaml.Unmarshal(b, &tested), "example")
	delete(readme, "include")
	delete(tested, "include")
	if d := cmp.Diff(tested, readme); d != "" {
		t.Errorf("README's GitLab example differs from packaging/testdata/gitlab/.gitlab-ci.yml (-tested +readme):\n%s", d)
	}
}

// TestREADMECommandsUseRealFlags: every --flag in the README's shell and
// Kubernetes snippets is a flag of `tide sync`.
func TestREADMECommandsUseRealFlags(t *testing.T) {
	t.Parallel()
	help, err := exec.Command(tideBinary(t), "sync", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("tide sync --help: %v\n%s", err, help)
	}
	flagRE := regexp.MustCompile(`(?:^|[\s\[,])--([a-z][a-z0-9-]+)`)
	blocks := append(readmeBlocks(t, "sh"), readmeBlocks(t, "yaml")...)
	for _, block := range blocks {
		for _, m := range flagRE.FindAllStringSubmatch(block, -1) {
			name := m[1]
			switch name {
			case "rm", "edit-last", "body-file", "noprofile", "norc": // docker's and gh's own flags
				continue
			}
			if !strings.Contains(string(help), "  --"+name+"\n") {
				t.Errorf("README uses --%s, which tide sync does not have", name)
			}
		}
	}
}
