package mapping

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/internal/jsonx"
)

// Options tune compilation.
type Options struct {
	// Env is what `env` and `$ENV` show to expressions; nil shows {}.
	//
	// Deliberately differs from Ocean, whose default lets a mapping read the
	// whole process environment
	// (docs/ocean-compatibility.md#jq-environment-sandbox).
	Env map[string]string

	// RegexTimeout bounds one call of a regex builtin (test, match, sub,
	// ...); past it the call fails and so does the field. Zero means
	// DefaultRegexTimeout.
	RegexTimeout time.Duration

	// Budget bounds the evaluation of one item (time and heap growth);
	// zero fields take budget's defaults.
	Budget budget.Limits
}

// Mapping is a compiled config.
type Mapping struct {
	Config *Config
	Blocks []*Block
}

// Block is one compiled resource block. Process may be called from several
// goroutines at once.
type Block struct {
	Index    int
	Resource *Resource

	budget     budget.Limits
	selector   *program
	items      *itemsToParse // nil without itemsToParse
	identifier *node
	blueprint  *node
	title      *node // nil when not mapped, as are icon and team
	icon       *node
	team       *node
	properties []field // nil when not mapped; sorted by key
	relations  []field
	fields     FieldSet
	bp         string // the blueprint when constant
	bpConst    bool
	refs       []Reference
}

// Reference is a mapping value that is no JQ expression but a reference
// the integration resolves per item: Ocean's Git integrations map
// `file://README.md` to a file's content and `search://scope=blobs&query=...`
// to whether a code search finds something.
type Reference struct {
	Field  string // the field path, e.g. "port.entity.mappings.properties.readme"
	Value  string // the value as written (also the key of its resolved value)
	Prefix string // e.g. "file://"
}

// refPrefixRE matches a URL-like scheme at the start of a value. No JQ
// program starts that way (an identifier followed by ':' does not parse),
// so the test never takes a JQ expression for a reference.
var refPrefixRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://`)

// ReferencePrefix returns the prefix ("file://") of a mapping value that is
// a reference, or "" for a JQ expression.
func ReferencePrefix(value string) string {
	return refPrefixRE.FindString(value)
}

// References lists the block's reference values, in field order; each
// distinct value once.
func (b *Block) References() []Reference { return slices.Clone(b.refs) }

// Values returns the distinct values of refs.
func Values(refs []Reference) []string {
	var out []string
	for _, r := range refs {
		if !slices.Contains(out, r.Value) {
			out = append(out, r.Value)
		}
	}
	return out
}

// FieldSet says which fields a block's entities carry.
type FieldSet struct {
	Has        Field
	Properties []string // sorted property keys
	Relations  []string // sorted relation keys
}

// Compile compiles every expression of cfg once. A syntax error anywhere is
// returned as a *CompileError (wrapping ErrInvalid) listing every bad
// expression with its resource index, kind, field path and text.
func Compile(cfg *Config, opts Options) (*Mapping, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: no config", ErrInvalid)
	}
	c := newCompiler(opts)
	c.lines = cfg.Lines.m
	c.budget = opts.Budget
	m := &Mapping{Config: cfg, Blocks: make([]*Block, 0, len(cfg.Resources))}
	for i := range cfg.Resources {
		m.Blocks = append(m.Blocks, c.block(i, &cfg.Resources[i]))
	}
	if len(c.problems) > 0 {
		return nil, &CompileError{Problems: c.problems}
	}
	return m, nil
}

// Blueprint returns the block's blueprint when the expression is a constant
// string (e.g. '"service"'); ok is false for a computed blueprint.
func (b *Block) Blueprint() (bp string, ok bool) { return b.bp, b.bpConst }

// Expr returns the expression written for a top-level mapped field
// ("title", "properties.url", "relations.owner"; a deeper path is cut to
// its field), or "" when the field is not mapped or not a single
// expression.
func (b *Block) Expr(path string) string {
	var n *node
	switch name, key, _ := strings.Cut(path, "."); name {
	case "identifier":
		n = b.identifier
	case "title":
		n = b.title
	case "icon":
		n = b.icon
	case "team":
		n = b.team
	case "properties", "relations":
		fs := b.properties
		if name == "relations" {
			fs = b.relations
		}
		key, _, _ = strings.Cut(key, "[")
		for _, f := range fs {
			if f.key == key {
				n = f.n
			}
		}
	}
	if n == nil || n.kind != leafNode {
		return ""
	}
	return n.expr
}

