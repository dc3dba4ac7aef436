// Package github syncs GitHub organisations, repositories and what lives in
// them (pull requests, issues, teams, workflows, alerts, files, ...) with
// the items and enrichment keys of Ocean's GitHub integration, so Ocean
// mappings work unchanged.
//
// Auth is a token (--github-token, also GITHUB_TOKEN) or a GitHub App
// (--github-app-id and --github-app-private-key: a JWT mints installation
// tokens, re-minted before they expire). Every request of a run goes through
// one client: a semaphore bounds the requests in flight across all resource
// blocks, primary limits (x-ratelimit-*) are paced and waited out, secondary
// limits (403/429 with retry-after) are backed off and retried, 5xx pages
// are retried and then asked for in halves. A 401, a 403 that is no rate
// limit, or a 404 on an org-level listing fails the resource block, so no
// deletes follow; it is never an empty result.
package github

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
	gosync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
)

//go:embed resources/*
var resources embed.FS

// Kinds lists the kinds the integration offers.
var kinds = []string{
	"organization", "repository", "pull-request", "issue", "team", "user",
	"workflow", "workflow-run", "release", "tag", "branch", "environment",
	"deployment", "dependabot-alert", "code-scanning-alerts",
	"secret-scanning-alerts", "file", "folder", "collaborator",
	"deployment-status",
}

const defaultHost = "https://api.github.com"

// Definition returns the GitHub integration.
func Definition() integrations.Definition {
	return integrations.Definition{
		Type:    "github",
		Summary: "GitHub organisations, repositories, pull requests, teams, workflows, alerts and files",
		Kinds:   append([]string(nil), kinds...),
		Params: []integrations.Param{
			{Name: "github-token", Usage: "GitHub token (classic or fine-grained PAT; in Actions, GITHUB_TOKEN)", Secret: true, Env: []string{"GITHUB_TOKEN"}},
			{Name: "github-host", Usage: "GitHub REST API URL; GitHub Enterprise Server: https://HOST/api/v3", Default: defaultHost, Env: []string{"GITHUB_API_URL"}},
			{Name: "github-app-id", Usage: "GitHub App id (App auth, with --github-app-private-key; wins over a token)"},
			{Name: "github-app-private-key", Usage: "GitHub App private key: PEM, or the PEM base64-encoded", Secret: true},
			{Name: "github-organization", Usage: "sync this organisation (or user) only; default: every organisation the token or App installation sees"},
			{Name: "github-concurrency", Usage: "GitHub requests in flight at once, shared by every resource block", Default: "10"},
		},
		Selectors: selectorFields(),
		Resources: integrations.Resources(resources),
		New: func(s integrations.Settings) (integrations.Source, error) {
			cfg, err := configFrom(s.Values, s.Getenv)
			if err != nil {
				return nil, err
			}
			cfg.HTTPClient, cfg.Logger, cfg.Secrets, cfg.HTTPTimeout, cfg.MaxResponse = s.HTTPClient, s.Logger, s.Secrets, s.HTTPTimeout, s.ResponseLimit()
			return NewSource(cfg)
		},
	}
}

// Config is what a Source is built from.
type Config struct {
	Host          string // REST base URL
	Token         string
	AppID         string
	AppPrivateKey string // PEM or base64 PEM
	Organization  string
	Concurrency   int
	HTTPClient    *http.Client
	Logger        *slog.Logger
	// Secrets is the run's secret set: installation tokens join it the
	// moment they are minted. Nil: a set of the Source's own.
	Secrets *secret.Set
	// HTTPTimeout bounds one attempt; 0: the shared client's default.
	HTTPTimeout time.Duration
	// MaxResponse bounds one answer's body in bytes
	// (--max-response-size); zero means integrations.DefaultMaxResponse.
	MaxResponse int64
}

