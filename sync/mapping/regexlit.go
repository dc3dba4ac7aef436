package mapping

import (
	"fmt"
	"strconv"

	"github.com/itchyny/gojq"
)

// A regex builtin called with a constant pattern (and constant flags, where
// given) is checked when the mapping compiles: a pattern or flags string
// that can never work is a mistake in the config, reported once with its
// field and line, before anything is fetched or written, instead of a null
// field on every item. The check compiles the pattern with the engine the
// run uses, so the verdict is the run's. A pattern or flags computed from
// the item stays a run-time check.

// regexCall is how one regex builtin of a given arity passes its arguments
// to the engine (the prelude in regex.go).
type regexCall struct {
	// flags is the index of the flags argument; -1 when the builtin takes
	// none.
	flags int
	// prefix and suffix are what the prelude adds to the flags ("g" +
	// $flags for scan, $flags + "g" for gsub); a null flags argument then
	// counts as "".
	prefix, suffix string
	// fixed is the flags when the builtin takes none; nil for jq's null.
	fixed any
	// packed is set for test/1, match/1 and capture/1, whose one argument
	// may also be an array [pattern, flags].
	packed bool
}

// regexCalls are the regex builtins by name and arity, the pattern always
// being the first argument.
var regexCalls = map[string]map[int]regexCall{
	"test":    {1: {flags: -1, packed: true}, 2: {flags: 1}},
	"match":   {1: {flags: -1, packed: true}, 2: {flags: 1}},
	"capture": {1: {flags: -1, packed: true}, 2: {flags: 1}},
	"scan":    {1: {flags: -1, fixed: "g"}, 2: {flags: 1, prefix: "g"}},
	"split":   {2: {flags: 1, prefix: "g"}},
	"splits":  {1: {flags: -1, fixed: "g"}, 2: {flags: 1, prefix: "g"}},
	"sub":     {2: {flags: -1, fixed: ""}, 3: {flags: 2}},
	"gsub":    {2: {flags: -1, fixed: "g"}, 3: {flags: 2, suffix: "g"}},
}

// constantRegexProblems compiles every constant regex q passes to a regex
// builtin and returns one message for each that does not compile.
func constantRegexProblems(q *gojq.Query, rx *regexEngine) []string {
	w := &regexWalk{rx: rx, defined: map[string]bool{}}
	// A builtin the expression redefines is the author's function, not a
	// regex; jq's scoping is lexical, but skipping the name everywhere
	// never reports a good expression.
	w.defs(q)
	w.query(q)
	return w.problems
}

type regexWalk struct {
	rx       *regexEngine
	defined  map[string]bool // "name/arity" of the expression's own defs
	problems []string
}

func (w *regexWalk) defs(q *gojq.Query) {
	walkQuery(q, func(fd *gojq.FuncDef) { w.defined[fd.Name+"/"+strconv.Itoa(len(fd.Args))] = true }, nil)
}

func (w *regexWalk) query(q *gojq.Query) {
	walkQuery(q, nil, w.call)
}

// call checks one function call.
func (w *regexWalk) call(f *gojq.Func) {
	rc, ok := regexCalls[f.Name][len(f.Args)]
	if !ok || w.defined[f.Name+"/"+strconv.Itoa(len(f.Args))] {
		return
	}
	var pattern string
	var flags any
	if rc.packed {
		elems, ok := literalArray(f.Args[0])
		if ok {
			// jq's test([re, flags]): the first two elements.
			if len(elems) == 0 {
				return
			}
			p, ok := elems[0].(string)
			if !ok {
				return
			}
			pattern = p
			if len(elems) > 1 {
				flags = elems[1]
			}
			w.check(f, pattern, flags)
			return
		}
	}
	p, ok := literal(f.Args[0])
	s, isStr := p.(string)
	if !ok || !isStr {
		return
	}
	pattern = s
	if rc.flags < 0 {
		w.check(f, pattern, rc.fixed)
		return
	}
	v, ok := literal(f.Args[rc.flags])
	if !ok {
		return
	}
	switch {
	case v != nil:
		flags = rc.prefix + v.(string) + rc.suffix
	case rc.prefix != "" || rc.suffix != "":
		// jq's "g" + null and null + "g" are "g".
		flags = rc.prefix + rc.suffix
	}
	w.check(f, pattern, flags)
}

// check compiles pattern with flags as the run would.
func (w *regexWalk) check(f *gojq.Func, pattern string, flags any) {
	if _, err := w.rx.regex(pattern, flags); err != nil {
		w.problems = append(w.problems, fmt.Sprintf("%s/%d: %v", f.Name, len(f.Args), err))
	}
}

// literal returns the value of a string or null literal, the constants a
// regex builtin takes; ok is false for anything else.
func literal(q *gojq.Query) (any, bool) {
	if !bare(q) || len(q.Term.SuffixList) > 0 {
		return nil, false
	}
	switch t := q.Term; t.Type {
	case gojq.TermTypeString:
		if t.Str == nil || t.Str.Queries != nil {
			return nil, false
		}
		return t.Str.Str, true
	case gojq.TermTypeNull:
		return nil, true
	}
	return nil, false
}

