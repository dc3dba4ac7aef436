package pagerduty

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
)

// param is one apiQueryParams field a kind accepts.
type param struct {
	list bool     // sent as name[]=v for each value
	enum []string // the values PagerDuty accepts; nil: any
	// months: a whole number of months (30 days each) before (-1) or
	// after (+1) now, sent as an RFC 3339 time (Ocean's schedules and
	// on-calls windows).
	months int
}

var (
	listOf = func(enum ...string) param { return param{list: true, enum: enum} }
	scalar = param{}
)

// queryParams lists each kind's apiQueryParams, as Ocean's PagerDuty
// integration declares them.
var queryParams = map[string]map[string]param{
	"services": {
		"include":   listOf("escalation_policies", "teams", "integrations", "auto_pause_notifications_parameters"),
		"sort_by":   {enum: []string{"name", "name:asc", "name:desc"}},
		"team_ids":  listOf(),
		"time_zone": scalar,
		"query":     scalar,
	},
	"incidents": {
		"date_range":   {enum: []string{"all"}},
		"incident_key": scalar,
		"include": listOf("acknowledgers", "agents", "assignees", "conference_bridge", "escalation_policies",
			"first_trigger_log_entries", "priorities", "services", "teams", "users"),
		"service_ids": listOf(),
		"since":       scalar,
		"until":       scalar,
		"sort_by":     scalar,
		"statuses":    listOf("triggered", "acknowledged", "resolved"),
		"team_ids":    listOf(),
		"time_zone":   scalar,
		"urgencies":   listOf("high", "low"),
		"user_ids":    listOf(),
	},
	"schedules": {
		"include":   listOf("schedule_layers", "final_schedule", "overrides_subschedule"),
		"since":     {months: -1},
		"until":     {months: +1},
		"time_zone": scalar,
		"query":     scalar,
	},
	"oncalls": {
		"include":               listOf("users", "escalation_policies", "schedules"),
		"since":                 {months: -1},
		"until":                 {months: +1},
		"time_zone":             scalar,
		"earliest":              scalar,
		"escalation_policy_ids": listOf(),
		"schedule_ids":          listOf(),
		"user_ids":              listOf(),
	},
	"escalation_policies": {
		"include":  listOf("services", "teams", "targets"),
		"team_ids": listOf(),
		"user_ids": listOf(),
		"query":    scalar,
		"sort_by":  {enum: []string{"name", "name:asc", "name:desc"}},
	},
}

// selectorFields lists the selector keys each kind reads besides query
// (Ocean's PagerDuty selector models), with their defaults: parseSelector
// reads exactly these, SelectorKeys and the Definition derive from it. "*"
// is any other collection (users, teams, GET /<kind>).
func selectorFields() map[string][]integrations.SelectorField {
	params := func(kind, defaults string) integrations.SelectorField {
		usage := "query parameters of the listing (object): " + strings.Join(sortedKeys(queryParams[kind]), ", ")
		return integrations.SelectorField{Name: "apiQueryParams", Default: defaults, Usage: usage}
	}
	customFields := integrations.SelectorField{Name: "includeCustomFields", Default: "false", Usage: "must stay false: tide does not fetch custom field values"}
	return map[string][]integrations.SelectorField{
		"services": {
			params("services", ""),
			{Name: "serviceAnalytics", Default: "true", Usage: "add each service's analytics (__analytics)"},
			{Name: "analyticsMonthsPeriod", Default: strconv.Itoa(defaultAnalyticsMonths), Usage: "months of analytics, 1 to 12"},
			customFields,
		},
		"incidents": {
			params("incidents", ""),
			{Name: "incidentAnalytics", Default: "false", Usage: "add each incident's analytics (__analytics)"},
			customFields,
		},
		"schedules": {params("schedules", "")},
		"oncalls":   {params("oncalls", fmt.Sprintf("{include: [users], until: %d}", defaultOncallMonths))},
		"escalation_policies": {
			params("escalation_policies", ""),
			{Name: "attachOncallUsers", Default: "true", Usage: "add each policy's on-call users (__oncall_users)"},
		},
		"*": {{Name: "apiQueryParams", Usage: "none accepted: any other kind is listed as GET /<kind> without query parameters"}},
	}
}

// selector is a resource block's selector, checked and turned into the
// listing's query.
type selector struct {
	query             url.Values
	serviceAnalytics  bool
	analyticsMonths   int
	incidentAnalytics bool
	attachOncallUsers bool
}

// Ocean's selector defaults.
const (
	defaultAnalyticsMonths = 3
	defaultOncallMonths    = 3
	daysPerMonth           = 30
)

