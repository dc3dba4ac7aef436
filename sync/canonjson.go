package sync

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/tide-sync/tide/internal/jsonx"
)

// canon writes appendCanonical's encoding of a JSON text without decoding
// it into Go values: the snapshot hashes the compared fields of every
// entity Port holds, straight from the search answer. For every valid JSON
// text raw, c.append(b, raw) gives the bytes appendCanonical(b, v) gives
// for v = jsonx.Decode(raw) (FuzzProjectedSum checks it). Its buffers are
// reused, so one canon serves one goroutine.
type canon struct {
	members []member // the members of the objects being encoded, a stack
	tmp     []byte   // an object's members in key order
}

// member is one encoded object member: its key at b[ks:ke], the whole
// member (key length, key, value) at b[ms:me].
type member struct{ ks, ke, ms, me int }

// append appends the canonical encoding of the JSON text raw, which must
// be valid (the Port client validated the whole answer).
func (c *canon) append(b, raw []byte) ([]byte, error) {
	r := rawReader{data: raw}
	b, err := c.value(b, &r)
	if err != nil {
		return b, err
	}
	if r.ws(); r.i != len(r.data) {
		return b, r.fault()
	}
	return b, nil
}

type rawReader struct {
	data []byte
	i    int
}

func (r *rawReader) ws() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *rawReader) fault() error {
	return fmt.Errorf("canonical encoding: unexpected JSON at offset %d", r.i)
}

// peek returns the next non-space byte, 0 at the end.
func (r *rawReader) peek() byte {
	r.ws()
	if r.i >= len(r.data) {
		return 0
	}
	return r.data[r.i]
}

func (c *canon) value(b []byte, r *rawReader) ([]byte, error) {
	switch ch := r.peek(); {
	case ch == '{':
		return c.object(b, r)
	case ch == '[':
		return c.array(b, r)
	case ch == '"':
		s, err := r.str()
		if err != nil {
			return b, err
		}
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...), nil
	case ch == 't':
		r.i += len("true")
		return append(b, 't'), nil
	case ch == 'f':
		r.i += len("false")
		return append(b, 'f'), nil
	case ch == 'n':
		r.i += len("null")
		return append(b, 'z'), nil
	case ch == '-' || (ch >= '0' && ch <= '9'):
		f, err := r.number()
		if err != nil {
			return b, err
		}
		return appendNum(b, f), nil
	}
	return b, r.fault()
}

// str reads a string literal and returns its text, as jsonx decodes it
// (escapes resolved, invalid UTF-8 replaced by U+FFFD). A plain literal
// aliases the input.
func (r *rawReader) str() ([]byte, error) {
	start := r.i // the opening quote
	r.i++
	escaped := false
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case '"':
			r.i++
			raw := r.data[start+1 : r.i-1]
			if !escaped && utf8.Valid(raw) {
				return raw, nil
			}
			v, err := jsonx.Decode(r.data[start:r.i])
			if err != nil {
				return nil, err
			}
			s, _ := v.(string)
			return []byte(s), nil
		case '\\':
			escaped = true
			r.i += 2
		default:
			r.i++
		}
	}
	return nil, r.fault()
}

// number reads a number as the float64 jsonx gives.
func (r *rawReader) number() (float64, error) {
	start := r.i
	plain := true // an integer without fraction or exponent
	for r.i < len(r.data) {
		ch := r.data[r.i]
		if ch >= '0' && ch <= '9' || ch == '-' {
			r.i++
			continue
		}
		if ch == '.' || ch == 'e' || ch == 'E' || ch == '+' {
			plain = false
			r.i++
			continue
		}
		break
	}
	s := r.data[start:r.i]
	if plain && len(s) <= 15 {
		neg := s[0] == '-'
		if neg {
			s = s[1:]
		}
		var n int64
		for _, ch := range s {
			n = n*10 + int64(ch-'0')
		}
		if neg {
			n = -n // -0 is 0: appendNum makes them one
		}
		return float64(n), nil
	}
	return strconv.ParseFloat(string(s), 64)
}

func (c *canon) array(b []byte, r *rawReader) ([]byte, error) {
	r.i++ // [
	b = append(b, 'a')
	at := len(b)
	n := 0
	if r.peek() == ']' {
		r.i++
		return insertUvarint(b, at, 0), nil
	}
	for {
		var err error
		if b, err = c.value(b, r); err != nil {
			return b, err
		}
		n++
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return insertUvarint(b, at, uint64(n)), nil
		default:
			return b, r.fault()
		}
	}
}

func (c *canon) object(b []byte, r *rawReader) ([]byte, error) {
	r.i++ // {
	b = append(b, 'm')
	at := len(b)
	if r.peek() == '}' {
		r.i++
		return insertUvarint(b, at, 0), nil
	}
	base := len(c.members)
	for {
		if r.peek() != '"' {
			return b, r.fault()
		}
		k, err := r.str()
		if err != nil {
			return b, err
		}
		if r.peek() != ':' {
			return b, r.fault()
		}
		r.i++
		ms := len(b)
		b = binary.AppendUvarint(b, uint64(len(k)))
		ks := len(b)
		b = append(b, k...)
		ke := len(b)
		if b, err = c.value(b, r); err != nil {
			return b, err
		}
		c.members = append(c.members, member{ks, ke, ms, len(b)})
		switch r.peek() {
		case ',':
			r.i++
			continue
		case '}':
			r.i++
		default:
			return b, r.fault()
		}
		break
	}
	ms := c.members[base:]
	key := func(m member) []byte { return b[m.ks:m.ke] }
	sorted := true
	for j := 1; j < len(ms); j++ {
		if bytes.Compare(key(ms[j-1]), key(ms[j])) >= 0 {
			sorted = false
			break
		}
	}
	if !sorted {
		// Keys in order, and of a repeated key only the last, as in the
		// map jsonx builds.
		slices.SortStableFunc(ms, func(x, y member) int { return bytes.Compare(key(x), key(y)) })
		kept := ms[:0]
		for j, m := range ms {
			if j+1 < len(ms) && bytes.Equal(key(m), key(ms[j+1])) {
				continue
			}
			kept = append(kept, m)
		}
		c.tmp = c.tmp[:0]
		for _, m := range kept {
			c.tmp = append(c.tmp, b[m.ms:m.me]...)
		}
		b = append(b[:at], c.tmp...)
		ms = kept
	}
	n := len(ms)
	c.members = c.members[:base]
	return insertUvarint(b, at, uint64(n)), nil
}

// insertUvarint inserts the varint of n at b[at:].
func insertUvarint(b []byte, at int, n uint64) []byte {
	var h [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(h[:], n)
	b = append(b, h[:k]...)
	copy(b[at+k:], b[at:len(b)-k])
	copy(b[at:], h[:k])
	return b
}
