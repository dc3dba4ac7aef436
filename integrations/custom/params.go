package custom

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tide-sync/tide/integrations"
)

// ocean names the env var Ocean Custom reads for one of its config keys
// (pydantic's upper-snake spelling of the camelCase name), so an Ocean
// installation's environment works unchanged.
func ocean(name string) []string { return []string{"OCEAN__INTEGRATION__CONFIG__" + name} }

// params declares the connection parameters. Names follow Ocean Custom's
// spec (.port/spec.yaml: baseUrl, authType, apiToken, ...) with the
// custom- prefix every tide flag of this integration carries.
func params() []integrations.Param {
	return []integrations.Param{
		{Name: "custom-base-url", Usage: "base URL of the API, e.g. https://api.example.com/v2; a resource's kind (endpoint path) is appended to it", Env: ocean("BASE_URL")},
		{Name: "custom-auth-type", Usage: "authentication: none, bearer_token, basic, api_key or custom (default: bearer_token when --custom-api-token is set, else none)", Env: ocean("AUTH_TYPE")},
		{Name: "custom-api-token", Usage: "bearer token (auth type bearer_token)", Secret: true, Env: ocean("API_TOKEN")},
		{Name: "custom-username", Usage: "user name (auth type basic)", Env: ocean("USERNAME")},
		{Name: "custom-password", Usage: "password (auth type basic)", Secret: true, Env: ocean("PASSWORD")},
		{Name: "custom-api-key", Usage: "API key (auth type api_key), sent in --custom-api-key-header", Secret: true, Env: ocean("API_KEY")},
		{Name: "custom-api-key-header", Usage: "header that carries the API key", Default: "X-API-Key", Env: ocean("API_KEY_HEADER")},
		{Name: "custom-auth-request", Usage: `auth type custom: JSON token request {"endpoint", "method", "headers", "body" or "bodyForm", "queryParams", "reauthenticateIntervalSeconds"}`, Secret: true},
		{Name: "custom-auth-request-template", Usage: `auth type custom: JSON {"headers", "queryParams", "body"} added to every request; {{.jq}} is read from the token response, e.g. "Bearer {{.access_token}}"`},
		{Name: "custom-header", Usage: "extra header sent with every request, 'Name: value'", Repeatable: true, Secret: true},
		{Name: "custom-timeout", Usage: "timeout of one HTTP request, e.g. 30s (a bare number is seconds)", Default: "30s", Env: ocean("TIMEOUT")},
		{Name: "custom-verify-ssl", Usage: "verify the API's TLS certificate; false logs a warning on every run", Default: "true", Env: ocean("VERIFY_SSL")},
		{Name: "custom-max-concurrent-requests", Usage: "HTTP requests to the API in flight at once", Default: "10", Env: ocean("MAX_CONCURRENT_REQUESTS")},
		{Name: "custom-rate-limit", Usage: "requests per second to the API at most (e.g. 5 or 0.5); 0 means no limit", Default: "0"},
		{Name: "custom-max-retries", Usage: "retries of a request that got 408, 429, 5xx or a network error", Default: "5"},
		{Name: "custom-pagination-type", Usage: "default pagination: none, offset, page, cursor, next_link or header_link (a resource's selector.pagination overrides)", Default: "none", Env: ocean("PAGINATION_TYPE")},
		{Name: "custom-page-size", Usage: "items asked for per page (offset, page, cursor); 0 sends no size parameter", Default: "100", Env: ocean("PAGE_SIZE")},
		{Name: "custom-pagination-param", Usage: "query parameter of the offset, page number or cursor (default offset, page or cursor)", Env: ocean("PAGINATION_PARAM")},
		{Name: "custom-size-param", Usage: "query parameter of the page size (default limit, size or limit)", Env: ocean("SIZE_PARAM")},
		{Name: "custom-start-page", Usage: "first page number (page pagination)", Default: "1", Env: ocean("START_PAGE")},
		{Name: "custom-cursor-path", Usage: "where the next cursor is in the response: dot path (meta.after_cursor) or JQ (.meta.after_cursor); unset: the usual places (next_cursor, meta.next_cursor, response_metadata.next_cursor, ...)", Env: ocean("CURSOR_PATH")},
		{Name: "custom-has-more-path", Usage: "where a 'more pages' boolean is in the response; false ends pagination", Env: ocean("HAS_MORE_PATH")},
		{Name: "custom-last-page-path", Usage: "where a 'last page' boolean is in the response; true ends pagination", Env: ocean("LAST_PAGE_PATH")},
		{Name: "custom-next-link-path", Usage: "where the next page's URL is in the response (next_link pagination)", Default: "@odata.nextLink", Env: ocean("NEXT_LINK_PATH")},
		{Name: "custom-header-link-rel", Usage: "rel of the Link header entry naming the next page (header_link pagination)", Default: "next", Env: ocean("HEADER_LINK_REL")},
	}
}

