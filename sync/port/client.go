package port

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/internal/jsonx"
)

const (
	defaultMaxAttempts = 10
	defaultBaseDelay   = 300 * time.Millisecond
	defaultMaxDelay    = 60 * time.Second
	maxResponseBytes   = 64 << 20
	maxIdleConns       = 64 // more than any sensible --write-concurrency
	tokenMargin        = 60 * time.Second
)

// Client talks to one Port organisation. Safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
	log  *slog.Logger
	ua   string

	tokMu   gosync.Mutex
	token   string // "<type> <token>"
	expires time.Time
}

// New builds a Client.
func New(cfg Config) *Client {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = defaultMaxAttempts
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = defaultBaseDelay
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = defaultMaxDelay
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		// Keep a connection per request in flight (writes run concurrently):
		// the default transport keeps two idle, and every other request
		// would open a new connection and pay a new TLS handshake.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = maxIdleConns
		hc = &http.Client{Timeout: 60 * time.Second, Transport: tr}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		cfg:  cfg,
		http: hc,
		log:  log,
		// Port records the writer's User-Agent as the entity's $datasource
		// (docs/port-api.md#ownership-user-agent-and-datasource), in Ocean's
		// shape so ownership carries over.
		ua: fmt.Sprintf("port-ocean/%s/tide-%s/%s", cfg.IntegrationType, cfg.Version, cfg.IntegrationID),
	}
}

// DatasourcePrefix is the ownership prefix of an integration type.
func DatasourcePrefix(typ string) string { return "port-ocean/" + typ + "/" }

// DatasourceSuffix is the ownership suffix of an installation.
func DatasourceSuffix(id string) string { return "/" + id + "/exporter" }

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "port: %s %s: %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " (trace %s)", e.TraceID)
	}
	return b.String()
}

// Is matches ErrNotFound for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Authenticate fetches a token (cached for later calls). A 401/403 wraps ErrAuth.
func (c *Client) Authenticate(ctx context.Context) error {
	_, err := c.authHeader(ctx, false)
	return err
}

// authHeader returns the cached Authorization value, fetching a token when
// there is none, it expired, or force is set. One fetch at a time.
func (c *Client) authHeader(ctx context.Context, force bool) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if !force && c.token != "" && time.Now().Before(c.expires) {
		return c.token, nil
	}
	body, _ := json.Marshal(map[string]string{"clientId": c.cfg.ClientID, "clientSecret": c.cfg.ClientSecret})
	var out struct {
		AccessToken string  `json:"accessToken"`
		ExpiresIn   float64 `json:"expiresIn"`
		TokenType   string  `json:"tokenType"`
	}
	// The token endpoint answers 401/403 at once on bad credentials; Ocean
	// retries them for minutes, tide fails (exit 2).
	err := c.do(ctx, http.MethodPost, "/v1/auth/access_token", nil, body, &out, callOpts{noAuth: true})
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) {
		return "", fmt.Errorf("%w: Port rejected the client id and secret (%d from %s); check --port-client-id and --port-client-secret and the Port region", ErrAuth, ae.Status, ae.Path)
	}
	if err != nil {
		return "", fmt.Errorf("getting a Port access token: %w", err)
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("getting a Port access token: the answer has no accessToken")
	}
	typ := out.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	c.token = typ + " " + out.AccessToken
	life := time.Duration(out.ExpiresIn) * time.Second
	if life > 2*tokenMargin {
		life -= tokenMargin
	}
	c.expires = time.Now().Add(life)
	return c.token, nil
}

type callOpts struct {
	noAuth bool
	writer bool // entity writes: the /exporter User-Agent
}

// do sends one request with retries and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, out any, o callOpts) error {
	_, raw, err := c.send(ctx, method, path, query, body, o)
	if err != nil {
		return err
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("port: %s %s: decoding the answer: %w", method, path, err)
		}
	}
	return nil
}

