package port

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// bulkAnswer is Port's 200/207 answer to a bulk upsert: one entry per
// request entity, under entities when it was written and under errors
// when it was not, each naming its position in the request.
type bulkAnswer struct {
	Entities []bulkEntity `json:"entities"`
	Errors   []bulkError  `json:"errors"`
}

type bulkEntity struct {
	Index      int    `json:"index"`
	Identifier string `json:"identifier"`
	Created    bool   `json:"created"`
}

type bulkError struct {
	Index      int    `json:"index"`
	Identifier string `json:"identifier"`
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
}

// decodeBulkAnswer reads a bulk upsert answer exactly as json.Unmarshal
// into a bulkAnswer does. The common shape (plain strings and integers,
// each field once, other fields skipped) is read by a narrow scanner
// without reflection; anything else (an escape, a null, a field whose
// name differs only in case, a duplicate, a syntax error) is left to
// json.Unmarshal, so every answer and every error comes out as it would.
// hint is the number of entities in the request.
func decodeBulkAnswer(raw []byte, hint int) (bulkAnswer, error) {
	if out, ok := scanBulkAnswer(raw, hint); ok {
		return out, nil
	}
	var out bulkAnswer
	err := json.Unmarshal(raw, &out)
	return out, err
}

// scanBulkAnswer is decodeBulkAnswer's narrow path; ok is false when it
// cannot vouch for the result.
func scanBulkAnswer(raw []byte, hint int) (out bulkAnswer, ok bool) {
	s := scanner{b: raw}
	var seen uint8
	if !s.next('{') {
		return out, false
	}
	for first := true; ; first = false {
		key, done, ok := s.member(first, '}')
		switch {
		case !ok:
			return out, false
		case done:
			s.ws()
			return out, s.i == len(s.b)
		}
		switch string(key) {
		case "entities":
			if !once(&seen, 1) || !s.next('[') {
				return out, false
			}
			out.Entities = make([]bulkEntity, 0, hint)
			for first := true; ; first = false {
				if done, ok := s.element(first); !ok {
					return out, false
				} else if done {
					break
				}
				var e bulkEntity
				if !s.entity(&e) {
					return out, false
				}
				out.Entities = append(out.Entities, e)
			}
		case "errors":
			if !once(&seen, 2) || !s.next('[') {
				return out, false
			}
			for first := true; ; first = false {
				if done, ok := s.element(first); !ok {
					return out, false
				} else if done {
					break
				}
				var e bulkError
				if !s.error(&e) {
					return out, false
				}
				out.Errors = append(out.Errors, e)
			}
		default:
			if foldsTo(key, "entities", "errors") || !s.skip(0) {
				return out, false
			}
		}
	}
}

// entity reads one entry of entities.
func (s *scanner) entity(e *bulkEntity) bool {
	if !s.next('{') {
		return false
	}
	var got uint8
	for first := true; ; first = false {
		key, done, ok := s.member(first, '}')
		if !ok || done {
			return ok
		}
		switch string(key) {
		case "index":
			ok = once(&got, 1) && s.int(&e.Index)
		case "identifier":
			ok = once(&got, 2) && s.str(&e.Identifier)
		case "created":
			ok = once(&got, 4) && s.bool(&e.Created)
		default:
			ok = !foldsTo(key, "index", "identifier", "created") && s.skip(0)
		}
		if !ok {
			return false
		}
	}
}

// error reads one entry of errors.
func (s *scanner) error(e *bulkError) bool {
	if !s.next('{') {
		return false
	}
	var got uint8
	for first := true; ; first = false {
		key, done, ok := s.member(first, '}')
		if !ok || done {
			return ok
		}
		switch string(key) {
		case "index":
			ok = once(&got, 1) && s.int(&e.Index)
		case "identifier":
			ok = once(&got, 2) && s.str(&e.Identifier)
		case "statusCode":
			ok = once(&got, 4) && s.int(&e.StatusCode)
		case "error":
			ok = once(&got, 8) && s.str(&e.Error)
		case "message":
			ok = once(&got, 16) && s.str(&e.Message)
		default:
			ok = !foldsTo(key, "index", "identifier", "statusCode", "error", "message") && s.skip(0)
		}
		if !ok {
			return false
		}
	}
}

// once records bit in got, false when it was already there: a field given
// twice is left to json.Unmarshal.
func once(got *uint8, bit uint8) bool {
	if *got&bit != 0 {
		return false
	}
	*got |= bit
	return true
}

// foldsTo says whether key would be taken for one of names by
// json.Unmarshal, which matches field names as bytes.EqualFold does.
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// scanner reads the JSON of a bulk answer; each method reports false for
// anything it does not read exactly as encoding/json would.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether the next byte is c,
// consuming it when it is.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// member starts an object's next member, after its '{' (first) or its
// previous value: done when the object closes, else the key, read up to
// its ':'.
func (s *scanner) member(first bool, end byte) (key []byte, done, ok bool) {
	if s.next(end) {
		return nil, true, true
	}
	if !first && !s.next(',') {
		return nil, false, false
	}
	key, ok = s.strBytes()
	return key, false, ok && s.next(':')
}

// element starts an array's next element, after its '[' (first) or the
// previous element: done when the array closes.
func (s *scanner) element(first bool) (done, ok bool) {
	if s.next(']') {
		return true, true
	}
	return false, first || s.next(',')
}

// str reads a string without escapes or control characters, in valid
// UTF-8 (encoding/json would replace an invalid byte).
func (s *scanner) str(dst *string) bool {
	v, ok := s.strBytes()
	if ok {
		*dst = string(v)
	}
	return ok
}

// strBytes is str without the copy: v aliases the answer.
func (s *scanner) strBytes() (v []byte, ok bool) {
	if !s.next('"') {
		return nil, false
	}
	start, ascii := s.i, true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v = s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// int reads an integer of at most nine digits (no fraction, no exponent).
func (s *scanner) int(dst *int) bool {
	s.ws()
	neg := s.i < len(s.b) && s.b[s.i] == '-'
	if neg {
		s.i++
	}
	start, n := s.i, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 9 || (digits > 1 && s.b[start] == '0') {
		return false
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

func (s *scanner) bool(dst *bool) bool {
	switch {
	case s.lit("true"):
		*dst = true
	case s.lit("false"):
		*dst = false
	default:
		return false
	}
	return true
}

func (s *scanner) lit(word string) bool {
	s.ws()
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// maxSkipDepth bounds the nesting skip follows; deeper answers are left
// to json.Unmarshal.
const maxSkipDepth = 64

// skip checks and passes over any JSON value.
func (s *scanner) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.i++
		for first := true; ; first = false {
			_, done, ok := s.member(first, '}')
			if !ok || done {
				return ok
			}
			if !s.skip(depth + 1) {
				return false
			}
		}
	case c == '[':
		s.i++
		for first := true; ; first = false {
			done, ok := s.element(first)
			if !ok || done {
				return ok
			}
			if !s.skip(depth + 1) {
				return false
			}
		}
	case c == '"':
		return s.skipString()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.skipNumber()
	}
	return false
}

// skipString passes over a string, escapes included.
func (s *scanner) skipString() bool {
	s.i++ // the opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				s.i += 6
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

// skipNumber passes over a number in JSON's grammar.
func (s *scanner) skipNumber() bool {
	digits := func() int {
		start := s.i
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
		}
		return s.i - start
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	start := s.i
	n := digits()
	if n == 0 || (n > 1 && s.b[start] == '0') {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
