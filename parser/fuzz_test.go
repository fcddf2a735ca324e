package parser

import (
	"strings"
	"testing"
	"time"
)

// Seeds are lines from the real captures and the shapes around them.
var fuzzSeeds = []string{
	"Watching for file changes with StatReloader\nInternal Server Error: /accounts/login/\nTraceback (most recent call last):\n  File \"/x.py\", line 1, in f\n    ^^^\ndjango.db.utils.OperationalError: server closed the connection unexpectedly\n\tThis probably means\n\n[27/Nov/2026 00:15:05] \"POST /accounts/login/ HTTP/1.1\" 500 145\n",
	"[27/Nov/2026 00:08:34,981] - Broken pipe from ('127.0.0.1', 53706)\n\n[27/Nov/2026 00:15:09] \"\x16\x03\" 400 -\n",
	"ERROR 2026-11-27 00:15:05,496 log 28488 140511482451648 Internal Server Error: /accounts/login/\nTraceback (most recent call last):\nConnectionRefusedError: [Errno 111] Connection refused\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\nredis.exceptions.ConnectionError: Error 111\n",
	"2026-11-27 00:15:05,501 WARNING auth_debug: method=POST path=/accounts/login/ user=lt_139 status=500 dur_ms=140\n",
	"2026-11-26 17:16:28.717 UTC [28431] LOG C-0x55723b8e6700: ahsp/ahsp@127.0.0.1:49172 closing because: query_wait_timeout (age=7s)\n2026-11-26 17:16:28.717 UTC [28431] WARNING C-0x55723b8e6700: ahsp/ahsp@[::1]:49172 pooler error: query_wait_timeout\n\tmore\n",
	"2026-11-26 17:15:00.441 UTC [28399] [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=53850\n2026-11-26 17:15:00.441 UTC [28399] DETAIL:  x\n",
	"  + Exception Group Traceback (most recent call last):\n  | ExceptionGroup: eg\n  +-+---- 1 ----\n    | ValueError: 1\n",
	"November 27, 2026 - 00:15:02\n2026-11-26 17:15:02.783 XYZ [1] LOG x\n2026-11-26 17:15:02 +0530 [1] LOG y\n",
	"Dec 31 23:59:58 db1 pgbouncer[6251]: LOG C-0x5: app/app@10.0.0.5:40000 closing because: query_wait_timeout (age=2s)\nJan  1 00:00:01 db1 pgbouncer[6251]: pooler error: x\n",
}

func checkEvents(t *testing.T, evs []Event, lines int) {
	for _, ev := range evs {
		if ev.Line < 1 || ev.EndLine < ev.Line || ev.EndLine > lines {
			t.Fatalf("event lines %d-%d outside 1-%d: %+v", ev.Line, ev.EndLine, lines, ev)
		}
		if ev.Time.IsZero() {
			t.Fatalf("event without a time: %+v", ev)
		}
		if ev.TimeFrom > lines {
			t.Fatalf("time borrowed from line %d of %d", ev.TimeFrom, lines)
		}
		if ev.IsResponse() && (ev.Status < 100 || ev.Status > 999) {
			t.Fatalf("status %d", ev.Status)
		}
	}
}

func fuzzParse(t *testing.T, spec Spec, data string) {
	lines := strings.Split(data, "\n")
	var evs []Event
	p := spec.New(NewClock("fuzz", time.UTC, func(string) {}), func(ev Event) { evs = append(evs, ev) })
	for i, l := range lines {
		p.Feed(i+1, l)
	}
	p.Flush()
	checkEvents(t, evs, len(lines))
}

func FuzzRunserver(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) { fuzzParse(t, Spec{Format: FormatRunserver}, data) })
}

func FuzzPgBouncer(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) { fuzzParse(t, Spec{Format: FormatPgBouncer}, data) })
}

func FuzzPostgres(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) { fuzzParse(t, Spec{Format: FormatPostgres}, data) })
}

// FuzzPyLogging fuzzes the format string and the lines together.
func FuzzPyLogging(f *testing.F) {
	for _, p := range PyPresets {
		for _, s := range fuzzSeeds {
			f.Add(p.Format, s)
		}
	}
	f.Add("%(asctime)s.%(msecs)03d %(levelname)-8s %(threadName)s %(message)s", "2026-11-27 00:15:05.042 INFO     Thread-1 (x) m\n")
	f.Fuzz(func(t *testing.T, format, data string) {
		pf, err := CompilePyFormat(format)
		if err != nil {
			return
		}
		fuzzParse(t, Spec{Format: FormatPython, Py: pf}, data)
	})
}

// FuzzDetect: whatever detection picks must read the same lines.
func FuzzDetect(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		lines := strings.Split(data, "\n")
		d, ok := Detect(lines)
		if !ok {
			return
		}
		if d.Lines < 1 || d.Lines > len(lines) {
			t.Fatalf("detection counted %d of %d lines", d.Lines, len(lines))
		}
		if d.Spec.Format == FormatPython {
			if _, err := CompilePyFormat(d.Spec.Py.Source); err != nil {
				t.Fatalf("detected format does not compile: %v", err)
			}
		}
		fuzzParse(t, d.Spec, data)
	})
}

func FuzzScanStamp(f *testing.F) {
	for _, s := range []string{"2026-11-27 00:15:05,496", "27/Nov/2026:00:15:05 -0600", "2026-11-26 17:15:02.783 UTC", "November 27, 2026 - 00:15:02", "26 Nov 2026 16:25:18.155", "2026-11-26T16:26:43.123456789+05:30"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, word bool) {
		st, n, ok := scanStamp(s, word)
		if !ok {
			return
		}
		if n <= 0 || n > len(s) || st.clockEnd > n {
			t.Fatalf("consumed %d (clock to %d) of %d", n, st.clockEnd, len(s))
		}
		if NewClock("fuzz", time.UTC, func(string) {}).instant(st, 1).IsZero() {
			t.Fatal("zero instant")
		}
	})
}

// FuzzPGPrefix fuzzes a log_line_prefix and the lines together.
func FuzzPGPrefix(f *testing.F) {
	for _, p := range []string{"%m [%p] ", "%m [%p] %q%u@%d ", "%t [%p]: [%l-1] user=%u,db=%d,app=%a ", "%n|%p|"} {
		for _, s := range fuzzSeeds {
			f.Add(p, s)
		}
	}
	f.Fuzz(func(t *testing.T, prefix, data string) {
		spec, err := ParseSpec("postgresql:" + prefix)
		if err != nil {
			return
		}
		fuzzParse(t, spec, data)
	})
}
