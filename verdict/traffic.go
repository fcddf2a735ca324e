package verdict

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
)

// Route is a method, path and status.
type Route struct {
	Method, Path string
	Status       int
}

// recordKey counts django.request-style records per log, since runserver
// and a logging file both write each one. Method is empty where the record
// names none (Django's); a proxy's error lines name theirs.
type recordKey struct {
	File, Method, Path string
	Status             int
	Exc                string
	Proxy              bool
}

// PoolSample is one PgBouncer stats line: how long clients waited for a
// server connection, on average, in the last period.
type PoolSample struct {
	Time   time.Time
	Wait   time.Duration
	Xact   time.Duration
	Xacts  int // transactions a second
	Source string
	Line   int
}

// Traffic counts what the server logged, as events go by: responses per
// route, error records per path, responses per second on the anchor
// paths, and PgBouncer's pool waits. Its memory grows with the routes and
// the seconds of the run, not with the lines.
type Traffic struct {
	paths  map[string]bool
	access map[Route]int
	// proxied are a reverse proxy's access lines, counted apart: they
	// report the requests the app's access lines do.
	proxied    map[Route]int
	perSecPrx  perMethod
	records    map[recordKey]int
	perSecAcc  perMethod // responses on the anchor paths a second, by method, from access lines
	perSecResp perMethod // the same from other response lines (auth logs)
	pool       []PoolSample
	signs      map[string]*Seconds // lines showing each cause, per second
	routes     *keeper[Route]
	recordKeys *keeper[recordKey]
}

// NewTraffic counts traffic; paths are the anchor paths.
func NewTraffic(paths []string) *Traffic {
	t := &Traffic{paths: map[string]bool{}, access: map[Route]int{}, proxied: map[Route]int{}, perSecPrx: perMethod{}, records: map[recordKey]int{},
		perSecAcc: perMethod{}, perSecResp: perMethod{}, signs: map[string]*Seconds{},
		routes: newKeeper(Route.kept), recordKeys: newKeeper(recordKey.kept)}
	for _, p := range paths {
		t.paths[p] = true
	}
	return t
}

// Event counts one event; cause is the cause it shows, as the correlator
// found it (Correlator.Add), or nil.
func (t *Traffic) Event(ev *parser.Event, cause *correlate.Cause) {
	if c := cause; c != nil && !(ev.IsResponse() && t.paths[ev.Path]) {
		if t.signs[c.ID] == nil {
			t.signs[c.ID] = &Seconds{}
		}
		t.signs[c.ID].Add(ev.Time.Unix(), 1)
	}
	switch {
	case ev.Kind == parser.KindAccess && ev.IsResponse() && ev.Proxy:
		r := t.routes.of(Route{ev.Method, ev.Path, ev.Status})
		t.proxied[r]++
		if t.paths[ev.Path] {
			t.perSecPrx.add(r.Method, ev.Time.Unix())
		}
	case ev.Kind == parser.KindAccess && ev.IsResponse():
		r := t.routes.of(Route{ev.Method, ev.Path, ev.Status})
		t.access[r]++
		if t.paths[ev.Path] {
			t.perSecAcc.add(r.Method, ev.Time.Unix())
		}
	case ev.Kind == parser.KindRequestLog:
		exc := ""
		if ev.Exc != nil {
			exc = ev.Exc.Class
		}
		t.records[t.recordKeys.of(recordKey{ev.Source, ev.Method, ev.Path, ev.Status, exc, ev.Proxy})]++
	case ev.IsResponse():
		if t.paths[ev.Path] {
			r := t.routes.of(Route{ev.Method, ev.Path, ev.Status})
			t.perSecResp.add(r.Method, ev.Time.Unix())
		}
	case ev.Kind == parser.KindPgBouncer && ev.Tag == parser.TagStats:
		wait, err1 := strconv.ParseInt(ev.Field("wait_us"), 10, 64)
		xact, _ := strconv.ParseInt(ev.Field("xact_us"), 10, 64)
		xacts, _ := strconv.Atoi(ev.Field("xacts/s"))
		if err1 == nil {
			t.pool = append(t.pool, PoolSample{Time: ev.Time, Wait: time.Duration(wait) * time.Microsecond,
				Xact: time.Duration(xact) * time.Microsecond, Xacts: xacts, Source: ev.Source, Line: ev.Line})
		}
	}
}

