package verdict

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logcorr/logcorr/locust"
)

// Finding kinds of the client check.
const (
	Undercount = "UNDERCOUNT" // the client counted fewer than the server logged
	Overcount  = "OVERCOUNT"  // the client counted more, or counted them elsewhere
	Agree      = "AGREE"
)

// Finding is one comparison between the load test's client and the server.
type Finding struct {
	Kind   string
	What   string
	Client int
	Server int
	Why    string
}

// ClientCheck sets what Locust recorded under one request name against
// what the server logged for it.
type ClientCheck struct {
	Method, Path   string
	Requests       int         // Locust's count
	Failures       int         // Locust's count
	ServerByStatus map[int]int // access lines: a proxy's in front, else the app's (Traffic.ClientSide)
	Findings       []Finding
}

// AnchorCount is how many anchors a path and status had, and how many of
// them reached an access line.
type AnchorCount struct {
	Total, WithAccess int
}

// CheckClient compares Locust's counts for the anchor paths with the
// server's: requests, failures by status and URL, the server's errors that
// never reached an access line, and the locustfile's own failure prints.
func CheckClient(run *locust.Run, traffic *Traffic, anchors map[Route]AnchorCount, paths []string) []ClientCheck {
	var out []ClientCheck
	// A locustfile's prints name no request: they go with the anchor
	// path's request Locust failed most.
	printsTo := -1
	for i, st := range run.Stats {
		if st.Method != "" && contains(paths, st.Name) && (printsTo < 0 || st.Failures > run.Stats[printsTo].Failures) {
			printsTo = i
		}
	}
	redirects := func(proxy bool) int {
		lines := traffic.access
		if proxy {
			lines = traffic.proxied
		}
		n := 0
		for r, k := range lines {
			if r.Status >= 300 && r.Status < 400 {
				n += k
			}
		}
		return n
	}
	for i, st := range run.Stats {
		if st.Method == "" || !contains(paths, st.Name) {
			continue
		}
		seen, proxy := traffic.ClientSide(st.Method, st.Name)
		c := ClientCheck{Method: st.Method, Path: st.Name, Requests: st.Requests, Failures: st.Failures, ServerByStatus: seen}
		// The client talked to the proxy when there is one: its access
		// log is what Locust's counts are set against.
		accessLog, accessLines := "the server's access log", "the server's access lines"
		if proxy {
			accessLog, accessLines = "the proxy's access log", "the proxy's access lines"
		}
		serverTotal := 0
		for st, n := range c.ServerByStatus {
			// The proxy logged a request the app server killed, with the
			// status it answered for it (a 502): once is enough.
			if !(proxy && st == 0) {
				serverTotal += n
			}
		}
		name := st.Method + " " + st.Name
		if st.Requests != serverTotal {
			kind := Undercount
			if st.Requests > serverTotal {
				kind = Overcount
			}
			why := fmt.Sprintf("Locust recorded %d requests as %q; %s has %d", st.Requests, name, accessLog, serverTotal)
			if n := redirects(proxy); kind == Undercount && n > 0 {
				who := "the server"
				if proxy {
					who = "the proxy"
				}
				why += fmt.Sprintf(" (Locust records a redirect's target under the name of the request redirected, and %s answered %d requests with a redirect; requests still running when Locust stopped are not counted either)", who, n)
			}
			c.Findings = append(c.Findings, Finding{Kind: kind, What: "requests", Client: st.Requests, Server: serverTotal, Why: why})
		}

		// Locust's failures by the URL and status their error names.
		byStatus := map[int]int{}
		elsewhere := map[string]int{}
		for _, f := range run.Failures {
			if f.Method != st.Method || f.Name != st.Name {
				continue
			}
			if f.URLPath != "" && f.URLPath != st.Name {
				elsewhere[f.URLPath] += f.Occurrences
				continue
			}
			byStatus[f.Status] += f.Occurrences
		}
		// And failures of this URL that Locust recorded under another
		// request's path: a redirect to it, followed, which a 301, 302 or
		// 303 makes a GET whatever the first request was (307 and 308,
		// which keep the method, are rare enough to leave out: each such
		// failure is counted once). A name that is no path is a locustfile's
		// own name for the URL, not a redirect.
		redirected := map[int]map[string]int{}
		for _, f := range run.Failures {
			if f.URLPath != st.Name || f.Name == st.Name || st.Method != "GET" || !strings.HasPrefix(f.Name, "/") {
				continue
			}
			if redirected[f.Status] == nil {
				redirected[f.Status] = map[string]int{}
			}
			redirected[f.Status][f.Method+" "+f.Name] += f.Occurrences
		}
		// Locust's failures of this URL with a status, under either name.
		locustFailed := func(status int) int {
			n := byStatus[status]
			for _, k := range redirected[status] {
				n += k
			}
			return n
		}
		for _, url := range sortedKeys(elsewhere) {
			c.Findings = append(c.Findings, Finding{Kind: Overcount, What: "failures of another URL", Client: elsewhere[url], Server: 0,
				Why: fmt.Sprintf("%d failures recorded as %q are failures of %s: a request made after the login (a redirect followed) failed, and Locust counted it against the login", elsewhere[url], name, url)})
		}
		for _, s := range sortedInts(unionKeys(keysOf(byStatus), keysOf(c.ServerByStatus), keysOf(redirected))) {
			if s < 400 && s != 0 && byStatus[s] == 0 {
				continue
			}
			client, server := locustFailed(s), c.ServerByStatus[s]
			var under string
			for _, other := range sortedKeys(redirected[s]) {
				n := redirected[s][other]
				under += fmt.Sprintf("; Locust recorded %d of them as %q (a redirect to %s, followed)", n, other, st.Name)
			}
			f := Finding{What: fmt.Sprintf("%d responses", s), Client: client, Server: server}
			switch {
			case s == 0:
				// Locust's status 0 is a request that got no response; the
				// server's are the requests it killed (harakiri).
				f.What = "requests without a response"
				f.Kind, f.Why = Agree, "Locust's failures without a response (the connection closed) and the requests the server killed agree"
				if client < server {
					f.Kind, f.Why = Undercount, fmt.Sprintf("the server killed %d requests before they had a response; Locust failed %d without one: it saw the others as the status a proxy answered for them (a 502), or had stopped", server, client)
				} else if client > server {
					f.Kind, f.Why = Overcount, fmt.Sprintf("Locust failed %d without a response (the connection closed or was reset); the server's logs name %d requests it killed (uWSGI's harakiri): the rest closed otherwise, by a reset, a restart, a worker killed that names no request, or Locust's own timeout", client, server)
				}
			case client == server:
				f.Kind = Agree
				f.Why = fmt.Sprintf("Locust failures with status %d and %s agree", s, accessLines)
			case client < server && s == clientClosed:
				f.Kind = Undercount
				f.Why = fmt.Sprintf("%s has %s with status %d (nginx's code for a client that closed the connection before the answer: Locust stopping, or giving up on its own timeout); Locust failed %d: it counts no response for a request it abandoned", accessLog, plural(server, "request", "requests"), s, client)
			case client < server:
				f.Kind = Undercount
				f.Why = fmt.Sprintf("%s has %s with status %d; Locust failed %d", accessLog, plural(server, "response", "responses"), s, client)
			default:
				f.Kind = Overcount
				f.Why = fmt.Sprintf("Locust failed %d with status %d; %s has %d", client, s, accessLog, server)
			}
			f.Why += under
			if recs, proxy := traffic.Records(st.Method, st.Name, s); len(recs) > 0 {
				f.Why += "; " + describeRecords(recs, proxy)
			}
			c.Findings = append(c.Findings, f)
		}

		// Errors the server logged that no access line (so no client) saw.
		// In route order: two routes can differ by method alone (a record
		// that names none), and their findings kept the map's order.
		for _, r := range slices.SortedFunc(maps.Keys(anchors), compareRoutes) {
			a := anchors[r]
			if r.Path != st.Name || (r.Method != "" && r.Method != st.Method) || a.Total == a.WithAccess {
				continue
			}
			missing := a.Total - a.WithAccess
			c.Findings = append(c.Findings, Finding{Kind: Undercount, What: fmt.Sprintf("%d responses", r.Status), Client: locustFailed(r.Status), Server: a.Total,
				Why: fmt.Sprintf("the server logged %d %d responses on %s; %d of them never reached an access line (the response was not delivered: the client had gone, or Locust had stopped), so Locust counted none of those",
					a.Total, r.Status, st.Name, missing)})
		}

		// What the locustfile printed as failed but Locust did not count.
		for _, s := range sortedInts(keysOf(run.Prints)) {
			if i != printsTo {
				break
			}
			n := run.Prints[s]
			switch {
			case s < 400:
				c.Findings = append(c.Findings, Finding{Kind: Undercount, What: fmt.Sprintf("printed failures with status %d", s), Client: 0, Server: n,
					Why: fmt.Sprintf("the locustfile printed %d failures with status %d (%q) for responses Locust counted as successes: a failure it reports only on the console", n, s, run.PrintExamples[s])})
			case n != byStatus[s]:
				c.Findings = append(c.Findings, Finding{Kind: Undercount, What: fmt.Sprintf("printed failures with status %d", s), Client: byStatus[s], Server: n,
					Why: fmt.Sprintf("the locustfile printed %d failures with status %d; Locust's failures file has %d", n, s, byStatus[s])})
			}
		}
		out = append(out, c)
	}
	return out
}

