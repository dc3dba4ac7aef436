package integrations

import (
	"errors"
	"fmt"
	"strconv"
)

// ShiftGuard detects an offset-paginated listing (startAt, offset, page
// number) that shifted while it was read: a record deleted or inserted at
// the vendor between two page reads moves every later record by one, so
// one that still exists is skipped (or one is read twice). Delivering that
// listing would delete the skipped record's entity, so the guard turns it
// into an error: the size the vendor announces changed between pages, or
// the distinct items delivered (by vendor id) are not that size at the
// end. A listing whose vendor announces no size is not checked.
//
// The zero value is ready; Path names the listing in errors.
type ShiftGuard struct {
	// Path is the vendor path listed, e.g. "/rest/api/3/project/search".
	Path string
	// ID is an item's vendor id for the distinct count; nil reads "id",
	// else "accountId". A listing whose items share "id" (GitLab's
	// repository tree: the blob's hash) names its own.
	ID func(Item) (string, bool)

	page  int
	total int  // the size announced with the first page that had one
	known bool // a size was announced
	ids   map[string]struct{}
	anon  int // items without an id, counted as distinct
}

// Page records one page and the size announced with it (announced false:
// this answer carries none). It fails when the size differs from the one
// announced earlier.
func (g *ShiftGuard) Page(items []Item, total int, announced bool) error {
	g.page++
	if announced {
		switch {
		case !g.known && g.page > 1:
			// Page 1 announced no size: the pages read uncounted
			// leave nothing to check against.
		case !g.known:
			g.total, g.known = total, true
			g.ids = make(map[string]struct{}, min(total, 1<<16))
		case total != g.total:
			return &ShiftError{Path: g.Path, Detail: fmt.Sprintf("it counted %d items, then %d on page %d", g.total, total, g.page)}
		}
	}
	if !g.known {
		return nil
	}
	id := g.ID
	if id == nil {
		id = itemID
	}
	for _, it := range items {
		if id, ok := id(it); ok {
			g.ids[id] = struct{}{}
		} else {
			g.anon++
		}
	}
	return nil
}

// Done checks the listing's end: the distinct items delivered must be the
// size announced.
func (g *ShiftGuard) Done() error {
	if !g.known {
		return nil
	}
	if n := len(g.ids) + g.anon; n != g.total {
		return &ShiftError{Path: g.Path, Detail: fmt.Sprintf("it counted %d items and %d distinct ones were listed", g.total, n)}
	}
	return nil
}

// itemID is an item's vendor id: "id", else "accountId" (Jira's users).
func itemID(it Item) (string, bool) { return ItemKey(it, "id", "accountId") }

// ItemKey is the first of keys the item holds as a string or number, as
// text: what tells one vendor record from another.
func ItemKey(it Item, keys ...string) (string, bool) {
	for _, k := range keys {
		switch v := it[k].(type) {
		case string:
			return v, true
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), true
		case fmt.Stringer: // json.Number, *big.Int
			return v.String(), true
		}
	}
	return "", false
}

// ShiftError is a listing that changed at the vendor while it was paged
// through (see ShiftGuard). It wraps ErrIncomplete: the block fails and
// nothing is deleted on its account. The integration's Resync fills Kind.
type ShiftError struct {
	Kind   string
	Path   string
	Detail string
}

func (e *ShiftError) Error() string {
	kind := ""
	if e.Kind != "" {
		kind = fmt.Sprintf("kind %q: ", e.Kind)
	}
	return fmt.Sprintf("%s%s: %s: the collection changed while it was listed (%s); run again", kind, ErrIncomplete, e.Path, e.Detail)
}

// Unwrap returns ErrIncomplete.
func (e *ShiftError) Unwrap() error { return ErrIncomplete }

// NameShift fills the kind of a ShiftError in err, if any, and returns err.
func NameShift(err error, kind string) error {
	var se *ShiftError
	if errors.As(err, &se) && se.Kind == "" {
		se.Kind = kind
	}
	return err
}
