package github

import (
	"slices"
	"strings"
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

// The selector keys the engine checks a run's mapping against
// (SelectorKeys) and those `tide list` and `tide validate` read
// (Definition.Selectors) are one list; every kind declares its fields, each
// described; and each declared key is one parseRequest reads: a value of
// the wrong type is refused under the key's own name.
func TestSelectorKeysOneTable(t *testing.T) {
	t.Parallel()
	def := Definition()
	src := &Source{}
	now := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, kind := range kinds {
		fields, ok := def.SelectorFields(kind)
		if !ok {
			t.Errorf("kind %q: no selector fields declared", kind)
			continue
		}
		declared, _ := def.SelectorKeys(kind)
		if diff := cmp.Diff(declared, src.SelectorKeys(kind)); diff != "" {
			t.Errorf("kind %q: SelectorKeys differs from Definition.Selectors (-declared +SelectorKeys):\n%s", kind, diff)
		}
		for _, f := range fields {
			if f.Usage == "" {
				t.Errorf("kind %q: selector.%s has no usage", kind, f.Name)
			}
			// What the kind requires, so parsing reaches the key.
			sel := map[string]any{"files": []any{map[string]any{"path": "port.yml"}}, "folders": []any{map[string]any{"path": "services/*"}}}
			sel[f.Name] = 1.5
			_, err := parseRequest(integrations.Request{Kind: kind, Selector: sel}, now)
			if err == nil || !strings.HasPrefix(err.Error(), "selector."+f.Name) {
				t.Errorf("kind %q: selector.%s: 1.5: err = %v, want one naming the key", kind, f.Name, err)
			}
		}
	}
	// The keys the two lists disagreed on.
	for _, tc := range []struct{ kind, key string }{{"pull-request", "state"}, {"dependabot-alert", "state"}, {"branch", "protection_rules"}} {
		keys, _ := def.SelectorKeys(tc.kind)
		if !slices.Contains(keys, tc.key) {
			t.Errorf("kind %q: selector.%s is not declared", tc.kind, tc.key)
		}
	}
}
