package verdict

import (
	"sort"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
)

// Latency collects, per anchored path, how long its requests took (from the
// log that states most of their durations) and where the slow anchors'
// time went. It keeps one number per request of those paths.
type Latency struct {
	paths map[string]bool
	// took holds durations by path and log; a request two logs state (the
	// app's requests log, a proxy's access log) is counted once, from the
	// log that states most.
	took map[latencyKey][]time.Duration
	slow map[string]*slowTally
	keep *keeper[string]
}

type latencyKey struct {
	path, file string
	proxy      bool
}

type slowTally struct {
	n, proxyTimed                int
	pool, statement, lock, other time.Duration
	statements                   map[string]*StatementTotal
}

// StatementTotal is the time one statement fingerprint took in a path's
// slow anchors.
type StatementTotal struct {
	Fingerprint string
	Count       int
	Took        time.Duration
}

// PathLatency is one anchored path's latency summary.
type PathLatency struct {
	Path string
	// Source is the log the durations are from.
	Source        string
	Requests      int
	P50, P95, Max time.Duration
	Slow          int
	// ProxyTimed counts the slow anchors only a proxy states a duration
	// of: no report of the app's joined them (it never answered them, or
	// answered with another status after the proxy had given up).
	ProxyTimed            int
	Pool, Statement, Lock time.Duration
	Other                 time.Duration
	// Statements are the fingerprints that took the most time in its slow
	// anchors, most first (at most five).
	Statements []StatementTotal
}

// NewLatency starts a latency summary for the anchored paths.
func NewLatency(paths []string) *Latency {
	l := &Latency{paths: map[string]bool{}, took: map[latencyKey][]time.Duration{}, slow: map[string]*slowTally{}, keep: newKeeper(strings.Clone)}
	for _, p := range paths {
		l.paths[p] = true
	}
	return l
}

// Event counts a response that states its duration.
func (l *Latency) Event(ev *parser.Event) {
	if ev.Duration <= 0 || !ev.IsResponse() || !l.paths[ev.Path] {
		return
	}
	log, _ := parser.RotatedFrom(ev.Source)
	k := latencyKey{l.keep.of(ev.Path), l.keep.of(log), ev.Proxy}
	l.took[k] = append(l.took[k], ev.Duration)
}

// Chain counts a slow anchor's split.
func (l *Latency) Chain(ch *correlate.Chain) {
	if ch.Split == nil {
		return
	}
	path := l.keep.of(ch.Path)
	t := l.slow[path]
	if t == nil {
		t = &slowTally{statements: map[string]*StatementTotal{}}
		l.slow[path] = t
	}
	s := ch.Split
	t.n++
	if !appTimed(ch) {
		t.proxyTimed++
	}
	t.pool += s.Pool
	t.statement += s.Statement
	t.lock += s.Lock
	t.other += s.Other
	for _, st := range s.Statements {
		fp := l.keep.of(st.Fingerprint)
		x := t.statements[fp]
		if x == nil {
			x = &StatementTotal{Fingerprint: fp}
			t.statements[fp] = x
		}
		x.Count++
		x.Took += st.Took
	}
}

// appTimed: some report of the chain's request not a proxy's states how
// long it took.
func appTimed(ch *correlate.Chain) bool {
	if !ch.Anchor.Proxy && ch.Anchor.Duration > 0 {
		return true
	}
	for _, l := range ch.Evidence {
		if l.Role == correlate.RoleRequest && !l.Event.Proxy && l.Event.Duration > 0 {
			return true
		}
	}
	return false
}

// Paths returns the summary of each anchored path that has durations or
// slow anchors, in the order the paths were given.
func (l *Latency) Paths(order []string) []PathLatency {
	var out []PathLatency
	for _, path := range order {
		var best latencyKey
		var durs []time.Duration
		for k, d := range l.took {
			// The app's own log first, then the one with most.
			if k.path != path {
				continue
			}
			better := durs == nil || best.proxy && !k.proxy || best.proxy == k.proxy && (len(d) > len(durs) || len(d) == len(durs) && k.file < best.file)
			if better {
				best, durs = k, d
			}
		}
		t := l.slow[path]
		if durs == nil && t == nil {
			continue
		}
		p := PathLatency{Path: path, Source: best.file, Requests: len(durs)}
		if len(durs) > 0 {
			sorted := append([]time.Duration(nil), durs...)
			sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
			p.P50, p.P95, p.Max = percentile(sorted, 50), percentile(sorted, 95), sorted[len(sorted)-1]
		}
		if t != nil {
			p.Slow, p.ProxyTimed, p.Pool, p.Statement, p.Lock, p.Other = t.n, t.proxyTimed, t.pool, t.statement, t.lock, t.other
			for _, st := range t.statements {
				p.Statements = append(p.Statements, *st)
			}
			sort.Slice(p.Statements, func(i, j int) bool {
				a, b := p.Statements[i], p.Statements[j]
				if a.Took != b.Took {
					return a.Took > b.Took
				}
				return a.Fingerprint < b.Fingerprint
			})
			if len(p.Statements) > 5 {
				p.Statements = p.Statements[:5]
			}
		}
		out = append(out, p)
	}
	return out
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, pct int) time.Duration {
	rank := (len(sorted)*pct + 99) / 100
	return sorted[max(rank, 1)-1]
}
