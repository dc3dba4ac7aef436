// Command portfake serves porttest, the in-memory Port fake, on a loopback
// port for the load benchmark, so that tide runs as its own process and its
// memory is measured alone.
//
//	portfake -latency 10ms [-blueprints FILE]
//
// It prints its base URL on the first line of stdout and serves, besides
// Port's API under /v1:
//
//	GET  /_bench/stats  request counts by route, the most requests in flight
//	                    and the fake's CPU time
//	POST /_bench/reset  zero the counts
//	GET  /_bench/cpuprofile?seconds=N  a CPU profile of the fake
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/tide-sync/tide/bench/benchproc"
	"github.com/tide-sync/tide/sync/port/porttest"
)

// Stats is the answer of /_bench/stats.
type Stats struct {
	Counts      map[string]int `json:"counts"`
	MaxInFlight int64          `json:"maxInFlight"`
	CPUMS       int64          `json:"cpuMS"` // this process's user+system CPU so far
	Conns       int64          `json:"conns"` // connections accepted since the last reset
}

type server struct {
	fake     *porttest.Server
	inFlight atomic.Int64
	conns    atomic.Int64
	mu       sync.Mutex
	max      int64
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_bench/stats":
		s.mu.Lock()
		st := Stats{Counts: s.fake.Counts(), MaxInFlight: s.max, CPUMS: benchproc.CPUMS(), Conns: s.conns.Load()}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
		return
	case "/_bench/cpuprofile":
		// ?seconds=N: a CPU profile of the fake, to see what it costs.
		pprof.Profile(w, r)
		return
	case "/_bench/reset":
		s.fake.ResetCounts()
		s.conns.Store(0)
		s.mu.Lock()
		s.max = 0
		s.mu.Unlock()
		return
	}
	n := s.inFlight.Add(1)
	s.mu.Lock()
	s.max = max(s.max, n)
	s.mu.Unlock()
	defer s.inFlight.Add(-1)
	s.fake.ServeHTTP(w, r)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	latency := flag.Duration("latency", 0, "added to every Port request")
	blueprints := flag.String("blueprints", "", "JSON array of blueprints to create first (in order; a relation's target before it)")
	gcPercent := flag.Int("gc-percent", 400, "the fake's GOGC: it holds the whole catalog, and its garbage collection is not what is measured")
	flag.Parse()
	debug.SetGCPercent(*gcPercent)

	s := &server{fake: porttest.New(porttest.Options{Latency: *latency, RateLimit: 1 << 30})}
	if *blueprints != "" {
		b, err := os.ReadFile(*blueprints)
		if err != nil {
			log.Fatal(err)
		}
		var bps []map[string]any
		if err := json.Unmarshal(b, &bps); err != nil {
			log.Fatalf("-blueprints %s: %v", *blueprints, err)
		}
		for _, bp := range bps {
			if err := s.fake.AddBlueprint(bp); err != nil {
				log.Fatalf("-blueprints %s: %v: %v", *blueprints, bp["identifier"], err)
			}
		}
	}
	if err := benchproc.Serve(*addr, &http.Server{Handler: s,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		}}); err != nil {
		log.Fatal(err)
	}
}
