package catalog

import (
	"net/url"
	"testing"
)

// urlCases are url property values of every shape; plain marks those
// plainURL must take (or the quick path would not pay).
var urlCases = []struct {
	s     string
	plain bool
}{
	{"https://git.example.com/acme/svc", true},
	{"http://localhost:8080", true},
	{"http://10.0.0.1:80/a/b.c~d_e-f/", true},
	{"git+ssh://host/x", true},
	{"A.b-c+d://h", true},
	{"https://example.com", true},
	{"https://example.com/", true},
	{"https://example.com/a?b=c", false},
	{"https://example.com/a#frag", false},
	{"https://user:pw@example.com/", false},
	{"https://[::1]:80/", false},
	{"https://example.com:/x", false},
	{"https://exa mple.com/", false},
	{"https://example.com/%41", false},
	{"https://exa%41mple.com/", false},
	{"https:///path", false},
	{"https://", false},
	{"https:/x", false},
	{"1http://x", false},
	{"://x", false},
	{"example.com/path", false},
	{"mailto:a@b.co", false},
	{"", false},
	{"https://ünïcode.example/", false},
	{"https://example.com:99999999999999999999/", true},
	{"https://example.com:8080:90/", false},
	{"https://a:1/b\x7f", false},
}

// TestPlainURLAgreesWithParse holds plainURL to url.Parse: whatever it
// takes, url.Parse accepts with a scheme and a host.
func TestPlainURLAgreesWithParse(t *testing.T) {
	t.Parallel()
	for _, tc := range urlCases {
		if got := plainURL(tc.s); got != tc.plain {
			t.Errorf("plainURL(%q) = %v, want %v", tc.s, got, tc.plain)
		}
		checkPlainURL(t, tc.s)
	}
}

func checkPlainURL(t *testing.T, s string) {
	t.Helper()
	if !plainURL(s) {
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Errorf("plainURL(%q) is true, url.Parse gives %+v, %v", s, u, err)
	}
}

func FuzzPlainURL(f *testing.F) {
	for _, tc := range urlCases {
		f.Add(tc.s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkPlainURL(t, s) })
}
