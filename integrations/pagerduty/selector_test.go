package pagerduty

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The declared selector fields are the keys parseSelector reads: each one,
// given a value of the wrong type, is refused under its own name, and a
// key declared for another kind only is left alone (the engine warns).
func TestSelectorFieldsAreWhatParseSelectorReads(t *testing.T) {
	t.Parallel()
	fields := selectorFields()
	all := map[string]bool{}
	for _, fs := range fields {
		for _, f := range fs {
			all[f.Name] = true
		}
	}
	bad := []any{[]any{1.5}}
	for _, kind := range append(slices.Clone(kinds), "business_services") {
		declared := map[string]bool{}
		fs, ok := fields[kind]
		if !ok {
			fs = fields["*"]
		}
		for _, f := range fs {
			declared[f.Name] = true
			if f.Usage == "" {
				t.Errorf("kind %q: selector.%s has no usage", kind, f.Name)
			}
		}
		for name := range all {
			_, err := parseSelector(kind, map[string]any{name: bad[0]}, testNow)
			switch {
			case declared[name] && (err == nil || !strings.Contains(err.Error(), "selector."+name)):
				t.Errorf("kind %q declares %s but parseSelector does not read it: err = %v", kind, name, err)
			case !declared[name] && err != nil:
				t.Errorf("kind %q does not declare %s but parseSelector reads it: %v", kind, name, err)
			}
		}
	}
}

func TestSelectorKeys(t *testing.T) {
	t.Parallel()
	s := &Source{}
	for _, tc := range []struct {
		kind string
		want []string
	}{
		{"services", []string{"apiQueryParams", "serviceAnalytics", "analyticsMonthsPeriod", "includeCustomFields"}},
		{"incidents", []string{"apiQueryParams", "incidentAnalytics", "includeCustomFields"}},
		{"escalation_policies", []string{"apiQueryParams", "attachOncallUsers"}},
		{"oncalls", []string{"apiQueryParams"}},
		{"users", []string{"apiQueryParams"}},
		{"business_services", []string{"apiQueryParams"}},
	} {
		if diff := cmp.Diff(tc.want, s.SelectorKeys(tc.kind)); diff != "" {
			t.Errorf("SelectorKeys(%q) (-want +got):\n%s", tc.kind, diff)
		}
		got, ok := Definition().SelectorKeys(tc.kind)
		if diff := cmp.Diff(tc.want, got); !ok || diff != "" {
			t.Errorf("Definition().SelectorKeys(%q) declared %v (-want +got):\n%s", tc.kind, ok, diff)
		}
	}
}
