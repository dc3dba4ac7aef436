package sync

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// What decides "unchanged": two values compare equal exactly when their
// canonical encodings are equal. Equal JSON values must encode alike whatever
// Go type carried them (Port's search answer and a JQ result disagree on
// number types and key order); different values must never collide, or a
// real change would be skipped as unchanged.
func TestAppendCanonical(t *testing.T) {
	t.Parallel()
	equal := []struct {
		name string
		a, b any
	}{
		{"int and float", 1, 1.0},
		{"int64 and float", int64(42), 42.0},
		{"json.Number and float", json.Number("2.5"), 2.5},
		{"small big.Int and float", big.NewInt(7), 7.0},
		{"negative zero", -0.0, 0.0},
		{"object key order", map[string]any{"a": 1.0, "b": "x"}, map[string]any{"b": "x", "a": 1}},
		{"[]string and []any", []string{"a", "b"}, []any{"a", "b"}},
		{"nested numbers", map[string]any{"a": []any{1, map[string]any{"b": int64(2)}}}, map[string]any{"a": []any{1.0, map[string]any{"b": 2.0}}}},
		{"nested arrays", []any{[]any{1, 2}, []any{}}, []any{[]any{1.0, 2.0}, []any{}}},
	}
	for _, tt := range equal {
		t.Run("equal/"+tt.name, func(t *testing.T) {
			t.Parallel()
			if a, b := appendCanonical(nil, tt.a), appendCanonical(nil, tt.b); string(a) != string(b) {
				t.Errorf("%#v and %#v encode differently:\n%q\n%q", tt.a, tt.b, a, b)
			}
		})
	}
	differ := []struct {
		name string
		a, b any
	}{
		{"string and number", "1", 1.0},
		{"string and bool", "true", true},
		{"null and empty string", nil, ""},
		{"null and empty array", nil, []any{}},
		{"empty array and empty object", []any{}, map[string]any{}},
		{"array order", []any{1.0, 2.0}, []any{2.0, 1.0}},
		{"string boundaries", []any{"ab"}, []any{"a", "b"}},
		{"key and value boundaries", map[string]any{"ab": "c"}, map[string]any{"a": "bc"}},
		{"nested null and absent key", map[string]any{"a": nil}, map[string]any{}},
		{"nested change", map[string]any{"a": []any{1.0, map[string]any{"b": 2.0}}}, map[string]any{"a": []any{1.0, map[string]any{"b": 3.0}}}},
		{"nested array and object", []any{[]any{}}, []any{map[string]any{}}},
		{"true and false", true, false},
		{"close floats", 0.1, 0.1000000000000001},
	}
	for _, tt := range differ {
		t.Run("differ/"+tt.name, func(t *testing.T) {
			t.Parallel()
			if a, b := appendCanonical(nil, tt.a), appendCanonical(nil, tt.b); string(a) == string(b) {
				t.Errorf("%#v and %#v encode alike: %q", tt.a, tt.b, a)
			}
		})
	}
}

// Team is compared as a set of names, as Ocean compares it: one name given
// as a string equals a list of that name, order does not matter, and an
// empty list is no team.
func TestNormTeam(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"string", "platform", []any{"platform"}},
		{"list sorted", []any{"web", "api"}, []any{"api", "web"}},
		{"[]string", []string{"b", "a"}, []any{"a", "b"}},
		{"empty list is no team", []any{}, nil},
		{"null", nil, nil},
		{"list with a non-string kept as is", []any{"a", 1.0}, []any{"a", 1.0}},
		{"number kept as is", 3.0, 3.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, normTeam(tt.in)); diff != "" {
				t.Errorf("normTeam(%#v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}

	// Through the hash, as the diff sees them.
	h := newHasher()
	sum := func(team any) uint64 { return h.sum([]fieldValue{{"team", normTeam(team)}}) }
	same := [][2]any{{"a", []any{"a"}}, {[]any{"b", "a"}, []any{"a", "b"}}, {nil, []any{}}}
	for _, p := range same {
		if sum(p[0]) != sum(p[1]) {
			t.Errorf("team %#v and %#v hash differently", p[0], p[1])
		}
	}
	if sum("a") == sum([]any{"a", "b"}) || sum(nil) == sum("a") {
		t.Error("different teams hash alike")
	}
}

// TestCompareSetSumMatchesValues: the snapshot and the diff hash without
// building the field list; the hash must be the list's, or an unchanged
// entity would be written again.
func TestCompareSetSumMatchesValues(t *testing.T) {
	t.Parallel()
	h := newHasher()
	cs := compareSet{has: mapping.HasTitle | mapping.HasIcon | mapping.HasTeam | mapping.HasProperties | mapping.HasRelations,
		props: []string{"a", "lang", "nested", "missing"}, rels: []string{"owner", "deps"}}
	ents := []port.Entity{
		{},
		{Title: "T", Icon: "i", Team: []any{"b", "a"}, Properties: map[string]any{"a": 1.5, "lang": "go",
			"nested": map[string]any{"x": []any{true, nil, "s"}}}, Relations: map[string]any{"owner": "o", "deps": []any{"x", "y"}}},
		{Title: "T", Team: "a", Properties: map[string]any{"a": 2.0, "lang": strings.Repeat("long", 100)}},
	}
	seen := map[uint64]bool{}
	for i := range ents {
		got, want := cs.portSum(h, &ents[i]), h.sum(cs.portValues(&ents[i]))
		if got != want {
			t.Errorf("entity %d: sum %x, hash of the values %x", i, got, want)
		}
		seen[got] = true
		me := &mapping.Entity{Title: ents[i].Title, Icon: ents[i].Icon, Team: ents[i].Team, Properties: ents[i].Properties, Relations: ents[i].Relations}
		if s := cs.sourceSum(h, me); s != got {
			t.Errorf("entity %d: source sum %x, Port sum %x", i, s, got)
		}
	}
	if len(seen) != len(ents) {
		t.Errorf("%d distinct sums for %d different entities", len(seen), len(ents))
	}
}
