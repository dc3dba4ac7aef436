package catalog

import (
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Sources cited below:
//
//	[entity-api]  Port's OpenAPI, POST /v1/blueprints/{blueprint_identifier}/entities:
//	              the request body schema (identifier pattern and maxLength,
//	              title, team, relations) and the 404/422 responses.
//	[bp-api]      Port's OpenAPI, POST /v1/blueprints: schema.properties.*.type
//	              and .format enums, schema.required ("must be provided when
//	              creating an entity"), relations {target, required, many}.
//	[props]       https://docs.port.io/build-your-software-catalog/customize-integrations/configure-data-model/setup-blueprint/properties/
//	              and its pages per type (email, url, datetime, timer, ip, enum).
//	[relations]   https://docs.port.io/build-your-software-catalog/customize-integrations/configure-data-model/relate-blueprints/

func loadSet(t *testing.T) Set {
	t.Helper()
	b, err := os.ReadFile("testdata/blueprints.json")
	if err != nil {
		t.Fatal(err)
	}
	var raws []map[string]any
	if err := json.Unmarshal(b, &raws); err != nil {
		t.Fatal(err)
	}
	set := Set{}
	for _, raw := range raws {
		bp, err := ParseBlueprint(raw)
		if err != nil {
			t.Fatalf("blueprint %v: %v", raw["identifier"], err)
		}
		set[bp.Identifier] = bp
	}
	return set
}

// valid is an entity of blueprint "service" that breaks no rule; each case
// changes one thing.
func valid() Entity {
	return Entity{
		Identifier: "payments-api",
		Title:      "Payments API",
		Team:       []any{"platform"},
		Properties: map[string]any{"owner": "alice", "language": "go"},
		Relations:  map[string]any{"team": "platform"},
	}
}

type ruleCase struct {
	name  string
	edit  func(e *Entity)
	patch bool  // ValidatePatch instead of Validate
	want  []got // nil: no violation
}

type got struct {
	Path string
	Rule Rule
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	set := loadSet(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := valid()
			tc.edit(&e)
			var vs Violations
			if tc.patch {
				vs = set["service"].ValidatePatch(e, set)
			} else {
				vs = set["service"].Validate(e, set)
			}
			var gotVs []got
			for _, v := range vs {
				gotVs = append(gotVs, got{v.Path, v.Rule})
				if v.Message == "" {
					t.Errorf("%s: empty message", v.Path)
				}
			}
			if diff := cmp.Diff(tc.want, gotVs); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%v", diff, vs)
			}
		})
	}
}

func TestValidEntity(t *testing.T) {
	t.Parallel()
	runRuleCases(t, []ruleCase{{name: "as is", edit: func(*Entity) {}}})
}

// [entity-api] identifier: pattern ^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/=-]+$,
// maxLength 1000, or a search query object.
func TestRuleIdentifier(t *testing.T) {
	t.Parallel()
	id := func(v any) func(*Entity) { return func(e *Entity) { e.Identifier = v } }
	bad := []got{{"identifier", RuleIdentifier}}
	runRuleCases(t, []ruleCase{
		{name: "every allowed character", edit: id(`a1-_.+:\/=@ß`)},
		{name: "1000 characters", edit: id(strings.Repeat("é", 1000))},
		{name: "1001 characters", edit: id(strings.Repeat("a", 1001)), want: bad},
		{name: "a space", edit: id("a b"), want: bad},
		{name: "a hash", edit: id("a#b"), want: bad},
		{name: "empty", edit: id(""), want: bad},
		{name: "dot", edit: id("."), want: bad},
		{name: "dot dot", edit: id(".."), want: bad},
		{name: "three dots", edit: id("...")},
		{name: "search query", edit: id(map[string]any{"combinator": "and", "rules": []any{}})},
		{name: "a number", edit: id(12.0), want: bad},
		{name: "absent", edit: id(nil), want: bad},
	})
}

// [entity-api] title and icon: strings. A null is accepted (Ocean sends
// one when the mapped value is null; inferred, see docs/port-api.md).
func TestRuleTitleIcon(t *testing.T) {
	t.Parallel()
	runRuleCases(t, []ruleCase{
		{name: "null title", edit: func(e *Entity) { e.Title = nil }},
		{name: "number title", edit: func(e *Entity) { e.Title = 3.0 }, want: []got{{"title", RuleTitle}}},
		{name: "list icon", edit: func(e *Entity) { e.Icon = []any{"x"} }, want: []got{{"icon", RuleIcon}}},
	})
}

