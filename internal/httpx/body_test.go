package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"
)

// A declared length sizes the buffer; a wrong one or a body over the
// limit is caught whatever the transport enforces.
func TestReadBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		body  string
		size  int64 // declared length; -1 unknown
		limit int64
		want  string
		err   error
	}{
		{name: "declared", body: "0123456789", size: 10, limit: 100, want: "0123456789"},
		{name: "declared, at the limit", body: "0123456789", size: 10, limit: 10, want: "0123456789"},
		{name: "declared empty", body: "", size: 0, limit: 100, want: ""},
		{name: "unknown length", body: "0123456789", size: -1, limit: 100, want: "0123456789"},
		{name: "unknown length, at the limit", body: "0123456789", size: -1, limit: 10, want: "0123456789"},
		{name: "unknown length, over the limit", body: "0123456789x", size: -1, limit: 10, err: ErrBodyTooLarge},
		{name: "declared over the limit: refused unread", body: "", size: 11, limit: 10, err: ErrBodyTooLarge},
		{name: "longer than declared, within the limit", body: "0123456789abc", size: 10, limit: 100, want: "0123456789abc"},
		{name: "longer than declared, over the limit", body: "0123456789abc", size: 10, limit: 12, err: ErrBodyTooLarge},
		{name: "longer than declared by one, at the limit", body: "0123456789a", size: 10, limit: 11, want: "0123456789a"},
		{name: "shorter than declared", body: "01234", size: 10, limit: 100, err: io.ErrUnexpectedEOF},
		{name: "declared beyond the hint", body: strings.Repeat("x", maxSizeHint+1), size: maxSizeHint + 1, limit: maxSizeHint + 1, want: strings.Repeat("x", maxSizeHint+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := readBody(strings.NewReader(tc.body), tc.size, tc.limit)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.err == nil && string(got) != tc.want {
				t.Errorf("body = %.40q (%d bytes), want %.40q (%d bytes)", got, len(got), tc.want, len(tc.want))
			}
		})
	}
}

// A declared length is read into one allocation of that size, where
// io.ReadAll grows its buffer in steps (about twice the bytes).
func TestReadBodyDeclaredAllocatesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	body := bytes.Repeat([]byte(`{"id":"svc-1","name":"x"},`), 4<<10) // ~100 KB, a vendor page
	r := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(body)
		got, err := readBody(r, int64(len(body)), DefaultMaxBody)
		if err != nil || len(got) != len(body) {
			t.Fatalf("readBody: %d bytes, %v", len(got), err)
		}
	})
	if allocs != 1 {
		t.Errorf("%v allocations reading a declared %d-byte body, want 1", allocs, len(body))
	}
}

// Answers read at once, with and without a declared length, each keep
// their own bytes, then and later: no buffer is shared between requests.
func TestConcurrentAnswersKeepTheirBytes(t *testing.T) {
	t.Parallel()
	bodyOf := func(i int) []byte {
		return bytes.Repeat([]byte(fmt.Sprintf("<%d>", i)), 2000+i*37)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		b := bodyOf(i)
		if i%2 == 0 {
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
			return
		}
		// Chunked: written in pieces, flushed, no declared length.
		for len(b) > 0 {
			n := min(len(b), 1500)
			w.Write(b[:n])
			w.(http.Flusher).Flush()
			b = b[n:]
		}
	}))
	defer srv.Close()
	c := New(Options{API: "test", MaxInFlight: 8})
	const requests = 200
	got := make([][]byte, requests)
	var g errgroup.Group
	g.SetLimit(16)
	for i := range requests {
		g.Go(func() error {
			resp, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/?i=" + strconv.Itoa(i)})
			if err != nil {
				return err
			}
			if !bytes.Equal(resp.Body, bodyOf(i)) {
				return fmt.Errorf("request %d: got another answer's bytes: %.40q", i, resp.Body)
			}
			got[i] = resp.Body
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for i, b := range got {
		if !bytes.Equal(b, bodyOf(i)) {
			t.Fatalf("request %d: its body changed after later requests: %.40q", i, b)
		}
	}
}

// Limits hold through Do with and without a declared length, and a HEAD
// answer's Content-Length (what a GET would send) is not waited for.
func TestDoBodyLimits(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := strings.Repeat("x", 100)
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", "100")
		}
		if r.Method == http.MethodHead {
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, method, query string
		maxBody             int64
		want                string
		err                 string
	}{
		{name: "declared within", method: "GET", maxBody: 100, want: strings.Repeat("x", 100)},
		{name: "declared over", method: "GET", maxBody: 99, err: "test: GET /: the answer is larger than the limit (99B, --max-response-size)"},
		{name: "chunked within", method: "GET", query: "chunked=1", maxBody: 100, want: strings.Repeat("x", 100)},
		{name: "chunked over", method: "GET", query: "chunked=1", maxBody: 99, err: "test: GET /: the answer is larger than the limit (99B, --max-response-size)"},
		{name: "head", method: "HEAD", maxBody: 100, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := New(Options{API: "test", MaxBody: tc.maxBody, MaxBodyFlag: "--max-response-size", MaxAttempts: 1})
			u := srv.URL + "/"
			if tc.query != "" {
				u += "?" + tc.query
			}
			resp, err := c.Do(context.Background(), Request{Method: tc.method, URL: u})
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrBodyTooLarge) {
					t.Fatalf("err = %v, want ErrBodyTooLarge", err)
				}
				if diff := cmp.Diff(tc.err, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(resp.Body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// Reading a vendor page (~100 KB) and a Port search page (~1 MB): with a
// declared length, against the unknown length of a chunked or
// decompressed answer (io.ReadAll).
func BenchmarkReadBody(b *testing.B) {
	for _, size := range []int{100 << 10, 1 << 20} {
		body := bytes.Repeat([]byte("x"), size)
		for _, declared := range []bool{true, false} {
			name := fmt.Sprintf("%dKB/unknown", size>>10)
			n := int64(-1)
			if declared {
				name, n = fmt.Sprintf("%dKB/declared", size>>10), int64(size)
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				r := bytes.NewReader(body)
				for b.Loop() {
					r.Reset(body)
					if _, err := readBody(r, n, DefaultMaxBody); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
