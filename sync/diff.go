package sync

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/tide-sync/tide/sync/mapping"
)

// compareSet is the set of fields one resource block writes to a blueprint.
// The diff compares only these, since two blocks may write different fields
// of one entity (docs/ocean-compatibility.md#diff-what-counts-as-unchanged).
type compareSet struct {
	has   mapping.Field
	props []string
	rels  []string
}

func newCompareSet(fs mapping.FieldSet) compareSet {
	return compareSet{has: fs.Has, props: fs.Properties, rels: fs.Relations}
}

func (c compareSet) key() string {
	return strconv.Itoa(int(c.has)) + "|" + strings.Join(c.props, ",") + "|" + strings.Join(c.rels, ",")
}

// include lists the search include paths that fetch c's fields.
func (c compareSet) include(seen map[string]bool, out []string) []string {
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if c.has&mapping.HasTitle != 0 {
		add("title")
	}
	if c.has&mapping.HasIcon != 0 {
		add("icon")
	}
	if c.has&mapping.HasTeam != 0 {
		add("team")
	}
	for _, p := range c.props {
		add("properties." + p)
	}
	for _, r := range c.rels {
		add("relations." + r)
	}
	return out
}

// fieldValue is one compared field.
type fieldValue struct {
	name string
	v    any
}

// values lists the compared fields of an entity in a fixed order. Team is
// compared as a set, as Ocean does; a missing key and null are the same value
// (Ocean treats a Port-side null as absent).
func (c compareSet) values(title, icon, team any, props, rels map[string]any) []fieldValue {
	out := make([]fieldValue, 0, 3+len(c.props)+len(c.rels))
	if c.has&mapping.HasTitle != 0 {
		out = append(out, fieldValue{"title", title})
	}
	if c.has&mapping.HasIcon != 0 {
		out = append(out, fieldValue{"icon", icon})
	}
	if c.has&mapping.HasTeam != 0 {
		out = append(out, fieldValue{"team", normTeam(team)})
	}
	for _, p := range c.props {
		out = append(out, fieldValue{"properties." + p, props[p]})
	}
	for _, r := range c.rels {
		out = append(out, fieldValue{"relations." + r, rels[r]})
	}
	return out
}

// sum hashes c's fields of an entity exactly as h.sum(c.values(...))
// does, without building the list: the snapshot and the diff hash every
// entity, and the list's field names ("properties." + key) were most of
// their allocations.
func (c compareSet) sum(h hasher, title, icon, team any, props, rels map[string]any) uint64 {
	var mh maphash.Hash
	mh.SetSeed(h.seed)
	buf := make([]byte, 0, 256)
	field := func(prefix, name string, v any) {
		buf = append(buf[:0], prefix...)
		buf = append(buf, name...)
		buf = append(buf, 0)
		buf = appendCanonical(buf, v)
		mh.Write(buf)
	}
	if c.has&mapping.HasTitle != 0 {
		field("title", "", title)
	}
	if c.has&mapping.HasIcon != 0 {
		field("icon", "", icon)
	}
	if c.has&mapping.HasTeam != 0 {
		field("team", "", normTeam(team))
	}
	for _, p := range c.props {
		field("properties.", p, props[p])
	}
	for _, r := range c.rels {
		field("relations.", r, rels[r])
	}
	return mh.Sum64()
}

func (c compareSet) sourceSum(h hasher, e *mapping.Entity) uint64 {
	return c.sum(h, e.Title, e.Icon, e.Team, e.Properties, e.Relations)
}

func (c compareSet) sourceValues(e *mapping.Entity) []fieldValue {
	return c.values(e.Title, e.Icon, e.Team, e.Properties, e.Relations)
}

// normTeam turns a team given as a string or a list of strings into a sorted
// list, so "a" equals ["a"] and ["b","a"] equals ["a","b"].
func normTeam(v any) any {
	switch t := v.(type) {
	case string:
		return []any{t}
	case []any:
		ss := make([]string, 0, len(t))
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return v
			}
			ss = append(ss, s)
		}
		if len(ss) == 0 {
			return nil
		}
		sort.Strings(ss)
		return toAnySlice(ss)
	case []string:
		return normTeam(toAnySlice(t))
	}
	return v
}

func toAnySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// hasher hashes compared values. The encoding is canonical (sorted object
// keys, every number as a float64) so equal JSON values hash equal whatever
// Go types carried them.
type hasher struct {
	seed maphash.Seed
}

func newHasher() hasher { return hasher{seed: maphash.MakeSeed()} }

func (h hasher) sum(vals []fieldValue) uint64 {
	var mh maphash.Hash
	mh.SetSeed(h.seed)
	buf := make([]byte, 0, 256)
	for _, f := range vals {
		buf = append(buf[:0], f.name...)
		buf = append(buf, 0)
		buf = appendCanonical(buf, f.v)
		mh.Write(buf)
	}
	return mh.Sum64()
}

// appendCanonical appends a type-tagged, injective encoding of v.
func appendCanonical(b []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(b, 'z')
	case bool:
		if t {
			return append(b, 't')
		}
		return append(b, 'f')
	case string:
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(t)))
		return append(b, t...)
	case float64:
		return appendNum(b, t)
	case int:
		return appendNum(b, float64(t))
	case int64:
		return appendNum(b, float64(t))
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return appendCanonical(b, string(t))
		}
		return appendNum(b, f)
	case []any:
		b = append(b, 'a')
		b = binary.AppendUvarint(b, uint64(len(t)))
		for _, x := range t {
			b = appendCanonical(b, x)
		}
		return b
	case []string:
		return appendCanonical(b, toAnySlice(t))
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, 'm')
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = appendCanonical(b, t[k])
		}
		return b
	default:
		// Anything else (big numbers from JQ) goes through its JSON text.
		j, err := json.Marshal(t)
		if err != nil {
			return append(b, '?')
		}
		var back any
		if json.Unmarshal(j, &back) != nil {
			return append(append(b, 'j'), j...)
		}
		return appendCanonical(b, back) // only plain JSON types come back
	}
}

func appendNum(b []byte, f float64) []byte {
	if f == 0 {
		f = 0 // -0 == 0
	}
	b = append(b, 'n')
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

// changes lists the fields whose values differ, for the dry-run plan.
func changes(from, to []fieldValue) []FieldChange {
	var out []FieldChange
	for i := range to {
		a, b := from[i].v, to[i].v
		if string(appendCanonical(nil, a)) != string(appendCanonical(nil, b)) {
			out = append(out, FieldChange{Field: to[i].name, From: a, To: b})
		}
	}
	return out
}
