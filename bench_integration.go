//go:build tidebench

package main

import (
	"os"
	"runtime/pprof"

	"github.com/tide-sync/tide/integrations/synthetic"
)

// The load benchmark builds tide with -tags tidebench, which adds the
// generated source it syncs and profiling through the environment:
// TIDE_BENCH_CPUPROFILE=FILE and TIDE_BENCH_MEMPROFILE=FILE.
func init() {
	benchIntegrations = append(benchIntegrations, synthetic.Definition())
	startProfile = func() func() {
		var cpu *os.File
		if path := os.Getenv("TIDE_BENCH_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				cpu = f
			}
		}
		return func() {
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
