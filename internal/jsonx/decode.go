// Package jsonx decodes vendor API pages into the generic values the
// mapping works on (map[string]any, []any, string, float64, bool, nil),
// giving exactly what encoding/json's Unmarshal into an `any` gives, about
// three times faster and with fewer allocations: one pass (no separate
// validation scan), no reflection, and object keys interned per decoder, so
// a page of a hundred items with the same fields holds each key string once.
//
// Decoding pages is the largest CPU cost of a sync after mapping (see
// BENCHMARKS.md); every integration decodes through here.
package jsonx

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// maxKeys bounds the intern table of one decoder.
const maxKeys = 4096

// SyntaxError is a malformed document, with the byte offset of the fault.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

// Decode decodes one JSON document. Surrounding whitespace is allowed;
// anything else after the value is an error.
func Decode(data []byte) (any, error) {
	d := decoder{data: data}
	return d.end(d.value())
}

// DecodeExactInts is Decode, except that an integer literal float64 cannot
// hold exactly (beyond 2^53, e.g. a 64-bit snowflake id) becomes a
// *big.Int: rounded, two ids could read as one. Every other number is the
// float64 Decode gives.
func DecodeExactInts(data []byte) (any, error) {
	d := decoder{data: data, exactInts: true}
	return d.end(d.value())
}

// end finishes a document whose top-level value v was just decoded:
// anything but whitespace after it is an error.
func (d *decoder) end(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.i < len(d.data) {
		return nil, d.errorf("invalid character %s after top-level value", quoteChar(d.data[d.i]))
	}
	return v, nil
}

// DecodeItems decodes a JSON array of objects, the shape of most vendor
// list responses. An element that is not an object is an error naming its
// index; null elements are skipped.
func DecodeItems(data []byte) ([]map[string]any, error) {
	v, err := Decode(data)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON array of objects, got %s", TypeName(v))
	}
	return Objects(arr)
}

// Objects converts an array of decoded values to objects: an element that
// is not an object is an error naming its index; null elements are skipped.
func Objects(arr []any) ([]map[string]any, error) {
	items := make([]map[string]any, 0, len(arr))
	for i, e := range arr {
		switch t := e.(type) {
		case map[string]any:
			items = append(items, t)
		case nil:
		default:
			return nil, fmt.Errorf("element %d is %s, not an object", i, TypeName(e))
		}
	}
	return items, nil
}

type decoder struct {
	data  []byte
	i     int
	depth int
	keys  map[string]string
	// stack holds the elements (arrays) or key, value pairs (objects) of
	// the containers being decoded, so each is built once at its final size.
	stack []any
	names []string // the keys of the objects being decoded, beside stack
	// short holds boxed short string values (enums, states, languages,
	// branch names repeat from item to item): a hit costs no allocation.
	short map[string]any
	// exactInts keeps integers beyond float64's exact range as *big.Int.
	exactInts bool
}

// maxShort is the longest string value interned.
const maxShort = 24

// smallInts are the boxed float64s 0..1023: numbers this small (counts,
// tiers, ports, replicas) are common and then cost no allocation.
var smallInts = func() (t [1024]any) {
	for i := range t {
		t[i] = float64(i)
	}
	return t
}()

func (d *decoder) errorf(format string, a ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, a...), Offset: d.i}
}

var errEnd = errors.New("unexpected end of JSON input")

func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(c))
	return "'" + s[1:len(s)-1] + "'"
}

func (d *decoder) value() (any, error) {
	d.ws()
	if d.i >= len(d.data) {
		return nil, errEnd
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.strValue()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return nil, d.errorf("invalid character %s looking for beginning of value", quoteChar(c))
	}
}

func (d *decoder) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if d.i >= len(d.data) {
			return errEnd
		}
		if d.data[d.i] != word[k] {
			return d.errorf("invalid character %s in literal %s (expecting %s)", quoteChar(d.data[d.i]), word, quoteChar(word[k]))
		}
		d.i++
	}
	return nil
}

// object decodes an object whole (objectSel with nothing to select).
func (d *decoder) object() (any, error) { return d.objectSel(nil, nil, false) }

// array decodes an array whole (arraySel with nothing to project).
func (d *decoder) array() (any, error) { return d.arraySel(nil) }

// str decodes the string at d.i (its opening quote). Keys are interned.
func (d *decoder) str(key bool) (string, error) {
	d.i++ // "
	start := d.i
	ascii := true
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			raw := d.data[start:d.i]
			d.i++
			if !ascii && !utf8.Valid(raw) {
				return d.slowStr(raw), nil
			}
			if key {
				return d.intern(raw), nil
			}
			return string(raw), nil
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", d.errorf("invalid character %s in string literal", quoteChar(c))
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", errEnd
}

// strValue decodes a string value, boxed.
func (d *decoder) strValue() (any, error) {
	start := d.i + 1
	end := start
	for end < len(d.data) && end-start <= maxShort {
		c := d.data[end]
		if c == '"' {
			break
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			end = len(d.data) // not a plain short string
			break
		}
		end++
	}
	if end < len(d.data) && d.data[end] == '"' {
		raw := d.data[start:end]
		if v, ok := d.short[string(raw)]; ok {
			d.i = end + 1
			return v, nil
		}
	}
	s, err := d.str(false)
	if err != nil {
		return nil, err
	}
	var v any = s
	if len(s) <= maxShort && end < len(d.data) && len(d.short) < maxKeys {
		if d.short == nil {
			d.short = make(map[string]any, 64)
		}
		d.short[s] = v
	}
	return v, nil
}

