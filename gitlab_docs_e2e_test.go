package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedDocsBlueprints adds the blueprints of Port's GitLab examples to the
// Port fake (testdata/docs/blueprints.json: each mapped property declared
// with the type the docs give it).
func seedDocsBlueprints(t *testing.T, h *glHarness) {
	t.Helper()
	b, err := os.ReadFile("integrations/gitlab/testdata/docs/blueprints.json")
	if err != nil {
		t.Fatal(err)
	}
	var bps []map[string]any
	if err := json.Unmarshal(b, &bps); err != nil {
		t.Fatal(err)
	}
	for _, bp := range bps {
		if err := h.port.AddBlueprint(bp); err != nil {
			t.Fatalf("blueprint %v: %v", bp["identifier"], err)
		}
	}
}

// The mappings of Port's GitLab (gitlab-v2) documentation, each kept as a
// fixture with its source (testdata/docs/), load and run against the fake:
// the first run creates what the example maps, the second writes nothing
// but what the engine always writes (an entity with a field left out is
// merged, a computed blueprint is written, as Ocean does). Where the docs'
// own JQ fails on an item, the run says which field.
func TestGitLabDocsMappings(t *testing.T) {
	t.Parallel()
	services := []string{"acme/backend/legacy-billing", "acme/backend/payments-api", "acme/frontend/web-app"}
	tests := []struct {
		file     string
		created  map[string][]string // blueprint → identifiers
		output   []string            // what the run must report
		rewrites int                 // entities written again on the second run
	}{
		{"groups.yml", map[string][]string{"gitlabGroup": {"acme", "acme/backend", "acme/frontend"}, "service": services},
			nil, 0},
		{"merge-requests.yml", map[string][]string{"gitlabRepository": services, "gitlabMergeRequest": {"33445566", "33445567"}}, nil, 0},
		// Without includeLanguages the project block's language is left
		// out (the docs' example asks no languages): the three services
		// are merged again each run.
		{"issues.yml", map[string][]string{"service": services, "gitlabIssue": {"77889900"}},
			[]string{"properties.language", "gave no value for 3 item(s)"}, 3},
		// The teams' blueprint comes from the file (computed): written
		// each run.
		{"files.yml", map[string][]string{"package": {"express_4.19.2", "pg_8.11.3"}, "team": {"payments", "platform"}}, nil, 2},
		{"members.yml", map[string][]string{"gitlabMember": {"asmith", "jdoe", "rlee"}, "gitlabGroup": {"acme", "acme/backend", "acme/frontend"}}, nil, 0},
		{"pipelines-jobs.yml", map[string][]string{"gitlabPipeline": {"1500012347", "1500012348", "1500012349"}, "gitlabJob": {"8000000002", "8000000003", "8000000004"}}, nil, 0},
		{"releases-tags.yml", map[string][]string{"gitlabRelease": {"acme/backend/legacy-billing/v1.4.0", "acme/backend/payments-api/v1.4.0", "acme/frontend/web-app/v1.4.0"},
			"gitlabTag": {"acme/backend/legacy-billing/v1.4.0", "acme/backend/payments-api/v1.4.0", "acme/frontend/web-app/v1.4.0"}}, nil, 0},
		// Both projects have a root folder "services": the docs map a
		// folder by its name alone, so the second is a duplicate; and the
		// folder block's relation reads .references.full, which a folder
		// item has not: the services (language left out) and the folder
		// (relation left out) are merged again each run.
		{"folders.yml", map[string][]string{"service": services, "gitlabFolder": {"services"}},
			[]string{`relations.project = .references.full | gsub("!.+"; "") gave no value`, `repeated an identifier an earlier item gave (the first in source order was written): gitlabFolder "services"`}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			h := newGLHarness(t)
			seedDocsBlueprints(t, h)
			mapping := "integrations/gitlab/testdata/docs/" + tc.file
			code, out, errs, sum := h.sync("--mapping", mapping)
			mustCode(t, code, exitOK, out, errs)
			n := 0
			for bp, want := range tc.created {
				n += len(want)
				if diff := cmp.Diff(want, ids(h.port, bp)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", bp, diff)
				}
			}
			if sum.Total.Created+sum.Total.Updated != n || sum.Total.FailedToMap != 0 || sum.Total.Failed != 0 {
				t.Errorf("first run: total %+v, want %d written", sum.Total, n)
			}
			for _, s := range tc.output {
				if !strings.Contains(out+errs, s) {
					t.Errorf("the run does not say %q:\n%s\n%s", s, out, errs)
				}
			}
			h.port.ResetCounts()
			code, out, errs, sum = h.sync("--mapping", mapping)
			mustCode(t, code, exitOK, out, errs)
			if sum.Total.Created != 0 || sum.Total.Deleted != 0 || sum.Total.Updated != tc.rewrites {
				t.Errorf("second run: total %+v; want %d written again, nothing created or deleted", sum.Total, tc.rewrites)
			}
			if w := writeCount(h.port); tc.rewrites == 0 && w != 0 {
				t.Errorf("second run: %d writes, want none", w)
			}
		})
	}
}

// The monorepo example's full_path JQ does not compile ("folder.path"
// lacks its dot): refused before any fetch, exit 2, naming the field.
func TestGitLabDocsMonorepoRefused(t *testing.T) {
	t.Parallel()
	h := newGLHarness(t)
	seedDocsBlueprints(t, h)
	code, out, errs, _ := h.sync("--mapping", "integrations/gitlab/testdata/docs/monorepo.yml")
	mustCode(t, code, exitUsage, out, errs)
	if !strings.Contains(errs, "full_path") {
		t.Errorf("stderr does not name the field:\n%s", errs)
	}
	if n := h.gl.Requests(); n != 0 {
		t.Errorf("%d GitLab requests before the mapping was refused", n)
	}
}
