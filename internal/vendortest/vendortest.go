// Package vendortest is the plumbing the vendor fakes (jiratest,
// gitlabtest, pagerdutytest, lineartest) share: loading fixtures, scripting
// faults, counting requests and writing JSON. Each fake keeps only its
// vendor's routes, shapes and auth scheme. It is test-only code: the tide
// binary never links it.
package vendortest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	gosync "sync"
)

// LoadJSON reads a JSON fixture file into a T; a decoding error names the
// file.
func LoadJSON[T any](path string) (T, error) {
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// MatchPath reports whether path is the fault path pattern: the same path,
// or one starting with pattern's prefix when pattern ends in "*".
func MatchPath(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return pattern == path
}

// Spend counts down a fault's uses. A fault's times is 0 to answer every
// matching request, n > 0 to answer the next n; a spent fault holds -1.
// Spend reports whether the fault still answers and, when it does, uses
// one. The caller holds the lock guarding times.
func Spend(times *int) bool {
	if *times < 0 {
		return false
	}
	if *times > 0 {
		if *times--; *times == 0 {
			*times = -1
		}
	}
	return true
}

// Answer serves a fault: it sets header and, when status is not 0, writes
// status and body and reports true. Status 0 leaves the request to the
// fixture, with header added to its answer.
func Answer(w http.ResponseWriter, status int, header map[string]string, body string) bool {
	for k, v := range header {
		w.Header().Set(k, v)
	}
	if status == 0 {
		return false
	}
	w.WriteHeader(status)
	w.Write([]byte(body))
	return true
}

// WriteJSON answers status with v as JSON. The Content-Type is
// application/json unless the caller has set the vendor's own.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// Counter counts requests by key (a path, or "METHOD /path"). The zero
// value is ready; it is safe for concurrent use.
type Counter struct {
	mu gosync.Mutex
	m  map[string]int
}

// Add counts one request to key.
func (c *Counter) Add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[key]++
}

// Count is how many requests key got.
func (c *Counter) Count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

// Total is how many requests were counted, all keys together.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.m {
		n += v
	}
	return n
}
