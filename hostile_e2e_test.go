package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary, built into t.TempDir(), so that peak
// memory is the process's own (getrusage's ru_maxrss) and a signal is a
// real one. They assert memory and outcome, never speed.

// bombMapping maps the file integration's teams with a title that would
// build a 10^8-element array.
const bombMapping = `resources:
  - kind: file
    selector:
      query: '.kind == "team"'
    port:
      entity:
        mappings:
          identifier: .identifier
          title: '[range(1e8)] | length | tostring'
          blueprint: '"team"'
`

// buildTide builds the tide binary once per test into t.TempDir().
func buildTide(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "tide")
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// hostileDir is a working directory with the quickstart catalog files and
// the given mapping as m.yml.
func hostileDir(t *testing.T, mapping string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "quickstart"), os.DirFS("testdata/quickstart")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "m.yml"), []byte(mapping), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type tideRun struct {
	code    int
	rssKB   int64
	stderr  string
	summary map[string]any
}

func runBinary(t *testing.T, bin, dir string, args ...string) tideRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("running tide: %v", err)
	}
	peak := watchPeak(cmd.Process.Pid)
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running tide: %v", err)
	}
	return finished(t, cmd, dir, stderr.String(), peak())
}

// watchPeak follows the peak resident memory of process pid (VmHWM in
// /proc/pid/status, which covers that process alone) until it exits; the
// returned function stops watching and gives the peak in KB.
//
// getrusage's ru_maxrss alone is not enough here: Linux carries the
// parent's high-water mark across the exec of a child started with
// CLONE_VM, as os/exec starts it, so a test binary grown large by another
// test would show its own peak as tide's.
func watchPeak(pid int) func() int64 {
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if kb, ok := vmHWM(fmt.Sprintf("/proc/%d/status", pid)); ok {
				peak.Store(max(peak.Load(), kb))
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// vmHWM reads the VmHWM line of a /proc status file, in KB.
func vmHWM(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// finished gathers a run's outcome. Peak memory is getrusage's ru_maxrss
// when it is tide's own (above this test process's high-water mark, which
// it would otherwise echo), else the peak watched in /proc, which can only
// miss the last milliseconds.
func finished(t *testing.T, cmd *exec.Cmd, dir, stderr string, watched int64) tideRun {
	t.Helper()
	r := tideRun{code: cmd.ProcessState.ExitCode(), stderr: stderr, rssKB: watched}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		if self, ok := vmHWM("/proc/self/status"); ok && ru.Maxrss > self {
			r.rssKB = max(r.rssKB, ru.Maxrss) // kilobytes on Linux
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "summary.json")); err == nil {
		if err := json.Unmarshal(b, &r.summary); err != nil {
			t.Fatalf("summary.json: %v", err)
		}
	}
	return r
}

// blockError is the first block's error in the summary.
func (r tideRun) blockError() string {
	blocks, _ := r.summary["blocks"].([]any)
	if len(blocks) == 0 {
		return ""
	}
	b, _ := blocks[0].(map[string]any)
	s, _ := b["error"].(string)
	return s
}

func TestHostileMappingBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildTide(t)
	tests := []struct {
		name     string
		args     []string
		wantErr  []string // in the block's error
		maxRSSMB int64
		// interrupted accepts a block the run's --timeout stopped first.
		interrupted bool
	}{
		{
			// The per-item memory budget stops the evaluation, or on a
			// slow machine the run's --timeout interrupts it first: either
			// way exit 1 and memory bounded.
			name:        "timeout 3s",
			args:        []string{"--timeout", "3s"},
			wantErr:     []string{"title", "[range(1e8)] | length | tostring"},
			maxRSSMB:    100,
			interrupted: true,
		},
		{
			name:     "per-item budget",
			wantErr:  []string{"quickstart/teams.yaml", "title '[range(1e8)] | length | tostring'", "per-item budget", "--jq-max-memory"},
			maxRSSMB: 100,
		},
	}
	t.Run("SIGTERM", func(t *testing.T) { sigtermDuringEvaluation(t, bin) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := hostileDir(t, bombMapping)
			args := append([]string{"sync", "--integration", "file", "--file-glob", "quickstart/**",
				"--port-url", "local:catalog.json", "--mapping", "m.yml", "--summary-file", "summary.json", "--ci", "none"}, tt.args...)
			r := runBinary(t, bin, dir, args...)
			if r.code != exitFailed {
				t.Fatalf("exit code %d, want %d\n%s", r.code, exitFailed, r.stderr)
			}
			if r.rssKB == 0 || r.rssKB > tt.maxRSSMB<<10 {
				t.Errorf("peak RSS %d KB, want under %d MB", r.rssKB, tt.maxRSSMB)
			}
			t.Logf("peak RSS %d KB", r.rssKB)
			got := r.blockError()
			if tt.interrupted && got == "interrupted" {
				errs, _ := r.summary["errors"].([]any)
				if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), "--timeout") {
					t.Errorf("interrupted, but the run's errors %v do not name --timeout", errs)
				}
				return
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(got, w) {
					t.Errorf("block error %q lacks %q", got, w)
				}
			}
			if r.summary["status"] != "failed" {
				t.Errorf("status %v, want failed", r.summary["status"])
			}
		})
	}
}

