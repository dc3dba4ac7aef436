package sync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/custom"
	"github.com/tide-sync/tide/integrations/github"
	"github.com/tide-sync/tide/sync/mapping"
)

// TestSelectorKeysOfEachIntegration: the GitHub and custom integrations say
// which selector keys each kind reads, so a near miss of one stops the run
// with "did you mean" (Ocean ignores it: `closedSinceDat` silently syncs
// the default window) and another unknown key is a notice. The mappings in
// Port's GitHub docs still load, `state:` for dependabot alerts included
// (the older spelling of states in Ocean's GitHub selector models).
func TestSelectorKeysOfEachIntegration(t *testing.T) {
	t.Parallel()
	gh := func(kind, selector string) string {
		return "resources:\n  - kind: " + kind + "\n    selector:\n      query: 'true'\n" + selector +
			"    port: {entity: {mappings: {identifier: .name, blueprint: '\"x\"'}}}\n"
	}
	cu := func(selector string) string {
		return "resources:\n  - kind: /services\n    selector:\n      query: 'true'\n" + selector +
			"    port: {entity: {mappings: {identifier: .id, blueprint: '\"x\"'}}}\n"
	}
	tests := []struct {
		name, integration, mapping string
		wantErr, wantWarn          string
	}{
		{"pull-request near miss", "github", gh("pull-request", "      closedSinceDat: '2025-01-01'\n"),
			`resources[0].selector.closedSinceDat: unknown key "closedSinceDat"; did you mean "closedSinceDate"? (kind "pull-request") (line 5)`, ""},
		{"dependabot near miss", "github", gh("dependabot-alert", "      severty: [high]\n"),
			`did you mean "severity"?`, ""},
		{"repository near miss", "github", gh("repository", "      includedFile: [README.md]\n"),
			`did you mean "includedFiles"?`, ""},
		{"dependabot state and states", "github", gh("dependabot-alert", "      state: open\n      states: [open]\n"),
			`state and states are the same setting`, ""},
		{"dependabot older state", "github", gh("dependabot-alert", "      state: open\n"), "", ""},
		{"pull-request older state", "github", gh("pull-request", "      state: all\n"), "", ""},
		{"an Ocean key tide does not read", "github", gh("repository", "      excludeGraphqlFields: [body]\n"),
			"", `resources[0].selector.excludeGraphqlFields (line 5): unknown key "excludeGraphqlFields" is ignored (kind "repository" reads: includedFiles, includedRelations, include, repoSearch, query, exportEnvVariables)`},
		{"repoSearch on any repository kind", "github", gh("issue", "      repoSearch: {query: 'topic:x'}\n"), "", ""},
		{"custom near miss", "custom", cu("      queryParams: {a: b}\n"),
			`unknown key "queryParams"; did you mean "query_params"?`, ""},
		{"custom data_path", "custom", cu("      data_path: .items\n"), "", ""},
	}
	for _, f := range []string{"github-ocean-alerts.yml", "github-ocean-example.yml", "github-ocean-file-kind.yml", "github-ocean-workflow-run.yml"} {
		b, err := os.ReadFile(filepath.Join("mapping", "testdata", "ocean-docs", f))
		if err != nil {
			t.Fatal(err)
		}
		// file:// values are resolved by the GitHub integration.
		src := string(b)
		tests = append(tests, struct {
			name, integration, mapping string
			wantErr, wantWarn          string
		}{"Port docs: " + f, "github", src, "", ""})
	}
	sources := map[string]func() (integrations.Definition, integrations.Source){
		"github": func() (integrations.Definition, integrations.Source) {
			d := github.Definition()
			s, err := d.New(integrations.Settings{Values: integrations.Values{"github-token": {"t"}}, Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			return d, s
		},
		"custom": func() (integrations.Definition, integrations.Source) {
			d := custom.Definition()
			s, err := d.New(integrations.Settings{Values: integrations.Values{"custom-base-url": {"https://api.example.com"}}, Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			return d, s
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def, src := sources[tt.integration]()
			m, err := compileMapping([]byte(tt.mapping), "m.yml", mapping.Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = checkKinds(Config{Definition: def, Source: src}, m)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			var warns []string
			for _, w := range m.Config.Warnings {
				warns = append(warns, w.String())
			}
			got := strings.Join(warns, "\n")
			if tt.wantWarn != "" && !strings.Contains(got, tt.wantWarn) {
				t.Errorf("warnings:\n%s\nwant %q", got, tt.wantWarn)
			}
			if tt.wantWarn == "" && tt.wantErr == "" && got != "" {
				t.Errorf("unexpected warnings:\n%s", got)
			}
		})
	}
}
