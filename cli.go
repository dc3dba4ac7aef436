package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/integrations/custom"
	"github.com/tide-sync/tide/integrations/file"
	"github.com/tide-sync/tide/integrations/github"
	"github.com/tide-sync/tide/integrations/gitlab"
	"github.com/tide-sync/tide/integrations/jira"
	"github.com/tide-sync/tide/integrations/linear"
	"github.com/tide-sync/tide/integrations/pagerduty"
	tsync "github.com/tide-sync/tide/sync"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// Exit codes (docs/ocean-compatibility.md#exit-codes); scripts rely on them.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitBlocked     = 3
	exitInterrupted = 130
)

// errUsage marks bad command-line input.
var errUsage = errors.New("usage error")

// registry lists the integrations this binary is built with.
func registry() *integrations.Registry {
	defs := []integrations.Definition{custom.Definition(), file.Definition(), github.Definition(), gitlab.Definition(), jira.Definition(), linear.Definition(), pagerduty.Definition()}
	return integrations.NewRegistry(append(defs, benchIntegrations...)...)
}

// benchIntegrations are added by builds with the tidebench tag.
var benchIntegrations []integrations.Definition

// run is the whole program: it parses args and env, runs the subcommand and
// returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "sync"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "sync":
		return runSync(ctx, args, getenv, stdout, stderr)
	case "config-env":
		return runConfigEnv(args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "tide %s\n", buildVersion())
		return exitOK
	case "help":
		fmt.Fprintln(stdout, "usage: tide [sync] [flags]   sync once (see tide sync --help)\n       tide version\n       tide config-env --integration TYPE   (for action.yml: $TIDE_ACTION_CONFIG → TIDE_* pairs)")
		return exitOK
	default:
		fmt.Fprintf(stderr, "tide: unknown command %q (commands: sync, version, config-env)\n", cmd)
		return exitUsage
	}
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return version
}

// exitCode maps a run's outcome to the documented exit codes, in one place.
func exitCode(res *tsync.Result, err error) int {
	if err != nil {
		switch {
		case errors.Is(err, errUsage), errors.Is(err, tsync.ErrConfig), errors.Is(err, mapping.ErrInvalid),
			errors.Is(err, integrations.ErrConfig), errors.Is(err, integrations.ErrCredentials), errors.Is(err, port.ErrAuth):
			return exitUsage
		case errors.Is(err, tsync.ErrInterrupted):
			return exitInterrupted
		}
		return exitFailed
	}
	if res.CredentialsRejected || (res.ConfigError != nil && res.Status != tsync.StatusAborted) {
		// A vendor refused the credentials (or the configuration) during
		// the run: a setting to fix, as when the check before the first
		// write catches it.
		return exitUsage
	}
	switch res.Status {
	case tsync.StatusCompleted:
		return exitOK
	case tsync.StatusBlocked:
		return exitBlocked
	case tsync.StatusAborted:
		return exitInterrupted
	}
	return exitFailed
}

// flagSpec documents one flag: its env var and the aliases read after it.
type flagSpec struct {
	name    string
	aliases []string // other env vars, in order (Ocean's and Port's names)
	secret  bool
	list    bool // env values split on commas and newlines
	lines   bool // env values split on newlines only (globs may hold commas)
}

// envName is the TIDE_ variable of a flag.
func envName(flagName string) string {
	return "TIDE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its TIDE_
// variable, else from its aliases (flags, then env, then config file;
// docs/ocean-compatibility.md#configuration-names).
func applyEnv(fs *flag.FlagSet, specs []flagSpec, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range specs {
		if given[s.name] {
			continue
		}
		for _, key := range append([]string{envName(s.name)}, s.aliases...) {
			v := getenv(key)
			if v == "" {
				continue
			}
			vals := []string{v}
			switch {
			case s.list:
				vals = splitList(v)
			case s.lines:
				vals = splitLines(v)
			}
			for _, x := range vals {
				if err := fs.Set(s.name, x); err != nil {
					return fmt.Errorf("%w: env %s: %v", errUsage, key, err)
				}
			}
			break
		}
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		for _, p := range strings.Split(line, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func splitLines(v string) []string {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// listFlag is a repeatable flag; each value may also be a comma list.
type listFlag struct{ vals *[]string }

func (l listFlag) String() string {
	if l.vals == nil {
		return ""
	}
	return strings.Join(*l.vals, ",")
}

func (l listFlag) Set(v string) error {
	*l.vals = append(*l.vals, splitList(v)...)
	return nil
}