// configFrom reads the parameters. In GitHub Actions, a run on the
// workflow's own GITHUB_TOKEN is pinned to the repository's owner: that
// token sees nothing else, and /user/orgs refuses it.
func configFrom(v integrations.Values, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg := Config{
		Host:          v.Get("github-host"),
		Token:         strings.TrimSpace(v.Get("github-token")),
		AppID:         strings.TrimSpace(v.Get("github-app-id")),
		AppPrivateKey: v.Get("github-app-private-key"),
		Organization:  strings.TrimSpace(v.Get("github-organization")),
	}
	if c := v.Get("github-concurrency"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > 100 {
			return cfg, fmt.Errorf("%w: --github-concurrency (TIDE_GITHUB_CONCURRENCY) %q: want a whole number from 1 to 100", integrations.ErrConfig, c)
		}
		cfg.Concurrency = n
	}
	if cfg.Organization == "" && cfg.AppID == "" && getenv("GITHUB_ACTIONS") == "true" &&
		cfg.Token != "" && cfg.Token == getenv("GITHUB_TOKEN") {
		cfg.Organization = getenv("GITHUB_REPOSITORY_OWNER")
	}
	return cfg, nil
}

// Source streams GitHub items. It is safe for concurrent use; one Source
// serves one run, and its client's limits hold across all resource blocks.
type Source struct {
	c       *client
	log     *slog.Logger
	secrets *secret.Set
	pat     *patCredential
	app     *appCredential
	check   string // the flags to check when GitHub refuses the credentials
	org     string
	fanout  int

	scopesOnce gosync.Once
	scopesVal  []scope
	scopesErr  error

	reposMu gosync.Mutex
	repos   map[string]*reposFuture

	searched memo[[]map[string]any] // repoSearch listings
	files    memo[any]              // file:// values
	userOnce gosync.Once            // includeAuthenticatedUser
	userVal  scope
	userErr  error
	saml     memo[map[string]string] // includeSAMLEmail, per organisation
}

// NewSource validates cfg and builds a Source. It makes no request.
func NewSource(cfg Config) (*Source, error) {
	host := strings.TrimSpace(cfg.Host)
	if host == "" {
		host = defaultHost
	}
	u, err := url.Parse(host)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("%w: --github-host (TIDE_GITHUB_HOST, GITHUB_API_URL) %q: want an http(s) URL like %s, or https://HOST/api/v3 for GitHub Enterprise Server", integrations.ErrConfig, cfg.Host, defaultHost)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	secrets := cfg.Secrets
	if secrets == nil {
		secrets = secret.New()
	}
	secrets.Add(cfg.Token)
	s := &Source{
		c: newClient(host, httpx.Options{
			API:         "github",
			HTTPClient:  cfg.HTTPClient,
			MaxInFlight: cfg.Concurrency,
			Timeout:     cfg.HTTPTimeout,
			MaxBody:     cfg.MaxResponse,
			MaxBodyFlag: "--max-response-size",
			MaxAttempts: 5,
			MaxWait:     maxRateWait,
			RateLimit:   httpx.GitHub,
			UserAgent:   "tide-github",
			Secrets:     secrets,
			Logger:      log,
		}),
		log:     log,
		secrets: secrets,
		org:     cfg.Organization,
		fanout:  2 * cfg.Concurrency,
		repos:   map[string]*reposFuture{},
	}
	switch {
	case cfg.AppID != "" || strings.TrimSpace(cfg.AppPrivateKey) != "":
		if cfg.AppID == "" {
			return nil, fmt.Errorf("%w: --github-app-private-key is set but --github-app-id (TIDE_GITHUB_APP_ID) is not; App auth needs both", integrations.ErrConfig)
		}
		if _, err := strconv.ParseInt(cfg.AppID, 10, 64); err != nil {
			return nil, fmt.Errorf("%w: --github-app-id %q: want the App's numeric id", integrations.ErrConfig, cfg.AppID)
		}
		if strings.TrimSpace(cfg.AppPrivateKey) == "" {
			return nil, fmt.Errorf("%w: --github-app-id is set but --github-app-private-key (TIDE_GITHUB_APP_PRIVATE_KEY) is not; App auth needs both", integrations.ErrConfig)
		}
		key, err := parsePrivateKey(cfg.AppPrivateKey)
		if err != nil {
			return nil, fmt.Errorf("%w: --github-app-private-key: %v", integrations.ErrConfig, err)
		}
		// The JWT's times are read by GitHub against its own clock: the
		// wall clock's, never a test's.
		s.app = &appCredential{id: cfg.AppID, pkey: key, now: time.Now}
		s.check = appCheck
	case cfg.Token != "":
		s.pat = &patCredential{token: cfg.Token}
		s.check = tokenCheck
	default:
		return nil, fmt.Errorf("%w: GitHub credentials are required: --github-token (TIDE_GITHUB_TOKEN or GITHUB_TOKEN), or --github-app-id with --github-app-private-key", integrations.ErrConfig)
	}
	return s, nil
}

