package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr(s string) *string { return &s }

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	got, err := Parse([]byte(`
resources:
  - kind: repository
    selector:
      query: 'true'
    port:
      entity:
        mappings:
          identifier: .name
          blueprint: '"service"'
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		EnableMergeEntity:            true,
		DeleteDependentEntities:      true,
		CreateMissingRelatedEntities: true,
		EntityDeletionThreshold:      0.9,
		Resources: []Resource{{
			Kind:     "repository",
			Selector: Selector{Query: "true"},
			Port: Port{
				ItemsToParseName:              "item",
				ItemsToParseTopLevelTransform: true,
				Entity:                        EntityMapping{Identifier: ".name", Blueprint: `"service"`},
			},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseFull(t *testing.T) {
	t.Parallel()
	got, err := Parse([]byte(`
enableMergeEntity: false
delete_dependent_entities: false
createMissingRelatedEntities: false
entityDeletionThreshold: 0.1
repositoryType: all
resources:
  - kind: file
    selector:
      query: true
      files:
        - path: '**/port.yml'
      page_size: 50
    port:
      itemsToParse: .file.content.services
      itemsToParseName: svc
      itemsToParseTopLevelTransform: false
      entity:
        mappings:
          - identifier:
              combinator: '"and"'
              rules:
                - property: '"slug"'
                  operator: '"="'
                  value: .svc.slug
            blueprint: .svc.kind
            title: .svc.name
            icon: '"Github"'
            team: .svc.team
            properties:
              url: .svc.url
              active: true
              size: 3
              nested:
                a: .svc.a
                list: [.svc.x, .svc.y]
            relations:
              repo: .repo.name
              owners:
                combinator: '"or"'
                rules:
                  - property: '"email"'
                    operator: '"in"'
                    value: .svc.owners
`))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		EntityDeletionThreshold: 0.1,
		Extra:                   map[string]any{"repositoryType": "all"},
		Resources: []Resource{{
			Kind: "file",
			Selector: Selector{Query: "true", Extra: map[string]any{
				"files":     []any{map[string]any{"path": "**/port.yml"}},
				"page_size": 50.0,
			}},
			Port: Port{
				ItemsToParse:     ".file.content.services",
				ItemsToParseName: "svc",
				Entity: EntityMapping{
					Identifier: map[string]any{
						"combinator": `"and"`,
						"rules":      []any{map[string]any{"property": `"slug"`, "operator": `"="`, "value": ".svc.slug"}},
					},
					Blueprint: ".svc.kind",
					Title:     ptr(".svc.name"),
					Icon:      ptr(`"Github"`),
					Team:      ".svc.team",
					Properties: map[string]any{
						"url":    ".svc.url",
						"active": "true",
						"size":   "3",
						"nested": map[string]any{"a": ".svc.a", "list": []any{".svc.x", ".svc.y"}},
					},
					Relations: map[string]any{
						"repo": ".repo.name",
						"owners": map[string]any{
							"combinator": `"or"`,
							"rules":      []any{map[string]any{"property": `"email"`, "operator": `"in"`, "value": ".svc.owners"}},
						},
					},
				},
			},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	// Tab-indented JSON, as Port's API or an editor may produce.
	src := "{\n\t\"entityDeletionThreshold\": 1,\n\t\"resources\": [{\n\t\t\"kind\": \"k\",\n\t\t\"selector\": {\"query\": \"true\"},\n\t\t\"port\": {\"entity\": {\"mappings\": {\"identifier\": \".id\", \"blueprint\": \"\\\"b\\\"\", \"properties\": {}}}}\n\t}]\n}"
	got, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got.EntityDeletionThreshold != 1 {
		t.Errorf("threshold = %v, want 1", got.EntityDeletionThreshold)
	}
	em := got.Resources[0].Port.Entity
	if diff := cmp.Diff(EntityMapping{Identifier: ".id", Blueprint: `"b"`, Properties: map[string]any{}}, em); diff != "" {
		t.Errorf("mappings (-want +got):\n%s", diff)
	}
}

func TestParseThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src     string
		want    float64
		wantErr string
	}{
		{"entityDeletionThreshold: 0", 0, ""},
		{"entityDeletionThreshold: 1", 1, ""},
		{"entityDeletionThreshold: 0.5", 0.5, ""},
		{"entity_deletion_threshold: 0.25", 0.25, ""},
		{"entityDeletionThreshold: 0.3\nentity_deletion_threshold: 0.7", 0.3, ""},
		{"entityDeletionThreshold: 1.01", 0, "entityDeletionThreshold: must be between 0 and 1, got 1.01"},
		{"entityDeletionThreshold: -0.1", 0, "entityDeletionThreshold: must be between 0 and 1, got -0.1"},
		{"entityDeletionThreshold: lots", 0, `entityDeletionThreshold: expected a number between 0 and 1, got string "lots"`},
		{"entityDeletionThreshold: .nan", 0, "entityDeletionThreshold: must be between 0 and 1, got NaN"},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.src + "\nresources: [{kind: k, selector: {query: 'true'}, port: {entity: {mappings: {identifier: .id, blueprint: '\"b\"'}}}}]"))
		if tt.wantErr != "" {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q wrapping ErrInvalid", tt.src, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.src, err)
			continue
		}
		if got.EntityDeletionThreshold != tt.want {
			t.Errorf("%q: threshold = %v, want %v", tt.src, got.EntityDeletionThreshold, tt.want)
		}
	}
}

func TestParseBooleans(t *testing.T) {
	t.Parallel()
	got, err := Parse([]byte(`
enable_merge_entity: false
deleteDependentEntities: "no"
create_missing_related_entities: 0
resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got.EnableMergeEntity || got.DeleteDependentEntities || got.CreateMissingRelatedEntities {
		t.Errorf("booleans = %v %v %v, want all false", got.EnableMergeEntity, got.DeleteDependentEntities, got.CreateMissingRelatedEntities)
	}
}

func TestParseMappingsList(t *testing.T) {
	t.Parallel()
	got, err := FromMap(map[string]any{"resources": []any{map[string]any{
		"kind":     "k",
		"selector": map[string]any{"query": "true"},
		"port": map[string]any{"entity": map[string]any{"mappings": []any{
			map[string]any{"identifier": ".id", "blueprint": `"b"`},
		}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(EntityMapping{Identifier: ".id", Blueprint: `"b"`}, got.Resources[0].Port.Entity); diff != "" {
		t.Errorf("mappings (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const ok = `
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`
	tests := []struct {
		name, src string
		want      []string // substrings of the error
	}{
		{"empty", ``, []string{"config is empty"}},
		{"empty object", `{}`, []string{"config is empty"}},
		{"not an object", `[1, 2]`, []string{"config: expected an object, got array"}},
		{"bad yaml", "resources: [\n", []string{"config: yaml:"}},
		{"resources not list", `resources: {a: 1}`, []string{"resources: expected a list, got object"}},
		{"resource not object", "resources:\n  - 3", []string{"resources[0]: expected an object, got number 3"}},
		{"boolean", "enableMergeEntity: maybe\nresources: []", []string{`enableMergeEntity: expected a boolean, got string "maybe"`}},
		{"kind missing", `resources:
  - selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{"resources[0].kind: required"}},
		{"kind empty", `resources:
  - kind: ""
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{"resources[0].kind: must not be empty"}},
		{"kind not string", `resources:
  - kind: 3
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{"resources[0].kind: expected a string, got number 3"}},
		{"selector missing", `resources:` + ok + `
  - kind: k2
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[1].selector: required (kind "k2")`}},
		{"selector not object", `resources:
  - kind: k
    selector: .x
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[0].selector: expected an object, got string ".x" (kind "k")`}},
		{"query missing", `resources:` + ok + ok + `
  - kind: k3
    selector: {files: []}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[2].selector.query: required (kind "k3")`}},
		{"query empty", `resources:
  - kind: k
    selector: {query: ' '}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[0].selector.query: must not be empty (kind "k")`}},
		{"query number", `resources:
  - kind: k
    selector: {query: 1}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[0].selector.query: expected a JQ expression (string), got number 1 (kind "k")`}},
		{"port missing", `resources:
  - kind: k
    selector: {query: 'true'}`, []string{`resources[0].port: required (kind "k")`}},
		{"entity missing", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {itemsToParse: .x}`, []string{`resources[0].port.entity: required (kind "k")`}},
		{"mappings missing", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {}}`, []string{`resources[0].port.entity.mappings: required (kind "k")`}},
		{"mappings not object", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: .x}}`, []string{`resources[0].port.entity.mappings: expected an object, got string ".x" (kind "k")`}},
		{"mappings empty list", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: []}}`, []string{`resources[0].port.entity.mappings: empty list (kind "k")`}},
		{"mappings two", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: [{identifier: .a, blueprint: '"b"'}, {identifier: .b, blueprint: '"b"'}]}}`,
			[]string{`resources[0].port.entity.mappings: 2 mappings given; tide supports one mapping per resource block`}},
		{"mappings list element", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: [{identifier: .a}]}}`, []string{`resources[0].port.entity.mappings[0].blueprint: required (kind "k")`}},
		{"identifier missing", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {blueprint: '"b"'}}}`, []string{`resources[0].port.entity.mappings.identifier: required (kind "k")`}},
		{"identifier empty", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: "", blueprint: '"b"'}}}`, []string{`resources[0].port.entity.mappings.identifier: must not be empty (kind "k")`}},
		{"identifier list", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: [.a], blueprint: '"b"'}}}`, []string{`resources[0].port.entity.mappings.identifier: expected a JQ expression (string), got array (kind "k")`}},
		{"identifier query without rules", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: {combinator: '"and"'}, blueprint: '"b"'}}}`, []string{`resources[0].port.entity.mappings.identifier.rules: required in a search query (kind "k")`}},
		{"identifier query rules not list", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: {combinator: '"and"', rules: .x}, blueprint: '"b"'}}}`, []string{`resources[0].port.entity.mappings.identifier.rules: expected a list, got string ".x" (kind "k")`}},
		{"identifier query without combinator", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: {rules: []}, blueprint: '"b"'}}}`, []string{`resources[0].port.entity.mappings.identifier.combinator: required in a search query (kind "k")`}},
		{"identifier query null leaf", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: {combinator: '"and"', rules: [{property: '"p"', operator: '"="', value: null}]}, blueprint: '"b"'}}}`,
			[]string{`resources[0].port.entity.mappings.identifier.rules.0.value: expected a JQ expression (string), got null (kind "k")`}},
		{"blueprint missing", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id}}}`, []string{`resources[0].port.entity.mappings.blueprint: required (kind "k")`}},
		{"blueprint empty", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: ""}}}`, []string{`resources[0].port.entity.mappings.blueprint: must not be empty (kind "k")`}},
		{"blueprint object", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: {a: .b}}}}`, []string{`resources[0].port.entity.mappings.blueprint: expected a JQ expression (string), got object (kind "k")`}},
		{"title object", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', title: {a: .b}}}}`, []string{`resources[0].port.entity.mappings.title: expected a JQ expression (string), got object (kind "k")`}},
		{"icon list", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', icon: []}}}`, []string{`resources[0].port.entity.mappings.icon: expected a JQ expression (string), got array (kind "k")`}},
		{"team list", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', team: [.a]}}}`, []string{`resources[0].port.entity.mappings.team: expected a JQ expression (string), got array (kind "k")`}},
		{"team query without combinator", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', team: {rules: []}}}}`, []string{`resources[0].port.entity.mappings.team.combinator: required in a search query (kind "k")`}},
		{"properties not object", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', properties: .x}}}`, []string{`resources[0].port.entity.mappings.properties: expected an object, got string ".x" (kind "k")`}},
		{"property null", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', properties: {url: null}}}}`, []string{`resources[0].port.entity.mappings.properties.url: expected a JQ expression (string), got null (kind "k")`}},
		{"relations not object", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', relations: [.x]}}}`, []string{`resources[0].port.entity.mappings.relations: expected an object, got array (kind "k")`}},
		{"itemsToParse not string", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {itemsToParse: [.x], entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[0].port.itemsToParse: expected a JQ expression (string), got array (kind "k")`}},
		{"itemsToParseName empty", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {itemsToParse: .x, itemsToParseName: "", entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[0].port.itemsToParseName: must not be empty (kind "k")`}},
		{"itemsToParseName not string", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {itemsToParse: .x, itemsToParseName: 3, entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`, []string{`resources[0].port.itemsToParseName: expected a string, got number 3 (kind "k")`}},
		{"itemsToParseTopLevelTransform not bool", `resources:
  - kind: k
    selector: {query: 'true'}
    port: {itemsToParse: .x, itemsToParseTopLevelTransform: sometimes, entity: {mappings: {identifier: .id, blueprint: '"b"'}}}`,
			[]string{`resources[0].port.itemsToParseTopLevelTransform: expected a boolean, got string "sometimes" (kind "k")`}},
		{"every problem listed", `resources:
  - kind: a
    selector: {}
    port: {entity: {mappings: {blueprint: '"b"'}}}
  - kind: b
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id}}}`, []string{
			"invalid mapping: 3 problems:",
			`resources[0].selector.query: required (kind "a")`,
			`resources[0].port.entity.mappings.identifier: required (kind "a")`,
			`resources[1].port.entity.mappings.blueprint: required (kind "b")`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.src))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", cfg)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseSelectorBooleanQuery(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
resources:
  - kind: a
    selector: {query: true}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
  - kind: b
    selector: {query: false}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{cfg.Resources[0].Selector.Query, cfg.Resources[1].Selector.Query}
	if diff := cmp.Diff([]string{"true", "false"}, got); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
}

func TestFromMapDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	in := map[string]any{"resources": []any{map[string]any{
		"kind":     "k",
		"selector": map[string]any{"query": true},
		"port": map[string]any{"entity": map[string]any{"mappings": map[string]any{
			"identifier": ".id", "blueprint": `"b"`, "properties": map[string]any{"n": 3.0},
		}}},
	}}}
	want := map[string]any{"resources": []any{map[string]any{
		"kind":     "k",
		"selector": map[string]any{"query": true},
		"port": map[string]any{"entity": map[string]any{"mappings": map[string]any{
			"identifier": ".id", "blueprint": `"b"`, "properties": map[string]any{"n": 3.0},
		}}},
	}}}
	cfg, err := FromMap(in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("input modified (-want +got):\n%s", diff)
	}
	if got := cfg.Resources[0].Port.Entity.Properties["n"]; got != "3" {
		t.Errorf("numeric property leaf = %#v, want \"3\"", got)
	}
}
