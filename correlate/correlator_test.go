package correlate

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

var t0 = time.Date(2026, 11, 26, 17, 15, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

var lostConn = &parser.Exception{Class: "django.db.utils.OperationalError", Message: "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally"}
var redisDown = &parser.Exception{Class: "redis.exceptions.ConnectionError", Message: "Error 111 connecting to 127.0.0.1:26380. Connection refused."}

// Builders for the events the parsers produce.
func access(line int, sec float64, status int) parser.Event {
	return parser.Event{Source: "runserver.err.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Second,
		Kind: parser.KindAccess, Method: "POST", Path: "/accounts/login/", Status: status}
}

func errRecord(src string, line int, sec float64, exc *parser.Exception) parser.Event {
	return parser.Event{Source: src, Line: line, EndLine: line + 40, Time: at(sec), Precision: time.Millisecond,
		Kind: parser.KindRequestLog, Path: "/accounts/login/", Status: 500, Exc: exc}
}

func authLine(line int, sec float64) parser.Event {
	return parser.Event{Source: "auth_debug.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Millisecond,
		Kind: parser.KindRecord, Method: "POST", Path: "/accounts/login/", Status: 500}
}

func pgb(line int, sec float64, tag parser.Tag, reason, ptr string, port int) parser.Event {
	// The line as a collector hands it on, its time taken off: the
	// connection is read from it.
	text := fmt.Sprintf("LOG C-%s: ahsp/ahsp@127.0.0.1:%d %s", ptr, port, reason)
	return parser.Event{Source: "pgbouncer.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Millisecond,
		Kind: parser.KindPgBouncer, Tag: tag, Reason: reason, Text: text}
}

// correlateAll runs events through a correlator the way analyze does.
func correlateAll(cfg Config, evs ...parser.Event) ([]Chain, Summary) {
	var chains []Chain
	c := New(cfg, func(ch Chain) { chains = append(chains, ch) })
	for _, ev := range evs {
		c.Add(ev)
		c.Advance(ev.Time.Add(-DefaultSlack))
	}
	c.Close()
	return chains, c.Summary()
}

func TestOneRequestOneAnchor(t *testing.T) {
	inferred := errRecord("runserver.err.log", 10, 5, lostConn)
	inferred.TimeFrom = 60
	chains, sum := correlateAll(DefaultConfig(),
		pgb(1, 1.5, "closing", "query_wait_timeout", "0xa", 40000),
		pgb(2, 1.5, "pooler_error", "query_wait_timeout", "0xa", 40000),
		errRecord("django_errors.log", 3, 4.2, lostConn),
		authLine(4, 4.21),
		inferred,
		access(60, 5, 500),
	)
	require.Len(t, chains, 1)
	ch := chains[0]
	assert.Equal(t, 1, sum.Anchors)
	assert.Equal(t, "runserver.err.log", ch.Anchor.Source)
	assert.Equal(t, 60, ch.Anchor.Line, "the access line dates the anchor")
	assert.Equal(t, "POST", ch.Method)
	assert.Equal(t, "query_wait_timeout", ch.Cause)
	assert.Equal(t, BasisNearby, ch.Basis)
	var roles []Role
	var lines []int
	for _, l := range ch.Evidence {
		roles = append(roles, l.Role)
		lines = append(lines, l.Event.Line)
	}
	assert.Equal(t, []Role{RoleCause, RoleCause, RoleRequest, RoleRequest, RoleRequest}, roles)
	assert.ElementsMatch(t, []int{1, 2, 3, 4, 10}, lines, "both PgBouncer lines of the timed-out client")
	assert.Equal(t, -3500*time.Millisecond, ch.Evidence[0].Offset)
}

// TestRedisNotBlamedOnPool: a 500 whose own exception is Redis's keeps that
// cause even with pool timeouts in the same second.
func TestRedisNotBlamedOnPool(t *testing.T) {
	chains, sum := correlateAll(DefaultConfig(),
		pgb(1, 9.9, "closing", "query_wait_timeout", "0xa", 40000),
		errRecord("django_errors.log", 2, 10.0, redisDown),
		errRecord("django_errors.log", 50, 10.1, lostConn),
		access(60, 10, 500),
		access(61, 10, 500),
	)
	require.Len(t, chains, 2)
	assert.Equal(t, map[string]int{"redis_connection_error": 1, "query_wait_timeout": 1}, sum.ByCause)
	for _, ch := range chains {
		for _, l := range ch.Evidence {
			if ch.Cause != "query_wait_timeout" {
				assert.NotEqual(t, RoleCause, l.Role)
			}
		}
	}
}

// TestClaimedOnce: one PgBouncer line explains one anchor; the next falls
// back to its own exception rather than citing the same line.
func TestClaimedOnce(t *testing.T) {
	chains, sum := correlateAll(DefaultConfig(),
		pgb(1, 9, "closing", "query_wait_timeout", "0xa", 40000),
		errRecord("django_errors.log", 2, 10.0, lostConn),
		errRecord("django_errors.log", 50, 10.5, lostConn),
	)
	require.Len(t, chains, 2)
	assert.Equal(t, map[string]int{"query_wait_timeout": 1, "django.db.utils.OperationalError": 1}, sum.ByCause)
	assert.Equal(t, "query_wait_timeout", chains[0].Cause, "the earlier anchor claims first")
}

func TestWindowBounds(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		name  string
		qwt   float64
		cause string
	}{
		{"just inside Before", 100 - 20, "query_wait_timeout"},
		{"outside Before", 100 - 20.001, "django.db.utils.OperationalError"},
		{"inside After", 100 + 5, "query_wait_timeout"},
		{"outside After", 100 + 5.001, "django.db.utils.OperationalError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chains, _ := correlateAll(cfg, sorted(pgb(1, tc.qwt, "pooler_error", "query_wait_timeout", "0xa", 1), errRecord("e.log", 2, 100, lostConn))...)
			require.Len(t, chains, 1)
			assert.Equal(t, tc.cause, chains[0].Cause)
		})
	}
}

