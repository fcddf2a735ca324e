package parser

import (
	"strings"
	"time"
)

func init() {
	register(&Format{
		Name:   "heroku-router",
		Family: FamilyProxy,
		Rank:   43,
		Summary: "Heroku's router (heroku[router] in heroku logs or a drain): a proxy's line for each request, with its status, " +
			"the time the dyno took (service=) and the error code of a request it gave up on (H12 Request timeout)",
		Examples: []string{
			`at=error code=H12 desc="Request timeout" method=POST path="/accounts/login/" host=ahsp.herokuapp.com request_id=0f5c dyno=web.1 connect=0ms service=30000ms status=503 bytes=0`,
			`at=info method=GET path="/" host=safe-springs-77204.herokuapp.com request_id=d5e93802 fwd="104.12.52.232" dyno=web.1 connect=0ms service=77ms status=500 bytes=451 protocol=https`,
			`Error H12 (Request timeout) -> GET quiet-wind-6510.herokuapp.com/admin/core/pilegroup/1/ dyno=web.1 queue= wait= service=30000ms status=503 bytes=0`,
		},
		starts: func(_ Spec, line string) bool { return herokuRouterStarts(line) },
		build:  func(_ Spec, c *Clock, emit Emit) Parser { return &HerokuRouter{clock: c, emit: emit} },
	})
}

// herokuRouterStarts tells a router line: it writes no time of its own.
// It is asked of a traceback's unindented lines in a stream of one
// program: a line with no '=' at all is ruled out by one fast scan, before
// the search for " dyno=", whose space is everywhere.
func herokuRouterStarts(line string) bool {
	if strings.IndexByte(line, '=') < 0 {
		return false
	}
	return (strings.HasPrefix(line, "at=") || strings.HasPrefix(line, "Error H") || strings.Contains(line, " dyno=")) &&
		strings.Contains(line, "status=") && strings.Contains(line, "service=")
}

// HerokuRouter parses Heroku's router lines. They carry no time of their
// own: Heroku's envelope (or a drain's) dates them.
type HerokuRouter struct {
	clock    *Clock
	emit     Emit
	unparsed int
	untimed  int
}

// Feed implements Parser.
func (p *HerokuRouter) Feed(l Line) {
	line := Clean(l.Text)
	if l.Stamp.IsZero() || !strings.Contains(line, "status=") {
		if strings.TrimSpace(line) != "" {
			if l.Stamp.IsZero() {
				p.untimed++
			} else {
				p.unparsed++
			}
		}
		return
	}
	ev := Event{Source: p.clock.Source, Line: l.Num, EndLine: l.Num, Time: l.Stamp, Precision: l.StampPrecision, Stamped: true,
		Kind: KindAccess, Text: line, Message: line, Proxy: true}
	body := line
	// The older form: "Error H12 (Request timeout) -> GET host/path dyno=…"
	if i := strings.Index(line, " -> "); i >= 0 && strings.HasPrefix(line, "Error H") {
		ev.Reason = line[len("Error "):i]
		body = line[i+4:]
	}
	if sp := strings.IndexByte(body, ' '); sp > 0 && isToken(body[:sp]) {
		ev.Method = body[:sp]
		hostPath := body[sp+1:]
		if end := strings.IndexByte(hostPath, ' '); end > 0 {
			hostPath = hostPath[:end]
		}
		if slash := strings.IndexByte(hostPath, '/'); slash >= 0 {
			ev.Path = urlPath(hostPath[slash:])
		}
	}
	parseKV(line, &ev)
	if c := ev.Field("code"); c != "" {
		ev.Reason = strings.TrimSpace(c + " " + ev.Field("desc"))
	}
	ev.Level = accessLevel(ev.Status)
	if !ev.IsResponse() {
		p.unparsed++
		return
	}
	p.emit(ev)
}

// Flush implements Parser.
func (p *HerokuRouter) Flush() {}

// Unparsed implements Parser.
func (p *HerokuRouter) Unparsed() int { return p.unparsed }

// LeftOut implements LeftOuter.
func (p *HerokuRouter) LeftOut() string {
	if p.untimed > 0 {
		return untimedNote(p.untimed, "the router's lines carry no time outside Heroku's envelope")
	}
	return ""
}

// Open implements Parser.
func (p *HerokuRouter) Open() (time.Time, bool) { return time.Time{}, false }

// Continues implements Continuer.
func (p *HerokuRouter) Continues(string) bool { return false }
