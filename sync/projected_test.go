package sync

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// The property and relation names the generated entities and compare sets
// draw from: plain, non-ASCII, and needing an escape.
var (
	genProps = []string{"a", "b", "lang", "nested", "é", `k"q`, "z"}
	genRels  = []string{"owner", "deps", "ünï"}
)

// genSets draws compare sets from r, as resource blocks writing different
// fields of one blueprint give.
func genSets(r *rand.Rand) []compareSet {
	n := 1 + r.IntN(3)
	sets := make([]compareSet, n)
	for i := range sets {
		cs := compareSet{has: mapping.Field(r.IntN(8)) & (mapping.HasTitle | mapping.HasIcon | mapping.HasTeam)}
		for _, p := range genProps {
			if r.IntN(2) == 0 {
				cs.props = append(cs.props, p)
			}
		}
		for _, rel := range genRels {
			if r.IntN(2) == 0 {
				cs.rels = append(cs.rels, rel)
			}
		}
		sets[i] = cs
	}
	return sets
}

// jsonGen writes random JSON texts that spell equal values in different
// ways: key order, repeated keys, number spellings, escapes, whitespace.
type jsonGen struct {
	r *rand.Rand
	b strings.Builder
}

func (g *jsonGen) ws() {
	if g.r.IntN(6) == 0 {
		g.b.WriteString([]string{" ", "\n", "\t ", "\r\n  "}[g.r.IntN(4)])
	}
}

// str writes s as a JSON string literal, escaping some characters that
// need no escape.
func (g *jsonGen) str(s string) {
	g.b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			g.b.WriteByte('\\')
			g.b.WriteRune(c)
		case c < 0x20:
			fmt.Fprintf(&g.b, `\u%04x`, c)
		case g.r.IntN(8) == 0 && c < 0x10000:
			fmt.Fprintf(&g.b, `\u%04X`, c)
		case g.r.IntN(12) == 0 && c == '/':
			g.b.WriteString(`\/`)
		case c > 0xffff && g.r.IntN(2) == 0:
			hi, lo := (c-0x10000)>>10+0xd800, (c-0x10000)&0x3ff+0xdc00
			fmt.Fprintf(&g.b, `\u%04x\u%04x`, hi, lo)
		default:
			g.b.WriteRune(c)
		}
	}
	g.b.WriteByte('"')
}

var genStrings = []string{"", "go", "a", "A", "é", "😀", "tab\there", "x/y", "line\nbreak", strings.Repeat("long", 10), "team-00001", "null", "1"}

// number writes a number in one of several spellings of one value.
func (g *jsonGen) number() {
	switch g.r.IntN(12) {
	case 0:
		g.b.WriteString([]string{"0", "-0", "0.0", "-0.0", "0e5", "0E-2"}[g.r.IntN(6)])
	case 1:
		g.b.WriteString([]string{"1", "1.0", "1e0", "10e-1", "0.1e1", "1E+0", "100e-2"}[g.r.IntN(7)])
	case 2:
		g.b.WriteString([]string{"12345678901234567890", "12345678901234567891", "1.2345678901234567e19", "9007199254740993", "9007199254740992", "-999999999999999", "1000000000000000"}[g.r.IntN(7)])
	case 3:
		g.b.WriteString([]string{"99.95", "0.42", "-3.5", "1e308", "1e-400", "2.5e-3"}[g.r.IntN(6)])
	default:
		g.b.WriteString(strconv.Itoa(g.r.IntN(2000) - 500))
	}
}

func (g *jsonGen) value(depth int) {
	g.ws()
	k := g.r.IntN(10)
	if depth > 3 && k >= 7 {
		k = g.r.IntN(7)
	}
	switch k {
	case 0:
		g.b.WriteString("null")
	case 1:
		g.b.WriteString([]string{"true", "false"}[g.r.IntN(2)])
	case 2, 3:
		g.number()
	case 4, 5, 6:
		g.str(genStrings[g.r.IntN(len(genStrings))])
	case 7, 8:
		g.b.WriteByte('[')
		for i := range g.r.IntN(4) {
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.value(depth + 1)
		}
		g.ws()
		g.b.WriteByte(']')
	default:
		keys := []string{"x", "y", "é", "a\"b", "", "Z", "x"} // x repeats
		g.object(keys[:g.r.IntN(len(keys)+1)], func(string) { g.value(depth + 1) })
	}
	g.ws()
}

