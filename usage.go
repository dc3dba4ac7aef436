package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// printUsage lists every flag with its env var, so `tide sync --help` is the
// config reference.
func printUsage(w io.Writer, fs *flag.FlagSet, specs []flagSpec) {
	fmt.Fprintln(w, "Usage: tide sync [flags]\n\nSyncs an integration into Port once and exits.\nEach flag can also be set by the environment variables shown; flags win, then env, then --config.\n\nFlags:")
	for _, s := range specs {
		f := fs.Lookup(s.name)
		envs := append([]string{envName(s.name)}, s.aliases...)
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s\n        %s%s\n        env: %s\n", s.name, f.Usage, def, strings.Join(envs, ", "))
	}
	fmt.Fprintln(w, "\nExit codes: 0 synced; 1 sync failed; 2 bad usage, config or credentials; 3 synced but stale deletes blocked by a guard; 130 interrupted.")
}

// markdownReference renders the flag reference for README.md; a test keeps
// the README in step with the flag set.
func markdownReference(w io.Writer) {
	o := &syncOptions{}
	fs := flag.NewFlagSet("tide sync", flag.ContinueOnError)
	specs := syncFlags(fs, o, registry())
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
		fmt.Fprintf(w, "| `--%s` | %s | %s | %s |\n", s.name, strings.Join(envs, "<br>"), def, strings.ReplaceAll(f.Usage, "|", "\\|"))
	}
}
