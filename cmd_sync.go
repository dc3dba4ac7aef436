package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/internal/httpx"
	"github.com/tide-sync/tide/internal/secret"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/local"
	"github.com/tide-sync/tide/sync/report"
)

// syncOptions is everything `tide sync` was asked to do.
type syncOptions struct {
	portOptions
	integration   string
	identifier    string
	mapping       string
	blueprints    string
	initResources bool
	dryRun        bool
	kinds         []string
	concurrency   int
	writeConc     int
	summaryFile   string
	junitReport   string
	dotenvReport  string
	mdReport      string
	ci            string
	logLevel      string
	logFormat     string
	jqEnvAllow    []string
	jqItemTimeout time.Duration
	jqMaxMemory   sizeFlag
	maxResponse   sizeFlag
	timeout       time.Duration
	httpTimeout   time.Duration
	config        string
	progress      string
	progressEvery time.Duration
	params        integrations.Values
	// given lists the flags set on the command line.
	given map[string]bool
}

// portOptions says how to reach Port.
type portOptions struct {
	clientID     string
	clientSecret string
	portURL      string
	portRegion   string
}

// portFlags declares the Port connection flags.
func portFlags(fs *flag.FlagSet, o *portOptions) []flagSpec {
	fs.StringVar(&o.clientID, "port-client-id", "", "Port client id")
	fs.StringVar(&o.clientSecret, "port-client-secret", "", "Port client secret")
	fs.StringVar(&o.portURL, "port-url", "", "Port API URL, or local:PATH for the embedded file-backed Port (default "+defaultPortURL+")")
	fs.StringVar(&o.portRegion, "port-region", "", "Port region: eu or us (shortcut for --port-url)")
	return []flagSpec{
		{name: "port-client-id", group: groupPort, aliases: []string{"PORT_CLIENT_ID", "OCEAN__PORT__CLIENT_ID"}, secret: true},
		{name: "port-client-secret", group: groupPort, aliases: []string{"PORT_CLIENT_SECRET", "OCEAN__PORT__CLIENT_SECRET"}, secret: true},
		{name: "port-url", group: groupPort, aliases: []string{"PORT_BASE_URL", "OCEAN__PORT__BASE_URL"}},
		{name: "port-region", group: groupPort},
	}
}

// Help sections of sync's flags, in order; each integration's own follow.
const (
	groupPort    = "Port"
	groupMapping = "Mapping"
	groupRun     = "Run"
	groupReports = "Reports"
	groupOutput  = "Output"
)

// paramFlags declares every registered integration's parameters, bound to
// vals.
func paramFlags(fs *flag.FlagSet, vals integrations.Values, reg *integrations.Registry) []flagSpec {
	var specs []flagSpec
	for _, d := range reg.All() {
		for _, p := range d.Params {
			usage := p.Usage
			if p.Repeatable {
				fs.Var(paramFlag{name: p.Name, values: vals, repeat: true}, p.Name, usage+" (repeatable)")
			} else {
				fs.Var(paramFlag{name: p.Name, values: vals}, p.Name, usage)
			}
			ocean := "OCEAN__INTEGRATION__CONFIG__" + strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))
			specs = append(specs, flagSpec{name: p.Name, group: d.Type, aliases: append(append([]string{}, p.Env...), ocean), secret: p.Secret, lines: p.Repeatable})
		}
	}
	return specs
}

// otherIntegrationFlag reports a parameter flag given on the command line
// that belongs to an integration other than def: it would be ignored.
func otherIntegrationFlag(given map[string]bool, def integrations.Definition, reg *integrations.Registry) error {
	own := map[string]bool{}
	for _, p := range def.Params {
		own[p.Name] = true
	}
	for _, d := range reg.All() {
		if d.Type == def.Type {
			continue
		}
		for _, p := range d.Params {
			if given[p.Name] && !own[p.Name] {
				return fmt.Errorf("%w: --%s is a flag of integration %q, not of %q (the selected --integration); remove it, or select %s", errUsage, p.Name, d.Type, def.Type, d.Type)
			}
		}
	}
	return nil
}

