// Package benchproc is what the load benchmark's server processes (the
// Port fake, the REST source, the GitHub fake) share: they listen, print
// their URL on stdout for the driver, serve until SIGINT or SIGTERM, and
// report the CPU they used so the driver can say whose time it measured.
package benchproc

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// CPUMS is this process's user and system CPU so far, in milliseconds.
func CPUMS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return (ru.Utime.Nano() + ru.Stime.Nano()) / 1e6
}

// Serve listens on addr, prints "http://HOST:PORT" on stdout, and serves
// srv (its Handler and hooks set by the caller) until SIGINT or SIGTERM.
func Serve(addr string, srv *http.Server) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()
	if srv.ReadHeaderTimeout == 0 {
		srv.ReadHeaderTimeout = 10 * time.Second
	}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		<-ch
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