func sorted(evs ...parser.Event) []parser.Event {
	if len(evs) == 2 && evs[1].Time.Before(evs[0].Time) {
		evs[0], evs[1] = evs[1], evs[0]
	}
	return evs
}

// TestNamedByTraceback: with psycopg 3 (or old libpq) the traceback says
// query_wait_timeout itself; no PgBouncer log is needed.
func TestNamedByTraceback(t *testing.T) {
	exc := &parser.Exception{Class: "django.db.utils.OperationalError", Message: "consuming input failed: query_wait_timeout\nserver closed the connection unexpectedly"}
	chains, _ := correlateAll(DefaultConfig(), errRecord("runserver.err.log", 1, 3, exc), access(50, 4, 500))
	require.Len(t, chains, 1)
	assert.Equal(t, "query_wait_timeout", chains[0].Cause)
	assert.Equal(t, BasisNamed, chains[0].Basis)
	assert.Contains(t, chains[0].Evidence[0].Why, "names query_wait_timeout")
}

// TestFewerLogs: an access line alone is an anchor; with a pool timeout near
// it the cause is inferred from proximity, without one it is unknown.
func TestFewerLogs(t *testing.T) {
	chains, sum := correlateAll(DefaultConfig(), access(1, 10, 500))
	require.Len(t, chains, 1)
	assert.Equal(t, Unknown, chains[0].Cause)
	assert.Equal(t, 1, sum.Unexplained)

	chains, _ = correlateAll(DefaultConfig(), pgb(1, 8, "closing", "query_wait_timeout", "0xa", 1), access(2, 10, 500))
	require.Len(t, chains, 1)
	assert.Equal(t, "query_wait_timeout", chains[0].Cause)
	assert.Equal(t, BasisNearby, chains[0].Basis)
}

func TestAnchorFilters(t *testing.T) {
	get := access(1, 1, 500)
	get.Method = "GET"
	other := access(2, 2, 500)
	other.Path = "/dashboard/"
	bad := access(3, 3, 502)
	ok := access(4, 4, 500)

	chains, _ := correlateAll(DefaultConfig(), get, other, bad, ok)
	assert.Len(t, chains, 2, "GET and POST 500 on the login path")

	cfg := DefaultConfig()
	cfg.Methods = []string{"post"}
	cfg.Statuses = []StatusRange{{500, 599}}
	chains, _ = correlateAll(cfg, get, other, bad, ok)
	assert.Len(t, chains, 2, "POST 5xx on the login path")
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]StatusRange{"500": {500, 500}, "5xx": {500, 599}, "5XX": {500, 599}, "502-504": {502, 504}} {
		got, err := ParseStatus(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"", "5x", "abc", "99", "504-502", "1000"} {
		_, err := ParseStatus(in)
		assert.Error(t, err, in)
	}
}