// clientClosed is the status nginx logs for a request whose client closed
// the connection before the answer: no response was sent.
const clientClosed = 499

// describeRecords names the exceptions of a status's error records, with
// what the common ones mean; a proxy's error lines are its own answers and
// carry no exception.
func describeRecords(recs map[string]int, proxy bool) string {
	if proxy {
		n := 0
		for _, k := range recs {
			n += k
		}
		return fmt.Sprintf("the proxy's error log names them in %s", plural(n, "line", "lines"))
	}
	var parts []string
	for _, exc := range sortedKeys(recs) {
		what := exc
		switch {
		case exc == "":
			what = "no traceback"
		case strings.HasSuffix(exc, "SessionInterrupted"):
			what += " (the session was deleted before the request completed: its save lost the database)"
		}
		parts = append(parts, fmt.Sprintf("%d %s", recs[exc], what))
	}
	return "the server's records of them: " + strings.Join(parts, ", ")
}

// LoadLevel is how a load level fared: how long Locust ran it, the
// responses on the anchor paths, and the anchors.
type LoadLevel struct {
	Users     int
	Seconds   int
	Responses int
	Anchors   int
}

// Load sets the anchors against Locust's user count: per level, the lowest
// level at which an anchor appeared (-1 when none did), and how many anchors
// fell outside Locust's history (after it stopped, say).
func Load(run *locust.Run, traffic *Traffic, anchors *Seconds, methods []string) ([]LoadLevel, int, int) {
	if len(run.History) == 0 {
		return nil, -1, 0
	}
	levels := map[int]*LoadLevel{}
	level := func(u int) *LoadLevel {
		if levels[u] == nil {
			levels[u] = &LoadLevel{Users: u}
		}
		return levels[u]
	}
	perSec := traffic.ResponsesPerSecond(methods)
	for i, s := range run.History {
		end := s.Time.Add(time.Second)
		if i+1 < len(run.History) {
			end = run.History[i+1].Time
		}
		l := level(s.Users)
		for t := s.Time; t.Before(end); t = t.Add(time.Second) {
			l.Seconds++
			l.Responses += perSec.At(t.Unix())
		}
	}
	lowest, outside := -1, 0
	// Locust's history is in whole seconds: an anchor's second is at the
	// same load as the anchor.
	for sec, n := range anchors.All() {
		u, ok := run.UsersAt(time.Unix(sec, 0))
		if !ok {
			outside += n
			continue
		}
		level(u).Anchors += n
		if lowest < 0 || u < lowest {
			lowest = u
		}
	}
	var out []LoadLevel
	for _, u := range sortedInts(keysOf(levels)) {
		out = append(out, *levels[u])
	}
	return out, lowest, outside
}

