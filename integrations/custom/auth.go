package custom

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/itchyny/gojq"

	"github.com/tide-sync/tide/integrations"
)

// authConfig is the parsed authentication parameters.
// check names the flags (and Ocean's env vars) to check when the API
// refuses the credentials of this auth type.
func (a authConfig) check() string {
	switch a.typ {
	case "bearer_token":
		return "--custom-api-token / OCEAN__INTEGRATION__CONFIG__API_TOKEN"
	case "basic":
		return "--custom-username and --custom-password / OCEAN__INTEGRATION__CONFIG__USERNAME and OCEAN__INTEGRATION__CONFIG__PASSWORD"
	case "api_key":
		return "--custom-api-key and --custom-api-key-header / OCEAN__INTEGRATION__CONFIG__API_KEY"
	case "custom":
		return "--custom-auth-request and --custom-auth-request-template"
	}
	return "--custom-auth-type / OCEAN__INTEGRATION__CONFIG__AUTH_TYPE (none is set, and the API wants credentials)"
}

type authConfig struct {
	typ       string
	token     string // bearer_token
	user      string // basic
	pass      string
	keyHeader string // api_key
	key       string
	custom    *customAuth
}

// customAuthRequest is Ocean Custom's customAuthRequest object
// (http_server/overrides.py CustomAuthRequestConfig), field for field.
type customAuthRequest struct {
	Endpoint    string            `json:"endpoint"`
	Method      string            `json:"method"`
	Headers     map[string]string `json:"headers"`
	Body        map[string]any    `json:"body"`
	BodyForm    any               `json:"bodyForm"` // "a=b&c=d" or an object
	QueryParams map[string]any    `json:"queryParams"`
	Interval    int               `json:"reauthenticateIntervalSeconds"`
	// Ocean accepts the snake_case field names too.
	QueryParamsSnake map[string]any `json:"query_params"`
	BodyFormSnake    any            `json:"body_form"`
	IntervalSnake    int            `json:"reauthenticate_interval_seconds"`
}

// customAuthTemplate is Ocean Custom's customAuthRequestTemplate: what of
// the token response every later request carries.
type customAuthTemplate struct {
	Headers          map[string]string `json:"headers"`
	QueryParams      map[string]any    `json:"queryParams"`
	Body             map[string]any    `json:"body"`
	QueryParamsSnake map[string]any    `json:"query_params"`
}

// customAuth is a compiled custom token flow.
type customAuth struct {
	method   string
	endpoint string
	headers  [][2]string
	query    [][2]string
	body     []byte // JSON or form
	form     bool
	secrets  []string
	interval time.Duration

	tHeaders []templated
	tQuery   []templated
	tBody    []templated
}

// templated is one value of customAuthRequestTemplate: literal text and
// {{ jq }} parts read from the token response.
type templated struct {
	key   string
	where string // for errors: customAuthRequestTemplate.headers.Authorization
	parts []tmplPart
	raw   any // a non-string value, sent as is
}

type tmplPart struct {
	text string
	code *gojq.Code
	expr string
}

