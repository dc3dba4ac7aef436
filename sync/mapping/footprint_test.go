package mapping

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tide-sync/tide/internal/jsonx"
)

func TestFootprint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		maps  map[string]any
		port  map[string]any // instead of maps, with itemsToParse
		want  string
	}{
		{"plain paths", "true", map[string]any{"identifier": ".id", "title": ".name", "blueprint": `"svc"`,
			"properties": map[string]any{"lang": ".repository.language", "tier": ".slo.tier // \"none\""}},
			nil, "{id.*, name.*, repository.language.*, slo.tier.*}"},
		{"selector reads count", `.owner.team == "core" and (.archived | not)`, map[string]any{"identifier": ".id", "blueprint": `"b"`},
			nil, "{archived, id.*, owner.team.*}"},
		{"length and compare use the whole value", ".tags | length > 0", map[string]any{"identifier": ".id", "blueprint": `"b"`,
			"properties": map[string]any{"n": ".deploy.runs | length", "same": ".a.x == .b"}},
			nil, "{a.x.*, b.*, deploy.runs.*, id.*, tags.*}"},
		{"array filter", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`,
			"relations": map[string]any{"deps": `[.deps[] | select(.kind == "svc") | .name]`}},
			nil, "{deps.*, id.*}"},
		{"truth only keeps the object", "if .meta then true else false end", map[string]any{"identifier": ".id", "blueprint": `"b"`},
			nil, "{id.*, meta}"},
		{"string building, objects, brackets", "true", map[string]any{"identifier": `"\(.org.login)/\(.name)"`, "blueprint": `"b"`,
			"title": `.["display name"]`, "properties": map[string]any{"o": "{id, url: .links.html}"}},
			nil, "{display name.*, id.*, links.html.*, name.*, org.login.*}"},
		{"search query object and structured property", "true", map[string]any{
			"identifier": map[string]any{"combinator": `"and"`, "rules": []any{map[string]any{"property": `"$title"`, "operator": `"="`, "value": ".owner.name"}}},
			"blueprint":  `"b"`, "properties": map[string]any{"s": map[string]any{"x": ".s.x"}}},
			nil, "{owner.name.*, s.x.*}"},
		{"env and $ENV read nothing", "true", map[string]any{"identifier": ".id", "blueprint": `env.BP // "b"`, "title": "$ENV.X"},
			nil, "{id.*}"},
		{"a function keeps its input whole", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": ".a.b | ascii_downcase",
			"properties": map[string]any{"k": ".c | keys", "t": ".d | tojson", "h": `.e | has("x")`}},
			nil, "{a.b.*, c.*, d.*, e.*, id.*}"},
		{"itemsToParse: the list whole, item reads dropped", "true", nil,
			map[string]any{"itemsToParse": ".spec.containers", "entity": map[string]any{"mappings": map[string]any{
				"identifier": `.item.name + "-" + .metadata.name`, "blueprint": `"c"`, "title": ".item.image"}}},
			"{metadata.name.*, spec.containers.*}"},

		{"computed index on a query term reads the term's input", "true", map[string]any{"identifier": "(.x | .y)[.k]", "blueprint": `"b"`}, nil, "{k.*, x.y.*}"},
		{"slice bounds", "true", map[string]any{"identifier": ".a[.b:.c], .d[:.e]", "blueprint": `"b"`}, nil, "{a.*, b.*, c.*, d.*, e.*}"},
		{"interpolated key suffix", "true", map[string]any{"identifier": ".a.\"\\(.b)\".c, .f[\"\\(.g)\"]", "blueprint": `"b"`}, nil, "{a.*, b.*, f.*, g.*}"},
		{"optional suffixes", "true", map[string]any{"identifier": "[.a?.b, .c[]?]", "blueprint": `"b"`}, nil, "{a.b.*, c.*}"},
		{"format strings", "true", map[string]any{"identifier": "@base64 \"\\(.x)\", (.y | @text)", "blueprint": `"b"`}, nil, "{x.*, y.*}"},
		{"object keys", "true", map[string]any{"identifier": "{\"k\", \"l\": .v, (.q): .w, \"\\(.r)\": 1, $ENV, if: .z}", "blueprint": `"b"`}, nil, "{k.*, q.*, r.*, v.*, w.*, z.*}"},
		{"unary minus", "true", map[string]any{"identifier": "-.n, -(.m | .p)", "blueprint": `"b"`}, nil, "{m.p.*, n.*}"},
		{"elif with else", "true", map[string]any{"identifier": "if .a then .b elif .c.d then .e else .f end", "blueprint": `"b"`}, nil, "{a, b.*, c.d, e.*, f.*}"},
		{"try and select", "true", map[string]any{"identifier": "(try .t).u, select(.s).v", "blueprint": `"b"`}, nil, "{s, t.u.*, v.*}"},
		{"a binding or recursion below a path keeps that path", "true", map[string]any{"identifier": "(.o | (.p as $v | $v)), (.q | ..)", "blueprint": `"b"`}, nil, "{o.*, q.*}"},
		{"if without else gives its input", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": "if .a then .b end"}, nil, "*"},
		{"label", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": "label $f | .a, break $f"}, nil, "*"},
		{"interpolated key on the item", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": `."\(.k)"`}, nil, "*"},

		// Whole item: the reads are not fully known.
		{"selector on the whole item", "keys | length > 1", map[string]any{"identifier": ".id", "blueprint": `"b"`}, nil, "*"},
		{"identity output", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "properties": map[string]any{"raw": "."}}, nil, "*"},
		{"recursion", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": `[.. | strings] | first`}, nil, "*"},
		{"binding", "true", map[string]any{"identifier": ". as $i | $i.id", "blueprint": `"b"`}, nil, "*"},
		{"reduce", "true", map[string]any{"identifier": ".id", "blueprint": `reduce .a[] as $x (""; . + $x)`}, nil, "*"},
		{"function definition", "true", map[string]any{"identifier": "def f: .id; f", "blueprint": `"b"`}, nil, "*"},
		{"try catch", "true", map[string]any{"identifier": "try .id catch .", "blueprint": `"b"`}, nil, "*"},
		{"del on the item", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": "del(.x) | tojson"}, nil, "*"},
		{"to_entries", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": "to_entries | length"}, nil, "*"},
		{"iterating the item", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "title": "[.[]] | length"}, nil, "*"},
		{"getpath", "true", map[string]any{"identifier": `getpath(["id"])`, "blueprint": `"b"`}, nil, "*"},
		{"file reference", "true", map[string]any{"identifier": ".id", "blueprint": `"b"`, "properties": map[string]any{"readme": "file://README.md"}}, nil, "*"},
		{"itemsToParse not a plain path", "true", nil,
			map[string]any{"itemsToParse": ".a | map(.b)", "entity": map[string]any{"mappings": map[string]any{"identifier": ".item", "blueprint": `"c"`}}}, "*"},
		{"itemsToParse reading the whole item", "true", nil,
			map[string]any{"itemsToParse": ".a", "entity": map[string]any{"mappings": map[string]any{"identifier": ".item.id", "blueprint": `"c"`, "title": "tojson"}}}, "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b *Block
			if tt.port != nil {
				b = blockWithPort(t, tt.query, tt.port)
			} else {
				b = block(t, tt.query, tt.maps)
			}
			if got := b.Footprint().String(); got != tt.want {
				t.Errorf("Footprint = %s, want %s", got, tt.want)
			}
		})
	}
}

// gen builds random expressions and documents from a byte stream, so the
// fuzzer steers them; past the stream's end it reads zeros.
type gen struct {
	b []byte
	i int
}

func (g *gen) n(k int) int {
	if g.i >= len(g.b) {
		return 0
	}
	v := int(g.b[g.i])
	g.i++
	return v % k
}

var genKeys = []string{"a", "b", "c", "id", "item", "name"}

func (g *gen) key() string { return genKeys[g.n(len(genKeys))] }

func (g *gen) path() string {
	var s strings.Builder
	for range 1 + g.n(3) {
		s.WriteString("." + g.key())
	}
	return s.String()
}

// expr is a random JQ expression over the generated keys, mixing the
// shapes the footprint follows with ones it gives up on.
func (g *gen) expr(depth int) string {
	if depth <= 0 {
		return []string{g.path(), g.path(), g.path(), `"s"`, "1", "null", "true", "."}[g.n(8)]
	}
	x := func() string { return "(" + g.expr(depth-1) + ")" }
	k := g.key()
	c := g.n(36 + len(astShapes))
	switch c {
	case 18, 24, 26, 28, 31, 33:
		// Shapes that give up on projection: rarer, so that most
		// mappings keep a footprint to check.
		if g.n(8) != 0 {
			return g.path()
		}
	}
	if c >= 36 {
		sh := astShapes[c-36]
		if sh.rare && g.n(8) != 0 {
			return g.path()
		}
		return sh.f(g, k, x)
	}
	switch c {
	case 0, 1, 2:
		return g.path()
	case 3:
		return x() + " | " + x()
	case 4:
		return x() + " // " + x()
	case 5:
		return "[" + x() + "]"
	case 6:
		return "{" + k + ": " + x() + "}"
	case 7:
		return "if " + x() + " then " + x() + " else " + x() + " end"
	case 8:
		return x() + " == " + x()
	case 9:
		return x() + " | length"
	case 10:
		return x() + " | not"
	case 11:
		return "[." + k + "[]? | select(" + x() + ") | " + x() + "]"
	case 12:
		return `"\(` + x() + `)-"`
	case 13:
		return x() + " and " + x()
	case 14:
		return "try " + x()
	case 15:
		return "(" + x() + ")?"
	case 16:
		return x() + " | keys"
	case 17:
		return x() + " | tojson"
	case 18:
		return ". as $v | $v." + k
	case 19:
		return "(" + x() + ")." + k
	case 20:
		return "." + k + "[0]"
	case 21:
		return "if " + x() + " then " + x() + " end"
	case 22:
		return x() + ", " + x()
	case 23:
		return x() + " | tostring"
	case 24:
		return "del(." + k + ") | " + x()
	case 25:
		return x() + ` | has("` + k + `")`
	case 26:
		return "to_entries | map(.key) | join(\",\")"
	case 27:
		return x() + " | type"
	case 28:
		return "[paths] | length"
	case 29:
		return x() + " + " + x()
	case 30:
		return `.["` + k + `"]`
	case 31:
		return "reduce ." + k + "[]? as $x (0; . + 1)"
	case 32:
		return "{" + k + "}"
	case 33:
		return "try " + x() + " catch ."
	case 34:
		return x() + " | select(" + x() + ")"
	}
	return x() + " or " + x()
}

// astShapes are further expression shapes, one or more for each kind of
// node and field of gojq's syntax tree (query.go): index suffixes with a
// computed key, a slice, an interpolated key, `?` and `[]?`; format
// strings; every way of writing an object key; unary minus; elif; label
// and break; function arguments; variables; bindings and alternative
// patterns; definitions; updates. rare marks the ones the footprint gives
// up on (the whole item), kept rare so that most mappings keep one.
var astShapes = []struct {
	rare bool
	f    func(g *gen, k string, x func() string) string
}{
	{false, func(g *gen, k string, x func() string) string { return "." + k + "[" + x() + "]" }},
	{false, func(g *gen, k string, x func() string) string { return x() + "[" + x() + "]" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + "[" + x() + ":" + x() + "]" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + "[:" + x() + "]" }},
	{false, func(g *gen, k string, x func() string) string { return x() + "[" + x() + ":]" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + `."\(` + x() + `)"` }},
	{false, func(g *gen, k string, x func() string) string { return x() + `."` + g.key() + `-\(` + x() + `)"` }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + `["\(` + x() + `)"]` }},
	{true, func(g *gen, k string, x func() string) string { return `."\(` + x() + `)"` }},
	{true, func(g *gen, k string, x func() string) string { return ".[" + x() + "]" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + "?." + g.key() }},
	{false, func(g *gen, k string, x func() string) string { return x() + "." + k + "?" }},
	{false, func(g *gen, k string, x func() string) string { return "[." + k + "[]?]" }},
	{false, func(g *gen, k string, x func() string) string { return "[" + x() + "[]?]" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + "[" + x() + "]?" }},
	{false, func(g *gen, k string, x func() string) string { return `."` + k + `"` }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + `."` + g.key() + `"` }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + `["` + g.key() + `"]` }},
	{false, func(g *gen, k string, x func() string) string { return `@base64 "\(` + x() + `)."` }},
	{false, func(g *gen, k string, x func() string) string { return `@json "v\(` + x() + `)\(` + x() + `)"` }},
	{false, func(g *gen, k string, x func() string) string { return x() + " | @text" }},
	{false, func(g *gen, k string, x func() string) string { return x() + " | @base64" }},
	{false, func(g *gen, k string, x func() string) string { return `{"` + k + `"}` }},
	{false, func(g *gen, k string, x func() string) string { return `{"` + k + `": ` + x() + `}` }},
	{false, func(g *gen, k string, x func() string) string { return "{$ENV, " + k + "}" }},
	{false, func(g *gen, k string, x func() string) string { return "{(" + x() + "): " + x() + "}" }},
	{false, func(g *gen, k string, x func() string) string { return `{"\(` + x() + `)": ` + x() + "}" }},
	{true, func(g *gen, k string, x func() string) string { return `{"\(` + x() + `)"}` }},
	{false, func(g *gen, k string, x func() string) string {
		return "{if: " + x() + ", " + k + ": " + x() + " | " + x() + "}"
	}},
	{false, func(g *gen, k string, x func() string) string { return "-" + x() }},
	{false, func(g *gen, k string, x func() string) string { return "-." + k }},
	{false, func(g *gen, k string, x func() string) string {
		return "if " + x() + " then " + x() + " elif " + x() + " then " + x() + " else " + x() + " end"
	}},
	{false, func(g *gen, k string, x func() string) string {
		return "if " + x() + " then " + x() + " elif " + x() + " then " + x() + " end." + k
	}},
	{false, func(g *gen, k string, x func() string) string { return "try " + x() + " | " + x() }},
	{false, func(g *gen, k string, x func() string) string { return "(try " + x() + ")." + k }},
	{false, func(g *gen, k string, x func() string) string { return "$ENV | length" }},
	{false, func(g *gen, k string, x func() string) string { return `$ENV.` + k + ` // env.` + k }},
	{false, func(g *gen, k string, x func() string) string { return "select(" + x() + ")." + k }},
	{false, func(g *gen, k string, x func() string) string { return "[" + x() + " | empty]" }},
	{false, func(g *gen, k string, x func() string) string { return "[limit(1; " + x() + ")]" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + " | first(" + x() + ")" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + " | [.[]?]" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + " | .. | numbers" }},
	{true, func(g *gen, k string, x func() string) string { return "label $f | " + x() + ", break $f" }},
	{true, func(g *gen, k string, x func() string) string {
		return "[foreach (." + k + "[]?) as $x (0; . + 1; [$x, .])]"
	}},
	{true, func(g *gen, k string, x func() string) string { return x() + " as $v | $v" }},
	{true, func(g *gen, k string, x func() string) string { return "." + k + " as [$a] ?// $a | $a" }},
	{true, func(g *gen, k string, x func() string) string { return ". as {" + k + ": $v} | $v" }},
	{true, func(g *gen, k string, x func() string) string { return "def f: " + x() + "; f" }},
	{true, func(g *gen, k string, x func() string) string { return "def f(g): g | " + x() + "; f(." + k + ")" }},
	{true, func(g *gen, k string, x func() string) string { return "." + k + " |= " + x() }},
	{true, func(g *gen, k string, x func() string) string { return "try " + x() + " catch " + x() }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + " | (" + x() + " as $v | $v)" }},
	{false, func(g *gen, k string, x func() string) string { return "." + k + " | reduce (.[]?) as $x (0; . + 1)" }},
}

