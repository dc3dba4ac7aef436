package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/secret"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
	"github.com/tide-sync/tide/sync/port/local"
)

// checkOptions are the flags `tide validate` and `tide map` share: which
// integration, which mapping, and where blueprints come from.
type checkOptions struct {
	portOptions
	integration string
	mapping     string
	blueprints  string
	jsonOut     bool
	jqEnvAllow  []string
	params      integrations.Values
	given       map[string]bool
}

// checkFlags declares the shared flags, returning the integration
// parameters' specs (read from env like sync's).
func checkFlags(fs *flag.FlagSet, o *checkOptions, reg *integrations.Registry) []flagSpec {
	fs.StringVar(&o.integration, "integration", "", "integration type: "+strings.Join(reg.Types(), ", "))
	fs.StringVar(&o.mapping, "mapping", "", "mapping (port-app-config) YAML or JSON file")
	fs.StringVar(&o.blueprints, "blueprints", "", "JSON array of blueprints (or Port's export {\"blueprints\": [...]}) to check against; default: Port's, when Port credentials are set")
	fs.Var(boolValue{&o.jsonOut}, "json", "print JSON instead of text")
	fs.Var(listFlag{&o.jqEnvAllow}, "jq-env-allow", "environment variables the mapping's env/$ENV may read (comma-separated)")
	specs := []flagSpec{{name: "integration", group: groupMapping, aliases: []string{"OCEAN__INTEGRATION__TYPE"}}, {name: "mapping", group: groupMapping},
		{name: "blueprints", group: groupMapping}, {name: "jq-env-allow", group: groupMapping, list: true}, {name: "json", group: groupOutput}}
	specs = append(specs, portFlags(fs, &o.portOptions)...)
	o.params = integrations.Values{}
	return append(specs, paramFlags(fs, o.params, reg)...)
}

