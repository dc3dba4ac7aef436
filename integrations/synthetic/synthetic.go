// Package synthetic is the load benchmark's source: a deterministic,
// generated catalog of N service-like items (~1 KB of JSON each, nested
// objects and arrays) and their teams. Each page is rendered to JSON and
// decoded again with jsonx, as a vendor integration decodes an API page,
// so the benchmark pays for decoding too.
//
// It is compiled into the binary only with the build tag tidebench (see
// bench_integration.go at the repository root); release builds do not
// carry it.
package synthetic

import (
	"context"
	"embed"
	"fmt"
	"strconv"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/jsonx"
)

//go:embed resources/*
var resources embed.FS

// Options shape the generated catalog.
type Options struct {
	Count         int // services
	PageSize      int
	ChangePercent int // services whose lifecycle changes (the "changed" re-sync)
	RemovePercent int // services left out (the "changed" re-sync)
}

// Teams is the number of teams for n services.
func Teams(n int) int { return max(1, n/500) }

// Definition returns the synthetic integration.
func Definition() integrations.Definition {
	sub := integrations.Resources(resources)
	return integrations.Definition{
		Type:    "synthetic",
		Summary: "generated service catalog for the load benchmark (tidebench builds only)",
		Kinds:   []string{"service", "team"},
		Params: []integrations.Param{
			{Name: "synthetic-count", Usage: "number of generated services", Default: "10000"},
			{Name: "synthetic-page-size", Usage: "items per emitted page", Default: "100"},
			{Name: "synthetic-change-percent", Usage: "percent of services whose lifecycle differs", Default: "0"},
			{Name: "synthetic-remove-percent", Usage: "percent of services left out", Default: "0"},
		},
		Resources: sub,
		New: func(s integrations.Settings) (integrations.Source, error) {
			var o Options
			for _, p := range []struct {
				name string
				dst  *int
				min  int
				max  int
			}{
				{"synthetic-count", &o.Count, 0, 1 << 30},
				{"synthetic-page-size", &o.PageSize, 1, 10000},
				{"synthetic-change-percent", &o.ChangePercent, 0, 100},
				{"synthetic-remove-percent", &o.RemovePercent, 0, 100},
			} {
				v := s.Values.Get(p.name)
				if v == "" {
					continue
				}
				n, err := strconv.Atoi(v)
				if err != nil || n < p.min || n > p.max {
					return nil, fmt.Errorf("%w: --%s: want a whole number from %d to %d, got %q", integrations.ErrConfig, p.name, p.min, p.max, v)
				}
				*p.dst = n
			}
			if o.Count == 0 && s.Values.Get("synthetic-count") == "" {
				o.Count = 10000
			}
			if o.PageSize == 0 {
				o.PageSize = 100
			}
			return &Source{opts: o}, nil
		},
	}
}

// Source generates the catalog.
type Source struct{ opts Options }

// NewSource builds a Source.
func NewSource(o Options) *Source {
	if o.PageSize <= 0 {
		o.PageSize = 100
	}
	return &Source{opts: o}
}

// Resync streams the items of req.Kind.
func (s *Source) Resync(ctx context.Context, req integrations.Request, emit integrations.Emit) error {
	var n int
	var render func(buf []byte, i int) ([]byte, bool)
	switch req.Kind {
	case "service":
		n, render = s.opts.Count, s.service
	case "team":
		n, render = Teams(s.opts.Count), s.team
	default:
		return fmt.Errorf("%w %q", integrations.ErrUnknownKind, req.Kind)
	}
	buf := make([]byte, 0, s.opts.PageSize*1200)
	for start := 0; start < n; start += s.opts.PageSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf = append(buf[:0], '[')
		for i := start; i < min(n, start+s.opts.PageSize); i++ {
			var ok bool
			mark := len(buf)
			if len(buf) > 1 {
				buf = append(buf, ',')
			}
			if buf, ok = render(buf, i); !ok {
				buf = buf[:mark]
			}
		}
		buf = append(buf, ']')
		page, err := jsonx.DecodeItems(buf)
		if err != nil {
			return fmt.Errorf("decoding generated page at %d: %w", start, err)
		}
		if len(page) == 0 {
			continue
		}
		if err := emit(page); err != nil {
			return err
		}
	}
	return nil
}

// AppendItem appends item i of kind ("service" or "team") as one JSON
// object to b, as Resync renders it; false (b unchanged) when the item is
// left out of this variant (RemovePercent). The load benchmark's REST
// source (bench/source) serves the same records over HTTP.
func (s *Source) AppendItem(b []byte, kind string, i int) ([]byte, bool, error) {
	switch kind {
	case "service":
		b, ok := s.service(b, i)
		return b, ok, nil
	case "team":
		b, ok := s.team(b, i)
		return b, ok, nil
	}
	return b, false, fmt.Errorf("%w %q", integrations.ErrUnknownKind, kind)
}

