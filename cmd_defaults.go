package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/secret"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/local"
)

// runDefaults is `tide defaults show|dock|clean`.
func runDefaults(env *cliEnv, args []string) int {
	reg := registry()
	var (
		po          portOptions
		integration string
		identifier  string
		dryRun      bool
		force       bool
		only        string
	)
	fs := flag.NewFlagSet("tide defaults", flag.ContinueOnError)
	fs.StringVar(&integration, "integration", "", "integration type: "+strings.Join(reg.Types(), ", "))
	fs.StringVar(&identifier, "identifier", "", "installation identifier of the integration object (default tide-<integration>)")
	fs.Var(boolValue{&dryRun}, "dry-run", "dock, clean: say what would be created or deleted; change nothing")
	fs.Var(boolValue{&force}, "force", "clean: also delete the entities the blueprints hold")
	fs.StringVar(&only, "only", "", "show: blueprints or mapping (default both)")
	specs := []flagSpec{{name: "integration", aliases: []string{"OCEAN__INTEGRATION__TYPE"}}, {name: "identifier", aliases: []string{"OCEAN__INTEGRATION__IDENTIFIER"}}}
	specs = append(specs, portFlags(fs, &po)...)
	usage := func(w io.Writer) {
		fmt.Fprintln(w, `Usage: tide defaults show|dock|clean [--integration] TYPE [flags]

  show   print the integration's default blueprints (JSON) and mapping (YAML)
  dock   create them in Port: the blueprints Port lacks, in dependency order
         and in two stages (bare, then with relations), and the integration
         object with the default mapping when it does not exist; existing
         ones are left as they are
  clean  remove them: the default blueprints (dependents first) and the
         integration object; refused, deleting nothing, while the blueprints
         hold entities, unless --force

dock and clean take Port credentials as sync does; --dry-run says what they
would do.`)
		printFlags(w, fs)
		fmt.Fprintln(w, `
Examples:
  tide defaults show github --only mapping > port-app-config.yml
  tide defaults dock github --dry-run
  tide defaults clean github --port-url local:.tide/catalog.json`)
	}
	pos, code, ok := parseOrExit("defaults", fs, args, env.stdout, env.stderr, usage)
	if !ok {
		return code
	}
	secrets := secret.New()
	stdout, stderr := redact(env.stdout, secrets), redact(env.stderr, secrets)
	fail := func(err error) int {
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return exitCode(nil, err)
	}
	if err := applyEnv(fs, specs, env.getenv); err != nil {
		return fail(err)
	}
	secrets.Add(po.clientID, po.clientSecret)
	if len(pos) == 0 {
		return fail(fmt.Errorf("%w: which action? show, dock or clean (see tide defaults --help)", errUsage))
	}
	action := pos[0]
	switch {
	case len(pos) == 2 && integration == "":
		integration = pos[1]
	case len(pos) > 2 || (len(pos) == 2 && integration != ""):
		return fail(fmt.Errorf("%w: unexpected argument %q (see tide defaults --help)", errUsage, pos[len(pos)-1]))
	}
	def, err := lookupIntegration(reg, integration, "integration")
	if err != nil {
		return fail(err)
	}
	if identifier == "" {
		identifier = "tide-" + def.Type
	}
	switch action {
	case "show":
		return defaultsShow(env, stdout, def.Type, only, fail)
	case "dock", "clean":
	default:
		msg := fmt.Sprintf("defaults %q: unknown action", action)
		if s := suggestAction(action); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return fail(fmt.Errorf("%w: %s (show, dock or clean)", errUsage, msg))
	}
	if only != "" {
		return fail(fmt.Errorf("%w: --only is for show", errUsage))
	}
	if force && action != "clean" {
		return fail(fmt.Errorf("%w: --force is for clean", errUsage))
	}
	client, where, save, err := defaultsClient(po, def, secrets, dryRun)
	if err != nil {
		return fail(err)
	}
	cfg := tsync.DefaultsConfig{Definition: def, Client: client, Identifier: identifier, Version: buildVersion(), DryRun: dryRun, Force: force}
	var plan *tsync.DefaultsPlan
	if action == "dock" {
		plan, err = tsync.DockDefaults(env.ctx, cfg)
	} else {
		plan, err = tsync.CleanDefaults(env.ctx, cfg)
	}
	if plan != nil {
		// A refused clean changed nothing: say what it would have done.
		printDefaultsPlan(stdout, action, def.Type, identifier, where, dryRun || errors.Is(err, tsync.ErrEntitiesExist), plan)
	}
	if err != nil {
		if errors.Is(err, tsync.ErrEntitiesExist) {
			fmt.Fprintf(stderr, "tide: %v\n", err)
			return exitUsage
		}
		return fail(err)
	}
	if save != nil {
		if err := save(); err != nil {
			return fail(err)
		}
	}
	return exitOK
}

