package mapping

import (
	"context"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLeafValues: what one mapped leaf evaluates to, as Ocean's JQ
// processor tests assert (port_ocean/tests/core/handlers/entity_processor):
// constants, concatenation with single quotes, the first of several
// outputs, arrays unchanged, IN().
func TestLeafValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		expr    string
		item    string
		want    any
		wantMis bool
	}{
		{"path", `.foo`, `{"foo":"bar"}`, "bar", false},
		{"constant", `"shalom"`, `{}`, "shalom", false},
		{"quoted concat", `.organization + '/' + .repository`, `{"organization":"port","repository":"ocean"}`, "port/ocean", false},
		{"leading literal", `'/' + .x`, `{"x":"a"}`, "/a", false},
		{"trailing literal", `.x + '/'`, `{"x":"a"}`, "a/", false},
		{"first of several", `.parameters[] | select(.name=="x") | .value`,
			`{"parameters":[{"name":"y","value":0},{"name":"x","value":"one"},{"name":"x","value":"two"}]}`, "one", false},
		{"no output", `.parameters[] | select(.name=="z") | .value`, `{"parameters":[{"name":"x","value":1}]}`, nil, true},
		{"empty", `empty`, `{}`, nil, true},
		{"array unchanged", `.parameters`, `{"parameters":[{"a":1},"b",null]}`, []any{map[string]any{"a": 1.0}, "b", nil}, false},
		{"IN", `.subViews | map(select(.qualifier | IN("VW","SVW")) | .key)`,
			`{"subViews":[{"qualifier":"VW","key":"a"},{"qualifier":"X","key":"b"},{"qualifier":"SVW","key":"c"}]}`, []any{"a", "c"}, false},
		{"missing key", `.nope`, `{}`, nil, true},
		{"nested path", `.a.b.c`, `{"a":{"b":{"c":true}}}`, true, false},
		{"nested through null", `.a.b.c`, `{"a":null}`, nil, true},
		{"false is a value", `.flag`, `{"flag":false}`, false, false},
		{"tostring", `.n | tostring`, `{"n":12}`, "12", false},
		{"integer arithmetic", `.n + 1`, `{"n":2}`, 3.0, false},
		{"length is a number", `.list | length`, `{"list":[1,2]}`, 2.0, false},
		{"computed object numbers", `{n: (.list | length), l: [1, 2.5]}`, `{"list":[1]}`, map[string]any{"n": 1.0, "l": []any{1.0, 2.5}}, false},
		{"big integer", `pow(2; 70) | floor`, `{}`, 1180591620717411303424.0, false},
		{"string interpolation", `"\(.a)-\(.b)"`, `{"a":"x","b":1}`, "x-1", false},
		{"halt has no output", `halt`, `{}`, nil, true},
		{"debug compiles", `.a | debug | stderr`, `{"a":"x"}`, "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := block(t, "true", map[string]any{"identifier": `"id"`, "blueprint": `"b"`, "properties": map[string]any{"v": tt.expr}})
			outs, err := process(t, b, item(t, tt.item))
			if err != nil {
				t.Fatal(err)
			}
			if len(outs) != 1 || outs[0].Entity == nil {
				t.Fatalf("outcomes = %+v", outs)
			}
			if diff := cmp.Diff(tt.want, outs[0].Entity.Properties["v"]); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
			var wantMis []Misconfig
			if tt.wantMis {
				wantMis = []Misconfig{{Field: "properties.v", Expr: tt.expr}}
			}
			if diff := cmp.Diff(wantMis, outs[0].Misconfigured); diff != "" {
				t.Errorf("misconfigured (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNumbersMarshalAsIntegers checks that computed and read integers give
// the same JSON text.
func TestNumbersMarshalAsIntegers(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{"identifier": `"id"`, "blueprint": `"b"`, "properties": map[string]any{
		"read": ".n", "computed": ".n + 0", "literal": "3", "list": "[.n, 1]",
	}})
	outs, err := process(t, b, item(t, `{"n":3}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(outs[0].Entity.Properties)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"computed":3,"list":[3,1],"literal":3,"read":3}`; string(got) != want {
		t.Errorf("properties JSON = %s, want %s", got, want)
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	shared := map[string]any{"f": 1.5, "s": "x"}
	in := map[string]any{"i": 1, "keep": shared, "list": []any{2, "a"}, "big": big.NewInt(5), "n": json.Number("7")}
	got := normalize(in)
	want := map[string]any{"i": 1.0, "keep": map[string]any{"f": 1.5, "s": "x"}, "list": []any{2.0, "a"}, "big": 5.0, "n": 7.0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("normalize (-want +got):\n%s", diff)
	}
	if in["i"] != 1 || in["list"].([]any)[0] != 2 {
		t.Error("normalize modified its input")
	}
	if got.(map[string]any)["keep"].(map[string]any)["s"] != "x" {
		t.Error("unchanged subtree lost")
	}
}

// TestNestedMappings: objects and arrays are evaluated
// leaf by leaf, and a null leaf does not touch its siblings; a leaf that
// raised an error leaves its whole top-level field out of the entity.
func TestNestedMappings(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{
		"identifier": `"id"`,
		"blueprint":  `"b"`,
		"properties": map[string]any{
			"obj": map[string]any{"foo": ".foo.bar", "bad": ".foo.bar | tonumber", "list": []any{".foo.bar", ".nope"}},
		},
		"relations": map[string]any{
			"owner": map[string]any{
				"combinator": `"and"`,
				"rules": []any{
					map[string]any{"property": `"email"`, "operator": `"="`, "value": ".owner"},
					map[string]any{"combinator": `"or"`, "rules": []any{map[string]any{"property": `"x"`, "operator": `"in"`, "value": ".list"}}},
				},
			},
		},
	})
	outs, err := process(t, b, item(t, `{"foo":{"bar":"baz"},"list":["a"]}`))
	if err != nil {
		t.Fatal(err)
	}
	o := outs[0]
	wantProps := map[string]any{}
	if diff := cmp.Diff(wantProps, o.Entity.Properties); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"properties.obj"}, o.Entity.Omitted); diff != "" {
		t.Errorf("omitted (-want +got):\n%s", diff)
	}
	wantRels := map[string]any{"owner": map[string]any{
		"combinator": "and",
		"rules": []any{
			map[string]any{"property": "email", "operator": "=", "value": nil},
			map[string]any{"combinator": "or", "rules": []any{map[string]any{"property": "x", "operator": "in", "value": []any{"a"}}}},
		},
	}}
	if diff := cmp.Diff(wantRels, o.Entity.Relations); diff != "" {
		t.Errorf("relations (-want +got):\n%s", diff)
	}
	wantMis := []Misconfig{
		{Field: "properties.obj.bad", Expr: ".foo.bar | tonumber", Err: `tonumber cannot be applied to "baz": invalid number`},
		{Field: "properties.obj.list.1", Expr: ".nope"},
		{Field: "relations.owner.rules.0.value", Expr: ".owner"},
	}
	if diff := cmp.Diff(wantMis, o.Misconfigured); diff != "" {
		t.Errorf("misconfigured (-want +got):\n%s", diff)
	}
}

// TestSelector: a selector must yield a boolean (Ocean's error text
// otherwise); true maps the item, false filters it out.
func TestSelector(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query        string
		item         string
		wantFiltered bool
		wantEntity   bool
		wantErr      string
	}{
		{`true`, `{}`, false, true, ""},
		{`false`, `{}`, true, false, ""},
		{`.archived == false`, `{"archived":false}`, false, true, ""},
		{`.archived == false`, `{"archived":true}`, true, false, ""},
		{`.foo`, `{"foo":"bar"}`, false, false, `Expected boolean value for pattern '.foo', got value:bar of type: string instead`},
		{`.foo`, `{}`, false, false, `Expected boolean value for pattern '.foo', got value:None of type: null instead`},
		{`.n`, `{"n":1}`, false, false, `Expected boolean value for pattern '.n', got value:1 of type: number instead`},
		{`.o`, `{"o":{"a":[1]}}`, false, false, `Expected boolean value for pattern '.o', got value:{"a":[1]} of type: object instead`},
		{`.name == 'x'`, `{"name":3}`, true, false, ""},
		{`.x | select(. == 1)`, `{"x":2}`, false, false, `selector '.x | select(. == 1)' produced no output`},
		{`.x | error("no")`, `{"x":2}`, false, false, `selector '.x | error("no")' failed: error: no`},
		{`.a.b`, `{"a":"s"}`, false, false, `selector '.a.b' failed: expected an object but got: string ("s")`},
	}
	for _, tt := range tests {
		b := block(t, tt.query, map[string]any{"identifier": `"id"`, "blueprint": `"b"`})
		outs, err := process(t, b, item(t, tt.item))
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s on %s: err = %v, want %q", tt.query, tt.item, err, tt.wantErr)
			}
			if len(outs) != 0 {
				t.Errorf("%s: emitted %+v with an error", tt.query, outs)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.query, err)
			continue
		}
		if len(outs) != 1 || outs[0].Filtered != tt.wantFiltered || (outs[0].Entity != nil) != tt.wantEntity {
			t.Errorf("%s on %s: outcomes = %+v", tt.query, tt.item, outs)
		}
	}
}