// syncFlags declares the sync flags on fs, bound to o, and returns their
// env specs, in help order.
func syncFlags(fs *flag.FlagSet, o *syncOptions, reg *integrations.Registry) []flagSpec {
	fs.StringVar(&o.integration, "integration", "", "integration type: "+strings.Join(reg.Types(), ", "))
	fs.StringVar(&o.identifier, "identifier", "", "installation identifier of the integration in Port (default tide-<integration>)")
	portSpecs := portFlags(fs, &o.portOptions)
	fs.StringVar(&o.mapping, "mapping", "", "mapping (port-app-config) YAML or JSON file; default: the mapping stored on the Port integration")
	fs.StringVar(&o.blueprints, "blueprints", "", "JSON file of blueprints to create or update (an array, or Port's export {\"ok\": true, \"blueprints\": [...]}): on the local target, which then gets the integration's default blueprints only with --init-resources; on Port, with --init-resources (a dry run lists them in the plan)")
	fs.Var(boolValue{&o.initResources}, "init-resources", "create the integration's default blueprints when missing, and on Port those of --blueprints (created or updated)")
	fs.Var(boolValue{&o.dryRun}, "dry-run", "write nothing; print the plan")
	fs.Var(listFlag{&o.kinds}, "kinds", "sync only these kinds (comma-separated or repeated); deletion is scoped to blueprints only they write")
	o.concurrency, o.writeConc = 4, 8
	fs.Var(intValue{&o.concurrency}, "concurrency", "resource blocks fetched in parallel")
	fs.Var(intValue{&o.writeConc}, "write-concurrency", "Port write requests in flight")
	fs.StringVar(&o.summaryFile, "summary-file", "", "write the JSON summary to this file")
	fs.StringVar(&o.junitReport, "junit-report", "", "write a JUnit XML report to this file: one test case per resource block (GitLab's Tests tab)")
	fs.StringVar(&o.dotenvReport, "dotenv-report", "", "write the results as TIDE_RESULT_* variables to this dotenv file (GitLab's artifacts:reports:dotenv)")
	fs.StringVar(&o.mdReport, "markdown-report", "", "write the summary as markdown to this file (the GitHub step summary's content; for a pull-request comment)")
	fs.StringVar(&o.ci, "ci", "auto", "CI reporting: auto (GitHub Actions from GITHUB_ACTIONS, GitLab CI from GITLAB_CI), github, gitlab or none")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.Var(listFlag{&o.jqEnvAllow}, "jq-env-allow", "environment variables the mapping's env/$ENV may read (comma-separated)")
	o.jqItemTimeout = budget.DefaultItemTimeout
	fs.Var(durationValue{&o.jqItemTimeout}, "jq-item-timeout", "time budget of one item's mapping (selector, itemsToParse and every field); past it the block fails")
	o.jqMaxMemory = sizeFlag(budget.DefaultMaxMemory)
	fs.Var(&o.jqMaxMemory, "jq-max-memory", "how far one item's mapping may grow the heap, and the largest value a field may give (e.g. 64MiB); past it the block fails")
	o.maxResponse = sizeFlag(integrations.DefaultMaxResponse)
	fs.Var(&o.maxResponse, "max-response-size", "largest vendor response body read (e.g. 256MiB); a larger one fails its block")
	fs.Var(durationValue{&o.timeout}, "timeout", "stop the run after this long (e.g. 30m, or seconds: 1800); 0 means no limit")
	o.httpTimeout = httpx.DefaultTimeout
	fs.Var(durationValue{&o.httpTimeout}, "http-timeout", fmt.Sprintf("bound on one HTTP attempt to Port or the vendor; one request gives up retrying after %d times this", httpx.ElapsedPerTimeout))
	fs.StringVar(&o.config, "config", "", "config file of 'flag value' lines, read after flags and env")

	specs := []flagSpec{
		{name: "integration", group: groupPort, aliases: []string{"OCEAN__INTEGRATION__TYPE"}},
		{name: "identifier", group: groupPort, aliases: []string{"OCEAN__INTEGRATION__IDENTIFIER"}},
	}
	specs = append(specs, portSpecs...)
	specs = append(specs,
		flagSpec{name: "mapping", group: groupMapping},
		flagSpec{name: "blueprints", group: groupMapping},
		flagSpec{name: "init-resources", group: groupMapping, aliases: []string{"OCEAN__INITIALIZE_PORT_RESOURCES"}},
		flagSpec{name: "jq-env-allow", group: groupMapping, list: true},
		flagSpec{name: "jq-item-timeout", group: groupMapping},
		flagSpec{name: "jq-max-memory", group: groupMapping},
		flagSpec{name: "max-response-size", group: groupRun},
		flagSpec{name: "dry-run", group: groupRun},
		flagSpec{name: "kinds", group: groupRun, list: true},
		flagSpec{name: "concurrency", group: groupRun},
		flagSpec{name: "write-concurrency", group: groupRun},
		flagSpec{name: "timeout", group: groupRun},
		flagSpec{name: "http-timeout", group: groupRun},
		flagSpec{name: "config", group: groupRun},
		flagSpec{name: "summary-file", group: groupReports},
		flagSpec{name: "junit-report", group: groupReports},
		flagSpec{name: "dotenv-report", group: groupReports},
		flagSpec{name: "markdown-report", group: groupReports},
		flagSpec{name: "ci", group: groupReports},
		flagSpec{name: "log-level", group: groupReports},
		flagSpec{name: "log-format", group: groupReports},
		flagSpec{name: "progress", group: groupReports},
		flagSpec{name: "progress-interval", group: groupReports},
	)
	fs.StringVar(&o.progress, "progress", "auto", "progress during the sync: auto (a live status when stderr is a terminal, else lines), lines (a log line per block every --progress-interval), live or none")
	o.progressEvery = 15 * time.Second
	fs.Var(durationValue{&o.progressEvery}, "progress-interval", "time between progress lines")
	o.params = integrations.Values{}
	return append(specs, paramFlags(fs, o.params, reg)...)
}

