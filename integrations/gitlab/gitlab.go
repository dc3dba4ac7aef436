// Package gitlab syncs GitLab (gitlab.com or a self-managed instance):
// projects, groups, members, merge requests, issues, pipelines, jobs,
// branches, tags, releases, deployments, environments, files and folders,
// with the items, selectors and "__" enrichment keys of Ocean's gitlab-v2
// integration, so Ocean mappings work unchanged. Mapping values written
// file://PATH and search://scope=blobs&query=... are resolved per project.
//
// Every request of a run goes through one httpx client: its in-flight
// bound is the concurrency shared by every resource block, GitLab's
// RateLimit-* headers pace it before the instance refuses, and a 429 waits
// Retry-After. The token is checked (GET /user) before anything is
// written; a 401 is a credentials error (exit 2); a 403 or a 404 on a
// listing fails the resource block, so no deletes follow: it is never an
// empty result.
package gitlab

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

//go:embed resources/*
var resources embed.FS

var kinds = []string{
	"project", "group", "group-with-members", "member", "project-with-members",
	"merge-request", "issue", "pipeline", "job", "branch", "tag", "release",
	"deployment", "environment", "file", "folder",
}

// DefaultHost is gitlab.com.
const DefaultHost = "https://gitlab.com"

// defaultConcurrency is Ocean's: 10 requests in flight.
const defaultConcurrency = 10

// maxRateWait bounds one wait GitLab asks for (Ocean's gitlab-v2 allows
// 30 minutes); --timeout still ends the run sooner.
const maxRateWait = 30 * time.Minute

// Definition returns the GitLab integration.
func Definition() integrations.Definition {
	return integrations.Definition{
		Type:    "gitlab",
		Summary: "GitLab projects, groups, members, merge requests, issues, pipelines, releases, files and folders",
		Kinds:   append([]string(nil), kinds...),
		Params: []integrations.Param{
			{Name: "gitlab-token", Usage: "GitLab personal, group or project access token (read_api); a CI job token cannot list projects or groups", Secret: true, Env: []string{"GITLAB_TOKEN"}},
			{Name: "gitlab-host", Usage: "GitLab URL (default " + DefaultHost + "; inside GitLab CI, the instance the job runs on: $CI_SERVER_URL)"},
			{Name: "gitlab-concurrency", Usage: "GitLab requests in flight at once, shared by every resource block", Default: strconv.Itoa(defaultConcurrency)},
		},
		Selectors: selectorFields(),
		Resources: integrations.Resources(resources),
		New: func(s integrations.Settings) (integrations.Source, error) {
			cfg, err := configFrom(s.Values, s.Getenv)
			if err != nil {
				return nil, err
			}
			cfg.HTTPClient, cfg.Logger = s.HTTPClient, s.Logger
			cfg.Secrets, cfg.Timeout = s.Secrets, s.HTTPTimeout
			return NewSource(cfg)
		},
	}
}

// Config is what a Source is built from.
type Config struct {
	Host        string // instance URL; the API is Host + /api/v4
	Token       string
	Concurrency int
	HTTPClient  *http.Client
	Logger      *slog.Logger
	// Secrets is the run's secret set (redacted from errors); nil: the
	// token alone.
	Secrets *secret.Set
	// Timeout bounds one HTTP attempt (--http-timeout); 0: httpx's default.
	Timeout time.Duration
	// Clock replaces the wall clock (tests); nil is the wall clock.
	Clock httpx.Clock
	// BaseDelay shortens the retry backoff (tests); 0 is httpx's default.
	BaseDelay time.Duration
	// Now is the time selectors such as updatedAfter count back from.
	Now func() time.Time
}

// configFrom reads the parameters. Inside GitLab CI (GITLAB_CI=true) the
// host defaults to the job's own instance (CI_SERVER_URL).
func configFrom(v integrations.Values, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg := Config{Host: strings.TrimSpace(v.Get("gitlab-host")), Token: strings.TrimSpace(v.Get("gitlab-token"))}
	if cfg.Host == "" && getenv("GITLAB_CI") == "true" {
		cfg.Host = strings.TrimSpace(getenv("CI_SERVER_URL"))
	}
	if c := v.Get("gitlab-concurrency"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 100 {
			return cfg, fmt.Errorf("%w: --gitlab-concurrency (TIDE_GITLAB_CONCURRENCY) %q: want a whole number from 1 to 100", integrations.ErrConfig, c)
		}
		cfg.Concurrency = n
	}
	if cfg.Token == "" {
		msg := "a GitLab token is required: --gitlab-token (TIDE_GITLAB_TOKEN or GITLAB_TOKEN), a personal, group or project access token with read_api"
		if getenv("CI_JOB_TOKEN") != "" {
			msg += "; the job's CI_JOB_TOKEN is not used: GitLab lets it list neither projects nor groups, so store an access token as a masked CI/CD variable GITLAB_TOKEN"
		}
		return cfg, fmt.Errorf("%w: %s", integrations.ErrConfig, msg)
	}
	return cfg, nil
}

