// Command source is the load benchmark's vendor API: a paginated JSON REST
// source in its own process, so that tide fetches and decodes real HTTP
// pages and the source's CPU is measured apart from tide's. It serves the
// synthetic catalog (integrations/synthetic: deterministic ~1 KB service
// records with nested objects and arrays, and their teams) three ways:
//
//	GET /page/{kind}?page=P&per_page=S     {"data":[...],"meta":{"page":P,"per_page":S,"total":T}}
//	GET /offset/{kind}?offset=O&limit=S    {"data":[...],"meta":{"offset":O,"limit":S,"total":T}}
//	GET /cursor/{kind}?cursor=C&limit=S    {"data":[...],"meta":{"next_cursor":"..."}} (null on the last page)
//
// where kind is services or teams. A page past the end is empty. Besides:
//
//	POST /_bench/config?n=N&change=C&remove=R  the catalog: N services, C% changed, R% gone
//	GET  /_bench/stats                         requests served and this process's CPU
//
//	source -latency 5ms
//
// It prints its base URL on the first line of stdout.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tide-sync/tide/bench/benchproc"
	"github.com/tide-sync/tide/integrations/synthetic"
)

// maxPageSize bounds one page, as real APIs do.
const maxPageSize = 1000

// Stats is the answer of /_bench/stats.
type Stats struct {
	Requests int64 `json:"requests"`
	CPUMS    int64 `json:"cpuMS"` // this process's user+system CPU so far
}

// catalog is one configured variant: the generator and, per kind, the
// indices of the items it keeps (RemovePercent leaves some out).
type catalog struct {
	src     *synthetic.Source
	present map[string][]int32
}

func newCatalog(o synthetic.Options) (*catalog, error) {
	c := &catalog{src: synthetic.NewSource(o), present: map[string][]int32{}}
	for _, kind := range []string{"service", "team"} {
		n := c.src.Count(kind)
		idx := make([]int32, 0, n)
		var buf []byte
		for i := range n {
			var ok bool
			var err error
			if buf, ok, err = c.src.AppendItem(buf[:0], kind, i); err != nil {
				return nil, err
			}
			if ok {
				idx = append(idx, int32(i))
			}
		}
		c.present[kind] = idx
	}
	return c, nil
}

// server serves the catalog.
type server struct {
	latency  time.Duration
	requests atomic.Int64
	mu       sync.RWMutex
	cat      *catalog
	bufs     sync.Pool
}

func newServer(latency time.Duration, o synthetic.Options) (*server, error) {
	cat, err := newCatalog(o)
	if err != nil {
		return nil, err
	}
	return &server{latency: latency, cat: cat}, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_bench/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Stats{Requests: s.requests.Load(), CPUMS: benchproc.CPUMS()})
		return
	case "/_bench/config":
		if err := s.configure(r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
		return
	}
	s.requests.Add(1)
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	style, kind, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch kind {
	case "services":
		kind = "service"
	case "teams":
		kind = "team"
	default:
		ok = false
	}
	if !ok {
		http.Error(w, `{"error":"not found: want /{page,offset,cursor}/{services,teams}"}`, http.StatusNotFound)
		return
	}
	body, err := s.page(style, kind, r)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "{\"error\":%q}\n", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(*body)))
	_, _ = w.Write(*body)
	s.bufs.Put(body)
}

func (s *server) configure(r *http.Request) error {
	var o synthetic.Options
	for _, p := range []struct {
		name string
		dst  *int
	}{{"n", &o.Count}, {"change", &o.ChangePercent}, {"remove", &o.RemovePercent}} {
		v, err := strconv.Atoi(r.URL.Query().Get(p.name))
		if err != nil || v < 0 {
			return fmt.Errorf("%s: want a whole number", p.name)
		}
		*p.dst = v
	}
	cat, err := newCatalog(o)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cat = cat
	s.mu.Unlock()
	s.requests.Store(0)
	return nil
}

// page renders one page of kind in the given pagination style.
func (s *server) page(style, kind string, r *http.Request) (*[]byte, error) {
	q := r.URL.Query()
	num := func(name string, def, lo int) (int, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo {
			return 0, fmt.Errorf("%s %q: want a whole number of at least %d", name, v, lo)
		}
		return n, nil
	}
	s.mu.RLock()
	cat := s.cat
	s.mu.RUnlock()
	present := cat.present[kind]
	var start, size int
	var err error
	switch style {
	case "page":
		var p int
		if p, err = num("page", 1, 1); err != nil {
			return nil, err
		}
		if size, err = num("per_page", 100, 1); err != nil {
			return nil, err
		}
		size = min(size, maxPageSize)
		start = (p - 1) * size
	case "offset":
		if start, err = num("offset", 0, 0); err != nil {
			return nil, err
		}
		if size, err = num("limit", 100, 1); err != nil {
			return nil, err
		}
		size = min(size, maxPageSize)
	case "cursor":
		if c := q.Get("cursor"); c != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(c, "c"))
			if err != nil || !strings.HasPrefix(c, "c") || n < 0 {
				return nil, errors.New("cursor: not one this API gave")
			}
			start = n
		}
		if size, err = num("limit", 100, 1); err != nil {
			return nil, err
		}
		size = min(size, maxPageSize)
	default:
		return nil, fmt.Errorf("pagination style %q: want page, offset or cursor", style)
	}
	start = min(start, len(present))
	end := min(start+size, len(present))

	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	b := append((*bp)[:0], `{"data":[`...)
	for k, i := range present[start:end] {
		if k > 0 {
			b = append(b, ',')
		}
		b, _, _ = cat.src.AppendItem(b, kind, int(i))
	}
	b = append(b, `],"meta":{`...)
	switch style {
	case "page":
		b = fmt.Appendf(b, `"page":%d,"per_page":%d,"total":%d`, start/size+1, size, len(present))
	case "offset":
		b = fmt.Appendf(b, `"offset":%d,"limit":%d,"total":%d`, start, size, len(present))
	case "cursor":
		if end < len(present) {
			b = fmt.Appendf(b, `"next_cursor":"c%d"`, end)
		} else {
			b = append(b, `"next_cursor":null`...)
		}
	}
	b = append(b, "}}"...)
	*bp = b
	return bp, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	latency := flag.Duration("latency", 0, "added to every API request")
	n := flag.Int("n", 1000, "services (POST /_bench/config changes it)")
	flag.Parse()

	s, err := newServer(*latency, synthetic.Options{Count: *n})
	if err != nil {
		log.Fatal(err)
	}
	if err := benchproc.Serve(*addr, &http.Server{Handler: s}); err != nil {
		log.Fatal(err)
	}
}
