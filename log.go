package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	gosync "sync"

	"github.com/lmittmann/tint"

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
	if r, ok := w.(*redactor); ok {
		w = r.w
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
const minSecretLen = 6

// redactor replaces every secret in what is written through it.
type redactor struct {
	mu      gosync.Mutex
	w       io.Writer
	secrets [][]byte
}

// redact wraps w so no secret in secrets reaches it.
func redact(w io.Writer, secrets []string) io.Writer {
	r := &redactor{w: w}
	for _, s := range secrets {
		if len(strings.TrimSpace(s)) >= minSecretLen {
			r.secrets = append(r.secrets, []byte(s))
		}
	}
	if len(r.secrets) == 0 {
		return w
	}
	return r
}

func (r *redactor) Write(p []byte) (int, error) {
	out := p
	for _, s := range r.secrets {
		if bytes.Contains(out, s) {
			out = bytes.ReplaceAll(out, s, []byte("[REDACTED]"))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

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
	if res == nil || len(secrets) == 0 {
		return res, nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
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
	out := &tsync.Result{}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}