// doc writes a random JSON object over the generated keys: nested objects
// and arrays, repeated keys, big integers, escapes.
func (g *gen) doc(s *strings.Builder, depth int) {
	s.WriteByte('{')
	for i := range g.n(5) {
		if i > 0 {
			s.WriteByte(',')
		}
		fmt.Fprintf(s, "%q:", g.key())
		g.value(s, depth-1)
	}
	s.WriteByte('}')
}

func (g *gen) value(s *strings.Builder, depth int) {
	c := g.n(12)
	if depth <= 0 && c < 4 {
		c += 4
	}
	switch c {
	case 0, 1, 2:
		g.doc(s, depth)
	case 3:
		s.WriteByte('[')
		for i := range g.n(4) {
			if i > 0 {
				s.WriteByte(',')
			}
			g.value(s, depth-1)
		}
		s.WriteByte(']')
	case 4:
		fmt.Fprintf(s, "%q", g.key())
	case 5:
		s.WriteString(`"\u00e9x\n"`)
	case 6:
		fmt.Fprint(s, g.n(5))
	case 7:
		s.WriteString("12345678901234567890")
	case 8:
		s.WriteString("-2.5e3")
	case 9:
		s.WriteString("null")
	case 10:
		s.WriteString("true")
	default:
		s.WriteString("false")
	}
}

