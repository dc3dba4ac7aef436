package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tide-sync/tide/internal/jsonx"
	"gopkg.in/yaml.v3"
)

// Parse decodes a port-app-config from YAML or JSON, applies defaults and
// validates it. Errors wrap ErrInvalid and name the field path
// (e.g. `resources[2].selector.query: required`); every problem found is
// listed, not only the first.
func Parse(data []byte) (*Config, error) {
	raw, err := decode(data)
	if err != nil {
		return nil, &ParseError{Problems: []ParseProblem{{Message: err.Error(), Line: yamlErrorLine(err)}}}
	}
	if raw == nil {
		// Ocean raises EmptyPortAppConfigError("Port app config is empty").
		return nil, invalid([]string{"config is empty"})
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, invalid([]string{"config: expected an object, got " + jsonx.TypeName(raw)})
	}
	return fromMap(m, keyLines(data))
}

// decode reads JSON or YAML into JSON-shaped Go values: map[string]any,
// []any, float64, string, bool and nil, as encoding/json would give, so a
// config behaves the same whether it came from a file or from Port.
func decode(data []byte) (any, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil
	}
	// JSON is YAML, but JSON indented with tabs is not always accepted by
	// the YAML scanner, so JSON-looking input gets the JSON decoder first.
	if trimmed[0] == '{' {
		var v any
		if err := json.Unmarshal(trimmed, &v); err == nil {
			return v, nil
		}
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("config: %v", err)
	}
	return jsonShape(v), nil
}

