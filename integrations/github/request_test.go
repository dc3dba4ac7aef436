package github

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// The state filters read Ocean's current spelling (states) and its older
// one (state), which Port's GitHub docs still show for dependabot alerts;
// an older pull-request `state: all` means open and closed.
func TestStateSpellings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind     string
		selector map[string]any
		want     []string
		wantErr  string
	}{
		{"dependabot-alert", nil, []string{"open"}, ""},
		{"dependabot-alert", map[string]any{"state": "open"}, []string{"open"}, ""},
		{"dependabot-alert", map[string]any{"state": []any{"fixed", "dismissed"}}, []string{"fixed", "dismissed"}, ""},
		{"dependabot-alert", map[string]any{"states": []any{"fixed"}}, []string{"fixed"}, ""},
		{"dependabot-alert", map[string]any{"state": "open", "states": []any{"open"}}, nil, "selector: state and states are the same setting (state is Ocean's older spelling); keep states"},
		{"dependabot-alert", map[string]any{"state": "shut"}, nil, `selector.state[0]: "shut" is not one of auto_dismissed, dismissed, fixed, open`},
		{"pull-request", map[string]any{"state": "all"}, []string{"open", "closed"}, ""},
		{"pull-request", map[string]any{"state": "closed"}, []string{"closed"}, ""},
		{"pull-request", map[string]any{"states": []any{"open", "closed"}}, []string{"open", "closed"}, ""},
	}
	for _, tt := range tests {
		r, err := parseRequest(integrations.Request{Kind: tt.kind, Selector: tt.selector}, time.Now())
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s %v: error %v, want %q", tt.kind, tt.selector, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %v: %v", tt.kind, tt.selector, err)
			continue
		}
		got := r.alertStates
		if tt.kind == "pull-request" {
			got = r.prStates
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s %v (-want +got):\n%s", tt.kind, tt.selector, diff)
		}
	}
}