// TestEmittedWhenWindowCloses: a chain is handed out once event time passes
// its anchor plus After (its access line makes the request complete), and
// not before.
func TestEmittedWhenWindowCloses(t *testing.T) {
	var chains []Chain
	c := New(DefaultConfig(), func(ch Chain) { chains = append(chains, ch) })
	c.Add(errRecord("e.log", 1, 10, lostConn))
	c.Add(access(2, 11, 500))
	c.Advance(at(16 - 0.001))
	assert.Empty(t, chains)
	c.Advance(at(16))
	assert.Len(t, chains, 1)

	// Without an access line the request may still get one: it waits
	// SameRequest.
	c.Add(errRecord("e.log", 3, 20, lostConn))
	c.Advance(at(79.999))
	assert.Len(t, chains, 1)
	c.Advance(at(80))
	assert.Len(t, chains, 2)
}

// TestMemoryBoundedByWindow: a long stream keeps only the cause events that a
// window can still reach.
func TestMemoryBoundedByWindow(t *testing.T) {
	c := New(DefaultConfig(), func(Chain) {})
	most := 0
	for i := 0; i < 200000; i++ {
		sec := float64(i) / 100 // 100 pool timeouts a second for 2000 s
		c.Add(pgb(i, sec, "closing", "query_wait_timeout", "0xa", i))
		if i%1000 == 0 {
			c.Add(errRecord("e.log", i, sec, lostConn))
		}
		c.Advance(at(sec - 2))
		most = max(most, len(c.signs))
	}
	window := (2*DefaultSameRequest + DefaultBefore + 2*DefaultSlack).Seconds()
	assert.LessOrEqual(t, most, int(window*100)+100)
	c.Close()
	assert.Equal(t, 200, c.Summary().Anchors)
}

type sliceSource struct {
	evs []parser.Event
	err error
}

func (s *sliceSource) Next() (*parser.Event, error) {
	if len(s.evs) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	ev := &s.evs[0]
	s.evs = s.evs[1:]
	return ev, nil
}

func TestMergeOrdersWithinSlack(t *testing.T) {
	a := &sliceSource{evs: []parser.Event{{Line: 1, Time: at(1)}, {Line: 2, Time: at(3)}, {Line: 3, Time: at(2.5)}, {Line: 4, Time: at(6)}}}
	b := &sliceSource{evs: []parser.Event{{Line: 10, Time: at(2)}, {Line: 11, Time: at(2)}, {Line: 12, Time: at(5)}}, err: errors.New("b.log:4: broken")}
	m := NewMerge(a, b)
	var failed []int
	m.OnError = func(i int, err error) { failed = append(failed, i) }
	var lines []int
	for {
		ev, err := m.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		lines = append(lines, ev.Line)
	}
	assert.Equal(t, []int{1, 10, 11, 3, 2, 12, 4}, lines)
	assert.Equal(t, []int{1}, failed, "the broken source is reported, what it yielded kept")
}

// TestClaimOrderIndependentOfSteps: one pool timeout, two lost-connection
// 500s. The access line joins the older request (first come, first served),
// so the anchor dated earliest is the other one, and it gets the pool line,
// whether the watermark moves with every event or only at the end.
func TestClaimOrderIndependentOfSteps(t *testing.T) {
	evs := []parser.Event{
		pgb(1, 9, "closing", "query_wait_timeout", "0xa", 1),
		errRecord("django_errors.log", 2, 10, lostConn),
		errRecord("django_errors.log", 50, 11, lostConn),
		access(60, 12, 500),
	}
	for _, every := range []int{1, 2, 0} {
		var got []string
		c := New(DefaultConfig(), func(ch Chain) { got = append(got, fmt.Sprintf("%d:%s", ch.Anchor.Line, ch.Cause)) })
		for i, ev := range evs {
			c.Add(ev)
			if every > 0 && i%every == 0 {
				c.Advance(ev.Time.Add(-DefaultSlack))
			}
		}
		for sec := 13.0; sec < 100; sec++ {
			if every > 0 {
				c.Advance(at(sec))
			}
		}
		c.Close()
		assert.Equal(t, []string{"50:query_wait_timeout", "60:django.db.utils.OperationalError"}, got, "advance every %d", every)
	}
}

