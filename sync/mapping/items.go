package mapping

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/internal/jsonx"
)

var (
	// Python's \w is Unicode-aware; \p{L}\p{N}_ is its Go spelling.
	deletePathRE  = regexp.MustCompile(`^(\.[\p{L}\p{N}_]+|\.\[[^\]]+\])(\.[\p{L}\p{N}_]+|\[[^\]]+\]|\.\[[^\]]+\])*`)
	bindSegmentRE = regexp.MustCompile(`^\.\s+as\s+\$[\p{L}\p{N}_]+`)
	parenChainRE  = regexp.MustCompile(`(?s)^\((.*?)\)`)
)

// DeletePath returns the path itemsToParse reads its list from, for
// removing that list from the parent (itemsToParseTopLevelTransform):
// the first pipe segment that starts with a plain path (`.a.b`, `.a[0]`,
// `.["k"].v`), ignoring `. as $x`, `.` and `$var` segments and whatever
// follows the path (`// {}`), after unwrapping a leading `(…)`. ok is false
// when no such segment exists.
//
// Matches Ocean's extract_jq_deletion_path_revised
// (port_ocean/core/integrations/mixins/utils.py), naive pipe split and
// first-`)` unwrapping included.
func DeletePath(expr string) (path string, ok bool) {
	chain := strings.TrimSpace(expr)
	if strings.HasPrefix(chain, "(") {
		m := parenChainRE.FindStringSubmatch(chain)
		if m == nil {
			return "", false
		}
		chain = strings.TrimSpace(m[1])
	}
	for _, seg := range strings.Split(chain, "|") {
		seg = strings.TrimSpace(seg)
		if bindSegmentRE.MatchString(seg) || seg == "." || strings.HasPrefix(seg, "$") {
			continue
		}
		if p := deletePathRE.FindString(seg); p != "" {
			return strings.TrimSpace(p), true
		}
	}
	return "", false
}

// itemsToParse is a block's compiled itemsToParse.
type itemsToParse struct {
	list *program // the expression yielding the list
	del  *program // `. | del(<path>)`, nil when the parent is kept whole
	keys []string // the path's keys when it is a plain `.a.b`
	name string
}

// expand calls fn with every item the parent expands to. It returns a
// warning when the parent is skipped.
//
// Matches Ocean's handle_items_to_parse
// (docs/ocean-compatibility.md#selector-and-itemstoparse): the list is
// read from the original parent, the list path is removed from a copy, and
// each element e becomes {...parent, <name>: e}. The parent is never
// modified.
func (it *itemsToParse) expand(m *budget.Meter, parent map[string]any, fn func(map[string]any) error) (warning string, err error) {
	v, ok, rerr := it.list.first(m, parent)
	if rerr != nil && abort(rerr) {
		return "", aborted("itemsToParse", it.list.src, rerr)
	}
	arr, isList := v.([]any)
	if rerr != nil || !ok || !isList {
		w := fmt.Sprintf("Failed to parse items for JQ expression %s, Expected list but got %s. Skipping...", it.list.src, jsonx.TypeName(v))
		if rerr != nil {
			w = fmt.Sprintf("Failed to parse items for JQ expression %s: %s. Skipping...", it.list.src, firstLine(rerr))
		}
		return w, nil
	}
	if len(arr) == 0 {
		return "", nil
	}
	base := parent
	if it.del != nil {
		var b any
		var derr error
		if it.keys != nil {
			// A plain path is removed here, copying only the objects on
			// the way: the list itself is never copied.
			b, derr = without(parent, it.keys)
		} else {
			b, _, derr = it.del.first(m, parent)
		}
		if derr != nil && abort(derr) {
			return "", aborted("itemsToParse", it.del.src, derr)
		}
		m, isMap := b.(map[string]any)
		if derr != nil || !isMap {
			// No deletable path (del(.) gives null) or the path does not
			// apply to this parent: Ocean cannot build the items either.
			why := "got " + jsonx.TypeName(b)
			if derr != nil {
				why = firstLine(derr)
			}
			return fmt.Sprintf("Failed to remove the itemsToParse list from the item with %s: %s. Skipping...", it.del.src, why), nil
		}
		base = m
	}
	for _, e := range arr {
		item := make(map[string]any, len(base)+1)
		for k, x := range base {
			item[k] = x
		}
		item[it.name] = e
		if err := fn(item); err != nil {
			return "", err
		}
	}
	return "", nil
}

// deleteProgram is the JQ text that removes the list from the parent.
func deleteProgram(itemsExpr string) string {
	p, ok := DeletePath(itemsExpr)
	if !ok {
		// Ocean falls back to del(.), which yields null and so skips every
		// parent.
		p = "."
	}
	return ". | del(" + p + ")"
}
