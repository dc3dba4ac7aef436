package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tide-sync/tide/sync/mapping"
)

// parseArgs parses args into fs for `tide cmd` and returns the positional
// arguments; flags may follow them. An unknown flag is named
// with the closest known one ("did you mean"); a bad value names the flag,
// the value and what is accepted. On --help (or a lone `help` argument) it
// prints usage to stdout and returns flag.ErrHelp.
func parseArgs(cmd string, fs *flag.FlagSet, args []string, stdout io.Writer, usage func(io.Writer)) ([]string, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if len(args) > 0 && args[0] == "help" {
		usage(stdout)
		return nil, flag.ErrHelp
	}
	if err := checkFlagNames(cmd, fs, args); err != nil {
		return nil, err
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage(stdout)
				return nil, flag.ErrHelp
			}
			return nil, fmt.Errorf("%w: %v (see tide %s --help)", errUsage, err, cmd)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// parseOrExit is parseArgs for a command's run function: after --help
// (usage printed) it returns exit 0, after a bad flag it prints the error
// and returns exit 2; ok is false in both cases.
func parseOrExit(cmd string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer, usage func(io.Writer)) (pos []string, code int, ok bool) {
	pos, err := parseArgs(cmd, fs, args, stdout, usage)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, false
		}
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return nil, exitUsage, false
	}
	return pos, 0, true
}

// checkFlagNames finds the first flag in args that fs does not define, as
// fs.Parse would meet it, and names the closest one.
func checkFlagNames(cmd string, fs *flag.FlagSet, args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return nil // flag parsing stops here
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue // a positional argument; flags may follow
		}
		name := strings.TrimLeft(a, "-")
		hasValue := strings.Contains(name, "=")
		name, _, _ = strings.Cut(name, "=")
		if name == "h" || name == "help" {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			var known []string
			fs.VisitAll(func(f *flag.Flag) { known = append(known, f.Name) })
			s := mapping.Suggest(name, known)
			if s == "" {
				s = prefixMatch(name, known)
			}
			if s != "" {
				return fmt.Errorf("%w: tide %s: unknown flag --%s; did you mean --%s? (see tide %s --help)", errUsage, cmd, name, s, cmd)
			}
			return fmt.Errorf("%w: tide %s: unknown flag --%s (see tide %s --help for the flags)", errUsage, cmd, name, cmd)
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); (ok && b.IsBoolFlag()) || hasValue {
			continue
		}
		i++ // the flag's value
	}
	return nil
}

// prefixMatch returns the one known name that starts with name or that
// name starts with (--file-globs for --file-glob is caught by Suggest;
// --github for --github-token is caught here), or "" when none or several.
func prefixMatch(name string, known []string) string {
	var hits []string
	for _, k := range known {
		if len(name) >= 3 && (strings.HasPrefix(k, name) || strings.HasPrefix(name, k)) {
			hits = append(hits, k)
		}
	}
	if len(hits) == 1 {
		return hits[0]
	}
	return ""
}

// boolValue is a boolean flag whose error says what is accepted.
type boolValue struct{ p *bool }

func (b boolValue) String() string {
	if b.p == nil {
		return "false"
	}
	return strconv.FormatBool(*b.p)
}

func (b boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false (or 1 or 0)")
	}
	*b.p = v
	return nil
}

// IsBoolFlag lets --flag stand for --flag=true.
func (boolValue) IsBoolFlag() bool { return true }

// intValue is a whole-number flag whose error says what is accepted.
type intValue struct{ p *int }

func (v intValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}

func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return errors.New("want a whole number")
	}
	*v.p = n
	return nil
}

// durationValue is a duration flag that also takes plain seconds ("300"),
// as the integrations' timeout parameters do.
type durationValue struct{ p *time.Duration }

func (d durationValue) String() string {
	if d.p == nil {
		return "0s"
	}
	return d.p.String()
}

func (d durationValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		*d.p = time.Duration(n * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration like 90s, 30m or 1h30m, or a number of seconds")
	}
	*d.p = v
	return nil
}
