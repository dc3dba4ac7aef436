// Package catalog is tide's model of Port's software-catalog rules: a
// blueprint definition parsed once from Port's JSON shape, and the checks
// Port applies to an entity written against it (identifier, title, team,
// unknown properties and relations, property types, formats and enums,
// required properties and relations, single versus many relations, relation
// targets).
//
// One model serves every place that needs Port's rules: the engine, to
// check an entity before sending it; the local target behind
// --port-url local:PATH; and the test fake that wraps it. Which rules Port
// documents and which are inferred from its behaviour is recorded in
// docs/port-api.md.
package catalog

import (
	"net/http"
	"strings"
)

// Rule names the check a value broke.
type Rule string

// The rules of an entity write and of a blueprint definition.
const (
	RuleBody             Rule = "body"              // properties or relations not an object
	RuleIdentifier       Rule = "identifier"        // pattern, length, type
	RuleTitle            Rule = "title"             // not a string
	RuleIcon             Rule = "icon"              // not a string
	RuleTeam             Rule = "team"              // not a string, a list of strings or a query
	RuleUnknownProperty  Rule = "unknown-property"  // not in the blueprint's schema
	RuleUnknownRelation  Rule = "unknown-relation"  // not in the blueprint's relations
	RuleType             Rule = "type"              // wrong JSON type for the property
	RuleFormat           Rule = "format"            // breaks the property's format
	RuleEnum             Rule = "enum"              // not one of the property's values
	RuleRequiredProperty Rule = "required-property" // a required property missing or null
	RuleRequiredRelation Rule = "required-relation" // a required relation missing or null
	RuleRelationValue    Rule = "relation-value"    // a list for a single relation, a bad identifier
	RuleRelationTarget   Rule = "relation-target"   // the relation's target blueprint does not exist
	RuleRelatedEntity    Rule = "related-entity"    // the related entity does not exist
	RuleBlueprint        Rule = "blueprint"         // a blueprint definition Port would refuse
)

// Status is the HTTP status Port answers a write breaking the rule with.
// Port documents 404 for a missing blueprint or related entity and 422 for
// a body that does not match the route's or the blueprint's schema.
func (r Rule) Status() int {
	switch r {
	case RuleRelationTarget, RuleRelatedEntity:
		return http.StatusNotFound
	}
	return http.StatusUnprocessableEntity
}

// Code is the `error` field of Port's error body for the rule. Port
// documents only "not_found"; the others are tide's names for Port's
// unnamed 422s (docs/port-api.md says which).
func (r Rule) Code() string {
	switch r {
	case RuleRelationTarget, RuleRelatedEntity:
		return "not_found"
	case RuleIdentifier:
		return "invalid_identifier"
	case RuleTeam:
		return "invalid_team"
	case RuleUnknownProperty:
		return "unknown_property"
	case RuleUnknownRelation:
		return "unknown_relation"
	case RuleType, RuleFormat, RuleEnum:
		return "invalid_property_value"
	case RuleRequiredProperty:
		return "missing_required_property"
	case RuleRequiredRelation:
		return "missing_required_relation"
	case RuleRelationValue:
		return "invalid_relation"
	}
	return "invalid_request"
}

// Violation is one rule a value breaks, at a path in Port's JSON shape
// ("identifier", "properties.owner", "relations.team[1]",
// "schema.properties.url.format").
type Violation struct {
	Path    string
	Rule    Rule
	Message string
}

func (v Violation) Error() string { return v.Path + ": " + v.Message }

// Violations is every rule an entity or a blueprint breaks, in a stable
// order (the order of the fields in Port's JSON shape, keys sorted).
type Violations []Violation

// Error joins the violations; it is never called on an empty list.
func (vs Violations) Error() string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Error()
	}
	return strings.Join(parts, "; ")
}

// Status is the HTTP status Port answers with: the first violation's.
func (vs Violations) Status() int { return vs[0].Rule.Status() }

// Code is Port's `error` code: the first violation's.
func (vs Violations) Code() string { return vs[0].Rule.Code() }

// Err returns vs as an error, or nil when it is empty.
func (vs Violations) Err() error {
	if len(vs) == 0 {
		return nil
	}
	return vs
}