// TestLiveWatermark: the slowest source that is still writing holds the
// watermark; a quiet one does not; when all are quiet it moves with the
// wall clock.
func TestLiveWatermark(t *testing.T) {
	l := NewLive(New(DefaultConfig(), func(Chain) {}), 2*time.Second, 5*time.Second)
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	a := l.Source("a.log", 1, wall)
	b := l.Source("b.log", 1, wall)
	_, ok := l.Watermark(wall)
	assert.False(t, ok, "nothing said yet")

	a.Push(access(1, 100, 200))
	b.Push(access(1, 90, 200))
	wm, ok := l.Watermark(wall)
	require.True(t, ok)
	assert.Equal(t, at(88), wm, "the slower source, less the slack")

	wall = wall.Add(3 * time.Second)
	a.Touch(wall)
	a.Push(access(2, 110, 200))
	wm, _ = l.Watermark(wall)
	assert.Equal(t, at(88), wm, "b is not quiet yet")

	wall = wall.Add(3 * time.Second) // b quiet for 6 s, a for 3 s
	wm, _ = l.Watermark(wall)
	assert.Equal(t, at(108), wm, "quiet b no longer holds it back")

	wall = wall.Add(4 * time.Second) // both quiet
	wm, _ = l.Watermark(wall)
	assert.Equal(t, at(110+7-2), wm, "a's newest plus the wall time since it spoke")

	b.Done()
	a.Done()
	_, ok = l.Watermark(wall)
	assert.False(t, ok)
}

// TestLiveLinesWithoutTime: a source that keeps writing lines that add no
// time (Locust's console prints untimed stats tables all through a test)
// does not hold the watermark back once its time has not moved for Idle.
func TestLiveLinesWithoutTime(t *testing.T) {
	l := NewLive(New(DefaultConfig(), func(Chain) {}), 2*time.Second, 5*time.Second)
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	app := l.Source("auth_debug.log", 1, wall)
	console := l.Source("locust_console.log", 1, wall)
	console.Touch(wall)
	console.Push(access(1, 0, 200)) // "Starting Locust"
	for sec := 1; sec <= 30; sec++ {
		wall = wall.Add(time.Second)
		app.Touch(wall)
		app.Push(access(sec, float64(sec), 200))
		console.Touch(wall)          // a line of a stats table
		console.SetOpen(at(0), true) // held on the record it continues
		wm, ok := l.Watermark(wall)
		require.True(t, ok)
		if sec <= 5 {
			assert.Equal(t, at(-2), wm, "second %d: the console may still be behind", sec)
		} else {
			assert.Equal(t, at(float64(sec-2)), wm, "second %d: the console's time has not moved for 5 s", sec)
		}
	}
}

// TestSinceUntil: a range keeps only the anchors in it, counts only them,
// and gives each the chain an unrestricted run gives it: the anchor just
// before the range still claims the pool timeout nearest it.
func TestSinceUntil(t *testing.T) {
	evs := []parser.Event{
		pgb(1, 9, "closing", "query_wait_timeout", "0xa", 1),
		errRecord("django_errors.log", 2, 10, lostConn),
		pgb(3, 10.5, "closing", "query_wait_timeout", "0xb", 2),
		access(60, 12, 500),
		errRecord("django_errors.log", 50, 13, lostConn),
		access(70, 15, 500),
		pgb(4, 40, "closing", "query_wait_timeout", "0xc", 3),
	}
	describe := func(chs []Chain) []string {
		var out []string
		for _, ch := range chs {
			var ev []string
			for _, l := range ch.Evidence {
				ev = append(ev, fmt.Sprintf("%s:%d", l.Event.Source, l.Event.Line))
			}
			out = append(out, fmt.Sprintf("%d %s %v", ch.Anchor.Line, ch.Cause, ev))
		}
		return out
	}
	all, sumAll := correlateAll(DefaultConfig(), evs...)
	require.Len(t, all, 2)
	require.Equal(t, 3, sumAll.Signs["query_wait_timeout"])

	cases := []struct {
		name         string
		since, until time.Time
		want         []Chain
		signs        int
	}{
		{"since", at(14), time.Time{}, all[1:], 3},
		{"until", time.Time{}, at(14), all[:1], 2},
		{"both", at(12), at(12.5), all[:1], 2},
		{"empty", at(20), at(30), nil, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Since, cfg.Until = c.since, c.until
			got, sum := correlateAll(cfg, evs...)
			assert.Equal(t, describe(c.want), describe(got))
			assert.Equal(t, len(c.want), sum.Anchors)
			assert.Equal(t, c.signs, sum.Signs["query_wait_timeout"], "cause lines counted where a window in range can reach")
		})
	}
}

