package gitlab

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tide-sync/tide/integrations"
)

// Every kind declares its selector fields, each described, and each is a
// key parseRequest reads: a value of the wrong type is refused under its
// own name.
func TestSelectorFieldsAreWhatParseRequestReads(t *testing.T) {
	t.Parallel()
	def := Definition()
	now := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	src := &Source{}
	for _, kind := range kinds {
		fields, ok := def.SelectorFields(kind)
		if !ok {
			t.Errorf("kind %q: no selector fields declared", kind)
			continue
		}
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = f.Name
			if f.Usage == "" {
				t.Errorf("kind %q: selector.%s has no usage", kind, f.Name)
			}
			_, err := parseRequest(integrations.Request{Kind: kind, Selector: map[string]any{f.Name: 1.5}}, now)
			if err == nil || !strings.HasPrefix(err.Error(), "selector."+f.Name) {
				t.Errorf("kind %q: selector.%s: 1.5: err = %v, want one naming the key", kind, f.Name, err)
			}
		}
		if diff := cmp.Diff(src.SelectorKeys(kind), names); diff != "" {
			t.Errorf("kind %q: declared fields differ from SelectorKeys (-SelectorKeys +declared):\n%s", kind, diff)
		}
	}
}
