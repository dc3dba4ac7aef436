package mapping

import "sync"

// MarshalJSON writes the entity as Port's upsert body expects it: identifier
// and blueprint, then only the optional fields the mapping sets, null values
// included.
//
// Matches Ocean dumping the mapped entity with exclude_unset: an unmapped
// field is absent, a mapped null is sent.
func (e Entity) MarshalJSON() ([]byte, error) {
	buf := encodeBufs.Get().(*[]byte)
	b, err := e.AppendJSON((*buf)[:0])
	var out []byte
	if err == nil {
		out = make([]byte, len(b)) // one allocation of the exact size
		copy(out, b)
	}
	if cap(b) <= 64<<10 {
		*buf = b
		encodeBufs.Put(buf)
	}
	return out, err
}

// encodeBufs are scratch buffers for MarshalJSON.
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// objectOrEmpty keeps a mapped but nil properties/relations map an object.
func objectOrEmpty(m map[string]any) any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// ID returns the identifier when it is a plain string; ok is false for a
// search-query identifier, which Port resolves.
func (e *Entity) ID() (string, bool) {
	s, ok := e.Identifier.(string)
	return s, ok
}

// UsesSearch says whether the identifier, the team or any relation value
// (a list element included) is a search query. Such entities cannot be
// compared with the catalog by identifier and are always written.
//
// Matches Ocean's search-identifier/search-relation checks, and also counts
// a search-query team, which Ocean means to but does not
// (docs/ocean-compatibility.md#search-queries).
func (e *Entity) UsesSearch() bool {
	if isQuery(e.Identifier) || isQuery(e.Team) {
		return true
	}
	for _, v := range e.Relations {
		if isQuery(v) {
			return true
		}
		if list, ok := v.([]any); ok {
			for _, x := range list {
				if isQuery(x) {
					return true
				}
			}
		}
	}
	return false
}

func isQuery(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}