// Fields returns the fields this block maps.
func (b *Block) Fields() FieldSet {
	fs := b.fields
	fs.Properties = slices.Clone(fs.Properties)
	fs.Relations = slices.Clone(fs.Relations)
	return fs
}

// compiler compiles a config's expressions, sharing one program per
// distinct text and collecting every problem.
type compiler struct {
	opts     []gojq.CompilerOption
	cache    map[string]*program
	problems []Problem
	refs     []Reference
	index    int
	kind     string
	lines    map[string]int
	budget   budget.Limits
	rx       *regexEngine // the run's engine, also checking constant regexes
}

func newCompiler(o Options) *compiler {
	environ := make([]string, 0, len(o.Env))
	for _, k := range slices.Sorted(maps.Keys(o.Env)) {
		if k != "" && !strings.Contains(k, "=") {
			environ = append(environ, k+"="+o.Env[k])
		}
	}
	identity := func(v any, _ []any) any { return v }
	rx := newRegexEngine(o.RegexTimeout)
	return &compiler{
		opts: []gojq.CompilerOption{
			// gojq builds both `env` and `$ENV` from this loader only, so
			// nothing of the process environment is reachable.
			gojq.WithEnvironLoader(func() []string { return environ }),
			// jq's debug and stderr write to stderr; a sync has no use for
			// that, but a mapping using them must still compile as in Ocean.
			gojq.WithFunction("debug", 0, 0, identity),
			gojq.WithFunction("stderr", 0, 0, identity),
			gojq.WithFunction("input_filename", 0, 0, func(any, []any) any { return nil }),
			// jq's regexes (Oniguruma) in place of gojq's (RE2); the
			// prelude routes every regex builtin through these.
			gojq.WithFunction("_tide_match", 3, 3, rx.matchFunc),
			gojq.WithFunction("_tide_split", 2, 2, rx.splitFunc),
			gojq.WithFunction("_tide_copy", 0, 0, deepCopy),
		},
		cache: map[string]*program{},
		rx:    rx,
	}
}

func (c *compiler) fail(field, expr, msg string) {
	line := lineOf(c.lines, fmt.Sprintf("resources[%d].%s", c.index, field))
	c.problems = append(c.problems, Problem{Index: c.index, Kind: c.kind, Field: field, Expr: expr, Message: msg + quoteHint(expr, msg), Line: line})
}

// bareWord is an expression that jq reads as a call of a function of that
// name: usually a constant whose quotes YAML ate (blueprint: squad).
var bareWord = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// quoteHint suggests the quoted constant when an unquoted word failed to
// compile as a function call.
func quoteHint(expr, msg string) string {
	w := strings.TrimSpace(expr)
	if !bareWord.MatchString(w) || !strings.Contains(msg, "function not defined") {
		return ""
	}
	return fmt.Sprintf(" (a string constant needs quotes inside the YAML string: '\"%s\"')", w)
}

// compile compiles one expression after Ocean's quote normalisation; it
// records a problem and returns nil when the text does not compile.
func (c *compiler) compile(field, src string) *program {
	text := NormalizeQuotes(src)
	if p, ok := c.cache[text]; ok {
		return p
	}
	q, err := gojq.Parse(text)
	if err != nil {
		c.fail(field, src, err.Error())
		return nil
	}
	if usesRegex(text) {
		if msgs := constantRegexProblems(q, c.rx); len(msgs) > 0 {
			for _, msg := range msgs {
				c.fail(field, src, msg)
			}
			return nil
		}
	}
	run := q
	if prelude := preludeFor(text); prelude != "" {
		// Builtins are redefined around the expression; the newline keeps
		// a trailing comment from swallowing the parenthesis.
		if run, err = gojq.Parse(prelude + "(" + text + "\n)"); err != nil {
			c.fail(field, src, err.Error())
			return nil
		}
	}
	code, err := gojq.Compile(run, c.opts...)
	if err != nil {
		c.fail(field, src, err.Error())
		return nil
	}
	p := &program{src: src, code: code, optional: optional(q)}
	if run == q {
		// With the regex prelude wrapped around it the expression is not
		// the one the fast path compiles; it uses a regex builtin anyway.
		p.fast = fastPath(q)
	}
	if isLiteral(q) {
		v, ok, err := p.first(nil, nil)
		if err == nil && ok {
			p.konst, p.value = true, normalize(v)
		}
	}
	c.cache[text] = p
	return p
}

