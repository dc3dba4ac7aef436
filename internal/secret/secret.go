// Package secret holds the values a run must never print: the configured
// secrets and every token obtained while running (Port access tokens,
// GitHub installation tokens, custom auth-request tokens). A value joins
// the set the moment it exists; every output stream, error, summary and
// report is redacted against the set as it is at that moment, and a CI
// runner is told to mask each new value through OnAdd.
package secret

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	gosync "sync"
)

// MinLen keeps very short values (which would mangle ordinary text) out of
// the set; such values are never printed by construction.
const MinLen = 6

// Mask replaces a secret in output.
const Mask = "[REDACTED]"

// Set is a concurrency-safe set of secret values. The zero value is empty
// and ready; a nil *Set holds nothing and ignores Add.
type Set struct {
	mu    gosync.RWMutex
	vals  []string // longest first, for redaction
	order []string // as added (escaped forms left out), for masks
	seen  map[string]bool
	onAdd []func(string)
}

// New returns a set holding vals.
func New(vals ...string) *Set {
	s := &Set{}
	s.Add(vals...)
	return s
}

// Add records values; blanks and values shorter than MinLen are ignored.
// A value that is URL-escaped differently (a token in a query string) is
// recorded in both forms. Each new value is passed to the OnAdd callbacks.
func (s *Set) Add(vals ...string) {
	if s == nil {
		return
	}
	var added []string
	var fns []func(string)
	s.mu.Lock()
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if len(v) < MinLen || s.seen[v] {
			continue
		}
		s.seen[v] = true
		s.vals = append(s.vals, v)
		s.order = append(s.order, v)
		added = append(added, v)
		if q := url.QueryEscape(v); q != v && !s.seen[q] {
			s.seen[q] = true
			s.vals = append(s.vals, q)
		}
	}
	// Longest first, so a secret that contains another is replaced whole.
	sortLongestFirst(s.vals)
	fns = append(fns, s.onAdd...)
	s.mu.Unlock()
	for _, v := range added {
		for _, fn := range fns {
			fn(v)
		}
	}
}

func sortLongestFirst(v []string) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && len(v[j]) > len(v[j-1]); j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// OnAdd registers fn to be called with every value added from now on (a
// CI runner's mask command). It is not called for values already held.
func (s *Set) OnAdd(fn func(string)) {
	s.mu.Lock()
	s.onAdd = append(s.onAdd, fn)
	s.mu.Unlock()
}

// Values returns the values held now, in the order they were added.
func (s *Set) Values() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.order...)
}

// Redact replaces every held value in str with Mask.
func (s *Set) Redact(str string) string {
	if s == nil {
		return str
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.vals {
		if strings.Contains(str, v) {
			str = strings.ReplaceAll(str, v, Mask)
		}
	}
	return str
}

// RedactBytes is Redact for bytes; it returns p itself when nothing matched.
func (s *Set) RedactBytes(p []byte) []byte {
	if s == nil {
		return p
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.vals {
		if bytes.Contains(p, []byte(v)) {
			p = bytes.ReplaceAll(p, []byte(v), []byte(Mask))
		}
	}
	return p
}

// Writer wraps w so that no value held by s at the time of each write
// reaches it. Writes are serialised.
func (s *Set) Writer(w io.Writer) io.Writer { return &writer{w: w, s: s} }

type writer struct {
	mu gosync.Mutex
	w  io.Writer
	s  *Set
}

func (r *writer) Write(p []byte) (int, error) {
	out := r.s.RedactBytes(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the underlying writer (to ask it whether it is a terminal).
func (r *writer) Unwrap() io.Writer { return r.w }
