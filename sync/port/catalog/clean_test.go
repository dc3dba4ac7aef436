package catalog

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// entityIDPattern is Port's entity identifier pattern as a regexp (the
// look-ahead excluding . and .. checked apart): the reference the
// hand-written ValidEntityID is held to.
var entityIDPattern = regexp.MustCompile(`^[\p{L}0-9@_.+:\\/=-]+$`)

func validEntityIDByRegexp(id string) bool {
	return id != "." && id != ".." && utf8.RuneCountInString(id) <= maxEntityID && entityIDPattern.MatchString(id)
}

// TestValidEntityIDMatchesPattern holds ValidEntityID to the regexp over
// every rune, alone and between ASCII characters, and over invalid UTF-8,
// dots and lengths.
func TestValidEntityIDMatchesPattern(t *testing.T) {
	t.Parallel()
	check := func(id string) {
		t.Helper()
		if got, want := ValidEntityID(id), validEntityIDByRegexp(id); got != want {
			t.Errorf("ValidEntityID(%q) = %v, the pattern says %v", id, got, want)
		}
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		check(string(r))
		if r < 0x3000 {
			check("a" + string(r) + "1")
		}
	}
	for _, id := range []string{"", ".", "..", "...", ".a", "a.", "\xff", "a\xffb", "\xc3", "é\xa9", "\xed\xa0\x80",
		strings.Repeat("a", 1000), strings.Repeat("a", 1001), strings.Repeat("é", 1000), strings.Repeat("é", 1001),
		strings.Repeat("日", 999) + "\xff"} {
		check(id)
	}
}

// TestCleanAgreesWithViolations draws entities mixing valid and invalid
// values for every rule and checks that the quick verdict validate takes
// first (clean) says clean exactly when the full check finds nothing, for
// a whole entity and a merge, with and without the relation targets.
func TestCleanAgreesWithViolations(t *testing.T) {
	t.Parallel()
	full := loadSet(t)
	partial := Set{"service": full["service"], "team": full["team"]} // no "system"
	rng := rand.New(rand.NewPCG(15, 5))
	// mostly picks the first (valid) value five times in six: most
	// entities must come out clean.
	mostly := func(vs []any) any {
		if rng.IntN(6) == 0 {
			return vs[rng.IntN(len(vs))]
		}
		return vs[0]
	}
	ids := []any{"payments-api", "payments-api", "a1-_.+:\\/=@ß", "", ".", "..", "a b", "日本", "a\xffb", strings.Repeat("x", 1001),
		12.0, nil, map[string]any{"combinator": "and", "rules": []any{}}}
	props := map[string][]any{
		"language":   {"go", 3.0, nil, true},
		"replicas":   {3.0, 0.0, -1.5, int64(2), json.Number("4"), big.NewInt(7), "3", nil},
		"healthy":    {true, false, "true", nil},
		"labels":     {map[string]any{"a": "b"}, map[string]any{}, []any{}, "x", nil},
		"tags":       {[]any{"a", "b"}, []any{"a", "c"}, []any{}, []any{1.0}, []string{"zz"}, "a", nil},
		"tier":       {"Mission Critical", "Internal", "internal", 1.0, nil},
		"level":      {1.0, 2.0, 3.0, 4.0, int64(2), json.Number("3.0"), big.NewInt(3), json.Number("5"), "1", nil},
		"onCall":     {"a@b.co", "not an email", "a@b", 5.0, nil},
		"intlEmail":  {"ü@例え.jp", "a b@c", "@c", "a@b@c", nil},
		"watchers":   {[]any{"a@b.co"}, []any{"a@b.co", "x"}, []any{3.0}, nil},
		"url":        {"https://example.com/x", "example.com", "://", "", nil},
		"deployedAt": {"2024-06-09T09:57:52.931Z", "2024-06-09T09:57:52+0000", "2024-13-09T09:57:52Z", "yesterday", nil},
		"ttl":        {"2024-06-09T09:57:52Z", "5m", nil},
		"ip":         {"10.0.0.1", "::1", "300.1.1.1", nil},
		"ip6":        {"::1", "10.0.0.1", "fe80::1%eth0", nil},
		"readme":     {"# hi", 1.0, nil},
		"owner":      {"alice", "", 2.0, nil},
		"unknown":    {"x", nil},
	}
	rels := map[string][]any{
		"team":      {"platform", "", "a b", []any{"platform"}, map[string]any{"combinator": "and"}, 3.0, nil},
		"dependsOn": {[]any{"x", "y"}, []any{"x", 3.0}, []any{"..", "ok"}, "single", nil},
		"system":    {"core", nil},
		"nope":      {"x"},
	}
	teams := []any{"platform", nil, []any{"a", "b"}, []any{"a", 1.0}, []any{}, map[string]any{"rules": []any{}}, 5.0, []string{"a"}}
	strs := []any{"x", nil, 3.0, []any{"x"}}

	var cleanSeen, brokenSeen int
	for n := range 20000 {
		e := Entity{Identifier: mostly(ids), Title: mostly(strs), Icon: mostly(strs), Team: mostly(teams)}
		if rng.IntN(8) > 0 {
			e.Properties = map[string]any{}
			for k, vs := range props {
				if k == "owner" || rng.IntN(3) == 0 {
					e.Properties[k] = mostly(vs)
				}
			}
		}
		if rng.IntN(8) > 0 {
			e.Relations = map[string]any{}
			for k, vs := range rels {
				if k == "team" || rng.IntN(2) == 0 {
					if v := mostly(vs); k != "nope" || rng.IntN(6) == 0 {
						e.Relations[k] = v
					}
				}
			}
		}
		bps := Blueprints(full)
		if n%5 == 0 {
			bps = partial
		}
		for _, patch := range []bool{false, true} {
			vs := full["service"].violations(e, bps, patch)
			if got, want := full["service"].clean(e, bps, patch), len(vs) == 0; got != want {
				t.Fatalf("entity %d (patch %v): clean says %v, violations %v\n%#v", n, patch, got, vs, e)
			}
			if len(vs) == 0 {
				cleanSeen++
			} else {
				brokenSeen++
			}
		}
	}
	t.Logf("clean %d, broken %d", cleanSeen, brokenSeen)
	// The draw must reach both verdicts often, or it proves little.
	if cleanSeen < 1000 || brokenSeen < 1000 {
		t.Fatalf("clean %d, broken %d: the draw does not exercise both verdicts", cleanSeen, brokenSeen)
	}
}
