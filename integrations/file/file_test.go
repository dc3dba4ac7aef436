package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

func files(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// collect runs one resync of kind "file" and returns the items and page sizes.
func collect(ctx context.Context, s *Source, sel map[string]any) ([]integrations.Item, []int, error) {
	var items []integrations.Item
	var pages []int
	err := s.Resync(ctx, integrations.Request{Kind: "file", Selector: sel}, func(p []integrations.Item) error {
		pages = append(pages, len(p))
		items = append(items, p...)
		return nil
	})
	return items, pages, err
}

func TestResync(t *testing.T) {
	t.Parallel()
	catalog := files(
		"cat/teams.yaml", "kind: team\nidentifier: a\n---\n# comment only\n---\nkind: team\nidentifier: b\n---\n",
		"cat/deep/x/svc.json", `[{"identifier":"s1","n":1.5},{"identifier":"s2"}]`,
		"cat/deep/list.yml", "- identifier: l1\n- identifier: l2\n",
		"cat/README.md", "# not catalog",
		"cat/notes.txt", "identifier: nope",
		"cat/.hidden/h.yaml", "identifier: hidden\n",
		"cat/UPPER.YAML", "identifier: upper\n",
		"other/o.yaml", "identifier: o\n",
		".catalog/c.yaml", "identifier: dot\n",
		"empty.yaml", "",
		"bom.json", "\ufeff{\"identifier\": \"bom\"}",
	)
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		globs []string
		env   map[string]string
		sel   map[string]any
		want  []integrations.Item
	}{
		{
			name:  "** reaches any depth; multi-document YAML, lists and JSON; other extensions and hidden directories skipped",
			fsys:  catalog,
			globs: []string{"cat/**"},
			want: []integrations.Item{
				{"identifier": "upper", "__path": "cat/UPPER.YAML"},
				{"identifier": "l1", "__path": "cat/deep/list.yml"},
				{"identifier": "l2", "__path": "cat/deep/list.yml"},
				{"identifier": "s1", "n": 1.5, "__path": "cat/deep/x/svc.json"},
				{"identifier": "s2", "__path": "cat/deep/x/svc.json"},
				{"kind": "team", "identifier": "a", "__path": "cat/teams.yaml"},
				{"kind": "team", "identifier": "b", "__path": "cat/teams.yaml"},
			},
		},
		{
			name:  "a hidden directory named literally is read",
			fsys:  catalog,
			globs: []string{".catalog/*.yaml"},
			want:  []integrations.Item{{"identifier": "dot", "__path": ".catalog/c.yaml"}},
		},
		{
			name:  "overlapping globs read a file once; ./ is cleaned; order is by path",
			fsys:  catalog,
			globs: []string{"other/*.yaml", "./cat/*.yaml", "cat/teams.yaml", "**/o.yaml"},
			want: []integrations.Item{
				{"kind": "team", "identifier": "a", "__path": "cat/teams.yaml"},
				{"kind": "team", "identifier": "b", "__path": "cat/teams.yaml"},
				{"identifier": "o", "__path": "other/o.yaml"},
			},
		},
		{
			name:  "a glob matching nothing and an empty file yield nothing",
			fsys:  catalog,
			globs: []string{"cat/**/*.missing.yaml", "empty.yaml"},
		},
		{
			name:  "a JSON file with a byte order mark",
			fsys:  catalog,
			globs: []string{"bom.json"},
			want:  []integrations.Item{{"identifier": "bom", "__path": "bom.json"}},
		},
		{
			name: "YAML values as encoding/json gives them: dates stay text, numbers are float64, keys are strings",
			fsys: files("v.yaml", `identifier: v
since: 2024-01-02
at: 2001-12-14t21:59:43.10-05:00
tagged: !!timestamp 2024-03-04
version: "1.10"
size: 3
big: 12345678901234567890
hex: 0x1F
ratio: 0.5
on: yes
enabled: true
none: ~
404: not found
~: null key
nested: {list: [1, two, {deep: 2024-05-06}]}
`),
			globs: []string{"*.yaml"},
			want: []integrations.Item{{
				"identifier": "v", "since": "2024-01-02", "at": "2001-12-14t21:59:43.10-05:00",
				"tagged": "2024-03-04", "version": "1.10", "size": float64(3), "big": 12345678901234567890.0,
				"hex": float64(31), "ratio": 0.5, "on": "yes", "enabled": true, "none": nil,
				"404": "not found", "null": "null key",
				"nested": map[string]any{"list": []any{float64(1), "two", map[string]any{"deep": "2024-05-06"}}},
				"__path": "v.yaml",
			}},
		},
		{
			name: "anchors, aliases and merge keys",
			fsys: files("m.yaml", `defaults: &d {lifecycle: production, tier: Internal}
base: &b {language: go}
items:
  - <<: *d
    identifier: a
    tier: Other
  - <<: [*b, *d, {language: rust}]
    identifier: b
  - *d
`),
			globs: []string{"m.yaml"},
			want: []integrations.Item{{
				"defaults": map[string]any{"lifecycle": "production", "tier": "Internal"},
				"base":     map[string]any{"language": "go"},
				"items": []any{
					map[string]any{"identifier": "a", "lifecycle": "production", "tier": "Other"},
					map[string]any{"identifier": "b", "lifecycle": "production", "tier": "Internal", "language": "go"},
					map[string]any{"lifecycle": "production", "tier": "Internal"},
				},
				"__path": "m.yaml",
			}},
		},
		{
			name:  "GitHub Actions names the repository",
			fsys:  files("a.yaml", "identifier: a\n"),
			globs: []string{"*.yaml"},
			env:   map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/catalog"},
			want:  []integrations.Item{{"identifier": "a", "__path": "a.yaml", "__repository": "acme/catalog"}},
		},
		{
			name:  "GitLab CI names the project",
			fsys:  files("a.yaml", "identifier: a\n"),
			globs: []string{"*.yaml"},
			env:   map[string]string{"GITLAB_CI": "true", "CI_PROJECT_PATH": "acme/infra/catalog"},
			want:  []integrations.Item{{"identifier": "a", "__path": "a.yaml", "__repository": "acme/infra/catalog"}},
		},
		{
			name:  "outside CI there is no repository",
			fsys:  files("a.yaml", "identifier: a\n"),
			globs: []string{"*.yaml"},
			env:   map[string]string{"GITHUB_REPOSITORY": "acme/catalog", "CI_PROJECT_PATH": "acme/x"},
			want:  []integrations.Item{{"identifier": "a", "__path": "a.yaml"}},
		},
		{
			name:  "selector files as a string",
			fsys:  files("services/a.yaml", "identifier: a\n", "teams/t.yaml", "identifier: t\n"),
			globs: []string{"**/*.yaml"},
			sel:   map[string]any{"files": "teams/*.yaml", "other": true},
			want:  []integrations.Item{{"identifier": "t", "__path": "teams/t.yaml"}},
		},
		{
			name:  "selector files as a list, cleaned of ./",
			fsys:  files("services/a.yaml", "identifier: a\n", "services/deep/b.yaml", "identifier: b\n", "teams/t.yaml", "identifier: t\n", "x.yaml", "identifier: x\n"),
			globs: []string{"**/*.yaml"},
			sel:   map[string]any{"files": []any{"./services/**", "x.yaml"}},
			want: []integrations.Item{
				{"identifier": "a", "__path": "services/a.yaml"},
				{"identifier": "b", "__path": "services/deep/b.yaml"},
				{"identifier": "x", "__path": "x.yaml"},
			},
		},
		{
			name:  "selector files narrows --file-glob, never widens it",
			fsys:  files("services/a.yaml", "identifier: a\n", "teams/t.yaml", "identifier: t\n"),
			globs: []string{"teams/*.yaml"},
			sel:   map[string]any{"files": []string{"services/*.yaml"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSource(tt.globs, envOf(tt.env), memFS(tt.fsys))
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := collect(t.Context(), s, tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

// An alias used twice gives two maps, so enriching one item leaves the
// other alone.
func TestAliasedItemsAreIndependent(t *testing.T) {
	t.Parallel()
	s, _ := NewSource([]string{"a.yaml"}, nil, memFS(files("a.yaml", "- &x {identifier: a, meta: {n: 1}}\n- *x\n")))
	got, _, err := collect(t.Context(), s, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, err %v", got, err)
	}
	got[0]["meta"].(map[string]any)["n"] = 2.0
	want := integrations.Item{"identifier": "a", "meta": map[string]any{"n": 1.0}, "__path": "a.yaml"}
	if diff := cmp.Diff(want, got[1]); diff != "" {
		t.Fatalf("second item (-want +got):\n%s", diff)
	}
}

// aliasBomb is a billion-laughs document: each line repeats the one before
// nine times.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 8)+fmt.Sprintf("*a%d", i-1))
	}
	return b.String()
}

func TestResyncErrors(t *testing.T) {
	t.Parallel()
	fsys := files(
		"bad.yaml", "identifier: a\ntitle: b\n  c: d\n",
		"dup.yaml", "identifier: a\nidentifier: b\n",
		"self.yaml", "a: &a [*a]\n",
		"merge.yaml", "a: {<<: 3}\n",
		"bomb.yaml", aliasBomb(),
		"scalar.yaml", "just text\n",
		"second.yaml", "identifier: a\n---\n- x\n",
		"mixed.yaml", "- a: 1\n- 2\n",
		"inf.yaml", "identifier: a\nn: .inf\n",
		"bad.json", "{\n  \"a\": 1,\n  \"b\" 2\n}",
		"short.json", `{"a":`,
		"empty.json", "  \n",
		"two.json", "{}\n{}",
		"ok.yaml", "identifier: ok\n",
	)
	tests := []struct {
		name   string
		glob   string
		kind   string
		sel    map[string]any
		wantIs error
		want   string
	}{
		{name: "YAML syntax error names the file and line", glob: "bad.yaml", want: "bad.yaml: invalid YAML: line 3: mapping values are not allowed"},
		{name: "duplicate YAML key", glob: "dup.yaml", want: `dup.yaml: document 1: invalid YAML: line 2: mapping key "identifier" already defined at line 1`},
		{name: "anchor containing itself", glob: "self.yaml", want: "self.yaml: document 1: invalid YAML: anchor 'a' value contains itself"},
		{name: "merge of a scalar", glob: "merge.yaml", want: "merge.yaml: document 1: invalid YAML: map merge requires map"},
		{name: "alias bomb", glob: "bomb.yaml", want: "bomb.yaml: document 1: invalid YAML: document contains excessive aliasing"},
		{name: "scalar document", glob: "scalar.yaml", want: "scalar.yaml: document 1: want an object or a list of objects, got string"},
		{name: "second document a list of strings", glob: "second.yaml", want: "second.yaml: document 2, element 1: want an object, got string"},
		{name: "list element not an object", glob: "mixed.yaml", want: "mixed.yaml: document 1, element 2: want an object, got number"},
		{name: "infinity is no JSON number", glob: "inf.yaml", want: "inf.yaml: document 1: line 2: .inf is not a JSON number"},
		{name: "JSON syntax error names the file and line", glob: "bad.json", want: "bad.json: invalid JSON: line 3: invalid character '2' after object key"},
		{name: "truncated JSON", glob: "short.json", want: "short.json: invalid JSON: unexpected EOF"},
		{name: "empty JSON file", glob: "empty.json", want: "empty.json: invalid JSON: the file is empty"},
		{name: "two JSON values", glob: "two.json", want: "two.json: invalid JSON: line 2: data after the first value"},
		{name: "unknown kind", glob: "ok.yaml", kind: "repository", wantIs: integrations.ErrUnknownKind, want: `kind "repository"`},
		{name: "selector files of the wrong type", glob: "ok.yaml", sel: map[string]any{"files": 3}, want: "selector.files: want a glob or a list of globs, got number"},
		{name: "selector files list holding a number", glob: "ok.yaml", sel: map[string]any{"files": []any{"a", 3.0}}, want: "selector.files[1]: want a glob, got number"},
		{name: "a glob whose directory does not exist", glob: "missing/**/*.yaml", wantIs: integrations.ErrIncomplete, want: `--file-glob "missing/**/*.yaml": its directory "missing" does not exist`},
		{name: "selector files with a bad glob", glob: "ok.yaml", sel: map[string]any{"files": "a/[b"}, want: `selector.files: "a/[b" is not a valid glob`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSource([]string{tt.glob}, nil, memFS(fsys))
			if err != nil {
				t.Fatal(err)
			}
			kind := tt.kind
			if kind == "" {
				kind = "file"
			}
			emitted := 0
			err = s.Resync(t.Context(), integrations.Request{Kind: kind, Selector: tt.sel}, func(p []integrations.Item) error {
				emitted += len(p)
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantIs)
			}
			if emitted != 0 {
				t.Errorf("%d items emitted before the error", emitted)
			}
		})
	}
}

// What was read before a broken file still goes out, as an Ocean generator's
// earlier batches do; the error follows.
func TestResyncEmitsWhatWasReadBeforeAnError(t *testing.T) {
	t.Parallel()
	s, _ := NewSource([]string{"*.yaml"}, nil, memFS(files("a.yaml", "identifier: a\n", "b.yaml", "identifier: [\n", "c.yaml", "identifier: c\n")))
	got, pages, err := collect(t.Context(), s, nil)
	if err == nil || !strings.Contains(err.Error(), "b.yaml") {
		t.Fatalf("err = %v, want one naming b.yaml", err)
	}
	if diff := cmp.Diff([]integrations.Item{{"identifier": "a", "__path": "a.yaml"}}, got); diff != "" || len(pages) != 1 {
		t.Fatalf("pages %v, items (-want +got):\n%s", pages, diff)
	}
}

func TestNewSourceConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		globs []string
		want  string // "" when valid
	}{
		{name: "none", globs: nil, want: "--file-glob (TIDE_FILE_GLOB) is required"},
		{name: "only blanks", globs: []string{"", "  "}, want: "--file-glob (TIDE_FILE_GLOB) is required"},
		{name: "unclosed class", globs: []string{"ok/*.yaml", "a/[b"}, want: `--file-glob "a/[b" is not a valid glob`},
		{name: "unclosed alternation", globs: []string{"{a,b"}, want: `--file-glob "{a,b" is not a valid glob`},
		{name: "valid", globs: []string{"catalog/**/*.{yaml,yml,json}", "/abs/teams.yaml", "../x/*.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSource(tt.globs, nil, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, tt.want)
			}
		})
	}
}