// jsonShape converts what yaml.v3 produces into encoding/json's shapes.
func jsonShape(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonShape(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = jsonShape(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = jsonShape(x)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	case *big.Int:
		f, _ := new(big.Float).SetInt(t).Float64()
		return f
	case time.Time:
		// Ocean converts dates to ISO strings before evaluation.
		return t.Format(time.RFC3339Nano)
	}
	return v
}

// FromMap parses an already decoded config (e.g. the integration object's
// "config" from Port). The map is not modified.
func FromMap(m map[string]any) (*Config, error) {
	return fromMap(m, nil)
}

func fromMap(m map[string]any, lines map[string]int) (*Config, error) {
	if len(m) == 0 {
		return nil, invalid([]string{"config is empty"})
	}
	p := &parser{lines: lines}
	cfg := p.config(m)
	if len(p.problems) > 0 {
		return nil, &ParseError{Problems: p.problems}
	}
	cfg.Warnings = p.warnings
	cfg.Lines = Lines{lines}
	return cfg, nil
}

// parser collects every problem of a config, each naming its field path
// and, when the source was text, its line.
type parser struct {
	lines    map[string]int // field path → line, from keyLines
	problems []ParseProblem
	warnings []Warning
}

func (p *parser) fail(path, kind, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if kind != "" {
		msg += fmt.Sprintf(" (kind %q)", kind)
	}
	p.problems = append(p.problems, ParseProblem{Path: path, Line: lineOf(p.lines, path), Message: msg})
}

func (p *parser) warn(path, kind, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if kind != "" {
		msg += fmt.Sprintf(" (kind %q)", kind)
	}
	p.warnings = append(p.warnings, Warning{Path: path, Line: lineOf(p.lines, path), Message: msg})
}

// topLevel names the top-level keys tide reads, with the snake_case
// spellings Ocean's PortAppConfig also accepts
// (docs/ocean-compatibility.md#top-level-fields).
var topLevel = map[string]string{
	"enableMergeEntity":               "enableMergeEntity",
	"enable_merge_entity":             "enableMergeEntity",
	"deleteDependentEntities":         "deleteDependentEntities",
	"delete_dependent_entities":       "deleteDependentEntities",
	"createMissingRelatedEntities":    "createMissingRelatedEntities",
	"create_missing_related_entities": "createMissingRelatedEntities",
	"entityDeletionThreshold":         "entityDeletionThreshold",
	"entity_deletion_threshold":       "entityDeletionThreshold",
	"resources":                       "resources",
}

func (p *parser) config(m map[string]any) *Config {
	cfg := &Config{
		// Ocean's code defaults, not the false its framework guide states.
		EnableMergeEntity:            true,
		DeleteDependentEntities:      true,
		CreateMissingRelatedEntities: true,
		EntityDeletionThreshold:      0.9,
	}
	// The camelCase alias wins when both spellings are present.
	get := func(camel string) (any, string, bool) {
		if v, ok := m[camel]; ok {
			return v, camel, true
		}
		for snake, c := range topLevel {
			if c == camel && snake != camel {
				if v, ok := m[snake]; ok {
					return v, snake, true
				}
			}
		}
		return nil, "", false
	}
	for _, f := range []struct {
		key string
		dst *bool
	}{
		{"enableMergeEntity", &cfg.EnableMergeEntity},
		{"deleteDependentEntities", &cfg.DeleteDependentEntities},
		{"createMissingRelatedEntities", &cfg.CreateMissingRelatedEntities},
	} {
		if v, name, ok := get(f.key); ok && v != nil {
			b, ok := toBool(v)
			if !ok {
				p.fail(name, "", "expected a boolean, got %s", describe(v))
				continue
			}
			*f.dst = b
		}
	}
	if v, name, ok := get("entityDeletionThreshold"); ok && v != nil {
		f, ok := toFloat(v)
		switch {
		case !ok:
			p.fail(name, "", "expected a number between 0 and 1, got %s", describe(v))
		case math.IsNaN(f) || f < 0 || f > 1:
			p.fail(name, "", "must be between 0 and 1, got %v", f)
		default:
			cfg.EntityDeletionThreshold = f
		}
	}
	p.checkKeys("", "", m, oceanTopKeys, false)
	for k, v := range m {
		if _, ok := topLevel[k]; !ok {
			if cfg.Extra == nil {
				cfg.Extra = map[string]any{}
			}
			cfg.Extra[k] = v
		}
	}
	switch rs := m["resources"].(type) {
	case nil:
		// Ocean reads a missing resources list as no blocks, and a sync with
		// no blocks deletes every entity the integration owns.
		p.fail("resources", "", "required: the mapping has no resource blocks")
	case []any:
		if len(rs) == 0 {
			p.fail("resources", "", "empty: the mapping has no resource blocks")
		}
		cfg.Resources = make([]Resource, 0, len(rs))
		for i, r := range rs {
			cfg.Resources = append(cfg.Resources, p.resource(i, r))
		}
	default:
		p.fail("resources", "", "expected a list, got %s", describe(rs))
	}
	return cfg
}

func (p *parser) resource(i int, v any) Resource {
	path := fmt.Sprintf("resources[%d]", i)
	var r Resource
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, "", "expected an object, got %s", describe(v))
		return r
	}
	kind, _ := m["kind"].(string)
	p.checkKeys(path, kind, m, resourceKeys, true)
	switch k := m["kind"].(type) {
	case nil:
		p.fail(path+".kind", "", "required")
	case string:
		if k == "" {
			p.fail(path+".kind", "", "must not be empty")
		}
		r.Kind = k
	default:
		p.fail(path+".kind", "", "expected a string, got %s", describe(k))
	}
	r.Selector = p.selector(path+".selector", r.Kind, m["selector"])
	r.Port = p.port(path+".port", r.Kind, m["port"])
	return r
}

