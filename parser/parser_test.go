package parser

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func feed(t *testing.T, p interface {
	Feed(Line)
	Flush()
}, text string) {
	t.Helper()
	for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		p.Feed(Line{Num: i + 1, Text: l})
	}
	p.Flush()
}

func utcClock(name string) *Clock { return NewClock(name, time.UTC, nil) }

func TestRunserverRecords(t *testing.T) {
	const log = "Watching for file changes with StatReloader\n" +
		"Internal Server Error: /accounts/login/\n" +
		"Traceback (most recent call last):\n" +
		"  File \"/app/x.py\", line 1, in f\n" +
		"    g()\n" +
		"    ^^^\n" +
		"psycopg.OperationalError: consuming input failed: query_wait_timeout\n" +
		"server closed the connection unexpectedly\n" +
		"\tThis probably means the server terminated abnormally\n" +
		"\n" +
		"The above exception was the direct cause of the following exception:\n" +
		"\n" +
		"Traceback (most recent call last):\n" +
		"  File \"/app/y.py\", line 2, in h\n" +
		"django.db.utils.OperationalError: consuming input failed: query_wait_timeout\n" +
		"server closed the connection unexpectedly\n" +
		"\x1b[31m[27/Nov/2026 00:15:07] \"POST /accounts/login/?next=/d/ HTTP/1.1\" 500 145\x1b[0m\r\n" +
		"[27/Nov/2026 00:15:08,206] - Broken pipe from ('127.0.0.1', 53706)\n" +
		"\n" +
		"Exception in thread django-main-thread:\n" +
		"Traceback (most recent call last):\n" +
		"  File \"/app/z.py\", line 3, in k\n" +
		"RuntimeError: boom\n" +
		"Traceback (most recent call last):\n" +
		"  File \"/app/z.py\", line 4, in k\n" +
		"ValueError: second, unchained\n" +
		"[27/Nov/2026 00:15:09] code 400, message Bad request version ('x')\n" +
		"[27/Nov/2026 00:15:09] \"\x16\x03\x01\" 400 -\n"
	var evs []Event
	p := NewRunserver(utcClock("rs.log"), func(ev Event) { evs = append(evs, ev) })
	feed(t, p, log)
	require.Len(t, evs, 8)

	assert.Equal(t, KindBanner, evs[0].Kind)
	rec := evs[1]
	assert.Equal(t, KindRequestLog, rec.Kind)
	assert.Equal(t, 500, rec.Status)
	assert.Equal(t, "/accounts/login/", rec.Path)
	assert.Equal(t, 2, rec.Line)
	assert.Equal(t, 16, rec.EndLine)
	assert.Equal(t, 17, rec.TimeFrom, "dated by the next timestamped line")
	assert.Equal(t, "2026-11-27T00:15:07Z", rec.Time.Format(time.RFC3339))
	require.NotNil(t, rec.Exc)
	assert.Equal(t, "django.db.utils.OperationalError", rec.Exc.Class)
	assert.Equal(t, "consuming input failed: query_wait_timeout\nserver closed the connection unexpectedly", rec.Exc.Message)
	require.NotNil(t, rec.Root)
	assert.Equal(t, "psycopg.OperationalError", rec.Root.Class)
	assert.Equal(t, 2, rec.Chains)

	acc := evs[2]
	assert.Equal(t, KindAccess, acc.Kind)
	assert.Equal(t, "POST", acc.Method)
	assert.Equal(t, "/accounts/login/", acc.Path, "query string dropped")
	assert.Equal(t, 500, acc.Status)
	assert.Equal(t, "145", acc.Field("bytes"))
	assert.Equal(t, `[27/Nov/2026 00:15:07] "POST /accounts/login/?next=/d/ HTTP/1.1" 500 145`, acc.Text, "colours and CR removed")
	assert.Equal(t, time.Second, acc.Precision)

	assert.Equal(t, KindRecord, evs[3].Kind, "broken pipe")
	assert.Equal(t, time.Millisecond, evs[3].Precision)

	thread := evs[4]
	assert.Equal(t, "Exception in thread django-main-thread:", thread.Text)
	require.NotNil(t, thread.Exc)
	assert.Equal(t, "RuntimeError", thread.Exc.Class)
	second := evs[5]
	assert.Equal(t, tbHeader, second.Text, "a header after a finished traceback starts a record")
	assert.Equal(t, "ValueError", second.Exc.Class)
	assert.Equal(t, 27, second.TimeFrom)

	assert.Equal(t, KindRecord, evs[6].Kind)
	bad := evs[7]
	assert.Equal(t, KindAccess, bad.Kind)
	assert.Equal(t, 400, bad.Status)
	assert.Empty(t, bad.Method, "a TLS hello is no method")
}

// TestRunserverUntimedTail: records after the last timestamped line (the
// server stopped) take the last time seen; with none at all they are counted
// as untimed, not emitted with a zero time.
func TestRunserverUntimedTail(t *testing.T) {
	var evs []Event
	p := NewRunserver(utcClock("rs"), func(ev Event) { evs = append(evs, ev) })
	feed(t, p, "[27/Nov/2026 00:15:07] \"GET / HTTP/1.1\" 200 1\nInternal Server Error: /x/\nTraceback (most recent call last):\nKeyError: 'a'\n")
	require.Len(t, evs, 2)
	assert.Equal(t, 1, evs[1].TimeFrom)
	assert.Equal(t, "KeyError", evs[1].Exc.Class)

	evs = nil
	p = NewRunserver(utcClock("rs"), func(ev Event) { evs = append(evs, ev) })
	feed(t, p, "Internal Server Error: /x/\nTraceback (most recent call last):\nKeyError: 'a'\n")
	assert.Empty(t, evs)
	assert.Equal(t, 1, p.Untimed)
	assert.Contains(t, LeftOut(p), "1 records had no time of their own and no timed line near them")
	assert.Empty(t, LeftOut(NewPgBouncer(utcClock("pgb"), func(Event) {})))
}

