package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/tide-sync/tide/integrations"
)

// memFS serves a MapFS as the whole filesystem, rooted at ".".
func memFS(m fstest.MapFS) func(string) fs.FS {
	return func(dir string) fs.FS {
		if dir == "." {
			return m
		}
		sub, err := fs.Sub(m, dir)
		if err != nil {
			panic(err)
		}
		return sub
	}
}

func collect(t *testing.T, s *Source, sel map[string]any) ([]integrations.Item, []int, error) {
	t.Helper()
	var items []integrations.Item
	var pages []int
	err := s.Resync(context.Background(), integrations.Request{Kind: "file", Selector: sel}, func(p []integrations.Item) error {
		pages = append(pages, len(p))
		items = append(items, p...)
		return nil
	})
	return items, pages, err
}

func TestResync(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"cat/teams.yaml":      {Data: []byte("kind: team\nidentifier: a\n---\nkind: team\nidentifier: b\nsince: 2024-01-02\nsize: 3\n---\n")},
		"cat/deep/x/svc.json": {Data: []byte(`[{"identifier":"s1","n":1.5},{"identifier":"s2"}]`)},
		"cat/deep/list.yml":   {Data: []byte("- identifier: l1\n- identifier: l2\n")},
		"cat/README.md":       {Data: []byte("# not catalog")},
		"other/ignored.yaml":  {Data: []byte("identifier: z\n")},
	}
	s, err := NewSource([]string{"cat/**"}, nil, memFS(fsys))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := collect(t, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []integrations.Item{
		{"identifier": "l1", "__path": "cat/deep/list.yml"},
		{"identifier": "l2", "__path": "cat/deep/list.yml"},
		{"identifier": "s1", "n": 1.5, "__path": "cat/deep/x/svc.json"},
		{"identifier": "s2", "__path": "cat/deep/x/svc.json"},
		{"kind": "team", "identifier": "a", "__path": "cat/teams.yaml"},
		{"kind": "team", "identifier": "b", "since": "2024-01-02", "size": float64(3), "__path": "cat/teams.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("items (-want +got):\n%s", diff)
	}
	again, _, _ := collect(t, s, nil)
	if !cmp.Equal(got, again) {
		t.Fatal("two reads differ")
	}
}

func TestRepositoryFromCI(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"a.yaml": {Data: []byte("identifier: a\n")}}
	tests := []struct {
		env  map[string]string
		want any
	}{
		{map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/catalog"}, "acme/catalog"},
		{map[string]string{"GITLAB_CI": "true", "CI_PROJECT_PATH": "acme/infra/catalog"}, "acme/infra/catalog"},
		{map[string]string{"GITHUB_REPOSITORY": "acme/catalog"}, nil},
	}
	for _, tt := range tests {
		s, _ := NewSource([]string{"*.yaml"}, func(k string) string { return tt.env[k] }, memFS(fsys))
		got, _, err := collect(t, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got[0]["__repository"] != tt.want {
			t.Errorf("env %v: __repository = %v, want %v", tt.env, got[0]["__repository"], tt.want)
		}
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 250 {
		fmt.Fprintf(&b, "- identifier: i%d\n", i)
	}
	s, _ := NewSource([]string{"*.yaml"}, nil, memFS(fstest.MapFS{"many.yaml": {Data: []byte(b.String())}}))
	got, pages, err := collect(t, s, nil)
	if err != nil || len(got) != 250 {
		t.Fatalf("%d items, err %v", len(got), err)
	}
	if diff := cmp.Diff([]int{100, 100, 50}, pages); diff != "" {
		t.Fatalf("pages (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"bad.yaml":    {Data: []byte("a: [1\n")},
		"scalar.yaml": {Data: []byte("just text\n")},
		"bad.json":    {Data: []byte(`{"a":`)},
		"mixed.yaml":  {Data: []byte("- a: 1\n- 2\n")},
	}
	for _, tt := range []struct{ glob, want string }{
		{"bad.yaml", "bad.yaml: invalid YAML"},
		{"scalar.yaml", "scalar.yaml: document 1: want an object"},
		{"bad.json", "bad.json: invalid JSON"},
		{"mixed.yaml", "mixed.yaml: document 1, element 1"},
	} {
		s, _ := NewSource([]string{tt.glob}, nil, memFS(fsys))
		_, _, err := collect(t, s, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.glob, err, tt.want)
		}
	}
	s, _ := NewSource([]string{"*.yaml"}, nil, memFS(fsys))
	err := s.Resync(context.Background(), integrations.Request{Kind: "repository"}, func([]integrations.Item) error { return nil })
	if !errors.Is(err, integrations.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := NewSource(nil, nil, nil); !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), "--file-glob") {
		t.Errorf("no glob: %v", err)
	}
	if _, err := NewSource([]string{"a/[b"}, nil, nil); !errors.Is(err, integrations.ErrConfig) {
		t.Errorf("bad glob: %v", err)
	}
	stop := errors.New("stop")
	s, _ = NewSource([]string{"*.json"}, nil, memFS(fstest.MapFS{"a.json": {Data: []byte(`{"a":1}`)}}))
	if err := s.Resync(context.Background(), integrations.Request{Kind: "file"}, func([]integrations.Item) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("emit error not returned: %v", err)
	}
}

func TestSelectorFiles(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"services/a.yaml": {Data: []byte("identifier: a\n")},
		"teams/t.yaml":    {Data: []byte("identifier: t\n")},
	}
	s, _ := NewSource([]string{"**/*.yaml"}, nil, memFS(fsys))
	got, _, err := collect(t, s, map[string]any{"files": []any{"services/**"}})
	if err != nil || len(got) != 1 || got[0]["identifier"] != "a" {
		t.Fatalf("got %v, err %v", got, err)
	}
	got, _, _ = collect(t, s, map[string]any{"files": "teams/*.yaml"})
	if len(got) != 1 || got[0]["identifier"] != "t" {
		t.Fatalf("got %v", got)
	}
	if _, _, err := collect(t, s, map[string]any{"files": 3}); err == nil {
		t.Fatal("files: 3 accepted")
	}
}

// The quickstart catalog is complete: the counts the README promises, and
// every relation target exists.
func TestQuickstartCatalog(t *testing.T) {
	t.Parallel()
	s, err := NewSource([]string{"../../testdata/quickstart/**"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := collect(t, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]map[string]bool{}
	for _, it := range items {
		k := it["kind"].(string)
		if ids[k] == nil {
			ids[k] = map[string]bool{}
		}
		ids[k][it["identifier"].(string)] = true
	}
	if len(ids["team"]) != 4 || len(ids["system"]) != 3 || len(ids["service"]) != 9 {
		t.Fatalf("counts: %d teams, %d systems, %d services", len(ids["team"]), len(ids["system"]), len(ids["service"]))
	}
	for _, it := range items {
		if o, ok := it["owner"].(string); ok && !ids["team"][o] {
			t.Errorf("%s: owner %q is not a team", it["identifier"], o)
		}
		if sys, ok := it["system"].(string); ok && !ids["system"][sys] {
			t.Errorf("%s: system %q does not exist", it["identifier"], sys)
		}
		deps, _ := it["dependsOn"].([]any)
		for _, d := range deps {
			if !ids["service"][d.(string)] {
				t.Errorf("%s: dependsOn %q does not exist", it["identifier"], d)
			}
		}
	}
}

// The default mapping only maps properties and relations its blueprints have
// (Port rejects unknown ones).
func TestDefaultResources(t *testing.T) {
	t.Parallel()
	def := Definition()
	bps, err := def.Blueprints()
	if err != nil {
		t.Fatal(err)
	}
	schema := map[string]map[string]any{}
	rels := map[string]map[string]any{}
	for _, bp := range bps {
		id := bp["identifier"].(string)
		schema[id] = bp["schema"].(map[string]any)["properties"].(map[string]any)
		rels[id], _ = bp["relations"].(map[string]any)
	}
	if len(schema) != 3 {
		t.Fatalf("blueprints: %v", schema)
	}
	src, err := def.DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Resources []struct {
			Port struct {
				Entity struct {
					Mappings struct {
						Blueprint  string            `yaml:"blueprint"`
						Properties map[string]string `yaml:"properties"`
						Relations  map[string]string `yaml:"relations"`
					} `yaml:"mappings"`
				} `yaml:"entity"`
			} `yaml:"port"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(src, &m); err != nil {
		t.Fatal(err)
	}
	for i, r := range m.Resources {
		mp := r.Port.Entity.Mappings
		var bp string
		if err := json.Unmarshal([]byte(strings.Trim(mp.Blueprint, "'")), &bp); err != nil {
			t.Fatalf("resources[%d]: blueprint %q is not a constant", i, mp.Blueprint)
		}
		for p := range mp.Properties {
			if _, ok := schema[bp][p]; !ok {
				t.Errorf("resources[%d]: property %q not in blueprint %q", i, p, bp)
			}
		}
		for r := range mp.Relations {
			if _, ok := rels[bp][r]; !ok {
				t.Errorf("resources[%d]: relation %q not in blueprint %q", i, r, bp)
			}
		}
	}
	if _, err := os.Stat("resources/blueprints.json"); err != nil {
		t.Fatal(err)
	}
}
