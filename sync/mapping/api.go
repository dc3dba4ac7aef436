// Package mapping parses Ocean's port-app-config, compiles its JQ
// expressions once, and turns raw vendor items into Port entities.
package mapping

// ---- Parsed configuration (docs/ocean-compatibility.md#mapping-language) ----

// Config is a parsed port-app-config.
type Config struct {
	EnableMergeEntity            bool    // default true
	DeleteDependentEntities      bool    // default true
	CreateMissingRelatedEntities bool    // default true
	EntityDeletionThreshold      float64 // default 0.9, 0 ≤ x ≤ 1
	Resources                    []Resource
	// Extra holds unknown top-level keys (e.g. GitHub's repositoryType),
	// passed to the integration unchanged.
	Extra map[string]any
	// Warnings lists keys tide ignores (not near misses of a known key).
	Warnings []Warning

	// Lines says where each field is in the source text.
	Lines Lines
}

// Lines maps field paths to lines of a config's source text.
type Lines struct{ m map[string]int }

// Line returns the line of a field path (e.g. "resources[1].selector.files"),
// or of its nearest enclosing field; 0 when the config did not come from
// text.
func (l Lines) Line(path string) int { return lineOf(l.m, path) }

// Equal says two configs' line tables never make them differ: where a key
// sits is not part of what the config means.
func (Lines) Equal(Lines) bool { return true }

// Resource is one resource block.
type Resource struct {
	Kind     string
	Selector Selector
	Port     Port
}

// Selector is a block's selector: the JQ query plus pass-through fields.
type Selector struct {
	Query string
	// Extra holds every other selector key, passed to the integration.
	Extra map[string]any
}

// Port is a block's port section.
type Port struct {
	ItemsToParse                  string // "" when unset
	ItemsToParseName              string // default "item"
	ItemsToParseTopLevelTransform bool   // default true
	Entity                        EntityMapping
}

// EntityMapping holds the JQ expressions of port.entity.mappings. Leaves are
// strings (JQ); search-query objects are map[string]any / []any trees whose
// string leaves are JQ.
type EntityMapping struct {
	Identifier any // string or search-query object
	Blueprint  string
	Title      *string
	Icon       *string
	Team       any            // nil when absent; string or search-query object
	Properties map[string]any // nil when absent; values are strings or nested objects
	Relations  map[string]any // nil when absent; values are strings or search-query objects
}

// ---- Entities ----

// Field bits say which optional entity fields a mapping sets; only those are
// sent to Port and compared in the diff (Ocean dumps with exclude_unset).
type Field uint8

const (
	HasTitle Field = 1 << iota
	HasIcon
	HasTeam
	HasProperties
	HasRelations
)

// Entity is one mapped entity.
type Entity struct {
	// Identifier is a string, or a search-query object (map[string]any).
	// Numbers are converted to their decimal text.
	Identifier any
	Blueprint  string
	Title      any
	Icon       any
	Team       any
	Properties map[string]any
	Relations  map[string]any
	Has        Field
	// Omitted lists the mapped fields left out of this entity because
	// their expression raised an error (e.g. "title", "properties.url"):
	// with a merge upsert Port keeps their value.
	Omitted []string
}

// Misconfig is one mapping leaf that produced null for an item, or failed.
type Misconfig struct {
	Field string // dot path, e.g. "properties.url"
	Expr  string // the JQ text as written
	Err   string // the runtime error's first line; "" when the value was just null
}

// Outcome is the result of one (expanded) item through a block.
type Outcome struct {
	// Entity is nil when the selector said false or the entity was rejected
	// (identifier or blueprint not truthy).
	Entity *Entity
	// Filtered is true when the selector said false.
	Filtered bool
	// Misconfigured lists leaves that came out null or failed, sorted by Field.
	Misconfigured []Misconfig
	// Warning is set when a parent item was skipped whole (itemsToParse did
	// not yield a list); Entity is then nil.
	Warning string
}