// TestRunserverStdoutHoldsNothing: runserver's stdout ends with chatter
// after its only timed line; the chatter takes the time before it at once,
// so a followed stdout log holds nothing back (tail would otherwise wait
// for a timed line that never comes). Chatter before any time waits for one.
func TestRunserverStdoutHoldsNothing(t *testing.T) {
	var evs []Event
	p := NewRunserver(utcClock("rs"), func(ev Event) { evs = append(evs, ev) })
	for i, l := range []string{"Performing system checks...", "", "System check identified no issues (0 silenced).",
		"November 27, 2026 - 00:15:02", "Django version 3.2.25, using settings 'ahsp.settings'",
		"Starting development server at http://127.0.0.1:8000/", "Quit the server with CONTROL-C."} {
		p.Feed(Line{Num: i + 1, Text: l})
	}
	_, holding := p.Holding()
	assert.False(t, holding, "nothing waits, before any flush")
	require.Len(t, evs, 6)
	for _, ev := range evs {
		assert.Equal(t, time.Date(2026, 11, 27, 0, 15, 2, 0, time.UTC), ev.Time, ev.Text)
	}
}

func TestExceptionGroup(t *testing.T) {
	var evs []Event
	p := NewRunserver(utcClock("rs"), func(ev Event) { evs = append(evs, ev) })
	feed(t, p, "Internal Server Error: /x/\n"+
		"  + Exception Group Traceback (most recent call last):\n"+
		"  |   File \"/app/a.py\", line 1, in <module>\n"+
		"  | ExceptionGroup: two (2 sub-exceptions)\n"+
		"  +-+---------------- 1 ----------------\n"+
		"    | ValueError: 1\n"+
		"    +------------------------------------\n"+
		"[27/Nov/2026 00:15:07] \"GET /x/ HTTP/1.1\" 500 1\n")
	require.Len(t, evs, 2)
	require.NotNil(t, evs[0].Exc)
	assert.Equal(t, "ExceptionGroup", evs[0].Exc.Class)
}

func TestParseRequestLog(t *testing.T) {
	tests := []struct {
		msg     string
		lenient bool
		status  int
		path    string
	}{
		{"Internal Server Error: /accounts/login/", false, 500, "/accounts/login/"},
		{"Not Found: /nothere/", false, 404, "/nothere/"},
		{"Forbidden (CSRF cookie not set.): /accounts/login/", false, 403, "/accounts/login/"},
		{"Method Not Allowed (PUT): /x/", false, 405, "/x/"},
		{"Service Unavailable: /health/?deep=1", false, 503, "/health/"},
		{"The request's session was deleted before the request completed. The user may have logged out in a concurrent request, for example.: /accounts/login/", false, 400, "/accounts/login/"},
		{"log Internal Server Error: /accounts/login/", true, 500, "/accounts/login/"},
		{"log Internal Server Error: /accounts/login/", false, 0, ""},
		{"django.http.Http404: /x/", false, 0, ""},
		{"Something else: /x/", false, 0, ""},
		{"Internal Server Error: /a b/", false, 0, ""},
	}
	for _, tc := range tests {
		var ev Event
		ok := parseRequestLog(tc.msg, &ev, tc.lenient)
		assert.Equal(t, tc.status != 0, ok, tc.msg)
		assert.Equal(t, tc.status, ev.Status, tc.msg)
		assert.Equal(t, tc.path, ev.Path, tc.msg)
	}
}

// parseRequestLog takes the phrase a reason is before one it ends with:
// the same status as trying every phrase either way, in a map's random
// order, only while no phrase ends another after a space.
func TestReasonPhrasesEndNoOther(t *testing.T) {
	require.Greater(t, len(reasonStatus), 10)
	for a := range reasonStatus {
		for b := range reasonStatus {
			assert.False(t, strings.HasSuffix(a, " "+b), "%q ends with %q", a, b)
		}
	}
}

func TestParseKV(t *testing.T) {
	tests := []struct {
		msg    string
		method string
		path   string
		status int
		fields map[string]string
	}{
		{"method=POST path=/accounts/login/ user=lt_139 status=500 dur_ms=140", "POST", "/accounts/login/", 500,
			map[string]string{"method": "POST", "path": "/accounts/login/", "user": "lt_139", "status": "500", "dur_ms": "140"}},
		{`login failed user="a b" url=http://h:8000/accounts/login/?x=1 status_code=500`, "", "/accounts/login/", 500,
			map[string]string{"user": "a b", "url": "http://h:8000/accounts/login/?x=1", "status_code": "500"}},
		{"status=abc path=notapath", "", "", 0, map[string]string{"status": "abc", "path": "notapath"}},
		{"a==b =c", "", "", 0, nil},
	}
	for _, tc := range tests {
		var ev Event
		parseKV(tc.msg, &ev)
		assert.Equal(t, tc.method, ev.Method, tc.msg)
		assert.Equal(t, tc.path, ev.Path, tc.msg)
		assert.Equal(t, tc.status, ev.Status, tc.msg)
		for k, v := range tc.fields {
			assert.Equal(t, v, ev.Field(k), "%s: %s", tc.msg, k)
		}
	}
}

