package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// compileField compiles a one-resource mapping whose properties.f is expr.
func compileField(t *testing.T, expr string) error {
	t.Helper()
	cfg, err := Parse([]byte("resources:\n  - kind: repo\n    selector: {query: 'true'}\n    port:\n      entity:\n        mappings:\n          identifier: .id\n          blueprint: '\"b\"'\n          properties:\n            f: '" + strings.ReplaceAll(expr, "'", "''") + "'\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	_, err = Compile(cfg, Options{})
	return err
}

// A constant pattern or flags string that the run's regex engine rejects
// is a compile error naming the resource, field, line, expression and the
// regex problem, with the engine's own message.
func TestConstantRegexIsCompileError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string // the problem's message
	}{
		{`.name | test("(")`, `test/1: "(" is not a valid regex: missing closing )`},
		{`.name | test("(";null)`, `test/2: "(" is not a valid regex: missing closing )`},
		{`.name | test("a"; "z")`, `test/2: z is not a valid modifier string`},
		{`.name | test(["(", "g"])`, `test/1: "(" is not a valid regex: missing closing )`},
		{`.name | test(["a", "gz"])`, `test/1: gz is not a valid modifier string`},
		{`.name | test(["a", "i", "ignored"]) and test("?")`, `test/1: "?" is not a valid regex: missing argument to repetition operator`},
		{`.name | match("[a-")`, `match/1: "[a-" is not a valid regex: premature end of char-class`},
		{`[.name | match("a"; "q")]`, `match/2: q is not a valid modifier string`},
		{`.name | capture("(?<n>a")`, `capture/1: "(?<n>a" is not a valid regex: missing closing )`},
		{`.name | capture("a"; "gx!")`, `capture/2: gx! is not a valid modifier string`},
		{`[.name | scan("*")]`, `scan/1: "*" is not a valid regex: missing argument to repetition operator`},
		// scan/2 passes "g" + flags, as jq's definition does.
		{`[.name | scan("a"; "z")]`, `scan/2: gz is not a valid modifier string`},
		{`.name | split("("; null)`, `split/2: "(" is not a valid regex: missing closing )`},
		{`.name | split(","; "y")`, `split/2: gy is not a valid modifier string`},
		{`[.name | splits(")")]`, `splits/1: ")" is not a valid regex: unexpected )`},
		{`[.name | splits("a"; "w")]`, `splits/2: gw is not a valid modifier string`},
		{`.name | sub("[a-"; "x")`, `sub/2: "[a-" is not a valid regex: premature end of char-class`},
		{`.name | sub("a"; "x"; "v")`, `sub/3: v is not a valid modifier string`},
		{`.name | gsub("\\"; "x")`, `gsub/2: "\\" is not a valid regex: illegal \ at end of pattern`},
		// gsub/3 passes flags + "g".
		{`.name | gsub("a"; "x"; "v")`, `gsub/3: vg is not a valid modifier string`},
		// Anywhere in the expression: inside objects, conditions, a
		// function's body, a string interpolation, a reduce.
		{`{a: (.name | ascii_downcase | test("(a"))}`, `test/1: "(a" is not a valid regex: missing closing )`},
		{`if .x then .name | sub("(";"") else null end`, `sub/2: "(" is not a valid regex: missing closing )`},
		{`def f: test("+"); .name | f`, `test/1: "+" is not a valid regex: missing argument to repetition operator`},
		{`"\(.name | gsub("(?<x"; ""))"`, `gsub/2: "(?<x" is not a valid regex: unrecognized grouping construct: (?<x`},
		{`reduce .tags[] as $t (""; . + ($t | sub("["; "")))`, `sub/2: "[" is not a valid regex: premature end of char-class`},
		{`.name // "" | test("a(?<n>b)\\k<m>")`, `test/1: "a(?<n>b)\\k<m>" is not a valid regex: reference to undefined group name m`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			err := compileField(t, tt.expr)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Compile = %v, want ErrInvalid", err)
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %T, want *CompileError", err)
			}
			want := []Problem{{Index: 0, Kind: "repo", Field: "port.entity.mappings.properties.f", Expr: tt.expr, Message: tt.want, Line: 10}}
			if diff := cmp.Diff(want, ce.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// The compile-time verdict is the run's: the same message the field gets
// at run time when the pattern comes from the item.
func TestConstantRegexVerdictMatchesRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ pattern, flags string }{
		{"(", ""}, {"[a-", "g"}, {"a", "z"}, {"(?<=a+", ""}, {"a{2,1}", ""},
	} {
		err := compileField(t, `.name | test("`+tt.pattern+`"; "`+tt.flags+`")`)
		var ce *CompileError
		if !errors.As(err, &ce) || len(ce.Problems) != 1 {
			t.Fatalf("%q %q: Compile = %v, want one problem", tt.pattern, tt.flags, err)
		}
		_, runErr := runJQ(t, Options{}, `.[0] as $p | .[1] as $f | "abc" | test($p; $f)`, []any{tt.pattern, tt.flags})
		if runErr == nil {
			t.Fatalf("%q %q: no run-time error", tt.pattern, tt.flags)
		}
		if got, want := ce.Problems[0].Message, "test/2: "+runErr.Error(); got != want {
			t.Errorf("compile says %q, the run says %q", got, want)
		}
	}
}

// Good constant regexes compile, and so does every regex whose pattern or
// flags are computed, however wrong their value will be: that stays a
// run-time check. A builtin the expression redefines is not a regex.
func TestRegexCompilesWhenNotConstantlyBad(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		// Ocean's default GitHub mapping.
		`.user.login | gsub("\\["; "-") | gsub("\\](?=[^$])"; "-") | gsub("\\]$"; "")`,
		`.name | test("foo(?=bar)")`,
		`.name | test("A"; "gixnslp")`,
		`.name | test("a"; null)`,
		`.name | test(["a"])`,
		`.name | test(["a", null])`,
		`[.name | match("(?<y>\\d{4})-(\\1)"; "g")]`,
		`.name | capture("(?<a>x)")`,
		`[.name | scan("a"; null)]`,
		`[.name | scan("a"; "i")]`,
		`.name | split(", *"; null)`,
		`.name | split("(")`, // split/1 is a plain string split
		`[.name | splits("a")]`,
		`.name | sub("(?<x>a)"; "\(.x)"; "g")`,
		`.name | gsub("a"; "b"; null)`,
		`.name | gsub("a"; "b"; "i")`,
		// Computed patterns and flags.
		`. as $i | .name | test($i.re)`,
		`. as $i | .name | test("a"; $i.flags)`,
		`.name | test("(" + "")`,
		`.name | test("\(.x)(")`,
		`.name | test(["(", .f])`,
		`.name | test(.re // "(")`,
		`.name | test("a"; 1)`,
		`.name | gsub("a"; "b"; "z" + "")`,
		// The expression's own definitions.
		`def test($x): $x; test("(")`,
		`def sub($a; $b): $a; sub("["; "x")`,
		// Not a regex builtin of that arity.
		`ltrimstr("(") | rtrimstr("[")`,
		`{test: "("} | .test`,
		// Errors the expression catches: jq gives the fallback value.
		`try (.name | test("(")) catch false`,
		`.name | test("[")?`,
		`(.name | sub("("; ""))? // .name`,
		`.name | test("(") // false`,
	} {
		if err := compileField(t, expr); err != nil {
			t.Errorf("%s: %v", expr, err)
		}
	}
}

// One problem per bad regex, in source order; every field is reported.
func TestConstantRegexProblemsListed(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`
resources:
  - kind: repo
    selector: {query: '.name | test("[")'}
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"b"'
          title: .name | sub("("; "") | sub(")"; "")
          properties:
            ok: .name | test("a")
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(cfg, Options{})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *CompileError", err)
	}
	type row struct {
		Field, Message string
		Line           int
	}
	var got []row
	for _, p := range ce.Problems {
		got = append(got, row{p.Field, p.Message, p.Line})
	}
	want := []row{
		{"selector.query", `test/1: "[" is not a valid regex: premature end of char-class`, 4},
		{"port.entity.mappings.title", `sub/2: "(" is not a valid regex: missing closing )`, 10},
		{"port.entity.mappings.title", `sub/2: ")" is not a valid regex: unexpected )`, 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if msg := err.Error(); !strings.Contains(msg, `resources[0] (kind "repo") port.entity.mappings.title: sub/2: "(" is not a valid regex: missing closing ): ".name | sub(\"(\"; \"\") | sub(\")\"; \"\")" (line 10)`) {
		t.Errorf("error text:\n%s", msg)
	}
}