// A SIGTERM while an expression loops stops the evaluation at once: exit
// 130, status aborted, and nothing deleted although the run's mapping would
// leave every entity of the first run stale.
func sigtermDuringEvaluation(t *testing.T, bin string) {
	dir := hostileDir(t, strings.Replace(bombMapping, "[range(1e8)] | length | tostring", "last(range(1e15)) | tostring", 1))
	base := []string{"sync", "--integration", "file", "--file-glob", "quickstart/**", "--port-url", "local:catalog.json", "--ci", "none"}
	if r := runBinary(t, bin, dir, base...); r.code != 0 {
		t.Fatalf("seeding run: exit %d\n%s", r.code, r.stderr)
	}
	before, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, append(base, "--mapping", "m.yml", "--summary-file", "summary.json", "--jq-item-timeout", "1h", "--log-format", "json")...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	peak := watchPeak(cmd.Process.Pid)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// The block logs "fetching" before its handler runs; the file source
	// reads three small files, and the first team item then loops.
	for !strings.Contains(stderr.String(), `"fetching"`) {
		select {
		case err := <-done:
			t.Fatalf("tide ended before the signal: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second): // a hang, not a speed check
		_ = cmd.Process.Kill()
		t.Fatalf("tide did not stop after SIGTERM\n%s", stderr.String())
	}
	r := finished(t, cmd, dir, stderr.String(), peak())
	if r.code != exitInterrupted {
		t.Fatalf("exit code %d, want %d\n%s", r.code, exitInterrupted, r.stderr)
	}
	if r.summary["status"] != "aborted" {
		t.Errorf("status %v, want aborted", r.summary["status"])
	}
	del, _ := r.summary["deletion"].(map[string]any)
	if del["deleted"] != 0.0 {
		t.Errorf("deletion %v, want nothing deleted", del)
	}
	after, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entityCount(t, after), entityCount(t, before); got != want || want == 0 {
		t.Errorf("catalog holds %d entities after the interrupted run, %d before", got, want)
	}
}

func entityCount(t *testing.T, catalog []byte) int {
	t.Helper()
	var c struct {
		Entities []json.RawMessage `json:"entities"`
	}
	if err := json.Unmarshal(catalog, &c); err != nil {
		t.Fatalf("catalog: %v", err)
	}
	return len(c.Entities)
}

// syncBuffer is a bytes.Buffer a child process writes while the test
// reads it.
type syncBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bigBlock is one resource block of the file kind for TestBigAnswers.
func bigBlock(query, itemsToParse, title string) string {
	s := "  - kind: file\n    selector:\n      query: '" + query + "'\n    port:\n"
	if itemsToParse != "" {
		s += "      itemsToParse: " + itemsToParse + "\n"
	}
	return s + "      entity:\n        mappings:\n          identifier: .identifier\n          title: '" + title + "'\n          blueprint: '\"team\"'\n"
}

// Vendor answers of hostile size go through with memory bounded by the
// answer, not multiplied by the number of blocks reading it: a page of a
// million tiny items, an itemsToParse list of a million elements, and a
// 10MB string mapped through JQ. Peak RSS is the process's own
// (getrusage); the three-block runs must stay within 1.5 times the
// one-block run of the same answer (three independent fetches would hold
// three copies).
func TestBigAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and decodes a million items")
	}
	t.Parallel()
	bin := buildTide(t)
	dir := t.TempDir()
	var tiny bytes.Buffer
	tiny.WriteString("[")
	for i := range 1_000_000 {
		if i > 0 {
			tiny.WriteString(",")
		}
		tiny.WriteString(`{"i":` + strconv.Itoa(i) + `}`)
	}
	tiny.WriteString("]")
	children := `[{"identifier":"parent","children":` + strings.TrimSuffix(tiny.String(), "") + `}]`
	long := `[{"identifier":"long","text":"` + strings.Repeat("Lorem ipsum ", 10<<20/12) + `"}]`
	for name, body := range map[string]string{"tiny.json": tiny.String(), "children.json": children, "long.json": long} {
		if err := os.MkdirAll(filepath.Join(dir, strings.TrimSuffix(name, ".json")), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, strings.TrimSuffix(name, ".json"), name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tinyBlock := bigBlock(".i < 0", "", ".identifier")
	childBlock := bigBlock(".item.i < 0", ".children", ".identifier")
	longBlock := bigBlock("true", "", `.text | ascii_downcase | length | tostring`)
	runs := []struct {
		name, glob, mapping string
	}{
		{"tiny x1", "tiny/*", tinyBlock},
		{"tiny x3", "tiny/*", tinyBlock + tinyBlock + tinyBlock},
		{"children x1", "children/*", childBlock},
		{"children x3", "children/*", childBlock + childBlock + childBlock},
		{"long x1", "long/*", longBlock},
		{"long x3", "long/*", longBlock + longBlock + longBlock},
	}
	rss := map[string]int64{}
	for _, r := range runs {
		m := filepath.Join(dir, strings.ReplaceAll(r.name, " ", "")+".yml")
		if err := os.WriteFile(m, []byte("resources:\n"+r.mapping), 0o644); err != nil {
			t.Fatal(err)
		}
		got := runBinary(t, bin, dir, "sync", "--integration", "file", "--file-glob", r.glob, "--port-url", "local:"+r.name+".json",
			"--mapping", m, "--dry-run", "--ci", "none", "--jq-max-memory", "64MiB")
		if got.code != 0 {
			t.Fatalf("%s: exit %d\n%s", r.name, got.code, got.stderr)
		}
		if got.rssKB == 0 {
			t.Fatalf("%s: no peak RSS measured", r.name)
		}
		rss[r.name] = got.rssKB
		t.Logf("%s: peak RSS %d KB", r.name, got.rssKB)
	}
	for _, kind := range []string{"tiny", "children", "long"} {
		one, three := rss[kind+" x1"], rss[kind+" x3"]
		if three*2 > one*3 {
			t.Errorf("%s: three blocks peaked at %d KB, one block at %d KB: memory grows with the blocks", kind, three, one)
		}
	}
	if rss["long x3"] > 150<<10 {
		t.Errorf("a 10MB string mapped by three blocks peaked at %d KB, want under 150 MB", rss["long x3"])
	}
}
