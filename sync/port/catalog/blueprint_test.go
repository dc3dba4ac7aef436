package catalog

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// [bp-api] POST /v1/blueprints: identifier ^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/-]+$
// (no =) at most 100, title 1..100, property and relation identifiers
// ^[A-Za-z0-9@_=\-]+$, property type and format from their enums,
// relations with a target.
func TestParseBlueprintRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
		want []string // violation paths; nil = valid
	}{
		{name: "minimal", json: `{"identifier":"svc","title":"Service"}`},
		{name: "full", json: `{"identifier":"svc","title":"Service","schema":{"properties":{"a":{"type":"string","format":"email","enum":["x@y.io"]},"b":{"type":"array","items":{"type":"string","format":"url"}}},"required":["a"]},"relations":{"r":{"target":"svc","many":true,"required":false}},"mirrorProperties":{"m":{"path":"r.$title"}}}`},
		{name: "identifier with =", json: `{"identifier":"a=b","title":"T"}`, want: []string{"identifier"}},
		{name: "identifier dot", json: `{"identifier":".","title":"T"}`, want: []string{"identifier"}},
		{name: "identifier 101", json: `{"identifier":"` + strings.Repeat("a", 101) + `","title":"T"}`, want: []string{"identifier"}},
		{name: "no title", json: `{"identifier":"svc"}`, want: []string{"title"}},
		{name: "title 101", json: `{"identifier":"svc","title":"` + strings.Repeat("t", 101) + `"}`, want: []string{"title"}},
		{name: "schema a list", json: `{"identifier":"svc","title":"T","schema":[]}`, want: []string{"schema"}},
		{name: "property id with a dot", json: `{"identifier":"svc","title":"T","schema":{"properties":{"a.b":{"type":"string"}}}}`, want: []string{"schema.properties.a.b"}},
		{name: "property without type", json: `{"identifier":"svc","title":"T","schema":{"properties":{"a":{"title":"A"}}}}`, want: []string{"schema.properties.a.type"}},
		{name: "property type integer", json: `{"identifier":"svc","title":"T","schema":{"properties":{"a":{"type":"integer"}}}}`, want: []string{"schema.properties.a.type"}},
		{name: "unknown format", json: `{"identifier":"svc","title":"T","schema":{"properties":{"a":{"type":"string","format":"uri"}}}}`, want: []string{"schema.properties.a.format"}},
		{name: "bad items format", json: `{"identifier":"svc","title":"T","schema":{"properties":{"a":{"type":"array","items":{"type":"string","format":"phone"}}}}}`, want: []string{"schema.properties.a.items.format"}},
		{name: "required names no property", json: `{"identifier":"svc","title":"T","schema":{"properties":{},"required":["a"]}}`, want: []string{"schema.required[0]"}},
		{name: "relation without target", json: `{"identifier":"svc","title":"T","relations":{"r":{"many":false}}}`, want: []string{"relations.r.target"}},
		{name: "relation many a string", json: `{"identifier":"svc","title":"T","relations":{"r":{"target":"x","many":"yes"}}}`, want: []string{"relations.r.many"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var raw map[string]any
			if err := json.Unmarshal([]byte(tt.json), &raw); err != nil {
				t.Fatal(err)
			}
			_, err := ParseBlueprint(raw)
			var got []string
			var vs Violations
			if errors.As(err, &vs) {
				for _, v := range vs {
					got = append(got, v.Path)
					if v.Rule != RuleBlueprint {
						t.Errorf("%s: rule %s", v.Path, v.Rule)
					}
				}
			} else if err != nil {
				t.Fatalf("error not Violations: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

func TestParseBlueprintModel(t *testing.T) {
	t.Parallel()
	set := loadSet(t)
	want := &Blueprint{
		Identifier: "team", Title: "Team", Properties: map[string]Property{}, Relations: map[string]Relation{},
	}
	if diff := cmp.Diff(want, set["team"]); diff != "" {
		t.Errorf("team (-want +got):\n%s", diff)
	}
	svc := set["service"]
	if diff := cmp.Diff(Relation{Target: "team", Required: true}, svc.Relations["team"]); diff != "" {
		t.Errorf("relation team (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Property{Type: "array", Items: &Property{Type: "string", Format: "email"}}, svc.Properties["watchers"]); diff != "" {
		t.Errorf("property watchers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"owner"}, svc.Required); diff != "" {
		t.Errorf("required (-want +got):\n%s", diff)
	}
}

// [relations] a relation's target must be an existing blueprint (the
// reason Port's own tools create blueprints bare, then add relations).
func TestCheckTargets(t *testing.T) {
	t.Parallel()
	set := loadSet(t)
	if vs := set["service"].CheckTargets(set); len(vs) != 0 {
		t.Fatalf("all targets present: %v", vs)
	}
	vs := set["service"].CheckTargets(Set{"service": set["service"]})
	var paths []string
	for _, v := range vs {
		paths = append(paths, v.Path)
	}
	if diff := cmp.Diff([]string{"relations.system.target", "relations.team.target"}, paths); diff != "" {
		t.Fatalf("missing targets (-want +got):\n%s", diff)
	}
	if vs.Status() != 404 || vs.Code() != "not_found" {
		t.Fatalf("status %d code %q", vs.Status(), vs.Code())
	}
}