// checkFootprint builds a block from generated expressions and checks, on
// a generated document, that every expression and the whole block give the
// same values and errors on the item decoded with the block's footprint as
// on the whole item.
func checkFootprint(t *testing.T, data []byte) {
	g := &gen{b: data}
	maps := map[string]any{"identifier": g.expr(3), "blueprint": `"b"`, "title": g.expr(2),
		"properties": map[string]any{"p": g.expr(2), "q": g.expr(2)}, "relations": map[string]any{"r": g.expr(1)}}
	query := []string{"true", g.expr(2) + " | . != null", "(" + g.expr(2) + ") == (" + g.expr(1) + ")"}[g.n(3)]
	port := map[string]any{"entity": map[string]any{"mappings": maps}}
	if g.n(3) == 0 {
		port["itemsToParse"] = g.path()
		if g.n(2) == 0 {
			port["itemsToParseTopLevelTransform"] = false
		}
	}
	b := blockWithPort(t, query, port)
	var s strings.Builder
	s.WriteByte('[')
	for i := range 1 + g.n(3) {
		if i > 0 {
			s.WriteByte(',')
		}
		g.doc(&s, 4)
	}
	s.WriteByte(']')
	raw := []byte(s.String())
	proj := b.Footprint()
	full, err := jsonx.DecodeExactInts(raw)
	if err != nil {
		t.Fatalf("generated %s: %v", raw, err)
	}
	cut, err := jsonx.DecodeProjected(raw, nil, proj)
	if err != nil {
		t.Fatalf("DecodeProjected(%s, %s): %v", raw, proj, err)
	}
	var progs []*program
	for _, n := range []*node{b.identifier, b.title, b.properties[0].n, b.properties[1].n, b.relations[0].n} {
		progs = append(progs, n.prog)
	}
	progs = append(progs, b.selector)
	opts := cmp.Options{cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })}
	for i, whole := range full.([]any) {
		item, part := whole.(map[string]any), cut.([]any)[i].(map[string]any)
		for _, p := range progs {
			if b.items != nil {
				break // the expressions read the expanded items, checked below
			}
			wv, wok, werr := p.first(nil, item)
			gv, gok, gerr := p.first(nil, part)
			if diff := cmp.Diff(fmt.Sprint(wok, werr), fmt.Sprint(gok, gerr)); diff != "" {
				t.Fatalf("%q on %s (footprint %s): error differs (-whole +projected):\n%s", p.src, raw, proj, diff)
			}
			if diff := cmp.Diff(wv, gv, opts); diff != "" {
				t.Fatalf("%q on %s (footprint %s): value differs (-whole +projected):\n%s", p.src, raw, proj, diff)
			}
		}
		var want, got []Outcome
		werr := b.Process(context.Background(), item, func(o Outcome) { want = append(want, o) })
		gerr := b.Process(context.Background(), part, func(o Outcome) { got = append(got, o) })
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("block (footprint %s) on %s: error %v on the whole item, %v projected", proj, raw, werr, gerr)
		}
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Fatalf("block (footprint %s, itemsToParse %q) on %s: outcomes differ (-whole +projected):\n%s", proj, b.Resource.Port.ItemsToParse, raw, diff)
		}
	}
}

// Every expression gives the same value and error on the item cut to its
// block's footprint as on the whole item: random mappings over random
// documents, a fixed set of seeds here and the fuzzer's in FuzzFootprint.
//
// Not parallel: the budget tests (TestBudgets) meter the heap of the whole
// process, and this test's steady allocation beside them would slow their
// forced collections past their time budget.
func TestFootprintKeepsResults(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 5))
	data := make([]byte, 256)
	for range 2000 {
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		checkFootprint(t, data)
	}
}

func FuzzFootprint(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	f.Add([]byte("\x0b\x03\x07\x13\x21\x02\x00\x05\x01\x09\x00\x0a\x03\x01\x02\x00\x00\x04\x05"))
	f.Fuzz(func(t *testing.T, data []byte) { checkFootprint(t, data) })
}
