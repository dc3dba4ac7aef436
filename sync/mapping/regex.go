package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/tide-sync/tide/internal/jsonx"
)

// jq's regex builtins (test, match, capture, scan, split/2, splits, sub,
// gsub) run on Oniguruma with its Perl syntax; gojq runs them on Go's RE2,
// which has no look-around and no backreferences. tide redefines the jq-level
// builtins over one Go function, _tide_match, backed by regexp2 (a
// backtracking engine with Perl/.NET syntax), and reproduces the search loop
// of jq 1.8's f_match. See docs/ocean-compatibility.md, "Regular
// expressions".

// regexNames are the builtins the prelude redefines; an expression that
// mentions none of them is compiled without the prelude.
var regexNames = []string{"test", "match", "capture", "scan", "split", "sub"}

// regexPrelude redefines jq's regex builtins over _tide_match and
// _tide_split. The definitions are jq 1.8's (src/builtin.jq), so capture,
// scan, sub and gsub build their results exactly as jq does; split/2 is done
// in Go with the same result.
const regexPrelude = `
def match($re; $flags): _tide_match($re; $flags; false)[];
def match($val): ($val|type) as $vt
  | if $vt == "string" then match($val; null)
    elif $vt == "array" and ($val | length) > 1 then match($val[0]; $val[1])
    elif $vt == "array" and ($val | length) > 0 then match($val[0]; null)
    else error($vt + " not a string or array") end;
def test($re; $flags): _tide_match($re; $flags; true);
def test($val): ($val|type) as $vt
  | if $vt == "string" then test($val; null)
    elif $vt == "array" and ($val | length) > 1 then test($val[0]; $val[1])
    elif $vt == "array" and ($val | length) > 0 then test($val[0]; null)
    else error($vt + " not a string or array") end;
def capture($re; $flags): match($re; $flags)
  | reduce (.captures[] | select(.name != null) | {key: .name, value: .string}) as $p
      ({}; . + {($p.key): $p.value});
def capture($val): ($val|type) as $vt
  | if $vt == "string" then capture($val; null)
    elif $vt == "array" and ($val | length) > 1 then capture($val[0]; $val[1])
    elif $vt == "array" and ($val | length) > 0 then capture($val[0]; null)
    else error($vt + " not a string or array") end;
def scan($re; $flags): match($re; "g" + $flags)
  | if (.captures | length > 0) then [.captures[].string] else .string end;
def scan($re): scan($re; null);
def split($re; $flags): _tide_split($re; "g" + $flags);
def splits($re; $flags): split($re; $flags)[];
def splits($re): splits($re; null);
def sub($re; str; $flags): . as $in
  | (reduce match($re; $flags) as $edit ({result: [], previous: 0};
        $in[.previous:($edit | .offset)] as $gap
      | [reduce ($edit | .captures[] | select(.name != null) | {key: .name, value: .string}) as $p
          ({}; . + {($p.key): $p.value}) | str] as $inserts
      | reduce range(0; $inserts | length) as $ix (.; .result[$ix] += $gap + $inserts[$ix])
      | .previous = ($edit | .offset + .length))
    | .result[] + $in[.previous:]) // $in;
def sub($re; str): sub($re; str; "");
def gsub($re; str; $flags): sub($re; str; $flags + "g");
def gsub($re; str): sub($re; str; "g");
`

// usesRegex says whether an expression's text may call a regex builtin.
// A false positive (a key named "test") only costs the prelude's compile.
func usesRegex(text string) bool {
	for _, n := range regexNames {
		if strings.Contains(text, n) {
			return true
		}
	}
	return false
}

// DefaultRegexTimeout bounds one regex builtin call when Options leaves
// RegexTimeout zero.
const DefaultRegexTimeout = time.Second

// regexCacheMax bounds how many distinct (pattern, flags) pairs a mapping
// keeps compiled; patterns built from item data could otherwise grow it
// without end. Past it, a pattern is compiled for each call.
const regexCacheMax = 1024

// regexEngine compiles jq regexes once and runs them; one per Mapping,
// safe for concurrent use.
type regexEngine struct {
	timeout time.Duration
	mu      sync.RWMutex
	cache   map[regexKey]*jqRegex
}

type regexKey struct{ pattern, flags string }

func newRegexEngine(timeout time.Duration) *regexEngine {
	if timeout <= 0 {
		timeout = DefaultRegexTimeout
	}
	return &regexEngine{timeout: timeout, cache: map[regexKey]*jqRegex{}}
}

