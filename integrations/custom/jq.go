package custom

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/tide-sync/tide/internal/budget"
)

// compileJQ compiles one JQ expression with env/$ENV empty: a mapping
// edited in Port's UI must not read the runner's environment
// (docs/ocean-compatibility.md#jq-environment-sandbox).
func compileJQ(expr string) (*gojq.Code, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, err
	}
	return gojq.Compile(q, gojq.WithEnvironLoader(func() []string { return nil }))
}

// jqFirst returns the first output of code on v (nil when none). It runs
// under ctx and the default per-evaluation budgets, as the mapping's JQ
// does (docs/architecture.md#hostile-input): a response cannot make a
// configured expression loop or grow without bound.
func jqFirst(ctx context.Context, code *gojq.Code, v any) (any, error) {
	it := code.RunWithContext(budget.Limits{}.Start(ctx), v)
	out, ok := it.Next()
	if !ok {
		return nil, nil
	}
	if err, ok := out.(error); ok {
		return nil, err
	}
	return out, nil
}

// gojqValue turns YAML-decoded numbers into the types gojq takes (int,
// float64); values decoded from JSON pass unchanged. It is not the mapping
// package's number normalisation, which turns every number into float64.
func gojqValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = gojqValue(e)
		}
	case []any:
		for i, e := range t {
			t[i] = gojqValue(e)
		}
	case int64:
		return int(t)
	case uint64:
		return float64(t)
	case float32:
		return float64(t)
	}
	return v
}

// scalarString renders a value as it goes into a header, query or path.
func scalarString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case int:
		return strconv.Itoa(t)
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	default:
		if s, ok := v.(fmt.Stringer); ok {
			return s.String()
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// queryPairs flattens a query-parameter object into ordered pairs; a list
// value repeats the parameter (ids=1&ids=2).
func queryPairs(where string, m map[string]any) ([][2]string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out [][2]string
	for _, k := range keys {
		switch v := m[k].(type) {
		case []any:
			for _, e := range v {
				if _, nested := e.(map[string]any); nested {
					return nil, cfgErr("%s.%s: a list of objects cannot be a query parameter", where, k)
				}
				out = append(out, [2]string{k, scalarString(e)})
			}
		case map[string]any:
			return nil, cfgErr("%s.%s: an object cannot be a query parameter", where, k)
		default:
			out = append(out, [2]string{k, scalarString(v)})
		}
	}
	return out, nil
}

// valuePath is where a value is in a response: a JQ expression when it
// starts with '.', else a key (tried whole first, so "@odata.nextLink"
// works) or a dot path (meta.next_cursor).
type valuePath struct {
	src  string
	code *gojq.Code
	keys []string
}

func parseValuePath(where, src string) (*valuePath, error) {
	src = strings.TrimSpace(src)
	if src == "" {
		return nil, nil
	}
	p := &valuePath{src: src}
	if strings.HasPrefix(src, ".") {
		code, err := compileJQ(src)
		if err != nil {
			return nil, cfgErr("%s %q: %v", where, src, err)
		}
		p.code = code
		return p, nil
	}
	p.keys = strings.Split(src, ".")
	return p, nil
}

// get reads the value; nil when absent.
func (p *valuePath) get(ctx context.Context, body any) (any, error) {
	v, _, err := p.lookup(ctx, body)
	return v, err
}

// lookup reads the value and whether the path exists (a JQ path exists
// when it gives a non-null value).
func (p *valuePath) lookup(ctx context.Context, body any) (any, bool, error) {
	if p.code != nil {
		v, err := jqFirst(ctx, p.code, body)
		return v, v != nil, err
	}
	m, ok := body.(map[string]any)
	if !ok {
		return nil, false, nil
	}
	if v, ok := m[p.src]; ok {
		return v, true, nil
	}
	v, found := keysAt(m, p.keys)
	return v, found, nil
}

// keysAt follows keys through nested objects; found is false when a step
// is not an object or lacks its key (a null value there counts as found).
func keysAt(body any, keys []string) (v any, found bool) {
	cur := body
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// truthy reads a boolean flag leniently: true, "true", 1.
func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		b, _ := strconv.ParseBool(strings.TrimSpace(t))
		return b
	case float64:
		return t != 0
	case int:
		return t != 0
	}
	return false
}
