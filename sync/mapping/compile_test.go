package mapping

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
resources:
  - kind: ok
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"'}}}
  - kind: repo
    selector: {query: '.a =='}
    port:
      itemsToParse: .items[
      entity:
        mappings:
          identifier:
            combinator: '"and"'
            rules:
              - property: '"p"'
                operator: '"="'
                value: .x |
          blueprint: '"b"'
          title: ('x')
          properties:
            tier: .foo.
            url: .html_url
          relations:
            owner: nosuchfunc(1)
`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(cfg, Options{})
	if m != nil {
		t.Errorf("Compile returned a mapping with an error")
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T, want *CompileError", err)
	}
	type row struct {
		Index             int
		Kind, Field, Expr string
	}
	var got []row
	for _, p := range ce.Problems {
		if p.Message == "" {
			t.Errorf("problem %+v has no message", p)
		}
		got = append(got, row{p.Index, p.Kind, p.Field, p.Expr})
	}
	want := []row{
		{1, "repo", "selector.query", ".a =="},
		{1, "repo", "port.itemsToParse", ".items["},
		{1, "repo", "port.entity.mappings.identifier.rules.0.value", ".x |"},
		{1, "repo", "port.entity.mappings.title", "('x')"},
		{1, "repo", "port.entity.mappings.properties.tier", ".foo."},
		{1, "repo", "port.entity.mappings.relations.owner", "nosuchfunc(1)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	msg := err.Error()
	for _, w := range []string{
		"invalid mapping: 6 JQ expressions do not compile:",
		`resources[1] (kind "repo") port.entity.mappings.properties.tier: unexpected EOF: ".foo."`,
		`resources[1] (kind "repo") port.entity.mappings.relations.owner: function not defined: nosuchfunc/1: "nosuchfunc(1)"`,
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("error text lacks %q:\n%s", w, msg)
		}
	}
}

func TestCompileErrorSingle(t *testing.T) {
	t.Parallel()
	cfg, err := FromMap(map[string]any{"resources": []any{map[string]any{
		"kind": "k", "selector": map[string]any{"query": "true"},
		"port": map[string]any{"entity": map[string]any{"mappings": map[string]any{"identifier": ".id", "blueprint": `"b`}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(cfg, Options{})
	want := `invalid mapping: JQ expression does not compile: resources[0] (kind "k") port.entity.mappings.blueprint: `
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %q", err, want)
	}
}