// [entity-api] team: a string, an array of strings, or a search query.
func TestRuleTeam(t *testing.T) {
	t.Parallel()
	team := func(v any) func(*Entity) { return func(e *Entity) { e.Team = v } }
	runRuleCases(t, []ruleCase{
		{name: "string", edit: team("platform")},
		{name: "list", edit: team([]any{"a", "b"})},
		{name: "empty list", edit: team([]any{})},
		{name: "null", edit: team(nil)},
		{name: "search query", edit: team(map[string]any{"combinator": "and", "rules": []any{}})},
		{name: "number", edit: team(1.0), want: []got{{"team", RuleTeam}}},
		{name: "list holding a number", edit: team([]any{"a", 2.0}), want: []got{{"team[1]", RuleTeam}}},
	})
}

// [props] an entity's properties are the blueprint's; [entity-api] 422
// "does not match the route's schema".
func TestRuleUnknownPropertyAndRelation(t *testing.T) {
	t.Parallel()
	runRuleCases(t, []ruleCase{
		{name: "unknown property", edit: func(e *Entity) { e.Properties["colour"] = "red" }, want: []got{{"properties.colour", RuleUnknownProperty}}},
		{name: "unknown relation", edit: func(e *Entity) { e.Relations["parent"] = "x" }, want: []got{{"relations.parent", RuleUnknownRelation}}},
		// Mirror and calculation properties are Port's to compute.
		{name: "calculation property written", edit: func(e *Entity) { e.Properties["link"] = "x" }, want: []got{{"properties.link", RuleUnknownProperty}}},
	})
}

// [bp-api][props] type: string, number, boolean, object, array; a value of
// another JSON type is refused.
func TestRuleType(t *testing.T) {
	t.Parallel()
	prop := func(k string, v any) func(*Entity) { return func(e *Entity) { e.Properties[k] = v } }
	runRuleCases(t, []ruleCase{
		{name: "string", edit: prop("language", "go")},
		{name: "number", edit: prop("replicas", 3.0)},
		{name: "integer from gojq", edit: prop("replicas", 3)},
		{name: "big integer", edit: prop("replicas", new(big.Int).Lsh(big.NewInt(1), 80))},
		{name: "json.Number", edit: prop("replicas", json.Number("3.50"))},
		{name: "boolean", edit: prop("healthy", true)},
		{name: "object", edit: prop("labels", map[string]any{"a": "b"})},
		{name: "array", edit: prop("tags", []any{"a"})},
		{name: "null", edit: prop("replicas", nil)},
		{name: "number as string", edit: prop("replicas", "3"), want: []got{{"properties.replicas", RuleType}}},
		{name: "string as number", edit: prop("language", 1.0), want: []got{{"properties.language", RuleType}}},
		{name: "boolean as string", edit: prop("healthy", "true"), want: []got{{"properties.healthy", RuleType}}},
		{name: "object as array", edit: prop("labels", []any{}), want: []got{{"properties.labels", RuleType}}},
		{name: "array as string", edit: prop("tags", "a"), want: []got{{"properties.tags", RuleType}}},
		{name: "array item of the wrong type", edit: prop("tags", []any{"a", 1.0}), want: []got{{"properties.tags[1]", RuleType}}},
	})
}