// TestParseKVDuration: a stated duration is read by its key's unit or its
// own suffix, the first one stated wins, and what is no duration is not.
// TestKVKeyLookup holds the slot lookup to the map it stands for: every
// known key in three cases, and keys the map does not know, some of them
// falling in a known key's slot.
func TestKVKeyLookup(t *testing.T) {
	var keys []string
	for key := range kvKeyTable {
		keys = append(keys, key, strings.ToUpper(key), strings.ToUpper(key[:1])+key[1:], key+"s", key[:len(key)-1])
	}
	// strings.ToLower makes ASCII of two non-ASCII capitals: the Kelvin
	// sign and İ (a JSON record's keys are any string).
	keys = append(keys, "user", "x", "a-b.c", "dur_MS", "levelname", "too\u212a_ms", "too\u212a", "durat\u0130on", "t\u0130me_ms", "runt\u0130me")
	for _, key := range keys {
		if key == "" {
			continue
		}
		assert.Equal(t, kvKeyTable[strings.ToLower(key)], lookupKVKey(key), key)
	}
	shared := 0
	for key := range kvKeyTable {
		if kvSlots[kvSlotOf(key)].shared {
			shared++
		}
	}
	assert.Less(t, shared, len(kvKeyTable)/4, "most keys have a slot of their own")
}

func TestParseKVDuration(t *testing.T) {
	tests := []struct {
		msg  string
		want time.Duration
	}{
		{"status=500 dur_ms=140", 140 * time.Millisecond},
		{"rt=0.149", 149 * time.Millisecond},
		{"service=30000ms", 30 * time.Second},
		{"took=2s", 2 * time.Second},
		{"elapsed=150µs", 150 * time.Microsecond},
		{"latency=1.5m", 90 * time.Second},
		{"duration=3", 3 * time.Millisecond},
		{"duration=0.25", 250 * time.Millisecond},
		{"dur_us=1500", 1500 * time.Microsecond},
		{"dur_ms=140 rt=9", 140 * time.Millisecond},
		{"dur_ms=- rt=9", 9 * time.Second},
		{"took=3 weeks", 3 * time.Millisecond},
		{"took=3weeks", 0},
		{"took=µ", 0},
		{"took=abc", 0},
		{"user=3ms", 0},
	}
	for _, tc := range tests {
		var ev Event
		parseKV(tc.msg, &ev)
		assert.Equal(t, tc.want, ev.Duration, tc.msg)
	}
}

func TestPgBouncerLines(t *testing.T) {
	tests := []struct {
		line   string
		tag    Tag
		reason string
		conn   *Conn
		fields map[string]string
	}{
		{"2026-11-26 17:16:28.717 UTC [28431] LOG C-0x55723b8e6700: ahsp/ahsp@127.0.0.1:49172 closing because: query_wait_timeout (age=7s)",
			"closing", "query_wait_timeout", &Conn{Side: 'C', Ptr: "0x55723b8e6700", DB: "ahsp", User: "ahsp", Addr: "127.0.0.1", Port: 49172}, map[string]string{"age": "7s", "pid": "28431"}},
		{"2026-11-26 17:16:28.717 UTC [28431] WARNING C-0x55723b8e6700: ahsp/ahsp@127.0.0.1:49172 pooler error: query_wait_timeout",
			"pooler_error", "query_wait_timeout", &Conn{Side: 'C', Ptr: "0x55723b8e6700", DB: "ahsp", User: "ahsp", Addr: "127.0.0.1", Port: 49172}, nil},
		{"2026-11-26 16:21:04.489 UTC [6251] LOG stats: 0 xacts/s, 0 queries/s, in 7 B/s, out 3 B/s, xact 0 us, query 46 us, wait 2005 us",
			"stats", "", nil, map[string]string{"wait_us": "2005", "query_us": "46", "xacts/s": "0", "in_B/s": "7"}},
		{"2017-05-10 20:17:33.496 37 LOG Stats: 1 req/s, in 2 b/s, out 3 b/s, query 4 us, wait time 9 us",
			"stats", "", nil, map[string]string{"wait_us": "9", "pid": "37"}},
		{"2026-11-26 16:21:03.825 UTC [6251] WARNING C-0x1f1e8: (nodb)/(nouser)@[::1]:5432 pooler error: no more connections allowed (max_client_conn)",
			"pooler_error", "no more connections allowed (max_client_conn)", &Conn{Side: 'C', Ptr: "0x1f1e8", DB: "(nodb)", User: "(nouser)", Addr: "::1", Port: 5432}, nil},
		{"2026-11-26 16:21:58.466 UTC [6795] WARNING server login failed: FATAL database \"nonexistent\" does not exist",
			"server_login_failed", "FATAL database \"nonexistent\" does not exist", nil, nil},
		{"2017-05-10 20:17:33.496 37 LOG C-0x151f1e8: db/u@unix(123):6432 Pooler Error: query_wait_timeout",
			"pooler_error", "query_wait_timeout", &Conn{Side: 'C', Ptr: "0x151f1e8", DB: "db", User: "u", Addr: "unix(123)", Port: 6432}, nil},
	}
	for _, tc := range tests {
		var evs []Event
		feed(t, NewPgBouncer(utcClock("p"), func(ev Event) { evs = append(evs, ev) }), tc.line)
		require.Len(t, evs, 1, tc.line)
		ev := evs[0]
		assert.Equal(t, tc.tag, ev.Tag, tc.line)
		assert.Equal(t, tc.reason, ev.Reason, tc.line)
		conn, ok := ev.Connection()
		if tc.conn == nil {
			assert.False(t, ok, tc.line)
		} else if assert.True(t, ok, tc.line) {
			assert.Equal(t, *tc.conn, conn, tc.line)
		}
		for k, v := range tc.fields {
			assert.Equal(t, v, ev.Field(k), "%s: %s", tc.line, k)
		}
	}

	var evs []Event
	feed(t, NewPgBouncer(utcClock("p"), func(ev Event) { evs = append(evs, ev) }),
		"2026-11-26 16:21:58.466 UTC [6795] LOG first\n\tcontinued\nnot a pgbouncer line\n2026-11-26 16:21:58.467 UTC [6795] LOG second")
	require.Len(t, evs, 2)
	assert.Equal(t, "first\ncontinued", evs[0].Message)
	assert.Equal(t, 2, evs[0].EndLine)
}