// Access returns the access-line responses of a route, by status: the
// app's access lines, or a proxy's when no app server's were read.
func (t *Traffic) Access(method, path string) map[int]int {
	lines := t.access
	if len(lines) == 0 {
		lines = t.proxied
	}
	return routeStatuses(lines, method, path)
}

// ClientSide returns the responses a load test's client got on a route,
// by status, and which log says so: a reverse proxy's access lines when
// one was read for the path (the client talked to it, and it answers for
// the app a 502 or 504 the app's log never shows), with the requests the
// app server killed (status 0: no response); else the app's access lines.
func (t *Traffic) ClientSide(method, path string) (byStatus map[int]int, proxy bool) {
	byStatus = routeStatuses(t.proxied, method, path)
	if len(byStatus) == 0 {
		return t.Access(method, path), false
	}
	if killed := routeStatuses(t.access, method, path)[0]; killed > 0 {
		byStatus[0] = killed
	}
	return byStatus, true
}

// routeStatuses counts a route's lines by status; method "" is any, and
// methods compare without case, as the anchors' do.
func routeStatuses(lines map[Route]int, method, path string) map[int]int {
	out := map[int]int{}
	for r, n := range lines {
		if r.Path == path && (method == "" || strings.EqualFold(r.Method, method)) {
			out[r.Status] += n
		}
	}
	return out
}

// Records returns the error records of a request and status by exception
// class, from the log that has most of them, and whether that log is a
// proxy's. A record that names no method counts for every method.
func (t *Traffic) Records(method, path string, status int) (byExc map[string]int, proxy bool) {
	type fileRecords struct {
		byExc map[string]int
		n     int
		proxy bool
	}
	byFile := map[string]*fileRecords{}
	for k, n := range t.records {
		if k.Path != path || k.Status != status || (k.Method != "" && !strings.EqualFold(k.Method, method)) {
			continue
		}
		f := byFile[k.File]
		if f == nil {
			f = &fileRecords{byExc: map[string]int{}}
			byFile[k.File] = f
		}
		f.byExc[k.Exc] += n
		f.n += n
		f.proxy = f.proxy || k.Proxy
	}
	var best *fileRecords
	for _, file := range slices.Sorted(maps.Keys(byFile)) {
		if f := byFile[file]; best == nil || f.n > best.n {
			best = f
		}
	}
	if best == nil {
		return nil, false
	}
	return best.byExc, best.proxy
}

// perMethod counts responses per second by method: a rate of failed logins
// is per login POST, not per GET of the login form. Its methods are the
// keeper's copies (Route.kept).
type perMethod map[string]*Seconds

func (p perMethod) add(method string, sec int64) {
	s := p[method]
	if s == nil {
		s = &Seconds{}
		p[method] = s
	}
	s.Add(sec, 1)
}

// ResponsesPerSecond returns the responses on the anchor paths each second,
// of the given methods (all when none, or when a response names none),
// from access lines if there were any, else from other response lines.
func (t *Traffic) ResponsesPerSecond(methods []string) *Seconds {
	from := t.perSecResp
	switch {
	case len(t.perSecAcc) > 0:
		from = t.perSecAcc
	case len(t.perSecPrx) > 0:
		from = t.perSecPrx
	}
	out := &Seconds{}
	for method, per := range from {
		if len(methods) == 0 || method == "" || contains(methods, method) {
			for sec, n := range per.All() {
				out.Add(sec, n)
			}
		}
	}
	return out
}

// SignsPerSecond returns, per cause, the lines showing it each second
// (anchors' own records left out).
func (t *Traffic) SignsPerSecond() map[string]*Seconds { return t.signs }

// keeper hands out one copy of each key, made the first time it is seen.
// An event's strings are pieces of a whole block of the input
// (source.LineReader), and a map keeps the key of each assignment (Go
// stores it again), so a piece used as a key would hold its block for the
// run: keys are always the keeper's copies.
type keeper[K comparable] struct {
	copies map[K]K
	copy   func(K) K
}