// TestTimedReportJoinsItsRecordedRequest: two failures of one second, as
// uwsgi-nginx-console-json has them at 05:53:19. uWSGI dates its request
// lines by the second they began, so the request that failed second can be
// the first made; auth_debug.log's line (its own time and dur_ms) must join
// the request whose error record was written while it ran, not the oldest.
func TestTimedReportJoinsItsRecordedRequest(t *testing.T) {
	uwsgi := func(line int, sec float64, took time.Duration, pid string) parser.Event {
		ev := access(line, sec, 500)
		ev.Source, ev.Duration = "uwsgi.log", took
		ev.Fields = parser.Fields{{Key: "pid", Value: pid}}
		return ev
	}
	record := func(line int, sec float64, pid string) parser.Event {
		ev := errRecord("django_errors.log", line, sec, redisDown)
		ev.Fields = parser.Fields{{Key: "process", Value: pid}}
		return ev
	}
	timed := func(line int, sec float64, took time.Duration) parser.Event {
		ev := authLine(line, sec)
		ev.Duration = took
		return ev
	}
	chains, sum := correlateAll(DefaultConfig(),
		uwsgi(1902, 0.019, 19*time.Millisecond, "22793"),
		uwsgi(1810, 0.030, 30*time.Millisecond, "22791"),
		record(10, 0.707, "22791"),
		timed(530, 0.728, 29*time.Millisecond),
		record(11, 0.881, "22793"),
		timed(536, 0.896, 17*time.Millisecond),
	)
	require.Len(t, chains, 2)
	assert.Equal(t, 2, sum.Anchors)
	got := map[int][]int{}
	for _, ch := range chains {
		for _, l := range ch.Evidence {
			got[ch.Anchor.Line] = append(got[ch.Anchor.Line], l.Event.Line)
		}
	}
	assert.ElementsMatch(t, []int{10, 530}, got[1810], "the request recorded at .707 gets the auth line of the request that began at .699")
	assert.ElementsMatch(t, []int{11, 536}, got[1902], "the request recorded at .881 gets the auth line of the request that began at .879")
}

func TestNanosKeepsOrder(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(1200, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 27, 0, 15, 5, 496000000, time.UTC),
		time.Date(2026, 11, 27, 0, 15, 5, 496000001, time.UTC),
		time.Date(2262, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		assert.LessOrEqual(t, nanos(times[i-1]), nanos(times[i]), "%v before %v", times[i-1], times[i])
	}
	assert.Less(t, nanos(times[3]), nanos(times[4]))
	assert.Less(t, nanos(times[4]), nanos(times[5]), "a nanosecond apart")
	assert.Equal(t, times[4].UnixNano(), nanos(times[4]))
}

// TestKilledRequestsAreFailures: a request uWSGI killed had no response
// and no status; it is an anchor wherever a 5xx would be, or when it ran
// long enough for --slow, and named by its own line.
func TestKilledRequestsAreFailures(t *testing.T) {
	killed := func(line int, sec float64, ran time.Duration) parser.Event {
		msg := "HARAKIRI [core 0] 127.0.0.1 - POST /accounts/login/ since 1796198848"
		return parser.Event{Source: "uwsgi.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Second,
			Kind: parser.KindAccess, Tag: parser.TagKilled, Method: "POST", Path: "/accounts/login/", Duration: ran,
			Text: "Wed Dec  2 15:09:38 2026 - " + msg, Message: msg}
	}
	worker := parser.Event{Source: "uwsgi.log", Line: 1, EndLine: 1, Time: at(30), Precision: time.Second, Kind: parser.KindRecord,
		Text: "Wed Dec  2 15:09:38 2026 - *** HARAKIRI ON WORKER 1 (pid: 11535, try: 1) ***", Message: "*** HARAKIRI ON WORKER 1 (pid: 11535, try: 1) ***"}
	for _, tc := range []struct {
		name     string
		statuses []StatusRange
		slow     time.Duration
		anchors  int
	}{
		{"500, the default", []StatusRange{{500, 500}}, 0, 1},
		{"5xx", []StatusRange{{500, 599}}, 0, 1},
		{"404 alone", []StatusRange{{404, 404}}, 0, 0},
		{"slow, ran longer", nil, 60 * time.Second, 1},
		{"slow, ran shorter", nil, 200 * time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Statuses, cfg.Slow = tc.statuses, tc.slow
			chains, sum := correlateAll(cfg, worker, killed(2, 30, 130*time.Second))
			assert.Equal(t, tc.anchors, sum.Anchors)
			require.Len(t, chains, tc.anchors)
			if tc.anchors == 0 {
				return
			}
			ch := chains[0]
			assert.Zero(t, ch.Status)
			assert.Equal(t, 2, ch.Anchor.Line)
			// Slow too: nothing in the logs says where its time went, and
			// its own line says how it ended.
			assert.Equal(t, "uwsgi_harakiri", ch.Cause)
			assert.Equal(t, BasisNamed, ch.Basis)
		})
	}
}

