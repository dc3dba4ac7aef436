package main

import (
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

// The tide binary links no test code: not the Port fake (porttest), not a
// vendor fake, not the testing or httptest packages. The local target
// (--port-url local:PATH) is product code in sync/port/local; the fake
// wraps it, never the other way round. Modelled on Tailscale's
// depaware-style checks: it fails the day an import drags test code in.
func TestBinaryLinksNoTestCode(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps .: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 || !slices.Contains(deps, "github.com/tide-sync/tide/sync/port/local") {
		t.Fatalf("go list -deps . gave %d packages without the local target; the check would prove nothing", len(deps))
	}
	var bad []string
	for _, p := range deps {
		if forbiddenDep(p) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("the tide binary links test code:\n  %s\n(see `go list -deps .`; `go mod why -m` or `go list -f '{{.ImportPath}}: {{.Imports}}' -deps .` shows who imports it)", strings.Join(bad, "\n  "))
	}
}

// forbiddenDep says whether a package is test code: one of tide's packages
// whose name ends in "test" (porttest, githubtest, ...), the testing
// packages, or net/http/httptest. The standard library's own internal
// packages (internal/synctest, internal/testlog) are linked by every Go
// program and are not.
func forbiddenDep(p string) bool {
	switch {
	case strings.HasPrefix(p, "github.com/tide-sync/tide/"):
		return strings.HasSuffix(path.Base(p), "test")
	case p == "testing", strings.HasPrefix(p, "testing/"), p == "net/http/httptest":
		return true
	}
	return false
}

func TestForbiddenDep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pkg  string
		want bool
	}{
		{"github.com/tide-sync/tide/sync/port/porttest", true},
		{"github.com/tide-sync/tide/integrations/github/githubtest", true},
		{"github.com/tide-sync/tide/internal/httpx/httpxtest", true},
		{"github.com/tide-sync/tide/internal/vendortest", true},
		{"net/http/httptest", true},
		{"testing", true},
		{"testing/fstest", true},
		{"github.com/tide-sync/tide/sync/port/local", false},
		{"github.com/tide-sync/tide/sync/port/catalog", false},
		{"internal/synctest", false},
		{"internal/testlog", false},
		{"net/http", false},
	}
	for _, tt := range tests {
		if got := forbiddenDep(tt.pkg); got != tt.want {
			t.Errorf("forbiddenDep(%q) = %v, want %v", tt.pkg, got, tt.want)
		}
	}
}
