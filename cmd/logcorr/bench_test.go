package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/engine"
	"github.com/logcorr/logcorr/locust"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/replay"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
)

// The large input is the shipped capture repeated, each copy's times moved
// on by two minutes (replay.Repeat): a real mix of lines, as large as asked,
// deterministic, never committed. It is written once into
// $LOGCORR_BENCH_DIR (default: the temp dir) and reused.
func benchInput(b testing.TB, copies int) (string, int64) {
	root := os.Getenv("LOGCORR_BENCH_DIR")
	if root == "" {
		root = os.TempDir()
	}
	dir := filepath.Join(root, fmt.Sprintf("logcorr-bench-%d", copies))
	if _, err := os.Stat(dir + ".done"); err != nil {
		if err := writeCorpus(dir, copies); err != nil {
			b.Fatal(err)
		}
	}
	var total int64
	for _, n := range benchLogs {
		fi, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			b.Fatal(err)
		}
		total += fi.Size()
	}
	return dir, total
}

var benchLogs = []string{"runserver_8000.err.log", "django_errors.log", "auth_debug.log", "pgbouncer.log"}

func writeCorpus(dir string, copies int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := replay.RepeatFiles("../../testdata/login-storm-psycopg2/logs", dir, benchLogs, copies, 2*time.Minute); err != nil {
		return err
	}
	return os.WriteFile(dir+".done", nil, 0o644)
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

// Corpus sizes by name: copies of the shipped capture (9.5 MB each).
var corpusCopies = map[string]int{"10MB": 1, "30MB": 3, "100MB": 11, "300MB": 32, "1GB": 106}

var benchSizes = flag.String("bench.sizes", "10MB,100MB,1GB", "corpus sizes the Analyze and TailBehind benchmarks run on (of "+sizeNames()+")")

func sizeNames() string {
	names := make([]string, 0, len(corpusCopies))
	for n := range corpusCopies {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return corpusCopies[names[i]] < corpusCopies[names[j]] })
	return strings.Join(names, ", ")
}

// BenchmarkAnalyze reports what analyze costs per format and corpus size:
// MB/s, allocations per line, the peak heap in this process and the peak
// RSS of the same run as a process of its own (a child of the test binary,
// as a user runs it). Memory must stay flat as the input grows, since only
// the window is kept.
//
//	go test ./cmd/logcorr -run '^$' -bench Analyze [-args -bench.sizes 10MB,1GB]
func BenchmarkAnalyze(b *testing.B) {
	for _, format := range []string{"json", "text"} {
		b.Run(format, func(b *testing.B) {
			benchCopies(b, func(dir string) []string {
				return []string{"analyze", "--format", format, "--tz", "Asia/Jakarta", dir}
			})
		})
	}
}

// benchCopies runs logcorr with args over the corpus sizes asked for and
// reports MB/s, allocations per line, the peak heap and the peak RSS.
func benchCopies(b *testing.B, args func(dir string) []string) {
	for _, size := range strings.Split(*benchSizes, ",") {
		copies, ok := corpusCopies[size]
		if !ok {
			b.Fatalf("-bench.sizes: no corpus %q (%s)", size, sizeNames())
		}
		b.Run("size="+size, func(b *testing.B) {
			dir, size := benchInput(b, copies)
			lines := corpusLines(b, dir)
			b.SetBytes(size)
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
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
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)/float64(lines), "allocs/line")
			b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			if rss, ok := childPeakRSS(b, args(dir)); ok {
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
			}
		})
	}
}

// corpusLines counts a corpus's lines once (cached beside it).
func corpusLines(b *testing.B, dir string) int64 {
	if raw, err := os.ReadFile(dir + ".lines"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64); err == nil {
			return n
		}
	}
	var n int64
	buf := make([]byte, 1<<20)
	for _, name := range benchLogs {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		for {
			k, err := f.Read(buf)
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			if err != nil {
				break
			}
		}
		f.Close()
	}
	_ = os.WriteFile(dir+".lines", []byte(strconv.FormatInt(n, 10)), 0o644)
	return n
}

// A benchmark's child: the test binary run again with LOGCORR_BENCH_CHILD
// set runs logcorr with its arguments and exits, so that its peak RSS is
// that run's alone, under the memory budget main sets.
func init() {
	if os.Getenv("LOGCORR_BENCH_CHILD") == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("LOGCORR_BENCH_CHILD")), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	setMemoryBudget()
	os.Exit(run(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard))
}

