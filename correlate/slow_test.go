package correlate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

func timing(src string, sec float64, took time.Duration) parser.Event {
	return parser.Event{Source: src, Time: at(sec), Precision: time.Millisecond, Duration: took, EndLine: 1}
}

func requestTook(line int, path string, sec float64, took time.Duration, status int) parser.Event {
	ev := timing("requests.log", sec, took)
	ev.Line, ev.Kind, ev.Method, ev.Path, ev.Status = line, parser.KindRecord, "GET", path, status
	return ev
}

func statement(line int, pid string, sec float64, took time.Duration, sql string) parser.Event {
	ev := timing("postgresql.log", sec, took)
	ev.Line, ev.Kind, ev.Tag, ev.Reason, ev.Fields = line, parser.KindPostgres, parser.TagStatement, sql, parser.Fields{{Key: "pid", Value: pid}}
	return ev
}

func lockAcquired(line int, pid string, sec float64, took time.Duration) parser.Event {
	ev := timing("postgresql.log", sec, took)
	ev.Line, ev.Kind, ev.Tag, ev.Reason, ev.Fields = line, parser.KindPostgres, parser.TagLockAcquired, "ShareLock on transaction 9", parser.Fields{{Key: "pid", Value: pid}}
	return ev
}

func stats(line int, sec float64, waitUS, xacts string) parser.Event {
	return parser.Event{Source: "pgbouncer.log", Line: line, EndLine: line, Time: at(sec), Precision: time.Millisecond, Kind: parser.KindPgBouncer,
		Tag: parser.TagStats, Fields: parser.Fields{{Key: "wait_us", Value: waitUS}, {Key: "xacts/s", Value: xacts}}}
}

// TestSlowSplit: a slow request's time splits into its statement, the lock
// wait inside it, and the pool's queue; a statement whose lock this
// request's own commit released is another request's; a fast request is
// no anchor.
func TestSlowSplit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Paths, cfg.Statuses, cfg.Slow = []string{"/audit/", "/rekap/"}, nil, 3*time.Second
	cfg.Causes = append(append(Catalogue{}, Builtin...), TimeCauses...)
	chains, sum := correlateAll(cfg,
		stats(1, 0, "0", "10"),
		// The audit request ran 1 s to 9 s: its SELECT … FOR UPDATE waited
		// 2 s for the lock (3 s to 5 s), then it held the lock to its end.
		lockAcquired(10, "41", 5, 2*time.Second),
		statement(11, "41", 5.001, 2001*time.Millisecond, "SELECT 1 FROM counter WHERE name = 'audit' FOR UPDATE"),
		stats(2, 8, "12000000", "20"),
		// Another's wait that this request's commit ended, at its end.
		lockAcquired(12, "42", 8.990, 1500*time.Millisecond),
		statement(13, "42", 8.991, 1501*time.Millisecond, "SELECT 1 FROM counter WHERE name = 'x' FOR UPDATE"),
		requestTook(1, "/audit/", 9, 8*time.Second, 200),
		requestTook(2, "/rekap/", 9.5, 500*time.Millisecond, 200),
		stats(3, 16, "0", "20"),
	)
	require.Len(t, chains, 1, "the fast request is no anchor")
	ch := chains[0]
	assert.Equal(t, "/audit/", ch.Path)
	assert.Equal(t, 8*time.Second, ch.Duration)
	require.NotNil(t, ch.Split)
	s := ch.Split
	assert.Equal(t, 2*time.Second, s.Lock)
	assert.Equal(t, time.Millisecond, s.Statement, "the statement's own time, less its lock wait")
	assert.InDelta(t, 12*7.0/8+0*1.0/8, s.PoolQueue, 0.01, "12 clients queued over 7 s of its 8, none over the last")
	assert.Equal(t, 8*time.Second-2001*time.Millisecond, s.Pool, "the rest, with clients queued")
	assert.Zero(t, s.Other)
	assert.Equal(t, "pool_wait", ch.Cause)
	assert.Equal(t, BasisTime, ch.Basis)
	for _, l := range ch.Evidence {
		assert.NotEqual(t, 12, l.Event.Line, "the lock wait this request released is not its own")
		assert.NotEqual(t, 13, l.Event.Line)
	}
	require.Len(t, s.Statements, 1)
	assert.Equal(t, "SELECT ? FROM counter WHERE name = ? FOR UPDATE", s.Statements[0].Fingerprint)
	assert.Equal(t, 1, sum.Anchors)
}

