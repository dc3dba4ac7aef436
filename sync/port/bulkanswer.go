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
	s := scanner{data: raw}
	var seen uint8
	// The levels read here count toward the nesting limit as they do
	// for json.Unmarshal: a skipped value starts one (top-level member)
	// or three (inside an entry) levels deep.
	s.depth = 1
	ok = s.fields(func(key []byte) bool {
		switch string(key) {
		case "entities":
			if !once(&seen, 1) {
				return false
			}
			out.Entities = make([]bulkEntity, 0, hint)
			return s.list(func() bool {
				var e bulkEntity
				if !s.entity(&e) {
					return false
				}
				out.Entities = append(out.Entities, e)
				return true
			})
		case "errors":
			if !once(&seen, 2) {
				return false
			}
			return s.list(func() bool {
				var e bulkError
				if !s.error(&e) {
					return false
				}
				out.Errors = append(out.Errors, e)
				return true
			})
		}
		return !foldsTo(key, "entities", "errors") && s.skip() == nil
	})
	if !ok {
		return out, false
	}
	s.ws()
	return out, s.i == len(s.data)
}

// list reads one of the answer's lists, handing each entry to entry, which
// reads it. An entry is three levels deep: the answer, the list and itself.
func (s *scanner) list(entry func() bool) bool {
	if !s.next('[') {
		return false
	}
	s.depth = 3
	for first := true; ; first = false {
		if done, ok := s.element(first); !ok || done {
			s.depth = 1
			return ok
		}
		if !entry() {
			return false
		}
	}
}

// fields reads an object, handing each member's key to field, which reads
// its value.
func (s *scanner) fields(field func(key []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	for first := true; ; first = false {
		key, done, ok := s.member(first)
		if !ok || done {
			return ok
		}
		if !field(key) {
			return false
		}
	}
}

// entity reads one entry of entities.
func (s *scanner) entity(e *bulkEntity) bool {
	var got uint8
	return s.fields(func(key []byte) bool {
		switch string(key) {
		case "index":
			return once(&got, 1) && s.intInto(&e.Index)
		case "identifier":
			return once(&got, 2) && s.strInto(&e.Identifier)
		case "created":
			return once(&got, 4) && s.boolInto(&e.Created)
		}
		return !foldsTo(key, "index", "identifier", "created") && s.skip() == nil
	})
}

// error reads one entry of errors.
func (s *scanner) error(e *bulkError) bool {
	var got uint8
	return s.fields(func(key []byte) bool {
		switch string(key) {
		case "index":
			return once(&got, 1) && s.intInto(&e.Index)
		case "identifier":
			return once(&got, 2) && s.strInto(&e.Identifier)
		case "statusCode":
			return once(&got, 4) && s.intInto(&e.StatusCode)
		case "error":
			return once(&got, 8) && s.strInto(&e.Error)
		case "message":
			return once(&got, 16) && s.strInto(&e.Message)
		}
		return !foldsTo(key, "index", "identifier", "statusCode", "error", "message") && s.skip() == nil
	})
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

// The narrow path's steps, on the snapshot's scanner (scan.go): each
// reports false for anything it does not read exactly as encoding/json
// would, and the caller then leaves the answer to json.Unmarshal.

// next consumes c if it is the next byte after spaces.
func (s *scanner) next(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// member starts an object's next member, after its '{' (first) or its
// previous value: done when the object closes, else the key, read up to
// its ':'.
func (s *scanner) member(first bool) (key []byte, done, ok bool) {
	if s.next('}') {
		return nil, true, true
	}
	if !first && !s.next(',') {
		return nil, false, false
	}
	key, ok = s.plainStr()
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

// plainStr reads a string without escapes, in valid UTF-8 (encoding/json
// would replace an invalid byte); v aliases the answer.
func (s *scanner) plainStr() (v []byte, ok bool) {
	if s.peek() != '"' {
		return nil, false
	}
	v, escaped, err := s.str()
	return v, err == nil && !escaped && utf8.Valid(v)
}

func (s *scanner) strInto(dst *string) bool {
	v, ok := s.plainStr()
	if ok {
		*dst = string(v)
	}
	return ok
}

// intInto reads an integer of at most nine digits (no fraction, no
// exponent, no leading zero).
func (s *scanner) intInto(dst *int) bool {
	s.ws()
	neg := s.i < len(s.data) && s.data[s.i] == '-'
	if neg {
		s.i++
	}
	start, n := s.i, 0
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		n = n*10 + int(s.data[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 9 || (digits > 1 && s.data[start] == '0') {
		return false
	}
	if s.i < len(s.data) {
		switch s.data[s.i] {
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

func (s *scanner) boolInto(dst *bool) bool {
	switch s.peek() {
	case 't':
		*dst = true
		return s.literal("true") == nil
	case 'f':
		*dst = false
		return s.literal("false") == nil
	}
	return false
}