// TestProxyTimeoutLinksTheWorkerKilled: a proxy's timeout names its own
// side; the app server's line of the worker it killed in that window is
// the next link (Heroku's H12 and gunicorn's WORKER TIMEOUT of one second,
// newfs/gobotany-app#180), and each kill goes to one chain.
func TestProxyTimeoutLinksTheWorkerKilled(t *testing.T) {
	h12 := func(line int, sec float64) parser.Event {
		msg := `at=error code=H12 desc="Request timeout" method=GET path="/slow/" dyno=web.1 service=30000ms status=503`
		return parser.Event{Source: "heroku.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Microsecond,
			Kind: parser.KindAccess, Proxy: true, Method: "GET", Path: "/slow/", Status: 503, Duration: 30 * time.Second, Text: msg, Message: msg}
	}
	kill := func(line int, sec float64) parser.Event {
		msg := "[CRITICAL] WORKER TIMEOUT (pid:7)"
		return parser.Event{Source: "gunicorn.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Second,
			Kind: parser.KindRecord, Level: "CRITICAL", Text: msg, Message: msg}
	}
	cfg := DefaultConfig()
	cfg.Paths, cfg.Statuses = []string{"/slow/"}, []StatusRange{{500, 599}}
	chains, _ := correlateAll(cfg, h12(1, 30), kill(2, 30), h12(3, 31))
	require.Len(t, chains, 2)
	var kills []int
	for _, ch := range chains {
		assert.Equal(t, "upstream_timeout", ch.Cause)
		assert.Equal(t, BasisNamed, ch.Basis)
		for _, l := range ch.Evidence {
			if l.Event.Source == "gunicorn.log" {
				assert.Equal(t, RoleCause, l.Role)
				assert.Contains(t, l.Why, "worker_timeout")
				kills = append(kills, l.Event.Line)
			}
		}
	}
	assert.Equal(t, []int{2}, kills, "the one kill, in one chain")

	// Heroku's router names the dyno: another dyno's kill, or one far from
	// the anchor, is not this request's.
	onDyno := func(ev parser.Event, dyno string) parser.Event {
		ev.Fields = parser.Fields{{Key: "dyno", Value: dyno}}
		return ev
	}
	other := kill(3, 30)
	other.Source = "heroku.log[app[web.2]]"
	far := kill(4, 36)
	far.Source = "heroku.log[app[web.1]]"
	chains, _ = correlateAll(cfg, onDyno(h12(1, 30), "web.1"), other, far)
	require.Len(t, chains, 1)
	for _, l := range chains[0].Evidence {
		assert.NotEqual(t, RoleCause, l.Role, "linked %s:%d", l.Event.Source, l.Event.Line)
	}
}

