package parser

import (
	"regexp"
	"strings"
	"time"
)

// nginx's access log has the Common or Combined Log Format of gunicorn's
// and Apache's, so its lines alone do not tell a proxy from an app server,
// and a proxy's line must join the app's report of the same request rather
// than count as a second request. A source is nginx's when its name says so
// (nginx_access.log, a compose service nginx-1) or when its lines carry what
// only a proxy writes (the upstream's address or time).
var proxyName = regexp.MustCompile(`(?i)nginx|openresty|proxy|traefik|caddy|haproxy|apache|httpd|ingress`)

// upstreamFields are what nginx formats write of the upstream.
var upstreamFields = []string{"urt=", "upstream_response_time", "upstream_addr", "uct=", "uht=", "upstream_connect_time", "upstream="}

// ingressTail is what ingress-nginx's default format writes after the user
// agent: $request_length $request_time [$proxy_upstream_name]
// [$proxy_alternative_upstream_name].
var ingressTail = regexp.MustCompile(`" \d+ \d+\.\d+ \[[^\]]*\] \[[^\]]*\]`)

func init() {
	register(&Format{
		Name:   "nginx",
		Family: FamilyProxy,
		Rank:   41,
		Summary: "nginx's access log (combined, or with $request_time and $upstream_response_time as rt= and urt=, or ingress-nginx's default format): " +
			"told from an app server's by its name or its upstream fields; its line joins the app's report of the same request",
		Examples: []string{
			`127.0.0.1 - - [30/Nov/2026:21:11:16 +0000] "POST /accounts/login/ HTTP/1.1" 500 145 "http://127.0.0.1:8000/accounts/login/" "python-requests/2.28.1" rt=0.149 urt="0.150"`,
			`10.244.5.1 - - [02/Dec/2026:13:23:10 +0000] "POST /accounts/login/ HTTP/1.1" 504 160 "-" "python-requests/2.28.1" 1100 30.001 [ahsp-web-8000] [] 10.244.6.15:8000 0 30.000 504 5a401812d3491489148c16a589f9e84c`,
		},
		starts: func(_ Spec, line string) bool {
			_, at, ok := accessHead(line)
			return ok && parseRequestLine(line[at:], nil)
		},
		claims: func(name string, sample []string) bool {
			if proxyName.MatchString(baseName(name)) {
				return true
			}
			for _, l := range sample {
				for _, f := range upstreamFields {
					if strings.Contains(l, f) {
						return true
					}
				}
				if ingressTail.MatchString(l) {
					return true
				}
			}
			return false
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser { return &Access{clock: c, emit: emit, proxy: true} },
	})
	register(&Format{
		Name:   "nginx-error",
		Family: FamilyProxy,
		Rank:   42,
		Summary: "nginx's error log: an upstream that timed out, refused or closed the connection is the proxy's report of the " +
			"request (a 504 or 502 the client saw); other lines are records of their own",
		Examples: []string{
			`2026/11/30 21:11:12 [error] 4482#4482: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /accounts/login/ HTTP/1.1", upstream: "http://127.0.0.1:8001/accounts/login/", host: "127.0.0.1:8000"`,
			`2026/11/27 00:16:02 [error] 31#31: *873 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.9, server: _, request: "POST /accounts/login/ HTTP/1.1", upstream: "http://10.0.0.5:8000/accounts/login/", host: "example.com"`,
			`2026/11/27 00:10:00 [notice] 1#1: start worker processes`,
		},
		starts: func(_ Spec, line string) bool {
			_, _, _, ok := nginxErrorHead(line)
			return ok
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser { return &NginxError{clock: c, emit: emit} },
	})
}

func baseName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	return name[strings.LastIndexByte(name, '/')+1:]
}

// What a proxy's error lines say of the app behind it.
const (
	TagUpstreamTimeout Tag = "upstream_timeout"
	TagUpstreamRefused Tag = "upstream_refused"
	TagUpstreamClosed  Tag = "upstream_closed"
)

var nginxLevels = []string{"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"}

// nginxErrorHead reads "2026/11/30 21:11:12 [error] 4482#4482: ".
func nginxErrorHead(line string) (st stamp, level string, msgAt int, ok bool) {
	if len(line) < 22 || line[4] != '/' {
		return st, "", 0, false
	}
	st, n, ok := scanStamp(line, false)
	if !ok || n+3 >= len(line) || line[n] != ' ' || line[n+1] != '[' {
		return st, "", 0, false
	}
	end := strings.IndexByte(line[n+2:], ']')
	if end < 0 {
		return st, "", 0, false
	}
	level = line[n+2 : n+2+end]
	known := false
	for _, l := range nginxLevels {
		known = known || level == l
	}
	i := n + 2 + end + 1
	if !known || i >= len(line) || line[i] != ' ' {
		return st, "", 0, false
	}
	i++
	j := i
	for j < len(line) && (isDigit(line[j]) || line[j] == '#') {
		j++
	}
	if j == i || !strings.HasPrefix(line[j:], ": ") {
		return st, "", 0, false
	}
	return st, level, j + 2, true
}

// NginxError parses nginx's error log.
type NginxError struct {
	clock    *Clock
	emit     Emit
	unparsed int
}

// upstreamFailures are what nginx says when the app behind it did not
// answer, with the status the client got.
var upstreamFailures = []struct {
	says   string
	tag    Tag
	status int
}{
	{"upstream timed out", TagUpstreamTimeout, 504},
	{"connect() failed", TagUpstreamRefused, 502},
	{"upstream prematurely closed connection", TagUpstreamClosed, 502},
	{"no live upstreams", TagUpstreamRefused, 502},
	{"recv() failed (104: Connection reset by peer)", TagUpstreamClosed, 502},
}

// Feed implements Parser.
func (p *NginxError) Feed(l Line) {
	line := Clean(l.Text)
	st, level, at, ok := nginxErrorHead(line)
	if !ok {
		if strings.TrimSpace(line) != "" {
			p.unparsed++
		}
		return
	}
	ev := Event{Source: p.clock.Source, Line: l.Num, EndLine: l.Num, Time: p.clock.instant(st, l.Num), Precision: st.precision,
		Kind: KindRecord, Level: strings.ToUpper(level), Text: line, Message: line[at:], Proxy: true}
	msg := ev.Message
	if strings.HasPrefix(msg, "*") {
		if sp := strings.IndexByte(msg, ' '); sp > 0 {
			ev.setField("connection", msg[1:sp])
			msg = msg[sp+1:]
		}
	}
	// ", client: 1.2.3.4, server: x, request: "POST /p HTTP/1.1", upstream: "…", host: "…""
	if i := strings.Index(msg, ", client: "); i >= 0 {
		for _, kv := range splitNginxContext(msg[i+2:]) {
			ev.setField(kv[0], kv[1])
		}
		msg = msg[:i]
	}
	ev.Reason = msg
	if req := ev.Field("request"); req != "" {
		parts := strings.SplitN(req, " ", 3)
		if len(parts) >= 2 && isToken(parts[0]) {
			ev.Method, ev.Path = parts[0], urlPath(parts[1])
		}
	}
	for _, f := range upstreamFailures {
		if strings.Contains(msg, f.says) {
			ev.Tag = f.tag
			if ev.Path != "" {
				// The proxy's report of a response it made itself.
				ev.Kind, ev.Status = KindRequestLog, f.status
			}
			break
		}
	}
	p.emit(ev)
}

// splitNginxContext reads `client: 1.2.3.4, server: , request: "…"`.
func splitNginxContext(s string) [][2]string {
	var out [][2]string
	for s != "" {
		colon := strings.Index(s, ": ")
		if colon <= 0 {
			break
		}
		key := strings.TrimSpace(s[:colon])
		rest := s[colon+2:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				val, rest = rest[1:], ""
			} else {
				val, rest = rest[1:end+1], rest[end+2:]
			}
		} else if comma := strings.Index(rest, ", "); comma >= 0 {
			val, rest = rest[:comma], rest[comma:]
		} else {
			val, rest = rest, ""
		}
		out = append(out, [2]string{key, val})
		s = strings.TrimPrefix(rest, ", ")
	}
	return out
}

// Flush implements Parser.
func (p *NginxError) Flush() {}

// Unparsed implements Parser.
func (p *NginxError) Unparsed() int { return p.unparsed }

// Open implements Parser: every line is an event of its own.
func (p *NginxError) Open() (time.Time, bool) { return time.Time{}, false }

// Continues implements Continuer.
func (p *NginxError) Continues(string) bool { return false }
