package mapping

import (
	"fmt"
	"math/big"
	"reflect"
	"testing"

	"github.com/itchyny/gojq"
	"github.com/tide-sync/tide/internal/jsonx"
)

// gojqFirst is gojq's first output for expr over in, an error as a value.
func gojqFirst(t testing.TB, q *gojq.Query, in any) (any, bool) {
	t.Helper()
	code, err := gojq.Compile(q)
	if err != nil {
		t.Fatalf("compile %s: %v", q, err)
	}
	return code.Run(in).Next()
}

// checkFast fails when the fast path compiled from expr answers in
// differently from gojq: another value, another type, or an answer where
// gojq has no output or an error. It returns whether the fast path
// answered (false: it compiled no fast path, or it left the input to gojq).
func checkFast(t testing.TB, expr string, in any) bool {
	t.Helper()
	q, err := gojq.Parse(expr)
	if err != nil {
		return false
	}
	f := fastPath(q)
	if f == nil {
		return false
	}
	got, ok := f(in)
	if !ok {
		return false
	}
	want, has := gojqFirst(t, q, in)
	if !has {
		t.Fatalf("%s over %#v: fast path gave %#v, gojq no output", expr, in, got)
	}
	if err, isErr := want.(error); isErr {
		t.Fatalf("%s over %#v: fast path gave %#v, gojq the error %v", expr, in, got, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s over %#v: fast path gave %#v (%T), gojq %#v (%T)", expr, in, got, got, want, want)
	}
	return true
}

func TestFastPathMatchesGojq(t *testing.T) {
	t.Parallel()
	doc := `{"a": {"b": "x", "n": null, "arr": [1, 2, {"c": 3}], "f": false, "t": true, "s": "héllo"},
	  "num": -2.5, "i": 3, "big": 123456789012345678901234567890, "neg": -7, "empty": "", "zero": 0,
	  "o": {}, "l": [], "archived": false,
	  "envs": [{"name": "prod", "replicas": 3}, {"name": "dev", "replicas": 0}, {"name": "qa", "replicas": 1.5}]}`
	v, err := jsonx.DecodeExactInts([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		fast bool // the fast path answers (true) or hands this input to gojq
	}{
		{`.a.b`, true},
		{`.missing`, true},
		{`.missing.deeper.still`, true},
		{`.a.n.x`, true},
		{`.a.b.c`, false}, // indexing a string: gojq's error
		{`.a.arr.c`, false},
		{`.`, true},
		{`"service"`, true},
		{`3`, true},
		{`1.5`, true},
		{`null`, true},
		{`true`, true},
		{`.archived | not`, true},
		{`.a.t | not`, true},
		{`.missing | not`, true},
		{`.a.b | not`, true},
		{`.zero | not`, true},
		{`.a.arr | length`, true},
		{`.a | length`, true},
		{`.a.s | length`, true},
		{`.missing | length`, true},
		{`.num | length`, true},
		{`.i | length`, true},
		{`.neg | length`, true},
		{`.big | length`, true},
		{`.a.t | length`, false}, // boolean has no length: gojq's error
		{`.a.b // null`, true},
		{`.missing // null`, true},
		{`.a.f // "default"`, true},
		{`.a.n // 0`, true},
		{`.empty // "x"`, true},
		{`.a.b.c // "x"`, false}, // `//` swallows the left error: gojq decides
		{`.a | .b`, true},
		{`.a | .arr | length`, true},
		{`.a.arr | length | not`, true},
		{`.missing // .a.b`, false}, // right side not a literal: gojq only
		{`[.a.arr[] | select(. > 1)]`, true},
		{`[.a.arr[] | select(. == 2) | . ]`, true},
		{`[.a.arr[] | .c]`, false}, // indexing a number: gojq's error
		{`[.envs[] | select(.replicas > 0) | .name]`, true},
		{`[.envs[] | select(.replicas >= 0 and .name) | .name]`, false},
		{`[.l[]]`, true},
		{`[]`, true},
		{`[.a.b]`, true},
		{`[.missing[]]`, false}, // iterating null: gojq's error
		{`[.o[]]`, false},       // an object's values: left to gojq
		{`.a.b == "x"`, true},
		{`.a.b != "x"`, true},
		{`.num < .i`, true},
		{`.big > 1`, true},
		{`.a.n == null`, true},
		{`.a.f < .a.t`, true},
		{`.a <= .l`, true},
		{`.a.t >= "s"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			if got := checkFast(t, tt.expr, v); got != tt.fast {
				t.Errorf("fast path answered = %v, want %v", got, tt.fast)
			}
		})
	}
}

func TestFastPathNotCompiled(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		`.a[]`, `.a[0]`, `.a?`, `."a-b"`, `.a | tostring`, `.a + "x"`, `{a: .a}`,
		`.a | length(1)`, `def f: .; f`, `.a as $x | $x`, `.a // error("x")`, `"x\(.a)"`,
		`.a, .b`, `not(.a)`,
	} {
		q, err := gojq.Parse(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if fastPath(q) != nil {
			t.Errorf("%s: compiled a fast path, want gojq", expr)
		}
	}
}

// TestProgramFallsBackToGojqErrors: a fast-path expression that meets an
// input it does not handle fails the field with gojq's own message.
func TestProgramFallsBackToGojqErrors(t *testing.T) {
	t.Parallel()
	c := newCompiler(Options{})
	for _, tt := range []struct{ expr, in string }{
		{`.a.b`, `{"a": "s"}`},
		{`.a | length`, `{"a": true}`},
	} {
		p := c.compile("f", tt.expr)
		if p == nil || p.fast == nil {
			t.Fatalf("%s: no fast path", tt.expr)
		}
		in, err := jsonx.Decode([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		_, _, got := p.first(nil, in)
		q, _ := gojq.Parse(tt.expr)
		want, _ := gojqFirst(t, q, in)
		if got == nil || got.Error() != fmt.Sprint(want) {
			t.Errorf("%s over %s: error %v, want gojq's %v", tt.expr, tt.in, got, want)
		}
	}
}

func FuzzFastPath(f *testing.F) {
	for _, s := range []struct{ expr, doc string }{
		{`.a.b`, `{"a": {"b": 1}}`},
		{`.a | not`, `{"a": null}`},
		{`.a | length`, `{"a": [1, 2]}`},
		{`.a // null`, `{"a": false}`},
		{`.a.b // "x"`, `{"a": "str"}`},
		{`. | length`, `"héllo"`},
		{`.a | .b | length | not`, `{"a": {"b": -3.5}}`},
		{`.n | length`, `{"n": 123456789012345678901234567890}`},
		{`true`, `null`},
		{`[.e[] | select(.r > 0) | .n]`, `{"e": [{"n": "a", "r": 1}, {"n": "b", "r": 0}]}`},
		{`.a == .b`, `{"a": [1], "b": [1.0]}`},
		{`[.a[] | select(. != null)]`, `{"a": [null, 1, "x", {}]}`},
	} {
		f.Add(s.expr, s.doc)
	}
	f.Fuzz(func(t *testing.T, expr, doc string) {
		in, err := jsonx.DecodeExactInts([]byte(doc))
		if err != nil {
			return
		}
		checkFast(t, expr, in)
	})
}

func TestJqLengthBigNegative(t *testing.T) {
	t.Parallel()
	// A negative big integer's length is a new value in gojq: the fast
	// path leaves it to gojq rather than allocate the same.
	if _, ok := jqLength(big.NewInt(-5)); ok {
		t.Error("jqLength(-5 as *big.Int) answered; want it left to gojq")
	}
}
