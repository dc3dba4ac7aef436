package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/tide-sync/tide/internal/jsonx"
)

// Port's identifier patterns, from the OpenAPI schemas of
// POST /v1/blueprints and POST /v1/blueprints/{blueprint_identifier}/entities
// (the entity identifier's is matched by hand: ValidEntityID). Go's regexp
// has no look-ahead, so the "not exactly . or .." part of the blueprint
// pattern is checked apart (validID).
var (
	// ^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/-]+$ (no =), at most 100 characters.
	blueprintIDPattern = regexp.MustCompile(`^[\p{L}0-9@_.+:\\/-]+$`)
	// ^[A-Za-z0-9@_=\-]+$, at most 100 characters: property and relation
	// identifiers.
	keyPattern = regexp.MustCompile(`^[A-Za-z0-9@_=\-]+$`)
)

const (
	maxEntityID    = 1000
	maxBlueprintID = 100
	maxKey         = 100
	maxTitle       = 100
)

func validID(id string, re *regexp.Regexp, maxLen int) bool {
	return id != "." && id != ".." && utf8.RuneCountInString(id) <= maxLen && re.MatchString(id)
}

// Property types and formats a blueprint may declare: the enums of the
// OpenAPI schema of POST /v1/blueprints (schema.properties.*.type, .format).
var (
	propertyTypes   = []string{"string", "number", "boolean", "object", "array"}
	propertyFormats = []string{"date-time", "url", "email", "idn-email", "ipv4", "ipv6", "markdown", "yaml",
		"user", "blueprints", "team", "timer", "proto", "labeled-url"}
)

// Blueprint is a blueprint definition, parsed once. Mirror, calculation and
// aggregation properties are Port's to compute and are not modelled: an
// entity write never carries them.
type Blueprint struct {
	Identifier string
	Title      string
	Properties map[string]Property // schema.properties
	Required   []string            // schema.required, sorted
	Relations  map[string]Relation
}

// Property is one entry of a blueprint's schema.properties.
type Property struct {
	Type   string // string, number, boolean, object or array
	Format string // "" or one of Port's formats (email, url, date-time, ...)
	Enum   []any  // nil, or the values allowed
	Items  *Property
}

// Relation is one entry of a blueprint's relations.
type Relation struct {
	Target   string // the related blueprint
	Many     bool
	Required bool
}

// Blueprints finds blueprint definitions by identifier: the relation targets
// a blueprint or an entity refers to.
type Blueprints interface {
	Lookup(id string) (*Blueprint, bool)
}

// Set is a Blueprints held in a map.
type Set map[string]*Blueprint

// Lookup implements Blueprints.
func (s Set) Lookup(id string) (*Blueprint, bool) {
	bp, ok := s[id]
	return bp, ok
}