// jqRegex is one compiled pattern with jq's flags.
type jqRegex struct {
	pattern  string
	re       *regexp2.Regexp
	global   bool // g
	notEmpty bool // n: Oniguruma's FIND_NOT_EMPTY
	longest  bool // l: Oniguruma's FIND_LONGEST
	opts     regexp2.RegexOptions
	timeout  time.Duration

	// anchored variants for n and l, built on first use.
	once     sync.Once
	anchored *regexp2.Regexp // \G(?:p)(?!\G): a non-empty match starting here
	atLeast  sync.Map        // int → *regexp2.Regexp: \G(?:p)(?<=\G[\s\S]{k,})
	exactly  sync.Map        // int → *regexp2.Regexp: \G(?:p)(?<=\G[\s\S]{k})
	errOnce  error
}

// regex returns the compiled form of pattern with jq's flags (a string or
// null).
func (e *regexEngine) regex(pattern string, flags any) (*jqRegex, error) {
	fs := ""
	switch f := flags.(type) {
	case nil:
	case string:
		fs = f
	default:
		return nil, fmt.Errorf("%s (%s) is not a string", jsonx.TypeName(flags), jsonText(flags))
	}
	key := regexKey{pattern, fs}
	e.mu.RLock()
	r, ok := e.cache[key]
	e.mu.RUnlock()
	if ok {
		return r, nil
	}
	r, err := compileJQRegex(pattern, fs, e.timeout)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.cache) < regexCacheMax {
		e.cache[key] = r
	}
	e.mu.Unlock()
	return r, nil
}

// compileJQRegex translates jq's flags to regexp2 options.
//
// jq compiles with Oniguruma's Perl_NT syntax, whose default option is
// SINGLELINE: `^` and `$` anchor at the whole string (`$` also before a
// final newline) and `.` does not match a newline, as in regexp2 without
// options. Flags (jq manual, "Regular expressions"): g all matches; i
// ignore case; x extended (whitespace and # comments ignored); n ignore
// empty matches; s single line mode, already Oniguruma's default for this
// syntax; p both s and m modes, where Oniguruma's m lets `.` match a
// newline; l longest matches.
func compileJQRegex(pattern, flags string, timeout time.Duration) (*jqRegex, error) {
	r := &jqRegex{pattern: pattern, timeout: timeout}
	for _, c := range flags {
		switch c {
		case 'g':
			r.global = true
		case 'i':
			r.opts |= regexp2.IgnoreCase
		case 'x':
			r.opts |= regexp2.IgnorePatternWhitespace
		case 'n':
			r.notEmpty = true
		case 's':
		case 'p':
			r.opts |= regexp2.Singleline
		case 'l':
			r.longest = true
		default:
			// jq's own message.
			return nil, fmt.Errorf("%s is not a valid modifier string", flags)
		}
	}
	src, err := translatePattern(pattern)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid regex: %v", strconv.Quote(pattern), err)
	}
	re, err := r.compile(src)
	if err != nil {
		return nil, fmt.Errorf("%s is not a valid regex: %s", strconv.Quote(pattern), trimRegexp2(err))
	}
	r.re = re
	return r, nil
}

func (r *jqRegex) compile(src string) (*regexp2.Regexp, error) {
	re, err := regexp2.Compile(src, r.opts, regexp2.OptionMaintainCaptureOrder())
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = r.timeout
	return re, nil
}

// trimRegexp2 drops regexp2's "error parsing regexp: " prefix and its copy
// of the pattern, which the caller names itself.
func trimRegexp2(err error) string {
	s := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
	if i := strings.LastIndex(s, " in `"); i >= 0 {
		s = s[:i]
	}
	return s
}

// wrapped returns the pattern as a group that anchors at the search start,
// followed by tail. In x mode a trailing comment must not swallow the
// closing parenthesis, hence the newline (whitespace there).
func (r *jqRegex) wrapped(tail string) string {
	nl := ""
	if r.opts&regexp2.IgnorePatternWhitespace != 0 {
		nl = "\n"
	}
	src, _ := translatePattern(r.pattern) // compiled once already
	return `\G(?:` + src + nl + `)` + tail
}

// jqMatch is one match, in code points as jq reports them.
type jqMatch struct {
	offset, length int
	groups         []regexp2.Group // groups[0] is the whole match
}