func (p *parser) selector(path, kind string, v any) Selector {
	var s Selector
	m, ok := p.object(path, kind, v)
	if !ok {
		return s
	}
	// Other selector keys belong to the kind: the integration checks them.
	for _, k := range sortedKeys(m) {
		if !contains(selectorKeys, k) && Suggest(k, selectorKeys) == "query" {
			p.fail(path+"."+k, kind, "unknown key %q; did you mean %q?", k, "query")
		}
	}
	switch q := m["query"].(type) {
	case nil:
		p.fail(path+".query", kind, "required")
	case string:
		if strings.TrimSpace(q) == "" {
			p.fail(path+".query", kind, "must not be empty")
		}
		s.Query = q
	case bool:
		// A bare YAML `query: true` is common in real configs; it means
		// the JQ program `true`.
		s.Query = strconv.FormatBool(q)
	default:
		p.fail(path+".query", kind, "expected a JQ expression (string), got %s", describe(q))
	}
	for k, x := range m {
		if k == "query" {
			continue
		}
		if s.Extra == nil {
			s.Extra = map[string]any{}
		}
		s.Extra[k] = x
	}
	return s
}

func (p *parser) port(path, kind string, v any) Port {
	pt := Port{ItemsToParseName: "item", ItemsToParseTopLevelTransform: true}
	m, ok := p.object(path, kind, v)
	if !ok {
		return pt
	}
	p.checkKeys(path, kind, m, portKeys, true)
	// Only the camelCase spelling is read for these three, as in Ocean.
	switch x := m["itemsToParse"].(type) {
	case nil:
	case string:
		pt.ItemsToParse = x
	default:
		p.fail(path+".itemsToParse", kind, "expected a JQ expression (string), got %s", describe(x))
	}
	switch x := m["itemsToParseName"].(type) {
	case nil:
	case string:
		if x == "" {
			p.fail(path+".itemsToParseName", kind, "must not be empty")
		} else {
			pt.ItemsToParseName = x
		}
	default:
		p.fail(path+".itemsToParseName", kind, "expected a string, got %s", describe(x))
	}
	if x, ok := m["itemsToParseTopLevelTransform"]; ok && x != nil {
		b, ok := toBool(x)
		if !ok {
			p.fail(path+".itemsToParseTopLevelTransform", kind, "expected a boolean, got %s", describe(x))
		} else {
			pt.ItemsToParseTopLevelTransform = b
		}
	}
	em, ok := p.object(path+".entity", kind, m["entity"])
	if !ok {
		return pt
	}
	p.checkKeys(path+".entity", kind, em, entityKeys, true)
	mpath := path + ".entity.mappings"
	mv := em["mappings"]
	if list, isList := mv.([]any); isList {
		// Port's schema also allows a list of mappings; tide maps one
		// entity per item and block, so only a one-element list is taken.
		switch len(list) {
		case 0:
			p.fail(mpath, kind, "empty list")
			return pt
		case 1:
			mv = list[0]
			mpath += "[0]"
		default:
			p.fail(mpath, kind, "%d mappings given; tide supports one mapping per resource block (split it into several blocks)", len(list))
			return pt
		}
	}
	mm, ok := p.object(mpath, kind, mv)
	if !ok {
		return pt
	}
	pt.Entity = p.mappings(mpath, kind, mm)
	return pt
}

func (p *parser) mappings(path, kind string, m map[string]any) EntityMapping {
	var em EntityMapping
	p.checkKeys(path, kind, m, mappingsKeys, true)
	switch v := m["identifier"].(type) {
	case nil:
		p.fail(path+".identifier", kind, "required")
	case map[string]any:
		em.Identifier = p.searchQuery(path+".identifier", kind, v)
	default:
		if s, ok := p.leaf(path+".identifier", kind, v); ok {
			if strings.TrimSpace(s) == "" {
				p.fail(path+".identifier", kind, "must not be empty")
			}
			em.Identifier = s
		}
	}
	switch v := m["blueprint"].(type) {
	case nil:
		p.fail(path+".blueprint", kind, "required")
	default:
		if s, ok := p.leaf(path+".blueprint", kind, v); ok {
			if strings.TrimSpace(s) == "" {
				p.fail(path+".blueprint", kind, "must not be empty")
			}
			em.Blueprint = s
		}
	}
	// An explicit null is read as absent: tide sends only what is mapped.
	for _, f := range []struct {
		key string
		dst **string
	}{{"title", &em.Title}, {"icon", &em.Icon}} {
		if v := m[f.key]; v != nil {
			if s, ok := p.leaf(path+"."+f.key, kind, v); ok {
				*f.dst = &s
			}
		}
	}
	switch v := m["team"].(type) {
	case nil:
	case map[string]any:
		em.Team = p.searchQuery(path+".team", kind, v)
	default:
		if s, ok := p.leaf(path+".team", kind, v); ok {
			em.Team = s
		}
	}
	em.Properties = p.fieldMap(path+".properties", kind, m["properties"])
	em.Relations = p.fieldMap(path+".relations", kind, m["relations"])
	return em
}

