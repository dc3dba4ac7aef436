package mapping

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeletePath covers the cases of Ocean's
// extract_jq_deletion_path_revised tests
// (port_ocean/tests/core/integrations/mixins/test_integration_utils.py).
func TestDeletePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string // "" means no path
	}{
		// Checklist 25.
		{`.file.content // {}`, `.file.content`},
		{`. as $root | .file.content`, `.file.content`},
		{`$items | .file.content`, `.file.content`},
		{`.[0].key`, `.[0].key`},
		{`.file[0].content`, `.file[0].content`},
		{`.["key"].value`, `.["key"].value`},
		{`.first.path | .second.path`, `.first.path`},
		{`.`, ``},
		{`$items`, ``},
		{`. as $root`, ``},
		{``, ``},
		{`(.file.content`, ``},
		// Ocean's other cases.
		{`.file.content`, `.file.content`},
		{`.key`, `.key`},
		{`.file.content.raw`, `.file.content.raw`},
		{`(.file.content)`, `.file.content`},
		{`. as $all | .file.content`, `.file.content`},
		{`. | .file.content`, `.file.content`},
		{`.file.content // null`, `.file.content`},
		{`.file.content // []`, `.file.content`},
		{`.[0].[1].key`, `.[0].[1].key`},
		{`.file.[0].content`, `.file.[0].content`},
		{`. as $all | ($all | .file.content) as $items | $items`, `.file.content`},
		{`(. as $all | .file.content)`, `.file.content`},
		{`   `, ``},
		{`  .file.content  `, `.file.content`},
		{`.file_content.raw_data`, `.file_content.raw_data`},
		{`.file2.content3`, `.file2.content3`},
		{`.a.b.c.d.e.f`, `.a.b.c.d.e.f`},
		{`. as $all | .file.content // {}`, `.file.content`},
		{`. as $all | ($all | .file.content.raw) // {}`, `.file.content.raw`},
		// Beyond Ocean's tests: what the rules imply.
		{`.items | map(select(.a))`, `.items`},
		{`.données.éléments`, `.données.éléments`},
		{`[.a[] | .b]`, `.b`},
	}
	for _, tt := range tests {
		got, ok := DeletePath(tt.expr)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("DeletePath(%q) = %q, %v; want %q", tt.expr, got, ok, tt.want)
		}
	}
}

func TestDeleteProgramsCompile(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{`.[0].[1].key`, `.file.[0].content`, `.["key"].value`, `.file[0].content`, `$items`} {
		c := newCompiler(Options{})
		if p := c.compile("port.itemsToParse", deleteProgram(expr)); p == nil {
			t.Errorf("delete program for %q does not compile: %v", expr, c.problems)
		}
	}
}

func itemsBlock(t *testing.T, expr string, extra map[string]any) *Block {
	t.Helper()
	port := map[string]any{
		"itemsToParse": expr,
		"entity": map[string]any{"mappings": map[string]any{
			"identifier": `"x"`,
			"blueprint":  `"b"`,
			"properties": map[string]any{"parent": "."},
		}},
	}
	for k, v := range extra {
		port[k] = v
	}
	return blockWithPort(t, "true", port)
}

// parents returns the "parent" property (the whole expanded item) of every
// emitted entity.
func parents(t *testing.T, outs []Outcome) []any {
	t.Helper()
	var got []any
	for _, o := range outs {
		if o.Entity == nil {
			t.Fatalf("outcome without entity: %+v", o)
		}
		got = append(got, o.Entity.Properties["parent"])
	}
	return got
}

func TestItemsToParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expr   string
		extra  map[string]any
		items  []string
		want   []any
		warned []string
	}{
		{
			// Checklist 19 and 20.
			name:  "elements with parent fields, list removed",
			expr:  ".items",
			items: []string{`{"id":"1","name":"p","meta":{"k":"v"},"items":[{"id":"a"},{"id":"b"}]}`},
			want: []any{
				map[string]any{"id": "1", "name": "p", "meta": map[string]any{"k": "v"}, "item": map[string]any{"id": "a"}},
				map[string]any{"id": "1", "name": "p", "meta": map[string]any{"k": "v"}, "item": map[string]any{"id": "b"}},
			},
		},
		{
			// Checklist 20: nested path.
			name:  "nested path removed",
			expr:  ".data.nested.items",
			items: []string{`{"id":"1","data":{"keep":1,"nested":{"items":[{"id":"a"}]}}}`},
			want: []any{
				map[string]any{"id": "1", "data": map[string]any{"keep": 1.0, "nested": map[string]any{}}, "item": map[string]any{"id": "a"}},
			},
		},
		{
			// Checklist 21.
			name:  "top-level transform off keeps the list",
			expr:  ".items",
			extra: map[string]any{"itemsToParseTopLevelTransform": false},
			items: []string{`{"id":"1","items":[{"id":"a"},{"id":"b"}]}`},
			want: []any{
				map[string]any{"id": "1", "items": []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}}, "item": map[string]any{"id": "a"}},
				map[string]any{"id": "1", "items": []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}}, "item": map[string]any{"id": "b"}},
			},
		},
		{
			// Checklist 22.
			name:  "several parents in order",
			expr:  ".items",
			items: []string{`{"p":1,"items":[{"id":"a"},{"id":"b"}]}`, `{"p":2,"items":[{"id":"c"}]}`},
			want: []any{
				map[string]any{"p": 1.0, "item": map[string]any{"id": "a"}},
				map[string]any{"p": 1.0, "item": map[string]any{"id": "b"}},
				map[string]any{"p": 2.0, "item": map[string]any{"id": "c"}},
			},
		},
		{
			name:  "custom name overwrites a parent key",
			expr:  ".list",
			extra: map[string]any{"itemsToParseName": "svc"},
			items: []string{`{"svc":"old","list":[{"id":"a"}]}`},
			want:  []any{map[string]any{"svc": map[string]any{"id": "a"}}},
		},
		{
			name:  "empty list emits nothing",
			expr:  ".items",
			items: []string{`{"items":[]}`},
		},
		{
			// Checklist 23.
			name:   "non-list skips the parent with a warning",
			expr:   ".items",
			items:  []string{`{"items":{"a":1}}`},
			warned: []string{"Failed to parse items for JQ expression .items, Expected list but got object. Skipping..."},
		},
		{
			name:   "missing list",
			expr:   ".items",
			items:  []string{`{"x":1}`},
			warned: []string{"Failed to parse items for JQ expression .items, Expected list but got null. Skipping..."},
		},
		{
			name:   "runtime error",
			expr:   ".items[]?.x | error(\"boom\")",
			items:  []string{`{"items":[{"x":1}]}`},
			warned: []string{"Failed to parse items for JQ expression .items[]?.x | error(\"boom\"): error: boom. Skipping..."},
		},
		{
			// Ocean falls back to del(.) and so skips the parent.
			name:   "no deletable path",
			expr:   "[.[] | arrays | .[]]",
			items:  []string{`{"a":[{"id":"x"}]}`},
			warned: []string{`Failed to remove the itemsToParse list from the item with . | del(.): got null. Skipping...`},
		},
		{
			name:  "no deletable path without transform",
			expr:  "[.[] | arrays | .[]]",
			extra: map[string]any{"itemsToParseTopLevelTransform": false},
			items: []string{`{"a":[{"id":"x"}]}`},
			want:  []any{map[string]any{"a": []any{map[string]any{"id": "x"}}, "item": map[string]any{"id": "x"}}},
		},
		{
			name:   "path that does not apply to the parent",
			expr:   ".items[0].list // []",
			items:  []string{`{"items":{"list":[{"id":"x"}]}}`},
			warned: []string{`Failed to parse items for JQ expression .items[0].list // []: expected an array but got: object`},
		},
		{
			// Only the first pipe segment's path is removed.
			name:  "first segment removed",
			expr:  ".a[0] | .list",
			items: []string{`{"a":[{"list":[{"id":"x"}]}],"b":1}`},
			want:  []any{map[string]any{"a": []any{}, "b": 1.0, "item": map[string]any{"id": "x"}}},
		},
		{
			// The list comes from elsewhere and the delete path fails on
			// this parent: Ocean gets null and skips it.
			name:   "delete path fails at run time",
			expr:   ".x[0]?.list // .items",
			items:  []string{`{"x":{"a":1},"items":[{"id":"y"}]}`},
			warned: []string{`Failed to remove the itemsToParse list from the item with . | del(.x[0]): expected an array but got: object`},
		},
		{
			name:  "expression with a fallback",
			expr:  ".file.content // []",
			items: []string{`{"file":{"path":"p","content":[{"id":"x"}]}}`},
			want:  []any{map[string]any{"file": map[string]any{"path": "p"}, "item": map[string]any{"id": "x"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := itemsBlock(t, tt.expr, tt.extra)
			var items []map[string]any
			for _, s := range tt.items {
				items = append(items, item(t, s))
			}
			outs, err := process(t, b, items...)
			if err != nil {
				t.Fatal(err)
			}
			var warnings []string
			var mapped []Outcome
			for _, o := range outs {
				if o.Warning != "" {
					if o.Entity != nil || o.Filtered {
						t.Errorf("warning outcome carries more: %+v", o)
					}
					warnings = append(warnings, o.Warning)
					continue
				}
				mapped = append(mapped, o)
			}
			if diff := cmp.Diff(tt.want, parents(t, mapped)); diff != "" {
				t.Errorf("expanded items (-want +got):\n%s", diff)
			}
			if len(warnings) != len(tt.warned) {
				t.Fatalf("warnings = %q, want %q", warnings, tt.warned)
			}
			for i, w := range tt.warned {
				if !strings.HasPrefix(warnings[i], w) {
					t.Errorf("warning %d = %q, want prefix %q", i, warnings[i], w)
				}
			}
		})
	}
}

