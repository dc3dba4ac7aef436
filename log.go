package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	gosync "sync"

	"github.com/lmittmann/tint"
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