// fieldMap reads properties or relations: a map whose values are JQ
// strings or nested objects/arrays of them (search queries, structured
// properties).
func (p *parser) fieldMap(path, kind string, v any) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(path, kind, "expected an object, got %s", describe(v))
		return nil
	}
	out := make(map[string]any, len(m))
	for _, k := range sortedKeys(m) {
		if t, ok := p.tree(path+"."+k, kind, m[k]); ok {
			out[k] = t
		}
	}
	return out
}

// searchQuery reads an identifier or team given as a search query.
func (p *parser) searchQuery(path, kind string, m map[string]any) map[string]any {
	if _, ok := m["combinator"]; !ok {
		p.fail(path+".combinator", kind, "required in a search query")
	}
	if _, ok := m["rules"].([]any); !ok {
		if m["rules"] == nil {
			p.fail(path+".rules", kind, "required in a search query")
		} else {
			p.fail(path+".rules", kind, "expected a list, got %s", describe(m["rules"]))
		}
	}
	t, _ := p.tree(path, kind, m)
	out, _ := t.(map[string]any)
	return out
}

// tree copies a mapping value whose leaves are JQ expressions.
func (p *parser) tree(path, kind string, v any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		ok := true
		for _, k := range sortedKeys(t) {
			c, good := p.tree(path+"."+k, kind, t[k])
			out[k] = c
			ok = ok && good
		}
		return out, ok
	case []any:
		out := make([]any, len(t))
		ok := true
		for i, x := range t {
			c, good := p.tree(path+"."+strconv.Itoa(i), kind, x)
			out[i] = c
			ok = ok && good
		}
		return out, ok
	default:
		return p.leaf(path, kind, v)
	}
}

// leaf reads one JQ expression. A YAML scalar that is not a string (true,
// 3) is taken as the JQ program of the same text, which is what its author
// meant.
func (p *parser) leaf(path, kind string, v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case int:
		return strconv.Itoa(t), true
	case json.Number:
		return t.String(), true
	}
	p.fail(path, kind, "expected a JQ expression (string), got %s", describe(v))
	return "", false
}

func (p *parser) object(path, kind string, v any) (map[string]any, bool) {
	switch t := v.(type) {
	case nil:
		p.fail(path, kind, "required")
	case map[string]any:
		return t, true
	default:
		p.fail(path, kind, "expected an object, got %s", describe(v))
	}
	return nil, false
}

// toBool accepts what pydantic v1 coerces to bool, since Ocean validates
// the config with it.
func toBool(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case float64:
		if t == 0 || t == 1 {
			return t == 1, true
		}
	case int:
		if t == 0 || t == 1 {
			return t == 1, true
		}
	case string:
		switch strings.ToLower(t) {
		case "1", "true", "yes", "on", "t", "y":
			return true, true
		case "0", "false", "no", "off", "f", "n":
			return false, true
		}
	}
	return false, false
}

func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil
	}
	return 0, false
}

// describe names a config value's type (and short value) for an error.
func describe(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("string %q", t)
	case bool, float64, int:
		return fmt.Sprintf("%s %v", jsonx.TypeName(v), t)
	}
	return jsonx.TypeName(v)
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
