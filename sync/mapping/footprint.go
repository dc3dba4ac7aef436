package mapping

import (
	"strings"

	"github.com/itchyny/gojq"
	"github.com/tide-sync/tide/internal/jsonx"
)

// Footprint returns what of an item the block's expressions can read —
// the selector query, itemsToParse and every mapped field — so that an
// integration may decode only that (docs/architecture.md#projection-decoding).
// nil means the whole item: a block whose reads are not fully known gives
// nil, and so does one with references (file://), which the integration
// resolves from the item.
//
// The footprint is conservative: for any item, every expression gives the
// same output and the same error on the item cut to the footprint
// (jsonx.DecodeProjected) as on the whole item. A path that is only walked
// through (`.a` in `.a.b`) keeps its object with just the keys read
// below it; a path whose value is used (output, compared, measured,
// iterated, handed to a function) keeps its whole value; a value tested
// only for truth (`if .a`, `.a and .b`, `.a | not`) keeps its object
// with no keys, which is exactly as true.
func (b *Block) Footprint() *jsonx.Projection {
	if len(b.refs) > 0 {
		return nil
	}
	a := &reads{root: &fnode{}}
	expr := a
	if b.items != nil {
		// Each element e of the list becomes {...parent, name: e}: a read
		// under name reads the list's elements, any other the parent. Only
		// a plain list path is followed.
		q, err := gojq.Parse(NormalizeQuotes(b.items.list.src))
		if err != nil {
			return nil
		}
		list := simplePath(q)
		if list == nil || (b.items.del != nil && b.items.keys == nil) {
			return nil
		}
		a.use([][]string{list})
		expr = &reads{root: &fnode{}}
	}
	expr.text(b.Resource.Selector.Query)
	for _, n := range []*node{b.identifier, b.blueprint, b.title, b.icon, b.team} {
		expr.tree(n)
	}
	for _, fs := range [][]field{b.properties, b.relations} {
		for _, f := range fs {
			expr.tree(f.n)
		}
	}
	if expr != a {
		if expr.root.whole {
			return nil
		}
		for k, n := range expr.root.keys {
			if k != b.items.name {
				a.root.child(k).merge(n)
			}
		}
	}
	return a.root.projection()
}

// fnode is a footprint under construction.
type fnode struct {
	whole bool
	keys  map[string]*fnode
}

func (n *fnode) child(k string) *fnode {
	if n.keys == nil {
		n.keys = map[string]*fnode{}
	}
	c, ok := n.keys[k]
	if !ok {
		c = &fnode{}
		n.keys[k] = c
	}
	return c
}

// at returns the node of path, creating it; nil when a node on the way
// is whole already.
func (n *fnode) at(path []string) *fnode {
	for _, k := range path {
		if n.whole {
			return nil
		}
		n = n.child(k)
	}
	if n.whole {
		return nil
	}
	return n
}

func (n *fnode) merge(o *fnode) {
	if n.whole || o.whole {
		n.whole, n.keys = true, nil
		return
	}
	for k, c := range o.keys {
		n.child(k).merge(c)
	}
}

func (n *fnode) projection() *jsonx.Projection {
	if n.whole {
		return nil
	}
	p := &jsonx.Projection{Keys: make(map[string]*jsonx.Projection, len(n.keys))}
	for k, c := range n.keys {
		p.Keys[k] = c.projection()
	}
	return p
}

// reads collects the paths expressions read from their input, the item.
// A value flows through the analysis as the set of item paths it may be
// (nil for a value computed from whole values and literals only).
type reads struct {
	root *fnode
}

// paths is the item paths a value may be.
type paths = [][]string

var itemRoot = paths{nil}

// use keeps the whole value of each path.
func (a *reads) use(ps paths) {
	for _, p := range ps {
		if n := a.root.at(p); n != nil {
			n.whole, n.keys = true, nil
		}
	}
}

// present keeps each path's object (its truth and type), no keys.
func (a *reads) present(ps paths) {
	for _, p := range ps {
		a.root.at(p)
	}
}

func (a *reads) tree(n *node) {
	if n == nil {
		return
	}
	switch n.kind {
	case leafNode:
		a.text(n.expr)
	case refNode:
		a.root.whole = true
	}
	for _, f := range n.obj {
		a.tree(f.n)
	}
	for _, c := range n.arr {
		a.tree(c)
	}
}

// text adds what one expression reads, its output used whole.
func (a *reads) text(src string) {
	q, err := gojq.Parse(NormalizeQuotes(src))
	if err != nil {
		a.root.whole = true
		return
	}
	a.use(a.query(q, itemRoot))
}

func extend(ps paths, k string) paths {
	out := make(paths, len(ps))
	for i, p := range ps {
		out[i] = append(p[:len(p):len(p)], k)
	}
	return out
}

// opaque is the answer for what the analysis does not follow: reading
// only from its input (no variable reaches outside it; a binding is
// itself opaque), it can read at most the input's whole value.
func (a *reads) opaque(in paths) paths {
	a.use(in)
	return nil
}