// TestKilledRequestBehindAProxyIsOne: nginx's 502 for a request uWSGI
// killed (the worker died under it) and uWSGI's line of the kill are one
// request, whichever comes first; a worker's kill ending several requests
// pairs each with the 502 whose request began nearest its own. A 504 long
// before (nginx gave up first), or a 500 the app answered, is another.
func TestKilledRequestBehindAProxyIsOne(t *testing.T) {
	killed := func(core int, sec float64, ran time.Duration) parser.Event {
		msg := fmt.Sprintf("HARAKIRI [core %d] 127.0.0.1 - GET /audit/ since 1796199113", core)
		return parser.Event{Source: "uwsgi.log", Line: 5 + core, EndLine: 5 + core, Time: at(sec), Precision: time.Second,
			Kind: parser.KindAccess, Tag: parser.TagKilled, Method: "GET", Path: "/audit/", Duration: ran, Text: msg, Message: msg}
	}
	line := 0
	proxy := func(sec float64, status int, took time.Duration) parser.Event {
		line++
		return parser.Event{Source: "nginx_access.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Millisecond,
			Kind: parser.KindAccess, Proxy: true, Method: "GET", Path: "/audit/", Status: status, Duration: took,
			Text: fmt.Sprintf(`127.0.0.1 - - "GET /audit/ HTTP/1.1" %d 157 rt=%.3f`, status, took.Seconds())}
	}
	app := parser.Event{Source: "uwsgi.log", Line: 2, EndLine: 2, Time: at(130), Precision: time.Second,
		Kind: parser.KindAccess, Method: "GET", Path: "/audit/", Status: 500, Duration: 2 * time.Second}
	router := func(sec float64, code, dyno string) parser.Event {
		ev := proxy(sec, 503, 30*time.Second)
		ev.Source, ev.Fields = "heroku.log[heroku[router]]", parser.Fields{{Key: "code", Value: code}, {Key: "dyno", Value: dyno}}
		return ev
	}
	onDyno := func(ev parser.Event, dyno string) parser.Event {
		ev.Source = "heroku.log[app[" + dyno + "]]"
		return ev
	}
	papertrail := func(ev parser.Event, dyno string) parser.Event {
		ev.Source = "papertrail.log[app/" + dyno + "]"
		return ev
	}
	cfg := DefaultConfig()
	cfg.Paths, cfg.Statuses = []string{"/audit/"}, []StatusRange{{500, 599}}
	for _, tc := range []struct {
		name   string
		evs    []parser.Event
		chains int
		// pairs: each kill's core and the rt of the proxy line with it.
		pairs map[string]string
	}{
		{"502, then the kill", []parser.Event{proxy(130, 502, 129*time.Second), killed(0, 130, 129*time.Second)}, 1,
			map[string]string{"0": "rt=129.000"}},
		{"the kill, then 502", []parser.Event{killed(0, 130, 129*time.Second), proxy(130.2, 502, 129200*time.Millisecond)}, 1,
			map[string]string{"0": "rt=129.200"}},
		{"three kills of one worker", []parser.Event{killed(0, 130, 129*time.Second), killed(1, 130, 40*time.Second), killed(2, 130, 90*time.Second),
			proxy(130.1, 502, 40100*time.Millisecond), proxy(130.2, 502, 129200*time.Millisecond), proxy(130.3, 502, 95300*time.Millisecond)}, 3,
			map[string]string{"0": "rt=129.200", "1": "rt=40.100", "2": "rt=95.300"}},
		{"a 504 long before the kill", []parser.Event{proxy(31, 504, 30*time.Second), killed(0, 130, 129*time.Second)}, 2, nil},
		{"a 500 the app answered", []parser.Event{app, proxy(130.2, 500, 2200*time.Millisecond), killed(0, 130.5, 129*time.Second)}, 2, nil},
		{"a 502 three seconds after", []parser.Event{killed(0, 130, 129*time.Second), proxy(133, 502, 132*time.Second)}, 2, nil},
		{"Heroku's H12 of the dyno: it gave up first", []parser.Event{router(130, "H12", "web.1"), onDyno(killed(0, 130, 30*time.Second), "web.1")}, 2, nil},
		{"Heroku's H13 of another dyno", []parser.Event{router(130, "H13", "web.2"), onDyno(killed(0, 130, 30*time.Second), "web.1")}, 2, nil},
		{"Heroku's H13 of the dyno killed", []parser.Event{router(130, "H13", "web.1"), onDyno(killed(0, 130, 30*time.Second), "web.1")}, 1,
			map[string]string{"0": "rt=30.000"}},
		// Papertrail's label; the kill dated to the start of its second,
		// the router's answer 0.3 s after it was written.
		{"Heroku's H13 through Papertrail", []parser.Event{papertrail(killed(0, 130, 30*time.Second), "web.2"), router(131.2, "H13", "web.2")}, 1,
			map[string]string{"0": "rt=30.000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line = 0
			chains, sum := correlateAll(cfg, tc.evs...)
			require.Len(t, chains, tc.chains)
			assert.Equal(t, tc.chains, sum.Anchors)
			got := map[string]string{}
			for _, ch := range chains {
				if !ch.Anchor.Killed() {
					continue
				}
				for _, l := range ch.Evidence {
					if l.Event.Proxy {
						assert.Equal(t, l.Event.Status, ch.Status, "the status the proxy answered")
						f := strings.Fields(l.Event.Text)
						got[fmt.Sprint(ch.Anchor.Line-5)] = f[len(f)-1]
					}
				}
			}
			want := map[string]string{}
			for k, v := range tc.pairs {
				want[k] = v
			}
			assert.Equal(t, want, got)
		})
	}
}

