package mapping

import (
	"fmt"
	"sort"
	"strings"
)

// The keys tide reads at each level of a port-app-config. A key that is a
// near miss of one of them (itemToParse, createMissingRelatedEntites,
// resource) is an error with "did you mean"; any other unknown key is a
// warning that names it. Ocean's pydantic models drop unknown keys without a
// word, so a typo there silently changes what a sync does (a mistyped
// `resources:` is a mapping with no blocks, which deletes everything).
var (
	// Top-level keys other than these pass to the integration (Config.Extra),
	// which says which of them it reads (see sync's key check).
	oceanTopKeys = sortedKeySet(topLevel)
	resourceKeys = []string{"kind", "port", "selector"}
	// selector keys other than these belong to the integration's kind.
	selectorKeys = []string{"exportEnvVariables", "query"}
	portKeys     = []string{"entity", "itemsToParse", "itemsToParseName", "itemsToParseTopLevelTransform"}
	entityKeys   = []string{"mappings"}
	mappingsKeys = []string{"blueprint", "icon", "identifier", "properties", "relations", "team", "title"}
)

func sortedKeySet(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkKeys reports every key of m not in known: an error when it is a near
// miss of a known key, else a warning. A nil warn makes unknown keys that are
// not near misses pass silently (the top level, whose other keys belong to
// the integration).
func (p *parser) checkKeys(path, kind string, m map[string]any, known []string, warn bool) {
	for _, k := range sortedKeys(m) {
		if contains(known, k) {
			continue
		}
		at := k
		if path != "" {
			at = path + "." + k
		}
		if s := Suggest(k, known); s != "" {
			p.fail(at, kind, "unknown key %q; did you mean %q?", k, s)
			continue
		}
		if warn {
			p.warn(at, kind, "unknown key %q is ignored (known here: %s)", k, strings.Join(known, ", "))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Suggest returns the known key that key is most likely a misspelling of, or
// "" when none is close: the same key in another case or with
// dashes/underscores, or within a small edit distance (one edit for short
// keys, two from eight letters on, a quarter of the length for long ones).
func Suggest(key string, known []string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	best, bestD := "", -1
	for _, k := range known {
		if norm(k) == norm(key) {
			return k
		}
		limit := 1
		switch n := min(len(k), len(key)); {
		case n < 3:
			continue
		case n >= 8:
			limit = max(2, n/4)
		}
		if d := distance(strings.ToLower(key), strings.ToLower(k)); d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the optimal-string-alignment edit distance (insertions,
// deletions, substitutions and swaps of adjacent letters).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 64 // not a typo of a mapping key
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// Warning is a mapping key tide ignores, with where it is.
type Warning struct {
	Path    string // e.g. resources[0].port.entity.mappings.titel
	Line    int    // 1-based line in the mapping source; 0 when unknown
	Message string
}

// String renders the warning as one line.
func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", w.Path, w.Line, w.Message)
	}
	return w.Path + ": " + w.Message
}