// query returns the paths q's outputs may be, given its input's.
func (a *reads) query(q *gojq.Query, in paths) paths {
	switch {
	case q == nil:
		return in
	case q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0:
		return a.opaque(in)
	case q.Term != nil:
		return a.term(q.Term, in)
	}
	switch q.Op {
	case gojq.OpPipe:
		return a.query(q.Right, a.query(q.Left, in))
	case gojq.OpComma, gojq.OpAlt:
		// `//` tests its left side's truth: an object kept with fewer
		// keys is as true.
		return append(a.query(q.Left, in), a.query(q.Right, in)...)
	case gojq.OpAnd, gojq.OpOr:
		a.present(a.query(q.Left, in))
		a.present(a.query(q.Right, in))
		return nil
	case gojq.OpAdd, gojq.OpSub, gojq.OpMul, gojq.OpDiv, gojq.OpMod,
		gojq.OpEq, gojq.OpNe, gojq.OpGt, gojq.OpLt, gojq.OpGe, gojq.OpLe:
		a.use(a.query(q.Left, in))
		a.use(a.query(q.Right, in))
		return nil
	}
	return a.opaque(in) // assignments and updates rebuild the input
}

// noInput are builtins that read nothing of their input.
var noInput = map[string]bool{"empty": true, "env": true, "now": true, "input_filename": true, "builtins": true, "halt": true, "null": true}

func (a *reads) term(t *gojq.Term, in paths) paths {
	var out paths
	switch t.Type {
	case gojq.TermTypeIdentity:
		out = in
	case gojq.TermTypeNull, gojq.TermTypeTrue, gojq.TermTypeFalse, gojq.TermTypeNumber, gojq.TermTypeBreak:
	case gojq.TermTypeString:
		a.str(t.Str, in)
	case gojq.TermTypeFormat:
		if t.Str == nil {
			a.use(in)
		} else {
			a.str(t.Str, in)
		}
	case gojq.TermTypeIndex:
		out = a.index(t.Index, in, in)
	case gojq.TermTypeFunc:
		out = a.fn(t.Func, in)
	case gojq.TermTypeObject:
		for _, kv := range t.Object.KeyVals {
			if kv.KeyString != nil {
				a.str(kv.KeyString, in)
			}
			if kv.KeyQuery != nil {
				a.use(a.query(kv.KeyQuery, in))
			}
			switch {
			case kv.Val != nil:
				a.use(a.query(kv.Val, in))
			case strings.HasPrefix(kv.Key, "$"):
			case kv.Key != "":
				a.use(extend(in, kv.Key)) // {a} is {a: .a}
			case kv.KeyString != nil && kv.KeyString.Queries == nil:
				a.use(extend(in, kv.KeyString.Str))
			default:
				a.use(in)
			}
		}
	case gojq.TermTypeArray:
		if t.Array.Query != nil {
			a.use(a.query(t.Array.Query, in))
		}
	case gojq.TermTypeQuery:
		out = a.query(t.Query, in)
	case gojq.TermTypeUnary:
		a.use(a.term(t.Unary.Term, in))
	case gojq.TermTypeIf:
		out = a.cond(t.If.Cond, t.If.Then, in)
		for _, e := range t.If.Elif {
			out = append(out, a.cond(e.Cond, e.Then, in)...)
		}
		out = append(out, a.query(t.If.Else, in)...) // no else: the input
	case gojq.TermTypeTry:
		if t.Try.Catch != nil {
			// The handler reads the error, which may hold any value the
			// body met.
			return a.opaque(in)
		}
		out = a.query(t.Try.Body, in)
	default: // reduce, foreach, label, `..`
		return a.opaque(in)
	}
	for _, s := range t.SuffixList {
		switch {
		case s.Index != nil:
			out = a.index(s.Index, out, in)
		case s.Iter:
			a.use(out)
			out = nil
		}
	}
	return out
}

func (a *reads) cond(c, then *gojq.Query, in paths) paths {
	a.present(a.query(c, in))
	return a.query(then, in)
}

func (a *reads) str(s *gojq.String, in paths) {
	for _, q := range s.Queries {
		a.use(a.query(q, in)) // interpolated as text
	}
}

// index follows `.k` from the paths of base; a computed index or slice
// (evaluated against the term's input, in) keeps base whole.
func (a *reads) index(ix *gojq.Index, base, in paths) paths {
	if k, ok := indexName(ix); ok {
		// Walking through a value that is not an object fails: each step
		// keeps at least its object, and a value that is not one whole.
		out := extend(base, k)
		a.present(out)
		return out
	}
	a.use(base)
	if ix.Str != nil {
		// `."\(.k)"`: the interpolation reads the term's input, as a
		// computed index does (`.a."\(.k)"` reads .k of the item).
		a.str(ix.Str, in)
	}
	if ix.Start != nil {
		a.use(a.query(ix.Start, in))
	}
	if ix.End != nil {
		a.use(a.query(ix.End, in))
	}
	return nil
}

// indexName returns the key of `.k`, `."k"` or `.["k"]`.
func indexName(ix *gojq.Index) (string, bool) {
	switch {
	case ix.IsSlice || ix.End != nil:
		return "", false
	case ix.Name != "":
		return ix.Name, true
	case ix.Str != nil:
		return ix.Str.Str, ix.Str.Queries == nil
	case ix.Start != nil && bare(ix.Start) && len(ix.Start.Term.SuffixList) == 0 &&
		ix.Start.Term.Type == gojq.TermTypeString && ix.Start.Term.Str.Queries == nil:
		return ix.Start.Term.Str.Str, true
	}
	return "", false
}

func (a *reads) fn(f *gojq.Func, in paths) paths {
	switch {
	case strings.HasPrefix(f.Name, "$"):
		// Every binding is opaque, so a variable here is $ENV or
		// $__loc__: nothing of the item.
		return nil
	case noInput[f.Name] && len(f.Args) == 0:
		return nil
	case f.Name == "not" && len(f.Args) == 0:
		a.present(in)
		return nil
	case f.Name == "select" && len(f.Args) == 1:
		a.present(a.query(f.Args[0], in))
		return in
	}
	return a.opaque(in)
}
