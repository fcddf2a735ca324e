package correlate

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// BasisTime: a slow anchor's cause is the part of its time the logs
// account for that is largest (Split).
const BasisTime Basis = "time"

// The causes of slow requests, by where their time went. They are known by
// time, never by a line's text, so they have no needles.
var TimeCauses = []Cause{
	{
		ID: "pool_wait", Title: "Waiting for a pooled connection",
		Meaning: "the request spent most of its time waiting for a server connection from PgBouncer: more transactions were running than the pool has connections",
		Fix:     "enlarge default_pool_size/reserve_pool_size within PostgreSQL's max_connections, and shorten what holds a connection (slow statements, transactions held open across slow work)",
		Shows:   []string{"pgbouncer"},
	},
	{
		ID: "slow_statement", Title: "Slow statement",
		Meaning: "the request spent most of its time in its own SQL statement",
		Fix:     "EXPLAIN ANALYZE the statement (its fingerprint is in the chain's split): an index, a smaller result, precomputed aggregates, or caching the page",
		Shows:   []string{"postgresql"},
	},
	{
		ID: "lock_wait", Title: "Waiting for a lock",
		Meaning: "the request spent most of its time waiting for a row or table lock another transaction held (log_lock_waits)",
		Fix:     "shorten the transactions that hold the lock (no slow work between SELECT … FOR UPDATE and COMMIT), lock later, or avoid the shared row (a sequence instead of a counter row)",
		Shows:   []string{"postgresql"},
	},
}

// Split is where a slow request's time went, as far as the logs say.
type Split struct {
	Total time.Duration
	// Pool is the time not spent in logged statements or lock waits while
	// PgBouncer's stats show clients queued for a server connection: an
	// estimate (the logs state no single client's wait).
	Pool time.Duration
	// Statement is the time in the request's logged statements, less the
	// lock waits inside them.
	Statement time.Duration
	Lock      time.Duration
	// Other is what no log accounts for.
	Other time.Duration
	// Proxy is how much longer the proxy in front saw the request take
	// than the app did: it queued for a free worker (not part of Total).
	Proxy time.Duration
	// PoolQueue is how many clients waited for a server connection on
	// average over the request, by PgBouncer's stats (0: none seen).
	PoolQueue float64
	// Statements are the fingerprints of the statements counted, with
	// their time.
	Statements []StatementTime
}

// StatementTime is one statement's fingerprint and how long it ran.
type StatementTime struct {
	Fingerprint string
	Took        time.Duration
}

// String says the split in words: "10.9 s: ~8.7 s waiting for a server
// connection, 1.2 s in its statements, 0 s on locks".
func (s *Split) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", Seconds(s.Total))
	if s.Pool > 0 {
		fmt.Fprintf(&b, "~%s waiting for a server connection, ", Seconds(s.Pool))
	}
	fmt.Fprintf(&b, "%s in its statements, %s on locks", Seconds(s.Statement), Seconds(s.Lock))
	if s.Other > 0 {
		fmt.Fprintf(&b, ", %s that no log accounts for", Seconds(s.Other))
	}
	if s.Proxy >= 100*time.Millisecond {
		fmt.Fprintf(&b, "; the proxy waited %s more for a free worker", Seconds(s.Proxy))
	}
	return b.String()
}

// Seconds writes a duration as people read a request's time: "10.9 s",
// "0.25 s".
func Seconds(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s == 0:
		return "0 s"
	case s < 1:
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + " s"
}

// timed is a database or pool line that says how long something took,
// kept while a slow request's interval can reach back to it.
type timed struct {
	ev      parser.Event
	from    time.Time
	claimed bool
	// fingerprint is a statement's (Fingerprint); voted says its path was
	// counted (vote).
	fingerprint string
	voted       bool
}

// span is a request on an anchored path whose duration a log states, fast
// or slow: which path's requests a statement ran in is learnt from them.
type span struct {
	path     string
	from, to time.Time
}

