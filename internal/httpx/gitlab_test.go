package httpx

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A GitLab answer saying the window is nearly spent holds back the next
// request until RateLimit-Reset; an answer with room to spare does not.
func TestGitLabPacing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		remaining string
		wantWaits []time.Duration
	}{
		{"at the reserve: the next request waits for the reset", "10", []time.Duration{100 * s}},
		{"below the reserve", "0", []time.Duration{100 * s}},
		{"room to spare: no wait", "11", nil},
		{"no header: no wait", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			h := map[string]string{"RateLimit-Reset": "{epoch+100}"}
			if tc.remaining != "" {
				h["RateLimit-Remaining"] = tc.remaining
			}
			srv, calls := script(t, clock, step{status: 200, header: h, body: `[]`})
			c := New(Options{API: "gitlab", Clock: clock, RateLimit: GitLab})
			for range 2 {
				if _, err := c.Do(context.Background(), Request{Method: http.MethodGet, URL: srv.URL + "/projects"}); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.wantWaits, clock.Waits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if calls.Load() != 2 {
				t.Errorf("requests = %d, want 2", calls.Load())
			}
		})
	}
}
