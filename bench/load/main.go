// Command load is tide's end-to-end load benchmark. It builds the tide
// binary (a release build, and one with -tags tidebench where a run needs
// it), the Port fake (bench/portfake) and the vendor fakes, then for every
// source, Port latency and catalog size N runs three syncs as separate
// processes against a fresh Port fake in its own process:
//
//	first      an empty catalog: every entity created
//	unchanged  the same source again: nothing to write
//	changed    1% of the items changed and 1% gone: updates and deletes
//
// The sources (-source, comma-separated):
//
//	custom         the custom integration over HTTP against bench/source,
//	               a paginated REST API in its own process (page pagination)
//	custom-offset  the same with offset pagination
//	custom-cursor  the same with cursor pagination
//	github         the GitHub integration against bench/githubfake
//	synthetic      the bench-only in-process generator (no HTTP, no decoding
//	               of a response: not a path a user runs)
//
// Tide is measured as users get it: the release build (CGO_ENABLED=0
// -trimpath -ldflags "-s -w", as the Makefile's build, the Dockerfile and
// action.yml do), so its peak RSS is a release binary's. A second build
// with -tags tidebench (which adds the synthetic source and the profiling
// hooks, and with runtime/pprof about 1 MB of RSS) runs the synthetic
// source and every run when -profile is set.
//
// It prints, per run, wall time, items/s, the tide process's peak RSS
// (wait4's maxrss) and beside it the peaks of RssAnon (heap, stacks,
// runtime) and RssFile (the binary's resident pages) sampled from
// /proc/PID/status every 5 ms ("-" where /proc is missing), tide's CPU (and
// per 1,000 items), the Port fake's and the vendor's CPU, and Port
// requests by route, then checks the targets of BENCHMARKS.md. With
// -repeat K every series runs K times and each figure is the median.
// -profile DIR also keeps, per run, a heap profile taken at the GC cycle
// with the largest live heap (heap-*.prof) and the runtime's memory
// classes at the process's largest footprint (memclasses-*.txt).
//
//	go run ./bench/load -source custom -n 10000,100000,1000000 -latency 0,10ms -repeat 3
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"embed"

	"github.com/tide-sync/tide/integrations/synthetic"
)

//go:embed mappings/*.yml
var mappings embed.FS

// Sources are the -source values.
var Sources = []string{"custom", "custom-offset", "custom-cursor", "github", "synthetic"}

// githubRepos mirrors bench/githubfake: 100 pull requests a repository.
func githubRepos(n int) int { return max(1, (n+99)/100) }

// blocks are the sizes of a source's resource blocks for N items: the
// blocks besides the main one, then the main one (N items).
func blocks(source string, n int) []int {
	if source == "github" {
		return []int{1, githubRepos(n), n}
	}
	return []int{synthetic.Teams(n), n}
}

func entities(source string, n int) int {
	t := 0
	for _, b := range blocks(source, n) {
		t += b
	}
	return t
}

// profileDir, when set, receives a CPU and an allocation profile and the
// standard error of every tide run.
var profileDir string

// tideEnv is added to the environment of every tide run (-tide-env).
var tideEnv []string

type phase struct {
	name            string
	change, removal int // percent
}

var phases = []phase{{"first", 0, 0}, {"unchanged", 0, 0}, {"changed", 1, 1}}

// run is one measured sync.
type run struct {
	Source  string        `json:"source"`
	Latency time.Duration `json:"latency"`
	N       int           `json:"n"`
	Phase   string        `json:"phase"`
	Wall    time.Duration `json:"wall"`
	Items   int           `json:"items"`     // fetched
	RSSKB   int64         `json:"peakRssKB"` // wait4's maxrss: the headline figure
	// AnonKB and FileKB are the peaks of RssAnon (heap, stacks, runtime
	// metadata) and RssFile (the binary's resident pages) sampled from
	// /proc/PID/status while tide runs; -1 where /proc is missing.
	AnonKB      int64          `json:"peakRssAnonKB"`
	FileKB      int64          `json:"peakRssFileKB"`
	CPU         time.Duration  `json:"cpu"`       // tide's user+system time
	FakeCPU     time.Duration  `json:"fakeCpu"`   // portfake's, during the run
	SourceCPU   time.Duration  `json:"sourceCpu"` // the vendor fake's, during the run
	SourceReqs  int64          `json:"sourceRequests"`
	Counts      map[string]int `json:"requests"`
	MaxInFlight int64          `json:"maxInFlight"`
	Conns       int64          `json:"connections"` // opened to the fake
	Summary     summary        `json:"summary"`
	Problems    []string       `json:"problems,omitempty"`
}

