package vendortest

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// recorder is a testing.TB that records failures; Fatalf ends the
// goroutine as testing's does.
type recorder struct {
	testing.TB
	got []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.got = append(r.got, "error: "+fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.got = append(r.got, "fatal: "+fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func TestWantCredentialsError(t *testing.T) {
	t.Parallel()
	refusal := integrations.CredentialsError("--x-token", errors.New("401 Unauthorized"))
	for _, tc := range []struct {
		name  string
		err   error
		token string
		want  []string
		fails []string
	}{
		{name: "passes", err: refusal, token: "s3cret", want: []string{"401", "--x-token"}},
		{name: "not a credentials error", err: errors.New("401"), token: "s3cret",
			fails: []string{"fatal: err = 401, want a credentials error"}},
		{name: "lacks a word", err: refusal, token: "s3cret", want: []string{"403"},
			fails: []string{`error: error "` + refusal.Error() + `" lacks "403"`}},
		{name: "shows the token", err: refusal, token: "Unauthorized",
			fails: []string{"error: the error shows the token: " + refusal.Error()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				WantCredentialsError(r, tc.err, tc.token, tc.want...)
			}()
			<-done
			if diff := cmp.Diff(tc.fails, r.got); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
}
