package custom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	gosync "sync"

	"github.com/itchyny/gojq"
	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/internal/jsonx"
)

// itemsPath finds the item array in a response: the selector's data_path
// (JQ), or, unset, the body when it is an array, else its first array field
// in document order (Ocean Custom's default), reported once in the log.
type itemsPath struct {
	src  string
	code *gojq.Code
	what string
	log  *slog.Logger

	keys []string // data_path as plain keys (.data.items), else nil

	mu  gosync.Mutex
	key string // the detected field, kept for later pages
}

var plainPathRE = regexp.MustCompile(`^(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

// follow walks keys through nested objects, as JQ's .a.b does: the value
// at the end, or null when a null is on the way. ok is false when a step
// is not an object (JQ then explains the error). missing is the first key
// absent from its object, and have that object's keys.
func follow(body any, keys []string) (v any, ok bool, missing, have string) {
	cur := body
	for _, k := range keys {
		if cur == nil {
			return nil, true, "", ""
		}
		m, isObj := cur.(map[string]any)
		if !isObj {
			return nil, false, "", ""
		}
		if cur, isObj = m[k]; !isObj {
			return nil, false, k, strings.Join(sortedKeys(m), ", ")
		}
	}
	return cur, true, "", ""
}

func newItemsPath(what, where, src string, log *slog.Logger) (*itemsPath, error) {
	ip := &itemsPath{src: strings.TrimSpace(src), what: what, log: log}
	if ip.src == "" {
		return ip, nil
	}
	code, err := compileJQ(ip.src)
	if err != nil {
		return nil, cfgErr("%s %q: %v", where, ip.src, err)
	}
	ip.code = code
	if plainPathRE.MatchString(ip.src) {
		ip.keys = strings.Split(ip.src[1:], ".")
	}
	return ip, nil
}

// extract returns the items of one response.
func (ip *itemsPath) extract(ctx context.Context, raw []byte, body any) ([]any, error) {
	if body == nil {
		return nil, nil
	}
	if ip.code != nil {
		if ip.keys != nil {
			v, ok, missing, have := follow(body, ip.keys)
			if missing != "" {
				// A typo would read as "no items" and delete the lot.
				return nil, fmt.Errorf("data_path %q: the response has no %q (it has: %s)", ip.src, missing, have)
			}
			if ok {
				// What the JQ gives, without running it: the page's own
				// array is handed on, not copied.
				switch t := v.(type) {
				case nil:
					return nil, nil
				case []any:
					return t, nil
				case map[string]any:
					return []any{t}, nil
				}
			}
		}
		var out []any
		it := ip.code.RunWithContext(budget.Limits{}.Start(ctx), body)
		for {
			v, ok := it.Next()
			if !ok {
				break
			}
			if err, ok := v.(error); ok {
				return nil, fmt.Errorf("data_path %q: %w", ip.src, err)
			}
			switch t := v.(type) {
			case nil:
			case []any:
				out = append(out, t...)
			case map[string]any:
				// .items[] yields objects one by one.
				out = append(out, t)
			default:
				return nil, fmt.Errorf("data_path %q gave a JSON %s, want an array of objects", ip.src, jsonx.TypeName(v))
			}
		}
		return out, nil
	}
	switch t := body.(type) {
	case []any:
		return t, nil
	case map[string]any:
		ip.mu.Lock()
		key := ip.key
		ip.mu.Unlock()
		if key != "" {
			// A later page (or another parent's page) may hold null there.
			if _, isObj := t[key].(map[string]any); !isObj {
				arr, _ := t[key].([]any)
				return arr, nil
			}
		}
		key, ok := firstArrayKey(raw)
		if !ok {
			return nil, fmt.Errorf("the response is an object with no array field (keys: %s); set the selector's data_path to the items, e.g. '.data' or '[.]' for a single object", strings.Join(sortedKeys(t), ", "))
		}
		ip.mu.Lock()
		if ip.key == "" {
			ip.key = key
			ip.log.Info("data_path not set: taking the items from the response's first array field", "endpoint", ip.what, "data_path", jqKey(key))
		}
		ip.mu.Unlock()
		arr, _ := t[key].([]any)
		return arr, nil
	default:
		return nil, fmt.Errorf("the response is a JSON %s, not an array or object; set the selector's data_path", jsonx.TypeName(body))
	}
}

// jqKey spells a key as a JQ path.
func jqKey(k string) string {
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b, _ := json.Marshal(k)
			return "." + string(b)
		}
	}
	return "." + k
}

// firstArrayKey returns the first top-level key, in document order, whose
// value is an array; a Go map has no order, so it reads the raw bytes.
func firstArrayKey(raw []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", false
		}
		if len(v) > 0 && v[0] == '[' {
			return key, true
		}
	}
	return "", false
}

// linkHeader returns the target of the first Link entry (RFC 8288) whose rel
// includes rel; entries may share one header or come in several.
func linkHeader(values []string, rel string) string {
	for _, h := range values {
		for h != "" {
			h = strings.TrimLeft(h, " \t,")
			if !strings.HasPrefix(h, "<") {
				return ""
			}
			end := strings.IndexByte(h, '>')
			if end < 0 {
				return ""
			}
			target := h[1:end]
			h = h[end+1:]
			// Parameters run to the next comma outside quotes.
			var params string
			inQuote := false
			i := 0
			for ; i < len(h); i++ {
				if h[i] == '"' {
					inQuote = !inQuote
				} else if h[i] == ',' && !inQuote {
					break
				}
			}
			params, h = h[:i], h[i:]
			for _, p := range strings.Split(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
					if strings.EqualFold(r, rel) {
						return target
					}
				}
			}
		}
	}
	return ""
}
