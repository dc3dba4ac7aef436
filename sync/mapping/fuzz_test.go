package mapping

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/tide-sync/tide/internal/budget"
)

// fuzzMapping maps a fuzzed item with the shapes mappings use: plain
// paths, string building, numbers as identifiers, itemsToParse, a
// relation list and a structured property.
const fuzzMapping = `resources:
  - kind: k
    selector:
      query: '(.skip // false) | not'
    port:
      itemsToParse: .children
      entity:
        mappings:
          identifier: .item.id // .id
          title: '"\(.name // "") / \(.item.name // "")"'
          blueprint: '"b"'
          team: .item.team
          properties:
            n: .item.n
            tags: '[.item.tags[]? | tostring]'
            size: .item | tojson | length
            lower: .item.name | ascii_downcase?
          relations:
            parent: .id | tostring
`

// Item mapping never panics, never hangs (the budgets hold every
// evaluation), and every entity it gives encodes as JSON with a text
// identifier.
func FuzzProcess(f *testing.F) {
	for _, s := range []string{
		`{"id":"p","name":"P","children":[{"id":"a","n":1.5,"tags":["x",1,null]},{"id":2,"team":3}]}`,
		`{"id":1e300,"children":[{"id":-0.0},{"id":4.9e-324},{"id":""},{"id":{"combinator":"and","rules":[]}}]}`,
		`{"children":"not a list"}`,
		`{"skip":true,"children":[{"id":"x"}]}`,
		`{"children":[{"id":"\ud800","name":"ÉCOLE"},{"id":[1]}],"name":null}`,
	} {
		f.Add([]byte(s))
	}
	m := compileYAML(f, fuzzMapping, Options{Budget: budget.Limits{MaxMemory: 4 << 20}})
	f.Fuzz(func(t *testing.T, data []byte) {
		var item map[string]any
		if json.Unmarshal(data, &item) != nil || item == nil {
			return
		}
		err := m.Blocks[0].Process(context.Background(), item, func(o Outcome) {
			if o.Entity == nil {
				return
			}
			if _, err := appendValue(nil, o.Entity.Properties); err != nil {
				t.Fatalf("properties of %s do not encode: %v", data, err)
			}
			switch id := o.Entity.Identifier.(type) {
			case string:
				if id == "" {
					t.Fatalf("empty identifier accepted for %s", data)
				}
			case map[string]any:
			default:
				t.Fatalf("identifier %#v (%T) for %s", id, id, data)
			}
		})
		if err != nil && !strings.Contains(err.Error(), "selector") {
			t.Fatalf("Process(%s): %v", data, err)
		}
	})
}

// A number identifier is sent as its plain decimal text, which reads back
// as the same number; icon and team numbers likewise.
func FuzzNumberText(f *testing.F) {
	for _, v := range []float64{42, -7, 0.1, 1e21, 1e-7, 123456789012345678, math.MaxFloat64, math.SmallestNonzeroFloat64, -0.5} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		id, ok := identifier(v)
		if ok != (v != 0) {
			t.Fatalf("identifier(%v) accepted = %v", v, ok)
		}
		for _, got := range []any{id, scalarText(v)} {
			s, isStr := got.(string)
			if v == 0 && got == nil {
				continue
			}
			if !isStr || strings.ContainsAny(s, "eE+") {
				t.Fatalf("%v gave %#v, want plain decimal text", v, got)
			}
			back, err := strconv.ParseFloat(s, 64)
			if err != nil || back != v {
				t.Fatalf("%v gave %q, which reads back as %v (%v)", v, s, back, err)
			}
		}
	})
}