// finding is one problem or warning, placed in the mapping file.
type finding struct {
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// validateReport is `tide validate --json`.
type validateReport struct {
	File        string    `json:"file"`
	Integration string    `json:"integration"`
	OK          bool      `json:"ok"`
	Blueprints  string    `json:"blueprints"` // where blueprints came from, or "not checked"
	Problems    []finding `json:"problems"`
	Warnings    []finding `json:"warnings"`
	Notes       []string  `json:"notes,omitempty"`
}

func runValidate(env *cliEnv, args []string) int {
	reg := registry()
	o := &checkOptions{}
	fs := flag.NewFlagSet("tide validate", flag.ContinueOnError)
	var ciMode string
	fs.StringVar(&ciMode, "ci", "auto", "annotations: auto (GitHub Actions from GITHUB_ACTIONS), github or none")
	specs := checkFlags(fs, o, reg)
	specs = append(specs[:5:5], append([]flagSpec{{name: "ci", group: groupOutput}}, specs[5:]...)...)
	usage := func(w io.Writer) {
		fmt.Fprintln(w, `Usage: tide validate --integration TYPE [--blueprints FILE] [flags] MAPPING

Checks a mapping file the way a sync checks it before its first write, with
no call to the vendor and nothing written: keys (a near miss of a known key is
an error with "did you mean"), JQ that does not compile, kinds the
integration does not offer, selector fields a kind does not read, and, when
blueprints are at hand (--blueprints FILE, or Port's with Port credentials),
blueprints that do not exist and properties or relations they do not declare.
Exit 0 when the mapping is good, 2 when it is not. In GitHub Actions each
problem is also an annotation on the mapping's line.
Each flag can also be set by the environment variables shown.`)
		printFlagGroups(w, fs, specs, reg)
		fmt.Fprintln(w, `
Examples:
  tide validate --integration github --blueprints blueprints.json port-app-config.yml
  tide validate --integration jira --json .port/jira.yml
  # against the blueprints in Port (read only)
  PORT_CLIENT_ID=... PORT_CLIENT_SECRET=... tide validate --integration file catalog-mapping.yml`)
	}
	pos, code, ok := parseOrExit("validate", fs, args, env.stdout, env.stderr, usage)
	if !ok {
		return code
	}
	secrets := secret.New()
	stdout, stderr := redact(env.stdout, secrets), redact(env.stderr, secrets)
	if err := o.finish(fs, pos, specs, env.getenv, secrets, "validate"); err != nil {
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return exitUsage
	}
	rep, err := validate(env, o, reg)
	if err != nil {
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return exitCode(nil, err)
	}
	annotate := ciMode == "github" || (ciMode == "auto" && env.getenv("GITHUB_ACTIONS") == "true")
	if ciMode != "auto" && ciMode != "github" && ciMode != "none" {
		fmt.Fprintf(stderr, "tide: %v: --ci %q: want auto, github or none\n", errUsage, ciMode)
		return exitUsage
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		printValidate(stdout, rep)
	}
	if annotate {
		for _, f := range rep.Problems {
			fmt.Fprintln(stdout, ghAnnotation("error", rep.File, f))
		}
		for _, f := range rep.Warnings {
			fmt.Fprintln(stdout, ghAnnotation("warning", rep.File, f))
		}
	}
	if !rep.OK {
		return exitUsage
	}
	return exitOK
}

// finish reads env into the options (as sync does), takes the positional
// mapping file, and checks what the command needs.
func (o *checkOptions) finish(fs *flag.FlagSet, pos []string, specs []flagSpec, getenv func(string) string, secrets *secret.Set, cmd string) error {
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	if err := applyEnv(fs, specs, getenv); err != nil {
		return err
	}
	for _, s := range specs {
		if s.secret {
			if f := fs.Lookup(s.name); f != nil {
				secrets.Add(f.Value.String())
			}
		}
	}
	switch {
	case len(pos) == 1 && o.mapping == "":
		o.mapping = pos[0]
	case len(pos) == 1:
		return fmt.Errorf("%w: give the mapping as --mapping or as an argument, not both", errUsage)
	case len(pos) > 1:
		return fmt.Errorf("%w: unexpected argument %q (see tide %s --help)", errUsage, pos[1], cmd)
	}
	return nil
}

// validate runs the checks and gathers what they found.
func validate(env *cliEnv, o *checkOptions, reg *integrations.Registry) (*validateReport, error) {
	def, err := lookupIntegration(reg, o.integration, "--integration")
	if err != nil {
		return nil, err
	}
	if err := otherIntegrationFlag(o.given, def, reg); err != nil {
		return nil, err
	}
	if o.mapping == "" {
		return nil, fmt.Errorf("%w: which mapping? give the file: tide validate --integration %s FILE", errUsage, def.Type)
	}
	src, err := os.ReadFile(o.mapping)
	if err != nil {
		return nil, fmt.Errorf("%w: mapping: %v", errUsage, err)
	}
	rep := &validateReport{File: o.mapping, Integration: def.Type, Problems: []finding{}, Warnings: []finding{}}
	cfg := tsync.Config{Definition: def, Mapping: src, MappingName: o.mapping, JQEnv: jqEnv(o.jqEnvAllow, env.getenv), Identifier: "tide-" + def.Type}
	cfg.Source, rep.Notes = checkSource(def, o.params, env.getenv, rep.Notes)
	cfg.Client, rep.Blueprints, err = o.blueprintClient(def)
	if err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		rep.Notes = append(rep.Notes, "blueprints not checked: pass --blueprints FILE (e.g. Port's export), or Port credentials to read Port's")
	}
	m, err := tsync.Check(env.ctx, cfg)
	if m != nil {
		for _, w := range m.Config.Warnings {
			rep.Warnings = append(rep.Warnings, finding{Path: w.Path, Line: w.Line, Message: w.Message})
		}
	}
	if err != nil {
		if !isBadInput(err) {
			return nil, err
		}
		rep.Problems = findings(err, m)
	}
	if cfg.Source == nil && m != nil {
		rep.Notes = append(rep.Notes, uncheckedReferences(def.Type, m)...)
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

// uncheckedReferences notes the prefixed values (file://, search://) a
// check without the integration's Source leaves alone: which prefixes it
// resolves is the Source's to say, so a sync may still refuse them.
func uncheckedReferences(typ string, m *mapping.Mapping) []string {
	var prefixes []string
	for _, b := range m.Blocks {
		for _, r := range b.References() {
			if !slices.Contains(prefixes, r.Prefix) {
				prefixes = append(prefixes, r.Prefix)
			}
		}
	}
	if len(prefixes) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s values not checked: whether the %s integration resolves them is checked once it can be configured (a sync checks it before writing)", strings.Join(prefixes, " and "), typ)}
}

// isBadInput says whether err is a mistake in what was checked (reported
// as problems) rather than a failure to check (Port unreachable).
func isBadInput(err error) bool {
	return errors.Is(err, mapping.ErrInvalid) || errors.Is(err, tsync.ErrConfig) || errors.Is(err, integrations.ErrConfig)
}

// checkSource builds the integration's Source from the parameters at hand,
// which makes no request; without them (no credentials in a pull-request
// check) selector keys are checked against the integration's declared
// fields and values are not.
func checkSource(def integrations.Definition, vals integrations.Values, getenv func(string) string, notes []string) (integrations.Source, []string) {
	params := integrations.Values{}
	for _, p := range def.Params {
		params[p.Name] = vals.List(p.Name)
		if len(params[p.Name]) == 0 && p.Default != "" {
			params[p.Name] = []string{p.Default}
		}
	}
	src, err := def.New(integrations.Settings{Values: params, Getenv: getenv, Secrets: secret.New()})
	if err != nil {
		return nil, append(notes, fmt.Sprintf("selector values not checked, only their keys (the %s integration cannot be configured here: %v)", def.Type, err))
	}
	return src, notes
}

// blueprintClient returns a read-only Port client holding the blueprints to
// check against, and says where they came from; nil when there are none.
func (o *checkOptions) blueprintClient(def integrations.Definition) (*port.Client, string, error) {
	if o.blueprints != "" {
		bps, err := readBlueprints(o.blueprints)
		if err != nil {
			return nil, "", err
		}
		s := local.New(local.Options{ClientID: "local", ClientSecret: "local"})
		if err := s.Seed(bps); err != nil {
			return nil, "", fmt.Errorf("%w: --blueprints %s: %v", errUsage, o.blueprints, err)
		}
		return port.New(port.Config{BaseURL: "http://local.tide", HTTPClient: s.Client(), ClientID: "local", ClientSecret: "local", IntegrationType: def.Type}), o.blueprints, nil
	}
	baseURL, localPath, err := o.target()
	if err != nil {
		return nil, "", err
	}
	if localPath != "" {
		s, err := openLocal(localPath, def, "", false)
		if err != nil {
			return nil, "", err
		}
		return port.New(port.Config{BaseURL: "http://local.tide", HTTPClient: s.Client(), ClientID: "local", ClientSecret: "local", IntegrationType: def.Type}), "local:" + localPath, nil
	}
	if o.clientID == "" || o.clientSecret == "" {
		return nil, "not checked", nil
	}
	return port.New(port.Config{BaseURL: baseURL, ClientID: o.clientID, ClientSecret: o.clientSecret, IntegrationType: def.Type}), "Port (" + baseURL + ")", nil
}

func jqEnv(allow []string, getenv func(string) string) map[string]string {
	out := map[string]string{}
	for _, name := range allow {
		if v := getenv(name); v != "" {
			out[name] = v
		}
	}
	return out
}

var resourcePath = regexp.MustCompile(`resources\[\d+\](?:\.[A-Za-z_][A-Za-z0-9_.]*)?`)

// findings turns a check's error into problems with their lines.
func findings(err error, m *mapping.Mapping) []finding {
	var pe *mapping.ParseError
	if errors.As(err, &pe) {
		out := make([]finding, len(pe.Problems))
		for i, p := range pe.Problems {
			out[i] = finding{Path: p.Path, Line: p.Line, Message: p.Message}
		}
		return out
	}
	var ce *mapping.CompileError
	if errors.As(err, &ce) {
		out := make([]finding, len(ce.Problems))
		for i, p := range ce.Problems {
			out[i] = finding{Path: fmt.Sprintf("resources[%d].%s", p.Index, p.Field), Line: p.Line,
				Message: fmt.Sprintf("JQ does not compile: %s: %q (kind %q)", p.Message, p.Expr, p.Kind)}
		}
		return out
	}
	// The other checks name the block (resources[N]...) in their text.
	msg := strings.TrimPrefix(err.Error(), tsync.ErrConfig.Error()+": ")
	f := finding{Message: msg}
	if loc := resourcePath.FindStringIndex(msg); loc != nil {
		f.Path = strings.TrimRight(msg[loc[0]:loc[1]], ".")
		if m != nil {
			f.Line = m.Config.Lines.Line(f.Path)
		}
	}
	return []finding{f}
}

func printValidate(w io.Writer, rep *validateReport) {
	place := func(f finding) string {
		if f.Line > 0 {
			return fmt.Sprintf("%s:%d: ", rep.File, f.Line)
		}
		return rep.File + ": "
	}
	for _, f := range rep.Problems {
		path := ""
		if f.Path != "" && !strings.Contains(f.Message, f.Path) {
			path = f.Path + ": "
		}
		fmt.Fprintf(w, "%serror: %s%s\n", place(f), path, f.Message)
	}
	for _, f := range rep.Warnings {
		fmt.Fprintf(w, "%swarning: %s: %s\n", place(f), f.Path, f.Message)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if rep.OK {
		fmt.Fprintf(w, "%s: OK for integration %s (blueprints: %s)\n", rep.File, rep.Integration, rep.Blueprints)
		return
	}
	fmt.Fprintf(w, "%s: %d problem(s); nothing was synced\n", rep.File, len(rep.Problems))
}

// ghAnnotation is a GitHub Actions workflow command placing f on the
// mapping's line.
func ghAnnotation(level, file string, f finding) string {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	msg := f.Message
	if f.Path != "" && !strings.Contains(msg, f.Path) {
		msg = f.Path + ": " + msg
	}
	loc := "file=" + prop.Replace(file)
	if f.Line > 0 {
		loc += fmt.Sprintf(",line=%d", f.Line)
	}
	return fmt.Sprintf("::%s %s,title=tide validate::%s", level, loc, esc.Replace(msg))
}
