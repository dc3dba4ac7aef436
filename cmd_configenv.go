package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tide-sync/tide/integrations"
)

// configEnvVar holds the object `tide config-env` reads: an env var, so the
// action passes the input without it ever being part of script text.
const configEnvVar = "TIDE_ACTION_CONFIG"

// runConfigEnv is `tide config-env`: it turns a YAML or JSON object of
// integration parameters (the GitHub Action's `config` input, in
// $TIDE_ACTION_CONFIG) into
// NUL-separated TIDE_<NAME>=value pairs for the action's shell to export
// into tide's own process only. Each key must be a parameter of the
// integration, so a typo is an error, not a silently ignored setting; and
// nothing of the runner's environment is copied (ocean-sail passes the
// whole environment into its container:
// docs/ocean-compatibility.md#the-github-action).
func runConfigEnv(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tide config-env", flag.ContinueOnError)
	integration := fs.String("integration", "", "integration type whose parameters the object sets")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: TIDE_ACTION_CONFIG='file-glob: catalog/**' tide config-env --integration TYPE\n\nPrints each parameter of the YAML/JSON object in $TIDE_ACTION_CONFIG as TIDE_<NAME>=value, NUL-separated (used by action.yml).")
		printFlags(w, fs)
	}
	pos, code, ok := parseOrExit("config-env", fs, args, stdout, stderr, usage)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "tide: %v: unexpected argument %q (see tide config-env --help)\n", errUsage, pos[0])
		return exitUsage
	}
	pairs, err := configEnv(registry(), *integration, []byte(getenv(configEnvVar)))
	if err != nil {
		// Values are never echoed: they may be tokens.
		fmt.Fprintf(stderr, "tide: %v\n", err)
		return exitUsage
	}
	for _, p := range pairs {
		fmt.Fprintf(stdout, "%s\x00", p)
	}
	return exitOK
}

// configEnv validates the config object against the integration's
// parameters and returns NAME=value pairs, sorted by name.
func configEnv(reg *integrations.Registry, integration string, src []byte) ([]string, error) {
	def, ok := reg.Lookup(integration)
	if !ok {
		return nil, fmt.Errorf("%w: config: --integration %q: unknown integration; one of: %s", errUsage, integration, strings.Join(reg.Types(), ", "))
	}
	var obj map[string]any
	if err := yaml.Unmarshal(src, &obj); err != nil {
		return nil, fmt.Errorf("%w: config: want a YAML or JSON object of %s parameters: %v", errUsage, def.Type, err)
	}
	byName := map[string]integrations.Param{}
	var names []string
	for _, p := range def.Params {
		byName[normParam(p.Name)] = p
		names = append(names, p.Name)
	}
	var out []string
	for key, v := range obj {
		p, ok := byName[normParam(key)]
		if !ok {
			return nil, fmt.Errorf("%w: config: %q is not a parameter of integration %q (it has: %s)", errUsage, key, def.Type, strings.Join(names, ", "))
		}
		vals, err := paramValues(v)
		if err != nil {
			return nil, fmt.Errorf("%w: config: %s: %v", errUsage, key, err)
		}
		if len(vals) > 1 && !p.Repeatable {
			return nil, fmt.Errorf("%w: config: %s takes one value, got a list of %d", errUsage, key, len(vals))
		}
		for _, s := range vals {
			if strings.ContainsRune(s, 0) {
				return nil, fmt.Errorf("%w: config: %s: a value holds a NUL byte", errUsage, key)
			}
			if p.Repeatable && strings.ContainsAny(s, "\r\n") {
				return nil, fmt.Errorf("%w: config: %s: a value of a repeatable parameter cannot span lines", errUsage, key)
			}
		}
		// Repeatable parameters read one value per line from their env var.
		out = append(out, envName(p.Name)+"="+strings.Join(vals, "\n"))
	}
	sort.Strings(out)
	return out, nil
}

// normParam lets config keys be written file-glob, file_glob or FILE_GLOB.
func normParam(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "_", "-"))
}

func paramValues(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, errors.New("no value")
	case string:
		return []string{x}, nil
	case bool:
		return []string{strconv.FormatBool(x)}, nil
	case int:
		return []string{strconv.Itoa(x)}, nil
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}, nil
	case []any:
		var out []string
		for i, e := range x {
			s, err := paramValues(e)
			if err != nil || len(s) != 1 {
				return nil, fmt.Errorf("item %d: want a string, number or boolean", i)
			}
			out = append(out, s...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a string, number, boolean or a list of them, got %T", v)
}