// object writes an object with keys in random order.
func (g *jsonGen) object(keys []string, val func(key string)) {
	keys = append([]string(nil), keys...)
	g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	g.b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			g.b.WriteByte(',')
		}
		g.ws()
		g.str(k)
		g.ws()
		g.b.WriteByte(':')
		val(k)
	}
	g.ws()
	g.b.WriteByte('}')
}

// team writes a team value: a name, a list of names, or anything.
func (g *jsonGen) team() {
	switch g.r.IntN(4) {
	case 0:
		g.str(genStrings[g.r.IntN(4)])
	case 1, 2:
		g.b.WriteByte('[')
		for i := range g.r.IntN(4) {
			if i > 0 {
				g.b.WriteByte(',')
			}
			g.str([]string{"b", "a", "c", "a"}[g.r.IntN(4)])
		}
		g.b.WriteByte(']')
	default:
		g.value(0)
	}
}

// fieldObject writes a properties or relations object with some of names
// and some unmapped keys.
func (g *jsonGen) fieldObject(names []string, val func()) {
	var keys []string
	for _, n := range names {
		if g.r.IntN(3) > 0 {
			keys = append(keys, n)
		}
	}
	keys = append(keys, []string{"unmapped", "$meta"}[:g.r.IntN(3)]...)
	if g.r.IntN(6) == 0 && len(keys) > 0 {
		keys = append(keys, keys[0]) // a repeated key: the last wins
	}
	g.object(keys, func(string) { val() })
}

// page writes a search answer of n entities.
func (g *jsonGen) page(n int) string {
	g.b.Reset()
	top := []string{"ok", "entities", "next"}
	g.object(top, func(k string) {
		switch k {
		case "ok":
			g.b.WriteString("true")
		case "next":
			if g.r.IntN(2) == 0 {
				g.b.WriteString("null")
			} else {
				g.str("cursor-1")
			}
		case "entities":
			g.b.WriteByte('[')
			for i := range n {
				if i > 0 {
					g.b.WriteByte(',')
				}
				g.entity(i)
			}
			g.b.WriteByte(']')
		}
	})
	return g.b.String()
}

func (g *jsonGen) entity(i int) {
	keys := []string{"identifier", "blueprint", "title", "icon", "team", "properties", "relations", "createdAt", "updatedBy", "$datasource"}
	keys = keys[:2+g.r.IntN(len(keys)-1)]
	if g.r.IntN(10) == 0 {
		keys = append(keys, []string{"properties", "relations", "title"}[g.r.IntN(3)]) // repeated
	}
	g.object(keys, func(k string) {
		switch k {
		case "identifier":
			g.str(fmt.Sprintf("svc-%d-é/%d", i, g.r.IntN(3)))
		case "blueprint":
			g.str("svc")
		case "title", "icon":
			g.value(1)
		case "team":
			g.team()
		case "properties":
			if g.r.IntN(12) == 0 {
				g.value(3) // not an object: no properties
				return
			}
			g.fieldObject(genProps, func() { g.value(1) })
		case "relations":
			if g.r.IntN(12) == 0 {
				g.b.WriteString("null")
				return
			}
			g.fieldObject(genRels, func() {
				if g.r.IntN(3) == 0 {
					g.value(2)
					return
				}
				g.team() // a target, a list of targets
			})
		default:
			g.str("2026-01-01T00:00:00.000Z")
		}
	})
}