func parseSelector(kind string, sel map[string]any, now time.Time) (selector, error) {
	if kind != "services" && kind != "incidents" && kind != "schedules" && kind != "oncalls" &&
		kind != "escalation_policies" && !kindPath.MatchString(kind) {
		return selector{}, fmt.Errorf("kind %q: not a PagerDuty collection (want a path such as users, teams or business_services)", kind)
	}
	s := selector{query: url.Values{}, serviceAnalytics: true, analyticsMonths: defaultAnalyticsMonths, attachOncallUsers: true}
	var err error
	if kind == "oncalls" {
		// Ocean's on-call window: from now (PagerDuty's default) to three
		// months ahead, with the users' details.
		s.query["include[]"] = []string{"users"}
		s.query.Set("until", monthsFrom(now, defaultOncallMonths))
	}
	for key, v := range sel {
		where := fmt.Sprintf("kind %q: selector.%s", kind, key)
		switch {
		case key == "apiQueryParams":
			if err := s.apiQueryParams(kind, v, now); err != nil {
				return s, err
			}
		case key == "serviceAnalytics" && kind == "services":
			s.serviceAnalytics, err = boolean(where, v)
		case key == "analyticsMonthsPeriod" && kind == "services":
			s.analyticsMonths, err = wholeNumber(where, v, 1, 12)
		case key == "incidentAnalytics" && kind == "incidents":
			s.incidentAnalytics, err = boolean(where, v)
		case key == "attachOncallUsers" && kind == "escalation_policies":
			s.attachOncallUsers, err = boolean(where, v)
		case key == "includeCustomFields" && (kind == "services" || kind == "incidents"):
			var on bool
			if on, err = boolean(where, v); err == nil && on {
				err = fmt.Errorf("%s: custom field values are not fetched by tide; remove it or set it to false", where)
			}
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

func (s *selector) apiQueryParams(kind string, v any, now time.Time) error {
	where := fmt.Sprintf("kind %q: selector.apiQueryParams", kind)
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: want a map of query parameters, got %s", where, jsonx.TypeName(v))
	}
	known := queryParams[kind]
	for key, val := range m {
		name := strings.TrimSuffix(key, "[]")
		p, ok := known[name]
		if !ok {
			if known == nil {
				return fmt.Errorf("%s: kind %q is listed as GET /%s and takes no query parameters", where, kind, kind)
			}
			return fmt.Errorf("%s.%s: not a query parameter of %s (accepted: %s)", where, key, kind, strings.Join(sortedKeys(known), ", "))
		}
		at := where + "." + key
		switch {
		case p.list:
			vals, err := stringList(at, val)
			if err != nil {
				return err
			}
			for i, x := range vals {
				if p.enum != nil && !slices.Contains(p.enum, x) {
					return fmt.Errorf("%s[%d]: %q is not one of %s", at, i, x, strings.Join(p.enum, ", "))
				}
			}
			// PagerDuty reads arrays in the name[]= form.
			s.query[name+"[]"] = vals
		case p.months != 0:
			n, err := wholeNumber(at, val, 0, 120)
			if err != nil {
				return err
			}
			if n == 0 {
				// Ocean drops a zero window: PagerDuty's default (now) applies.
				s.query.Del(name)
				continue
			}
			s.query.Set(name, monthsFrom(now, p.months*n))
		default:
			x, err := scalarString(at, val)
			if err != nil {
				return err
			}
			if p.enum != nil && !slices.Contains(p.enum, x) {
				return fmt.Errorf("%s: %q is not one of %s", at, x, strings.Join(p.enum, ", "))
			}
			s.query.Set(name, x)
		}
	}
	return nil
}

func monthsFrom(now time.Time, months int) string {
	return now.UTC().Add(time.Duration(months*daysPerMonth) * 24 * time.Hour).Format(time.RFC3339)
}

func sortedKeys(m map[string]param) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stringList(where string, v any) ([]string, error) {
	switch t := v.(type) {
	case []any:
		out := make([]string, 0, len(t))
		for i, x := range t {
			s, err := scalarString(fmt.Sprintf("%s[%d]", where, i), x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case string:
		return []string{t}, nil
	}
	return nil, fmt.Errorf("%s: want a list of strings, got %s", where, jsonx.TypeName(v))
}

func scalarString(where string, v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(t), nil
	}
	return "", fmt.Errorf("%s: want a string, got %s", where, jsonx.TypeName(v))
}

// boolean reads a flag written as a boolean or as Ocean's 'true'/'false'.
func boolean(where string, v any) (bool, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("%s: want true or false, got %v", where, v)
}

func wholeNumber(where string, v any, lo, hi int) (int, error) {
	var f float64
	switch t := v.(type) {
	case float64:
		f = t
	case int:
		f = float64(t)
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil {
			return 0, fmt.Errorf("%s: want a whole number from %d to %d, got %q", where, lo, hi, t)
		}
		f = float64(n)
	default:
		return 0, fmt.Errorf("%s: want a whole number from %d to %d, got %s", where, lo, hi, jsonx.TypeName(v))
	}
	if f != float64(int(f)) || int(f) < lo || int(f) > hi {
		return 0, fmt.Errorf("%s: want a whole number from %d to %d, got %v", where, lo, hi, v)
	}
	return int(f), nil
}
