// Package pagerduty syncs PagerDuty services, incidents, schedules,
// on-calls, escalation policies and any other collection PagerDuty lists
// (users, teams, business_services, ...) with the items and enrichment keys
// of Ocean's PagerDuty integration, so Ocean mappings work unchanged.
//
// Every request of a run goes through one internal/httpx client: at most
// ten in flight, PagerDuty's ratelimit-* headers pace it (every request
// waits for the window to reset once 90% of it is used), a 429 waits
// ratelimit-reset or Retry-After. The token is checked (GET /abilities)
// before anything is written. A listing is complete or an error: a 401 is
// a credentials error (exit 2), a 403, a 404 or PagerDuty's 10,000-record
// ceiling fails the resource block, so nothing is deleted.
// Analytics enrichment is optional: when PagerDuty refuses it (403, or its
// daily budget spent) the entities are written without it and the run's
// notices say so.
package pagerduty

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	gosync "sync"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

//go:embed resources/*
var resources embed.FS

// DefaultAPIURL is PagerDuty's US service region; EUAPIURL the EU one.
const (
	DefaultAPIURL = "https://api.pagerduty.com"
	EUAPIURL      = "https://api.eu.pagerduty.com"
)

// The kinds with their own handler; any other kind is listed as GET /<kind>.
var kinds = []string{"services", "incidents", "schedules", "oncalls", "escalation_policies", "users", "teams"}

// Definition returns the PagerDuty integration.
func Definition() integrations.Definition {
	return integrations.Definition{
		Type:      "pagerduty",
		Summary:   "PagerDuty services (on-call, analytics), incidents, schedules, on-calls, escalation policies, users and any other collection",
		Kinds:     append([]string(nil), kinds...),
		OpenKinds: true,
		Params: []integrations.Param{
			{Name: "pagerduty-token", Usage: "PagerDuty REST API key (account or user key), or an OAuth access token (pd...)", Secret: true,
				Env: []string{"OCEAN__INTEGRATION__CONFIG__TOKEN"}},
			{Name: "pagerduty-api-url", Usage: "PagerDuty REST API URL; EU accounts: " + EUAPIURL, Default: DefaultAPIURL,
				Env: []string{"OCEAN__INTEGRATION__CONFIG__API_URL"}},
		},
		Selectors: selectorFields(),
		Resources: integrations.Resources(resources),
		New: func(s integrations.Settings) (integrations.Source, error) {
			return NewSource(Config{
				APIURL:     s.Values.Get("pagerduty-api-url"),
				Token:      s.Values.Get("pagerduty-token"),
				HTTPClient: s.HTTPClient,
				Logger:     s.Logger,
				Secrets:    s.Secrets,
				Timeout:    s.HTTPTimeout,
				MaxBody:    s.ResponseLimit(),
			})
		},
	}
}

// Config is what a Source is built from.
type Config struct {
	APIURL     string
	Token      string
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Clock and Now are the client's and the time windows' time; tests fix
	// them. Defaults: the wall clock.
	Clock httpx.Clock
	Now   func() time.Time
	// Secrets receives the token; nil: a set of its own.
	Secrets *secret.Set
	// Timeout bounds one HTTP attempt (--http-timeout); 0: the client's default.
	Timeout time.Duration
	// MaxBody bounds one answer (--max-response-size); zero means
	// integrations.DefaultMaxResponse.
	MaxBody int64
}

// Source streams PagerDuty items. It is safe for concurrent use; one Source
// serves one run, and its client's limits hold across all resource blocks.
type Source struct {
	c    *httpx.Client
	base string
	auth *tokenAuth
	log  *slog.Logger
	now  func() time.Time

	// analyticsOff is why analytics enrichment stopped for the run ("" while
	// it works): PagerDuty refused it or its daily budget is spent.
	analyticsMu  gosync.Mutex
	analyticsOff string
}

const tokenHint = "--pagerduty-token (TIDE_PAGERDUTY_TOKEN, OCEAN__INTEGRATION__CONFIG__TOKEN)"

