package jsonx

import (
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// projectRef is what DecodeProjected must give, computed from the whole
// decoded document: the array at path with each object element cut to
// proj.
func projectRef(v any, path []string, proj *Projection) any {
	if len(path) > 0 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			if k == path[0] {
				x = projectRef(x, path[1:], proj)
			}
			out[k] = x
		}
		return out
	}
	arr, ok := v.([]any)
	if !ok {
		return v
	}
	out := make([]any, len(arr))
	for i, e := range arr {
		out[i] = cut(e, proj)
	}
	return out
}

func cut(v any, proj *Projection) any {
	m, ok := v.(map[string]any)
	if !ok || proj == nil {
		return v
	}
	out := map[string]any{}
	for k, sub := range proj.Keys {
		if x, ok := m[k]; ok {
			out[k] = cut(x, sub)
		}
	}
	return out
}

var bigEq = cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })

// sameProjected checks DecodeProjected against DecodeExactInts on data:
// the same error (text and offset), or the projection of the same value.
func sameProjected(t *testing.T, data []byte, path []string, proj *Projection) {
	t.Helper()
	full, wantErr := DecodeExactInts(data)
	got, err := DecodeProjected(data, path, proj)
	if gotS, wantS := errText(err), errText(wantErr); gotS != wantS {
		t.Fatalf("DecodeProjected(%q, %q, %s): err %q, DecodeExactInts: %q", data, path, proj, gotS, wantS)
	}
	if err != nil {
		return
	}
	if diff := cmp.Diff(projectRef(full, path, proj), got, bigEq); diff != "" {
		t.Fatalf("DecodeProjected(%q, %q, %s) (-want +got):\n%s", data, path, proj, diff)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// projections are the shapes the tests decode with.
var projections = []*Projection{
	{},
	{Keys: map[string]*Projection{"keep": nil}},
	{Keys: map[string]*Projection{"keep": nil, "o": {Keys: map[string]*Projection{"x": nil}}}},
	{Keys: map[string]*Projection{"o": {}, "a": nil, "\u00e9": nil}},
}

var paths = [][]string{nil, {"data"}, {"data", "items"}}

// wrap puts a fragment of the corpus at the places a projection treats
// apart: a skipped key, a kept key, a projected object, the envelope.
func wrap(frag string) []string {
	return []string{
		frag,
		`[{"keep":1,"skip":` + frag + `}]`,
		`[{"skip":` + frag + `,"keep":2}]`,
		`[{"keep":` + frag + `}]`,
		`[{"o":{"x":1,"y":` + frag + `}}]`,
		`{"next":` + frag + `,"data":[{"keep":1,"skip":` + frag + `}]}`,
		`{"data":[{"keep":1},{"skip":` + frag + `}],"more":true}`,
		`{"data":{"items":[{"o":{"y":` + frag + `,"x":2},"keep":3}]}}`,
		`{"data":{"items":[` + frag + `]}}`,
		`[` + frag + `]`,
		`[{"skip":{"deep":[` + frag + `]}}]`,
		`[{` + frag + `:1}]`,
		`[{"skip":1,` + frag + `}]`,
	}
}

func TestDecodeProjectedMatchesDecode(t *testing.T) {
	t.Parallel()
	frags := append([]string{
		`{"a":1,"a":2}`, "{\"\\u006beep\":1}", "{\"k\\u0065ep\":[1],\"keep\":2}", `{"keep":1,"keep":{"o":1}}`,
		`1e400`, `1.5e300`, `-1e-400`, `12345678901234567890123`, strings.Repeat("9", 400), strings.Repeat("9", 400) + ".5",
		`"\uD800\u00ZZ"`, `"\uD800\uDC00"`, "\"\xff\"",
	}, corpus...)
	for _, frag := range frags {
		for _, doc := range wrap(frag) {
			for _, p := range paths {
				for _, proj := range projections {
					sameProjected(t, []byte(doc), p, proj)
				}
			}
		}
	}
}

// Malformed JSON inside a skipped key is refused with Decode's error,
// offset included.
func TestDecodeProjectedSkippedFaults(t *testing.T) {
	t.Parallel()
	keep := &Projection{Keys: map[string]*Projection{"id": nil}}
	tests := []struct {
		doc  string
		want string
	}{
		{`[{"id":1,"x":[1,,2]}]`, "invalid character ',' looking for beginning of value at offset 16"},
		{`[{"id":1,"x":"a\qb"}]`, `invalid character 'q' in string escape code at offset 16`},
		{`[{"id":1,"x":"\u12G4"}]`, `invalid character 'G' in \u hexadecimal character escape at offset 18`},
		{"[{\"id\":1,\"x\":\"a\x01\"}]", `invalid character '\x01' in string literal at offset 15`},
		{`[{"id":1,"x":{"a" 1}}]`, "invalid character '1' after object key at offset 18"},
		{`[{"id":1,"x":{"a":1 "b":2}}]`, "invalid character '\"' after object key:value pair at offset 20"},
		{`[{"id":1,"x":01}]`, "invalid character '1' after object key:value pair at offset 14"},
		{`[{"id":1,"x":1e999}]`, "number 1e999 out of range at offset 13"},
		{`[{"id":1,"x":tru}]`, "invalid character '}' in literal true (expecting 'e') at offset 16"},
		{`[{"id":1,"x":[}]`, "invalid character '}' looking for beginning of value at offset 14"},
		{`[{"id":1,"x":{"a":1}`, "unexpected end of JSON input"},
		{`[{"id":1,"x":` + strings.Repeat("[", 20000) + `}]`, "exceeded max depth at offset 10011"},
		{`[{"id":1,"x":` + strings.Repeat(`{"a":`, 20000) + `}]`, "exceeded max depth at offset 50003"},
	}
	for _, tt := range tests {
		_, derr := Decode([]byte(tt.doc))
		_, err := DecodeProjected([]byte(tt.doc), nil, keep)
		if got := errText(err); got != tt.want || got != errText(derr) {
			t.Errorf("DecodeProjected(%.40q) = %q, want %q (Decode: %q)", tt.doc, got, tt.want, errText(derr))
		}
	}
}

// A key given twice keeps its last value, whether kept or skipped.
func TestDecodeProjectedRepeatedKeys(t *testing.T) {
	t.Parallel()
	proj := &Projection{Keys: map[string]*Projection{"a": {Keys: map[string]*Projection{"x": nil}}, "b": nil}}
	tests := []struct {
		doc  string
		want any
	}{
		{`[{"a":{"x":1},"z":1,"a":{"x":2},"z":2}]`, []any{map[string]any{"a": map[string]any{"x": 2.0}}}},
		{`[{"a":{"x":1,"x":3},"b":[1],"b":"s"}]`, []any{map[string]any{"a": map[string]any{"x": 3.0}, "b": "s"}}},
		{`[{"a":{"x":1},"a":"now a string"}]`, []any{map[string]any{"a": "now a string"}}},
		{`[{"a":[{"x":1,"y":2}]}]`, []any{map[string]any{"a": []any{map[string]any{"x": 1.0, "y": 2.0}}}}},
	}
	for _, tt := range tests {
		got, err := DecodeProjected([]byte(tt.doc), nil, proj)
		if err != nil {
			t.Fatalf("DecodeProjected(%s): %v", tt.doc, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("DecodeProjected(%s) (-want +got):\n%s", tt.doc, diff)
		}
	}
}

func TestProjectionString(t *testing.T) {
	t.Parallel()
	p := (&Projection{Keys: map[string]*Projection{"a": nil, "b": {Keys: map[string]*Projection{"c": nil}}}}).
		Union(&Projection{Keys: map[string]*Projection{"b": {Keys: map[string]*Projection{"d": {}}}, "e": {}}})
	if got, want := p.String(), "{a.*, b.c.*, b.d, e}"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := p.Union(nil).String(); got != "*" {
		t.Errorf("Union(nil) = %q, want *", got)
	}
}

// FuzzDecodeProjected: for any document, DecodeProjected gives
// DecodeExactInts's error, or its value cut to the projection.
func FuzzDecodeProjected(f *testing.F) {
	for _, s := range corpus {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte(`{"data":[{"keep":1,"o":{"x":[1],"y":2},"skip":{"z":"\u00e9"}}],"next":"c"}`), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		path, proj := paths[int(sel)%len(paths)], projections[int(sel/4)%len(projections)]
		sameProjected(t, data, path, proj)
		for _, doc := range wrap(string(data))[1:3] {
			sameProjected(t, []byte(doc), nil, proj)
		}
	})
}