// Requests returns how many HTTP requests the Source has sent.
func (s *Source) Requests() int64 { return s.c.hx.Stats().Requests }

// MaxInFlight returns the most requests the Source ever had in flight at
// once; it never exceeds the configured concurrency.
func (s *Source) MaxInFlight() int64 { return s.c.hx.Stats().MaxInFlight }

// ValidateRequest checks a resource block's selector and the mapping's
// top-level keys before anything is fetched.
func (s *Source) ValidateRequest(req integrations.Request) error {
	_, err := parseRequest(req, s.c.now())
	return err
}

// Resync streams every item of req.Kind.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	r, err := parseRequest(req, s.c.now())
	if err != nil {
		return err
	}
	h := handlerFor(req.Kind)
	if h == nil {
		return fmt.Errorf("kind %q: %w (the github integration offers: %s)", req.Kind, integrations.ErrUnknownKind, strings.Join(kinds, ", "))
	}
	n0 := s.Requests()
	err = h(ctx, s, r, &emitter{emit: emit})
	s.log.Debug("kind fetched", "kind", req.Kind, "requests", s.Requests()-n0)
	return err
}

// emitter serialises emits from concurrent per-repository fetches: the
// engine's Emit is not safe for concurrent use.
type emitter struct {
	mu   gosync.Mutex
	emit integrations.Emit
}