func suggestAction(a string) string {
	return mapping.Suggest(a, []string{"show", "dock", "clean"})
}

// defaultsShow prints the default blueprints and mapping.
func defaultsShow(env *cliEnv, w io.Writer, typ, only string, fail func(error) int) int {
	def, _ := registry().Lookup(typ)
	if only != "" && only != "blueprints" && only != "mapping" {
		return fail(fmt.Errorf("%w: --only %q: want blueprints or mapping", errUsage, only))
	}
	bps, err := def.Blueprints()
	if err != nil {
		return fail(err)
	}
	m, merr := def.DefaultMapping()
	if len(bps) == 0 && merr != nil {
		return fail(fmt.Errorf("%w: integration %q ships no default blueprints or mapping; write a mapping (see tide list %s)", errUsage, typ, typ))
	}
	if only != "mapping" {
		if only == "" {
			fmt.Fprintf(w, "# blueprints.json: the default blueprints of %s\n", typ)
		}
		b, err := json.MarshalIndent(bps, "", "  ")
		if err != nil {
			return fail(err)
		}
		fmt.Fprintln(w, string(b))
	}
	if only != "blueprints" && merr == nil {
		if only == "" {
			fmt.Fprintf(w, "\n# port-app-config.yml: the default mapping of %s\n", typ)
		}
		w.Write(m)
	}
	return exitOK
}

// defaultsClient connects to Port (or the local target, saved afterwards
// unless a dry run).
func defaultsClient(po portOptions, def integrations.Definition, secrets *secret.Set, dryRun bool) (*port.Client, string, func() error, error) {
	baseURL, localPath, err := po.target()
	if err != nil {
		return nil, "", nil, err
	}
	if localPath != "" {
		s := local.New(local.Options{ClientID: "local", ClientSecret: "local"})
		if err := s.LoadFile(localPath); err != nil {
			return nil, "", nil, fmt.Errorf("%w: --port-url local:%s: %v", errUsage, localPath, err)
		}
		c := port.New(port.Config{BaseURL: "http://local.tide", HTTPClient: s.Client(), ClientID: "local", ClientSecret: "local", IntegrationType: def.Type, Secrets: secrets})
		save := func() error {
			if dryRun {
				return nil
			}
			if err := s.SaveFile(localPath); err != nil {
				return fmt.Errorf("saving local target %s: %w", localPath, err)
			}
			return nil
		}
		return c, "local:" + localPath, save, nil
	}
	if po.clientID == "" || po.clientSecret == "" {
		return nil, "", nil, fmt.Errorf("%w: --port-client-id and --port-client-secret (TIDE_PORT_CLIENT_ID, TIDE_PORT_CLIENT_SECRET or PORT_CLIENT_ID, PORT_CLIENT_SECRET) are required; or use --port-url local:PATH", errUsage)
	}
	c := port.New(port.Config{BaseURL: baseURL, ClientID: po.clientID, ClientSecret: po.clientSecret, IntegrationType: def.Type, Secrets: secrets})
	return c, baseURL, nil, nil
}

func printDefaultsPlan(w io.Writer, action, typ, identifier, where string, dryRun bool, p *tsync.DefaultsPlan) {
	verb := map[bool]string{true: "would ", false: ""}[dryRun]
	list := func(ids []string) string {
		if len(ids) == 0 {
			return "none"
		}
		return strings.Join(ids, ", ")
	}
	fmt.Fprintf(w, "defaults %s %s in %s", action, typ, where)
	if dryRun {
		fmt.Fprint(w, ": nothing changed")
	}
	fmt.Fprintln(w)
	if action == "dock" {
		fmt.Fprintf(w, "  blueprints %screate: %s\n", verb, list(p.Create))
		fmt.Fprintf(w, "  blueprints already there, left as they are: %s\n", list(p.Skip))
		if p.Integration == "create" {
			fmt.Fprintf(w, "  integration %q: %screate with the default mapping\n", identifier, verb)
		} else {
			fmt.Fprintf(w, "  integration %q: exists, left as it is\n", identifier)
		}
		return
	}
	fmt.Fprintf(w, "  blueprints %sdelete: %s\n", verb, list(p.Delete))
	fmt.Fprintf(w, "  blueprints not there: %s\n", list(p.Skip))
	for _, id := range p.Delete {
		if n := p.Entities[id]; n > 0 {
			fmt.Fprintf(w, "  blueprint %s holds %d entities\n", id, n)
		}
	}
	if p.Integration == "delete" {
		fmt.Fprintf(w, "  integration %q: %sdelete\n", identifier, verb)
	} else {
		fmt.Fprintf(w, "  integration %q: not there\n", identifier)
	}
}
