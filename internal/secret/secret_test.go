package secret

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSet(t *testing.T) {
	t.Parallel()
	s := New("configured-secret", "short", "")
	var masked []string
	s.OnAdd(func(v string) { masked = append(masked, v) })
	var out bytes.Buffer
	w := s.Writer(&out)
	s.Add("run+time/token", "configured-secret")
	if diff := cmp.Diff([]string{"run+time/token"}, masked); diff != "" {
		t.Errorf("OnAdd (-want +got):\n%s", diff)
	}
	w.Write([]byte("a configured-secret, a run+time/token, its escaped run%2Btime%2Ftoken, and short\n"))
	want := "a [REDACTED], a [REDACTED], its escaped [REDACTED], and short\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("writer (-want +got):\n%s", diff)
	}
	if got := s.Redact("x run+time/token y"); got != "x [REDACTED] y" {
		t.Errorf("Redact = %q", got)
	}
	var nilSet *Set
	nilSet.Add("abcdefgh")
	if got := nilSet.Redact("abcdefgh"); got != "abcdefgh" {
		t.Errorf("nil set redacted %q", got)
	}
}