// isTimed reports whether an event states how long something in the
// database or the pool took.
func isTimed(ev *parser.Event) bool {
	switch ev.Tag {
	case parser.TagStatement, parser.TagLockWait, parser.TagLockAcquired, parser.TagCheckpoint, parser.TagAutovacuum:
		return ev.Kind == parser.KindPostgres && ev.Duration > 0
	case parser.TagStats:
		return ev.Kind == parser.KindPgBouncer
	}
	return false
}

// slimTimed is what a timed line is kept as, for up to LateHorizon: what
// its link shows and the split reads, copied, since an event's strings
// share memory with a block of its file (source.LineReader).
func slimTimed(ev *parser.Event) parser.Event {
	out := parser.Event{Source: strings.Clone(ev.Source), Gen: ev.Gen, Line: ev.Line, EndLine: ev.EndLine, Time: ev.Time,
		Precision: ev.Precision, Kind: ev.Kind, Level: ev.Level, Text: strings.Clone(ev.Text), Tag: ev.Tag,
		Reason: strings.Clone(ev.Reason), Duration: ev.Duration}
	for _, k := range []string{"pid", "lock_holder", "wait_us", "xacts/s"} {
		if v := ev.Field(k); v != "" {
			out.Fields.Set(k, strings.Clone(v))
		}
	}
	return out
}

// addTimed keeps a timed line in order of its end. A PgBouncer stats line
// covers the period since the last one of its log.
func (c *Correlator) addTimed(ev *parser.Event) {
	t := &timed{ev: slimTimed(ev), from: ev.Began()}
	if ev.Tag == parser.TagStatement {
		t.fingerprint = Fingerprint(ev.Reason)
		c.sawStatements = true
	}
	if ev.Tag == parser.TagStats {
		period := defaultStatsPeriod
		if last, ok := c.lastStats[ev.Source]; ok && ev.Time.After(last) && ev.Time.Sub(last) <= maxStatsPeriod {
			period = ev.Time.Sub(last)
		}
		c.lastStats[ev.Source] = ev.Time
		c.statsPeriod = max(c.statsPeriod, period)
		t.from = ev.Time.Add(-period)
	}
	n := len(c.timed)
	i := n
	for i > 0 && c.timed[i-1].ev.Time.After(ev.Time) {
		i--
	}
	c.timed = append(c.timed, nil)
	copy(c.timed[i+1:], c.timed[i:])
	c.timed[i] = t
}

const (
	// defaultStatsPeriod is PgBouncer's stats_period unless set.
	defaultStatsPeriod = 60 * time.Second
	// maxStatsPeriod: two stats lines further apart than this are not
	// one period (PgBouncer was restarted, or a log is missing).
	maxStatsPeriod = 10 * time.Minute
	// timeSlop is how far a statement may seem to lie outside its
	// request's interval: the app's and the database's clocks, and where
	// each starts its stopwatch.
	timeSlop = 250 * time.Millisecond
	// endSlop is how far after its request's end a statement may seem to
	// end: less than timeSlop, since a request ends after its last
	// statement, whose end the next request's statement can lie close to.
	endSlop = 100 * time.Millisecond
	// queuedEnough is how many clients must wait for a connection on
	// average over a request for the time its statements do not account
	// for to count as waiting for the pool.
	queuedEnough = 1.0
)

// addSpan keeps a request of an anchored path that states its duration.
func (c *Correlator) addSpan(ev *parser.Event) {
	s := span{from: ev.Began(), to: ev.Time}
	i := len(c.spans)
	for i > 0 && c.spans[i-1].to.After(s.to) {
		i--
	}
	s.path = c.intern(ev.Path)
	c.spans = append(c.spans, span{})
	copy(c.spans[i+1:], c.spans[i:])
	c.spans[i] = s
}

