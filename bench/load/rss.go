package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// rssPeaks are the largest RssAnon and RssFile seen in a process's
// /proc/PID/status, in kilobytes; -1 when it could not be read (no /proc,
// or the process ended before the first sample).
type rssPeaks struct{ anonKB, fileKB int64 }

// pollRSS samples /proc/PID/status every interval until the returned
// function is called, which returns the peaks. wait4's maxrss stays the
// headline figure: it sees every page, where sampling can miss a short
// peak. The split says how much of the peak is the heap and the runtime
// (anonymous memory) and how much the binary's own resident pages (file).
func pollRSS(pid int, interval time.Duration) (stop func() rssPeaks) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	done, out := make(chan struct{}), make(chan rssPeaks, 1)
	go func() {
		p := rssPeaks{anonKB: -1, fileKB: -1}
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if raw, err := os.ReadFile(path); err == nil {
				if a, f, ok := parseStatus(raw); ok {
					p.anonKB, p.fileKB = max(p.anonKB, a), max(p.fileKB, f)
				}
			}
			select {
			case <-done:
				out <- p
				return
			case <-t.C:
			}
		}
	}()
	return func() rssPeaks {
		close(done)
		return <-out
	}
}

// parseStatus reads RssAnon and RssFile (kB) from /proc/PID/status; ok is
// false when either is missing (a kernel before 4.5, a zombie).
func parseStatus(raw []byte) (anonKB, fileKB int64, ok bool) {
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, found := bytes.Cut(sc.Bytes(), []byte(":"))
		if !found {
			continue
		}
		var dst *int64
		switch string(k) {
		case "RssAnon":
			dst = &anonKB
		case "RssFile":
			dst = &fileKB
		default:
			continue
		}
		f := bytes.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			continue
		}
		*dst = n
		seen++
	}
	return anonKB, fileKB, seen == 2
}

// anonFile prints the sampled peaks in MB, "-" where /proc was missing.
func anonFile(r run) string {
	mb := func(kb int64) string {
		if kb < 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", float64(kb)/1024)
	}
	return mb(r.AnonKB) + " / " + mb(r.FileKB) + " MB"
}
