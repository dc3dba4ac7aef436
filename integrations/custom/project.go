package custom

import (
	"strings"

	"github.com/tide-sync/tide/internal/jsonx"
)

// projection returns what of each record a block's listing decodes, and
// the keys leading to the record array: req.Items when the items sit at a
// plain-key data_path (or data_path is unset and the body is an array)
// and nothing the integration reads from a page (cursor, has_more,
// last_page, next link) can reach into the records; nil (decode whole
// records) otherwise. Records read as path-parameter values never come
// through here: those listings are decoded whole
// (docs/architecture.md#projection-decoding).
func (r *resource) projection(want *jsonx.Projection) (*jsonx.Projection, []string) {
	if want == nil || r.items == nil {
		return nil, nil
	}
	var path []string
	if r.items.code != nil {
		if r.items.keys == nil {
			return nil, nil // a JQ data_path: its reads are not known
		}
		path = r.items.keys
	}
	p := r.pag
	for _, vp := range []*valuePath{p.cursorPath, p.hasMore, p.lastPage, p.nextLink} {
		if !outside(vp, path) {
			return nil, nil
		}
	}
	if p.typ == pageCursor && p.cursorPath == nil && len(path) > 0 {
		for _, g := range cursorGuesses {
			if first, _, _ := strings.Cut(g, "."); first == path[0] {
				return nil, nil
			}
		}
	}
	return want, path
}

// outside says a page value path cannot read the records at items: it
// starts at another top-level key (a body that is the record array has
// none, and a key path finds nothing in it).
func outside(vp *valuePath, items []string) bool {
	switch {
	case vp == nil:
		return true
	case vp.code != nil && !plainPathRE.MatchString(vp.src):
		return false // JQ: its reads are not known
	case len(items) == 0:
		// A key path finds nothing in an array; a JQ path fails on it
		// with a preview of the records (expected an object but got:
		// array ([{...)), which must name them as the answer held them.
		return vp.code == nil
	case vp.code != nil:
		first, _, _ := strings.Cut(vp.src[1:], ".")
		return first != items[0]
	}
	return vp.src != items[0] && vp.keys[0] != items[0]
}
