// Package jira syncs Jira Cloud: projects, issues, users, teams with their
// members, releases, boards, sprints, backlogs, epics, worklogs and
// components, with the items and "__" enrichment keys of Ocean's Jira
// integration, so Ocean mappings work unchanged.
//
// Auth is Basic (--atlassian-user-email and --atlassian-user-token) against
// a site URL, or Bearer (the token alone) when --jira-host is the
// https://api.atlassian.com/ex/jira/<cloudId> gateway. Every request of a
// run goes through one internal/httpx client: at most ten in flight, 429s
// waited out (Retry-After, else X-RateLimit-Reset), and a pause of every
// request when Jira says the quota is nearly spent. Each listing stops
// exactly where Jira says it ends (isLast, total, nextPageToken, cursor);
// credentials Jira refuses (a 401, checked with GET /rest/api/3/myself
// before anything is written) are a credentials error (exit 2); a 403 or
// 404 on a listing fails the resource block, so no deletes follow.
package jira

import (
	"context"
	"embed"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

//go:embed resources/*
var resources embed.FS

// kinds are Ocean's kind strings for Jira.
var kinds = []string{
	"project", "issue", "user", "team", "release", "board", "sprint",
	"backlog", "epic", "worklog", "component",
}

// Parameter names, and how errors name them (flag, then env vars).
const (
	paramHost  = "jira-host"
	paramEmail = "atlassian-user-email"
	paramToken = "atlassian-user-token"
	paramOrg   = "atlassian-organization-id"

	hostWhere  = "--jira-host (TIDE_JIRA_HOST or OCEAN__INTEGRATION__CONFIG__JIRA_HOST)"
	emailWhere = "--atlassian-user-email (TIDE_ATLASSIAN_USER_EMAIL or OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_EMAIL)"
	tokenWhere = "--atlassian-user-token (TIDE_ATLASSIAN_USER_TOKEN or OCEAN__INTEGRATION__CONFIG__ATLASSIAN_USER_TOKEN)"
	orgWhere   = "--atlassian-organization-id (TIDE_ATLASSIAN_ORGANIZATION_ID or OCEAN__INTEGRATION__CONFIG__ATLASSIAN_ORGANIZATION_ID)"
)

// gatewayPrefix marks Atlassian's OAuth API gateway, which takes a Bearer
// token instead of Basic auth (Ocean switches the same way).
const gatewayPrefix = "https://api.atlassian.com/ex/jira/"

// concurrency bounds the requests in flight, as Ocean's Jira limiter does.
const concurrency = 10

// Definition returns the Jira integration.
func Definition() integrations.Definition {
	return integrations.Definition{
		Type:    "jira",
		Summary: "Jira Cloud projects, issues, users, teams, releases, boards, sprints, epics, worklogs and components",
		Kinds:   append([]string(nil), kinds...),
		Params: []integrations.Param{
			{Name: paramHost, Usage: "Jira Cloud site URL (https://SITE.atlassian.net), or https://api.atlassian.com/ex/jira/CLOUD_ID for a Bearer (OAuth) token"},
			{Name: paramEmail, Usage: "Atlassian account email (Basic auth with --atlassian-user-token; not needed with the api.atlassian.com gateway)", Secret: true},
			{Name: paramToken, Usage: "Atlassian API token (id.atlassian.com), or the OAuth access token for the api.atlassian.com gateway", Secret: true},
			{Name: paramOrg, Usage: "Atlassian organization id; needed by kind team (the Teams API)"},
		},
		Selectors: selectorFields(),
		Resources: integrations.Resources(resources),
		New: func(s integrations.Settings) (integrations.Source, error) {
			return NewSource(Config{
				Host:           s.Values.Get(paramHost),
				Email:          s.Values.Get(paramEmail),
				Token:          s.Values.Get(paramToken),
				OrganizationID: s.Values.Get(paramOrg),
				HTTPClient:     s.HTTPClient,
				Logger:         s.Logger,
				Secrets:        s.Secrets,
				Timeout:        s.HTTPTimeout,
				MaxBody:        s.ResponseLimit(),
			})
		},
	}
}

// Config is what a Source is built from.
type Config struct {
	Host           string // site URL or the api.atlassian.com gateway URL
	Email          string
	Token          string
	OrganizationID string
	HTTPClient     *http.Client
	Logger         *slog.Logger
	// Clock and Secrets are optional: tests observe the waits through
	// Clock; a run passes its secret set so errors are redacted against
	// every secret it knows.
	Clock   httpx.Clock
	Secrets *secret.Set
	// Timeout bounds one HTTP attempt (--http-timeout); 0 is the shared
	// client's default.
	Timeout time.Duration
	// MaxBody bounds one answer (--max-response-size); zero means
	// integrations.DefaultMaxResponse.
	MaxBody int64
}

// Source streams Jira items. Safe for concurrent use; one Source serves one
// run, and its client's limits hold across every resource block.
type Source struct {
	c      *httpx.Client
	auth   staticAuth
	site   string // scheme://host[/ex/jira/<cloudId>], no trailing slash
	bearer bool
	check  string // the settings a refusal names
	org    string
	log    *slog.Logger
}

// NewSource validates cfg and builds a Source. It makes no request.
func NewSource(cfg Config) (*Source, error) {
	host := strings.TrimRight(strings.TrimSpace(cfg.Host), "/")
	if host == "" {
		return nil, fmt.Errorf("%w: %s is required: your Jira Cloud site, e.g. https://acme.atlassian.net", integrations.ErrConfig, hostWhere)
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("%w: %s %q: want an http(s) URL like https://acme.atlassian.net", integrations.ErrConfig, hostWhere, cfg.Host)
	}
	token := strings.TrimSpace(cfg.Token)
	email := strings.TrimSpace(cfg.Email)
	bearer := strings.HasPrefix(host+"/", gatewayPrefix)
	if bearer && strings.Trim(strings.TrimPrefix(host+"/", gatewayPrefix), "/") == "" {
		return nil, fmt.Errorf("%w: %s %q: the api.atlassian.com gateway URL ends with the site's cloud id: %sCLOUD_ID", integrations.ErrConfig, hostWhere, cfg.Host, gatewayPrefix)
	}
	if token == "" {
		return nil, fmt.Errorf("%w: %s is required", integrations.ErrConfig, tokenWhere)
	}
	if !bearer && email == "" {
		return nil, fmt.Errorf("%w: %s is required with a site URL (Basic auth takes the email and the API token)", integrations.ErrConfig, emailWhere)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := staticAuth{header: "Bearer " + token}
	if !bearer {
		a.header = "Basic " + base64.StdEncoding.EncodeToString([]byte(email+":"+token))
	}
	secrets := cfg.Secrets
	if secrets == nil {
		secrets = secret.New()
	}
	secrets.Add(token, a.header, strings.TrimPrefix(strings.TrimPrefix(a.header, "Basic "), "Bearer "))
	return &Source{
		c: httpx.New(httpx.Options{
			API: "jira", HTTPClient: cfg.HTTPClient, MaxInFlight: concurrency,
			RateLimit: httpx.Jira, Clock: cfg.Clock, Secrets: secrets, Logger: log, Timeout: cfg.Timeout,
			MaxBody: cfg.MaxBody, MaxBodyFlag: "--max-response-size",
			UserAgent: "tide (jira)",
		}),
		auth:   a,
		site:   host,
		bearer: bearer,
		check:  credentialsCheck(bearer),
		org:    strings.TrimSpace(cfg.OrganizationID),
		log:    log,
	}, nil
}

// credentialsCheck names what to check when Jira refuses the credentials.
func credentialsCheck(bearer bool) string {
	if bearer {
		return tokenWhere + ", the api.atlassian.com gateway's OAuth access token"
	}
	return emailWhere + " and " + tokenWhere
}

// staticAuth puts the one configured credential on every request; a 401
// is final (there is nothing fresher to try).
type staticAuth struct{ header string }

func (a staticAuth) Apply(_ context.Context, req *http.Request) (uint64, error) {
	req.Header.Set("Authorization", a.header)
	return 0, nil
}

func (staticAuth) Rejected(uint64) bool { return false }

// Stats returns the client's counters (requests sent, most in flight).
func (s *Source) Stats() httpx.Stats { return s.c.Stats() }

// ValidateRequest checks a resource block's selector before anything is
// fetched: unknown keys, wrong types and values Jira would refuse are
// configuration errors.
func (s *Source) ValidateRequest(req integrations.Request) error {
	_, err := s.parse(req)
	return err
}

// Resync streams every item of req.Kind.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	r, err := s.parse(req)
	if err != nil {
		return err
	}
	out := &emitter{emit: emit}
	n0 := s.c.Stats().Requests
	err = integrations.NameShift(r.run(ctx, s, out), req.Kind)
	s.log.Debug("kind fetched", "kind", req.Kind, "items", out.count, "requests", s.c.Stats().Requests-n0)
	return err
}
