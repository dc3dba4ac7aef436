package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tide-sync/tide/integrations"
)

// command is one subcommand of tide.
type command struct {
	name    string
	summary string
	run     func(env *cliEnv, args []string) int
}

// commands lists the subcommands in help order.
func commands() []command {
	return []command{
		{"sync", "sync an integration into Port once and exit (the default command)", runSyncCmd},
		{"validate", "check a mapping file without fetching or writing anything (for pull requests)", runValidate},
		{"map", "run a mapping over sample items and show the entities it makes", runMap},
		{"list", "list integrations, their kinds, selector fields and parameters", runList},
		{"defaults", "show, create (dock) or remove (clean) an integration's default blueprints and mapping", runDefaults},
		{"config-env", "turn $TIDE_ACTION_CONFIG into TIDE_* pairs (used by action.yml)", runConfigEnvCmd},
		{"version", "print the version", runVersion},
		{"help", "help on a command: tide help COMMAND", runHelp},
	}
}

const exitCodesText = "Exit codes: 0 success; 1 sync failed; 2 bad usage, config, mapping or credentials; 3 synced but stale deletes blocked by a guard; 130 interrupted."

// printMainUsage is `tide`, `tide --help` and `tide help`.
func printMainUsage(w io.Writer) {
	fmt.Fprintln(w, "tide syncs a third-party system into Port's software catalog once, and exits.")
	fmt.Fprintln(w, "\nUsage: tide COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Run 'tide COMMAND --help' (or 'tide help COMMAND') for a command's flags and examples.
Flags given before any command run sync: 'tide --integration file ...' is 'tide sync --integration file ...'.

Examples:
  # try it without a Port account: a local, file-backed catalog
  tide sync --integration file --file-glob 'catalog/**' --port-url local:.tide/catalog.json
  # check a mapping in a pull request, no credentials needed
  tide validate --integration github --mapping port-app-config.yml --blueprints blueprints.json
  # see what a mapping makes of a few items
  tide map --integration github --mapping port-app-config.yml --kind repository repos.json`)
	fmt.Fprintln(w, "\n"+exitCodesText)
}

// printSyncUsage lists sync's flags by section, each with its env vars, so
// `tide sync --help` is the config reference.
func printSyncUsage(w io.Writer, fs *flag.FlagSet, specs []flagSpec, reg *integrations.Registry) {
	fmt.Fprintln(w, "Usage: tide sync --integration TYPE [flags]\n\nSyncs an integration into Port once and exits.\nEach flag can also be set by the environment variables shown; flags win, then env, then --config.")
	printFlagGroups(w, fs, specs, reg)
	fmt.Fprintln(w, `
Examples:
  # a local, file-backed catalog: no Port account needed
  tide sync --integration file --file-glob 'catalog/**' --port-url local:.tide/catalog.json
  # preview what a GitHub sync would change in Port, with a reviewed mapping
  PORT_CLIENT_ID=... PORT_CLIENT_SECRET=... GITHUB_TOKEN=... \
    tide sync --integration github --mapping port-app-config.yml --dry-run
  # one CI matrix job per kind group; deletes stay within these kinds
  tide sync --integration jira --kinds project,issue --timeout 30m`)
	fmt.Fprintln(w, "\n"+exitCodesText)
}

// printFlagGroups prints flags by their spec's group, Port first, then each
// integration's own section.
func printFlagGroups(w io.Writer, fs *flag.FlagSet, specs []flagSpec, reg *integrations.Registry) {
	group := "\x00"
	for _, s := range specs {
		if s.group != group {
			group = s.group
			title := group + " flags"
			if d, ok := reg.Lookup(group); ok {
				title = fmt.Sprintf("Integration %s: %s", d.Type, d.Summary)
			} else if group == "" {
				title = "Flags"
			}
			fmt.Fprintf(w, "\n%s:\n", title)
		}
		f := fs.Lookup(s.name)
		envs := append([]string{envName(s.name)}, s.aliases...)
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s\n        %s%s\n        env: %s\n", s.name, f.Usage, def, strings.Join(envs, ", "))
	}
}

// printFlags prints a small command's flags, without env vars unless the
// spec has them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "\nFlags:")
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s\n        %s%s\n", f.Name, f.Usage, def)
	})
}

// markdownReference renders the flag reference for README.md; a test keeps
// the README in step with the flag set.
func markdownReference(w io.Writer) {
	o := &syncOptions{}
	fs := flag.NewFlagSet("tide sync", flag.ContinueOnError)
	reg := registry()
	specs := syncFlags(fs, o, reg)
	fmt.Fprintln(w, "| flag | environment | default | what it does |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, s := range specs {
		f := fs.Lookup(s.name)
		envs := append([]string{envName(s.name)}, s.aliases...)
		for i, e := range envs {
			envs[i] = "`" + e + "`"
		}
		def := f.DefValue
		if def == "false" || def == "0s" {
			def = ""
		}
		if def != "" {
			def = "`" + def + "`"
		}
		usage := f.Usage
		if _, ok := reg.Lookup(s.group); ok {
			usage = s.group + ": " + usage
		}
		fmt.Fprintf(w, "| `--%s` | %s | %s | %s |\n", s.name, strings.Join(envs, "<br>"), def, strings.ReplaceAll(usage, "|", "\\|"))
	}
}
