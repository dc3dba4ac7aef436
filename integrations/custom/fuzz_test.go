package custom

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// linkHeader never panics; what it returns is a target written in the
// header; and an entry added with the wanted rel after any garbage-free
// prefix is found.
func FuzzLinkHeader(f *testing.F) {
	for _, s := range []string{
		`<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"`,
		`<https://a/1>; title="a, b"; rel="prev next"`,
		`<https://a/1>; REL=Next`,
		`<https://a/1`, `<>; rel=next`, `,,,<u>;;rel="next`, `garbage`, `<https://a/q?x=a,b>; rel="next"`,
	} {
		f.Add(s, "https://api.example.com/items?cursor=abc")
	}
	f.Fuzz(func(t *testing.T, header, target string) {
		got := linkHeader([]string{header}, "next")
		if got != "" && !strings.Contains(header, "<"+got+">") {
			t.Fatalf("linkHeader(%q) = %q, not a target of the header", header, got)
		}
		if strings.ContainsAny(target, "<>\"") {
			return
		}
		// A second header value holding a well-formed next entry is
		// found unless an earlier entry already named one.
		both := linkHeader([]string{`<` + target + `>; rel="next"`}, "next")
		if both != target {
			t.Fatalf("linkHeader(<%s>; rel=\"next\") = %q", target, both)
		}
	})
}

// The cursor and next-link paths read a decoded response without
// panicking; a guessed cursor is one of the usual places and reads the
// value the body holds there; a cursor as text reads back as the same
// number when it is one.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{
		`{"next_cursor":"abc","data":[]}`,
		`{"meta":{"next_cursor":123456789012345678901}}`,
		`{"response_metadata":{"next_cursor":""}}`,
		`{"pageInfo":{"endCursor":null,"hasNextPage":false}}`,
		`{"meta":"x","pagination":{"nextCursor":1.5e300}}`,
		`[1,2]`, `null`,
	} {
		f.Add([]byte(s), ".meta.next")
	}
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		body, err := decodeBody(data, nil, nil)
		if err != nil {
			return
		}
		if vp := guessCursor(body); vp != nil {
			v, found, err := vp.lookup(context.Background(), body)
			if err != nil || !found && v != nil {
				t.Fatalf("guessed cursor %q on %s: %v, %v, %v", vp.src, data, v, found, err)
			}
			_ = scalarString(v)
		}
		if vp, err := parseValuePath("cursor_path", path); err == nil && vp != nil {
			if v, err := vp.get(context.Background(), body); err == nil {
				_ = scalarString(v)
			}
		}
		var num float64
		if json.Unmarshal(data, &num) == nil && !math.IsInf(num, 0) {
			s := scalarString(num)
			if back, err := strconv.ParseFloat(s, 64); err != nil || back != num {
				t.Fatalf("scalarString(%v) = %q reads back as %v (%v)", num, s, back, err)
			}
		}
	})
}
