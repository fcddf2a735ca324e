package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/replay"
)

// The large input is the shipped capture repeated with its times moved on by
// two minutes per copy (replay.Shift), written once under the temp dir and
// reused: a real mix of lines, as large as asked, never committed.
func benchInput(b testing.TB, copies int) (string, int64) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("logcorr-bench-%d", copies))
	src := "../../testdata/login-storm-psycopg2/logs"
	names := []string{"runserver_8000.err.log", "django_errors.log", "auth_debug.log", "pgbouncer.log"}
	var total int64
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for _, n := range names {
			raw, err := os.ReadFile(filepath.Join(src, n))
			if err != nil {
				b.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
			f, err := os.Create(filepath.Join(dir, n))
			if err != nil {
				b.Fatal(err)
			}
			w := bufio.NewWriter(f)
			for c := 0; c < copies; c++ {
				d := time.Duration(c) * 2 * time.Minute
				for _, l := range lines {
					w.WriteString(replay.Shift(l, d))
					w.WriteByte('\n')
				}
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
	}
	return dir, total
}

// peakHeap samples the heap while f runs; the GC keeps live data near
// HeapInuse, so its peak is what the run needed.
func peakHeap(f func()) uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkAnalyze reports MB/s and the peak heap of analyze over 1, 10 and
// 40 copies of the shipped capture (9 MB to 370 MB): memory must stay flat as
// the input grows, since the correlator keeps only its window.
func BenchmarkAnalyze(b *testing.B) {
	benchCopies(b, func(dir string) []string { return []string{"analyze", "--tz", "Asia/Jakarta", dir} })
}

// benchCopies runs logcorr with args over 1, 10 and 40 copies of the
// shipped capture and reports MB/s and the peak heap.
func benchCopies(b *testing.B, args func(dir string) []string) {
	for _, copies := range []int{1, 10, 40} {
		b.Run(fmt.Sprintf("copies=%d", copies), func(b *testing.B) {
			dir, size := benchInput(b, copies)
			b.SetBytes(size)
			b.ResetTimer()
			var peak uint64
			for i := 0; i < b.N; i++ {
				p := peakHeap(func() {
					if code := run(context.Background(), args(dir), strings.NewReader(""), io.Discard, io.Discard); code != 0 {
						b.Fatalf("exit %d", code)
					}
				})
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// BenchmarkTailLatency measures how long tail takes to print a chain once
// its window has closed: each round writes a login 500 with its pool
// timeout, then the lines that carry every log's event time past the
// window (anchor + after + slack); the clock runs from that write to the
// chain's line on stdout. Reported as latency-ms (mean) and max-latency-ms.
func BenchmarkTailLatency(b *testing.B) {
	dir := b.TempDir()
	rs, err := os.Create(filepath.Join(dir, "runserver.err.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	pgb, err := os.Create(filepath.Join(dir, "pgbouncer.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer pgb.Close()
	base := time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	access := func(t time.Time, req string, status int) string {
		return fmt.Sprintf("[%s] \"%s HTTP/1.1\" %d 145\n", t.Format("02/Jan/2006 15:04:05"), req, status)
	}
	pgLine := func(t time.Time, msg string) string {
		return t.Format("2006-01-02 15:04:05.000") + " UTC [1] LOG C-0x1: db/app@127.0.0.1:4000 " + msg + "\n"
	}
	// Both logs speak first, so that the watermark exists.
	rs.WriteString(access(base, "GET /", 200))
	pgb.WriteString(pgLine(base, "login attempt: db=db user=app tls=no"))

	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		run(ctx, []string{"tail", "--tz", "UTC", "--format", "json", "--from-start", dir}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		close(done)
	}()
	lines := bufio.NewScanner(pr)
	lines.Buffer(nil, 1<<20)
	var total, worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := base.Add(time.Duration(i+1) * time.Minute)
		pgb.WriteString(pgLine(at.Add(-3*time.Second), "closing because: query_wait_timeout (age=2s)"))
		rs.WriteString("Internal Server Error: /accounts/login/\nTraceback (most recent call last):\n" +
			"django.db.utils.OperationalError: server closed the connection unexpectedly\n" +
			access(at, "POST /accounts/login/", 500))
		closer := at.Add(correlate.DefaultAfter + correlate.DefaultSlack + 1100*time.Millisecond)
		rs.WriteString(access(closer, "GET /", 200))
		pgb.WriteString(pgLine(closer, "login attempt: db=db user=app tls=no"))
		start := time.Now()
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), `{"type":"chain"`) {
				break
			}
		}
		d := time.Since(start)
		total += d
		worst = max(worst, d)
	}
	b.StopTimer()
	cancel()
	go io.Copy(io.Discard, pr)
	<-done
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "latency-ms")
	b.ReportMetric(float64(worst.Milliseconds()), "max-latency-ms")
}

// BenchmarkTailBehind reports MB/s and the peak heap of tail far behind:
// --from-start on 1, 10 and 40 copies of the shipped capture, stopped at
// once and told to read all that is there before its summary, so that the
// whole backlog goes through the bounded pieces. Beside BenchmarkAnalyze
// on the same input: memory must stay flat as the backlog grows.
func BenchmarkTailBehind(b *testing.B) {
	benchCopies(b, func(dir string) []string {
		return []string{"tail", "--tz", "Asia/Jakarta", "--from-start", "--duration", "1ms", "--stop-within", "1h", "--format", "json", dir}
	})
}