// vote counts, for a statement that lies inside requests of one anchored
// path only, that its fingerprint runs in that path's requests. Requests
// of several paths run at once, and a slow one's interval holds other
// paths' statements too; the votes keep those out.
func (c *Correlator) vote(t *timed) {
	if t.voted {
		return
	}
	path := ""
	from := sort.Search(len(c.spans), func(i int) bool { return !c.spans[i].to.Before(t.ev.Time.Add(-timeSlop)) })
	for _, s := range c.spans[from:] {
		if s.from.After(t.from.Add(timeSlop)) {
			continue
		}
		if s.to.After(t.ev.Time.Add(LateHorizon)) {
			break
		}
		if path != "" && s.path != path {
			t.voted = true
			return
		}
		path = s.path
	}
	if path == "" {
		return
	}
	t.voted = true
	byPath := c.votes[t.fingerprint]
	if byPath == nil {
		byPath = map[string]int{}
		c.votes[strings.Clone(t.fingerprint)] = byPath
	}
	byPath[path]++
}

// claimVote counts that a request of path claimed a statement: the
// statements a path's requests claim, fast ones above all, say which
// fingerprints run in it.
func (c *Correlator) claimVote(t *timed, path string) {
	byPath := c.votes[t.fingerprint]
	if byPath == nil {
		byPath = map[string]int{}
		c.votes[strings.Clone(t.fingerprint)] = byPath
	}
	byPath[c.intern(path)]++
}

// elsewhere reports whether a statement's fingerprint runs, by the votes,
// in another path's requests rather than in path's.
func (c *Correlator) elsewhere(t *timed, path string) bool {
	byPath := c.votes[t.fingerprint]
	mine := byPath[path]
	for p, n := range byPath {
		if p != path && n >= 2 && n >= 2*mine+1 {
			return true
		}
	}
	return false
}

// slowOnly reports whether a request is an anchor for its time alone.
func (c *Correlator) slowOnly(g *group) bool {
	if c.cfg.Slow <= 0 || c.failed(g) {
		return false
	}
	_, took, _ := g.took()
	return c.cfg.isSlow(took)
}

// isAnchor reports whether a request assembled is an anchor: with Slow,
// requests that state their duration are assembled whatever their status,
// and only the slow ones are anchors.
func (c *Correlator) isAnchor(g *group) bool {
	return c.failed(g) || c.slowOnly(g)
}

// failed reports whether a request is an anchor for how it ended: its
// status, or killed before it had one.
func (c *Correlator) failed(g *group) bool {
	return c.cfg.WantsStatus(g.status) || g.killed && c.cfg.wantsKilled()
}

// took is when a request began and how long it took by the app's own
// reports (a proxy's when no app report states it), and how much longer
// the proxy saw it take: the time it waited for a free worker.
func (g *group) took() (began time.Time, took, proxy time.Duration) {
	var appFrom, appTo, proxyFrom, proxyTo time.Time
	var appPrec, proxyPrec time.Duration
	for i := range g.reports {
		r := &g.reports[i]
		if r.Duration <= 0 {
			continue
		}
		from, to, prec := &appFrom, &appTo, &appPrec
		if r.Proxy {
			from, to, prec = &proxyFrom, &proxyTo, &proxyPrec
		}
		// The finest-dated report gives the interval: uWSGI dates a
		// request's start to the second, a logging record to the
		// millisecond.
		if from.IsZero() || r.Precision < *prec || r.Precision == *prec && r.Began().Before(*from) {
			*from, *to, *prec = r.Began(), r.Time, r.Precision
		}
	}
	switch {
	case !appFrom.IsZero():
		took = appTo.Sub(appFrom)
		if !proxyFrom.IsZero() {
			proxy = max(0, proxyTo.Sub(proxyFrom)-took)
		}
		return appFrom, took, proxy
	case !proxyFrom.IsZero():
		return proxyFrom, proxyTo.Sub(proxyFrom), 0
	}
	return time.Time{}, 0, 0
}