func TestPostgresRecords(t *testing.T) {
	var evs []Event
	feed(t, NewPostgres(utcClock("pg"), func(ev Event) { evs = append(evs, ev) }, nil),
		"2026-11-26 16:24:28.692 UTC [10391] app@appdb ERROR:  deadlock detected\n"+
			"2026-11-26 16:24:28.692 UTC [10391] app@appdb DETAIL:  Process 10391 waits for ShareLock on transaction 1; blocked by process 10392.\n"+
			"\tProcess 10392 waits for ShareLock on transaction 2; blocked by process 10391.\n"+
			"2026-11-26 16:24:28.692 UTC [10391] app@appdb HINT:  See server log for query details.\n"+
			"2026-11-26 16:24:29.000 UTC [10400] FATAL:  sorry, too many clients already\n"+
			"2026-11-26 16:24:30 UTC [10401] LOG:  checkpoint starting: time\n")
	require.Len(t, evs, 3)
	assert.Equal(t, "ERROR", evs[0].Level)
	assert.Equal(t, "deadlock detected\nDETAIL:  Process 10391 waits for ShareLock on transaction 1; blocked by process 10392.\nProcess 10392 waits for ShareLock on transaction 2; blocked by process 10391.\nHINT:  See server log for query details.", evs[0].Message)
	assert.Equal(t, 4, evs[0].EndLine)
	assert.Equal(t, "FATAL", evs[1].Level)
	assert.Equal(t, "sorry, too many clients already", evs[1].Message)
	assert.Equal(t, time.Second, evs[2].Precision)
}

// TestPostgresRDSPrefix: AWS RDS's log_line_prefix, '%t:%r:%u@%d:[%p]:'
// (lines from PrairieLearn/PrairieLearn#1623): a colon after the zone and
// before the severity. Its zone is read as a zone; a level written after a
// time and a colon is not taken for one.
func TestPostgresRDSPrefix(t *testing.T) {
	var evs []Event
	c := NewClock("pg", time.FixedZone("UTC+07:00", 7*3600), nil)
	feed(t, NewPostgres(c, func(ev Event) { evs = append(evs, ev) }, nil),
		"2019-08-05 08:03:08 UTC::@:[16814]:LOG:  checkpoint starting: time\n"+
			"2019-08-05 08:10:00 UTC:10.0.0.229(47044):pdb@pldev:[28030]:FATAL:  terminating connection due to idle-in-transaction timeout\n")
	require.Len(t, evs, 2)
	assert.Equal(t, "2019-08-05T08:03:08Z", evs[0].Time.UTC().Format(time.RFC3339))
	assert.Equal(t, "LOG", evs[0].Level)
	assert.Equal(t, "FATAL", evs[1].Level)
	assert.Equal(t, "terminating connection due to idle-in-transaction timeout", evs[1].Message)
	assert.Equal(t, [2]int{0, 2}, [2]int{c.Naive, c.Zoned})

	for _, tc := range []struct{ line, zone string }{
		{"2019-08-05 08:03:08 ERROR: boom", ""}, // a level is no zone
		{"2019-08-05 08:03:08 INFO: boom", ""},
		// A zone PostgreSQL names by its offset, before the client's
		// address: +03, not +03:10.
		{"2019-08-05 08:10:00 +03:10.0.0.229(47044):pdb@pldev:[28030]:FATAL:  x", "+03"},
		{"2019-08-05 08:10:00 +03::@:[16814]:LOG:  checkpoint starting: time", "+03"},
		{"2019-08-05 08:10:00 +03:30 [1] LOG:  x", "+03:30"},
		// A zone word before a colon, as before a space.
		{"2019-08-05 08:10:00 IST:10.0.0.229(47044):pdb@pldev:[28030]:FATAL:  x", "IST"},
		{"2019-08-05 08:10:00 IST [1] LOG:  x", "IST"},
	} {
		st, _, ok := scanStamp(tc.line, true)
		require.True(t, ok, tc.line)
		assert.Equal(t, tc.zone, st.zone, tc.line)
	}
}