func parseAuth(v integrations.Values) (authConfig, error) {
	a := authConfig{typ: strings.ToLower(strings.TrimSpace(v.Get("custom-auth-type")))}
	if a.typ == "" {
		// A token given without an auth type means a bearer token: sending
		// nothing would look like a permissions problem at the API.
		a.typ = "none"
		if v.Get("custom-api-token") != "" {
			a.typ = "bearer_token"
		}
	}
	switch a.typ {
	case "none":
	case "bearer_token", "bearer":
		a.typ = "bearer_token"
		if a.token = v.Get("custom-api-token"); a.token == "" {
			return a, cfgErr("--custom-auth-type bearer_token needs --custom-api-token (TIDE_CUSTOM_API_TOKEN or OCEAN__INTEGRATION__CONFIG__API_TOKEN)")
		}
	case "basic":
		a.user, a.pass = v.Get("custom-username"), v.Get("custom-password")
		if a.user == "" {
			return a, cfgErr("--custom-auth-type basic needs --custom-username (TIDE_CUSTOM_USERNAME)")
		}
		if a.pass == "" {
			return a, cfgErr("--custom-auth-type basic needs --custom-password (TIDE_CUSTOM_PASSWORD)")
		}
	case "api_key":
		a.keyHeader = strings.TrimSpace(v.Get("custom-api-key-header"))
		if a.keyHeader == "" {
			a.keyHeader = "X-API-Key"
		}
		if strings.ContainsAny(a.keyHeader, " \t\r\n:") {
			return a, cfgErr("--custom-api-key-header %q: not a header name", a.keyHeader)
		}
		if a.key = v.Get("custom-api-key"); a.key == "" {
			return a, cfgErr("--custom-auth-type api_key needs --custom-api-key (TIDE_CUSTOM_API_KEY or OCEAN__INTEGRATION__CONFIG__API_KEY)")
		}
	case "custom":
		c, err := parseCustomAuth(v.Get("custom-auth-request"), v.Get("custom-auth-request-template"))
		if err != nil {
			return a, err
		}
		a.custom = c
	default:
		return a, cfgErr("--custom-auth-type %q: want none, bearer_token, basic, api_key or custom", a.typ)
	}
	return a, nil
}

func parseCustomAuth(reqRaw, tmplRaw string) (*customAuth, error) {
	if strings.TrimSpace(reqRaw) == "" {
		return nil, cfgErr(`--custom-auth-type custom needs --custom-auth-request (TIDE_CUSTOM_AUTH_REQUEST), e.g. {"endpoint": "/oauth/token", "body": {...}}`)
	}
	if strings.TrimSpace(tmplRaw) == "" {
		return nil, cfgErr(`--custom-auth-type custom needs --custom-auth-request-template (TIDE_CUSTOM_AUTH_REQUEST_TEMPLATE), e.g. {"headers": {"Authorization": "Bearer {{.access_token}}"}}`)
	}
	var r customAuthRequest
	if err := decodeJSONParam("custom-auth-request", reqRaw, &r); err != nil {
		return nil, err
	}
	var t customAuthTemplate
	if err := decodeJSONParam("custom-auth-request-template", tmplRaw, &t); err != nil {
		return nil, err
	}
	c := &customAuth{method: strings.ToUpper(strings.TrimSpace(r.Method)), endpoint: strings.TrimSpace(r.Endpoint)}
	if c.endpoint == "" {
		return nil, cfgErr("--custom-auth-request: endpoint is required (a path like /oauth/token or a full URL)")
	}
	if c.method == "" {
		c.method = "POST"
	}
	switch c.method {
	case "GET", "POST", "PUT", "PATCH":
	default:
		return nil, cfgErr("--custom-auth-request: method %q: want GET, POST, PUT or PATCH", r.Method)
	}
	c.headers = sortedHeaders(r.Headers)
	if r.QueryParams == nil {
		r.QueryParams = r.QueryParamsSnake
	}
	q, err := queryPairs("--custom-auth-request queryParams", r.QueryParams)
	if err != nil {
		return nil, err
	}
	c.query = q
	if r.BodyForm == nil {
		r.BodyForm = r.BodyFormSnake
	}
	if r.Body != nil && r.BodyForm != nil {
		return nil, cfgErr("--custom-auth-request: give body (JSON) or bodyForm (form-encoded), not both")
	}
	switch {
	case r.Body != nil:
		c.body, _ = json.Marshal(r.Body)
	case r.BodyForm != nil:
		c.form = true
		switch f := r.BodyForm.(type) {
		case string:
			if _, err := url.ParseQuery(f); err != nil {
				return nil, cfgErr("--custom-auth-request: bodyForm is not form-encoded (a=b&c=d)")
			}
			c.body = []byte(f)
		case map[string]any:
			pairs, err := queryPairs("--custom-auth-request bodyForm", f)
			if err != nil {
				return nil, err
			}
			vals := url.Values{}
			for _, p := range pairs {
				vals.Add(p[0], p[1])
			}
			c.body = []byte(vals.Encode())
		default:
			return nil, cfgErr("--custom-auth-request: bodyForm: want a string a=b&c=d or an object")
		}
	}
	if r.Interval == 0 {
		r.Interval = r.IntervalSnake
	}
	if r.Interval < 0 {
		return nil, cfgErr("--custom-auth-request: reauthenticateIntervalSeconds must be positive")
	}
	c.interval = time.Duration(r.Interval) * time.Second
	// The token request's values (client secrets, passwords) must never be
	// printed, whatever field holds them.
	for _, h := range c.headers {
		c.secrets = append(c.secrets, h[1])
	}
	for _, p := range c.query {
		c.secrets = append(c.secrets, p[1])
	}
	if c.form {
		vals, _ := url.ParseQuery(string(c.body))
		for _, vs := range vals {
			c.secrets = append(c.secrets, vs...)
		}
	} else if r.Body != nil {
		c.secrets = append(c.secrets, stringLeaves(r.Body)...)
	}

	if t.QueryParams == nil {
		t.QueryParams = t.QueryParamsSnake
	}
	if len(t.Headers) == 0 && len(t.QueryParams) == 0 && len(t.Body) == 0 {
		return nil, cfgErr("--custom-auth-request-template: give at least one of headers, queryParams or body: how later requests use the token response")
	}
	for _, k := range sortedKeys(t.Headers) {
		tv, err := compileTemplate("customAuthRequestTemplate.headers."+k, k, t.Headers[k])
		if err != nil {
			return nil, err
		}
		c.tHeaders = append(c.tHeaders, tv)
	}
	for _, k := range sortedKeys(t.QueryParams) {
		tv, err := compileTemplate("customAuthRequestTemplate.queryParams."+k, k, t.QueryParams[k])
		if err != nil {
			return nil, err
		}
		c.tQuery = append(c.tQuery, tv)
	}
	for _, k := range sortedKeys(t.Body) {
		tv, err := compileTemplate("customAuthRequestTemplate.body."+k, k, t.Body[k])
		if err != nil {
			return nil, err
		}
		c.tBody = append(c.tBody, tv)
	}
	return c, nil
}