// send performs the request with retries; a non-2xx final answer is an
// *APIError. It returns the 2xx status and body.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, o callOpts) (int, []byte, error) {
	u := c.cfg.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	ua := c.ua
	if o.writer {
		ua += "/exporter"
	}
	refreshed := false
	var lastErr error
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return 0, nil, fmt.Errorf("port: %s %s: %w", method, path, err)
		}
		req.Header.Set("User-Agent", ua)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if !o.noAuth {
			h, err := c.authHeader(ctx, false)
			if err != nil {
				return 0, nil, err
			}
			req.Header.Set("Authorization", h)
		}
		resp, err := c.http.Do(req)
		var wait time.Duration
		if err != nil {
			if ctx.Err() != nil {
				return 0, nil, fmt.Errorf("port: %s %s: %w", method, path, context.Cause(ctx))
			}
			lastErr = fmt.Errorf("port: %s %s: %w", method, path, scrubURL(err))
		} else {
			raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
			resp.Body.Close()
			switch {
			case rerr != nil:
				lastErr = fmt.Errorf("port: %s %s: reading the answer: %w", method, path, rerr)
			case resp.StatusCode >= 200 && resp.StatusCode < 300:
				return resp.StatusCode, raw, nil
			case resp.StatusCode == http.StatusUnauthorized && !o.noAuth:
				// The token may have been revoked or re-issued: refresh
				// once and retry (Ocean does the same).
				if refreshed {
					return 0, nil, fmt.Errorf("%w: Port rejected a fresh access token for %s %s", ErrAuth, method, path)
				}
				refreshed = true
				if _, err := c.authHeader(ctx, true); err != nil {
					return 0, nil, err
				}
				attempt--
				continue
			default:
				ae := apiError(method, path, resp, raw)
				if !retryable(resp.StatusCode) {
					return 0, nil, ae
				}
				lastErr = ae
				wait = retryAfter(resp.Header, c.cfg.MaxDelay)
			}
		}
		if attempt >= c.cfg.MaxAttempts {
			return 0, nil, lastErr
		}
		if wait < 0 {
			wait = c.backoff(attempt)
		}
		c.log.Warn("retrying Port request", "method", method, "path", path, "attempt", attempt, "wait", wait, "err", lastErr)
		if err := c.sleep(ctx, wait); err != nil {
			return 0, nil, fmt.Errorf("port: %s %s: %w (after: %v)", method, path, context.Cause(ctx), lastErr)
		}
	}
}

// scrubURL drops the URL from transport errors: it holds no secret today,
// but the error's text should not depend on that.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

func (c *Client) backoff(attempt int) time.Duration {
	d := float64(c.cfg.BaseDelay) * float64(uint64(1)<<min(attempt-1, 30))
	d *= 0.9 + 0.2*rand.Float64() // ±10% jitter
	return min(time.Duration(d), c.cfg.MaxDelay)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.cfg.Sleep != nil {
		return c.cfg.Sleep(ctx.Done(), d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryAfter reads Retry-After (seconds or HTTP date), else
// x-ratelimit-reset (epoch seconds when > 10000, else seconds, as Ocean
// guesses), capped at max; -1 when neither says anything.
func retryAfter(h http.Header, max time.Duration) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return capWait(time.Duration(n*float64(time.Second)), max)
		}
		if t, err := http.ParseTime(v); err == nil {
			return capWait(time.Until(t), max)
		}
	}
	if v := strings.TrimSpace(h.Get("x-ratelimit-reset")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			if n > 10000 {
				return capWait(time.Until(time.Unix(int64(n), 0)), max)
			}
			return capWait(time.Duration(n*float64(time.Second)), max)
		}
	}
	return -1
}

func capWait(d, max time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return min(d, max)
}

func apiError(method, path string, resp *http.Response, raw []byte) *APIError {
	ae := &APIError{Method: method, Path: path, Status: resp.StatusCode, TraceID: resp.Header.Get("x-trace-id")}
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(raw, &env) == nil {
		ae.Message = env.Message
		var s string
		var obj struct{ Name, Message string }
		switch {
		case json.Unmarshal(env.Error, &s) == nil:
			ae.Code = s
		case json.Unmarshal(env.Error, &obj) == nil:
			ae.Code = obj.Name
			if ae.Message == "" {
				ae.Message = obj.Message
			}
		}
	}
	if len(ae.Message) > 500 {
		ae.Message = ae.Message[:500] + "…"
	}
	return ae
}

func esc(s string) string { return url.PathEscape(s) }

// GetIntegration returns the integration object; ErrNotFound when absent.
func (c *Client) GetIntegration(ctx context.Context, id string) (*Integration, error) {
	var out struct {
		Integration *Integration `json:"integration"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/integration/"+esc(id), nil, nil, &out, callOpts{}); err != nil {
		return nil, err
	}
	if out.Integration == nil {
		return nil, &APIError{Method: http.MethodGet, Path: "/v1/integration/" + esc(id), Status: http.StatusNotFound, Message: "no integration in the answer"}
	}
	return out.Integration, nil
}

// CreateIntegration creates the integration object (POST /v1/integration).
func (c *Client) CreateIntegration(ctx context.Context, in Integration) (*Integration, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	var out struct {
		Integration *Integration `json:"integration"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/integration", nil, body, &out, callOpts{}); err != nil {
		return nil, err
	}
	return out.Integration, nil
}

// PatchResyncState reports the run state. Retried like every call
// (deliberate: Ocean sends it once).
func (c *Client) PatchResyncState(ctx context.Context, id string, st ResyncState) error {
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, "/v1/integration/"+esc(id)+"/resync-state", nil, body, nil, callOpts{})
}

