package github

import (
	"strings"
	"testing"
)

// nextLink never panics; what it returns is a target written in the
// header; and a well-formed rel="next" entry after other entries is found.
func FuzzNextLink(f *testing.F) {
	for _, s := range []string{
		`<https://api.github.com/orgs/acme/repos?page=2>; rel="next", <https://api.github.com/orgs/acme/repos?page=5>; rel="last"`,
		`<https://x/1>; rel="prev", <https://x/3>; rel="next"`,
		`<https://x/1>; REL=next`, `<>; rel=next`, `<https://x/1`, `;;;,,,`, `<a>; rel="next prev"`,
	} {
		f.Add(s, "https://api.github.com/repositories/1/pulls?page=3")
	}
	f.Fuzz(func(t *testing.T, header, target string) {
		got := nextLink(header)
		if got != "" && !strings.Contains(header, "<"+got+">") {
			t.Fatalf("nextLink(%q) = %q, not a target of the header", header, got)
		}
		if strings.ContainsAny(target, "<>,;") || strings.TrimSpace(target) != target {
			return
		}
		h := `<https://x/first>; rel="first", <` + target + `>; rel="next"`
		if got := nextLink(h); got != target {
			t.Fatalf("nextLink(%q) = %q, want %q", h, got, target)
		}
	})
}