// TestSlowUnexplained: with no statement, lock or queue in its interval, a
// slow anchor's cause is unknown and its time is Other.
func TestSlowUnexplained(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Paths, cfg.Statuses, cfg.Slow = []string{"/rekap/"}, nil, time.Second
	chains, _ := correlateAll(cfg, stats(1, 0, "0", "10"), requestTook(1, "/rekap/", 5, 4*time.Second, 200), stats(2, 10, "0", "10"))
	require.Len(t, chains, 1)
	assert.Equal(t, Unknown, chains[0].Cause)
	assert.Equal(t, BasisNone, chains[0].Basis)
	assert.Equal(t, 4*time.Second, chains[0].Split.Other)
}

func TestFingerprint(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT * FROM t WHERE id = 42 AND name = 'O''Brien'`:             `SELECT * FROM t WHERE id = ? AND name = ?`,
		`SELECT * FROM t WHERE id IN (1, 2, 3)`:                           `SELECT * FROM t WHERE id IN (?)`,
		`UPDATE t2 SET a = $1 WHERE b = $2`:                               `UPDATE t2 SET a = ? WHERE b = ?`,
		`SELECT "t1"."col9" FROM "t1" LIMIT 21`:                           `SELECT "t1"."col9" FROM "t1" LIMIT ?`,
		`SELECT sum(x * (1 + s / 1000.0)) FROM generate_series(1, 300) s`: `SELECT sum(x * (? + s / ?)) FROM generate_series(?) s`,
	} {
		assert.Equal(t, want, Fingerprint(in), in)
	}
}

// FuzzFingerprint: any text fingerprints without a panic, and a
// fingerprint is its own.
func FuzzFingerprint(f *testing.F) {
	for _, s := range []string{"SELECT 1", "'unclosed", "$", "$1$2", "IN (1,2, 3)", "x'y''z'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fp := Fingerprint(s)
		assert.Equal(t, fp, Fingerprint(fp))
	})
}

// TestSlowHoldsNoStatusChain: with --slow, a fast request that states its
// duration is assembled too, but it ends with that report: a 500 beside it
// comes out when its window closes, not a minute later.
func TestSlowHoldsNoStatusChain(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Slow = 3 * time.Second
	var chains []Chain
	c := New(cfg, func(ch Chain) { chains = append(chains, ch) })
	fast := requestTook(1, "/accounts/login/", 1, 20*time.Millisecond, 200)
	c.Add(fast)
	c.Add(access(2, 2, 500))
	c.Advance(at(10))
	require.Len(t, chains, 1, "out once its window closed")
	assert.Equal(t, 500, chains[0].Status)
}

// TestSlowLockWaitsWithoutStatements: without statement lines, the lock
// waits inside a request count by the time they cover together, never
// more than the request took.
func TestSlowLockWaitsWithoutStatements(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Paths, cfg.Statuses, cfg.Slow = []string{"/audit/"}, nil, 3*time.Second
	chains, _ := correlateAll(cfg,
		lockAcquired(1, "41", 4.5, 3500*time.Millisecond),
		lockAcquired(2, "42", 4.6, 3500*time.Millisecond),
		lockAcquired(3, "43", 4.7, 3500*time.Millisecond),
		requestTook(1, "/audit/", 5, 4*time.Second, 200))
	require.Len(t, chains, 1)
	s := chains[0].Split
	assert.Equal(t, 3700*time.Millisecond, s.Lock, "1.0 s to 4.7 s, together")
	assert.Equal(t, s.Total, s.Pool+s.Statement+s.Lock+s.Other, "the parts add up")
	assert.Equal(t, "lock_wait", chains[0].Cause)
}
