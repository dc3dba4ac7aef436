package github

import (
	"strings"
	"testing"

	"github.com/tide-sync/tide/integrations/github/githubtest"
)

// An answer larger than --max-response-size fails the block at once (no
// retry: the same answer would come back), naming the limit. GitHub's
// answers used to be cut at 64MiB without a word.
func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		limit   int64
		wantErr string
	}{
		{name: "over the limit", limit: 512, wantErr: "the answer is larger than the limit (512B, --max-response-size)"},
		{name: "the default", limit: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 100, githubtest.Options{Token: testToken}, Config{Token: testToken, Organization: "acme-corp", MaxResponse: tt.limit})
			items, err := resync(t, e.src, "repository", nil, nil)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.wantErr == "" && err != nil || !strings.Contains(got, tt.wantErr) {
				t.Fatalf("Resync = %v, want an error containing %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && len(items) == 0 {
				t.Error("no repositories within the default limit")
			}
			if w := e.waits.all(); tt.wantErr != "" && len(w) > 0 {
				t.Errorf("waited %v before failing: a too-large answer was retried", w)
			}
			assertNoSecret(t, got+e.logs.String(), testToken)
		})
	}
}
