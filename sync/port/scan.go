package port

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tide-sync/tide/internal/jsonx"
)

// scanner walks a JSON answer without building it: the snapshot reads
// pages of up to 1000 entities of which it keeps a few fields, and the
// rest is validated and skipped. It accepts exactly the documents
// jsonx.Decode accepts (same grammar, nesting limit and number range), so
// an answer that would not decode is still an error.
type scanner struct {
	data  []byte
	i     int
	depth int
}

// maxDepth is jsonx's (and encoding/json's) nesting limit.
const maxDepth = 10000

func (s *scanner) errorf(format string, a ...any) error {
	return &jsonx.SyntaxError{Msg: fmt.Sprintf(format, a...), Offset: s.i}
}

func (s *scanner) errEnd() error {
	return &jsonx.SyntaxError{Msg: "unexpected end of JSON input", Offset: len(s.data)}
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.data) {
		return 0
	}
	return s.data[s.i]
}

// expect consumes c after spaces.
func (s *scanner) expect(c byte, what string) error {
	switch s.peek() {
	case c:
		s.i++
		return nil
	case 0:
		return s.errEnd()
	}
	return s.errorf("invalid character %q %s", s.data[s.i], what)
}

// end checks that nothing but spaces follows the top-level value.
func (s *scanner) end() error {
	if s.peek() != 0 {
		return s.errorf("invalid character %q after top-level value", s.data[s.i])
	}
	return nil
}

// value skips one value and returns its raw text.
func (s *scanner) value() ([]byte, error) {
	s.ws()
	start := s.i
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.data[start:s.i], nil
}

// span skips one value and returns its place (the answer is at most 4 GiB).
func (s *scanner) span() (span, error) {
	s.ws()
	start := s.i
	if err := s.skip(); err != nil {
		return span{}, err
	}
	return span{uint32(start), uint32(s.i)}, nil
}

// skip validates and skips one value.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == 0:
		return s.errEnd()
	case c == '{':
		return s.object(func([]byte, bool) error { return s.skip() })
	case c == '[':
		return s.array(func(int) error { return s.skip() })
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		return s.errorf("invalid character %q looking for beginning of value", c)
	}
}

func (s *scanner) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if s.i >= len(s.data) {
			return s.errEnd()
		}
		if s.data[s.i] != word[k] {
			return s.errorf("invalid character %q in literal %s", s.data[s.i], word)
		}
		s.i++
	}
	return nil
}

// object walks the object at s.i, calling member with each raw key (the
// text between its quotes) and whether it holds escapes; member must
// consume the value.
func (s *scanner) object(member func(key []byte, escaped bool) error) error {
	if s.depth++; s.depth > maxDepth {
		return s.errorf("exceeded max depth")
	}
	s.i++ // {
	if s.peek() == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		switch s.peek() {
		case '"':
		case 0:
			return s.errEnd()
		default:
			return s.errorf("invalid character %q looking for beginning of object key string", s.data[s.i])
		}
		k, esc, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':', "after object key"); err != nil {
			return err
		}
		if err := member(k, esc); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		case 0:
			return s.errEnd()
		default:
			return s.errorf("invalid character %q after object key:value pair", s.data[s.i])
		}
	}
}

// array walks the array at s.i, calling elem for each element with its
// index; elem must consume it.
func (s *scanner) array(elem func(int) error) error {
	if s.depth++; s.depth > maxDepth {
		return s.errorf("exceeded max depth")
	}
	s.i++ // [
	if s.peek() == ']' {
		s.i++
		s.depth--
		return nil
	}
	for n := 0; ; n++ {
		if err := elem(n); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		case 0:
			return s.errEnd()
		default:
			return s.errorf("invalid character %q after array element", s.data[s.i])
		}
	}
}

// str validates the string at s.i (its opening quote) and returns the
// text between the quotes and whether it holds escapes.
func (s *scanner) str() (raw []byte, escaped bool, err error) {
	s.i++ // "
	start := s.i
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return s.data[start : s.i-1], escaped, nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.data) {
				return nil, false, s.errEnd()
			}
			switch s.data[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if s.i+k >= len(s.data) {
						return nil, false, s.errEnd()
					}
					if !isHex(s.data[s.i+k]) {
						s.i += k
						return nil, false, s.errorf("invalid character %q in \\u hexadecimal character escape", s.data[s.i])
					}
				}
				s.i += 6
			default:
				s.i++
				return nil, false, s.errorf("invalid character %q in string escape code", s.data[s.i])
			}
		case c < 0x20:
			return nil, false, s.errorf("invalid character %q in string literal", c)
		default:
			s.i++
		}
	}
	return nil, false, s.errEnd()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number validates the number at s.i. As jsonx does, a number float64
// cannot hold (1e400) is an error.
func (s *scanner) number() error {
	start := s.i
	digit := func() bool { return s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' }
	if s.data[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i >= len(s.data):
		return s.errEnd()
	case s.data[s.i] == '0':
		s.i++
	case digit():
		for digit() {
			s.i++
		}
	default:
		return s.errorf("invalid character %q in numeric literal", s.data[s.i])
	}
	exp := false
	if s.i < len(s.data) && s.data[s.i] == '.' {
		s.i++
		if err := s.digits("after decimal point in numeric literal"); err != nil {
			return err
		}
	}
	if s.i < len(s.data) && (s.data[s.i] == 'e' || s.data[s.i] == 'E') {
		exp = true
		s.i++
		if s.i < len(s.data) && (s.data[s.i] == '+' || s.data[s.i] == '-') {
			s.i++
		}
		if err := s.digits("in exponent of numeric literal"); err != nil {
			return err
		}
	}
	// Without an exponent only a literal of over 300 digits can overflow.
	if exp || s.i-start > 300 {
		if _, err := strconv.ParseFloat(string(s.data[start:s.i]), 64); err != nil {
			return &jsonx.SyntaxError{Msg: fmt.Sprintf("number %s out of range", s.data[start:s.i]), Offset: start}
		}
	}
	return nil
}

// digits consumes a number's fraction or exponent digits, at least one;
// where places them in the error ("invalid character 'x' after decimal
// point in numeric literal").
func (s *scanner) digits(where string) error {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	switch {
	case s.i > start:
		return nil
	case s.i >= len(s.data):
		return s.errEnd()
	}
	return s.errorf("invalid character %q %s", s.data[s.i], where)
}

// unquote returns the string a validated string literal's text holds,
// exactly as jsonx decodes it (escapes resolved, invalid UTF-8 replaced).
func unquote(raw []byte, escaped bool) (string, error) {
	if !escaped && utf8.Valid(raw) {
		return string(raw), nil
	}
	lit := make([]byte, 0, len(raw)+2)
	lit = append(append(append(lit, '"'), raw...), '"')
	v, err := jsonx.Decode(lit)
	if err != nil {
		return "", err
	}
	s, _ := v.(string)
	return s, nil
}
