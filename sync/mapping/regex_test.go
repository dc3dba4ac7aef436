package mapping

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runJQ compiles expr as a mapping leaf and returns every output, or the
// error that stopped it.
func runJQ(t *testing.T, opts Options, expr string, in any) ([]any, error) {
	t.Helper()
	c := newCompiler(opts)
	p := c.compile("f", expr)
	if p == nil {
		t.Fatalf("compile %s: %v", expr, c.problems)
	}
	var out []any
	it := p.code.Run(in)
	for {
		v, ok := it.Next()
		if !ok {
			return out, nil
		}
		if err, isErr := v.(error); isErr {
			return out, err
		}
		out = append(out, normalize(v))
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// TestRegexBuiltins runs every regex builtin with jq 1.8's semantics on
// Oniguruma's Perl syntax. Expected values follow the jq manual
// ("Regular expressions"), jq's tests/onig.test and Oniguruma's doc/RE;
// they were also checked against jq 1.7.1 (built with Oniguruma) except
// where noted for jq 1.8.
func TestRegexBuiltins(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, in, want string }{
		// test: lookahead (Oniguruma doc/RE, "(?=subexp) look-ahead").
		{`test("foo(?=bar)")`, `"foobar"`, `true`},
		{`test("foo(?=bar)")`, `"foobaz"`, `false`},
		// match: lookbehind, lookahead, a backreference, named and unnamed groups
		// numbered left to right (Oniguruma doc/RE, "Extended groups" and
		// "Back reference"; jq manual, "match": offsets and lengths in code
		// points, a group that did not match has offset -1 and string null).
		// The last is jq's own test (tests/onig.test).
		{`[match("(?<=\\$)\\d+")]`, `"cost $42, 7 items"`, `[{"offset":6,"length":2,"string":"42","captures":[]}]`},
		{`[match("\\](?=[^$])"; "g") | .offset]`, `"a]b]"`, `[1]`},
		{`[match("(\\w)\\1")]`, `"hello"`, `[{"offset":2,"length":2,"string":"ll","captures":[{"offset":2,"length":1,"string":"l","name":null}]}]`},
		{`[match("(?<x>a)(b)")]`, `"ab"`, `[{"offset":0,"length":2,"string":"ab","captures":[{"offset":0,"length":1,"string":"a","name":"x"},{"offset":1,"length":1,"string":"b","name":null}]}]`},
		{`[match(["foo (?<bar123>bar)? foo", "ig"])]`, `"foo bar foo foo  foo"`, `[{"offset":0,"length":11,"string":"foo bar foo","captures":[{"offset":4,"length":3,"string":"bar","name":"bar123"}]},{"offset":12,"length":8,"string":"foo  foo","captures":[{"offset":-1,"string":null,"length":0,"name":"bar123"}]}]`},
		// capture: a named group (the jq manual's example), with a lookbehind,
		// with a named backreference \k<q> (Oniguruma doc/RE).
		{`capture("(?<a>[a-z]+)-(?<n>[0-9]+)")`, `"xyzzy-14"`, `{"a":"xyzzy","n":"14"}`},
		{`capture("(?<=@)(?<domain>[\\w.]+)")`, `"bob@example.com"`, `{"domain":"example.com"}`},
		{`capture("(?<q>[\"']).*?\\k<q>")`, `"say 'hi' now"`, `{"q":"'"}`},
		// scan: lookahead, a named group gives arrays of captures, flag i
		// (the last is jq's tests/onig.test).
		{`[scan("\\w+(?=,)")]`, `"a,b,c"`, `["a","b"]`},
		{`[scan("c(?<d>\\d)")]`, `"c1c2"`, `[["1"],["2"]]`},
		{`[scan("b+"; "i")]`, `"abcABBBCabbbc"`, `["b","BBB","bbb"]`},
		// split/2 and splits: lookbehind, the manual's example, flag i, the
		// empty regex (jq's tests/onig.test).
		{`split("(?<=,)"; null)`, `"a,b,c"`, `["a,","b,","c"]`},
		{`split(", *"; null)`, `"ab,cd, ef"`, `["ab","cd","ef"]`},
		{`[splits("a+"; "i")]`, `"bAAcad"`, `["b","c","d"]`},
		{`[splits("")]`, `"ab"`, `["","a","b",""]`},
		// sub: lookahead, a named capture in the replacement, a replacement
		// with several outputs (jq's tests/onig.test).
		{`sub("\\](?=[^$])"; "-")`, `"a]b]"`, `"a-b]"`},
		{`sub("(?<x>\\d+)"; "<\(.x)>")`, `"id 42!"`, `"id <42>!"`},
		{`[sub("(?<a>.)"; "\(.a|ascii_upcase)", "\(.a|ascii_downcase)", "c")]`, `"aB"`, `["AB","aB","cB"]`},
		// gsub: Ocean's default GitHub mapping's bot-login rewrite (lookahead),
		// a backreference, a lookbehind, empty matches (jq's tests/onig.test).
		{`map(gsub("\\["; "-") | gsub("\\](?=[^$])"; "-") | gsub("\\]$"; ""))`, `["dependabot[bot]","johndoe","bob[x]","a[b]c"]`, `["dependabot-bot","johndoe","bob-x","a-b-c"]`},
		{`gsub("(\\w)\\1"; "<dup>")`, `"aabbc"`, `"<dup><dup>c"`},
		{`gsub("(?<=a)b"; "X")`, `"abab cb"`, `"aXaX cb"`},
		{`gsub(""; "-")`, `"abc"`, `"-a-b-c-"`},
		{`gsub("(?=u)"; "u")`, `"qux"`, `"quux"`},
		{`gsub("^.*?a"; "b")`, `"aaa"`, `"baa"`},
		// Flags (jq manual, "Regular expressions"): g, i, x, n (Oniguruma's
		// FIND_NOT_EMPTY: an empty match is not a match, the engine backtracks
		// for a longer one), s (single line: ^ and $ at the string's ends, as by
		// default), p (s and m: . matches a newline), l (Oniguruma's
		// FIND_LONGEST: the longest match in the whole search range).
		{`[[match("a"; "g") | .offset], [match("a") | .offset]]`, `"aXa"`, `[[0,2],[0]]`},
		{`[test("ABC"; "i"), test("ABC")]`, `"xabcx"`, `[true,false]`},
		{`[test("a b c # letters"; "x"), test("a b c")]`, `"abc"`, `[true,false]`},
		{`[[match("a*"; "gn") | .string], [match("a*"; "g") | .string]]`, `"baaab"`, `[["aaa"],["","aaa","",""]]`},
		{`[match("( )*"; "gn")]`, `"abc"`, `[]`},
		{`[match("a*?"; "gn") | .string]`, `"ab"`, `["a"]`},
		{`[[match("a.b"; "s") | .string], [match("^b"; "s") | .string], [match("a.b") | .string]]`, `"a\nb"`, `[[],[],[]]`},
		{`[match("a.b"; "p") | .string]`, `"a\nb"`, `["a\nb"]`},
		{`[[match("a|ab"; "l") | .string], [match("a|ab") | .string]]`, `"ab"`, `[["ab"],["a"]]`},
		{`[match("\\w+"; "l") | .string]`, `"a bb ccc"`, `["ccc"]`},
		// Anchors: Oniguruma's Perl_NT syntax is SINGLELINE by default (^ is \A,
		// $ is \Z, before a final newline too); (?m) makes them line anchors
		// (Oniguruma doc/RE, "A-1. Syntax-depend options").
		{`[match("^."; "g") | .string]`, `"a\nb"`, `["a"]`},
		{`[match("b$") | .offset]`, `"a\nb\n"`, `[2]`},
		{`[match("(?m)^."; "g") | .string]`, `"a\nb"`, `["a","b"]`},
		// jq's error text for a bad flag.
		{`try test("a"; "q") catch .`, `"a"`, `"q is not a valid modifier string"`},
		// POSIX brackets (Oniguruma doc/RE, "POSIX bracket"); \h is the
		// letter h in Oniguruma's Perl syntax.
		{`[[scan("[[:alpha:]]+")], [scan("[[:^alpha:]]+")], [scan("[[:punct:]]")], [scan("[^[:alnum:]]")]]`, `"ab12cd!"`, `[["ab","cd"],["12","!"],["!"],["!"]]`},
		{`[scan("\\h+")]`, `"xx1fz"`, `[]`},
		// An empty match reports a group that took part as the empty string at
		// the match's offset, even inside a look-around (jq 1.8's f_match).
		{`[match("(?=(u))"; "g")]`, `"qux"`, `[{"offset":1,"length":0,"string":"","captures":[{"offset":1,"string":"","length":0,"name":null}]}]`},
		// Offsets count code points.
		{`match("é+")`, `"aéé"`, `{"offset":1,"length":2,"string":"éé","captures":[]}`},
		// jq's error text for a non-string input; the array form; capture with
		// g; sub with g; gsub with i; with g an empty match at the end is found
		// too.
		{`try test("a") catch .`, `1`, `"number (1) cannot be matched, as it is not a string"`},
		{`[test(["ABC", "i"]), ([match(["b|c", "g"]) | .offset])]`, `"abc"`, `[true,[1,2]]`},
		{`[capture("(?<l>[a-z])(?<d>\\d)"; "g")]`, `"a1b2"`, `[{"l":"a","d":"1"},{"l":"b","d":"2"}]`},
		{`sub("a"; "b"; "g")`, `"aaa"`, `"bbb"`},
		{`gsub("a"; "b"; "i")`, `"xaAay"`, `"xbbby"`},
		{`[match("a*"; "g") | .offset]`, `"ab"`, `[0,1,2]`},
		// splits whose separator is a look-behind between optional spaces.
		{`[splits("\\s*(?<=\\d)\\s*")]`, `"a1 b2 c"`, `["a1","b2","c"]`},
		// jq 1.8 reports a group that took no part in an empty match as offset
		// -1 and string null (jq pull request 3238, "Non-matched optional
		// capture group should be null and offset -1"; jq 1.7.1 gave the
		// match's offset and "").
		{`[match("(a)?(?=x)"; "g")]`, `"x"`, `[{"offset":0,"length":0,"string":"","captures":[{"offset":-1,"length":0,"string":null,"name":null}]}]`},
		{`[match("(?<n>a)?"; "g")]`, `"aaa"`, `[{"offset":0,"length":1,"string":"a","captures":[{"offset":0,"length":1,"string":"a","name":"n"}]},{"offset":1,"length":1,"string":"a","captures":[{"offset":1,"length":1,"string":"a","name":"n"}]},{"offset":2,"length":1,"string":"a","captures":[{"offset":2,"length":1,"string":"a","name":"n"}]},{"offset":3,"length":0,"string":"","captures":[{"offset":-1,"length":0,"string":null,"name":"n"}]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" on "+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := runJQ(t, Options{}, tt.expr, decodeJSON(t, tt.in))
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d outputs %v, want 1", len(got), got)
			}
			if diff := cmp.Diff(decodeJSON(t, tt.want), got[0]); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// A catastrophic pattern fails its field with a clear error instead of
// hanging the run, and the error names the pattern, never the text.
func TestRegexTimeout(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("a", 40) + "!" // backtracking on (a+)+$ is exponential
	for _, expr := range []string{`test("(a+)+$")`, `[match("(a+)+$"; "gn")]`, `[match("(a+)+$"; "l")]`, `split("(a+)+$"; null)`} {
		_, err := runJQ(t, Options{RegexTimeout: 20 * time.Millisecond}, expr, secret)
		if err == nil {
			t.Fatalf("%s: no error", expr)
		}
		msg := err.Error()
		if !strings.Contains(msg, `regex "(a+)+$" on a 41-character string: the match took longer than 20ms`) {
			t.Errorf("%s: error = %q", expr, msg)
		}
		if strings.Contains(msg, secret[:10]) {
			t.Errorf("%s: error shows the input: %q", expr, msg)
		}
	}
}

// A field whose regex, computed from the item, fails is left out of the
// write and reported; its siblings map. (A constant bad regex is a compile
// error: TestConstantRegexIsCompileError.)
func TestRegexErrorIsFieldMisconfig(t *testing.T) {
	t.Parallel()
	b := block(t, "true", map[string]any{
		"identifier": ".id",
		"blueprint":  `"b"`,
		"properties": map[string]any{
			"bad":  `. as $i | .name | test($i.re)`,
			"flag": `. as $i | .name | test("a"; $i.flags)`,
			"ok":   `.name | sub("(?<=a)b"; "B")`,
		},
	})
	got, err := process(t, b, item(t, `{"id":"x","name":"ab","re":"(","flags":"z"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Misconfig{
		{Field: "properties.bad", Expr: `. as $i | .name | test($i.re)`, Err: `"(" is not a valid regex: missing closing )`},
		{Field: "properties.flag", Expr: `. as $i | .name | test("a"; $i.flags)`, Err: `z is not a valid modifier string`},
	}
	if diff := cmp.Diff(want, got[0].Misconfigured); diff != "" {
		t.Errorf("misconfigured (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"ok": "aB"}, got[0].Entity.Properties); diff != "" {
		t.Errorf("properties (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]string{"properties.bad", "properties.flag"}, got[0].Entity.Omitted); diff != "" {
		t.Errorf("omitted (-want +got)\n%s", diff)
	}
}

// Each distinct (pattern, flags) is compiled once per mapping, whatever
// the number of items and goroutines.
func TestRegexCompiledOnce(t *testing.T) {
	t.Parallel()
	e := newRegexEngine(0)
	a, err := e.regex(`\](?=[^$])`, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.regex(`\](?=[^$])`, "")
	c, _ := e.regex(`\](?=[^$])`, "g")
	if a != b {
		t.Error("same pattern and flags compiled twice")
	}
	if a == c {
		t.Error("different flags share a compiled form")
	}
}

// Only expressions that can call a regex builtin get the prelude.
func TestUsesRegex(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text string
		want bool
	}{
		{`.user.login`, false},
		{`.a | ascii_downcase`, false},
		{`if .private then "private" else "public" end`, false},
		{`.a | test("x")`, true},
		{`.a | gsub("x"; "y")`, true},
		{`[.a | splits(",")]`, true},
	} {
		if got := usesRegex(tt.text); got != tt.want {
			t.Errorf("usesRegex(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