// errMatch turns regexp2's run-time errors into the field's error.
func (r *jqRegex) errMatch(err error, in []rune) error {
	if errors.Is(err, regexp2.ErrBacktrackingStackLimit) {
		return fmt.Errorf("regex %s on a %d-character string: the match ran out of backtracking stack", strconv.Quote(r.pattern), len(in))
	}
	return fmt.Errorf("regex %s on a %d-character string: the match took longer than %s (catastrophic backtracking?)", strconv.Quote(r.pattern), len(in), r.timeout)
}

// find returns the match Oniguruma's onig_search would return searching in
// from start, honouring n and l; nil when there is none.
func (r *jqRegex) find(in []rune, start int, deadline time.Time) (*jqMatch, error) {
	if !r.notEmpty && !r.longest {
		m, err := r.re.FindRunesMatchStartingAt(in, start)
		if err != nil || m == nil {
			return nil, err
		}
		return toMatch(m), nil
	}
	r.once.Do(func() {
		r.anchored, r.errOnce = r.compile(r.wrapped(`(?!\G)`))
	})
	if r.errOnce != nil {
		return nil, r.errOnce
	}
	if !r.longest {
		// FIND_NOT_EMPTY: at each position, the first match in backtracking
		// order that is not empty.
		for p := start; p <= len(in); p++ {
			if time.Now().After(deadline) {
				return nil, errTimeout
			}
			m, err := r.anchored.FindRunesMatchStartingAt(in, p)
			if err != nil {
				return nil, err
			}
			if m != nil {
				return toMatch(m), nil
			}
		}
		return nil, nil
	}
	// FIND_LONGEST: the longest match over every start position, the
	// leftmost of equals (Oniguruma searches the whole range and keeps a
	// match only when strictly longer).
	minLen := 0
	if r.notEmpty {
		minLen = 1
	}
	best, bestAt := -1, -1
	for p := start; p <= len(in); p++ {
		if time.Now().After(deadline) {
			return nil, errTimeout
		}
		need := max(best+1, minLen)
		if need > len(in)-p {
			break
		}
		ok, err := r.hasAtLeast(in, p, need)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		// Grow: the longest k with a match of length ≥ k (monotone in k).
		lo, hi := need, len(in)-p
		for lo < hi {
			mid := (lo + hi + 1) / 2
			ok, err := r.hasAtLeast(in, p, mid)
			if err != nil {
				return nil, err
			}
			if ok {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		best, bestAt = lo, p
	}
	if bestAt < 0 {
		return nil, nil
	}
	re, err := r.variant(&r.exactly, best, "")
	if err != nil {
		return nil, err
	}
	m, err := re.FindRunesMatchStartingAt(in, bestAt)
	if err != nil || m == nil {
		return nil, err
	}
	return toMatch(m), nil
}

var errTimeout = errors.New("timeout")

// hasAtLeast says whether the pattern matches at p with a length ≥ k.
func (r *jqRegex) hasAtLeast(in []rune, p, k int) (bool, error) {
	re, err := r.variant(&r.atLeast, k, ",")
	if err != nil {
		return false, err
	}
	m, err := re.FindRunesMatchStartingAt(in, p)
	return m != nil, err
}

// variant compiles, once per k, the anchored pattern whose match length is
// ≥ k (comma) or exactly k: a lookbehind from the match end back to the
// search start, which \G pins.
func (r *jqRegex) variant(cache *sync.Map, k int, comma string) (*regexp2.Regexp, error) {
	if v, ok := cache.Load(k); ok {
		return v.(*regexp2.Regexp), nil
	}
	re, err := r.compile(r.wrapped(`(?<=\G[\s\S]{` + strconv.Itoa(k) + comma + `})`))
	if err != nil {
		return nil, err
	}
	cache.Store(k, re)
	return re, nil
}

func toMatch(m *regexp2.Match) *jqMatch {
	return &jqMatch{offset: m.RuneIndex, length: m.RuneLength, groups: m.Groups()}
}

// run is jq 1.8's f_match: every match (or the first without g) as jq's
// match objects, or whether there is one when test is set.
//
// After an empty match the search resumes one code point further (jq moves
// one byte, the same for ASCII); after a non-empty match, at its end; with g
// the loop goes on while the resume point is within the string, so an empty
// match at the very end is found too.
func (r *jqRegex) run(s string, test bool) (any, error) {
	in := []rune(s)
	deadline := time.Now().Add(r.timeout)
	var out []any
	start := 0
	for {
		m, err := r.find(in, start, deadline)
		if err != nil {
			return nil, r.errMatch(err, in)
		}
		if m == nil {
			break
		}
		if test {
			return true, nil
		}
		out = append(out, r.object(in, m))
		if m.length == 0 {
			start = m.offset + 1
		} else {
			start = m.offset + m.length
		}
		if !r.global || start > len(in) {
			break
		}
	}
	if test {
		return false, nil
	}
	if out == nil {
		out = []any{}
	}
	return out, nil
}

// object builds jq's match object. A group that took no part in the match
// has offset -1 and string null. In an empty match every group that took
// part is reported as the empty string at the match's offset, as jq 1.8
// does even for a group inside a look-around.
func (r *jqRegex) object(in []rune, m *jqMatch) map[string]any {
	caps := make([]any, 0, len(m.groups)-1)
	for _, g := range m.groups[1:] {
		var name any
		if _, err := strconv.Atoi(g.Name); err != nil {
			name = g.Name
		}
		c := map[string]any{"name": name, "offset": -1, "length": 0, "string": nil}
		switch {
		case len(g.Captures) == 0:
		case m.length == 0:
			c["offset"], c["string"] = m.offset, ""
		default:
			c["offset"], c["length"] = g.RuneIndex, g.RuneLength
			c["string"] = string(in[g.RuneIndex : g.RuneIndex+g.RuneLength])
		}
		caps = append(caps, c)
	}
	return map[string]any{
		"offset":   m.offset,
		"length":   m.length,
		"string":   string(in[m.offset : m.offset+m.length]),
		"captures": caps,
	}
}

// split is jq's split/2: the pieces between every match.
func (r *jqRegex) split(s string) ([]any, error) {
	in := []rune(s)
	deadline := time.Now().Add(r.timeout)
	out := []any{}
	prev, start := 0, 0
	for {
		m, err := r.find(in, start, deadline)
		if err != nil {
			return nil, r.errMatch(err, in)
		}
		if m == nil {
			break
		}
		// jq slices with .[prev:offset]; a match before prev (an empty match
		// right after a non-empty one) gives the empty string.
		out = append(out, string(in[prev:max(prev, m.offset)]))
		prev = m.offset + m.length
		if m.length == 0 {
			start = m.offset + 1
		} else {
			start = prev
		}
		if start > len(in) {
			break
		}
	}
	return append(out, string(in[min(prev, len(in)):])), nil
}

// matchFunc is _tide_match(re; flags; test) for gojq.WithFunction.
func (e *regexEngine) matchFunc(v any, args []any) any {
	test, _ := args[2].(bool)
	name := "match"
	if test {
		name = "test"
	}
	s, re, err := e.args(name, v, args)
	if err != nil {
		return err
	}
	out, err := re.run(s, test)
	if err != nil {
		return err
	}
	return out
}

// splitFunc is _tide_split(re; flags).
func (e *regexEngine) splitFunc(v any, args []any) any {
	s, re, err := e.args("split", v, args)
	if err != nil {
		return err
	}
	out, err := re.split(s)
	if err != nil {
		return err
	}
	return out
}

func (e *regexEngine) args(name string, v any, args []any) (string, *jqRegex, error) {
	s, ok := v.(string)
	if !ok {
		// jq's message.
		return "", nil, fmt.Errorf("%s (%s) cannot be matched, as it is not a string", jsonx.TypeName(v), jsonText(v))
	}
	pattern, ok := args[0].(string)
	if !ok {
		return "", nil, fmt.Errorf("%s (%s) is not a string", jsonx.TypeName(args[0]), jsonText(args[0]))
	}
	re, err := e.regex(pattern, args[1])
	if err != nil {
		return "", nil, err
	}
	return s, re, nil
}

// jsonText renders a value for an error message, shortened like jq's.
func jsonText(v any) string {
	s := pyStr(v)
	if _, isStr := v.(string); isStr {
		s = strconv.Quote(s)
	}
	if len(s) > 30 {
		s = s[:27] + "..."
	}
	return s
}

// posixClasses are Oniguruma's POSIX bracket classes for Unicode strings
// (Oniguruma doc/RE, "POSIX bracket"), as regexp2 class items. regexp2
// parses [:alpha:] but matches nothing with it, so every one is rewritten.
var posixClasses = map[string]string{
	"alnum":  `\p{L}\p{M}\p{Nd}`,
	"alpha":  `\p{L}\p{M}`,
	"ascii":  `\x00-\x7F`,
	"blank":  `\p{Zs}\t`,
	"cntrl":  `\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}`,
	"digit":  `\p{Nd}`,
	"lower":  `\p{Ll}`,
	"punct":  `\p{Pc}\p{Pd}\p{Pe}\p{Pf}\p{Pi}\p{Po}\p{Ps}\$\+<=>\^` + "`" + `\|~`,
	"space":  `\p{Zs}\p{Zl}\p{Zp}\t\n\x0B\f\r\x85`,
	"upper":  `\p{Lu}`,
	"word":   `\p{L}\p{M}\p{Nd}\p{Pc}`,
	"xdigit": `0-9A-Fa-f`,
}

// posixComplements are the POSIX classes Oniguruma defines as a complement;
// they can only stand alone in their bracket.
var posixComplements = map[string]string{
	"graph": `\p{Zs}\p{Zl}\p{Zp}\t\n\x0B\f\r\x85\p{Cc}\p{Cn}\p{Cs}`,
	"print": `\p{Zl}\p{Zp}\t\n\x0B\f\r\x85\p{Cc}\p{Cn}\p{Cs}`,
}

// translatePattern rewrites the Oniguruma constructs regexp2 reads
// differently: POSIX bracket classes, and \h and \H, which Oniguruma's
// Perl syntax reads as the letters h and H and regexp2 refuses.
// Nested classes and class intersection (&&), which regexp2 would read as
// literals, are refused rather than matched differently.
func translatePattern(p string) (string, error) {
	if !strings.ContainsAny(p, `[\`) {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			switch p[i+1] {
			case 'h', 'H':
				b.WriteByte(p[i+1])
			case 'Q':
				end := strings.Index(p[i+2:], `\E`)
				if end < 0 {
					b.WriteString(p[i:])
					return b.String(), nil
				}
				b.WriteString(p[i : i+2+end+2])
				i += end + 3
				continue
			default:
				b.WriteString(p[i : i+2])
			}
			i++
		case c == '[':
			n, err := translateClass(p[i:], &b)
			if err != nil {
				return "", err
			}
			i += n - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// translateClass writes the class at the start of p and returns its length.
func translateClass(p string, b *strings.Builder) (int, error) {
	var items strings.Builder
	i := 1
	neg := strings.HasPrefix(p[i:], "^")
	if neg {
		i++
	}
	first := i
	var alone string // a complement POSIX class standing alone
	n := 0           // items written
	for ; i < len(p); i++ {
		c := p[i]
		switch {
		case c == ']' && i > first:
			if alone != "" {
				if n > 1 {
					return 0, fmt.Errorf("[:%s:] must stand alone in its bracket", alone)
				}
				set := posixComplements[strings.TrimPrefix(alone, "^")]
				// [[:graph:]] is the complement of set; [[:^graph:]] and
				// [^[:graph:]] are the set itself.
				if neg != strings.HasPrefix(alone, "^") {
					b.WriteString("[" + set + "]")
				} else {
					b.WriteString("[^" + set + "]")
				}
				return i + 1, nil
			}
			b.WriteByte('[')
			if neg {
				b.WriteByte('^')
			}
			b.WriteString(items.String())
			b.WriteByte(']')
			return i + 1, nil
		case c == '\\' && i+1 < len(p):
			if p[i+1] == 'h' || p[i+1] == 'H' {
				items.WriteByte(p[i+1])
			} else {
				items.WriteString(p[i : i+2])
			}
			i++
			n++
		case c == '[' && strings.HasPrefix(p[i:], "[:"):
			end := strings.Index(p[i+2:], ":]")
			if end < 0 {
				return 0, fmt.Errorf("unterminated POSIX bracket %q", p[i:])
			}
			name := p[i+2 : i+2+end]
			i += 2 + end + 1
			n++
			base, negated := strings.CutPrefix(name, "^")
			if set, ok := posixClasses[base]; ok {
				if negated {
					if n > 1 || !strings.HasPrefix(p[i+1:], "]") {
						return 0, fmt.Errorf("[:%s:] must stand alone in its bracket", name)
					}
					neg = !neg
				}
				items.WriteString(set)
				continue
			}
			if _, ok := posixComplements[base]; ok {
				alone = name
				continue
			}
			return 0, fmt.Errorf("unknown POSIX bracket [:%s:]", name)
		case c == '[':
			return 0, fmt.Errorf("nested character classes are not supported (escape the [)")
		case c == '&' && strings.HasPrefix(p[i:], "&&"):
			return 0, fmt.Errorf("character class intersection (&&) is not supported")
		default:
			items.WriteByte(c)
			n++
		}
	}
	return 0, fmt.Errorf("premature end of char-class")
}
