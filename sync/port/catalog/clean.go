package catalog

import (
	"unicode"
	"unicode/utf8"

	"github.com/tide-sync/tide/internal/jsonx"
)

// clean says whether e breaks none of bp's rules: validate's verdict
// without its messages. Nearly every entity of a sync is clean, and
// validate's report (keys sorted, a path and a message built for each
// field) was most of a first sync's checking cost; clean walks the maps
// in any order and allocates nothing. It must agree with violations on
// every entity: when it answers false, violations lists what is broken.
func (bp *Blueprint) clean(e Entity, bps Blueprints, patch bool) bool {
	switch id := e.Identifier.(type) {
	case string:
		if !ValidEntityID(id) {
			return false
		}
	case map[string]any:
	default:
		return false
	}
	if _, ok := e.Title.(string); !ok && e.Title != nil {
		return false
	}
	if _, ok := e.Icon.(string); !ok && e.Icon != nil {
		return false
	}
	switch t := e.Team.(type) {
	case nil, string, map[string]any:
	case []any:
		for _, x := range t {
			if _, ok := x.(string); !ok {
				return false
			}
		}
	default:
		return false
	}

	for k, v := range e.Properties {
		p, ok := bp.Properties[k]
		if !ok || !p.clean(v) {
			return false
		}
	}
	for _, k := range bp.Required {
		v, set := e.Properties[k]
		if v == nil && (set || !patch) {
			return false
		}
	}

	for k, v := range e.Relations {
		r, ok := bp.Relations[k]
		if !ok {
			return false
		}
		if r.Target != bp.Identifier {
			if _, ok := bps.Lookup(r.Target); !ok {
				return false
			}
		}
		switch v := v.(type) {
		case nil, map[string]any:
		case string:
			if !ValidEntityID(v) {
				return false
			}
		case []any:
			if !r.Many {
				return false
			}
			for _, x := range v {
				if s, ok := x.(string); !ok || !ValidEntityID(s) {
					return false
				}
			}
		default:
			return false
		}
	}
	for k, r := range bp.Relations {
		if !r.Required {
			continue
		}
		v, set := e.Relations[k]
		if v == nil && (set || !patch) {
			return false
		}
	}
	return true
}

// clean says whether check would report nothing for v.
func (p Property) clean(v any) bool {
	if v == nil {
		return true
	}
	if jsonx.TypeName(v) != p.Type {
		return false
	}
	if p.Format != "" {
		if s, ok := v.(string); ok && checkFormat(p.Format, s) != "" {
			return false
		}
	}
	if p.Enum != nil && !inEnum(p.Enum, v) {
		return false
	}
	if p.Items != nil {
		if list, ok := v.([]any); ok {
			for _, x := range list {
				if !p.Items.clean(x) {
					return false
				}
			}
		}
	}
	return true
}

// inEnum says whether some value of enum is the same JSON value as v
// (sameJSON), comparing the common cases directly: a string or a boolean
// equals only the same string or boolean, and two float64s (what a JSON
// decoder yields) are the same number exactly when they are equal. Any
// other pairing takes sameJSON.
func inEnum(enum []any, v any) bool {
	for _, x := range enum {
		switch xv := x.(type) {
		case string:
			if s, ok := v.(string); ok {
				if s == xv {
					return true
				}
				continue
			}
		case bool:
			if b, ok := v.(bool); ok {
				if b == xv {
					return true
				}
				continue
			}
		case float64:
			if f, ok := v.(float64); ok {
				if f == xv {
					return true
				}
				continue
			}
		}
		if sameJSON(x, v) {
			return true
		}
	}
	return false
}

// entityIDByte marks the ASCII bytes Port's entity identifier pattern
// allows: letters, digits and @ _ . + : \ / = -.
var entityIDByte = func() (t [utf8.RuneSelf]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range `@_.+:\/=-` {
		t[c] = true
	}
	return t
}()

// ValidEntityID says whether id is an entity identifier Port accepts:
// Port's pattern ^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/=-]+$ and at most 1000
// characters. Matched by hand rather than with regexp (checked against it
// over every rune in the tests): it runs for every identifier and
// relation value a sync writes. Invalid UTF-8 matches no letter.
func ValidEntityID(id string) bool {
	if id == "" || id == "." || id == ".." {
		return false
	}
	n := 0
	for i := 0; i < len(id); n++ {
		if c := id[i]; c < utf8.RuneSelf {
			if !entityIDByte[c] {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(id[i:])
		if !unicode.IsLetter(r) { // utf8.RuneError is not a letter
			return false
		}
		i += size
	}
	return n <= maxEntityID
}
