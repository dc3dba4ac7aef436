package jsonx

import (
	"strings"
	"testing"
)

// A vendor answer nested deeper than 10000 levels (encoding/json's limit)
// is refused where the limit is crossed, however deep it goes: the
// decoder never recurses past the limit, so the stack stays small.
func TestDepthLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want string // "" when it decodes
	}{
		{"arrays at the limit", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), ""},
		{"arrays past the limit", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "exceeded max depth at offset 10000"},
		{"objects past the limit", strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001), "exceeded max depth at offset 50000"},
		{"ten million arrays", strings.Repeat("[", 10_000_000), "exceeded max depth at offset 10000"},
		{"an item of a page", `[{"id":1,"x":` + strings.Repeat("[", 20000) + `}]`, "exceeded max depth at offset 10011"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tt.doc))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Decode = %q, want %q", got, tt.want)
			}
		})
	}
}