// Count is the number of items of kind before RemovePercent.
func (s *Source) Count(kind string) int {
	if kind == "team" {
		return Teams(s.opts.Count)
	}
	return s.opts.Count
}

var (
	languages  = []string{"go", "java", "python", "typescript", "rust"}
	lifecycles = []string{"production", "staging", "experimental"}
	topics     = []string{`["payments","api","grpc"]`, `["search","indexer"]`, `["web","frontend","react","ssr"]`, `["data","batch"]`}
	regions    = []string{"eu-west-1", "us-east-1", "ap-southeast-2"}
)

// service renders service i; false when it is removed in this variant.
func (s *Source) service(b []byte, i int) ([]byte, bool) {
	if s.opts.RemovePercent > 0 && (i+50)%100 < s.opts.RemovePercent {
		return b, false
	}
	id := fmt.Appendf(nil, "svc-%07d", i)
	team := fmt.Appendf(nil, "team-%05d", i%Teams(s.opts.Count))
	lifecycle := lifecycles[i%len(lifecycles)]
	updated := "2026-11-20T10:11:12Z"
	if s.opts.ChangePercent > 0 && (i+7)%100 < s.opts.ChangePercent {
		lifecycle, updated = "deprecated", "2026-11-22T08:00:00Z"
	}
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","name":"Service `...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","archived":false,"description":"Service `...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ` handles one slice of the storefront: it answers its API over gRPC and HTTP, publishes events, and keeps its own store.","lifecycle":"`...)
	b = append(b, lifecycle...)
	b = append(b, `","tier":`...)
	b = strconv.AppendInt(b, int64(i%4+1), 10)
	b = append(b, `,"owner":{"team":"`...)
	b = append(b, team...)
	b = append(b, `","email":"`...)
	b = append(b, team...)
	b = append(b, `@example.com","oncall":"user-`...)
	b = strconv.AppendInt(b, int64(i%997), 10)
	b = append(b, `"},"repository":{"url":"https://git.example.com/acme/`...)
	b = append(b, id...)
	b = append(b, `","language":"`...)
	b = append(b, languages[i%len(languages)]...)
	b = append(b, `","default_branch":"main","topics":`...)
	b = append(b, topics[i%len(topics)]...)
	b = append(b, `,"stars":`...)
	b = strconv.AppendInt(b, int64(i%500), 10)
	b = append(b, `,"open_issues":`...)
	b = strconv.AppendInt(b, int64(i%37), 10)
	b = append(b, `},"slo":{"availability":`...)
	b = append(b, []string{"99.9", "99.95", "99.5"}[i%3]...)
	b = append(b, `,"latency_p99_ms":250,"error_budget_remaining":0.42},"deploy":{"environments":[{"name":"staging","region":"`...)
	b = append(b, regions[i%len(regions)]...)
	b = append(b, `","replicas":2,"version":"1.2.3"},{"name":"production","region":"`...)
	b = append(b, regions[i%len(regions)]...)
	b = append(b, `","replicas":6,"version":"1.2.2"},{"name":"dr","region":"us-east-1","replicas":`...)
	b = strconv.AppendInt(b, int64(i%2), 10)
	b = append(b, `,"version":"1.2.2"}],"last_deployed_at":"2026-11-20T10:11:12Z","pipeline":"https://ci.example.com/acme/`...)
	b = append(b, id...)
	b = append(b, `"},"labels":{"cost-center":"cc-`...)
	b = strconv.AppendInt(b, int64(i%50), 10)
	b = append(b, `","pci":"false","on-call-rotation":"primary"},"dependencies":["svc-`...)
	b = fmt.Appendf(b, "%07d", (i+1)%max(1, s.opts.Count))
	b = append(b, `","svc-`...)
	b = fmt.Appendf(b, "%07d", (i*7+3)%max(1, s.opts.Count))
	b = append(b, `"],"created_at":"2021-03-04T10:11:12Z","updated_at":"`...)
	b = append(b, updated...)
	b = append(b, `"}`...)
	return b, true
}

// team renders team i.
func (s *Source) team(b []byte, i int) ([]byte, bool) {
	slug := fmt.Appendf(nil, "team-%05d", i)
	b = append(b, `{"slug":"`...)
	b = append(b, slug...)
	b = append(b, `","name":"Team `...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","slack":"#`...)
	b = append(b, slug...)
	b = append(b, `","members":["alice","bob","carol"]}`...)
	return b, true
}