// settings is the parsed connection configuration.
type settings struct {
	maxBody     int64 // --max-response-size
	base        *url.URL
	auth        authConfig
	headers     [][2]string // static extra headers, in order given
	timeout     time.Duration
	verifyTLS   bool
	maxInFlight int
	rateLimit   float64
	maxRetries  int
	pagination  pagination
}

func cfgErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", integrations.ErrConfig, fmt.Sprintf(format, args...))
}

// parseSettings validates every parameter; each error names the flag.
func parseSettings(v integrations.Values) (*settings, error) {
	s := &settings{}
	raw := strings.TrimSpace(v.Get("custom-base-url"))
	if raw == "" {
		return nil, cfgErr("--custom-base-url (TIDE_CUSTOM_BASE_URL or OCEAN__INTEGRATION__CONFIG__BASE_URL) is required: the API's base URL, e.g. https://api.example.com")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cfgErr("--custom-base-url %q: want an http(s) URL like https://api.example.com", raw)
	}
	if u.User != nil {
		return nil, cfgErr("--custom-base-url: put credentials in --custom-username/--custom-password, not in the URL")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	u.Fragment = ""
	s.base = u

	if s.auth, err = parseAuth(v); err != nil {
		return nil, err
	}
	for i, h := range v.List("custom-header") {
		name, val, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
			// The text may be a secret: quote none of it.
			return nil, cfgErr("--custom-header (value %d of %d): want 'Name: value', e.g. 'X-Tenant: acme'", i+1, len(v.List("custom-header")))
		}
		s.headers = append(s.headers, [2]string{name, strings.TrimSpace(val)})
	}
	if s.timeout, err = parseTimeout(v.Get("custom-timeout")); err != nil {
		return nil, err
	}
	if s.verifyTLS, err = parseBool("custom-verify-ssl", v.Get("custom-verify-ssl"), true); err != nil {
		return nil, err
	}
	if s.maxInFlight, err = parseInt("custom-max-concurrent-requests", v.Get("custom-max-concurrent-requests"), 10, 1); err != nil {
		return nil, err
	}
	if s.maxRetries, err = parseInt("custom-max-retries", v.Get("custom-max-retries"), 5, 0); err != nil {
		return nil, err
	}
	if r := strings.TrimSpace(v.Get("custom-rate-limit")); r != "" {
		f, err := strconv.ParseFloat(r, 64)
		if err != nil || f < 0 || f != f {
			return nil, cfgErr("--custom-rate-limit %q: want requests per second, e.g. 10 or 0.5 (0: no limit)", r)
		}
		s.rateLimit = f
	}
	if s.pagination, err = globalPagination(v); err != nil {
		return nil, err
	}
	return s, nil
}

// parseTimeout reads a Go duration or, as Ocean's timeout is, seconds.
func parseTimeout(raw string) (time.Duration, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 30 * time.Second, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		f, ferr := strconv.ParseFloat(raw, 64)
		if ferr != nil {
			return 0, cfgErr("--custom-timeout %q: want a duration like 30s or 2m, or seconds", raw)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d <= 0 {
		return 0, cfgErr("--custom-timeout %q: must be positive", raw)
	}
	return d, nil
}

func parseBool(flag, raw string, def bool) (bool, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, cfgErr("--%s %q: want true or false", flag, raw)
	}
	return b, nil
}

func parseInt(flag, raw string, def, lo int) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo {
		return 0, cfgErr("--%s %q: want a whole number of at least %d", flag, raw, lo)
	}
	return n, nil
}

// decodeJSONParam reads a JSON object parameter. The error never quotes the
// value: it may hold client secrets.
func decodeJSONParam(flag, raw string, into any) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		msg := err.Error()
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			msg = "invalid JSON: it ends early (an unclosed { or \")"
		} else if se, ok := err.(*json.SyntaxError); ok {
			msg = fmt.Sprintf("invalid JSON at byte %d", se.Offset)
		} else if te, ok := err.(*json.UnmarshalTypeError); ok {
			msg = fmt.Sprintf("field %q: want %s, got a JSON %s", te.Field, te.Type, te.Value)
		}
		return cfgErr("--%s: %s", flag, msg)
	}
	return nil
}
