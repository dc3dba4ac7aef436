package mapping

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeQuotes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{`.foo`, `.foo`},
		// The YAML `'"service"'` reaches here as `"service"`; written
		// inside JQ text the quotes touch `"` and stay single.
		{`"service"`, `"service"`},
		{`'"service"'`, `'"service"'`},
		{`.org + '/' + .repo`, `.org + "/" + .repo`},
		{`'/' + .org`, `"/" + .org`},
		{`.org + '/'`, `.org + "/"`},
		{`('x')`, `('x')`},
		{`"it's"`, `"it's"`},
		{`.a + 'x y'`, `.a + "x y"`},
		// Ocean's regex consumes the space after a closing quote, so the
		// next opening quote is not converted.
		{`'a' 'b'`, `"a" 'b"`},
		{`'`, `"`},
		{` '`, ` "`},
		{`.a | test('^x')`, `.a | test('^x')`},
		{`.a | test( '^x' )`, `.a | test( "^x" )`},
		{"'héllo'", `"héllo"`},
	}
	for _, tt := range tests {
		got := NormalizeQuotes(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("NormalizeQuotes(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