type summary struct {
	Status string `json:"status"`
	Total  struct {
		Fetched, Created, Updated, Unchanged, Deleted, Failed int
	} `json:"total"`
}

func main() {
	var o options
	flag.StringVar(&o.sizes, "n", "10000,100000", "catalog sizes, comma-separated")
	flag.StringVar(&o.lats, "latency", "0,10ms", "Port latencies, comma-separated")
	flag.StringVar(&o.sources, "source", "custom", "sources, comma-separated: "+strings.Join(Sources, ", "))
	flag.DurationVar(&o.sourceLatency, "source-latency", 0, "latency the vendor fake adds to every request")
	flag.IntVar(&o.writeConc, "write-concurrency", 8, "tide's --write-concurrency")
	flag.IntVar(&o.repeat, "repeat", 1, "run every series this many times; figures are medians")
	flag.StringVar(&o.tide, "tide", "", "a tide binary to measure instead of building this tree's (before/after comparisons); built with -tags tidebench for -source synthetic or -profile")
	flag.StringVar(&o.jsonOut, "json", "", "also write every run as JSON to this file")
	flag.StringVar(&o.workdir, "workdir", "", "build and work directory (default: a temporary one)")
	flag.StringVar(&profileDir, "profile", "", "write a CPU and an allocation profile and the standard error of every tide run to this directory")
	flag.Func("tide-env", "KEY=VALUE added to tide's environment (repeatable), e.g. GODEBUG=gctrace=1", func(s string) error {
		if !strings.Contains(s, "=") {
			return errors.New("want KEY=VALUE")
		}
		tideEnv = append(tideEnv, s)
		return nil
	})
	flag.Parse()

	if err := mainErr(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	sizes, lats, sources string
	sourceLatency        time.Duration
	writeConc, repeat    int
	tide                 string
	jsonOut, workdir     string
}

// bins are the built programs: tide is the release build, tideBench the
// -tags tidebench one (synthetic source, profiling hooks).
type bins struct{ tide, tideBench, fake, source, github string }

// tideFor is the binary a run of source measures.
func (b bins) tideFor(source string) string {
	if source == "synthetic" || profileDir != "" {
		return b.tideBench
	}
	return b.tide
}

func mainErr(o options) error {
	writeConc, jsonOut, workdir := o.writeConc, o.jsonOut, o.workdir
	var srcs []string
	for _, s := range strings.Split(o.sources, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(Sources, s) {
			return fmt.Errorf("-source: unknown source %q (want %s)", s, strings.Join(Sources, ", "))
		}
		srcs = append(srcs, s)
	}
	if o.repeat < 1 {
		return fmt.Errorf("-repeat %d: want at least 1", o.repeat)
	}
	var sizes []int
	for _, s := range strings.Split(o.sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-n: bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	var lats []time.Duration
	for _, s := range strings.Split(o.lats, ",") {
		s = strings.TrimSpace(s)
		if s == "0" {
			s = "0s"
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("-latency: %v", err)
		}
		lats = append(lats, d)
	}
	dir := workdir
	if dir == "" {
		d, err := os.MkdirTemp("", "tide-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	b := bins{tide: filepath.Join(dir, "tide"), tideBench: filepath.Join(dir, "tide-bench"), fake: filepath.Join(dir, "portfake"),
		source: filepath.Join(dir, "source"), github: filepath.Join(dir, "githubfake")}
	builds := [][]string{
		{"build", "-trimpath", "-o", b.fake, "./bench/portfake"},
		{"build", "-trimpath", "-o", b.source, "./bench/source"},
		{"build", "-trimpath", "-o", b.github, "./bench/githubfake"},
	}
	if o.tide != "" {
		abs, err := filepath.Abs(o.tide)
		if err != nil {
			return err
		}
		b.tide, b.tideBench = abs, abs
	} else {
		// Built as users get it (the Makefile's build, the Dockerfile,
		// action.yml): static, stripped, without cgo. The binary's own
		// resident pages are part of peak RSS. Only the builds some run
		// measures (tideFor) are made.
		used := map[string]bool{}
		for _, s := range srcs {
			used[b.tideFor(s)] = true
		}
		for _, t := range []struct{ out, tags string }{{b.tide, ""}, {b.tideBench, "tidebench"}} {
			if used[t.out] {
				builds = append(builds, []string{"build", "-tags", t.tags, "-trimpath", "-ldflags", "-s -w", "-o", t.out, "."})
			}
		}
	}
	for _, b := range builds {
		cmd := exec.Command("go", b...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w (run from the repository root)", strings.Join(b, " "), err)
		}
	}

	fmt.Printf("# tide load benchmark\n\n%s, %d CPUs (GOMAXPROCS %d), %s; --write-concurrency %d; vendor latency %s; medians of %d\n\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), writeConc, latName(o.sourceLatency), o.repeat)
	fmt.Println("| source | latency | N | sync | wall | items/s | peak RSS | anon / file | tide CPU | tide CPU / 1k items | fake CPU | source CPU | source requests | upserts | deletes | searches | ownership | other | max in flight | connections | result |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	var runs []run
	for _, src := range srcs {
		for _, lat := range lats {
			for _, n := range sizes {
				var reps [][]run
				for range o.repeat {
					rs, err := series(dir, b, src, lat, o.sourceLatency, n, writeConc)
					reps = append(reps, rs)
					if err != nil {
						for _, r := range rs {
							printRow(r)
						}
						return err
					}
				}
				for _, r := range medians(reps) {
					printRow(r)
					runs = append(runs, r)
				}
			}
		}
	}
	fmt.Println()
	targets(runs, writeConc)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(runs, "", "  ")
		if err := os.WriteFile(jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	for _, r := range runs {
		if len(r.Problems) > 0 {
			return errors.New("some runs did not do what they should (see the result column)")
		}
	}
	return nil
}

// start runs a fake that prints its base URL on its first line of stdout.
func start(bin string, args ...string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	u, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, "", fmt.Errorf("%s: %w", filepath.Base(bin), err)
	}
	return cmd, strings.TrimSpace(u), nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// series runs the three phases of one source and size against one fresh
// Port fake (and vendor fake).
func series(dir string, b bins, source string, lat, srcLat time.Duration, n, writeConc int) ([]run, error) {
	fakeArgs := []string{"-latency", lat.String()}
	if strings.HasPrefix(source, "custom") {
		// The custom integration has no default blueprints: the Port
		// fake starts with the synthetic ones.
		bp, err := synthetic.Definition().Resources.Open("blueprints.json")
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(bp)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "blueprints.json")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			return nil, err
		}
		fakeArgs = append(fakeArgs, "-blueprints", path)
	}
	fake, portURL, err := start(b.fake, fakeArgs...)
	if err != nil {
		return nil, err
	}
	defer stop(fake)

	var vendorURL string
	mapping := ""
	switch source {
	case "custom", "custom-offset", "custom-cursor":
		style := strings.TrimPrefix(strings.TrimPrefix(source, "custom"), "-")
		if style == "" {
			style = "page"
		}
		mapping = "custom-" + style + ".yml"
		cmd, u, err := start(b.source, "-latency", srcLat.String())
		if err != nil {
			return nil, err
		}
		defer stop(cmd)
		vendorURL = u
	case "github":
		mapping = "github.yml"
		cmd, u, err := start(b.github, "-latency", srcLat.String())
		if err != nil {
			return nil, err
		}
		defer stop(cmd)
		vendorURL = u
	}
	mappingFile := ""
	if mapping != "" {
		raw, err := mappings.ReadFile("mappings/" + mapping)
		if err != nil {
			return nil, err
		}
		mappingFile = filepath.Join(dir, mapping)
		if err := os.WriteFile(mappingFile, raw, 0o644); err != nil {
			return nil, err
		}
	}

	var runs []run
	for _, ph := range phases {
		if vendorURL != "" {
			q := url.Values{"n": {strconv.Itoa(n)}, "change": {strconv.Itoa(ph.change)}, "remove": {strconv.Itoa(ph.removal)}}
			if err := post(vendorURL + "/_bench/config?" + q.Encode()); err != nil {
				return runs, err
			}
		}
		if err := post(portURL + "/_bench/reset"); err != nil {
			return runs, err
		}
		before, err := benchStats[fakeStats](portURL)
		if err != nil {
			return runs, err
		}
		var srcBefore vendorStats
		if vendorURL != "" {
			if srcBefore, err = benchStats[vendorStats](vendorURL); err != nil {
				return runs, err
			}
		}
		sumFile := filepath.Join(dir, "summary.json")
		args := []string{"sync", "--identifier", "load",
			"--port-url", portURL, "--log-level", "warn",
			"--write-concurrency", strconv.Itoa(writeConc), "--summary-file", sumFile}
		env := append(os.Environ(), "PORT_CLIENT_ID=load-id", "PORT_CLIENT_SECRET=load-secret")
		switch source {
		case "synthetic":
			args = append(args, "--integration", "synthetic", "--init-resources",
				"--synthetic-count", strconv.Itoa(n),
				"--synthetic-change-percent", strconv.Itoa(ph.change),
				"--synthetic-remove-percent", strconv.Itoa(ph.removal))
		case "github":
			args = append(args, "--integration", "github", "--init-resources", "--mapping", mappingFile,
				"--github-host", vendorURL, "--github-organization", "bench-org")
			env = append(env, "GITHUB_TOKEN=bench-token")
		default:
			args = append(args, "--integration", "custom", "--mapping", mappingFile, "--custom-base-url", vendorURL)
		}
		cmd := exec.CommandContext(context.Background(), b.tideFor(source), args...)
		cmd.Env = env
		cmd.Env = append(cmd.Env, tideEnv...)
		// profileFile names this run's file of one kind under -profile.
		profileFile := func(kind, ext string) string {
			return filepath.Join(profileDir, fmt.Sprintf("%s-%s-%s-%d-%s.%s", kind, source, latName(lat), n, ph.name, ext))
		}
		if profileDir != "" {
			cmd.Env = append(cmd.Env,
				"TIDE_BENCH_HEAPPROFILE="+profileFile("heap", "prof"),
				"TIDE_BENCH_MEMCLASSES="+profileFile("memclasses", "txt"),
				"TIDE_BENCH_MEMPROFILE="+profileFile("mem", "prof"),
				"TIDE_BENCH_CPUPROFILE="+profileFile("cpu", "prof"))
		}
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		_ = os.Remove(sumFile)
		t0 := time.Now()
		runErr := cmd.Start()
		var rss rssPeaks
		if runErr == nil {
			stopPoll := pollRSS(cmd.Process.Pid, 5*time.Millisecond)
			runErr = cmd.Wait()
			rss = stopPoll()
		}
		r := run{Source: source, Latency: lat, N: n, Phase: ph.name, Wall: time.Since(t0),
			AnonKB: rss.anonKB, FileKB: rss.fileKB}
		if profileDir != "" {
			_ = os.WriteFile(profileFile("stderr", "txt"), []byte(stderr.String()), 0o644)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.RSSKB = ru.Maxrss // kilobytes on Linux
			r.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		if runErr != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("exit: %v: %s", runErr, lastLine(stderr.String())))
		}
		if b, err := os.ReadFile(sumFile); err == nil {
			_ = json.Unmarshal(b, &r.Summary)
		}
		r.Items = r.Summary.Total.Fetched
		st, err := benchStats[fakeStats](portURL)
		if err != nil {
			return runs, err
		}
		r.Counts, r.MaxInFlight, r.Conns = st.Counts, st.MaxInFlight, st.Conns
		r.FakeCPU = time.Duration(st.CPUMS-before.CPUMS) * time.Millisecond
		if vendorURL != "" {
			after, err := benchStats[vendorStats](vendorURL)
			if err != nil {
				return runs, err
			}
			r.SourceCPU = time.Duration(after.CPUMS-srcBefore.CPUMS) * time.Millisecond
			r.SourceReqs = after.Requests - srcBefore.Requests
			if after.Requests < srcBefore.Requests { // the config reset the count
				r.SourceReqs = after.Requests
			}
		}
		r.Problems = append(r.Problems, check(r, ph)...)
		runs = append(runs, r)
	}
	return runs, nil
}

func post(u string) error {
	resp, err := http.Post(u, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", u, resp.Status, msg)
	}
	return nil
}

type vendorStats struct {
	Requests int64 `json:"requests"`
	CPUMS    int64 `json:"cpuMS"`
}

// benchStats reads a fake's counters: the Port fake's (fakeStats) or the
// vendor fake's (vendorStats).
func benchStats[T any](base string) (T, error) {
	var st T
	resp, err := http.Get(base + "/_bench/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// medians folds repeated series of the same runs into one run each: the
// median of every measured figure (counts and results from the first).
func medians(reps [][]run) []run {
	if len(reps) == 1 {
		return reps[0]
	}
	out := make([]run, len(reps[0]))
	for i := range out {
		out[i] = reps[0][i]
		med := func(get func(run) int64) int64 {
			var v []int64
			for _, rs := range reps {
				if i < len(rs) {
					v = append(v, get(rs[i]))
				}
			}
			slices.Sort(v)
			return v[len(v)/2]
		}
		out[i].Wall = time.Duration(med(func(r run) int64 { return int64(r.Wall) }))
		out[i].CPU = time.Duration(med(func(r run) int64 { return int64(r.CPU) }))
		out[i].FakeCPU = time.Duration(med(func(r run) int64 { return int64(r.FakeCPU) }))
		out[i].SourceCPU = time.Duration(med(func(r run) int64 { return int64(r.SourceCPU) }))
		out[i].RSSKB = med(func(r run) int64 { return r.RSSKB })
		out[i].AnonKB = med(func(r run) int64 { return r.AnonKB })
		out[i].FileKB = med(func(r run) int64 { return r.FileKB })
		for _, rs := range reps[1:] {
			if i < len(rs) {
				out[i].Problems = append(out[i].Problems, rs[i].Problems...)
			}
		}
	}
	return out
}

type fakeStats struct {
	Counts      map[string]int `json:"counts"`
	MaxInFlight int64          `json:"maxInFlight"`
	CPUMS       int64          `json:"cpuMS"`
	Conns       int64          `json:"conns"`
}

// check compares a run's summary with what the phase must do.
func check(r run, ph phase) []string {
	var p []string
	t := r.Summary.Total
	teams := entities(r.Source, r.N) - r.N
	changed, removed := 0, 0
	for i := range r.N {
		if (i+50)%100 < ph.removal {
			removed++
		} else if (i+7)%100 < ph.change {
			changed++
		}
	}
	want := struct{ fetched, created, updated, unchanged, deleted int }{}
	switch ph.name {
	case "first":
		want.fetched, want.created = r.N+teams, r.N+teams
	case "unchanged":
		want.fetched, want.unchanged = r.N+teams, r.N+teams
	case "changed":
		want.fetched = r.N - removed + teams
		want.updated, want.deleted = changed, removed
		want.unchanged = want.fetched - changed
	}
	got := struct{ fetched, created, updated, unchanged, deleted int }{t.Fetched, t.Created, t.Updated, t.Unchanged, t.Deleted}
	if r.Summary.Status != "completed" {
		p = append(p, "status "+r.Summary.Status)
	}
	if got != want {
		p = append(p, fmt.Sprintf("counts %+v, want %+v", got, want))
	}
	return p
}

func printRow(r run) {
	c := r.Counts
	other := 0
	for k, v := range c {
		switch k {
		case "entities.bulk-upsert", "entities.bulk-delete", "entities.search", "datasource-entities":
		default:
			other += v
		}
	}
	result := "ok"
	if len(r.Problems) > 0 {
		result = strings.Join(r.Problems, "; ")
	}
	srcCPU, srcReqs := "–", "–"
	if r.Source != "synthetic" {
		srcCPU, srcReqs = fmt.Sprintf("%.2fs", r.SourceCPU.Seconds()), strconv.FormatInt(r.SourceReqs, 10)
	}
	name := r.Source
	if name == "synthetic" {
		name = "synthetic (in process)"
	}
	fmt.Printf("| %s | %s | %s | %s | %s | %s | %d MB | %s | %.2fs | %.1f ms | %.2fs | %s | %s | %d | %d | %d | %d | %d | %d | %d | %s |\n",
		name, latName(r.Latency), human(r.N), r.Phase, r.Wall.Round(10*time.Millisecond), human(int(float64(r.Items)/r.Wall.Seconds())),
		(r.RSSKB+512)/1024, anonFile(r), r.CPU.Seconds(), perK(r), r.FakeCPU.Seconds(), srcCPU, srcReqs, c["entities.bulk-upsert"], c["entities.bulk-delete"], c["entities.search"], c["datasource-entities"], other, r.MaxInFlight, r.Conns, result)
}

// perK is tide's CPU in milliseconds per 1,000 items fetched.
func perK(r run) float64 {
	if r.Items == 0 {
		return 0
	}
	return r.CPU.Seconds() * 1e6 / float64(r.Items)
}

// targets checks the figures against the targets of BENCHMARKS.md and
// prints each.
func targets(runs []run, writeConc int) {
	fmt.Println("Targets:")
	say := func(ok bool, format string, a ...any) {
		mark := "PASS"
		if !ok {
			mark = "MISS"
		}
		fmt.Printf("- %s %s\n", mark, fmt.Sprintf(format, a...))
	}
	type key struct {
		source string
		lat    time.Duration
		n      int
	}
	firsts := map[key]run{}
	for _, r := range runs {
		if r.Phase == "first" {
			firsts[key{r.Source, r.Latency, r.N}] = r
		}
	}
	cores := runtime.NumCPU()
	for _, r := range runs {
		custom := strings.HasPrefix(r.Source, "custom")
		what := fmt.Sprintf("%s %s N=%s %s", r.Source, latName(r.Latency), human(r.N), r.Phase)
		switch r.Phase {
		case "first":
			want := 0
			for _, b := range blocks(r.Source, r.N) {
				want += ceil(b, 20)
			}
			say(r.Counts["entities.bulk-upsert"] == want, "%s: %d bulk upserts, ⌈N/20⌉ per blueprint = %d", what, r.Counts["entities.bulk-upsert"], want)
			if custom && r.Latency == 0 {
				say(perK(r) <= 30, "%s: tide CPU %.1f ms per 1,000 items (target ≤ 30)", what, perK(r))
			}
			if r.Latency > 0 {
				total := 0
				for _, v := range r.Counts {
					total += v
				}
				bound := time.Duration(float64(r.Latency) * float64(total) / float64(writeConc))
				limit := 2.0
				if r.N >= 100000 && custom {
					limit = 1.3
				}
				say(r.Wall.Seconds() <= limit*bound.Seconds(), "%s: %s for %d requests; latency × requests ÷ write concurrency = %s, %.2f× (target ≤ %.1f×)",
					what, r.Wall.Round(10*time.Millisecond), total, bound.Round(10*time.Millisecond), r.Wall.Seconds()/bound.Seconds(), limit)
				say(r.MaxInFlight <= int64(writeConc)+2, "%s: at most %d requests in flight (--write-concurrency %d)", what, r.MaxInFlight, writeConc)
			}
		case "unchanged":
			writes := r.Counts["entities.bulk-upsert"] + r.Counts["entities.bulk-delete"] + r.Counts["entity.upsert"] + r.Counts["entity.delete"]
			reads := r.Counts["entities.search"] + r.Counts["datasource-entities"]
			e := entities(r.Source, r.N)
			bound := ceil(e, 1000) + ceil(e, 5000) + 2*len(blocks(r.Source, r.N))
			say(writes == 0 && reads <= bound, "%s: %d writes, %d search+ownership reads (bound ⌈N/1000⌉+⌈N/5000⌉+2 per blueprint = %d)", what, writes, reads, bound)
			if custom && r.Latency == 0 {
				say(perK(r) <= 20, "%s: tide CPU %.1f ms per 1,000 items (target ≤ 20)", what, perK(r))
			}
			if f, ok := firsts[key{r.Source, r.Latency, r.N}]; ok && r.Source != "synthetic" {
				say(r.Wall <= f.Wall, "%s: %s, first sync %s (target: never slower)", what, r.Wall.Round(10*time.Millisecond), f.Wall.Round(10*time.Millisecond))
			}
			if custom && r.Latency == 0 && r.N == 50000 {
				bound := time.Duration(1.3 * float64(r.CPU) / float64(cores))
				say(r.Wall <= bound, "%s: wall %s, 1.3 × tide CPU %s ÷ %d cores = %s", what, r.Wall.Round(10*time.Millisecond), r.CPU.Round(10*time.Millisecond), cores, bound.Round(10*time.Millisecond))
				// The cores tide can use are those the Port fake and the
				// source, on the same machine in the same seconds, leave.
				others := (r.FakeCPU + r.SourceCPU).Seconds() / r.Wall.Seconds()
				if avail := float64(cores) - others; avail > 0 {
					bound := time.Duration(1.3 * float64(r.CPU) / avail)
					say(r.Wall <= bound, "%s: wall %s, 1.3 × tide CPU %s ÷ %.2f cores left by the fake and source (%.2f cores) = %s", what, r.Wall.Round(10*time.Millisecond), r.CPU.Round(10*time.Millisecond), avail, others, bound.Round(10*time.Millisecond))
				}
			}
		}
		switch {
		case r.N <= 50000 && custom:
			say(r.RSSKB <= 20*1024, "%s: peak RSS %.1f MB (target ≤ 20 MB)", what, float64(r.RSSKB)/1024)
		case r.N >= 1000000:
			say(r.RSSKB <= 200*1024, "%s: peak RSS %.1f MB (target ≤ 200 MB)", what, float64(r.RSSKB)/1024)
		}
	}
}

func ceil(a, b int) int { return int(math.Ceil(float64(a) / float64(b))) }

func latName(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}

func human(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return fmt.Sprintf("%dM", n/1000000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