// after is how long past its anchor a request's chain waits: a slow one
// waits for the PgBouncer stats line that covers its end.
func (c *Correlator) after(g *group) time.Duration {
	if c.cfg.Slow > 0 && c.slowOnly(g) {
		period := c.statsPeriod
		if len(c.lastStats) == 0 {
			// No stats line yet: PgBouncer's default period, so that the
			// first one covers the requests before it.
			period = defaultStatsPeriod
		}
		return c.cfg.After + period
	}
	return c.cfg.After
}

// claimedStatement is a statement a request claimed, with the lock waits
// of its process inside it.
type claimedStatement struct {
	stmt  *timed
	waits []*timed
	lock  time.Duration
}

// claimTimed claims for a request of path that ran from..to the statements
// inside its interval (latest first, each ending before the next began: a
// request runs its statements one after another, on one connection) with
// their lock waits; and, when PostgreSQL logs no statement lines, the
// lock waits inside it. Every request that states its duration on an
// anchored path claims, slow or not, in the order they end, so that a fast
// request's statement is not given to a slow one that ran beside it.
func (c *Correlator) claimTimed(path string, from, to time.Time) (window []*timed, stmts []claimedStatement, loose []*timed) {
	lo, hi := from.Add(-timeSlop), to.Add(endSlop)
	inside := func(t *timed) bool { return !t.from.Before(lo) && !t.ev.Time.After(hi) }
	at := sort.Search(len(c.timed), func(i int) bool { return !c.timed[i].ev.Time.Before(lo) })
	for _, t := range c.timed[at:] {
		if t.ev.Time.After(hi.Add(maxStatsPeriod)) {
			break
		}
		window = append(window, t)
	}
	for _, t := range c.timed[sort.Search(len(c.timed), func(i int) bool { return !c.timed[i].ev.Time.Before(lo.Add(-c.cfg.Before)) }):] {
		if t.ev.Time.After(hi) {
			break
		}
		if t.ev.Tag == parser.TagStatement {
			c.vote(t)
		}
	}
	next := hi
	for i := len(window) - 1; i >= 0; i-- {
		t := window[i]
		if t.claimed || t.ev.Tag != parser.TagStatement || !inside(t) || t.ev.Time.After(next) || c.elsewhere(t, path) {
			continue
		}
		if released := lockReleasedAt(window, t); !released.IsZero() && !to.Before(released) && to.Sub(released) <= releaseSlop {
			// Its lock wait ended as this request ended: this request
			// held the lock (it committed), and the statement is
			// another's that waited for it.
			continue
		}
		t.claimed = true
		stmts = append(stmts, claimedStatement{stmt: t})
		c.claimVote(t, path)
		next = t.from.Add(time.Millisecond)
	}
	slices.Reverse(stmts)
	lockIn := func(pid string, lo, hi time.Time) (time.Duration, []*timed) {
		var longest time.Duration
		var got []*timed
		for _, t := range window {
			if t.claimed || (t.ev.Tag != parser.TagLockWait && t.ev.Tag != parser.TagLockAcquired) ||
				t.ev.Time.Before(lo) || t.ev.Time.After(hi) || pid != "" && t.ev.Field("pid") != pid {
				continue
			}
			t.claimed = true
			got = append(got, t)
			longest = max(longest, t.ev.Duration)
		}
		return longest, got
	}
	for i := range stmts {
		s := stmts[i].stmt
		stmts[i].lock, stmts[i].waits = lockIn(s.ev.Field("pid"), s.from.Add(-5*time.Millisecond), s.ev.Time.Add(5*time.Millisecond))
	}
	// Without statement lines (log_min_duration_statement off) a lock wait
	// counts by itself; with them, it counts with its statement.
	if !c.sawStatements {
		for _, w := range window {
			if !w.claimed && (w.ev.Tag == parser.TagLockWait || w.ev.Tag == parser.TagLockAcquired) && inside(w) {
				_, waits := lockIn(w.ev.Field("pid"), w.from.Add(-5*time.Millisecond), hi)
				loose = append(loose, waits...)
			}
		}
	}
	return window, stmts, loose
}

