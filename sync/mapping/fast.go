package mapping

import (
	"math"
	"math/big"
	"unicode/utf8"

	"github.com/itchyny/gojq"
)

// fastFunc evaluates a compiled expression without gojq's interpreter. ok
// is false when the input leaves the fast path (a value that is neither an
// object nor null on a path, a type `length` refuses): the caller then runs
// gojq, which produces the exact output or error. When ok is true, v is
// exactly gojq's first output, types included (`length` gives an int as
// gojq does; normalize turns it into a float64 later).
type fastFunc func(in any) (v any, ok bool)

// fastPath compiles the shapes most mapping fields and selectors take —
// `.a.b`, `.`, scalar literals, `X | not`, `X | length`, `X | .a` and
// `X // LITERAL` over those — into a fastFunc; nil for anything else, which
// gojq runs. Every shape has exactly one output, so "first output" and
// "the output" agree.
func fastPath(q *gojq.Query) fastFunc {
	if q == nil || q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
		return nil
	}
	switch {
	case q.Term != nil && q.Left == nil && q.Right == nil:
		return fastTerm(q)
	case q.Term != nil || q.Left == nil || q.Right == nil:
		return nil
	}
	switch q.Op {
	case gojq.OpEq, gojq.OpNe, gojq.OpLt, gojq.OpGt, gojq.OpLe, gojq.OpGe:
		return fastCompare(q)
	case gojq.OpPipe:
		l, r := fastPath(q.Left), fastPath(q.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(in any) (any, bool) {
			v, ok := l(in)
			if !ok {
				return nil, false
			}
			return r(v)
		}
	case gojq.OpAlt:
		// `X // L` outputs X's value when truthy, else L. An error on the
		// left is swallowed by `//`; the fast path leaves that case to gojq.
		l := fastPath(q.Left)
		if l == nil || !isLiteral(q.Right) {
			return nil
		}
		alt, ok := literalValue(q.Right)
		if !ok {
			return nil
		}
		return func(in any) (any, bool) {
			v, ok := l(in)
			if !ok {
				return nil, false
			}
			if jqTruthy(v) {
				return v, true
			}
			return alt, true
		}
	}
	return nil
}

// fastTerm compiles a single term.
func fastTerm(q *gojq.Query) fastFunc {
	t := q.Term
	switch {
	case isLiteral(q):
		v, ok := literalValue(q)
		if !ok {
			return nil
		}
		return func(any) (any, bool) { return v, true }
	case t.Type == gojq.TermTypeIdentity && len(t.SuffixList) == 0:
		return func(in any) (any, bool) { return in, true }
	case t.Type == gojq.TermTypeIndex:
		keys := simplePath(q)
		if keys == nil {
			return nil
		}
		return func(in any) (any, bool) { return walk(in, keys) }
	case t.Type == gojq.TermTypeArray && t.Array != nil && len(t.SuffixList) == 0:
		if t.Array.Query == nil {
			return func(any) (any, bool) { return []any{}, true }
		}
		st := fastStream(t.Array.Query)
		if st == nil {
			return nil
		}
		return func(in any) (any, bool) {
			out := []any{}
			if !st(in, func(v any) { out = append(out, v) }) {
				return nil, false
			}
			return out, true
		}
	case t.Type == gojq.TermTypeFunc && t.Func != nil && len(t.Func.Args) == 0 && len(t.SuffixList) == 0:
		switch t.Func.Name {
		case "not":
			return func(in any) (any, bool) { return !jqTruthy(in), true }
		case "length":
			return jqLength
		}
	}
	return nil
}

// literalValue is a literal's value as gojq produces it.
func literalValue(q *gojq.Query) (any, bool) {
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, false
	}
	v, ok := code.Run(nil).Next()
	if _, isErr := v.(error); !ok || isErr {
		return nil, false
	}
	return v, true
}

// jqTruthy is jq's truth: everything but null and false.
func jqTruthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	}
	return true
}

// jqLength is gojq's `length` for the types a decoded item holds; ok is
// false for the rest (a boolean is an error gojq words).
func jqLength(v any) (any, bool) {
	switch t := v.(type) {
	case nil:
		return 0, true
	case string:
		return utf8.RuneCountInString(t), true
	case []any:
		return len(t), true
	case map[string]any:
		return len(t), true
	case float64:
		return math.Abs(t), true
	case int:
		if t >= 0 {
			return t, true
		}
	case *big.Int:
		if t.Sign() >= 0 {
			return t, true
		}
	}
	return nil, false
}

// streamFunc emits the outputs of a generator; ok is false when the input
// leaves the fast path (the caller then runs gojq on the whole expression).
type streamFunc func(in any, emit func(any)) (ok bool)

// fastStream compiles what an array constructor collects in the shape
// `[.a.b[] | select(COND) | .c]`: a path iterating an array, pipes,
// select over a fast condition, and single-output fast stages.
func fastStream(q *gojq.Query) streamFunc {
	if q == nil || q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
		return nil
	}
	if q.Term == nil && q.Op == gojq.OpPipe && q.Left != nil && q.Right != nil {
		l, r := fastStream(q.Left), fastStream(q.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(in any, emit func(any)) bool {
			ok := true
			return l(in, func(v any) {
				if ok && !r(v, emit) {
					ok = false
				}
			}) && ok
		}
	}
	if t := q.Term; t != nil && q.Left == nil && q.Right == nil {
		switch {
		case t.Type == gojq.TermTypeFunc && t.Func != nil && t.Func.Name == "select" && len(t.Func.Args) == 1 && len(t.SuffixList) == 0:
			cond := fastPath(t.Func.Args[0])
			if cond == nil {
				return nil
			}
			return func(in any, emit func(any)) bool {
				v, ok := cond(in)
				if ok && jqTruthy(v) {
					emit(in)
				}
				return ok
			}
		case t.Type == gojq.TermTypeIndex && len(t.SuffixList) > 0 && t.SuffixList[len(t.SuffixList)-1].Iter:
			// `.a.b[]` over an array; an object's values (in gojq's key
			// order), null and the rest are left to gojq.
			head := *t
			head.SuffixList = t.SuffixList[:len(t.SuffixList)-1]
			keys := simplePath(&gojq.Query{Term: &head})
			if keys == nil {
				return nil
			}
			return func(in any, emit func(any)) bool {
				v, ok := walk(in, keys)
				arr, isArr := v.([]any)
				if !ok || !isArr {
					return false
				}
				for _, x := range arr {
					emit(x)
				}
				return true
			}
		}
	}
	f := fastPath(q)
	if f == nil {
		return nil
	}
	return func(in any, emit func(any)) bool {
		v, ok := f(in)
		if ok {
			emit(v)
		}
		return ok
	}
}

// fastCompare compiles `A op B` (==, !=, <, >, <=, >=) over two fast
// operands with gojq's own ordering (gojq.Compare), so the answer is
// gojq's for every pair of values.
func fastCompare(q *gojq.Query) fastFunc {
	l, r := fastPath(q.Left), fastPath(q.Right)
	if l == nil || r == nil {
		return nil
	}
	op := q.Op
	return func(in any) (any, bool) {
		a, ok := l(in)
		if !ok {
			return nil, false
		}
		b, ok := r(in)
		if !ok {
			return nil, false
		}
		c := gojq.Compare(a, b)
		switch op {
		case gojq.OpEq:
			return c == 0, true
		case gojq.OpNe:
			return c != 0, true
		case gojq.OpLt:
			return c < 0, true
		case gojq.OpGt:
			return c > 0, true
		case gojq.OpLe:
			return c <= 0, true
		}
		return c >= 0, true
	}
}