// stringLeaves lists every string in a decoded JSON value.
func stringLeaves(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case map[string]any:
		var out []string
		for _, e := range t {
			out = append(out, stringLeaves(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, stringLeaves(e)...)
		}
		return out
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sortedHeaders(m map[string]string) [][2]string {
	var out [][2]string
	for _, k := range sortedKeys(m) {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

// compileTemplate parses "Bearer {{ .access_token }}" as Ocean Custom's
// template syntax: each {{ }} holds a JQ expression over the token response.
func compileTemplate(where, key string, v any) (templated, error) {
	t := templated{key: key, where: where}
	s, ok := v.(string)
	if !ok {
		t.raw = v
		return t, nil
	}
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			t.parts = append(t.parts, tmplPart{text: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return t, cfgErr("--custom-auth-request-template: %s: unclosed {{", where)
		}
		expr := strings.TrimSpace(s[i+2 : i+j])
		code, err := compileJQ(expr)
		if err != nil {
			return t, cfgErr("--custom-auth-request-template: %s: {{%s}}: %v", where, expr, err)
		}
		t.parts = append(t.parts, tmplPart{code: code, expr: expr})
		s = s[i+j+2:]
	}
	return t, nil
}

// render evaluates the template against the token response. A whole-value
// template ({{.expires}}) keeps the JSON type for bodies.
func (t templated) render(ctx context.Context, resp any) (any, error) {
	if t.raw != nil {
		return t.raw, nil
	}
	if len(t.parts) == 1 && t.parts[0].code != nil {
		v, err := jqFirst(ctx, t.parts[0].code, resp)
		if err != nil || v == nil {
			return nil, t.missing(resp, err)
		}
		return v, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.code == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := jqFirst(ctx, p.code, resp)
		if err != nil || v == nil {
			return nil, t.missing(resp, err)
		}
		b.WriteString(scalarString(v))
	}
	return b.String(), nil
}

// missing explains a template value the token response lacks. It names the
// response's keys, never its values: they are credentials.
func (t templated) missing(resp any, err error) error {
	var exprs []string
	for _, p := range t.parts {
		if p.code != nil {
			exprs = append(exprs, "{{"+p.expr+"}}")
		}
	}
	what := "is null"
	if err != nil {
		what = "failed: " + err.Error()
	}
	keys := "not an object"
	if m, ok := resp.(map[string]any); ok {
		keys = "keys: " + strings.Join(sortedKeys(m), ", ")
	}
	return fmt.Errorf("%s: %s %s in the token response (%s)", t.where, strings.Join(exprs, " "), what, keys)
}

// values returns the string outputs of t's expressions: the token
// response's secrets as they may appear alone.
func (t templated) values(ctx context.Context, resp any) []string {
	var out []string
	for _, p := range t.parts {
		if p.code == nil {
			continue
		}
		if v, err := jqFirst(ctx, p.code, resp); err == nil && v != nil {
			out = append(out, scalarString(v))
		}
	}
	return out
}

func (t templated) renderString(ctx context.Context, resp any) (string, error) {
	v, err := t.render(ctx, resp)
	if err != nil {
		return "", err
	}
	return scalarString(v), nil
}

// authValues is what one request carries for authentication.
type authValues struct {
	gen     int
	headers [][2]string
	query   [][2]string
	body    map[string]any
}

// tokenState holds the custom flow's current token response, rendered.
// The token request runs single-flight and with no lock held: however many
// requests need a token (or met a 401) at once, one token request is sent
// and the others wait for its result.
type tokenState struct {
	mu      gosync.Mutex
	have    bool
	gen     int
	vals    authValues
	expires time.Time
	flight  *tokenFlight
}

type tokenFlight struct {
	done chan struct{}
	err  error
}

// errAuthRequest marks a failed token request: retrying the data request
// cannot help.
var errAuthRequest = errors.New("custom auth request failed")

// current returns valid values, running the token request first when none
// is held or the held one is about to expire.
func (c *client) current(ctx context.Context) (authValues, error) {
	t := c.tok
	for {
		t.mu.Lock()
		if t.have && (t.expires.IsZero() || c.now().Before(t.expires)) {
			v := t.vals
			t.mu.Unlock()
			return v, nil
		}
		if f := t.flight; f != nil {
			t.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return authValues{}, context.Cause(ctx)
			}
			if f.err != nil {
				return authValues{}, f.err
			}
			continue
		}
		f := &tokenFlight{done: make(chan struct{})}
		t.flight = f
		t.mu.Unlock()
		vals, expires, err := c.authenticate(ctx)
		t.mu.Lock()
		if err == nil {
			t.gen++
			vals.gen = t.gen
			t.vals, t.have, t.expires = vals, true, expires
		}
		f.err = err
		t.flight = nil
		t.mu.Unlock()
		close(f.done)
		if err != nil {
			return authValues{}, err
		}
		return vals, nil
	}
}

// invalidate drops generation gen after a 401, unless a newer token is
// already held.
func (c *client) invalidate(gen int) {
	t := c.tok
	t.mu.Lock()
	if t.gen == gen {
		t.have = false
	}
	t.mu.Unlock()
}

// authenticate runs the token request (no lock held) and returns the
// rendered values and when they expire (zero: not known to).
func (c *client) authenticate(ctx context.Context) (authValues, time.Time, error) {
	var none authValues
	var never time.Time
	a := c.s.auth.custom
	u, err := c.resolve(a.endpoint, true)
	if err != nil {
		return none, never, fmt.Errorf("%w: %v", errAuthRequest, err)
	}
	q := u.Query()
	for _, p := range a.query {
		q.Add(p[0], p[1])
	}
	u.RawQuery = q.Encode()
	hdr := append([][2]string{}, a.headers...)
	ct := "application/json"
	if a.form {
		ct = "application/x-www-form-urlencoded"
	}
	if a.body != nil && !hasHeader(hdr, "Content-Type") {
		hdr = append(hdr, [2]string{"Content-Type", ct})
	}
	c.log.Debug("custom auth: requesting a token", "method", a.method, "url", c.display(u))
	resp, err := c.do(ctx, call{method: a.method, url: u, headers: hdr, raw: a.body, noAuth: true})
	var se *StatusError
	if errors.As(err, &se) && (se.Status == http.StatusBadRequest || se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden) {
		// An OAuth token endpoint refuses a bad client or grant with 400
		// or 401: the credentials in the token request are at fault.
		return none, never, integrations.CredentialsError(c.s.auth.check(), fmt.Errorf("%w: %w", errAuthRequest, err))
	}
	if err != nil {
		return none, never, fmt.Errorf("%w: %s %s: %w", errAuthRequest, a.method, c.display(u), err)
	}
	var body any
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return none, never, fmt.Errorf("%w: %s %s: the response is not JSON", errAuthRequest, a.method, c.display(u))
	}
	var vals authValues
	var secrets []string
	for _, tv := range a.tHeaders {
		s, err := tv.renderString(ctx, body)
		if err != nil {
			return none, never, fmt.Errorf("%w: %w", errAuthRequest, err)
		}
		vals.headers = append(vals.headers, [2]string{tv.key, s})
		secrets = append(secrets, s)
	}
	for _, tv := range a.tQuery {
		s, err := tv.renderString(ctx, body)
		if err != nil {
			return none, never, fmt.Errorf("%w: %w", errAuthRequest, err)
		}
		vals.query = append(vals.query, [2]string{tv.key, s})
		secrets = append(secrets, s)
	}
	if len(a.tBody) > 0 {
		vals.body = map[string]any{}
		for _, tv := range a.tBody {
			v, err := tv.render(ctx, body)
			if err != nil {
				return none, never, fmt.Errorf("%w: %w", errAuthRequest, err)
			}
			vals.body[tv.key] = v
			if s, ok := v.(string); ok {
				secrets = append(secrets, s)
			}
		}
	}
	// Ocean re-authenticates reauthenticateIntervalSeconds after the token
	// request, 60 s early; tide also reads OAuth's expires_in when no
	// interval is set.
	life := a.interval
	if life == 0 {
		life = expiresIn(body)
	}
	var expires time.Time
	if life > 0 {
		margin := min(60*time.Second, life/5)
		expires = c.now().Add(life - margin)
	}
	for _, group := range [][]templated{a.tHeaders, a.tQuery, a.tBody} {
		for _, tv := range group {
			secrets = append(secrets, tv.values(ctx, body)...)
		}
	}
	// The token joins the run's secret set before anything can print it.
	c.addSecrets(secrets)
	c.log.Info("custom auth: token obtained", "expires_in", life.String())
	return vals, expires, nil
}

// expiresIn reads OAuth 2's expires_in (seconds, number or string).
func expiresIn(body any) time.Duration {
	m, ok := body.(map[string]any)
	if !ok {
		return 0
	}
	var secs float64
	switch v := m["expires_in"].(type) {
	case float64:
		secs = v
	case string:
		secs, _ = strconv.ParseFloat(v, 64)
	}
	if secs <= 0 {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}

// staticAuth returns the header of the non-custom auth types.
func (a authConfig) staticHeader() (string, string, bool) {
	switch a.typ {
	case "bearer_token":
		return "Authorization", "Bearer " + a.token, true
	case "basic":
		return "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(a.user+":"+a.pass)), true
	case "api_key":
		return a.keyHeader, a.key, true
	}
	return "", "", false
}

func hasHeader(h [][2]string, name string) bool {
	for _, p := range h {
		if strings.EqualFold(p[0], name) {
			return true
		}
	}
	return false
}