// explainTime builds a slow anchor's chain: the statements and lock waits
// it claims, the pool's queue over its interval, and what ran beside it
// (checkpoints, autovacuum).
func (c *Correlator) explainTime(ch *Chain) {
	from, to := ch.Began, ch.Began.Add(ch.Duration)
	split := &Split{Total: ch.Duration, Proxy: ch.proxy}
	link := func(t *timed, why string) {
		ch.Evidence = append(ch.Evidence, Link{Event: t.ev, Offset: t.ev.Time.Sub(ch.Time), Role: RoleCause, Why: why})
	}
	window, stmts, loose := c.claimTimed(ch.Path, from, to)
	for _, cs := range stmts {
		s := cs.stmt
		// Counted as far as it lies inside the request's interval: the
		// two clocks differ by a little (timeSlop), and the parts must
		// add up to the whole.
		inStmt := within(s.from, s.ev.Time, from, to)
		lock := min(cs.lock, inStmt)
		split.Statement += inStmt - lock
		split.Lock += lock
		split.Statements = append(split.Statements, StatementTime{Fingerprint: s.fingerprint, Took: s.ev.Duration})
		why := fmt.Sprintf("PostgreSQL: a statement of %s inside this request's time", Seconds(s.ev.Duration))
		if lock > 0 {
			why += fmt.Sprintf(", %s of it waiting for a lock", Seconds(lock))
		}
		link(s, why)
		for _, w := range cs.waits {
			link(w, lockWhy(&w.ev))
		}
	}
	// Waits overlap (a process's "still waiting" and "acquired" lines are
	// one wait; other processes wait at the same time): their union is
	// the time the request can have spent on locks.
	var spans [][2]time.Time
	for _, w := range loose {
		a, b := w.from, w.ev.Time
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.After(a) {
			spans = append(spans, [2]time.Time{a, b})
		}
		link(w, lockWhy(&w.ev))
	}
	split.Lock += union(spans)
	split.Lock = min(split.Lock, max(0, split.Total-split.Statement))

	// The pool's queue over the interval, by PgBouncer's stats periods.
	var queued, covered float64
	for _, t := range window {
		if t.ev.Tag != parser.TagStats || !t.ev.Time.After(from) || !t.from.Before(to) {
			continue
		}
		wait, err := strconv.ParseFloat(t.ev.Field("wait_us"), 64)
		if err != nil {
			continue
		}
		overlap := (min(t.ev.Time.UnixNano(), to.UnixNano()) - max(t.from.UnixNano(), from.UnixNano()))
		waiting := wait / 1e6
		queued += waiting * float64(overlap)
		covered += float64(overlap)
		why := fmt.Sprintf("PgBouncer: %.1f clients waiting for a server connection on average over the %s to this line", waiting, Seconds(t.ev.Time.Sub(t.from)))
		if xacts, err := strconv.ParseFloat(t.ev.Field("xacts/s"), 64); err == nil && xacts > 0 && waiting > 0 {
			why += fmt.Sprintf(" (%s per transaction)", Seconds(time.Duration(waiting/xacts*float64(time.Second))))
		}
		link(t, why)
	}
	if covered > 0 {
		split.PoolQueue = queued / covered
	}
	rest := max(0, split.Total-split.Statement-split.Lock)
	if split.PoolQueue >= queuedEnough {
		split.Pool = rest
	} else {
		split.Other = rest
	}

	// What ran beside it: shown, not counted.
	for _, t := range window {
		if (t.ev.Tag != parser.TagCheckpoint && t.ev.Tag != parser.TagAutovacuum) || !t.ev.Time.After(from) || !t.from.Before(to) {
			continue
		}
		what := "a checkpoint"
		if t.ev.Tag == parser.TagAutovacuum {
			what = "autovacuum"
		}
		link(t, fmt.Sprintf("PostgreSQL: %s ran for %s during this request", what, Seconds(t.ev.Duration)))
	}

	ch.Split = split
	parts := []struct {
		id   string
		took time.Duration
	}{{"pool_wait", split.Pool}, {"slow_statement", split.Statement}, {"lock_wait", split.Lock}, {Unknown, split.Other}}
	best := parts[0]
	for _, p := range parts[1:] {
		if p.took > best.took {
			best = p
		}
	}
	if best.id == Unknown || best.took == 0 {
		ch.Cause, ch.Basis = Unknown, BasisNone
		return
	}
	ch.Cause, ch.Hypothesis, ch.Basis = best.id, best.id, BasisTime
}