func TestCompileNil(t *testing.T) {
	t.Parallel()
	if _, err := Compile(nil, Options{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Compile(nil) = %v, want ErrInvalid", err)
	}
}

func TestEnvSandbox(t *testing.T) {
	// Not parallel-safe with t.Setenv.
	t.Setenv("TIDE_MAPPING_TEST_SECRET", "s3cret")
	if os.Getenv("PATH") == "" {
		t.Fatal("test needs PATH set in the process environment")
	}
	tests := []struct {
		name string
		env  map[string]string
		expr string
		want any
	}{
		{"env empty", nil, `env`, map[string]any{}},
		{"$ENV empty", nil, `$ENV`, map[string]any{}},
		{"PATH hidden from env", nil, `env.PATH`, nil},
		{"PATH hidden from $ENV", nil, `$ENV.PATH`, nil},
		{"secret hidden", map[string]string{"OTHER": "x"}, `$ENV.TIDE_MAPPING_TEST_SECRET`, nil},
		{"PATH hidden with allow-list", map[string]string{"OTHER": "x"}, `env | has("PATH")`, false},
		{"allowed via env", map[string]string{"ORG": "port"}, `env.ORG`, "port"},
		{"allowed via $ENV", map[string]string{"ORG": "port"}, `$ENV.ORG`, "port"},
		{"whole allow-list", map[string]string{"A": "1", "B": "2"}, `$ENV`, map[string]any{"A": "1", "B": "2"}},
	}
	for _, tt := range tests {
		cfg, err := FromMap(map[string]any{"resources": []any{map[string]any{
			"kind": "k", "selector": map[string]any{"query": "true"},
			"port": map[string]any{"entity": map[string]any{"mappings": map[string]any{
				"identifier": `"id"`, "blueprint": `"b"`, "properties": map[string]any{"v": tt.expr},
			}}},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := Compile(cfg, Options{Env: tt.env})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		outs, err := process(t, m.Blocks[0], map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, outs[0].Entity.Properties["v"]); diff != "" {
			t.Errorf("%s: %s (-want +got):\n%s", tt.name, tt.expr, diff)
		}
	}
}

func TestBlueprintConstant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr   string
		want   string
		wantOK bool
	}{
		{`"service"`, "service", true},
		{`"svc-\u0041"`, "svc-A", true},
		{`.kind`, "", false},
		{`"svc-\(.kind)"`, "", false},
		{`"service" | ascii_upcase`, "", false},
		{`3`, "", false},
		{`null`, "", false},
		{`if .a then "x" else "y" end`, "", false},
		{`.org + '/'`, "", false},
		{`'x' `, "x", true}, // normalised to "x"
	}
	for _, tt := range tests {
		b := block(t, "true", map[string]any{"identifier": ".id", "blueprint": tt.expr})
		got, ok := b.Blueprint()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Blueprint() for %q = %q, %v; want %q, %v", tt.expr, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBlueprintFromYAML(t *testing.T) {
	t.Parallel()
	m := compileYAML(t, `
resources:
  - kind: a
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: '"service"'}}}
  - kind: b
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: "\"service\""}}}
  - kind: c
    selector: {query: 'true'}
    port: {entity: {mappings: {identifier: .id, blueprint: .type}}}
`, Options{})
	var got []any
	for _, b := range m.Blocks {
		bp, ok := b.Blueprint()
		got = append(got, bp, ok)
	}
	if diff := cmp.Diff([]any{"service", true, "service", true, "", false}, got); diff != "" {
		t.Errorf("blueprints (-want +got):\n%s", diff)
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mappings map[string]any
		want     FieldSet
	}{
		{"minimal", map[string]any{"identifier": ".id", "blueprint": `"b"`}, FieldSet{}},
		{"all", map[string]any{
			"identifier": ".id", "blueprint": `"b"`, "title": ".t", "icon": `"i"`, "team": ".team",
			"properties": map[string]any{"z": ".z", "a": ".a", "m": map[string]any{"x": ".x"}},
			"relations":  map[string]any{"owner": ".o", "deps": ".d"},
		}, FieldSet{
			Has:        HasTitle | HasIcon | HasTeam | HasProperties | HasRelations,
			Properties: []string{"a", "m", "z"},
			Relations:  []string{"deps", "owner"},
		}},
		{"empty properties still set", map[string]any{
			"identifier": ".id", "blueprint": `"b"`, "properties": map[string]any{},
		}, FieldSet{Has: HasProperties, Properties: []string{}}},
		{"title only", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": ".t"}, FieldSet{Has: HasTitle}},
	}
	for _, tt := range tests {
		b := block(t, "true", tt.mappings)
		if diff := cmp.Diff(tt.want, b.Fields()); diff != "" {
			t.Errorf("%s: Fields (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestCompiledOnce: one program per distinct text, as Ocean caches them.
func TestCompiledOnce(t *testing.T) {
	t.Parallel()
	m := compileYAML(t, `
resources:
  - kind: a
    selector: {query: .x == 1}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', title: .name}}}
  - kind: b
    selector: {query: .x == 1}
    port: {entity: {mappings: {identifier: .id, blueprint: '"b"', title: .other}}}
`, Options{})
	a, b := m.Blocks[0], m.Blocks[1]
	if a.selector != b.selector || a.identifier.prog != b.identifier.prog || a.blueprint.prog != b.blueprint.prog {
		t.Error("same expression compiled twice")
	}
	if a.title.prog == b.title.prog {
		t.Error("different expressions share a program")
	}
}

// TestEnvDisabledStillCompiles: with env access off, a mapping that reads
// env still compiles (Ocean's test asserts the same).
func TestEnvDisabledStillCompiles(t *testing.T) {
	t.Parallel()
	b := block(t, `env | type == "object"`, map[string]any{"identifier": `$ENV | length | tostring`, "blueprint": `"b"`})
	outs, err := process(t, b, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].Entity == nil || outs[0].Entity.Identifier != "0" {
		t.Errorf("outcomes = %+v, want one entity with identifier \"0\"", outs)
	}
}