// [bp-api] format enum; [props] email, url, date-time, timer and ip pages:
// the value must be of the format.
func TestRuleFormat(t *testing.T) {
	t.Parallel()
	prop := func(k string, v any) func(*Entity) { return func(e *Entity) { e.Properties[k] = v } }
	bad := func(path string) []got { return []got{{path, RuleFormat}} }
	runRuleCases(t, []ruleCase{
		{name: "email", edit: prop("onCall", "alice@example.com")},
		{name: "email plus tag", edit: prop("onCall", "alice+oncall@mail.example.co.uk")},
		{name: "email without @", edit: prop("onCall", "alice.example.com"), want: bad("properties.onCall")},
		{name: "email without domain dot", edit: prop("onCall", "alice@localhost"), want: bad("properties.onCall")},
		{name: "email with space", edit: prop("onCall", "alice smith@example.com"), want: bad("properties.onCall")},
		{name: "email two @", edit: prop("onCall", "a@b@example.com"), want: bad("properties.onCall")},
		{name: "email empty", edit: prop("onCall", ""), want: bad("properties.onCall")},
		{name: "email null", edit: prop("onCall", nil)},
		{name: "idn-email", edit: prop("intlEmail", "a-mí@उदाहरण.com")},
		{name: "idn-email without @", edit: prop("intlEmail", "a-mí"), want: bad("properties.intlEmail")},
		{name: "email items", edit: prop("watchers", []any{"a@example.com", "nope"}), want: bad("properties.watchers[1]")},
		{name: "url", edit: prop("url", "https://github.com/acme/pay")},
		{name: "url without scheme", edit: prop("url", "github.com/acme/pay"), want: bad("properties.url")},
		{name: "url relative", edit: prop("url", "/acme/pay"), want: bad("properties.url")},
		{name: "date-time", edit: prop("deployedAt", "2024-06-09T09:57:52.931Z")},
		{name: "date-time with offset", edit: prop("deployedAt", "2024-06-09T11:57:52+02:00")},
		{name: "date-time with a colonless offset, as Jira writes it", edit: prop("deployedAt", "2025-06-25T07:30:00.000+0000")},
		{name: "date-time with an hour offset and a space", edit: prop("deployedAt", "2025-06-25 07:30:00-05")},
		{name: "date-time without a zone", edit: prop("deployedAt", "2025-06-25T07:30:00"), want: bad("properties.deployedAt")},
		{name: "date-time out of range", edit: prop("deployedAt", "2025-02-30T07:30:00Z"), want: bad("properties.deployedAt")},
		{name: "date-time with a bad offset", edit: prop("deployedAt", "2025-06-25T07:30:00+0"), want: bad("properties.deployedAt")},
		{name: "date only", edit: prop("deployedAt", "2024-06-09"), want: bad("properties.deployedAt")},
		{name: "timer", edit: prop("ttl", "2022-04-18T11:44:15.345Z")},
		{name: "timer in words", edit: prop("ttl", "tomorrow"), want: bad("properties.ttl")},
		{name: "ipv4", edit: prop("ip", "10.0.0.1")},
		{name: "ipv4 given ipv6", edit: prop("ip", "::1"), want: bad("properties.ip")},
		{name: "ipv4 out of range", edit: prop("ip", "10.0.0.256"), want: bad("properties.ip")},
		{name: "ipv6", edit: prop("ip6", "2001:db8::1")},
		{name: "ipv6 given ipv4", edit: prop("ip6", "10.0.0.1"), want: bad("properties.ip6")},
		{name: "markdown takes any string", edit: prop("readme", "# hi\n*there*")},
	})
}

// [props] enum: the value must be one of the listed values; numbers compare
// by value.
func TestRuleEnum(t *testing.T) {
	t.Parallel()
	prop := func(k string, v any) func(*Entity) { return func(e *Entity) { e.Properties[k] = v } }
	runRuleCases(t, []ruleCase{
		{name: "listed", edit: prop("tier", "Internal")},
		{name: "not listed", edit: prop("tier", "internal"), want: []got{{"properties.tier", RuleEnum}}},
		{name: "number listed", edit: prop("level", 2.0)},
		{name: "number listed, other Go type", edit: prop("level", json.Number("2.0"))},
		{name: "number not listed", edit: prop("level", 4), want: []got{{"properties.level", RuleEnum}}},
		{name: "null", edit: prop("tier", nil)},
		{name: "array items", edit: prop("tags", []any{"a", "c"}), want: []got{{"properties.tags[1]", RuleEnum}}},
	})
}

// [bp-api] schema.required: required properties "must be provided when
// creating an entity"; a null does not provide one. A merging update that
// leaves the property out keeps the stored value.
func TestRuleRequiredProperty(t *testing.T) {
	t.Parallel()
	missing := []got{{"properties.owner", RuleRequiredProperty}}
	runRuleCases(t, []ruleCase{
		{name: "absent", edit: func(e *Entity) { delete(e.Properties, "owner") }, want: missing},
		{name: "null", edit: func(e *Entity) { e.Properties["owner"] = nil }, want: missing},
		{name: "no properties at all", edit: func(e *Entity) { e.Properties = nil }, want: missing},
		{name: "empty string is a value", edit: func(e *Entity) { e.Properties["owner"] = "" }},
		{name: "patch, absent", patch: true, edit: func(e *Entity) { delete(e.Properties, "owner") }},
		{name: "patch, null", patch: true, edit: func(e *Entity) { e.Properties["owner"] = nil }, want: missing},
	})
}