func (c *compiler) block(i int, r *Resource) *Block {
	c.index, c.kind, c.refs = i, r.Kind, nil
	b := &Block{Index: i, Resource: r, budget: c.budget}
	defer func() { b.refs = c.refs }()
	b.selector = c.compile("selector.query", r.Selector.Query)
	if r.Port.ItemsToParse != "" {
		b.items = &itemsToParse{
			list: c.compile("port.itemsToParse", r.Port.ItemsToParse),
			name: r.Port.ItemsToParseName,
		}
		if b.items.name == "" {
			b.items.name = "item"
		}
		if r.Port.ItemsToParseTopLevelTransform {
			del := deleteProgram(r.Port.ItemsToParse)
			before := len(c.problems)
			b.items.del = c.compile("port.itemsToParse", del)
			if path, ok := DeletePath(r.Port.ItemsToParse); ok {
				b.items.keys = keyPath(path)
			}
			if len(c.problems) > before {
				p := &c.problems[len(c.problems)-1]
				p.Expr = r.Port.ItemsToParse
				p.Message = fmt.Sprintf("removing the list from the item needs %q, which does not compile: %s", del, p.Message)
			}
		}
	}
	em := &r.Port.Entity
	const base = "port.entity.mappings"
	b.identifier = c.node(base, "identifier", em.Identifier)
	b.blueprint = c.node(base, "blueprint", em.Blueprint)
	if b.blueprint != nil && b.blueprint.prog != nil && b.blueprint.prog.konst {
		b.bp, b.bpConst = b.blueprint.prog.value.(string)
	}
	if em.Title != nil {
		b.title = c.node(base, "title", *em.Title)
		b.fields.Has |= HasTitle
	}
	if em.Icon != nil {
		b.icon = c.node(base, "icon", *em.Icon)
		b.fields.Has |= HasIcon
	}
	if em.Team != nil {
		b.team = c.node(base, "team", em.Team)
		b.fields.Has |= HasTeam
	}
	if em.Properties != nil {
		b.properties, b.fields.Properties = c.fieldMap(base, "properties", em.Properties)
		b.fields.Has |= HasProperties
	}
	if em.Relations != nil {
		b.relations, b.fields.Relations = c.fieldMap(base, "relations", em.Relations)
		b.fields.Has |= HasRelations
	}
	return b
}

func (c *compiler) fieldMap(base, name string, m map[string]any) ([]field, []string) {
	keys := sortedKeys(m)
	fs := make([]field, 0, len(keys))
	for _, k := range keys {
		fs = append(fs, field{key: k, n: c.node(base, name+"."+k, m[k])})
	}
	return fs, keys
}

// field is one key of a mapped object.
type field struct {
	key string
	n   *node
}

// node is a compiled mapping value: a JQ leaf, an object or an array of
// nodes (search queries, structured properties).
type node struct {
	path string   // dot path under mappings, e.g. "properties.url", "identifier.rules.0.value"
	expr string   // the leaf's text as written
	prog *program // set for a leaf
	obj  []field  // set for an object, sorted by key
	arr  []*node  // set for an array
	kind nodeKind
}

type nodeKind uint8

const (
	leafNode nodeKind = iota
	objectNode
	arrayNode
	refNode // a Reference, resolved by the integration
)

func (c *compiler) node(base, path string, v any) *node {
	switch t := v.(type) {
	case string:
		if p := ReferencePrefix(t); p != "" {
			c.refs = append(c.refs, Reference{Field: base + "." + path, Value: t, Prefix: p})
			return &node{path: path, expr: t, kind: refNode}
		}
		return &node{path: path, expr: t, prog: c.compile(base+"."+path, t)}
	case map[string]any:
		n := &node{path: path, kind: objectNode, obj: make([]field, 0, len(t))}
		for _, k := range sortedKeys(t) {
			n.obj = append(n.obj, field{key: k, n: c.node(base, path+"."+k, t[k])})
		}
		return n
	case []any:
		n := &node{path: path, kind: arrayNode, arr: make([]*node, len(t))}
		for i, x := range t {
			n.arr[i] = c.node(base, path+"."+strconv.Itoa(i), x)
		}
		return n
	}
	c.fail(base+"."+path, fmt.Sprint(v), "expected a JQ expression (string), got "+jsonx.TypeName(v))
	return &node{path: path}
}

// preludeFor is the definitions an expression's text needs around it: the
// regex builtins, and del/delpaths on a copy.
func preludeFor(text string) string {
	var p string
	if usesRegex(text) {
		p += regexPrelude
	}
	if usesDelete(text) {
		p += ownPrelude
	}
	return p
}

// program is one compiled expression.
type program struct {
	src   string // the text as first written
	code  *gojq.Code
	fast  fastFunc // set when the expression has a shape evaluated without gojq
	konst bool     // the expression is a scalar literal, evaluated once
	value any
	// optional is set for `X // null`: its author expects null, which is
	// then not reported as a misconfigured field.
	optional bool
}

