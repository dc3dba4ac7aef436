// Command load is tide's end-to-end load benchmark. It builds the tide
// binary with the bench-only synthetic integration (-tags tidebench) and the
// portfake server, then for every Port latency and catalog size N runs three
// syncs as separate processes against a fresh fake in its own process:
//
//	first      an empty catalog: every entity created
//	unchanged  the same source again: nothing to write
//	changed    1% of services changed and 1% gone: updates and deletes
//
// and prints, per run, wall time, items/s, the tide process's peak RSS, and
// Port requests by route, then checks the targets of BENCHMARKS.md.
//
//	go run ./bench/load -n 10000,100000,1000000 -latency 0,10ms
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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tide-sync/tide/integrations/synthetic"
)

// profileDir, when set, receives cpu-<latency>-<n>-<phase>.prof per run.
var profileDir string

type phase struct {
	name            string
	change, removal int // percent
}

var phases = []phase{{"first", 0, 0}, {"unchanged", 0, 0}, {"changed", 1, 1}}

// run is one measured sync.
type run struct {
	Latency     time.Duration  `json:"latency"`
	N           int            `json:"n"`
	Phase       string         `json:"phase"`
	Wall        time.Duration  `json:"wall"`
	Items       int            `json:"items"` // fetched
	RSSKB       int64          `json:"peakRssKB"`
	CPU         time.Duration  `json:"cpu"`     // tide's user+system time
	FakeCPU     time.Duration  `json:"fakeCpu"` // portfake's, during the run
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
	ns := flag.String("n", "10000,100000", "catalog sizes, comma-separated")
	lats := flag.String("latency", "0,10ms", "Port latencies, comma-separated")
	writeConc := flag.Int("write-concurrency", 8, "tide's --write-concurrency")
	out := flag.String("json", "", "also write every run as JSON to this file")
	keep := flag.String("workdir", "", "build and work directory (default: a temporary one)")
	flag.StringVar(&profileDir, "profile", "", "write a CPU profile of every tide run to this directory")
	flag.Parse()

	if err := mainErr(*ns, *lats, *writeConc, *out, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func mainErr(nsFlag, latFlag string, writeConc int, jsonOut, workdir string) error {
	var sizes []int
	for _, s := range strings.Split(nsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-n: bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	var lats []time.Duration
	for _, s := range strings.Split(latFlag, ",") {
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
	tide, fake := filepath.Join(dir, "tide"), filepath.Join(dir, "portfake")
	for _, b := range [][]string{
		{"build", "-tags", "tidebench", "-trimpath", "-o", tide, "."},
		{"build", "-trimpath", "-o", fake, "./bench/portfake"},
	} {
		cmd := exec.Command("go", b...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w (run from the repository root)", strings.Join(b, " "), err)
		}
	}

	fmt.Printf("# tide load benchmark\n\n%s, %d CPUs (GOMAXPROCS %d), %s; --write-concurrency %d\n\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), writeConc)
	fmt.Println("| latency | N | sync | wall | items/s | peak RSS | tide CPU | fake CPU | upserts | deletes | searches | ownership | other | max in flight | connections | result |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	var runs []run
	for _, lat := range lats {
		for _, n := range sizes {
			rs, err := series(dir, tide, fake, lat, n, writeConc)
			for _, r := range rs {
				printRow(r)
			}
			runs = append(runs, rs...)
			if err != nil {
				return err
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

// series runs the three phases of one size against one fresh fake.
func series(dir, tide, fakeBin string, lat time.Duration, n, writeConc int) ([]run, error) {
	fake := exec.Command(fakeBin, "-latency", lat.String())
	stdout, err := fake.StdoutPipe()
	if err != nil {
		return nil, err
	}
	fake.Stderr = os.Stderr
	if err := fake.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = fake.Process.Kill(); _ = fake.Wait() }()
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("portfake: %w", err)
	}
	url = strings.TrimSpace(url)

	var runs []run
	for _, ph := range phases {
		if _, err := http.Post(url+"/_bench/reset", "", nil); err != nil {
			return runs, err
		}
		before, err := stats(url)
		if err != nil {
			return runs, err
		}
		sumFile := filepath.Join(dir, "summary.json")
		args := []string{"sync", "--integration", "synthetic", "--identifier", "load",
			"--port-url", url, "--init-resources", "--log-level", "warn",
			"--write-concurrency", strconv.Itoa(writeConc), "--summary-file", sumFile,
			"--synthetic-count", strconv.Itoa(n),
			"--synthetic-change-percent", strconv.Itoa(ph.change),
			"--synthetic-remove-percent", strconv.Itoa(ph.removal),
		}
		cmd := exec.CommandContext(context.Background(), tide, args...)
		cmd.Env = append(os.Environ(), "PORT_CLIENT_ID=load-id", "PORT_CLIENT_SECRET=load-secret")
		if profileDir != "" {
			cmd.Env = append(cmd.Env, "TIDE_BENCH_CPUPROFILE="+filepath.Join(profileDir, fmt.Sprintf("cpu-%s-%d-%s.prof", latName(lat), n, ph.name)))
		}
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		t0 := time.Now()
		runErr := cmd.Run()
		r := run{Latency: lat, N: n, Phase: ph.name, Wall: time.Since(t0)}
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
		st, err := stats(url)
		if err != nil {
			return runs, err
		}
		r.Counts, r.MaxInFlight, r.Conns = st.Counts, st.MaxInFlight, st.Conns
		r.FakeCPU = time.Duration(st.CPUMS-before.CPUMS) * time.Millisecond
		r.Problems = append(r.Problems, check(r, ph)...)
		runs = append(runs, r)
	}
	return runs, nil
}

type fakeStats struct {
	Counts      map[string]int `json:"counts"`
	MaxInFlight int64          `json:"maxInFlight"`
	CPUMS       int64          `json:"cpuMS"`
	Conns       int64          `json:"conns"`
}

func stats(url string) (fakeStats, error) {
	var st fakeStats
	resp, err := http.Get(url + "/_bench/stats")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// check compares a run's summary with what the phase must do.
func check(r run, ph phase) []string {
	var p []string
	t := r.Summary.Total
	teams := synthetic.Teams(r.N)
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
	fmt.Printf("| %s | %s | %s | %s | %s | %d MB | %.1fs | %.1fs | %d | %d | %d | %d | %d | %d | %d | %s |\n",
		latName(r.Latency), human(r.N), r.Phase, r.Wall.Round(10*time.Millisecond), human(int(float64(r.Items)/r.Wall.Seconds())),
		(r.RSSKB+512)/1024, r.CPU.Seconds(), r.FakeCPU.Seconds(), c["entities.bulk-upsert"], c["entities.bulk-delete"], c["entities.search"], c["datasource-entities"], other, r.MaxInFlight, r.Conns, result)
}

// targets checks the figures against the targets and prints each.
func targets(runs []run, writeConc int) {
	fmt.Println("Targets:")
	say := func(ok bool, format string, a ...any) {
		mark := "PASS"
		if !ok {
			mark = "MISS"
		}
		fmt.Printf("- %s %s\n", mark, fmt.Sprintf(format, a...))
	}
	for _, r := range runs {
		teams := synthetic.Teams(r.N)
		entities := r.N + teams
		switch r.Phase {
		case "first":
			want := ceil(r.N, 20) + ceil(teams, 20)
			say(r.Counts["entities.bulk-upsert"] == want, "%s N=%s first sync: %d bulk upserts, ⌈N/20⌉ per blueprint = %d",
				latName(r.Latency), human(r.N), r.Counts["entities.bulk-upsert"], want)
			if r.Latency == 0 && r.N == 100000 {
				rate := float64(entities) / r.Wall.Seconds()
				say(rate >= 20000, "first sync of 100k at zero latency: %.0f entities/s (target ≥ 20,000)", rate)
			}
			if r.Latency > 0 {
				total := 0
				for _, v := range r.Counts {
					total += v
				}
				bound := time.Duration(float64(r.Latency) * float64(total) / float64(writeConc))
				say(r.Wall <= 2*bound, "%s N=%s first sync: %s for %d requests; latency × requests ÷ concurrency = %s (target ≤ 2×)",
					latName(r.Latency), human(r.N), r.Wall.Round(10*time.Millisecond), total, bound.Round(10*time.Millisecond))
				say(r.MaxInFlight <= int64(writeConc)+2, "%s N=%s first sync: at most %d requests in flight (--write-concurrency %d)",
					latName(r.Latency), human(r.N), r.MaxInFlight, writeConc)
			}
		case "unchanged":
			writes := r.Counts["entities.bulk-upsert"] + r.Counts["entities.bulk-delete"] + r.Counts["entity.upsert"] + r.Counts["entity.delete"]
			reads := r.Counts["entities.search"] + r.Counts["datasource-entities"]
			bound := ceil(entities, 1000) + ceil(entities, 5000) + 4
			say(writes == 0 && reads <= bound, "%s N=%s unchanged re-sync: %d writes, %d search+ownership reads (bound ⌈N/1000⌉+⌈N/5000⌉+c = %d)",
				latName(r.Latency), human(r.N), writes, reads, bound)
		}
		if r.N >= 1000000 {
			say(r.RSSKB <= 300*1024, "%s N=%s %s: peak RSS %d MB (target ≤ 300 MB)", latName(r.Latency), human(r.N), r.Phase, r.RSSKB/1024)
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
