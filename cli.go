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
	"github.com/tide-sync/tide/internal/budget"
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

// cliEnv is what every subcommand runs with: nothing global.
type cliEnv struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader // nil: none (tests)
	stdout, stderr io.Writer
}

// readStdin returns standard input, when the program has one.
func (e *cliEnv) readStdin() (io.Reader, bool) { return e.stdin, e.stdin != nil }

// run is the whole program: it parses args and env, runs the subcommand and
// returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, getenv, nil, stdout, stderr)
}

// runIO is run with standard input (read by `tide map -`).
func runIO(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &cliEnv{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printMainUsage(stdout)
		return exitOK
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printMainUsage(stdout)
		return exitOK
	case "-version", "--version":
		return runVersion(env, nil)
	}
	if strings.HasPrefix(args[0], "-") {
		// Flags before any command: sync, as tide always did.
		return runSyncCmd(env, args)
	}
	name := args[0]
	var names []string
	for _, c := range commands() {
		if c.name == name {
			return c.run(env, args[1:])
		}
		names = append(names, c.name)
	}
	msg := fmt.Sprintf("tide: unknown command %q", name)
	if s := mapping.Suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	fmt.Fprintf(stderr, "%s (commands: %s; see tide --help)\n", msg, strings.Join(names, ", "))
	return exitUsage
}

func runSyncCmd(env *cliEnv, args []string) int {
	return runSync(env.ctx, args, env.getenv, env.stdout, env.stderr)
}

func runConfigEnvCmd(env *cliEnv, args []string) int {
	return runConfigEnv(args, env.getenv, env.stdout, env.stderr)
}

func runVersion(env *cliEnv, args []string) int {
	if len(args) > 0 {
		if args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
			fmt.Fprintln(env.stdout, "Usage: tide version\n\nPrints the version (also: tide --version).")
			return exitOK
		}
		fmt.Fprintf(env.stderr, "tide version: unexpected argument %q (see tide version --help)\n", args[0])
		return exitUsage
	}
	fmt.Fprintf(env.stdout, "tide %s\n", buildVersion())
	return exitOK
}

// runHelp is `tide help [COMMAND]`.
func runHelp(env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		printMainUsage(env.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(env, []string{"--help"})
		}
	}
	return runIO(env.ctx, args, env.getenv, env.stdin, env.stdout, env.stderr)
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
	group   string   // help section: Port, Mapping, Run, Reports, or an integration's
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
					if s.secret {
						// The value is never echoed: it may be a token.
						return fmt.Errorf("%w: env %s (for --%s): %v", errUsage, key, s.name, err)
					}
					return fmt.Errorf("%w: env %s=%q (for --%s): %v", errUsage, key, x, s.name, err)
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
// sizeFlag is a byte count given as 64MiB, 500MB or 1048576.
type sizeFlag uint64

func (f *sizeFlag) String() string { return budget.Size(uint64(*f)) }

func (f *sizeFlag) Set(v string) error {
	n, err := budget.ParseSize(v)
	if err != nil {
		return err
	}
	*f = sizeFlag(n)
	return nil
}

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