// NewSource validates cfg and builds a Source. It makes no request.
func NewSource(cfg Config) (*Source, error) {
	token := strings.TrimSpace(cfg.Token)
	if token == "" {
		return nil, fmt.Errorf("%w: %s is required: a PagerDuty REST API key or an OAuth access token", integrations.ErrConfig, tokenHint)
	}
	base := strings.TrimRight(strings.TrimSpace(cfg.APIURL), "/")
	if base == "" {
		base = DefaultAPIURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("%w: --pagerduty-api-url (TIDE_PAGERDUTY_API_URL, OCEAN__INTEGRATION__CONFIG__API_URL) %q: want an http(s) URL like %s (EU accounts: %s)", integrations.ErrConfig, cfg.APIURL, DefaultAPIURL, EUAPIURL)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	secrets := cfg.Secrets
	if secrets == nil {
		secrets = secret.New()
	}
	secrets.Add(token)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Source{
		c: httpx.New(httpx.Options{
			API: "pagerduty", HTTPClient: cfg.HTTPClient, MaxInFlight: maxInFlight,
			RateLimit: httpx.PagerDuty, Clock: cfg.Clock, Timeout: cfg.Timeout, Secrets: secrets, Logger: log,
			MaxBody: cfg.MaxBody, MaxBodyFlag: "--max-response-size",
		}),
		base: base,
		auth: &tokenAuth{token: token},
		log:  log,
		now:  now,
	}, nil
}

// maxInFlight is Ocean's PagerDuty concurrency.
const maxInFlight = 10

// tokenAuth is PagerDuty's Authorization header: "Token token=<key>" for
// a REST API key; an OAuth access token (it starts with "pd") is a Bearer
// token and asks for version 2 of the API explicitly, as Ocean does.
type tokenAuth struct{ token string }

func (a *tokenAuth) oauth() bool { return strings.HasPrefix(a.token, "pd") }

func (a *tokenAuth) Apply(_ context.Context, req *http.Request) (uint64, error) {
	if a.oauth() {
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	} else {
		req.Header.Set("Authorization", "Token token="+a.token)
	}
	return 0, nil
}

// Rejected reports false: a configured token has no fresher version.
func (a *tokenAuth) Rejected(uint64) bool { return false }

// kindPath matches the kinds listed as GET /<kind>: PagerDuty's collection
// paths (users, business_services, audit/records, ...).
var kindPath = regexp.MustCompile(`^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$`)

// Resync implements integrations.Source.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	sel, err := parseSelector(req.Kind, req.Selector, s.now())
	if err != nil {
		return fmt.Errorf("%w: %v", integrations.ErrConfig, err)
	}
	r := &resync{s: s, req: req, sel: sel, emit: emit}
	return integrations.NameShift(r.run(ctx), req.Kind)
}

// run lists r's kind.
func (r *resync) run(ctx context.Context) error {
	s, req, sel, emit := r.s, r.req, r.sel, r.emit
	switch req.Kind {
	case "services":
		return r.services(ctx)
	case "incidents":
		return r.incidents(ctx)
	case "schedules":
		return r.schedules(ctx)
	case "escalation_policies":
		return r.escalationPolicies(ctx)
	default:
		// oncalls, users, teams and any other collection: the listing as is.
		return s.list(ctx, req.Kind, sel.query, emit)
	}
}

// ValidateRequest implements integrations.RequestValidator.
func (s *Source) ValidateRequest(req integrations.Request) error {
	if _, err := parseSelector(req.Kind, req.Selector, s.now()); err != nil {
		return fmt.Errorf("%w: %v", integrations.ErrConfig, err)
	}
	return nil
}

// SelectorKeys implements integrations.SelectorKeyer.
func (s *Source) SelectorKeys(kind string) []string {
	fields, ok := selectorFields()[kind]
	if !ok {
		fields = selectorFields()["*"]
	}
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Name
	}
	return keys
}