// Source streams GitLab items. It is safe for concurrent use; one Source
// serves one run, and its client's limits hold across all resource blocks.
type Source struct {
	c      *client
	log    *slog.Logger
	fanout int
	now    func() time.Time

	projectList memo[[]map[string]any]
	groupList   memo[[]map[string]any]
	values      memo[any] // file:// and search:// per project
}

// NewSource validates cfg and builds a Source. It makes no request.
func NewSource(cfg Config) (*Source, error) {
	host := cfg.Host
	if host == "" {
		host = DefaultHost
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("%w: --gitlab-host (TIDE_GITLAB_HOST, CI_SERVER_URL in GitLab CI) %q: want the instance URL, like %s", integrations.ErrConfig, cfg.Host, DefaultHost)
	}
	base := strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/api/v4") + "/api/v4"
	if cfg.Token == "" {
		return nil, fmt.Errorf("%w: a GitLab token is required: --gitlab-token (TIDE_GITLAB_TOKEN or GITLAB_TOKEN)", integrations.ErrConfig)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	secrets := cfg.Secrets
	if secrets == nil {
		secrets = secret.New()
	}
	secrets.Add(cfg.Token)
	hc := httpx.New(httpx.Options{
		API:         "gitlab",
		HTTPClient:  cfg.HTTPClient,
		MaxInFlight: cfg.Concurrency,
		// GitLab's RateLimit-* pace every request (Ocean's gitlab-v2 waits
		// for the reset once 10 or fewer requests are left) and a 429
		// waits Retry-After.
		RateLimit: httpx.GitLab,
		Secrets:   secrets,
		Timeout:   cfg.Timeout,
		MaxWait:   maxRateWait,
		BaseDelay: cfg.BaseDelay,
		Clock:     cfg.Clock,
		Logger:    log,
	})
	return &Source{
		c:      &client{base: base, token: cfg.Token, http: hc, window: 2 * cfg.Concurrency},
		log:    log,
		fanout: 2 * cfg.Concurrency,
		now:    now,
	}, nil
}

// Requests returns how many HTTP requests the Source has sent.
func (s *Source) Requests() int64 { return s.c.http.Stats().Requests }

// MaxInFlight returns the most requests the Source ever had in flight.
func (s *Source) MaxInFlight() int64 { return s.c.http.Stats().MaxInFlight }

// ValidateRequest checks a resource block's selector and the mapping's
// top-level keys before anything is fetched.
func (s *Source) ValidateRequest(req integrations.Request) error {
	_, err := parseRequest(req, s.now())
	return err
}

// SelectorKeys implements integrations.SelectorKeyer: the selector keys
// each kind reads, for the engine's "did you mean".
func (s *Source) SelectorKeys(kind string) []string { return append([]string(nil), kindKeys[kind]...) }

// Resync streams every item of req.Kind.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	r, err := parseRequest(req, s.now())
	if err != nil {
		return err
	}
	h := handlers[req.Kind]
	if h == nil {
		return fmt.Errorf("kind %q: %w (the gitlab integration offers: %s)", req.Kind, integrations.ErrUnknownKind, strings.Join(kinds, ", "))
	}
	n0 := s.Requests()
	err = h(withKind(ctx, req.Kind), s, r, &emitter{emit: emit})
	if se := (*integrations.ShiftError)(nil); errors.As(err, &se) && se.Kind == "" {
		// A listing shared by the kinds of a run (groups) names none:
		// name this one without changing the shared error.
		err = fmt.Errorf("kind %q: %w", req.Kind, err)
	}
	s.log.Debug("kind fetched", "kind", req.Kind, "requests", s.Requests()-n0)
	return err
}
