package jsonx

import (
	"encoding/json"
	"math/big"
	"testing"
)

func TestTypeName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{nil, "null"},
		{true, "boolean"},
		{1.5, "number"},
		{7, "number"},
		{int64(7), "number"},
		{json.Number("12.50"), "number"},
		{big.NewInt(5), "number"},
		{"x", "string"},
		{[]any{1}, "array"},
		{[]string{"a"}, "array"},
		{map[string]any{}, "object"},
		{struct{}{}, "struct {}"},
	}
	for _, tt := range tests {
		if got := TypeName(tt.in); got != tt.want {
			t.Errorf("TypeName(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Whatever the decoder yields has a JSON name, never a Go one.
func TestTypeNameOfDecoded(t *testing.T) {
	t.Parallel()
	v, err := Decode([]byte(`[null, true, 1, "s", [], {}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"null", "boolean", "number", "string", "array", "object"}
	for i, x := range v.([]any) {
		if got := TypeName(x); got != want[i] {
			t.Errorf("element %d: %q, want %q", i, got, want[i])
		}
	}
}