func TestSelectorCompileError(t *testing.T) {
	t.Parallel()
	cfg, err := FromMap(map[string]any{"resources": []any{map[string]any{
		"kind": "k", "selector": map[string]any{"query": ".a =="},
		"port": map[string]any{"entity": map[string]any{"mappings": map[string]any{"identifier": ".id", "blueprint": `"b"`}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(cfg, Options{})
	var ce *CompileError
	if !errorsAs(err, &ce) || ce.Problems[0].Field != "selector.query" {
		t.Errorf("err = %v, want a selector.query CompileError", err)
	}
}

// TestMisconfiguredPaths: fields that come out null are reported by dot
// path and expression, as Ocean reports them; a good item reports none.
func TestMisconfiguredPaths(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{
		"identifier": ".ark",
		"blueprint":  `"service"`,
		"title":      ".name",
		"properties": map[string]any{"description": ".bazbar", "url": ".foobar", "defaultBranch": ".bar.baz", "foo": ".foo"},
	})
	outs, err := process(t, b,
		item(t, `{"foo":"bar","name":"n"}`),
		item(t, `{"ark":"a1","foo":"bar","name":"n","bazbar":"d","foobar":"u","bar":{"baz":"main"}}`),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Checklist 15: missing identifier ⇒ no entity, identifier reported.
	want0 := []Misconfig{
		{Field: "identifier", Expr: ".ark"},
		{Field: "properties.defaultBranch", Expr: ".bar.baz"},
		{Field: "properties.description", Expr: ".bazbar"},
		{Field: "properties.url", Expr: ".foobar"},
	}
	if outs[0].Entity != nil {
		t.Errorf("entity emitted without identifier: %+v", outs[0].Entity)
	}
	if diff := cmp.Diff(want0, outs[0].Misconfigured); diff != "" {
		t.Errorf("misconfigured (-want +got):\n%s", diff)
	}
	// Checklist 17: a valid item maps every property, nothing reported.
	want1 := &Entity{
		Identifier: "a1", Blueprint: "service", Title: "n", Has: HasTitle | HasProperties,
		Properties: map[string]any{"description": "d", "url": "u", "defaultBranch": "main", "foo": "bar"},
	}
	if diff := cmp.Diff(want1, outs[1].Entity); diff != "" {
		t.Errorf("entity (-want +got):\n%s", diff)
	}
	if outs[1].Misconfigured != nil {
		t.Errorf("misconfigured = %+v, want none", outs[1].Misconfigured)
	}
}

// TestAcceptance: the identifier and blueprint rules; an empty identifier
// rejects the item without being reported, a null one is reported.
func TestAcceptance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		identifier string
		blueprint  string
		item       string
		wantID     any // nil: rejected
		wantBP     string
		wantMis    []Misconfig
	}{
		{"string", ".id", `"b"`, `{"id":"x"}`, "x", "b", nil},
		{"empty identifier", ".id", `"b"`, `{"id":""}`, nil, "", nil},
		{"null identifier", ".id", `"b"`, `{}`, nil, "", []Misconfig{{Field: "identifier", Expr: ".id"}}},
		{"empty blueprint", ".id", `.bp`, `{"id":"x","bp":""}`, nil, "", nil},
		{"null blueprint", ".id", `.bp`, `{"id":"x"}`, nil, "", []Misconfig{{Field: "blueprint", Expr: ".bp"}}},
		{"both null", ".id", `.bp`, `{}`, nil, "", []Misconfig{{Field: "blueprint", Expr: ".bp"}, {Field: "identifier", Expr: ".id"}}},
		{"integer identifier", ".id", `"b"`, `{"id":42}`, "42", "b", nil},
		{"computed integer identifier", ".id + 1", `"b"`, `{"id":41}`, "42", "b", nil},
		{"float identifier", ".id", `"b"`, `{"id":4.5}`, "4.5", "b", nil},
		{"large identifier", ".id", `"b"`, `{"id":12345678901234567}`, "12345678901234568", "b", nil},
		{"zero identifier", ".id", `"b"`, `{"id":0}`, nil, "", nil},
		{"false identifier", ".id", `"b"`, `{"id":false}`, nil, "", nil},
		{"empty list identifier", ".id", `"b"`, `{"id":[]}`, nil, "", nil},
		{"empty object identifier", ".id", `"b"`, `{"id":{}}`, nil, "", nil},
		{"true identifier", ".id", `"b"`, `{"id":true}`, nil, "", []Misconfig{{Field: "identifier", Expr: ".id",
			Err: "identifier must be a string, a number or a search query object, got boolean"}}},
		{"list identifier", ".id", `"b"`, `{"id":["a"]}`, nil, "", []Misconfig{{Field: "identifier", Expr: ".id",
			Err: "identifier must be a string, a number or a search query object, got array"}}},
		{"object identifier", ".id", `"b"`, `{"id":{"combinator":"and","rules":[]}}`, map[string]any{"combinator": "and", "rules": []any{}}, "b", nil},
		{"number blueprint", ".id", `.bp`, `{"id":"x","bp":3}`, nil, "", []Misconfig{{Field: "blueprint", Expr: ".bp", Err: "blueprint must be a string, got number"}}},
		{"runtime error identifier", ".id | ascii_downcase", `"b"`, `{"id":1}`, nil, "", []Misconfig{{Field: "identifier", Expr: ".id | ascii_downcase",
			Err: "ascii_downcase cannot be applied to: number (1)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := block(t, "true", map[string]any{"identifier": tt.identifier, "blueprint": tt.blueprint})
			outs, err := process(t, b, item(t, tt.item))
			if err != nil {
				t.Fatal(err)
			}
			o := outs[0]
			if tt.wantID == nil {
				if o.Entity != nil {
					t.Errorf("entity %+v emitted, want rejection", o.Entity)
				}
			} else {
				if o.Entity == nil {
					t.Fatalf("rejected, want identifier %v", tt.wantID)
				}
				if diff := cmp.Diff(tt.wantID, o.Entity.Identifier); diff != "" {
					t.Errorf("identifier (-want +got):\n%s", diff)
				}
				if o.Entity.Blueprint != tt.wantBP {
					t.Errorf("blueprint = %q, want %q", o.Entity.Blueprint, tt.wantBP)
				}
			}
			if o.Filtered || o.Warning != "" {
				t.Errorf("outcome = %+v", o)
			}
			if diff := cmp.Diff(tt.wantMis, o.Misconfigured); diff != "" {
				t.Errorf("misconfigured (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNullValuesKept: a mapped field that is null is still sent, as Ocean
// sends it.
func TestNullValuesKept(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{
		"identifier": ".id", "blueprint": `"b"`, "title": ".t", "icon": ".i", "team": ".team",
		"properties": map[string]any{"p": ".p"}, "relations": map[string]any{"r": ".r"},
	})
	outs, err := process(t, b, item(t, `{"id":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(outs[0].Entity)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"identifier":"x","blueprint":"b","title":null,"icon":null,"team":null,"properties":{"p":null},"relations":{"r":null}}`
	if string(got) != want {
		t.Errorf("entity JSON = %s, want %s", got, want)
	}
	if n := len(outs[0].Misconfigured); n != 5 {
		t.Errorf("misconfigured = %d entries, want 5", n)
	}
}

// TestRuntimeErrorOmitsField: a field whose expression raised an error is
// left out of the write (Port keeps its value with a merge upsert) and
// reported; a field that is null because the data has none is written as
// null; an optional field (`X // null`) is written as null without a report.
func TestRuntimeErrorOmitsField(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{
		"identifier": ".id", "blueprint": `"b"`, "title": ".name + 1", "team": ".team",
		"properties": map[string]any{"bad": ".name | tonumber", "missing": ".nope", "optional": ".onCall // null", "good": ".name"},
		"relations":  map[string]any{"r": ".team.x"},
	})
	outs, err := process(t, b, item(t, `{"id":"x","name":"svc","team":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	o := outs[0]
	got, err := json.Marshal(o.Entity)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"identifier":"x","blueprint":"b","team":"t","properties":{"good":"svc","missing":null,"optional":null},"relations":{}}`
	if string(got) != want {
		t.Errorf("entity JSON = %s\nwant          %s", got, want)
	}
	if diff := cmp.Diff([]string{"title", "properties.bad", "relations.r"}, o.Entity.Omitted); diff != "" {
		t.Errorf("omitted (-want +got):\n%s", diff)
	}
	var fields []string
	for _, m := range o.Misconfigured {
		fields = append(fields, m.Field)
	}
	if diff := cmp.Diff([]string{"properties.bad", "properties.missing", "relations.r", "title"}, fields); diff != "" {
		t.Errorf("misconfigured fields (-want +got):\n%s", diff)
	}
}

// TestThousandsOfItems is Ocean's performance test's budget, very loosely:
// 10 000 items of a realistic mapping must not take seconds.
func TestThousandsOfItems(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("slow")
	}
	b := benchBlock(t)
	it := benchItem(t)
	n := 0
	for range 10000 {
		if err := b.Process(context.Background(), it, func(o Outcome) {
			if o.Entity != nil && len(o.Misconfigured) == 0 {
				n++
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n != 10000 {
		t.Errorf("mapped %d clean entities, want 10000", n)
	}
}

func errorsAs(err error, target **CompileError) bool {
	ce, ok := err.(*CompileError)
	if ok {
		*target = ce
	}
	return ok && len(ce.Problems) > 0 && strings.HasPrefix(ce.Error(), "invalid mapping")
}

// A numeric or boolean icon or team is sent as text, as Ocean's Entity
// model coerces it; lists and strings are untouched.
func TestIconTeamAsText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		icon, team string
		wantIcon   any
		wantTeam   any
	}{
		{`.n`, `.n`, "42", "42"},
		{`1.5`, `true`, "1.5", "True"},
		{`"Github"`, `["a", 1]`, "Github", []any{"a", 1.0}},
		{`.missing`, `"platform"`, nil, "platform"},
	}
	for _, tt := range tests {
		b := block(t, "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "icon": tt.icon, "team": tt.team})
		got, err := process(t, b, item(t, `{"id":"x","n":42}`))
		if err != nil {
			t.Fatal(err)
		}
		e := got[0].Entity
		if diff := cmp.Diff([]any{tt.wantIcon, tt.wantTeam}, []any{e.Icon, e.Team}); diff != "" {
			t.Errorf("icon %s, team %s (-want +got)\n%s", tt.icon, tt.team, diff)
		}
	}
}

// Integers beyond 2^53, decoded exactly by the source (a *big.Int, as the
// custom integration gives), keep their decimal text in the identifier and
// the written properties: rounding them to a float64 would make two
// records one entity.
func TestBigIntegersStayExact(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{"identifier": `.id`, "blueprint": `"b"`, "properties": map[string]any{
		"id": ".id", "next": ".id + 1", "small": ".small", "text": ".id | tostring",
	}})
	id1, _ := new(big.Int).SetString("1234567890123456789", 10)
	id2, _ := new(big.Int).SetString("1234567890123456788", 10)
	outs, err := process(t, b,
		map[string]any{"id": id1, "small": big.NewInt(7)},
		map[string]any{"id": id2, "small": big.NewInt(7)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range outs {
		if o.Entity == nil {
			t.Fatalf("outcome %+v", o)
		}
		raw, err := o.Entity.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(raw))
	}
	want := []string{
		`{"identifier":"1234567890123456789","blueprint":"b","properties":{"id":1234567890123456789,"next":1234567890123456790,"small":7,"text":"1234567890123456789"}}`,
		`{"identifier":"1234567890123456788","blueprint":"b","properties":{"id":1234567890123456788,"next":1234567890123456789,"small":7,"text":"1234567890123456788"}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
}