// checkProjected decodes raw both ways and compares: the same error
// verdict, and for each entity and compare set the same hash, the same
// dry-run values and the same relations.
func checkProjected(t *testing.T, raw []byte, sets []compareSet) {
	t.Helper()
	h := newHasher()
	x := newIndex("svc", sets)
	proj, fields := x.projection(true)
	ents, oldNext, oldErr := oracleDecodePage(raw)
	page, next, err := port.DecodeProjectedPage(raw, proj)
	if oldErr != nil {
		if err == nil {
			t.Fatalf("the old path fails (%v), the projected one does not", oldErr)
		}
		return
	}
	if err != nil {
		// Stricter than the old path only where it read a broken
		// answer as an empty or nameless one.
		if !stricter(raw, ents) {
			t.Fatalf("the projected path fails (%v), the old one does not", err)
		}
		return
	}
	if next != oldNext {
		t.Errorf("next = %q, want %q", next, oldNext)
	}
	if page.Len() != len(ents) {
		t.Fatalf("%d entities, want %d", page.Len(), len(ents))
	}
	l := &pageLoader{x: x, h: h, fields: fields}
	for i := range ents {
		e := &ents[i]
		if got := page.Identifier(i); got != e.Identifier {
			t.Errorf("entity %d: identifier %q, want %q", i, got, e.Identifier)
		}
		for s, cs := range sets {
			got, err := l.sum(page, i, fields[s])
			if err != nil {
				t.Fatalf("entity %d set %d: %v", i, s, err)
			}
			if want := cs.portSum(h, e); got != want {
				t.Errorf("entity %d set %d: hash %x, want %x (values %#v)", i, s, got, want, cs.portValues(e))
			}
			olds, err := oldValues(page, i, fields[s])
			if err != nil {
				t.Fatalf("entity %d set %d: %v", i, s, err)
			}
			if diff := cmp.Diff(cs.portValues(e), olds, cmp.AllowUnexported(fieldValue{})); diff != "" {
				t.Errorf("entity %d set %d: dry-run values (-want +got):\n%s", i, s, diff)
			}
		}
		got := map[string][]string{}
		for _, r := range page.RelationsOf(i) {
			if _, dup := got[r.Name]; dup {
				t.Errorf("entity %d: relation %q twice", i, r.Name)
			}
			ids, err := rawRelationIDs(r.Value)
			if err != nil {
				t.Fatalf("entity %d relation %q: %v", i, r.Name, err)
			}
			got[r.Name] = ids
		}
		want := map[string][]string{}
		for name, v := range e.Relations {
			want[name] = relationIDs(v)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("entity %d: relations (-want +got):\n%s", i, diff)
		}
	}
}

// stricter reports whether a page the old path read is one the projected
// path must refuse: entities missing or not an array, an entity without a
// string identifier, or a next that is neither a string nor null.
func stricter(raw []byte, ents []port.Entity) bool {
	v, _ := jsonx.Decode(raw)
	obj, _ := v.(map[string]any)
	if _, ok := obj["entities"].([]any); !ok {
		return true
	}
	if nx, ok := obj["next"]; ok && nx != nil {
		if _, ok := nx.(string); !ok {
			return true
		}
	}
	for _, e := range ents {
		if e.Identifier == "" {
			return true
		}
	}
	return false
}

// TestProjectedSumMatchesDecoded: over random pages and compare sets, the
// projected path hashes every entity as decoding it and calling portSum
// did, keeps the same dry-run values and relations, and fails where the
// old path failed. An unequal hash would write an unchanged entity again;
// an equal hash for different values would miss an update.
func TestProjectedSumMatchesDecoded(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(15, 5))
	g := &jsonGen{r: r}
	for range 400 {
		checkProjected(t, []byte(g.page(1+r.IntN(6))), genSets(r))
		if t.Failed() {
			return
		}
	}
}

