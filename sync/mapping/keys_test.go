package mapping

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// typos are the mistakes users made that Ocean ignores silently; each must
// be an error naming the key, its line and the key meant. They also seed
// FuzzParse.
var typos = []struct {
	name, src, want string
}{
	{"itemToParse", `resources:
  - kind: file
    selector: {query: 'true'}
    port:
      itemToParse: .items
      entity: {mappings: {identifier: .id, blueprint: '"b"'}}
`, `resources[0].port.itemToParse: unknown key "itemToParse"; did you mean "itemsToParse"? (kind "file") (line 5)`},
	{"createMissingRelatedEntites", `createMissingRelatedEntites: false
resources:
  - kind: file
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
`, `createMissingRelatedEntites: unknown key "createMissingRelatedEntites"; did you mean "createMissingRelatedEntities"? (line 1)`},
	{"top-level resource", `resource:
  - kind: file
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
`, `resource: unknown key "resource"; did you mean "resources"? (line 1)`},
	{"no resources", `deleteDependentEntities: true
`, `resources: required: the mapping has no resource blocks`},
	{"empty resources", `resources: []
`, `resources: empty: the mapping has no resource blocks (line 1)`},
	{"selector querry", `resources:
  - kind: file
    selector: {querry: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
`, `resources[0].selector.querry: unknown key "querry"; did you mean "query"? (kind "file") (line 3)`},
	{"mapping titel", `resources:
  - kind: file
    selector: {query: 'true'}
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"b"'
          titel: .name
`, `resources[0].port.entity.mappings.titel: unknown key "titel"; did you mean "title"? (kind "file") (line 9)`},
	{"mapping Properties", `resources:
  - kind: file
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', Properties: {a: .a}}}}
`, `resources[0].port.entity.mappings.Properties: unknown key "Properties"; did you mean "properties"? (kind "file") (line 4)`},
	{"entity mapping", `resources:
  - kind: file
    selector: {query: 'true'}
    port: {entity: {mapping: {identifier: .id, blueprint: '"b"'}}}
`, `resources[0].port.entity.mapping: unknown key "mapping"; did you mean "mappings"? (kind "file") (line 4)`},
	{"resource knd", `resources:
  - knd: file
    kind: file
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
`, `resources[0].knd: unknown key "knd"; did you mean "kind"? (kind "file") (line 2)`},
	{"yaml error line", `resources:
  - kind: file
    selector: {query: 'true'}
    port:
      entity: {mappings: {identifier: .id, blueprint: '"b"'}
`, `config: yaml: line 4: did not find expected ',' or '}'`},
	{"json enable_merge_entty", `{"enable_merge_entty": true, "resources": [{"kind": "k", "selector": {"query": "true"}, "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": "\"b\""}}}}]}`,
		`enable_merge_entty: unknown key "enable_merge_entty"; did you mean "enable_merge_entity"? (line 1)`},
}

func TestStrictKeys(t *testing.T) {
	t.Parallel()
	for _, tt := range typos {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error containing %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, tt.want)
			}
			// The line an annotation points at is the one the message names.
			var pe *ParseError
			if errors.As(err, &pe) && pe.Line() > 0 && !strings.Contains(err.Error(), fmt.Sprintf("line %d", pe.Line())) {
				t.Errorf("Line() = %d, not the line in %q", pe.Line(), err)
			}
		})
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`repositoryType: all
resources:
  - kind: file
    description: services from the repo
    selector: {query: 'true', files: 'a/*.yaml'}
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"b"'
          comment: not read
`))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(cfg.Warnings))
	for i, w := range cfg.Warnings {
		got[i] = w.String()
	}
	want := []string{
		`resources[0].description (line 4): unknown key "description" is ignored (known here: kind, port, selector) (kind "file")`,
		`resources[0].port.entity.mappings.comment (line 11): unknown key "comment" is ignored (known here: blueprint, icon, identifier, properties, relations, team, title) (kind "file")`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if cfg.Extra["repositoryType"] != "all" {
		t.Errorf("Extra = %v, want repositoryType passed to the integration", cfg.Extra)
	}
	if got, want := cfg.Lines.Line("resources[0].selector.files"), 5; got != want {
		t.Errorf("Line(selector.files) = %d, want %d", got, want)
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key   string
		known []string
		want  string
	}{
		{"file", []string{"files"}, "files"},
		{"itemToParse", portKeys, "itemsToParse"},
		{"items_to_parse", portKeys, "itemsToParse"},
		{"Identifier", mappingsKeys, "identifier"},
		{"tilte", mappingsKeys, "title"},
		{"description", resourceKeys, ""},
		{"comment", mappingsKeys, ""},
		{"repositoryType", oceanTopKeys, ""},
		{"x", []string{"y"}, ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.key, tt.known); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestBlueprintQuoteHint(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`resources:
  - kind: file
    selector: {query: 'true'}
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: squad
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(cfg, Options{})
	want := `resources[0] (kind "file") port.entity.mappings.blueprint: function not defined: squad/0 (a string constant needs quotes inside the YAML string: '"squad"'): "squad" (line 8)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Compile error:\n  %v\nwant it to contain:\n  %s", err, want)
	}
}

// FuzzParse feeds the parser mangled configs, seeded with the typos users
// made: it must never panic, every error must wrap ErrInvalid, and a config
// it accepts has at least one resource block and reparses the same from
// its own result.
func FuzzParse(f *testing.F) {
	for _, tt := range typos {
		f.Add([]byte(tt.src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if len(cfg.Resources) == 0 {
			t.Fatalf("accepted a config with no resource blocks: %q", data)
		}
		for _, w := range cfg.Warnings {
			if w.Path == "" || w.Message == "" {
				t.Fatalf("warning without a path or message: %+v", w)
			}
		}
		_, _ = Compile(cfg, Options{})
	})
}