// TestUWSGIOwnLines: uWSGI's own lines are its banner, not lines no format
// took: "python tracebacker for worker …" from unbit/uwsgi#1692, and the
// banner and shutdown lines of the lab's uwsgi.log (Debian's 2.0.21).
func TestUWSGIOwnLines(t *testing.T) {
	own := []string{
		"python tracebacker for worker 1 available on /tmp/uwsgi-tb1",
		"*** uWSGI Python tracebacker output ***",
		"compiled with version: 12.2.0 on 19 May 2023 13:59:29",
		"os: Linux-6.18.44-fc-v1045 #1 SMP PREEMPT_DYNAMIC @0",
		"nodename: vm",
		"machine: x86_64",
		"clock source: unix",
		"pcre jit disabled",
		"detected number of CPU cores: 2",
		"current working directory: /tmp/ahsp-incident-lab/uwsgi-harakiri-direct/ahsp",
		"detected binary path: /usr/bin/uwsgi-core",
		"uWSGI running as root, you can use --uid/--gid/--chroot options",
		"*** WARNING: you are running uWSGI as root !!! (use the --uid flag) *** ",
		"your processes number limit is 96362",
		"your memory page size is 4096 bytes",
		" *** WARNING: you have enabled harakiri without post buffering. Slow upload could be rejected on post-unbuffered webservers *** ",
		"detected max file descriptor number: 20000",
		"lock engine: pthread robust mutexes",
		"thunder lock: disabled (you can enable it with --thunder-lock)",
		"Python version: 3.11.2 (main, Apr 28 2025, 14:11:48) [GCC 12.2.0]",
		"Python main interpreter initialized at 0x7f418cf60018",
		"python threads support enabled",
		"your server socket listen backlog is limited to 100 connections",
		"your mercy for graceful operations on workers is 60 seconds",
		"mapped 312864 bytes (305 KB) for 8 cores",
		"SIGINT/SIGTERM received...killing workers...",
		"worker 1 buried after 1 seconds",
		"goodbye to uWSGI.",
	}
	var evs []Event
	p := &UWSGI{clock: utcClock("uwsgi.log"), emit: func(ev Event) { evs = append(evs, ev) }}
	feed(t, p, strings.Join(own, "\n")+"\n"+
		"[pid: 7|app: 0|req: 1/1] 10.0.0.1 () {38 vars in 500 bytes} [Tue Dec  1 04:28:11 2026] GET / => generated 5 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 80 bytes (1 switches on core 0)\n"+
		"mapped the world\n    File \"/app/views.py\", line 3, in view\n")
	assert.Equal(t, 2, p.Unparsed(), "a line that only starts like the banner's, and a traceback's frame, are none of uWSGI's")
	require.Len(t, evs, len(own)+1)
	for i := range own {
		assert.Equal(t, KindBanner, evs[i].Kind, own[i])
	}
}

// TestPgBouncerSyslog: under systemd, lines carry syslog's yearless stamp;
// the year comes from the file's date, a year back across New Year.
func TestPgBouncerSyslog(t *testing.T) {
	var evs []Event
	c := utcClock("pgbouncer.log")
	c.Ref = time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)
	feed(t, NewPgBouncer(c, func(ev Event) { evs = append(evs, ev) }),
		"Dec 31 23:59:58 db1 pgbouncer[6251]: LOG C-0x5: app/app@10.0.0.5:40000 closing because: query_wait_timeout (age=2s)\n"+
			"Jan  1 00:00:01 db1 pgbouncer[6251]: C-0x5: app/app@10.0.0.5:40000 pooler error: query_wait_timeout\n"+
			"Jan  1 00:00:02 db1 sshd[1]: Accepted publickey")
	require.Len(t, evs, 2)
	assert.Equal(t, "2026-12-31T23:59:58Z", evs[0].Time.Format(time.RFC3339))
	assert.Equal(t, TagClosing, evs[0].Tag)
	assert.Equal(t, "6251", evs[0].Field("pid"))
	assert.Equal(t, "2027-01-01T00:00:01Z", evs[1].Time.Format(time.RFC3339))
	assert.Equal(t, TagPoolerError, evs[1].Tag)
	assert.Equal(t, "LOG", evs[1].Level)
	conn, ok := evs[1].Connection()
	require.True(t, ok)
	assert.Equal(t, 40000, conn.Port)
}

func TestRotatedFrom(t *testing.T) {
	tests := []struct {
		name, log string
		age       int
	}{
		{"logs/pgbouncer.log", "logs/pgbouncer.log", 0},
		{"logs/pgbouncer.log.1", "logs/pgbouncer.log", 1},
		{"logs/pgbouncer.log.12.gz", "logs/pgbouncer.log", 12},
		{`d:\logs\django_errors.log.3`, `d:\logs\django_errors.log`, 3},
		{"app.log-20261126", "app.log", 1},
		{"app.log.2026-11-26_12-00", "app.log", 1},
		{"runserver_8000.err.log", "runserver_8000.err.log", 0},
		{"v1.2", "v1", 2},
		{"logs/gunicorn_error.log.3[gunicorn]", "logs/gunicorn_error.log[gunicorn]", 3},
		{"compose.log[web-1/django]", "compose.log[web-1/django]", 0},
	}
	for _, tc := range tests {
		log, age := RotatedFrom(tc.name)
		assert.Equal(t, tc.log, log, tc.name)
		assert.Equal(t, tc.age, age, tc.name)
	}
}

