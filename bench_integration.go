//go:build tidebench

package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/tide-sync/tide/integrations/synthetic"
)

// The load benchmark builds tide with -tags tidebench, which adds the
// generated source it syncs and profiling through the environment:
// TIDE_BENCH_CPUPROFILE=FILE and TIDE_BENCH_MEMPROFILE=FILE (allocations,
// and what is in use at the end), TIDE_BENCH_HEAPPROFILE=FILE (what is in
// use at the GC cycle with the largest live heap, sampled every 8 KiB
// allocated instead of 512 KiB) and TIDE_BENCH_MEMCLASSES=FILE (the
// runtime's memory classes when the process's footprint was largest).
func init() {
	benchIntegrations = append(benchIntegrations, synthetic.Definition())
	heapPath, classesPath := os.Getenv("TIDE_BENCH_HEAPPROFILE"), os.Getenv("TIDE_BENCH_MEMCLASSES")
	if heapPath != "" {
		runtime.MemProfileRate = 8 << 10
	}
	startProfile = func() func() {
		var cpu *os.File
		if path := os.Getenv("TIDE_BENCH_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				cpu = f
			}
		}
		var stopPeak func()
		if heapPath != "" || classesPath != "" {
			stopPeak = watchMemory(heapPath, classesPath)
		}
		return func() {
			if stopPeak != nil {
				stopPeak()
			}
			if cpu != nil {
				pprof.StopCPUProfile()
				cpu.Close()
			}
			if path := os.Getenv("TIDE_BENCH_MEMPROFILE"); path != "" {
				if f, err := os.Create(path); err == nil {
					_ = pprof.Lookup("allocs").WriteTo(f, 0)
					f.Close()
				}
			}
		}
	}
}

// watchMemory samples runtime/metrics every 2 ms. After each GC cycle whose
// live heap is the largest so far it keeps a heap profile (the in-use
// figures of a heap profile are those of the last completed cycle, so the
// profile taken then is what the largest live heap held); it keeps the
// memory classes of the sample where the runtime's footprint (mapped and
// not returned to the OS) was largest. stop writes both files.
func watchMemory(heapPath, classesPath string) (stop func()) {
	var names []string
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") {
			names = append(names, d.Name)
		}
	}
	const cycles, live = "/gc/cycles/total:gc-cycles", "/gc/heap/live:bytes"
	names = append(names, cycles, live)
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	get := func(name string) uint64 {
		i := slices.IndexFunc(samples, func(s metrics.Sample) bool { return s.Name == name })
		return samples[i].Value.Uint64()
	}
	var (
		profile                   bytes.Buffer
		maxLive, lastCycle, peakF uint64
		peak                      []metrics.Sample
		at                        time.Duration
	)
	start := time.Now()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			footprint := get("/memory/classes/total:bytes") - get("/memory/classes/heap/released:bytes")
			if footprint > peakF {
				peakF, peak, at = footprint, slices.Clone(samples), time.Since(start)
			}
			if c := get(cycles); c != lastCycle {
				lastCycle = c
				if l := get(live); l > maxLive {
					maxLive = l
					if heapPath != "" {
						profile.Reset()
						_ = pprof.Lookup("heap").WriteTo(&profile, 0)
					}
				}
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		if heapPath != "" && profile.Len() > 0 {
			_ = os.WriteFile(heapPath, profile.Bytes(), 0o644)
		}
		if classesPath != "" {
			var b strings.Builder
			fmt.Fprintf(&b, "# runtime/metrics at the largest footprint (total - heap/released = %.1f MiB), %s into the run; largest live heap after a GC %.1f MiB\n",
				float64(peakF)/(1<<20), at.Round(time.Millisecond), float64(maxLive)/(1<<20))
			for _, s := range peak {
				fmt.Fprintf(&b, "%-60s %8.2f MiB\n", s.Name, float64(s.Value.Uint64())/(1<<20))
			}
			_ = os.WriteFile(classesPath, []byte(b.String()), 0o644)
		}
	}
}