func newKeeper[K comparable](copy func(K) K) *keeper[K] {
	return &keeper[K]{copies: map[K]K{}, copy: copy}
}

func (k *keeper[K]) of(key K) K {
	if c, ok := k.copies[key]; ok {
		return c
	}
	c := k.copy(key)
	k.copies[c] = c
	return c
}

func (r Route) kept() Route {
	r.Method, r.Path = strings.Clone(r.Method), strings.Clone(r.Path)
	return r
}

func (k recordKey) kept() recordKey {
	k.File, k.Method, k.Path, k.Exc = strings.Clone(k.File), strings.Clone(k.Method), strings.Clone(k.Path), strings.Clone(k.Exc)
	return k
}

// StatusCount is how many responses had a status, and whether a reverse
// proxy's access lines counted them.
type StatusCount struct {
	Status int
	Count  int
	Proxy  bool
}

// Unanchored are the server errors (5xx) the client got on the anchored
// paths whose status makes no anchor (--status 500 leaves nginx's 502s and
// 504s out), by status, as ClientSide counts them: they failed too, and a
// verdict that leaves them out must say so. Those that made anchors all
// the same (slow with --slow; a killed request's 502) are not counted.
// Only the anchored methods' count, when --method named some.
func (t *Traffic) Unanchored(wanted func(status int) bool, paths, methods []string, anchors map[Route]AnchorCount) []StatusCount {
	if len(methods) == 0 {
		methods = []string{""}
	}
	byStatus := map[int]StatusCount{}
	for _, path := range paths {
		for _, method := range methods {
			seen, proxy := t.ClientSide(method, path)
			for st, n := range seen {
				if st >= 500 && st < 600 && !wanted(st) {
					byStatus[st] = StatusCount{Status: st, Count: byStatus[st].Count + n, Proxy: byStatus[st].Proxy || proxy}
				}
			}
		}
	}
	for r, a := range anchors {
		sc, ok := byStatus[r.Status]
		if !ok || !slices.Contains(paths, r.Path) || !slices.ContainsFunc(methods, func(m string) bool { return m == "" || strings.EqualFold(m, r.Method) }) {
			continue
		}
		sc.Count -= a.Total
		byStatus[r.Status] = sc
	}
	out := make([]StatusCount, 0, len(byStatus))
	for _, sc := range byStatus {
		if sc.Count > 0 {
			out = append(out, sc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Status < out[j].Status })
	return out
}

// PathCount is how many responses a path had.
type PathCount struct {
	Path  string
	Count int
}

// Elsewhere says, for a run with no anchor, what was there instead: the
// paths whose access lines had a status that would have made anchors, most
// first (at most three), and for each anchored path the path with access
// lines nearest it in spelling ("/accounts/login" for "/accounts/login/").
func (t *Traffic) Elsewhere(wanted func(status int) bool, paths []string) (matching []PathCount, nearest map[string]string) {
	lines := t.access
	if len(lines) == 0 {
		lines = t.proxied
	}
	byPath := map[string]int{}
	seen := map[string]bool{}
	for r, n := range lines {
		seen[r.Path] = true
		if wanted(r.Status) && !t.paths[r.Path] {
			byPath[r.Path] += n
		}
	}
	for p, n := range byPath {
		matching = append(matching, PathCount{p, n})
	}
	sort.Slice(matching, func(i, j int) bool {
		if matching[i].Count != matching[j].Count {
			return matching[i].Count > matching[j].Count
		}
		return matching[i].Path < matching[j].Path
	})
	if len(matching) > 3 {
		matching = matching[:3]
	}
	for _, want := range paths {
		if seen[want] {
			continue
		}
		best, bestD := "", 0
		for p := range seen {
			if d := editDistance(strings.ToLower(want), strings.ToLower(p)); best == "" || d < bestD || d == bestD && p < best {
				best, bestD = p, d
			}
		}
		// Only a near miss is worth naming: a slash, a letter's case, a
		// typo or two.
		if best != "" && bestD <= max(2, len(want)/8) {
			if nearest == nil {
				nearest = map[string]string{}
			}
			nearest[want] = best
		}
	}
	return matching, nearest
}

// editDistance is the Levenshtein distance between two strings' bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