// TestItemsToParseDoesNotMutate: expansion never modifies the parent item,
// as Ocean's tests assert.
func TestItemsToParseDoesNotMutate(t *testing.T) {
	t.Parallel()
	src := `{"id":"1","data":{"nested":{"items":[{"id":"a","n":1},{"id":"b","n":2}]}},"items":[{"id":"z"}]}`
	for _, transform := range []bool{true, false} {
		b := itemsBlock(t, ".data.nested.items", map[string]any{"itemsToParseTopLevelTransform": transform})
		in := item(t, src)
		if _, err := process(t, b, in, in); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(item(t, src), in); diff != "" {
			t.Errorf("transform=%v: input modified (-want +got):\n%s", transform, diff)
		}
	}
}

func TestItemsToParseDeletePathCompileError(t *testing.T) {
	t.Parallel()
	// The expression itself is valid JQ, but the path taken from it is not.
	cfg, err := FromMap(map[string]any{"resources": []any{map[string]any{
		"kind":     "k",
		"selector": map[string]any{"query": "true"},
		"port": map[string]any{
			"itemsToParse": `.["a]"]`,
			"entity":       map[string]any{"mappings": map[string]any{"identifier": ".id", "blueprint": `"b"`}},
		},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(cfg, Options{})
	ce, ok := err.(*CompileError)
	if !ok || len(ce.Problems) != 1 {
		t.Fatalf("Compile error = %v, want one problem", err)
	}
	p := ce.Problems[0]
	if p.Field != "port.itemsToParse" || p.Expr != `.["a]"]` || !strings.Contains(p.Message, `". | del(.[\"a])"`) {
		t.Errorf("problem = %+v", p)
	}
}
