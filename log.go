package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/lmittmann/tint"

	"github.com/tide-sync/tide/internal/secret"

	tsync "github.com/tide-sync/tide/sync"
)

// newLogger builds the stderr logger: tint in a terminal, plain text
// elsewhere (CI, cron), JSON on request.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, level)
	}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})), nil
	case "text", "":
		if isTerminal(w) {
			return slog.New(tint.NewTextHandler(w, &tint.Options{Level: lv, TimeFormat: "15:04:05"})), nil
		}
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
	}
	return nil, fmt.Errorf("%w: --log-format %q: want text or json", errUsage, format)
}

// isTerminal reports whether w is a character device. The redactor wraps
// the real stream, so look through it.
func isTerminal(w io.Writer) bool {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// minSecretLen keeps very short values (which would mangle ordinary text)
// out of the redactor; such values are still never logged by construction.
const minSecretLen = secret.MinLen

// redact wraps w so that no value of the run's secret set reaches it: the
// configured secrets and every token obtained later, as the set is at the
// moment of each write.
func redact(w io.Writer, secrets *secret.Set) io.Writer { return secrets.Writer(w) }

// redactString replaces every secret in s, as the redactor does for streams.
func redactString(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(strings.TrimSpace(sec)) >= minSecretLen {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

// redactResult returns a copy of res with every secret replaced in every
// string it holds (errors, warnings, plan values), before any report
// renders it: renderers escape text (JSON, XML, markdown), and an escaped
// secret would slip past a redactor that looks at the rendered bytes.
func redactResult(res *tsync.Result, secrets []string) (*tsync.Result, error) {
	var live []string
	for _, s := range secrets {
		if len(strings.TrimSpace(s)) >= minSecretLen {
			live = append(live, s)
		}
	}
	if res == nil || len(live) == 0 {
		return res, nil
	}
	r := func(s string) string { return redactString(s, live) }
	rs := func(ss []string) []string {
		if ss == nil {
			return nil
		}
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = r(s)
		}
		return out
	}
	out := *res
	out.Errors = rs(res.Errors)
	out.Deletion.Reason = r(res.Deletion.Reason)
	out.Deletion.Errors = rs(res.Deletion.Errors)
	out.Blocks = make([]*tsync.BlockResult, len(res.Blocks))
	for i, b := range res.Blocks {
		nb := *b
		nb.Error = r(b.Error)
		nb.Warnings = rs(b.Warnings)
		nb.WriteErrors = rs(b.WriteErrors)
		nb.Misconfigured = make([]tsync.MisconfigStat, len(b.Misconfigured))
		for j, m := range b.Misconfigured {
			m.Expr, m.Err = r(m.Expr), r(m.Err)
			nb.Misconfigured[j] = m
		}
		if b.Misconfigured == nil {
			nb.Misconfigured = nil
		}
		out.Blocks[i] = &nb
	}
	if res.Plan != nil {
		// Plan values are vendor data; a secret there is rare, so the
		// costly rewrite runs only when one is found.
		p, err := redactPlan(res.Plan, live)
		if err != nil {
			return nil, err
		}
		out.Plan = p
	}
	return &out, nil
}

// redactPlan returns plan, or a redacted copy when it mentions a secret
// (raw or JSON-escaped).
func redactPlan(plan *tsync.Plan, secrets []string) (*tsync.Plan, error) {
	b, err := json.Marshal(plan)
	if err != nil {
		return nil, err
	}
	found := false
	for _, s := range secrets {
		esc, _ := json.Marshal(s)
		found = found || bytes.Contains(b, []byte(s)) || bytes.Contains(b, esc[1:len(esc)-1])
	}
	if !found {
		return plan, nil
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return redactString(x, secrets)
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		}
		return v
	}
	if b, err = json.Marshal(walk(tree)); err != nil {
		return nil, err
	}
	out := &tsync.Plan{}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}