func (e *emitter) send(items []map[string]any) error {
	if len(items) == 0 {
		return nil
	}
	page := make([]integrations.Item, len(items))
	for i, it := range items {
		page[i] = it
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.emit(page)
}

// ---- organisations and installations ----

// scope is one organisation (or user account) and the credential to read it.
type scope struct {
	cred  credential
	login string
	user  bool           // a user account, not an organisation
	self  bool           // the token's own account (includeAuthenticatedUser)
	item  map[string]any // the organisation item, as /users/{login} gives it
}

// scopes discovers, once a run, the accounts to sync: with App auth every
// non-suspended installation (or the pinned organisation's); with a token
// the pinned organisation, else every organisation of the token's user.
func (s *Source) scopes(ctx context.Context) ([]scope, error) {
	s.scopesOnce.Do(func() {
		if s.app != nil {
			s.scopesVal, s.scopesErr = s.appScopes(ctx)
		} else {
			s.scopesVal, s.scopesErr = s.tokenScopes(ctx)
		}
	})
	return s.scopesVal, s.scopesErr
}

func (s *Source) tokenScopes(ctx context.Context) ([]scope, error) {
	if s.org != "" {
		sc, err := s.account(ctx, s.pat, s.org)
		if err != nil {
			return nil, err
		}
		return []scope{sc}, nil
	}
	var out []scope
	err := s.c.list(ctx, s.pat, "/user/orgs", nil, listOpts{}, func(items []map[string]any) (bool, error) {
		for _, it := range items {
			// /user/orgs items lack the type; Ocean adds it.
			it["type"] = "Organization"
			login, _ := it["login"].(string)
			out = append(out, scope{cred: s.pat, login: login, item: it})
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the token's organisations: %w", s.firstRefusal(err))
	}
	return out, nil
}

func (s *Source) appScopes(ctx context.Context) ([]scope, error) {
	type installation struct {
		id      int64
		login   string
		user    bool
		suspend bool
	}
	var insts []installation
	err := s.c.list(ctx, s.app, "/app/installations", nil, listOpts{}, func(items []map[string]any) (bool, error) {
		for _, it := range items {
			acc, _ := it["account"].(map[string]any)
			login, _ := acc["login"].(string)
			typ, _ := acc["type"].(string)
			id, _ := it["id"].(float64)
			insts = append(insts, installation{id: int64(id), login: login, user: typ == "User", suspend: it["suspended_at"] != nil})
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the App's installations: %w", s.firstRefusal(err))
	}
	var out []scope
	for _, in := range insts {
		if in.suspend {
			s.log.Info("skipping suspended App installation", "account", in.login)
			continue
		}
		if s.org != "" && !strings.EqualFold(in.login, s.org) {
			continue
		}
		cred := newInstallationCredential(s.c, s.app, in.id, s.secrets)
		sc, err := s.account(ctx, cred, in.login)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	if s.org != "" && len(out) == 0 {
		return nil, integrations.CredentialsError(appCheck+" and --github-organization", fmt.Errorf("the GitHub App has no active installation on %q; install it there or fix the name", s.org))
	}
	return out, nil
}

// account reads one organisation or user (GET /users/{login}).
func (s *Source) account(ctx context.Context, cred credential, login string) (scope, error) {
	var item map[string]any
	if err := s.c.getJSON(ctx, cred, "/users/"+url.PathEscape(login), nil, &item); err != nil {
		return scope{}, fmt.Errorf("reading organisation %q: %w", login, s.firstRefusal(err))
	}
	typ, _ := item["type"].(string)
	if l, ok := item["login"].(string); ok {
		login = l
	}
	return scope{cred: cred, login: login, user: typ == "User", item: item}, nil
}

// refusal names what a 401/403/404 means for the user. A 401 is GitHub
// rejecting the credentials (integrations.ErrCredentials: exit 2).
func (s *Source) refusal(err error) error {
	var ae *APIError
	if !errors.As(err, &ae) || errors.Is(err, integrations.ErrCredentials) {
		return err
	}
	switch ae.Status {
	case http.StatusUnauthorized:
		return integrations.CredentialsError(s.check, fmt.Errorf("GitHub rejected the credentials (401): %w", err))
	case http.StatusForbidden:
		return fmt.Errorf("GitHub refused access (403; the token lacks a scope or permission): %w", err)
	case http.StatusNotFound:
		return fmt.Errorf("not found, or not visible to these credentials (404): %w", err)
	}
	return err
}

// firstRefusal is refusal for the first requests of a run (the accounts
// to sync): a 403 there, no rate limit, means the credentials reach
// nothing, which is a credentials problem too.
func (s *Source) firstRefusal(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusForbidden && !ae.RateLimited && !errors.Is(err, integrations.ErrCredentials) {
		return integrations.CredentialsError(s.check, fmt.Errorf("GitHub refused the first request of the run (403): %w", err))
	}
	return s.refusal(err)
}

// CheckCredentials resolves the accounts the run syncs (the organisations,
// or the App's installations and their tokens): the first requests every
// block needs anyway, made before anything is written. A refusal is
// returned; any other error is left for the blocks to report.
func (s *Source) CheckCredentials(ctx context.Context, _ []integrations.Request) error {
	_, err := s.scopes(ctx)
	if errors.Is(err, integrations.ErrCredentials) {
		return err
	}
	return nil
}

// orgScopes applies the mapping's `organizations` allow-list.
func (s *Source) orgScopes(ctx context.Context, r *request) ([]scope, error) {
	all, err := s.scopes(ctx)
	if err != nil {
		return nil, err
	}
	if r.includeUser && s.pat != nil && s.org == "" {
		// Ocean's includeAuthenticatedUser: the token's own account too.
		u, err := s.authUser(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all[:len(all):len(all)], u)
	}
	if len(r.organizations) == 0 {
		return all, nil
	}
	var out []scope
	for _, sc := range all {
		for _, o := range r.organizations {
			if strings.EqualFold(o, sc.login) {
				out = append(out, sc)
				break
			}
		}
	}
	return out, nil
}

// ---- repositories ----

type reposFuture struct {
	done  chan struct{}
	repos []map[string]any
	err   error
	// dropped: the caller that listed stopped early, so repos is not the
	// whole list; whoever waited lists again.
	dropped bool
}

// repositories lists an account's repositories once a run and shares the
// list with every kind that needs it. The caller that lists them gets each
// page in each (when not nil) as it is listed, and streamed true, so it
// can hand pages on before the listing ends (`tide map --live --limit`
// stops after the first); a caller that finds the list listed or being
// listed waits for the whole list. An error from each stops the listing
// and returns that error; the partial list is dropped, not shared.
func (s *Source) repositories(ctx context.Context, sc scope, repoType string, each func(page []map[string]any) error) (repos []map[string]any, streamed bool, err error) {
	key := sc.login + "\x00" + repoType
	for {
		s.reposMu.Lock()
		f, ok := s.repos[key]
		if !ok {
			f = &reposFuture{done: make(chan struct{})}
			s.repos[key] = f
		}
		s.reposMu.Unlock()
		if !ok {
			return s.listShared(ctx, sc, repoType, key, f, each)
		}
		select {
		case <-f.done:
			if !f.dropped {
				return f.repos, false, f.err
			}
		case <-ctx.Done():
			return nil, false, context.Cause(ctx)
		}
	}
}

// errReaderStopped cancels a repository listing whose reader stopped.
var errReaderStopped = errors.New("github: the reader of the repository listing stopped")

// listShared lists the repositories into f, the run's shared list. With
// each, the listing runs on its own and each gets every page, in the
// caller's goroutine, as it arrives: the listing never waits for each (the
// other blocks get the whole list as soon as it is listed), and an each
// that stops cancels it (f is then dropped).
func (s *Source) listShared(ctx context.Context, sc scope, repoType, key string, f *reposFuture, each func(page []map[string]any) error) ([]map[string]any, bool, error) {
	if each == nil {
		defer close(f.done)
		f.repos, f.err = s.listRepositories(ctx, sc, repoType, nil)
		return f.repos, true, f.err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu       gosync.Mutex
		pages    [][]map[string]any
		finished bool
		wake     = make(chan struct{}, 1)
	)
	notify := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var g errgroup.Group
	g.Go(func() error {
		repos, err := s.listRepositories(lctx, sc, repoType, func(page []map[string]any) error {
			mu.Lock()
			pages = append(pages, page)
			mu.Unlock()
			notify()
			return nil
		})
		if errors.Is(context.Cause(lctx), errReaderStopped) {
			// Cut short: not the whole list, so not shared.
			s.reposMu.Lock()
			delete(s.repos, key)
			s.reposMu.Unlock()
			f.dropped = true
		} else {
			f.repos, f.err = repos, err
		}
		close(f.done)
		mu.Lock()
		finished = true
		mu.Unlock()
		notify()
		return nil
	})
	for {
		mu.Lock()
		batch, fin := pages, finished
		pages = nil
		mu.Unlock()
		for _, p := range batch {
			if err := each(p); err != nil {
				cancel(errReaderStopped)
				_ = g.Wait()
				return nil, true, err
			}
		}
		if fin {
			_ = g.Wait()
			return f.repos, true, f.err
		}
		<-wake
	}
}

// listRepositories reads an account's repositories, calling each with
// every page (a user account's filtered by visibility) as it arrives.
func (s *Source) listRepositories(ctx context.Context, sc scope, repoType string, each func(page []map[string]any) error) ([]map[string]any, error) {
	path, q := "/orgs/"+url.PathEscape(sc.login)+"/repos", url.Values{"type": {repoType}}
	switch {
	case sc.self:
		// The token's own account: /user/repos sees its private
		// repositories too (Ocean: affiliation=owner).
		path, q = "/user/repos", url.Values{"affiliation": {"owner"}, "visibility": {repoType}}
	case sc.user:
		// /users/{u}/repos filters by ownership only: visibility is
		// filtered here.
		path, q = "/users/"+url.PathEscape(sc.login)+"/repos", url.Values{"type": {"owner"}}
	}
	var out []map[string]any
	err := s.c.list(ctx, sc.cred, path, q, listOpts{}, func(items []map[string]any) (bool, error) {
		start := len(out)
		for _, it := range items {
			if sc.user && !sc.self && repoType != "all" {
				private, _ := it["private"].(bool)
				if (repoType == "private") != private {
					continue
				}
			}
			out = append(out, it)
		}
		if len(out) == start || each == nil {
			return true, nil
		}
		// A full slice expression: each may not append into out.
		return true, each(out[start:len(out):len(out)])
	})
	if err != nil {
		return nil, fmt.Errorf("listing repositories of %q: %w", sc.login, s.refusal(err))
	}
	return out, nil
}

// repoTask is the work a per-repository kind does for one repository.
type repoTask func(ctx context.Context, sc scope, repo map[string]any, out *repoEmitter) error

// repoEmitter stamps Ocean's __repository and __organization on a
// repository's items before they are emitted.
type repoEmitter struct {
	e     *emitter
	repo  string
	org   string
	count int
}

func (o *repoEmitter) send(items []map[string]any) error {
	for _, it := range items {
		it["__repository"] = o.repo
		it["__organization"] = o.org
	}
	o.count += len(items)
	return o.e.send(items)
}

// maxRepoErrors caps the per-repository errors quoted in a block's error.
const maxRepoErrors = 3

// eachRepo runs task for every repository of every account in scope,
// concurrently; the client's semaphore bounds the requests in flight.
// One repository failing fails the block (no deletes follow) but the other
// repositories still sync. A 404 on the first request of a repository's
// resource (the repository was just listed, so it exists) means the feature
// is off: nothing there, as in Ocean. A 404 on something listed a moment
// before (a workflow's runs, a deployment's statuses, a later page) is
// wrapped by midListing or the client and fails the block; so does a 404
// after the task already emitted items of the repository, which would
// otherwise keep part of its items and delete the rest. A 401 stops the
// block at once.
func (s *Source) eachRepo(ctx context.Context, r *request, e *emitter, task repoTask) error {
	scs, err := s.orgScopes(ctx, r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu       gosync.Mutex
		failed   []error
		nFailed  int
		notFound int
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		nFailed++
		if len(failed) < maxRepoErrors {
			failed = append(failed, err)
		}
	}
	g := &errgroup.Group{}
	g.SetLimit(s.fanout)
	for _, sc := range scs {
		repos, err := s.reposFor(ctx, sc, r)
		if err != nil {
			cancel(err)
			break
		}
		for _, repo := range repos {
			if ctx.Err() != nil {
				break
			}
			name, _ := repo["name"].(string)
			g.Go(func() error {
				out := &repoEmitter{e: e, repo: name, org: sc.login}
				err := task(ctx, sc, repo, out)
				var ae *APIError
				switch {
				case err == nil:
				case errors.As(err, &ae) && ae.Status == http.StatusNotFound && out.count > 0:
					fail(fmt.Errorf("repository %s/%s: %w: answered 404 after %d of its items were listed: %v", sc.login, name, integrations.ErrIncomplete, out.count, err))
				case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
					mu.Lock()
					notFound++
					mu.Unlock()
					s.log.Debug("not found for a repository: nothing to sync there", "repository", sc.login+"/"+name, "err", err)
				case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized, errors.Is(err, integrations.ErrCredentials):
					cancel(fmt.Errorf("repository %s/%s: %w", sc.login, name, s.refusal(err)))
				case ctx.Err() != nil:
				default:
					fail(fmt.Errorf("repository %s/%s: %w", sc.login, name, s.refusal(err)))
				}
				return nil
			})
		}
	}
	_ = g.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if notFound > 0 {
		s.log.Info("repositories without this resource (404): synced as having none", "kind", r.kind, "repositories", notFound)
	}
	if nFailed > 0 {
		return fmt.Errorf("%d repositories failed: %w", nFailed, errors.Join(failed...))
	}
	return nil
}