// paramFlag stores an integration parameter in Values.
type paramFlag struct {
	name   string
	values integrations.Values
	repeat bool
}

func (p paramFlag) String() string {
	if p.values == nil {
		return ""
	}
	return strings.Join(p.values[p.name], " ")
}

func (p paramFlag) Set(v string) error {
	if p.repeat {
		p.values[p.name] = append(p.values[p.name], v)
	} else {
		p.values[p.name] = []string{v}
	}
	return nil
}

// parseSync fills syncOptions from args, env and the config file.
func parseSync(args []string, getenv func(string) string, stdout io.Writer, reg *integrations.Registry) (*syncOptions, []flagSpec, error) {
	o := &syncOptions{}
	fs := flag.NewFlagSet("tide sync", flag.ContinueOnError)
	specs := syncFlags(fs, o, reg)
	pos, err := parseArgs("sync", fs, args, stdout, func(w io.Writer) { printSyncUsage(w, fs, specs, reg) })
	if err != nil {
		return nil, nil, err
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	if len(pos) > 0 {
		return nil, nil, fmt.Errorf("%w: unexpected argument %q (see tide sync --help)", errUsage, pos[0])
	}
	if err := applyEnv(fs, specs, getenv); err != nil {
		return nil, nil, err
	}
	if o.config != "" {
		if err := ff.Parse(fs, nil, ff.WithConfigFile(o.config), ff.WithConfigFileParser(ff.PlainParser)); err != nil {
			return nil, nil, fmt.Errorf("%w: --config %s: %v", errUsage, o.config, err)
		}
	}
	return o, specs, nil
}

func runSync(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	reg := registry()
	o, specs, err := parseSync(args, getenv, stdout, reg)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	// The run's secret set: the configured secrets now, every token tide
	// obtains (Port access token, installation and auth-request tokens) the
	// moment it exists.
	secrets := secret.New()
	ciMode := "auto"
	if o != nil {
		secrets.Add(o.secrets(specs)...)
		ciMode = o.ci
	}
	rawStderr := stderr
	// Everything printed goes through the redactor: no secret reaches a log,
	// an error or a summary, even by accident.
	stdout, stderr = redact(stdout, secrets), redact(stderr, secrets)
	ci, cerr := newCIReporter(ciMode, getenv, rawStderr, stderr, secrets)
	if err == nil {
		err = cerr
	}
	// The runner learns the secrets before anything else is printed, and
	// each token obtained later as it is obtained.
	ci.Mask(secrets.Values())
	secrets.OnAdd(func(v string) { ci.Mask([]string{v}) })
	rep := &reporting{ci: ci, stderr: stderr, secrets: secrets}
	if o != nil {
		rep.junit, rep.dotenv, rep.markdown, rep.mapping = o.junitReport, o.dotenvReport, o.mdReport, o.mapping
		rep.summary = o.summaryFile
		rep.removeStale()
	}
	if err != nil {
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return rep.finish(report.Outcome{Error: err.Error(), ExitCode: exitUsage})
	}
	log, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return rep.finish(report.Outcome{Error: err.Error(), ExitCode: exitUsage})
	}
	res, err := syncOnce(ctx, o, getenv, log, stderr, reg, ci.Phase, secrets)
	code := exitCode(res, err)
	if r, rerr := redactResult(res, secrets.Values()); rerr == nil {
		res = r
	} else {
		// Cannot happen for a Result; keep the stream redactors as the guard.
		log.Error("redacting the summary", "err", rerr)
	}
	if err != nil {
		if errors.Is(err, tsync.ErrInterrupted) || errors.Is(context.Cause(ctx), tsync.ErrInterrupted) {
			code = exitInterrupted
		}
		ci.EndPhase()
		fmt.Fprintf(stderr, "tide: %v\n", err)
		out := report.Outcome{Error: err.Error(), ExitCode: code}
		// A mapping error's line, so an annotation points at it.
		var at interface{ Line() int }
		if errors.As(err, &at) {
			out.MappingLine = at.Line()
		}
		if res != nil {
			// The sync ran; only saving the local target failed.
			out.Result = res
		}
		return rep.finish(out)
	}
	ci.Phase("Summary")
	if isTerminal(stdout) && getenv("NO_COLOR") == "" {
		report.ColorText(stdout, res)
	} else {
		report.Text(stdout, res)
	}
	return rep.finish(report.Outcome{Result: res, ExitCode: code})
}

