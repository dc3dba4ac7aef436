package yamlx

import (
	"strings"
	"testing"
)

// Nesting deeper than yaml.v3's limit (10000) is refused with an error
// naming the limit, however deep the document goes, and never overflows
// the stack.
func TestDepthLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		wantErr string // "" when it decodes
	}{
		{"sequences within the limit", strings.Repeat("[", 9000) + strings.Repeat("]", 9000), ""},
		{"sequences past the limit", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "exceeded max depth of 10000"},
		{"a million sequences", strings.Repeat("[", 1_000_000), "exceeded max depth of 10000"},
		{"mappings past the limit", strings.Repeat("{a: ", 10001) + "1" + strings.Repeat("}", 10001), "exceeded max depth of 10000"},
		{"block sequences past the limit", strings.Repeat("- ", 10001) + "1\n", "exceeded max depth of 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tt.doc))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tt.wantErr == "") != (err == nil) || !strings.Contains(got, tt.wantErr) {
				t.Errorf("Decode = %q, want an error containing %q", got, tt.wantErr)
			}
		})
	}
}