// TestPostgresUserPrefix: a log_line_prefix the user names, with %q.
func TestPostgresUserPrefix(t *testing.T) {
	tests := []struct {
		prefix, line  string
		ok            bool
		sev, msg, pid string
		utc           string
	}{
		{"%m [%p] %q%u@%d ", "2026-11-26 17:15:00.441 UTC [28399] app@appdb ERROR:  deadlock detected", true, "ERROR", "deadlock detected", "28399", "2026-11-26T17:15:00.441Z"},
		{"%m [%p] %q%u@%d ", "2026-11-26 17:15:00.351 UTC [28391] LOG:  starting PostgreSQL 15", true, "LOG", "starting PostgreSQL 15", "28391", ""},
		{"%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ", "2026-11-26 17:15:00 UTC [28399]: [3-1] user=app,db=appdb,app=psql x,client=127.0.0.1 FATAL:  sorry, too many clients already", true, "FATAL", "sorry, too many clients already", "28399", "2026-11-26T17:15:00Z"},
		{"%n|%p|", "1795713300.250|42|WARNING:  x", true, "WARNING", "x", "42", "2026-11-26T17:15:00.25Z"},
		{"%m [%p] ", "not a postgres line", false, "", "", "", ""},
		// AWS RDS's prefix: a background process writes no client, user
		// or database (PrairieLearn/PrairieLearn#1623).
		{"%t:%r:%u@%d:[%p]:", "2019-08-05 08:03:08 UTC::@:[16814]:LOG:  checkpoint starting: time", true, "LOG", "checkpoint starting: time", "16814", "2019-08-05T08:03:08Z"},
		{"%t:%r:%u@%d:[%p]:", "2019-08-05 08:10:00 UTC:10.0.0.229(47044):pdb@pldev:[28030]:FATAL:  terminating connection due to idle-in-transaction timeout", true, "FATAL", "terminating connection due to idle-in-transaction timeout", "28030", "2019-08-05T08:10:00Z"},
		{"%m [%p] %q%u@%d app=%a ", "2026-11-26 17:15:00.441 UTC [28399] app@appdb app= ERROR:  deadlock detected", true, "ERROR", "deadlock detected", "28399", ""},
	}
	for _, tc := range tests {
		spec, err := ParseSpec("postgresql:" + tc.prefix)
		require.NoError(t, err, tc.prefix)
		var evs []Event
		feed(t, spec.New(utcClock("pg"), func(ev Event) { evs = append(evs, ev) }), tc.line)
		if !tc.ok {
			assert.Empty(t, evs, tc.line)
			continue
		}
		require.Len(t, evs, 1, tc.line)
		assert.Equal(t, tc.sev, evs[0].Level)
		assert.Equal(t, tc.msg, evs[0].Message)
		assert.Equal(t, tc.pid, evs[0].Field("pid"))
		if tc.utc != "" {
			assert.Equal(t, tc.utc, evs[0].Time.UTC().Format(time.RFC3339Nano))
		}
	}
	for _, bad := range []string{"[%p] ", "%m %z", "%m %"} {
		_, err := ParseSpec("postgresql:" + bad)
		assert.Error(t, err, bad)
	}
}

func TestAccessLog(t *testing.T) {
	lines := "127.0.0.1 - - [26/Nov/2026:10:26:40 -0600] \"GET /boom/?x=1 HTTP/1.1\" 500 145 \"-\" \"locust/2.12.1\"\n" +
		"10.0.0.7 - alice [26/Nov/2026:10:26:41 -0600] \"POST /accounts/login/ HTTP/1.1\" 302 0 \"http://h/accounts/login/\" \"Mozilla/5.0 [x]\"\n" +
		"not an access line\n"
	d, ok := Detect(strings.Split(strings.TrimSpace(lines), "\n"))
	require.True(t, ok)
	require.Equal(t, "access", d.Spec.Name())
	var evs []Event
	feed(t, d.Spec.New(utcClock("access.log"), func(ev Event) { evs = append(evs, ev) }), lines)
	require.Len(t, evs, 2)
	assert.Equal(t, "2026-11-26T16:26:40Z", evs[0].Time.UTC().Format(time.RFC3339))
	assert.Equal(t, "/boom/", evs[0].Path)
	assert.Equal(t, 500, evs[0].Status)
	assert.Equal(t, "127.0.0.1", evs[0].Field("client"))
	assert.Equal(t, "POST", evs[1].Method)
	assert.Equal(t, 302, evs[1].Status)
	assert.Zero(t, evs[0].Duration, "the Combined Log Format states no duration")
}

// TestAccessLogDuration: a request time gunicorn's access_log_format (or
// Apache's LogFormat) puts last, unnamed: %(L)s in seconds, %(D)s (%D) in
// microseconds.
func TestAccessLogDuration(t *testing.T) {
	for _, tc := range []struct {
		tail string
		want time.Duration
	}{
		{` "-" "python-requests/2.28.1" 10.871204`, 10871204 * time.Microsecond},
		{` "-" "python-requests/2.28.1" 10871204`, 10871204 * time.Microsecond},
		{` 10871204`, 10871204 * time.Microsecond},
		{` "-" "python-requests/2.28.1"`, 0},
		// Apache's combinedio: bytes in and out, not a time.
		{` "-" "python-requests/2.28.1" 518 53210`, 0},
	} {
		line := `127.0.0.1 - - [01/Dec/2026:15:09:48 +0700] "GET /proyek/rekap-rab/ HTTP/1.0" 200 5388` + tc.tail
		var evs []Event
		feed(t, NewAccess(utcClock("gunicorn_access.log"), func(ev Event) { evs = append(evs, ev) }), line)
		require.Len(t, evs, 1, line)
		assert.Equal(t, tc.want, evs[0].Duration, line)
	}
}

// TestPyLoggingPause: on Locust's real console log, whose untimed stats
// tables and prints sit under timed records, handing each held record on
// at a pause gives the records a batch reader gets (less the lines that
// continue them afterwards), and counts no line as unplaced either way.
func TestPyLoggingPause(t *testing.T) {
	raw, err := os.ReadFile("../testdata/login-storm-psycopg2/logs/locust_console.log")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	d, ok := Detect(lines[:50])
	require.True(t, ok)
	read := func(pauseEvery int) ([]Event, int) {
		var evs []Event
		p := d.Spec.New(NewClock("locust_console.log", time.UTC, nil), func(ev Event) { evs = append(evs, ev) })
		for i, l := range lines {
			p.Feed(Line{Num: i + 1, Text: l})
			if pauseEvery > 0 && (i+1)%pauseEvery == 0 {
				p.(Pauser).Pause()
			}
		}
		p.Flush()
		return evs, p.Unparsed()
	}
	type record struct {
		line int
		time time.Time
		msg  string
	}
	records := func(evs []Event) []record {
		var out []record
		for _, ev := range evs {
			out = append(out, record{ev.Line, ev.Time, ev.Message})
		}
		return out
	}
	batch, unparsed := read(0)
	require.Equal(t, 0, unparsed)
	require.Greater(t, len(batch), 3)
	for _, every := range []int{1, 2, 7} {
		live, liveUnparsed := read(every)
		assert.Equal(t, records(batch), records(live), "paused every %d lines", every)
		assert.Equal(t, 0, liveUnparsed, "paused every %d lines", every)
	}
}