// syncOnce validates the options, builds the integration and the Port
// client, and runs one sync.
func syncOnce(ctx context.Context, o *syncOptions, getenv func(string) string, log *slog.Logger, stderr io.Writer, reg *integrations.Registry, phase func(string), secrets *secret.Set) (*tsync.Result, error) {
	def, err := lookupIntegration(reg, o.integration, "--integration")
	if err != nil {
		return nil, err
	}
	if err := otherIntegrationFlag(o.given, def, reg); err != nil {
		return nil, err
	}
	if o.identifier == "" {
		o.identifier = "tide-" + def.Type
	}
	if o.concurrency < 1 {
		return nil, fmt.Errorf("%w: --concurrency must be at least 1, got %d", errUsage, o.concurrency)
	}
	if o.writeConc < 1 {
		return nil, fmt.Errorf("%w: --write-concurrency must be at least 1, got %d", errUsage, o.writeConc)
	}
	if o.timeout < 0 {
		return nil, fmt.Errorf("%w: --timeout must not be negative", errUsage)
	}
	if o.jqItemTimeout <= 0 {
		return nil, fmt.Errorf("%w: --jq-item-timeout must be positive, got %s", errUsage, o.jqItemTimeout)
	}
	if o.httpTimeout <= 0 {
		return nil, fmt.Errorf("%w: --http-timeout must be positive, got %s", errUsage, o.httpTimeout)
	}
	if o.progressEvery <= 0 {
		return nil, fmt.Errorf("%w: --progress-interval must be positive, got %s", errUsage, o.progressEvery)
	}
	progressMode, err := resolveProgress(o.progress, stderr)
	if err != nil {
		return nil, err
	}
	baseURL, localPath, err := o.target()
	if err != nil {
		return nil, err
	}
	var blueprints []map[string]any
	if o.blueprints != "" && localPath == "" {
		// Writing blueprints to Port is what --init-resources allows.
		if !o.initResources {
			return nil, fmt.Errorf("%w: --blueprints %s writes blueprints to Port only with --init-resources (or use --port-url local:PATH)", errUsage, o.blueprints)
		}
		if blueprints, err = readBlueprints(o.blueprints); err != nil {
			return nil, err
		}
	}
	var mappingSrc []byte
	if o.mapping != "" {
		if mappingSrc, err = os.ReadFile(o.mapping); err != nil {
			return nil, fmt.Errorf("%w: --mapping: %v", errUsage, err)
		}
	}
	jqEnv := map[string]string{}
	for _, name := range o.jqEnvAllow {
		if v := getenv(name); v != "" {
			jqEnv[name] = v
		}
	}

	params := integrations.Values{}
	for _, p := range def.Params {
		params[p.Name] = o.params.List(p.Name)
		if len(params[p.Name]) == 0 && p.Default != "" {
			params[p.Name] = []string{p.Default}
		}
	}
	src, err := def.New(integrations.Settings{Values: params, Getenv: getenv, Logger: log.With("integration", def.Type), Secrets: secrets, HTTPTimeout: o.httpTimeout, MaxResponse: int64(o.maxResponse)})
	if err != nil {
		return nil, fmt.Errorf("integration %q: %w", def.Type, err)
	}

	pc := port.Config{
		Secrets:         secrets,
		Timeout:         o.httpTimeout,
		BaseURL:         baseURL,
		ClientID:        o.clientID,
		ClientSecret:    o.clientSecret,
		IntegrationType: def.Type,
		IntegrationID:   o.identifier,
		Version:         buildVersion(),
		Logger:          log.With("component", "port"),
	}
	var target *local.Server
	if localPath != "" {
		if target, err = openLocal(localPath, def, o.blueprints, o.initResources); err != nil {
			return nil, err
		}
		pc.BaseURL, pc.HTTPClient = "http://local.tide", target.Client()
		pc.ClientID, pc.ClientSecret = "local", "local"
	} else if o.clientID == "" || o.clientSecret == "" {
		return nil, fmt.Errorf("%w: --port-client-id and --port-client-secret (TIDE_PORT_CLIENT_ID, TIDE_PORT_CLIENT_SECRET or PORT_CLIENT_ID, PORT_CLIENT_SECRET) are required; or use --port-url local:PATH", errUsage)
	}

	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("%w after %s (--timeout)", tsync.ErrTimeout, o.timeout))
		defer cancel()
	}
	prog := &tsync.Progress{}
	reporter := &progressReporter{p: prog, mode: progressMode, interval: o.progressEvery, log: log, w: stderr}
	res, err := withProgress(ctx, reporter, func() (*tsync.Result, error) {
		return tsync.Run(ctx, tsync.Config{
			Definition:       def,
			Source:           src,
			Client:           port.New(pc),
			Identifier:       o.identifier,
			Version:          buildVersion(),
			Mapping:          mappingSrc,
			MappingName:      o.mapping,
			InitResources:    o.initResources,
			Blueprints:       blueprints,
			Kinds:            o.kinds,
			DryRun:           o.dryRun,
			Concurrency:      o.concurrency,
			WriteConcurrency: o.writeConc,
			JQEnv:            jqEnv,
			JQBudget:         budget.Limits{ItemTimeout: o.jqItemTimeout, MaxMemory: uint64(o.jqMaxMemory)},
			Logger:           log,
			Phase:            phase,
			Progress:         prog,
		})
	})
	if err != nil {
		return nil, err
	}
	if target != nil && !o.dryRun {
		if err := target.SaveFile(localPath); err != nil {
			return res, fmt.Errorf("saving local target %s: %w", localPath, err)
		}
		log.Info("local catalog saved", "path", localPath, "entities", target.Len())
	}
	return res, nil
}