// [relations][bp-api] a relation with required: true must be set; many
// decides a single identifier or a list; values are entity identifiers,
// null, or a search query ([entity-api] relations.additionalProperties).
func TestRuleRelations(t *testing.T) {
	t.Parallel()
	rel := func(k string, v any) func(*Entity) { return func(e *Entity) { e.Relations[k] = v } }
	required := []got{{"relations.team", RuleRequiredRelation}}
	runRuleCases(t, []ruleCase{
		{name: "required absent", edit: func(e *Entity) { delete(e.Relations, "team") }, want: required},
		{name: "required null", edit: rel("team", nil), want: required},
		{name: "patch, required absent", patch: true, edit: func(e *Entity) { delete(e.Relations, "team") }},
		{name: "patch, required null", patch: true, edit: rel("team", nil), want: required},
		{name: "required by search query", edit: rel("team", map[string]any{"combinator": "and", "rules": []any{}})},
		{name: "optional null", edit: rel("system", nil)},
		{name: "single given a list", edit: rel("system", []any{"a"}), want: []got{{"relations.system", RuleRelationValue}}},
		{name: "many given a list", edit: rel("dependsOn", []any{"a", "b"})},
		{name: "many given one identifier", edit: rel("dependsOn", "a")},
		{name: "many given an empty list", edit: rel("dependsOn", []any{})},
		{name: "list holding a number", edit: rel("dependsOn", []any{"a", 1.0}), want: []got{{"relations.dependsOn[1]", RuleRelationValue}}},
		{name: "bad identifier", edit: rel("system", "a b"), want: []got{{"relations.system", RuleRelationValue}}},
		{name: "a number", edit: rel("system", 1.0), want: []got{{"relations.system", RuleRelationValue}}},
	})
}

// [entity-api] 404 "A resource with the provided identifier was not found":
// a relation whose target blueprint does not exist.
func TestRuleRelationTargetBlueprint(t *testing.T) {
	t.Parallel()
	set := loadSet(t)
	noSystem := Set{"service": set["service"], "team": set["team"]}
	e := valid()
	e.Relations["system"] = "payments"
	vs := set["service"].Validate(e, noSystem)
	if diff := cmp.Diff([]got{{"relations.system", RuleRelationTarget}}, []got{{vs[0].Path, vs[0].Rule}}); diff != "" || len(vs) != 1 {
		t.Fatalf("violations: %v", vs)
	}
	if vs.Status() != http.StatusNotFound || vs.Code() != "not_found" {
		t.Fatalf("status %d code %q, want 404 not_found", vs.Status(), vs.Code())
	}
	// A self relation needs no other blueprint.
	e = valid()
	e.Relations["dependsOn"] = []any{"x"}
	if vs := set["service"].Validate(e, Set{"team": set["team"]}); len(vs) != 0 {
		t.Fatalf("self relation: %v", vs)
	}
}

// Violations carry Port's error shape: the status and `error` code of the
// first, every message joined.
func TestViolationsError(t *testing.T) {
	t.Parallel()
	set := loadSet(t)
	e := valid()
	e.Properties["replicas"] = "three"
	e.Properties["onCall"] = "nobody"
	vs := set["service"].Validate(e, set)
	var err error = vs
	var as Violations
	if !errors.As(err, &as) || len(as) != 2 {
		t.Fatalf("errors.As: %v", err)
	}
	if vs.Status() != http.StatusUnprocessableEntity || vs.Code() != "invalid_property_value" {
		t.Fatalf("status %d code %q", vs.Status(), vs.Code())
	}
	want := `properties.onCall: "nobody" is not an email address; properties.replicas: want number, got string`
	if err.Error() != want {
		t.Fatalf("Error() = %q\nwant      %q", err.Error(), want)
	}
	if (Violations{}).Err() != nil || vs.Err() == nil {
		t.Fatal("Err: nil exactly when empty")
	}
}

func TestRuleCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule   Rule
		status int
		code   string
	}{
		{RuleRelatedEntity, 404, "not_found"},
		{RuleRelationTarget, 404, "not_found"},
		{RuleRequiredProperty, 422, "missing_required_property"},
		{RuleRequiredRelation, 422, "missing_required_relation"},
		{RuleFormat, 422, "invalid_property_value"},
		{RuleUnknownProperty, 422, "unknown_property"},
		{RuleBlueprint, 422, "invalid_request"},
	}
	for _, tt := range tests {
		if tt.rule.Status() != tt.status || tt.rule.Code() != tt.code {
			t.Errorf("%s: %d %q, want %d %q", tt.rule, tt.rule.Status(), tt.rule.Code(), tt.status, tt.code)
		}
	}
}

func TestEntityFromJSON(t *testing.T) {
	t.Parallel()
	var m map[string]any
	json.Unmarshal([]byte(`{"identifier":"a","title":"A","team":"t","properties":{"x":1},"relations":{"r":null}}`), &m)
	e, vs := EntityFromJSON(m)
	want := Entity{Identifier: "a", Title: "A", Team: "t", Properties: map[string]any{"x": 1.0}, Relations: map[string]any{"r": nil}}
	if diff := cmp.Diff(want, e); diff != "" || len(vs) != 0 {
		t.Fatalf("entity (-want +got):\n%s\n%v", diff, vs)
	}
	_, vs = EntityFromJSON(map[string]any{"properties": []any{}, "relations": "x"})
	if len(vs) != 2 || vs[0].Path != "properties" || vs[1].Path != "relations" || vs[0].Rule != RuleBody {
		t.Fatalf("violations: %v", vs)
	}
}