func (d *decoder) intern(raw []byte) string {
	if s, ok := d.keys[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if d.keys == nil {
		d.keys = make(map[string]string, 64)
	}
	if len(d.keys) < maxKeys {
		d.keys[s] = s
	}
	return s
}

// slowStr replaces each byte of invalid UTF-8 with U+FFFD, as encoding/json
// does; raw has no escapes.
func (d *decoder) slowStr(raw []byte) string {
	b := make([]byte, 0, len(raw)+8)
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, raw[:size]...)
		}
		raw = raw[size:]
	}
	return string(b)
}

// escaped decodes a string with escapes, from start (after the opening
// quote); d.i is at the first backslash.
func (d *decoder) escaped(start int) (string, error) {
	b := make([]byte, 0, d.i-start+16)
	b = append(b, d.data[start:d.i]...)
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(b) {
				return d.slowStr(b), nil
			}
			return string(b), nil
		case c == '\\':
			if d.i+1 >= len(d.data) {
				return "", errEnd
			}
			e := d.data[d.i+1]
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, bad, ok := hex4(d.data, d.i+2)
				if !ok {
					d.i = bad
					if bad >= len(d.data) {
						return "", errEnd
					}
					return "", d.errorf("invalid character %s in \\u hexadecimal character escape", quoteChar(d.data[bad]))
				}
				d.i += 6
				if utf16.IsSurrogate(r) {
					// A valid pair makes one rune; anything else leaves
					// U+FFFD and the next escape to be read on its own.
					if d.i+1 < len(d.data) && d.data[d.i] == '\\' && d.data[d.i+1] == 'u' {
						if r2, _, ok := hex4(d.data, d.i+2); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								b = utf8.AppendRune(b, dec)
								d.i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				d.i++
				return "", d.errorf("invalid character %s in string escape code", quoteChar(e))
			}
			d.i += 2
		case c < 0x20:
			return "", d.errorf("invalid character %s in string literal", quoteChar(c))
		default:
			b = append(b, c)
			d.i++
		}
	}
	return "", errEnd
}

// hex4 reads the four hex digits of a \u escape at data[at:]; on failure
// it returns the offset of the fault.
func hex4(data []byte, at int) (r rune, bad int, ok bool) {
	for k := range 4 {
		if at+k >= len(data) {
			return 0, len(data), false
		}
		c := data[at+k]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, at + k, false
		}
		r = r<<4 | rune(c)
	}
	return r, 0, true
}

// number decodes a JSON number as float64, as encoding/json does for any.
func (d *decoder) number() (any, error) { return d.scanNumber(false) }

// scanNumber is number, or with skip the syntax and range check of the
// number without its value: only a literal with an exponent or of more
// than 300 characters can be out of float64's range (number's one fault
// past the syntax), so only those are converted.
func (d *decoder) scanNumber(skip bool) (any, error) {
	start := d.i
	if d.data[d.i] == '-' {
		d.i++
	}
	digit := func() bool { return d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' }
	switch {
	case d.i >= len(d.data):
		return nil, errEnd
	case d.data[d.i] == '0':
		d.i++
	case digit():
		for digit() {
			d.i++
		}
	default:
		return nil, d.errorf("invalid character %s in numeric literal", quoteChar(d.data[d.i]))
	}
	intEnd := d.i
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if !digit() {
			if d.i >= len(d.data) {
				return nil, errEnd
			}
			return nil, d.errorf("invalid character %s after decimal point in numeric literal", quoteChar(d.data[d.i]))
		}
		for digit() {
			d.i++
		}
	}
	exp := d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E')
	if exp {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if !digit() {
			if d.i >= len(d.data) {
				return nil, errEnd
			}
			return nil, d.errorf("invalid character %s in exponent of numeric literal", quoteChar(d.data[d.i]))
		}
		for digit() {
			d.i++
		}
	}
	if skip && !exp && d.i-start <= 300 {
		return nil, nil
	}
	s := d.data[start:d.i]
	// Small integers are exact in a float64: skip ParseFloat.
	if d.i == intEnd && intEnd-start <= 15 {
		neg := s[0] == '-'
		digits := s
		if neg {
			digits = s[1:]
		}
		var n int64
		for _, c := range digits {
			n = n*10 + int64(c-'0')
		}
		if !neg && n < int64(len(smallInts)) {
			return smallInts[n], nil
		}
		if neg {
			if n == 0 {
				return math.Copysign(0, -1), nil // negative zero, as ParseFloat gives
			}
			n = -n
		}
		return float64(n), nil
	}
	if d.exactInts && d.i == intEnd {
		if b, ok := new(big.Int).SetString(string(s), 10); ok && !(b.IsInt64() && exactFloat(b.Int64())) {
			return b, nil
		}
	}
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return nil, &SyntaxError{Msg: fmt.Sprintf("number %s out of range", s), Offset: start}
	}
	return f, nil
}

// exactFloat reports whether n survives a round trip through float64.
func exactFloat(n int64) bool {
	return n >= -1<<53 && n <= 1<<53
}
