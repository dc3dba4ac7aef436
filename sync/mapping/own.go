package mapping

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tide-sync/tide/internal/jsonx"
)

// gojq's delpaths (behind del, and `|= empty`) rewrites every object and
// array under the value it deletes from, in place, even those it did not
// copy: a mapping's `del(.x)` would write into the vendor's item, which
// the integration may still be reading (a cached parent listing) from
// another goroutine. An expression that names del or delpaths therefore
// runs with these redefined to work on a deep copy of their input.
const ownPrelude = `def _tide_delpaths0($p): delpaths($p);
def delpaths($p): _tide_copy | _tide_delpaths0($p);
def del(f): delpaths([path(f)]);
`

// usesDelete says whether an expression's text may call del or delpaths.
func usesDelete(text string) bool { return strings.Contains(text, "del") }

// deepCopy copies every object and array of v; scalars are shared.
func deepCopy(v any, _ []any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x, nil)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = deepCopy(x, nil)
		}
		return a
	}
	return v
}

// keyPathRE is a path of plain keys: .a, .a.b_c, .["k"] is not one.
var keyPathRE = regexp.MustCompile(`^(\.[\p{L}\p{N}_]+)+$`)

// keyPath returns the keys of a plain `.a.b` path; nil for anything else.
func keyPath(p string) []string {
	if !keyPathRE.MatchString(p) {
		return nil
	}
	return strings.Split(p[1:], ".")
}

// without returns parent without the value at keys, copying only the
// objects on the way and sharing everything else, as `del(.a.b)` gives:
// a missing key or a null on the way leaves the parent as it is; anything
// else on the way is gojq's error.
func without(parent map[string]any, keys []string) (map[string]any, error) {
	out := make(map[string]any, len(parent))
	for k, v := range parent {
		out[k] = v
	}
	cur := out
	for i, k := range keys {
		if i == len(keys)-1 {
			delete(cur, k)
			break
		}
		switch next := cur[k].(type) {
		case nil:
			return out, nil
		case map[string]any:
			cp := make(map[string]any, len(next))
			for k2, v2 := range next {
				cp[k2] = v2
			}
			cur[k] = cp
			cur = cp
		default:
			return nil, fmt.Errorf("cannot delete field at object index of %s", jsonx.TypeName(next))
		}
	}
	return out, nil
}