// childPeakRSS runs logcorr with args as a process of its own and returns
// its peak resident set, where the system says it.
func childPeakRSS(b *testing.B, args []string) (uint64, bool) {
	enc, err := json.Marshal(args)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOGCORR_BENCH_CHILD="+string(enc))
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("logcorr %v as a process: %v", args, err)
	}
	return maxRSS(cmd.ProcessState)
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

// BenchmarkStages measures each stage of analyze apart, on the 10 MB corpus
// (the shipped capture's four logs) held in memory where a stage's input
// is the one before's output, so a change shows where it moved time:
// read+split (lines from files), detect (each file's format chosen from
// its first lines), parse (events from files, the reading and detection
// included), merge (events in time order), correlate (chains from merged
// events) and each renderer (chains written out).
func BenchmarkStages(b *testing.B) {
	dir, size := benchInput(b, 1)
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		b.Fatal(err)
	}
	open := func(b *testing.B) []*source.Stream {
		var streams []*source.Stream
		for _, n := range benchLogs {
			p := filepath.Join(dir, n)
			s, err := source.Open(source.Input{Name: p, Path: p}, &source.Options{Loc: jakarta})
			if err != nil {
				b.Fatal(err)
			}
			streams = append(streams, s)
		}
		return streams
	}
	b.Run("read+split", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			for _, n := range benchLogs {
				f, err := os.Open(filepath.Join(dir, n))
				if err != nil {
					b.Fatal(err)
				}
				lr := source.NewLineReader(f)
				for {
					if _, err := lr.Next(); err != nil {
						break
					}
				}
				f.Close()
			}
		}
	})
	parse := func(b *testing.B) [][]parser.Event {
		var perFile [][]parser.Event
		for _, s := range open(b) {
			var evs []parser.Event
			for {
				ev, err := s.Next()
				if err != nil {
					break
				}
				evs = append(evs, *ev)
			}
			s.Close()
			perFile = append(perFile, evs)
		}
		return perFile
	}
	merge := func(perFile [][]parser.Event) (merged []parser.Event, keys []time.Time) {
		srcs := make([]correlate.Source, len(perFile))
		n := 0
		for k, evs := range perFile {
			srcs[k] = &eventList{evs: evs}
			n += len(evs)
		}
		merged, keys = make([]parser.Event, 0, n), make([]time.Time, 0, n)
		m := correlate.NewMerge(srcs...)
		defer m.Close()
		for {
			ev, err := m.Next()
			if err != nil {
				return merged, keys
			}
			merged, keys = append(merged, *ev), append(keys, m.Key())
		}
	}
	correlateAll := func(merged []parser.Event, keys []time.Time) (chains []correlate.Chain) {
		c := correlate.New(correlate.DefaultConfig(), func(ch correlate.Chain) { chains = append(chains, ch) })
		for k := range merged {
			c.AddAt(&merged[k], keys[k])
		}
		c.Close()
		return chains
	}
	// Each stage's input, made once, so that any stage can run alone.
	perFile := parse(b)
	merged, keys := merge(perFile)
	chains := correlateAll(merged, keys)
	// Opening a file reads its first lines and chooses its format, a cost
	// paid once per file: apart, so that parse less detect is what grows
	// with the input.
	b.Run("detect", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, s := range open(b) {
				s.Close()
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			parse(b)
		}
	})
	// The survey reads each file once more, its naive times as UTC, when
	// --tz leaves a zone to find (estimateClocks): one core each.
	b.Run("survey", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			for _, s := range open(b) {
				engine.EstimateClocks(func(string) bool { return false }, &source.Options{}, []*source.Stream{s}, engine.NewCatalog(), &locust.Run{})
				s.Close()
			}
		}
	})
	b.Run("merge", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			merge(perFile)
		}
		b.ReportMetric(float64(len(merged))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("correlate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			correlateAll(merged, keys)
		}
		b.ReportMetric(float64(len(merged))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	for _, format := range []string{"json", "text", "markdown", "html"} {
		b.Run("render/"+format, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := report.New(format, io.Discard, report.Options{Batch: true})
				for k := range chains {
					if err := r.Chain(&chains[k]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(chains))*float64(b.N)/b.Elapsed().Seconds(), "chains/s")
		})
	}
}

// eventList is a source of events held in memory.
type eventList struct{ evs []parser.Event }

func (l *eventList) Next() (*parser.Event, error) {
	if len(l.evs) == 0 {
		return nil, io.EOF
	}
	ev := &l.evs[0]
	l.evs = l.evs[1:]
	return ev, nil
}