// GetBlueprint returns a blueprint as raw JSON object; ErrNotFound when absent.
func (c *Client) GetBlueprint(ctx context.Context, id string) (map[string]any, error) {
	var out struct {
		Blueprint map[string]any `json:"blueprint"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/blueprints/"+esc(id), nil, nil, &out, callOpts{}); err != nil {
		return nil, err
	}
	return out.Blueprint, nil
}

// CreateBlueprint creates a blueprint with its catalog page, as Ocean does.
func (c *Client) CreateBlueprint(ctx context.Context, bp map[string]any) error {
	body, err := json.Marshal(bp)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, "/v1/blueprints", url.Values{"create_catalog_page": {"true"}}, body, nil, callOpts{})
}

// PatchBlueprint patches a blueprint.
func (c *Client) PatchBlueprint(ctx context.Context, id string, fields map[string]any) error {
	body, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, "/v1/blueprints/"+esc(id), nil, body, nil, callOpts{})
}

// SearchEntities pages POST /v1/blueprints/{bp}/entities/search (limit 1000,
// from/next) and calls fn with each page. The next page is requested while
// fn works on this one, so a large snapshot costs about max(fetch, fn) per
// page rather than their sum.
func (c *Client) SearchEntities(ctx context.Context, blueprint string, req SearchRequest, fn func([]Entity) error) error {
	path := "/v1/blueprints/" + esc(blueprint) + "/entities/search"
	type page struct {
		entities []Entity
		next     string
		err      error
	}
	fetch := func(from string) page {
		body := map[string]any{"limit": 1000}
		if req.Query != nil {
			body["query"] = req.Query
		}
		if len(req.Include) > 0 {
			body["include"] = req.Include
		}
		if from != "" {
			body["from"] = from
		}
		b, err := json.Marshal(body)
		if err != nil {
			return page{err: err}
		}
		_, raw, err := c.send(ctx, http.MethodPost, path, nil, b, callOpts{})
		if err != nil {
			return page{err: err}
		}
		ents, next, err := decodeSearchPage(raw)
		if err != nil {
			return page{err: fmt.Errorf("port: POST %s: decoding the answer: %w", path, err)}
		}
		return page{entities: ents, next: next}
	}
	from := ""
	cur := fetch(from)
	for {
		if cur.err != nil {
			return cur.err
		}
		more := cur.next != "" && cur.next != from
		var ahead chan page
		if more {
			ahead = make(chan page, 1)
			go func(from string) { ahead <- fetch(from) }(cur.next)
		}
		if err := fn(cur.entities); err != nil {
			if ahead != nil {
				<-ahead // never leave the request behind
			}
			return err
		}
		if !more {
			return nil
		}
		from = cur.next
		cur = <-ahead
	}
}

// decodeSearchPage reads {"entities": [...], "next": "..."} through jsonx,
// about twice as fast as encoding/json into structs on large snapshots.
func decodeSearchPage(raw []byte) ([]Entity, string, error) {
	v, err := jsonx.Decode(raw)
	if err != nil {
		return nil, "", err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, "", errors.New("want a JSON object")
	}
	next, _ := obj["next"].(string)
	arr, _ := obj["entities"].([]any)
	ents := make([]Entity, 0, len(arr))
	for i, x := range arr {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("entities[%d] is not an object", i)
		}
		e := Entity{Title: m["title"], Icon: m["icon"], Team: m["team"]}
		e.Identifier, _ = m["identifier"].(string)
		e.Blueprint, _ = m["blueprint"].(string)
		e.Properties, _ = m["properties"].(map[string]any)
		e.Relations, _ = m["relations"].(map[string]any)
		ents = append(ents, e)
	}
	return ents, next, nil
}

// DatasourceEntities pages POST /v1/blueprints/entities/datasource-entities
// (limit 5000, from/next) and calls fn with each page.
func (c *Client) DatasourceEntities(ctx context.Context, q DatasourceQuery, fn func([]EntityRef) error) error {
	var from any
	for {
		body := map[string]any{"datasource_prefix": q.Prefix, "datasource_suffix": q.Suffix, "limit": 5000}
		if !q.Before.IsZero() {
			// Rounded up to the next millisecond so an entity written just
			// before is still listed.
			body["before"] = q.Before.UTC().Truncate(time.Millisecond).Add(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		}
		if from != nil {
			body["from"] = from
		}
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		var out struct {
			Entities []EntityRef `json:"entities"`
			Next     any         `json:"next"`
		}
		if err := c.do(ctx, http.MethodPost, "/v1/blueprints/entities/datasource-entities", nil, b, &out, callOpts{}); err != nil {
			return err
		}
		if err := fn(out.Entities); err != nil {
			return err
		}
		if out.Next == nil || out.Next == "" || out.Next == false || fmt.Sprint(out.Next) == fmt.Sprint(from) {
			return nil
		}
		from = out.Next
	}
}
