package mapping

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
)

// The fast encoder must write byte for byte what encoding/json writes.
func TestAppendValueMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	values := []any{
		nil, true, false, "", "plain", `quote " and \ back`, "tab\tnew\nline\x01", "<html> & co", "héllo ☃ \u2028 end", "bad \xff utf8",
		0.0, -0.0, 1.0, -1.5, 3.14159, 1e20, 1e21, 123456789e15, 1e-6, 1e-7, 5e-324, math.MaxFloat64, 0.1 + 0.2, 100.0,
		0, 42, -7, int64(1) << 62, big1,
		[]any{}, []any{1.0, "a", nil, []any{true}}, map[string]any{},
		map[string]any{"z": 1.0, "a": map[string]any{"y": []any{"x"}, "b": nil}, "ü": "v", "<": ">"},
		map[string]any{"k0": 0.0, "k1": 1.0, "k2": 2.0, "k3": 3.0, "k4": 4.0, "k5": 5.0, "k6": 6.0, "k7": 7.0, "k8": 8.0, "k9": 9.0,
			"k10": 10.0, "k11": 11.0, "k12": 12.0, "k13": 13.0, "k14": 14.0, "k15": 15.0, "k16": 16.0, "k17": 17.0},
		json.Number("12.50"), []string{"typed", "slice"}, map[string]string{"typed": "map"},
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%#v): %v", v, err)
		}
		got, err := appendValue(nil, v)
		if err != nil {
			t.Errorf("appendValue(%#v): %v", v, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("appendValue(%#v)\n got %s\nwant %s", v, got, want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), []any{math.Inf(-1)}} {
		if _, err := appendValue(nil, bad); err == nil {
			t.Errorf("appendValue(%v): no error", bad)
		}
	}
}

func FuzzAppendValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x\u0000"],"b":{"c":null}}`, `"\ud800"`, `1e-7`, `[true,false]`, `-0.000001`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			return
		}
		got, err := appendValue(nil, v)
		if err != nil || string(got) != string(want) {
			t.Fatalf("appendValue(%s) = %s, %v; want %s", data, got, err, want)
		}
	})
}
