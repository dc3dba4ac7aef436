package port

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/jsonx"
	"github.com/tide-sync/tide/internal/secret"
)

// tokenMargin is how long before expiry Port's access token is replaced.
const tokenMargin = 60 * time.Second

// Client talks to one Port organisation. Safe for concurrent use.
type Client struct {
	cfg  Config
	http *httpx.Client
	tok  *httpx.Token
	log  *slog.Logger
	ua   string
}

// New builds a Client.
func New(cfg Config) *Client {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := cfg.Retry
	o.API = "port"
	o.RateLimit = httpx.Port
	o.HTTPClient = cfg.HTTPClient
	o.Secrets = cfg.Secrets
	o.Logger = log
	if cfg.Timeout > 0 {
		o.Timeout = cfg.Timeout
	}
	if o.MaxInFlight == 0 {
		// Writes run concurrently: a connection per request in flight
		// (more than any sensible --write-concurrency).
		o.MaxInFlight = 64
	}
	c := &Client{
		cfg:  cfg,
		http: httpx.New(o),
		log:  log,
		// Port records the writer's User-Agent as the entity's $datasource
		// (docs/port-api.md#ownership-user-agent-and-datasource), in Ocean's
		// shape so ownership carries over.
		ua: fmt.Sprintf("port-ocean/%s/tide-%s/%s", cfg.IntegrationType, cfg.Version, cfg.IntegrationID),
	}
	now := time.Now
	if o.Clock != nil {
		now = o.Clock.Now
	}
	c.tok = httpx.NewToken(httpx.TokenOptions{Fetch: c.fetchToken, Margin: tokenMargin, Secrets: cfg.Secrets, Now: now})
	return c
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
	if e.Retries != "" {
		b.WriteString(" " + e.Retries)
	}
	return b.String()
}

// Is matches ErrNotFound for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Authenticate fetches a token (cached for later calls). A 401/403 wraps ErrAuth.
func (c *Client) Authenticate(ctx context.Context) error {
	_, _, err := c.tok.Get(ctx)
	return err
}

// fetchToken asks Port for an access token. It runs single-flight: however
// many requests need a token at once, one request is sent.
func (c *Client) fetchToken(ctx context.Context) (httpx.Grant, error) {
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
		return httpx.Grant{}, fmt.Errorf("%w: Port rejected the client id and secret (%d from %s); check --port-client-id and --port-client-secret and the Port region", ErrAuth, ae.Status, ae.Path)
	}
	if err != nil {
		return httpx.Grant{}, fmt.Errorf("getting a Port access token: %w", err)
	}
	if out.AccessToken == "" {
		return httpx.Grant{}, fmt.Errorf("getting a Port access token: the answer has no accessToken")
	}
	g := httpx.Grant{Value: out.AccessToken, Type: out.TokenType}
	if out.ExpiresIn > 0 {
		g.Expires = time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	}
	return g, nil
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

// send performs the request through the shared client (retries, backoff,
// Port's rate-limit headers for a 429 only, token refresh on a 401); a
// non-2xx final answer is an *APIError. It returns the 2xx status and body.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte, o callOpts) (int, []byte, error) {
	u := c.cfg.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	ua := c.ua
	if o.writer {
		ua += "/exporter"
	}
	req := httpx.Request{Method: method, URL: u, Body: body, Header: http.Header{"User-Agent": {ua}}}
	if !o.noAuth {
		req.Auth = c.tok
	}
	resp, err := c.http.Do(ctx, req)
	var se *httpx.StatusError
	if errors.As(err, &se) {
		ae := apiError(method, path, se, c.cfg.Secrets)
		if err != error(se) {
			// Keep what the retries said ("gave up after 6 attempts").
			ae.Retries = strings.TrimSpace(strings.TrimPrefix(err.Error(), se.Error()))
		}
		if se.Status == http.StatusUnauthorized && !o.noAuth {
			return 0, nil, fmt.Errorf("%w: Port rejected a fresh access token for %s %s: %w", ErrAuth, method, path, ae)
		}
		return 0, nil, ae
	}
	if err != nil {
		return 0, nil, err
	}
	return resp.Status, resp.Body, nil
}

func apiError(method, path string, se *httpx.StatusError, secrets *secret.Set) *APIError {
	ae := &APIError{Method: method, Path: path, Status: se.Status, TraceID: se.Header.Get("x-trace-id")}
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(se.Body, &env) == nil {
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
	// Port echoes request headers in some messages (a 403 quoting the
	// Authorization header): the access token must not reach the output.
	ae.Message, ae.Code = secrets.Redact(ae.Message), secrets.Redact(ae.Code)
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

// DeleteBlueprint deletes a blueprint; Port refuses while it holds
// entities. ErrNotFound when absent.
func (c *Client) DeleteBlueprint(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/blueprints/"+esc(id), nil, nil, nil, callOpts{})
}

// DeleteIntegration deletes the integration object. ErrNotFound when absent.
func (c *Client) DeleteIntegration(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/integration/"+esc(id), nil, nil, nil, callOpts{})
}

// SearchEntities pages POST /v1/blueprints/{bp}/entities/search (limit 1000,
// from/next) and calls fn with each page. The next page is requested while
// fn works on this one, so a large snapshot costs about max(fetch, fn) per
// page rather than their sum.
func (c *Client) SearchEntities(ctx context.Context, blueprint string, req SearchRequest, fn func([]Entity) error) error {
	return searchPages(ctx, c, blueprint, req, decodeSearchPage, fn)
}

// searchPages pages the entity search, decoding each answer with decode
// while fn works on the previous page.
func searchPages[P any](ctx context.Context, c *Client, blueprint string, req SearchRequest, decode func([]byte) (P, string, error), fn func(P) error) error {
	path := "/v1/blueprints/" + esc(blueprint) + "/entities/search"
	type page struct {
		p    P
		next string
		err  error
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
		p, next, err := decode(raw)
		if err != nil {
			return page{err: fmt.Errorf("port: POST %s: decoding the answer: %w", path, err)}
		}
		return page{p: p, next: next}
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
		if err := fn(cur.p); err != nil {
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
		const path = "/v1/blueprints/entities/datasource-entities"
		_, raw, err := c.send(ctx, http.MethodPost, path, nil, b, callOpts{})
		if err != nil {
			return err
		}
		refs, next, err := decodeDatasourcePage(raw)
		if err != nil {
			return fmt.Errorf("port: POST %s: decoding the answer: %w", path, err)
		}
		if err := fn(refs); err != nil {
			return err
		}
		if next == nil || next == "" || next == false || fmt.Sprint(next) == fmt.Sprint(from) {
			return nil
		}
		from = next
	}
}