// Pressure sums up PgBouncer's pool waits. PgBouncer's stats "wait" is the
// time clients spent waiting for a server connection per second of the
// period: 19 s a second means about 19 clients queued at any moment.
type Pressure struct {
	Samples []PoolSample
	Peak    PoolSample
	// FirstWait is the first sample with clients waiting.
	FirstWait *PoolSample
}

// PoolPressure returns PgBouncer's pool waits over time and their peak.
func (t *Traffic) PoolPressure() *Pressure {
	if len(t.pool) == 0 {
		return nil
	}
	p := &Pressure{Samples: t.pool}
	for i, s := range t.pool {
		if s.Wait > p.Peak.Wait || i == 0 {
			p.Peak = s
		}
		if s.Wait > 0 && p.FirstWait == nil {
			p.FirstWait = &t.pool[i]
		}
	}
	return p
}

// plural says n with the noun in its number ("1 response", "4 responses").
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func compareRoutes(a, b Route) int {
	return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Status, b.Status), cmp.Compare(a.Method, b.Method))
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keysOf[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func unionKeys(sets ...[]int) []int {
	seen := map[int]bool{}
	for _, keys := range sets {
		for _, k := range keys {
			seen[k] = true
		}
	}
	out := make([]int, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	return out
}

func sortedInts(s []int) []int {
	sort.Ints(s)
	return s
}