// ParseBlueprint reads a blueprint in Port's JSON shape (the body of
// POST /v1/blueprints), checking what Port checks of it: the identifier's
// pattern and length, a title of 1 to 100 characters, property and relation
// identifiers, each property's type and format from Port's lists, schema.required
// naming declared properties, and a target for each relation. The error is
// Violations.
//
// Port requires `required` and `many` on a relation; tide reads a missing
// one as false, as the blueprints written before this model do.
func ParseBlueprint(raw map[string]any) (*Blueprint, error) {
	var vs Violations
	fail := func(path, format string, args ...any) {
		vs = append(vs, Violation{Path: path, Rule: RuleBlueprint, Message: fmt.Sprintf(format, args...)})
	}
	bp := &Blueprint{Properties: map[string]Property{}, Relations: map[string]Relation{}}
	id, _ := raw["identifier"].(string)
	bp.Identifier = id
	if !validID(id, blueprintIDPattern, maxBlueprintID) {
		fail("identifier", "%q is not a blueprint identifier (letters, digits and @ _ . + : \\ / -, at most %d)", id, maxBlueprintID)
	}
	title, ok := raw["title"].(string)
	bp.Title = title
	if n := utf8.RuneCountInString(title); !ok || n == 0 || n > maxTitle {
		fail("title", "a title of 1 to %d characters is required", maxTitle)
	}

	schema, ok := raw["schema"].(map[string]any)
	if !ok && raw["schema"] != nil {
		fail("schema", "want an object, got %s", jsonx.TypeName(raw["schema"]))
	}
	props, ok := schema["properties"].(map[string]any)
	if !ok && schema["properties"] != nil {
		fail("schema.properties", "want an object, got %s", jsonx.TypeName(schema["properties"]))
	}
	for _, k := range sortedKeys(props) {
		path := "schema.properties." + k
		if !validID(k, keyPattern, maxKey) {
			fail(path, "%q is not a property identifier (letters, digits and @ _ = -, at most %d)", k, maxKey)
		}
		p, err := parseProperty(props[k], path)
		if err != nil {
			vs = append(vs, *err)
			continue
		}
		bp.Properties[k] = p
	}
	if req, ok := schema["required"]; ok && req != nil {
		list, ok := req.([]any)
		if !ok {
			fail("schema.required", "want a list of property identifiers, got %s", jsonx.TypeName(req))
		}
		for i, x := range list {
			name, ok := x.(string)
			if _, declared := props[name]; !ok || !declared {
				fail(fmt.Sprintf("schema.required[%d]", i), "%v is not a property of the blueprint", x)
				continue
			}
			bp.Required = append(bp.Required, name)
		}
		sort.Strings(bp.Required)
		bp.Required = slices.Compact(bp.Required)
	}

	rels, ok := raw["relations"].(map[string]any)
	if !ok && raw["relations"] != nil {
		fail("relations", "want an object, got %s", jsonx.TypeName(raw["relations"]))
	}
	for _, k := range sortedKeys(rels) {
		path := "relations." + k
		if !validID(k, keyPattern, maxKey) {
			fail(path, "%q is not a relation identifier (letters, digits and @ _ = -, at most %d)", k, maxKey)
		}
		r, ok := rels[k].(map[string]any)
		if !ok {
			fail(path, "want an object, got %s", jsonx.TypeName(rels[k]))
			continue
		}
		target, _ := r["target"].(string)
		if target == "" {
			fail(path+".target", "a relation needs a target blueprint")
			continue
		}
		rel := Relation{Target: target}
		for _, f := range []struct {
			name string
			dst  *bool
		}{{"many", &rel.Many}, {"required", &rel.Required}} {
			switch v := r[f.name].(type) {
			case nil:
			case bool:
				*f.dst = v
			default:
				fail(path+"."+f.name, "want true or false, got %s", jsonx.TypeName(v))
			}
		}
		bp.Relations[k] = rel
	}
	if len(vs) > 0 {
		return nil, vs
	}
	return bp, nil
}

func parseProperty(raw any, path string) (Property, *Violation) {
	bad := func(path, format string, args ...any) (Property, *Violation) {
		return Property{}, &Violation{Path: path, Rule: RuleBlueprint, Message: fmt.Sprintf(format, args...)}
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return bad(path, "want an object, got %s", jsonx.TypeName(raw))
	}
	var p Property
	p.Type, _ = m["type"].(string)
	if !slices.Contains(propertyTypes, p.Type) {
		return bad(path+".type", "%v is not a property type (one of %v)", m["type"], propertyTypes)
	}
	if f, ok := m["format"]; ok && f != nil {
		p.Format, _ = f.(string)
		if !slices.Contains(propertyFormats, p.Format) {
			return bad(path+".format", "%v is not a property format (one of %v)", f, propertyFormats)
		}
	}
	if e, ok := m["enum"]; ok && e != nil {
		if p.Enum, ok = e.([]any); !ok {
			return bad(path+".enum", "want a list, got %s", jsonx.TypeName(e))
		}
	}
	if it, ok := m["items"]; ok && it != nil {
		items, err := parseProperty(it, path+".items")
		if err != nil {
			return Property{}, err
		}
		p.Items = &items
	}
	return p, nil
}

// CheckTargets reports the relations whose target blueprint is neither bp
// itself nor found in bps. Port refuses such a blueprint, which is why
// blueprints relating to each other are created bare, then completed.
func (bp *Blueprint) CheckTargets(bps Blueprints) Violations {
	var vs Violations
	for _, k := range sortedKeys(bp.Relations) {
		t := bp.Relations[k].Target
		if t == bp.Identifier {
			continue
		}
		if _, ok := bps.Lookup(t); !ok {
			vs = append(vs, Violation{Path: "relations." + k + ".target", Rule: RuleRelationTarget,
				Message: fmt.Sprintf("target blueprint %q was not found", t)})
		}
	}
	return vs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