// TestProjectedSumSpellings: equal values in different spellings hash
// equal, different values hash differently, through the projected path.
func TestProjectedSumSpellings(t *testing.T) {
	t.Parallel()
	cs := compareSet{has: mapping.HasTitle | mapping.HasTeam, props: []string{"v"}}
	x := newIndex("svc", []compareSet{cs})
	proj, fields := x.projection(false)
	l := &pageLoader{x: x, h: newHasher(), fields: fields}
	sum := func(t *testing.T, ent string) uint64 {
		t.Helper()
		page, _, err := port.DecodeProjectedPage([]byte(`{"entities":[`+ent+`]}`), proj)
		if err != nil {
			t.Fatalf("%s: %v", ent, err)
		}
		s, err := l.sum(page, 0, fields[0])
		if err != nil {
			t.Fatalf("%s: %v", ent, err)
		}
		return s
	}
	e := func(title, team, v string) string {
		return `{"identifier":"i","title":` + title + `,"team":` + team + `,"properties":{"v":` + v + `,"other":1},"updatedAt":"x"}`
	}
	same := [][2]string{
		{e(`"T"`, `"a"`, `1`), e(`"\u0054"`, `["a"]`, `1.0`)},
		{e(`"T"`, `["b","a"]`, `1e0`), `{"team":["a","b"],"properties":{"v":10e-1},"title":"T","identifier":"i"}`},
		{e(`null`, `[]`, `-0`), `{"identifier":"i","properties":{"v":0}}`},
		{e(`"T"`, `null`, `{"b":[1,{"c":null}],"a":"é"}`), e(`"T"`, `null`, `{"a":"\u00e9","b":[1.0,{"c":null}]}`)},
		{e(`"T"`, `null`, `{"a":1,"a":2}`), e(`"T"`, `null`, `{"a":2}`)},
		{e(`"T"`, `null`, `12345678901234567890`), e(`"T"`, `null`, `1.2345678901234567e19`)},
		{e(`"T"`, `null`, `"😀"`), e(`"T"`, `null`, `"\ud83d\ude00"`)},
		{e(`"T"`, `null`, `null`), `{"identifier":"i","title":"T","properties":{}}`},
	}
	for _, p := range same {
		if a, b := sum(t, p[0]), sum(t, p[1]); a != b {
			t.Errorf("%s and %s hash differently", p[0], p[1])
		}
	}
	differ := [][2]string{
		{e(`"T"`, `null`, `1`), e(`"T"`, `null`, `"1"`)},
		{e(`"T"`, `null`, `null`), e(`"T"`, `null`, `"null"`)},
		{e(`"T"`, `null`, `[1,2]`), e(`"T"`, `null`, `[2,1]`)},
		{e(`"T"`, `null`, `[[1],2]`), e(`"T"`, `null`, `[[1,2]]`)},
		{e(`"T"`, `null`, `{"a":{}}`), e(`"T"`, `null`, `{"a":[]}`)},
		{e(`"T"`, `"a"`, `1`), e(`"T"`, `["a","b"]`, `1`)},
		{e(`"T"`, `null`, `9007199254740993`), e(`"T"`, `null`, `9007199254740995`)},
	}
	for _, p := range differ {
		if a, b := sum(t, p[0]), sum(t, p[1]); a == b {
			t.Errorf("%s and %s hash alike", p[0], p[1])
		}
	}
}

// FuzzProjectedSum checks the projected path against the decoded one
// (checkProjected) on arbitrary answers, under compare sets the input's
// first byte picks.
func FuzzProjectedSum(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	g := &jsonGen{r: r}
	for i := range 8 {
		f.Add(byte(i*37), []byte(g.page(1+i%3)))
	}
	for _, s := range []string{
		`{"entities":[{"identifier":"a","properties":{"a":1,"a":{"x":[1,"\u00e9"]}},"relations":{"owner":"o","owner":["p","q"]}}],"next":null}`,
		`{"entities":[{"identifier":"a","team":[],"title":-0.0,"properties":{"b":1e-400,"lang":"\ud800"}}]}`,
		`{"entities":[{"identifier":"a","properties":{"z":1e400}}]}`,
		`{"entities":[{"identifier":"a"}],"next":5}`,
		`{"entities":{}}`,
		`[{"identifier":"a"}]`,
		`{"entities":[{"identifier":"a","properties":{"a":tru}}]}`,
		`{"entities":[{"identifier":"a","properties":{"a":"\x01"}}]}`,
		`{"entities":[{"identifier":"a","properties":{"k\"q":"\xff\xfe"}}]} `,
	} {
		f.Add(byte(len(s)), []byte(s))
	}
	f.Fuzz(func(t *testing.T, pick byte, raw []byte) {
		checkProjected(t, raw, genSets(rand.New(rand.NewPCG(uint64(pick), 0))))
	})
}