// releaseSlop is how long after a commit released a lock its request's
// end is logged (the response is rendered and sent).
const releaseSlop = 100 * time.Millisecond

// lockReleasedAt is when the statement's lock wait ended, if it waited.
func lockReleasedAt(window []*timed, stmt *timed) time.Time {
	pid := stmt.ev.Field("pid")
	for _, w := range window {
		if w.ev.Tag == parser.TagLockAcquired && w.ev.Field("pid") == pid &&
			!w.ev.Time.Before(stmt.from) && !w.ev.Time.After(stmt.ev.Time.Add(5*time.Millisecond)) {
			return w.ev.Time
		}
	}
	return time.Time{}
}

// union is the time the intervals cover together.
func union(spans [][2]time.Time) time.Duration {
	sort.Slice(spans, func(i, j int) bool { return spans[i][0].Before(spans[j][0]) })
	var total time.Duration
	var end time.Time
	for _, s := range spans {
		if s[0].After(end) {
			total += s[1].Sub(s[0])
			end = s[1]
		} else if s[1].After(end) {
			total += s[1].Sub(end)
			end = s[1]
		}
	}
	return total
}

// within is how much of [a, b] lies inside [from, to].
func within(a, b, from, to time.Time) time.Duration {
	if a.Before(from) {
		a = from
	}
	if b.After(to) {
		b = to
	}
	return max(0, b.Sub(a))
}

func lockWhy(ev *parser.Event) string {
	verb := "waited"
	if ev.Tag == parser.TagLockWait {
		verb = "was still waiting"
	}
	why := fmt.Sprintf("PostgreSQL: process %s %s %s for %s", ev.Field("pid"), verb, Seconds(ev.Duration), ev.Reason)
	if h := ev.Field("lock_holder"); h != "" {
		why += ", held by process " + h
	}
	return why
}

// Fingerprint is a statement with its literals replaced by ?, so that
// runs of one query with different values count as one: numbers, quoted
// strings, $1 parameters; IN lists of them become IN (?).
func Fingerprint(stmt string) string {
	var b strings.Builder
	b.Grow(len(stmt))
	prev := byte(' ')
	for i := 0; i < len(stmt); i++ {
		ch := stmt[i]
		switch {
		case ch == '\'':
			j := i + 1
			for j < len(stmt) {
				if stmt[j] == '\'' {
					if j+1 < len(stmt) && stmt[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			b.WriteByte('?')
			i = j
			prev = '?'
			continue
		case ch == '$' && i+1 < len(stmt) && isDigit(stmt[i+1]) && !isWord(prev):
			for i+1 < len(stmt) && isDigit(stmt[i+1]) {
				i++
			}
			b.WriteByte('?')
			prev = '?'
			continue
		case isDigit(ch) && !isWord(prev):
			for i+1 < len(stmt) && (isDigit(stmt[i+1]) || stmt[i+1] == '.') {
				i++
			}
			b.WriteByte('?')
			prev = '?'
			continue
		}
		b.WriteByte(ch)
		prev = ch
	}
	return collapseLists(b.String())
}

// collapseLists turns "(?, ?, ?)" into "(?)".
func collapseLists(s string) string {
	for {
		r := strings.ReplaceAll(s, "?, ?", "?")
		r = strings.ReplaceAll(r, "?,?", "?")
		if r == s {
			return s
		}
		s = r
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWord(c byte) bool {
	return c == '_' || c == '"' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c)
}
