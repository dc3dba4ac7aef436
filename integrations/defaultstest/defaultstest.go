// Package defaultstest checks an integration's default resources against
// each other and against its fake's items: every property and relation the
// default mapping writes is declared by its blueprint, every relation
// targets a shipped blueprint, and every value the mapping produces from
// the fixtures has the JSON type its blueprint declares (array items
// included), so Port accepts the defaults as shipped. It is test-only: no
// product code imports it.
package defaultstest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"testing"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/sync/mapping"
)

// Fetch returns every item a resource block's request yields.
type Fetch func(req integrations.Request) ([]integrations.Item, error)

type blueprint struct {
	props map[string]map[string]any
	rels  map[string]map[string]any
}

// Check runs def's default mapping over the items fetch returns and
// reports every mismatch with def's default blueprints. Every mapped
// property must come out non-null for at least one item, so the fixtures
// exercise each declared type.
func Check(t testing.TB, def integrations.Definition, fetch Fetch) {
	t.Helper()
	raw, err := def.Blueprints()
	if err != nil {
		t.Fatal(err)
	}
	bps := map[string]blueprint{}
	for _, b := range raw {
		id, _ := b["identifier"].(string)
		schema, _ := b["schema"].(map[string]any)
		bp := blueprint{props: objects(schema["properties"]), rels: objects(b["relations"])}
		bps[id] = bp
	}
	for id, bp := range bps {
		for name, r := range bp.rels {
			if _, ok := bps[fmt.Sprint(r["target"])]; !ok {
				t.Errorf("blueprint %s: relation %s targets %v, which is not shipped", id, name, r["target"])
			}
		}
	}
	src, err := def.DefaultMapping()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mapping.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Compile(cfg, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, blk := range m.Blocks {
		where := fmt.Sprintf("resources[%d] (kind %s)", blk.Index, blk.Resource.Kind)
		id, ok := blk.Blueprint()
		if !ok {
			t.Errorf("%s: the blueprint is not a constant", where)
			continue
		}
		bp, ok := bps[id]
		if !ok {
			t.Errorf("%s: blueprint %q is not shipped", where, id)
			continue
		}
		fields := blk.Fields()
		for _, p := range fields.Properties {
			if _, ok := bp.props[p]; !ok {
				t.Errorf("%s: property %q is not declared in blueprint %s", where, p, id)
			}
		}
		for _, r := range fields.Relations {
			if _, ok := bp.rels[r]; !ok {
				t.Errorf("%s: relation %q is not declared in blueprint %s", where, r, id)
			}
		}
		items, err := fetch(integrations.Request{Kind: blk.Resource.Kind, Selector: blk.Resource.Selector.Extra, Config: m.Config.Extra})
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		if len(items) == 0 {
			t.Errorf("%s: the fixtures yield no item", where)
		}
		fed := map[string]bool{}
		for _, it := range items {
			err := blk.Process(context.Background(), it, func(o mapping.Outcome) {
				if o.Entity == nil {
					t.Errorf("%s: an item mapped to no entity (%s)", where, o.Warning)
					return
				}
				eid, _ := o.Entity.ID()
				for k, v := range o.Entity.Properties {
					if v != nil {
						fed[k] = true
					}
					if msg := checkType(bp.props[k], v); msg != "" {
						t.Errorf("%s: entity %s: property %s: %s", where, eid, k, msg)
					}
				}
				for k, v := range o.Entity.Relations {
					if msg := checkRelation(bp.rels[k], v); msg != "" {
						t.Errorf("%s: entity %s: relation %s: %s", where, eid, k, msg)
					}
				}
			})
			if err != nil {
				t.Errorf("%s: %v", where, err)
			}
		}
		var unfed []string
		for _, p := range fields.Properties {
			if !fed[p] {
				unfed = append(unfed, p)
			}
		}
		sort.Strings(unfed)
		if len(unfed) > 0 && len(items) > 0 {
			t.Errorf("%s: no fixture item gives a value to %v: its type goes untested", where, unfed)
		}
	}
}

func objects(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	m, _ := v.(map[string]any)
	for k, x := range m {
		if o, ok := x.(map[string]any); ok {
			out[k] = o
		}
	}
	return out
}

// checkType says how v fails the property schema def ("" when it fits).
func checkType(def map[string]any, v any) string {
	if v == nil || def == nil {
		return ""
	}
	typ, _ := def["type"].(string)
	if got := jsonType(v); got != typ {
		return fmt.Sprintf("the blueprint declares %s, the mapping writes %s (%v)", typ, got, v)
	}
	if enum, ok := def["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || e == v
		}
		if !found {
			return fmt.Sprintf("%v is not one of %v", v, enum)
		}
	}
	if typ == "array" {
		items, _ := def["items"].(map[string]any)
		if it, ok := items["type"].(string); ok {
			for i, x := range v.([]any) {
				if got := jsonType(x); got != it {
					return fmt.Sprintf("item %d: the blueprint declares %s items, the mapping writes %s (%v)", i, it, got, x)
				}
			}
		}
	}
	return ""
}

func checkRelation(def map[string]any, v any) string {
	if v == nil || def == nil {
		return ""
	}
	many, _ := def["many"].(bool)
	switch t := v.(type) {
	case string:
		if many {
			return "a many relation takes a list of identifiers"
		}
	case []any:
		if !many {
			return "a single relation takes one identifier"
		}
		for i, x := range t {
			if _, ok := x.(string); !ok {
				return fmt.Sprintf("item %d is %s, not an identifier", i, jsonType(x))
			}
		}
	default:
		return fmt.Sprintf("%s is not an identifier", jsonType(v))
	}
	return ""
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64, int, int64, json.Number, *big.Int:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