// TestRunserverRecordOrder: Django 1.10 on writes a request's error record
// before its access line; Django 1.8 wrote it after. Either way a record
// is dated by its own request's access line, not by the next request's
// seconds later, which would make two anchors of one failure.
func TestRunserverRecordOrder(t *testing.T) {
	const record = "Internal Server Error: /accounts/login/\nTraceback (most recent call last):\n  File \"/app/x.py\", line 1, in f\nKeyError: 'a'\n"
	tests := []struct {
		name string
		log  string
		want []int // the line each record is dated by
	}{
		{"Django 1.8: after the access line",
			`[27/Nov/2026 00:15:05] "POST /accounts/login/ HTTP/1.1" 500 145` + "\n" + record +
				`[27/Nov/2026 00:15:09] "GET /dashboard/ HTTP/1.1" 200 12` + "\n" +
				`[27/Nov/2026 00:15:12] "POST /accounts/login/ HTTP/1.1" 500 145` + "\n" + record +
				`[27/Nov/2026 00:15:15] "GET /dashboard/ HTTP/1.1" 200 12` + "\n",
			[]int{1, 7}},
		{"Django 1.10 on: before the access line",
			record + `[27/Nov/2026 00:15:05] "POST /accounts/login/ HTTP/1.1" 500 145` + "\n" +
				record + `[27/Nov/2026 00:15:09] "GET /dashboard/ HTTP/1.1" 200 12` + "\n" +
				`[27/Nov/2026 00:15:12] "POST /accounts/login/ HTTP/1.1" 500 145` + "\n",
			[]int{5, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var evs []Event
			feed(t, NewRunserver(utcClock("rs"), func(ev Event) { evs = append(evs, ev) }), tc.log)
			var got []int
			for _, ev := range evs {
				if ev.Kind == KindRequestLog {
					got = append(got, ev.TimeFrom)
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestBaseName: a source's name loses its folders, never a piece of its
// label (Heroku's "heroku/router" holds a slash), and keeps a line number.
func TestBaseName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"logs/pgbouncer.log", "pgbouncer.log"},
		{"logs/pgbouncer.log:375", "pgbouncer.log:375"},
		{"/tmp/x/papertrail.log[heroku/router]", "papertrail.log[heroku/router]"},
		{"/tmp/x/papertrail.log[heroku/router]:1", "papertrail.log[heroku/router]:1"},
		{"compose.log[pgbouncer-1]", "compose.log[pgbouncer-1]"},
		{"logs/app.log:v2", "app.log:v2"},
		{"pgbouncer.log", "pgbouncer.log"},
	} {
		assert.Equal(t, tc.want, BaseName(tc.name), tc.name)
	}
}

// TestUWSGIKilledRequests: the requests a HARAKIRI kill lists are
// responses without a status, as long as they ran: from the Unix time
// they began to the kill, which uWSGI dates in local time. Read in a wrong
// zone, the kill is hours off, and the time they ran is still right.
func TestUWSGIKilledRequests(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	// From the lab (uwsgi --harakiri 120 under load, local time Asia/Jakarta).
	const lines = "Wed Dec  2 15:09:38 2026 - *** HARAKIRI ON WORKER 1 (pid: 11535, try: 1) ***\n" +
		"Wed Dec  2 15:09:38 2026 - HARAKIRI !!! worker 1 status !!!\n" +
		"Wed Dec  2 15:09:38 2026 - HARAKIRI [core 0] 127.0.0.1 - GET /proyek/audit-trail/?page=2 since 1796198848\n" +
		// unbit/uwsgi#2606: the request's name redacted, no path.
		"Tue Mar 26 14:03:21 2024 - HARAKIRI [core 86] 34.213.73.9 - POST <REDACTED_REQUEST> since 1711461776\n" +
		// A graceful harakiri's second try lists the same request again.
		"Wed Dec  2 15:09:43 2026 - *** HARAKIRI ON WORKER 1 (pid: 11535, try: 2) ***\n" +
		"Wed Dec  2 15:09:43 2026 - HARAKIRI [core 0] 127.0.0.1 - GET /proyek/audit-trail/?page=2 since 1796198848\n" +
		// Another worker's request on its core 0, begun in the same second.
		"Wed Dec  2 15:09:43 2026 - *** HARAKIRI ON WORKER 2 (pid: 11536) ***\n" +
		"Wed Dec  2 15:09:43 2026 - HARAKIRI [core 0] 127.0.0.1 - GET /proyek/audit-trail/?page=3 since 1796198848\n"
	for _, zone := range []*time.Location{jakarta, time.UTC, time.FixedZone("+05:45", 345*60)} {
		var evs []Event
		p := &UWSGI{clock: NewClock("uwsgi.log", zone, nil), emit: func(ev Event) { evs = append(evs, ev) }}
		feed(t, p, lines)
		require.Len(t, evs, 8, zone.String())
		for i, ev := range evs {
			assert.Equal(t, i == 2 || i == 7, ev.Killed(), "line %d", i+1)
			assert.Equal(t, i == 2 || i == 7, ev.IsResponse(), "line %d", i+1)
		}
		k := evs[2]
		assert.Equal(t, KindAccess, k.Kind)
		assert.Equal(t, "GET", k.Method)
		assert.Equal(t, "/proyek/audit-trail/", k.Path)
		assert.Zero(t, k.Status)
		assert.Equal(t, 130*time.Second, k.Duration, zone.String())
		assert.Equal(t, "127.0.0.1", k.Field("client"))
		assert.Equal(t, "0", k.Field("core"))
		if zone == jakarta {
			assert.Equal(t, time.Unix(1796198848, 0).UTC(), k.Began().UTC())
		}
	}
}

// TestUWSGIVirtualHost: with --vhost, uWSGI writes the request's host
// before its request line (modoboa/modoboa#1706); with --memory-report,
// the worker's memory.
func TestUWSGIVirtualHost(t *testing.T) {
	var evs []Event
	p := &UWSGI{clock: utcClock("uwsgi.log"), emit: func(ev Event) { evs = append(evs, ev) }}
	feed(t, p, "webmail.fujifilmusa.com [pid: 8376|app: 1|req: 3/6] 69.207.180.150 () {62 vars in 1313 bytes} [Thu Apr  2 10:07:54 2020] POST /webmail/?action=compose => generated 37 bytes in 368 msecs (HTTP/1.1 500) 5 headers in 172 bytes (1 switches on core 0)\n"+
		// --memory-report (unbit/uwsgi#2671), the line as one.
		"{address space usage: 277147648 bytes/264MB} {rss usage: 34459648 bytes/32MB} [pid: 143521|app: 0|req: 1/1] 127.0.0.1 () {28 vars in 291 bytes} [Mon Jul 22 09:13:34 2024] GET / => generated 11 bytes in 6036 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches on core 0)\n"+
		"two words [pid: 1|app: 0|req: 1/1] 10.0.0.1 () {1 vars in 1 bytes} [Thu Apr  2 10:07:55 2020] GET / => generated 1 bytes in 1 msecs (HTTP/1.1 200) 1 headers in 1 bytes (1 switches on core 0)\n")
	require.Len(t, evs, 2)
	assert.Equal(t, 1, p.Unparsed(), "a host is one word")
	assert.Equal(t, "/", evs[1].Path)
	assert.Equal(t, 6036*time.Millisecond, evs[1].Duration)
	ev := evs[0]
	assert.Equal(t, KindAccess, ev.Kind)
	assert.Equal(t, "POST", ev.Method)
	assert.Equal(t, "/webmail/", ev.Path)
	assert.Equal(t, 500, ev.Status)
	assert.Equal(t, 368*time.Millisecond, ev.Duration)
	assert.Equal(t, "webmail.fujifilmusa.com", ev.Field("host"))
	assert.Equal(t, "69.207.180.150", ev.Field("client"))
}

// TestUWSGIBannerStartsNoSource: a line like one of uWSGI's banner that
// another program wrote ("os: posix", a warning) is uWSGI's only in a
// stream where uWSGI writes; in gunicorn's log it makes no uWSGI source.
func TestUWSGIBannerStartsNoSource(t *testing.T) {
	feedAll := func(lines ...string) []string {
		d := NewDemux("x.log", func(string) *Clock { return utcClock("x.log") }, func(Event) {})
		_, ok := d.Start(lines)
		require.True(t, ok)
		for i, l := range lines {
			d.Feed(Line{Num: i + 1, Text: l})
		}
		d.Flush()
		var formats []string
		for _, p := range d.Parts() {
			formats = append(formats, p.Spec.Format.Name)
		}
		return formats
	}
	// CTFd/CTFd#468, with the app's own prints between.
	gunicorn := feedAll("[2017-11-13 14:05:10 +0000] [216] [CRITICAL] WORKER TIMEOUT (pid:252)",
		"*** WARNING: DEBUG is on ***",
		"os: posix",
		"[2017-11-13 14:05:10 +0000] [265] [INFO] Booting worker with pid: 265")
	assert.NotContains(t, gunicorn, "uwsgi")
	uwsgi := feedAll("*** Starting uWSGI 2.0.21-debian (64bit) on [Mon Nov 30 21:13:32 2026] ***",
		"os: Linux-6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0",
		"ERROR 2026-12-01 04:13:35,172 log 5440 139919477044928 Internal Server Error: /accounts/login/",
		"*** WARNING: you are running uWSGI as root !!! (use the --uid flag) *** ")
	assert.Contains(t, uwsgi, "uwsgi")

	// In uWSGI's own log, its banner and shutdown lines end the Django
	// record before them, not continue its exception's message.
	lines := []string{
		"[pid: 11997|app: 0|req: 1/1] 127.0.0.1 () {24 vars in 274 bytes} [Wed Dec  2 15:11:39 2026] GET /accounts/login/ => generated 145 bytes in 34 msecs (HTTP/1.1 500) 6 headers in 184 bytes (1 switches on core 0)",
		"ERROR 2026-12-02 15:11:45,123 log 11997 140 Internal Server Error: /accounts/login/",
		"Traceback (most recent call last):",
		`  File "/app/x.py", line 1, in f`,
		`    raise ValueError("y")`,
		"ValueError: y",
		"SIGINT/SIGQUIT received...killing workers...",
		"Gracefully killing worker 1 (pid: 11997)...",
		"os: Linux-6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0",
		"goodbye to uWSGI.",
	}
	var excs []string
	d := NewDemux("uwsgi.log", func(string) *Clock { return utcClock("uwsgi.log") }, func(ev Event) {
		if ev.Exc != nil {
			excs = append(excs, ev.Exc.Class+": "+ev.Exc.Message)
		}
	})
	_, ok := d.Start(lines)
	require.True(t, ok)
	for i, l := range lines {
		d.Feed(Line{Num: i + 1, Text: l})
	}
	d.Flush()
	assert.Equal(t, []string{"ValueError: y"}, excs)
	assert.Zero(t, d.Unparsed())
}
