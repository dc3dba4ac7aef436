// Command tide syncs a third-party system into Port's software catalog once
// and exits. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	tsync "github.com/tide-sync/tide/sync"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// startProfile starts profiling in tidebench builds (bench_integration.go);
// release builds do nothing.
var startProfile = func() (stop func()) { return func() {} }

func main() {
	stopGC, _ := tuneGC(os.Getenv)
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel(tsync.ErrInterrupted)
		// A second signal stops at once.
		<-sigs
		os.Exit(130)
	}()
	stopProfile := startProfile()
	code := runIO(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	stopGC()
	cancel(nil)
	os.Exit(code)
}