// optional says q is `X // null`, the way a mapping marks a field whose
// value may be missing.
func optional(q *gojq.Query) bool {
	return q != nil && q.Op == gojq.OpAlt && q.Right != nil && bare(q.Right) &&
		len(q.Right.Term.SuffixList) == 0 && q.Right.Term.Type == gojq.TermTypeNull
}

// first returns the expression's first output; ok is false when it has
// none. Like Ocean's _search it never looks past the first output. m
// meters the evaluation (nil only for a literal at compile time): a budget
// run out or the run's context done is an error wrapping
// budget.ErrExceeded or the context's error.
func (p *program) first(m *budget.Meter, in any) (v any, ok bool, err error) {
	v, ok, err, _ = p.eval(m, in)
	return v, ok, err
}

// valueOf is first for a value that is written out: one gojq built is
// refused when it would be larger than the memory budget written out
// (`reduce range(40) as $_ (0; [., .])` shares itself and is small in
// memory). Values read from the item as they are need no check.
func (p *program) valueOf(m *budget.Meter, in any) (v any, ok bool, err error) {
	v, ok, err, built := p.eval(m, in)
	if err == nil && built && m != nil {
		err = withinSize(v, m)
	}
	return v, ok, err
}

// eval is first, saying whether gojq ran.
func (p *program) eval(m *budget.Meter, in any) (v any, ok bool, err error, built bool) {
	if p.konst {
		return p.value, true, nil, false
	}
	if p.fast != nil {
		if v, ok := p.fast(in); ok {
			return v, true, nil, false
		}
		// Off the fast path (e.g. not an object on the way): gojq
		// produces the exact output or error.
	}
	v, ok, err = p.gojq(m, in)
	return v, ok, err, true
}

// gojq runs the compiled code for its first output.
func (p *program) gojq(m *budget.Meter, in any) (v any, ok bool, err error) {
	var ctx context.Context = context.Background()
	if m != nil {
		ctx = m
	}
	v, ok = p.code.RunWithContext(ctx, in).Next()
	if !ok {
		return nil, false, nil
	}
	if err, isErr := v.(error); isErr {
		var halt *gojq.HaltError
		if errors.As(err, &halt) && halt.Value() == nil {
			// `halt` stops the program without output.
			return nil, false, nil
		}
		return nil, true, err
	}
	return v, true, nil
}

// walk follows keys through nested objects the way jq's `.a.b` does, for
// the common case; ok is false when something on the way is neither an
// object nor null.
func walk(v any, keys []string) (any, bool) {
	for _, k := range keys {
		switch m := v.(type) {
		case map[string]any:
			v = m[k]
		case nil:
		default:
			return nil, false
		}
	}
	return v, true
}

// simplePath returns the keys of a plain `.a.b.c` expression, evaluated
// without the JQ machinery since most mapping leaves look like that.
func simplePath(q *gojq.Query) []string {
	if !bare(q) || q.Term.Type != gojq.TermTypeIndex {
		return nil
	}
	keys := make([]string, 0, 1+len(q.Term.SuffixList))
	name := func(ix *gojq.Index) bool {
		if ix == nil || ix.Name == "" || ix.Str != nil || ix.Start != nil || ix.End != nil || ix.IsSlice {
			return false
		}
		keys = append(keys, ix.Name)
		return true
	}
	if !name(q.Term.Index) {
		return nil
	}
	for _, s := range q.Term.SuffixList {
		if s.Iter || s.Optional || !name(s.Index) {
			return nil
		}
	}
	return keys
}

// isLiteral says whether q is a scalar literal such as "service", 3, true
// or null, whose value never depends on the input.
func isLiteral(q *gojq.Query) bool {
	if !bare(q) || len(q.Term.SuffixList) > 0 {
		return false
	}
	switch q.Term.Type {
	case gojq.TermTypeString:
		return q.Term.Str != nil && q.Term.Str.Queries == nil
	case gojq.TermTypeNumber, gojq.TermTypeTrue, gojq.TermTypeFalse, gojq.TermTypeNull:
		return true
	}
	return false
}

// bare says q is a single term: no pipe, operator, definition or binding.
func bare(q *gojq.Query) bool {
	return q != nil && q.Term != nil && q.Left == nil && q.Right == nil &&
		q.Meta == nil && len(q.Imports) == 0 && len(q.FuncDefs) == 0 && len(q.Patterns) == 0
}
