package sync

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/tide-sync/tide/integrations"
	"github.com/tide-sync/tide/internal/budget"
	"github.com/tide-sync/tide/sync/mapping"
	"github.com/tide-sync/tide/sync/port"
)

// ErrConfig marks a configuration problem found before any write; the CLI
// exits 2.
var ErrConfig = errors.New("configuration error")

// ErrInterrupted is the cancellation cause of a SIGINT/SIGTERM: the run
// stops fetching, deletes nothing and reports "aborted" (exit 130).
var ErrInterrupted = errors.New("interrupted")

// ErrTimeout is the cancellation cause of --timeout: the run deletes
// nothing and reports "failed" (exit 1).
var ErrTimeout = errors.New("timed out")

// Config is one run's input, filled by the CLI.
type Config struct {
	Definition integrations.Definition
	Source     integrations.Source
	Client     *port.Client
	Identifier string // installation id
	Version    string

	// Mapping is the --mapping file's content; nil reads the mapping stored
	// on the Port integration (Ocean's behaviour).
	Mapping     []byte
	MappingName string // where Mapping came from, for messages
	// MappingSource is set by Run: which mapping the run used.
	MappingSource *MappingSource

	InitResources bool
	// Blueprints are the definitions of --blueprints FILE: with
	// InitResources, each is created when Port lacks it and updated when
	// its definition differs (on Port; the local target applies them
	// itself).
	Blueprints       []map[string]any
	Kinds            []string
	DryRun           bool
	Concurrency      int // resource blocks in parallel
	WriteConcurrency int // Port write requests in flight
	MapWorkers       int // goroutines mapping each block's pages; 0: one per core
	JQEnv            map[string]string
	// JQBudget bounds the JQ evaluation of each item (--jq-item-timeout,
	// --jq-max-memory); zero fields take the defaults.
	JQBudget budget.Limits
	Logger   *slog.Logger
	ResyncID string // set by Run when empty
	Now      func() time.Time
	// Phase, when set, is called as the run enters each phase, so CI
	// reporters can fold the log into sections (GitHub groups, GitLab
	// collapsible sections).
	Phase func(title string)
	// Progress, when set, is where a caller watches the blocks while the
	// run goes (Progress.Snapshot).
	Progress *Progress

	// atRunEnd, when set, is called at the end of the engine's run while
	// its state is still live (BenchmarkEngineMemory weighs it there).
	atRunEnd func()
}

// jqOptions are the mapping's compile options: the env/$ENV sandbox and
// the per-item budgets.
func (c *Config) jqOptions() mapping.Options {
	return mapping.Options{Env: c.JQEnv, Budget: c.JQBudget}
}

func (c *Config) phase(title string) {
	if c.Phase != nil {
		c.Phase(title)
	}
}

func (c *Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c *Config) concurrency() int {
	if c.Concurrency <= 0 {
		return 4
	}
	return c.Concurrency
}

// mapWorkers is the number of goroutines mapping one block's pages.
func (c *Config) mapWorkers() int {
	if c.MapWorkers > 0 {
		return c.MapWorkers
	}
	return runtime.GOMAXPROCS(0)
}

func (c *Config) writeConcurrency() int {
	if c.WriteConcurrency <= 0 {
		return 8
	}
	return c.WriteConcurrency
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}
