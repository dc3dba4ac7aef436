package jsonx

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
)

// sameEncoding checks that Append gives encoding/json's bytes for v.
func sameEncoding(t *testing.T, v any) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := Append([]byte("prefix"), v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Append(%#v): err %v, encoding/json: %v", v, err, wantErr)
	}
	if err != nil {
		return
	}
	if string(got) != "prefix"+string(want) {
		t.Fatalf("Append(%#v) = %s, encoding/json gives %s", v, got[len("prefix"):], want)
	}
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range corpus {
		v, err := DecodeExactInts([]byte(s))
		if err != nil {
			continue
		}
		sameEncoding(t, v)
	}
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	for _, v := range []any{
		math.Copysign(0, -1), 1e21, 1e20, 123456789.125, 1e-7, 1e-6, 5e-324, math.MaxFloat64, -1.5e-9,
		"<script>&amp;</script>", "tab\there", "\u2028\u2029", "é", "\xff",
		int(-3), int64(1 << 60), big1,
		map[string]any{"b": 1.0, "a": []any{nil, true, "x"}, "é": map[string]any{}, "<": "&"},
		map[string]any{"k0": 0.0, "k1": 1.0, "k2": 2.0, "k3": 3.0, "k4": 4.0, "k5": 5.0, "k6": 6.0, "k7": 7.0, "k8": 8.0, "k9": 9.0, "k10": 10.0, "k11": 11.0, "k12": 12.0, "k13": 13.0, "k14": 14.0, "k15": 15.0, "k16": 16.0, "k17": 17.0},
		[]any{}, map[string]any{}, []string{"typed", "slice"}, struct{ A int }{1},
	} {
		sameEncoding(t, v)
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}, map[string]any{"x": math.NaN()}} {
		if _, err := Append(nil, bad); err == nil {
			t.Errorf("Append(%v): no error, encoding/json refuses it", bad)
		}
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range corpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeExactInts(data)
		if err != nil {
			return
		}
		sameEncoding(t, v)
	})
}

// A nil []any is an empty array (a JQ `[]` collected by appending), where
// encoding/json would write null: an upsert must send [] for it.
func TestAppendNilSliceIsAnEmptyArray(t *testing.T) {
	t.Parallel()
	got, err := Append(nil, map[string]any{"tags": []any(nil)})
	if err != nil || string(got) != `{"tags":[]}` {
		t.Fatalf("Append = %s, %v; want {\"tags\":[]}", got, err)
	}
}