// literalArray returns the elements of an array of literals such as
// ["(a", "g"]; ok is false for anything else.
func literalArray(q *gojq.Query) (elems []any, ok bool) {
	if !bare(q) || len(q.Term.SuffixList) > 0 || q.Term.Type != gojq.TermTypeArray || q.Term.Array == nil {
		return nil, false
	}
	var add func(q *gojq.Query) bool
	add = func(q *gojq.Query) bool {
		if q == nil {
			return true
		}
		if q.Op == gojq.OpComma && q.Term == nil {
			return add(q.Left) && add(q.Right)
		}
		v, ok := literal(q)
		elems = append(elems, v)
		return ok
	}
	if !add(q.Term.Array.Query) {
		return nil, false
	}
	return elems, true
}

// walkQuery visits every function definition in q and every function call
// whose error is not caught, in source order. A call inside `try`'s body,
// under a `?` or left of `//` may fail on purpose, the expression giving
// another value instead, so it is not visited.
func walkQuery(q *gojq.Query, def func(*gojq.FuncDef), call func(*gojq.Func)) {
	v := &visitor{def: def, call: call}
	v.query(q)
}

type visitor struct {
	def     func(*gojq.FuncDef)
	call    func(*gojq.Func)
	guarded int // depth of constructs catching errors around the walk
}

// caught walks f with errors caught.
func (v *visitor) caught(f func()) {
	v.guarded++
	f()
	v.guarded--
}

func (v *visitor) query(q *gojq.Query) {
	if q == nil {
		return
	}
	for _, fd := range q.FuncDefs {
		if v.def != nil {
			v.def(fd)
		}
		v.query(fd.Body)
	}
	v.term(q.Term)
	if q.Op == gojq.OpAlt {
		v.caught(func() { v.query(q.Left) })
	} else {
		v.query(q.Left)
	}
	v.query(q.Right)
	for _, p := range q.Patterns {
		v.pattern(p)
	}
}

func (v *visitor) pattern(p *gojq.Pattern) {
	if p == nil {
		return
	}
	for _, e := range p.Array {
		v.pattern(e)
	}
	for _, o := range p.Object {
		v.str(o.KeyString)
		v.query(o.KeyQuery)
		v.pattern(o.Val)
	}
}

func (v *visitor) str(s *gojq.String) {
	if s == nil {
		return
	}
	for _, q := range s.Queries {
		v.query(q)
	}
}

func (v *visitor) index(ix *gojq.Index) {
	if ix == nil {
		return
	}
	v.str(ix.Str)
	v.query(ix.Start)
	v.query(ix.End)
}

func (v *visitor) term(t *gojq.Term) {
	if t == nil {
		return
	}
	// `X?` catches the errors of the term and of its suffixes up to the
	// last `?`.
	last := -1
	for i, s := range t.SuffixList {
		if s.Optional {
			last = i
		}
	}
	if last >= 0 {
		base := *t
		base.SuffixList = nil
		v.caught(func() {
			v.term(&base)
			for _, s := range t.SuffixList[:last+1] {
				v.index(s.Index)
			}
		})
		for _, s := range t.SuffixList[last+1:] {
			v.index(s.Index)
		}
		return
	}
	v.index(t.Index)
	if t.Func != nil {
		if v.call != nil && v.guarded == 0 {
			v.call(t.Func)
		}
		for _, a := range t.Func.Args {
			v.query(a)
		}
	}
	if t.Object != nil {
		for _, kv := range t.Object.KeyVals {
			v.str(kv.KeyString)
			v.query(kv.KeyQuery)
			v.query(kv.Val)
		}
	}
	if t.Array != nil {
		v.query(t.Array.Query)
	}
	if t.Unary != nil {
		v.term(t.Unary.Term)
	}
	v.str(t.Str)
	if t.If != nil {
		v.query(t.If.Cond)
		v.query(t.If.Then)
		for _, e := range t.If.Elif {
			v.query(e.Cond)
			v.query(e.Then)
		}
		v.query(t.If.Else)
	}
	if t.Try != nil {
		v.caught(func() { v.query(t.Try.Body) })
		v.query(t.Try.Catch)
	}
	if r := t.Reduce; r != nil {
		v.query(r.Query)
		for _, p := range r.Patterns {
			v.pattern(p)
		}
		v.query(r.Start)
		v.query(r.Update)
	}
	if f := t.Foreach; f != nil {
		v.query(f.Query)
		for _, p := range f.Patterns {
			v.pattern(p)
		}
		v.query(f.Start)
		v.query(f.Update)
		v.query(f.Extract)
	}
	if t.Label != nil {
		v.query(t.Label.Body)
	}
	v.query(t.Query)
	for _, s := range t.SuffixList {
		v.index(s.Index)
	}
}