func TestDefinition(t *testing.T) {
	t.Parallel()
	d := Definition()
	got := []any{d.Type, d.Kinds, len(d.Params), d.Params[0].Name, d.Params[0].Repeatable, d.Params[0].Secret}
	if diff := cmp.Diff([]any{"file", []string{"file"}, 1, "file-glob", true, false}, got); diff != "" {
		t.Errorf("definition (-want +got):\n%s", diff)
	}
	if _, err := d.New(integrations.Settings{Values: integrations.Values{}}); !errors.Is(err, integrations.ErrConfig) || !strings.Contains(err.Error(), "TIDE_FILE_GLOB") {
		t.Errorf("New without --file-glob: %v", err)
	}
	src, err := d.New(integrations.Settings{Values: integrations.Values{"file-glob": {"../../testdata/quickstart/teams.yaml"}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := src.Resync(t.Context(), integrations.Request{Kind: "file"}, func(p []integrations.Item) error { n += len(p); return nil }); err != nil || n != 4 {
		t.Fatalf("read %d teams, err %v", n, err)
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	list := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "- identifier: %s%d\n", prefix, i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []int
	}{
		{name: "one file", fsys: files("many.yaml", list("i", 250)), want: []int{100, 100, 50}},
		{name: "pages span files", fsys: files("a.yaml", list("a", 83), "b.yaml", list("b", 83), "c.yaml", list("c", 84)), want: []int{100, 100, 50}},
		{name: "exactly one page", fsys: files("a.yaml", list("a", 100)), want: []int{100}},
		{name: "nothing", fsys: files("a.yaml", "[]"), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := NewSource([]string{"*.yaml"}, nil, memFS(tt.fsys))
			got, pages, err := collect(t.Context(), s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, pages); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			seen := map[any]bool{}
			for _, it := range got {
				seen[it["identifier"]] = true
			}
			if len(seen) != len(got) {
				t.Errorf("%d items, %d distinct", len(got), len(seen))
			}
		})
	}
}

func TestResyncStops(t *testing.T) {
	t.Parallel()
	var hundred strings.Builder
	for i := range 100 {
		fmt.Fprintf(&hundred, "- identifier: i%d\n", i)
	}
	fsys := files("a.yaml", hundred.String(), "b.yaml", "identifier: b\n")
	stop := errors.New("downstream failed")

	t.Run("emit error is returned at once", func(t *testing.T) {
		t.Parallel()
		s, _ := NewSource([]string{"*.yaml"}, nil, memFS(fsys))
		calls := 0
		err := s.Resync(t.Context(), integrations.Request{Kind: "file"}, func([]integrations.Item) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("err = %v after %d calls", err, calls)
		}
	})
	t.Run("cancelled between files", func(t *testing.T) {
		t.Parallel()
		s, _ := NewSource([]string{"*.yaml"}, nil, memFS(fsys))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var pages []int
		err := s.Resync(ctx, integrations.Request{Kind: "file"}, func(p []integrations.Item) error {
			pages = append(pages, len(p))
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || !slices.Equal(pages, []int{100}) {
			t.Fatalf("err = %v, pages %v", err, pages)
		}
	})
	t.Run("cancelled before the start", func(t *testing.T) {
		t.Parallel()
		s, _ := NewSource([]string{"*.yaml"}, nil, memFS(fsys))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		got, _, err := collect(ctx, s, nil)
		if !errors.Is(err, context.Canceled) || len(got) != 0 {
			t.Fatalf("err = %v, %d items", err, len(got))
		}
	})
}

// Globs outside the working directory work against the real filesystem, and
// __path keeps the path as matched.
func TestRealFilesystemPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, body := range map[string]string{"a.yaml": "identifier: a\n", "sub/b.json": `{"identifier":"b"}`} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.ToSlash(dir)
	s, err := NewSource([]string{filepath.Join(dir, "**", "*.{yaml,json}")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := collect(t.Context(), s, map[string]any{"files": root + "/**"})
	if err != nil {
		t.Fatal(err)
	}
	want := []integrations.Item{
		{"identifier": "a", "__path": root + "/a.yaml"},
		{"identifier": "b", "__path": root + "/sub/b.json"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("items (-want +got):\n%s", diff)
	}
}

// The same files give the same items in the same order, whatever the order
// of the globs.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	const qs = "../../testdata/quickstart/"
	var runs [][]integrations.Item
	for _, globs := range [][]string{
		{qs + "**"},
		{qs + "**"},
		{qs + "teams.yaml", qs + "systems/*", qs + "services/*"},
		{qs + "services/*", qs + "systems/*", qs + "teams.yaml"},
	} {
		s, err := NewSource(globs, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := collect(t.Context(), s, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, got)
	}
	for i := 1; i < len(runs); i++ {
		if diff := cmp.Diff(runs[0], runs[i]); diff != "" {
			t.Errorf("run %d differs (-first +this):\n%s", i, diff)
		}
	}
}

type blueprint struct {
	Identifier string `json:"identifier"`
	Schema     struct {
		Properties map[string]struct {
			Type   string `json:"type"`
			Format string `json:"format"`
			Enum   []any  `json:"enum"`
		} `json:"properties"`
	} `json:"schema"`
	Relations map[string]struct {
		Target   string `json:"target"`
		Required bool   `json:"required"`
		Many     bool   `json:"many"`
	} `json:"relations"`
}

func defaultBlueprints(t *testing.T) map[string]blueprint {
	t.Helper()
	b, err := fs.ReadFile(Definition().Resources, "blueprints.json")
	if err != nil {
		t.Fatal(err)
	}
	var bps []blueprint
	if err := json.Unmarshal(b, &bps); err != nil {
		t.Fatalf("blueprints.json: %v", err)
	}
	out := map[string]blueprint{}
	var ids []string
	for _, bp := range bps {
		out[bp.Identifier] = bp
		ids = append(ids, bp.Identifier)
	}
	if diff := cmp.Diff([]string{"team", "system", "service"}, ids); diff != "" {
		t.Fatalf("blueprint identifiers (-want +got):\n%s", diff)
	}
	return out
}

// The default mapping maps only properties and relations its blueprints
// declare (Port rejects unknown ones), and every relation targets a shipped
// blueprint.
func TestDefaultResources(t *testing.T) {
	t.Parallel()
	bps := defaultBlueprints(t)
	for id, bp := range bps {
		for name, r := range bp.Relations {
			if _, ok := bps[r.Target]; !ok || r.Required {
				t.Errorf("%s.%s: target %q (required %v)", id, name, r.Target, r.Required)
			}
		}
	}
	src, err := Definition().DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		DeleteDependentEntities      bool    `yaml:"deleteDependentEntities"`
		CreateMissingRelatedEntities bool    `yaml:"createMissingRelatedEntities"`
		EntityDeletionThreshold      float64 `yaml:"entityDeletionThreshold"`
		Resources                    []struct {
			Kind     string         `yaml:"kind"`
			Selector map[string]any `yaml:"selector"`
			Port     struct {
				Entity struct {
					Mappings struct {
						Identifier string            `yaml:"identifier"`
						Title      string            `yaml:"title"`
						Blueprint  string            `yaml:"blueprint"`
						Properties map[string]string `yaml:"properties"`
						Relations  map[string]string `yaml:"relations"`
					} `yaml:"mappings"`
				} `yaml:"entity"`
			} `yaml:"port"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(src, &m); err != nil {
		t.Fatalf("port-app-config.yml: %v", err)
	}
	if !m.DeleteDependentEntities || !m.CreateMissingRelatedEntities || m.EntityDeletionThreshold != 0.9 {
		t.Errorf("top level: %+v", m)
	}
	var mapped []string
	for i, r := range m.Resources {
		mp := r.Port.Entity.Mappings
		var bp string
		if err := json.Unmarshal([]byte(mp.Blueprint), &bp); err != nil {
			t.Fatalf("resources[%d]: blueprint %q is not a quoted constant", i, mp.Blueprint)
		}
		mapped = append(mapped, bp)
		if r.Kind != "file" || r.Selector["query"] != fmt.Sprintf(".kind == %q", bp) || mp.Identifier != ".identifier" || mp.Title == "" {
			t.Errorf("resources[%d]: kind %q, selector %v, identifier %q, title %q", i, r.Kind, r.Selector, mp.Identifier, mp.Title)
		}
		for p := range mp.Properties {
			if _, ok := bps[bp].Schema.Properties[p]; !ok {
				t.Errorf("resources[%d]: property %q not in blueprint %q", i, p, bp)
			}
		}
		for rel := range mp.Relations {
			if _, ok := bps[bp].Relations[rel]; !ok {
				t.Errorf("resources[%d]: relation %q not in blueprint %q", i, rel, bp)
			}
		}
		// Every declared property and relation is fed, so the defaults show
		// the whole data model.
		for p := range bps[bp].Schema.Properties {
			if _, ok := mp.Properties[p]; !ok {
				t.Errorf("resources[%d]: blueprint %q property %q is not mapped", i, bp, p)
			}
		}
		for rel := range bps[bp].Relations {
			if _, ok := mp.Relations[rel]; !ok {
				t.Errorf("resources[%d]: blueprint %q relation %q is not mapped", i, bp, rel)
			}
		}
	}
	if diff := cmp.Diff([]string{"team", "system", "service"}, mapped); diff != "" {
		t.Errorf("mapped blueprints (-want +got):\n%s", diff)
	}
}

// The quickstart catalog is complete: the counts the README and the CLI
// tests rely on, identifiers Port accepts, values its blueprints accept, and
// relations that all resolve.
func TestQuickstartCatalog(t *testing.T) {
	t.Parallel()
	s, err := NewSource([]string{"../../testdata/quickstart/**"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := collect(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	bps := defaultBlueprints(t)
	identifier := regexp.MustCompile(`^[A-Za-z0-9@_.+:\\/=-]+$`)
	email := regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]+$`)
	ids := map[string]map[string]bool{}
	counts := map[string]int{}
	for _, it := range items {
		k, _ := it["kind"].(string)
		id, _ := it["identifier"].(string)
		if _, ok := bps[k]; !ok || !identifier.MatchString(id) {
			t.Errorf("%s: kind %q, identifier %q", it["__path"], k, id)
			continue
		}
		if ids[k] == nil {
			ids[k] = map[string]bool{}
		}
		if ids[k][id] {
			t.Errorf("%s: %s %q defined twice", it["__path"], k, id)
		}
		ids[k][id] = true
		counts[k]++
	}
	if diff := cmp.Diff(map[string]int{"team": 4, "system": 3, "service": 9}, counts); diff != "" {
		t.Errorf("items per kind (-want +got):\n%s", diff)
	}
	for _, it := range items {
		k, id := it["kind"].(string), it["identifier"]
		bp := bps[k]
		for field, v := range it {
			switch field {
			case "kind", "identifier", "title", "__path":
				continue
			}
			if rel, ok := bp.Relations[field]; ok {
				targets := []any{v}
				if rel.Many {
					targets, _ = v.([]any)
				}
				for _, target := range targets {
					if s, _ := target.(string); !ids[rel.Target][s] {
						t.Errorf("%s %s: %s %v is not a %s in the catalog", k, id, field, target, rel.Target)
					}
				}
				continue
			}
			prop, ok := bp.Schema.Properties[field]
			if !ok {
				t.Errorf("%s %s: field %q is neither a property nor a relation of the blueprint", k, id, field)
				continue
			}
			switch prop.Type {
			case "string":
				str, ok := v.(string)
				if !ok || (prop.Enum != nil && !slices.Contains(prop.Enum, v)) ||
					(prop.Format == "email" && !email.MatchString(str)) ||
					(prop.Format == "url" && !strings.HasPrefix(str, "https://")) {
					t.Errorf("%s %s: %s = %v does not fit %+v", k, id, field, v, prop)
				}
			case "array":
				if _, ok := v.([]any); !ok {
					t.Errorf("%s %s: %s = %v is not a list", k, id, field, v)
				}
			}
		}
	}
}
