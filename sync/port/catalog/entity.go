package catalog

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"

	"github.com/tide-sync/tide/internal/jsonx"
)

// Entity is the part of an entity write that Port checks against the
// blueprint, in Port's JSON shape: values are what a JSON decoder (or gojq)
// yields. A nil field is absent or null; Properties and Relations hold
// explicit nulls as nil values.
type Entity struct {
	Identifier any // a string, or a search query (an object) Port resolves
	Title      any
	Icon       any
	Team       any            // a string, a list of strings, or a search query
	Properties map[string]any // property identifier → value
	Relations  map[string]any // relation identifier → identifier, list, null or search query
}

// EntityFromJSON reads an entity write body (Port's JSON shape). Properties
// or relations that are not objects are violations.
func EntityFromJSON(m map[string]any) (Entity, Violations) {
	e := Entity{Identifier: m["identifier"], Title: m["title"], Icon: m["icon"], Team: m["team"]}
	var vs Violations
	for _, f := range []struct {
		name string
		dst  *map[string]any
	}{{"properties", &e.Properties}, {"relations", &e.Relations}} {
		switch v := m[f.name].(type) {
		case nil:
		case map[string]any:
			*f.dst = v
		default:
			vs = append(vs, Violation{Path: f.name, Rule: RuleBody, Message: "want an object, got " + jsonx.TypeName(v)})
		}
	}
	return e, vs
}

// Validate checks a whole entity, as Port does on a create or a replacing
// upsert: a required property or relation that is absent or null breaks
// the rules. bps finds relation targets.
func (bp *Blueprint) Validate(e Entity, bps Blueprints) Violations {
	return bp.validate(e, bps, false)
}

// ValidatePatch checks the fields an entity write sets, as Port does on a
// merging upsert of an existing entity: an absent field keeps its stored
// value, so only an explicit null breaks a required property or relation.
func (bp *Blueprint) ValidatePatch(e Entity, bps Blueprints) Violations {
	return bp.validate(e, bps, true)
}

func (bp *Blueprint) validate(e Entity, bps Blueprints, patch bool) Violations {
	if bp.clean(e, bps, patch) {
		return nil
	}
	return bp.violations(e, bps, patch)
}

// violations lists every rule e breaks, in a stable order.
func (bp *Blueprint) violations(e Entity, bps Blueprints, patch bool) Violations {
	var vs Violations
	add := func(path string, r Rule, format string, args ...any) {
		vs = append(vs, Violation{Path: path, Rule: r, Message: fmt.Sprintf(format, args...)})
	}

	switch id := e.Identifier.(type) {
	case string:
		if !ValidEntityID(id) {
			add("identifier", RuleIdentifier, "%q does not match Port's identifier pattern (letters, digits and @ _ . + : \\ / = -, not . or .., at most %d)", id, maxEntityID)
		}
	case map[string]any:
	default:
		add("identifier", RuleIdentifier, "want a string or a search query, got %s", jsonx.TypeName(id))
	}
	for _, f := range []struct {
		path string
		v    any
		rule Rule
	}{{"title", e.Title, RuleTitle}, {"icon", e.Icon, RuleIcon}} {
		if _, ok := f.v.(string); !ok && f.v != nil {
			add(f.path, f.rule, "want a string, got %s", jsonx.TypeName(f.v))
		}
	}
	switch t := e.Team.(type) {
	case nil, string, map[string]any:
	case []any:
		for i, x := range t {
			if _, ok := x.(string); !ok {
				add(fmt.Sprintf("team[%d]", i), RuleTeam, "a team is a string, got %s", jsonx.TypeName(x))
			}
		}
	default:
		add("team", RuleTeam, "want a team, a list of teams or a search query, got %s", jsonx.TypeName(t))
	}

	for _, k := range sortedKeys(e.Properties) {
		path := "properties." + k
		p, ok := bp.Properties[k]
		if !ok {
			add(path, RuleUnknownProperty, "property %q is not in blueprint %q", k, bp.Identifier)
			continue
		}
		vs = p.check(path, e.Properties[k], vs)
	}
	for _, k := range bp.Required {
		v, set := e.Properties[k]
		if v == nil && (set || !patch) {
			add("properties."+k, RuleRequiredProperty, "property %q is required by blueprint %q", k, bp.Identifier)
		}
	}

	for _, k := range sortedKeys(e.Relations) {
		path := "relations." + k
		r, ok := bp.Relations[k]
		if !ok {
			add(path, RuleUnknownRelation, "relation %q is not in blueprint %q", k, bp.Identifier)
			continue
		}
		if r.Target != bp.Identifier {
			if _, ok := bps.Lookup(r.Target); !ok {
				add(path, RuleRelationTarget, "relation %q targets blueprint %q, which was not found", k, r.Target)
				continue
			}
		}
		switch v := e.Relations[k].(type) {
		case nil, map[string]any:
		case string:
			if !ValidEntityID(v) {
				add(path, RuleRelationValue, "%q is not an entity identifier", v)
			}
		case []any:
			if !r.Many {
				add(path, RuleRelationValue, "relation %q relates one entity, got a list", k)
				continue
			}
			for i, x := range v {
				if s, ok := x.(string); !ok || !ValidEntityID(s) {
					add(fmt.Sprintf("%s[%d]", path, i), RuleRelationValue, "%v is not an entity identifier", x)
				}
			}
		default:
			add(path, RuleRelationValue, "want an identifier, a list, null or a search query, got %s", jsonx.TypeName(v))
		}
	}
	for _, k := range sortedKeys(bp.Relations) {
		if !bp.Relations[k].Required {
			continue
		}
		v, set := e.Relations[k]
		if v == nil && (set || !patch) {
			add("relations."+k, RuleRequiredRelation, "relation %q is required by blueprint %q", k, bp.Identifier)
		}
	}
	return vs
}

// check appends what v breaks of the property's type, format and enum.
// A null is checked by the required rule alone.
func (p Property) check(path string, v any, vs Violations) Violations {
	if v == nil {
		return vs
	}
	if got := jsonx.TypeName(v); got != p.Type {
		return append(vs, Violation{Path: path, Rule: RuleType, Message: fmt.Sprintf("want %s, got %s", p.Type, got)})
	}
	if p.Format != "" {
		if s, ok := v.(string); ok {
			if why := checkFormat(p.Format, s); why != "" {
				vs = append(vs, Violation{Path: path, Rule: RuleFormat, Message: fmt.Sprintf("%q is not %s", s, why)})
			}
		}
	}
	if p.Enum != nil && !slices.ContainsFunc(p.Enum, func(x any) bool { return sameJSON(x, v) }) {
		vs = append(vs, Violation{Path: path, Rule: RuleEnum, Message: fmt.Sprintf("%s is not one of %s", short(v), short(p.Enum))})
	}
	if p.Items != nil {
		if list, ok := v.([]any); ok {
			for i, x := range list {
				vs = p.Items.check(fmt.Sprintf("%s[%d]", path, i), x, vs)
			}
		}
	}
	return vs
}

// sameJSON says whether two decoded values are the same JSON value;
// numbers compare by value, whatever Go type holds them.
func sameJSON(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x.Cmp(y) == 0
	}
	switch a.(type) {
	case string, bool, nil:
		return a == b
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func number(v any) (*big.Float, bool) {
	if jsonx.TypeName(v) != "number" {
		return nil, false
	}
	f, _, err := big.ParseFloat(fmt.Sprint(v), 10, 200, big.ToNearestEven)
	return f, err == nil
}

// short renders a value for a message, cut to a readable length.
func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}