// TestNextUpstreamTriesAreOneRequest: nginx logs a failure for each
// upstream it tries for one request, naming the worker, the client's
// connection and the request, and its access line lists every try's
// upstream. Those failures are one request's reports, in whichever order
// the access line is read among them; failures of one connection that no
// access line lists as tries are requests of their own (a client's next
// request on a kept connection).
func TestNextUpstreamTriesAreOneRequest(t *testing.T) {
	line := 0
	failed := func(sec float64, worker string, conn int) parser.Event {
		line++
		text := fmt.Sprintf(`2026/11/26 17:15:00 [error] %s: *%d connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.9, server: _, request: "GET /audit/ HTTP/1.1"`, worker, conn)
		return parser.Event{Source: "nginx_error.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Second, Proxy: true,
			Kind: parser.KindRequestLog, Method: "GET", Path: "/audit/", Status: 502, Tag: parser.TagUpstreamRefused, Text: text,
			Fields: parser.Fields{{Key: "client", Value: "10.0.0.9"}, {Key: "connection", Value: fmt.Sprint(conn)}}}
	}
	// timedOut is a try that timed out, nginx's 504.
	timedOut := func(sec float64, worker string, conn int) parser.Event {
		ev := failed(sec, worker, conn)
		ev.Text = strings.Replace(ev.Text, "connect() failed (111: Connection refused) while connecting to upstream", "upstream timed out (110: Operation timed out) while reading response header from upstream", 1)
		ev.Status, ev.Tag = 504, parser.TagUpstreamTimeout
		return ev
	}
	answered := func(sec float64, tries int) parser.Event {
		line++
		addrs := strings.TrimSuffix(strings.Repeat("10.0.0.5:8000, ", tries), ", ")
		return parser.Event{Source: "nginx_access.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Second, Proxy: true,
			Kind: parser.KindAccess, Method: "GET", Path: "/audit/", Status: 502, Text: `10.0.0.9 - - "GET /audit/ HTTP/1.1" 502 157`,
			Fields: parser.Fields{{Key: "upstream_addr", Value: addrs}}}
	}
	// answeredWith is an access line of the last try's status that lists
	// each try's (ingress-nginx's $upstream_status).
	answeredWith := func(sec float64, status int, statuses string) parser.Event {
		ev := answered(sec, strings.Count(statuses, ",")+1)
		ev.Status = status
		ev.Text = strings.Replace(ev.Text, "502 157", fmt.Sprint(status, " 157"), 1)
		ev.Fields = append(ev.Fields, parser.Field{Key: "upstream_status", Value: statuses})
		return ev
	}
	cfg := DefaultConfig()
	cfg.Paths, cfg.Statuses = []string{"/audit/"}, []StatusRange{{500, 599}}
	for _, tc := range []struct {
		name string
		evs  []parser.Event
		// tries: each chain's failures, in order
		tries []int
	}{
		{"three tries, then the answer", []parser.Event{failed(10, "31#31", 569), failed(10, "31#31", 569), failed(10, "31#31", 569), answered(10, 3)}, []int{3}},
		{"the answer read before the last try", []parser.Event{failed(9, "31#31", 569), answered(10, 2), failed(10, "31#31", 569)}, []int{2}},
		{"an answer that lists one try", []parser.Event{failed(10, "31#31", 569), failed(10, "31#31", 569), answered(10, 1)}, []int{1, 1}},
		{"no answer read", []parser.Event{failed(10, "31#31", 569), failed(40, "31#31", 569)}, []int{1, 1}},
		{"the next request on the connection", []parser.Event{failed(10, "31#31", 569), answered(10, 1), failed(10.5, "31#31", 569), answered(10.5, 1)}, []int{1, 1}},
		{"another worker's connection of that number", []parser.Event{failed(10, "31#31", 569), failed(10, "32#32", 569), answered(10, 2), answered(10, 2)}, []int{1, 1}},
		{"another connection", []parser.Event{failed(10, "31#31", 569), failed(10, "31#31", 570), answered(10, 2), answered(10, 2)}, []int{1, 1}},
		{"refused, then timed out", []parser.Event{failed(10, "31#31", 569), timedOut(15, "31#31", 569), answeredWith(15, 504, "502, 504")}, []int{2}},
		{"refused, then timed out, the answer read first", []parser.Event{failed(10, "31#31", 569), answeredWith(15, 504, "502, 504"), timedOut(15, "31#31", 569)}, []int{2}},
		{"timed out, then refused", []parser.Event{timedOut(10, "31#31", 569), failed(10, "31#31", 569), answeredWith(10, 502, "504, 502")}, []int{2}},
		{"a refusal its answer does not list", []parser.Event{failed(10, "31#31", 569), timedOut(15, "31#31", 569), answeredWith(15, 504, "504, 504")}, []int{1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chains, sum := correlateAll(cfg, tc.evs...)
			assert.Equal(t, len(tc.tries), sum.Anchors)
			var tries []int
			for _, ch := range chains {
				n := 0
				for _, l := range append([]Link{{Event: ch.Anchor}}, ch.Evidence...) {
					if l.Event.Kind == parser.KindRequestLog {
						n++
					}
				}
				tries = append(tries, n)
			}
			assert.Equal(t, tc.tries, tries)
		})
	}
}
