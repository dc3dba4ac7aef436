package mapping

import (
	"strings"
	"unicode"
)

// NormalizeQuotes turns the single quotes that open or close a string
// literal into double quotes, so `.org + '/' + .repo` and `'"service"'`
// compile as users of Port's UI expect.
//
// Matches Ocean's JQEntityProcessor._format_filter
// (docs/ocean-compatibility.md#quote-normalisation),
// re.sub(r'(^|\s)'(?!\s|")|(?<!\s|")'(\s|$)', r'\1"\2', s), including its
// quirk that a match consumes the whitespace next to the quote, so in
// `'a' 'b'` the third quote stays single. A quote glued to other
// characters on both sides, as in `('x')`, is left alone.
func NormalizeQuotes(s string) string {
	if !strings.Contains(s, "'") {
		return s
	}
	r := []rune(s)
	n := len(r)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < n; {
		// Alternative 1: (^|\s)'(?!\s|")
		if i == 0 && r[0] == '\'' && opensString(r, 1) {
			b.WriteByte('"')
			i++
			continue
		}
		if pySpace(r[i]) && i+1 < n && r[i+1] == '\'' && opensString(r, i+2) {
			b.WriteRune(r[i])
			b.WriteByte('"')
			i += 2
			continue
		}
		// Alternative 2: (?<!\s|")'(\s|$)
		if r[i] == '\'' && (i == 0 || (!pySpace(r[i-1]) && r[i-1] != '"')) {
			if i+1 == n {
				b.WriteByte('"')
				i++
				continue
			}
			if pySpace(r[i+1]) {
				b.WriteByte('"')
				b.WriteRune(r[i+1])
				i += 2
				continue
			}
		}
		b.WriteRune(r[i])
		i++
	}
	return b.String()
}

// opensString is the lookahead (?!\s|") at position j.
func opensString(r []rune, j int) bool {
	return j >= len(r) || (!pySpace(r[j]) && r[j] != '"')
}

// pySpace is Python's \s for str patterns (str.isspace), which also counts
// the ASCII separators U+001C..U+001F.
func pySpace(c rune) bool {
	return unicode.IsSpace(c) || (c >= 0x1c && c <= 0x1f)
}
