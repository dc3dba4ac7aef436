package main

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		status           string
		wantAnon, wantFl int64
		wantOK           bool
	}{
		{name: "both", status: "Name:\ttide\nVmRSS:\t   12388 kB\nRssAnon:\t    2644 kB\nRssFile:\t    9744 kB\nRssShmem:\t       0 kB\n", wantAnon: 2644, wantFl: 9744, wantOK: true},
		{name: "zombie: no Rss lines", status: "Name:\ttide\nState:\tZ (zombie)\n"},
		{name: "old kernel: VmRSS only", status: "VmRSS:\t 12388 kB\n"},
		{name: "garbled number", status: "RssAnon:\tmany kB\nRssFile:\t 1 kB\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, f, ok := parseStatus([]byte(tc.status))
			if ok != tc.wantOK || ok && (a != tc.wantAnon || f != tc.wantFl) {
				t.Errorf("parseStatus = %d, %d, %v; want %d, %d, %v", a, f, ok, tc.wantAnon, tc.wantFl, tc.wantOK)
			}
		})
	}
}

// Where /proc is missing (or the process is gone) the breakdown prints
// "-"; where it is present, sampling this very process sees its pages.
func TestPollRSS(t *testing.T) {
	t.Parallel()
	gone := pollRSS(-1, time.Millisecond) // no such /proc entry anywhere
	time.Sleep(5 * time.Millisecond)
	p := gone()
	if diff := cmp.Diff("- / - MB", anonFile(run{AnonKB: p.anonKB, FileKB: p.fileKB})); diff != "" {
		t.Errorf("no /proc (-want +got):\n%s", diff)
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc here")
	}
	p = pollRSS(os.Getpid(), time.Millisecond)()
	if p.anonKB <= 0 || p.fileKB <= 0 {
		t.Errorf("this process: RssAnon %d kB, RssFile %d kB; want both > 0", p.anonKB, p.fileKB)
	}
	if got := anonFile(run{AnonKB: 2644, FileKB: 9744}); got != "2.6 / 9.5 MB" {
		t.Errorf("anonFile = %q, want %q", got, "2.6 / 9.5 MB")
	}
}
