package parser

import (
	"strings"
	"time"
)

// Access parses access logs in the Common or Combined Log Format that
// gunicorn, nginx and Apache write:
//
//	127.0.0.1 - - [26/Nov/2026:10:26:40 -0600] "GET /boom/ HTTP/1.1" 500 145 "-" "locust/2.12.1"
type Access struct {
	clock    *Clock
	emit     Emit
	unparsed int
	// proxy: a reverse proxy writes the log (nginx).
	proxy bool
}

// NewAccess returns a parser for one access log.
func NewAccess(clock *Clock, emit Emit) *Access { return &Access{clock: clock, emit: emit} }

func init() {
	register(&Format{
		Name:    "access",
		Family:  FamilyAccess,
		Rank:    40,
		Summary: "access logs in the Common or Combined Log Format: gunicorn --access-logfile, nginx, Apache",
		Examples: []string{
			`127.0.0.1 - - [27/Nov/2026:00:15:05 +0700] "POST /accounts/login/ HTTP/1.1" 500 145 "-" "python-requests/2.31.0"`,
		},
		starts: func(_ Spec, line string) bool {
			_, at, ok := accessHead(line)
			return ok && parseRequestLine(line[at:], nil)
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser { return NewAccess(c, emit) },
	})
}

// accessHead finds the bracketed time after "host ident user " and returns
// it with where the request line starts.
func accessHead(line string) (stamp, int, bool) {
	open := strings.IndexByte(line, '[')
	if open < 5 || open > 200 || strings.Count(line[:open], " ") < 3 {
		return stamp{}, 0, false
	}
	st, n, ok := scanStamp(line[open+1:], false)
	end := open + 1 + n
	if !ok || end+2 >= len(line) || line[end] != ']' || line[end+1] != ' ' {
		return stamp{}, 0, false
	}
	return st, end + 2, true
}

// Feed implements Parser.
func (p *Access) Feed(l Line) {
	num, line := l.Num, Clean(l.Text)
	st, at, ok := accessHead(line)
	if !ok {
		if line != "" {
			p.unparsed++
		}
		return
	}
	ev := Event{Source: p.clock.Source, Line: num, EndLine: num, Time: p.clock.instant(st, num), Precision: st.precision,
		Kind: KindAccess, Text: line, Message: line[at:]}
	if !parseRequestLine(line[at:], &ev) {
		p.unparsed++
		return
	}
	ev.Level = accessLevel(ev.Status)
	ev.Proxy = p.proxy
	ev.setField("client", line[:strings.IndexByte(line, ' ')])
	parseAccessTail(accessTail(line[at:]), &ev)
	p.emit(ev)
}

// accessTail is what follows the request line, status and size of an
// access line: the combined format's referer and user agent, and the
// fields a custom format adds (rt=0.149 urt="0.150", a request time).
func accessTail(msg string) string {
	end := strings.Index(msg[1:], `" `)
	if end < 0 {
		return ""
	}
	rest := msg[end+3:]
	for i := 0; i < 2; i++ { // status, size
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return ""
		}
		rest = rest[sp+1:]
	}
	return rest
}

// parseAccessTail reads a tail's key=value fields (quoted values too) into
// the event, a stated duration among them, and takes a last bare number
// with a fraction as the request's time in seconds, as gunicorn's %(L)s
// and nginx's $request_time write it when a format puts it last unnamed,
// and a whole number as microseconds (gunicorn's %(D)s, Apache's %D).
// Quoted fields with no key (referer, user agent) are skipped.
func parseAccessTail(tail string, ev *Event) {
	var before, last string
	bare := 0 // bare tokens since the last quoted field
	for tail != "" {
		tail = strings.TrimLeft(tail, " ")
		if tail == "" {
			break
		}
		var tok string
		if tail[0] == '"' {
			end := strings.IndexByte(tail[1:], '"')
			if end < 0 {
				return
			}
			tail, before, last, bare = tail[end+2:], "", "", 0
			continue
		}
		eq := strings.IndexAny(tail, "= ")
		if eq > 0 && tail[eq] == '=' {
			key, rest := tail[:eq], tail[eq+1:]
			val := rest
			if rest != "" && rest[0] == '"' {
				end := strings.IndexByte(rest[1:], '"')
				if end < 0 {
					return
				}
				val, tail = rest[1:end+1], rest[end+2:]
			} else if sp := strings.IndexByte(rest, ' '); sp >= 0 {
				val, tail = rest[:sp], rest[sp:]
			} else {
				tail = ""
			}
			if isKeyWord(key) {
				ev.setField(key, val)
				if d, ok := durationOf(key, val); ok && ev.Duration == 0 {
					ev.Duration = d
				}
			}
			last = ""
			continue
		}
		if sp := strings.IndexByte(tail, ' '); sp >= 0 {
			tok, tail = tail[:sp], tail[sp:]
		} else {
			tok, tail = tail, ""
		}
		// ingress-nginx's default format goes on after the user agent
		// with $request_length $request_time [$proxy_upstream_name] and
		// lists of each upstream try's address, size, time and status.
		if bare == 2 && strings.HasPrefix(tok, "[") && isNumber(before) && strings.Count(last, ".") == 1 {
			if d, ok := durationOf("request_time", last); ok {
				ev.setField("request_time", last)
				ev.Duration = d
			}
			ev.setField("upstream", strings.TrimSuffix(tok[1:], "]"))
			// "[alternative] addr, addr, addr size, …": every try's upstream.
			rest := strings.TrimLeft(tail, " ")
			if strings.HasPrefix(rest, "[") {
				if end := strings.IndexByte(rest, ']'); end >= 0 {
					rest = strings.TrimLeft(rest[end+1:], " ")
				}
			}
			addrs, rest := cutList(rest)
			if addrs != "" && addrs != "-" {
				ev.setField("upstream_addr", addrs)
			}
			// Then each try's response size, time and status: a request
			// whose tries failed alike or not ("502, 504": refused, then
			// timed out) is one request of its access line's status.
			_, rest = cutList(rest)
			_, rest = cutList(rest)
			if statuses, _ := cutList(rest); isStatusList(statuses) {
				ev.setField("upstream_status", statuses)
			}
			return
		}
		before, last = last, tok
		bare++
	}
	switch {
	case ev.Duration != 0 || last == "":
	case strings.Count(last, ".") == 1:
		if d, ok := durationOf("request_time", last); ok {
			ev.setField("request_time", last)
			ev.Duration = d
		}
	case bare == 1 && isNumber(last):
		// A whole number put last unnamed, alone after the quoted fields,
		// is gunicorn's %(D)s or Apache's %D: microseconds (two, as
		// Apache's combinedio writes %I %O, are byte counts).
		if d, ok := durationOf("time_us", last); ok {
			ev.setField("time_us", last)
			ev.Duration = d
		}
	}
}

func isKeyWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isKeyByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// Flush implements Parser.
func (p *Access) Flush() {}

// Continues implements Continuer: an access line is a record of its own.
func (p *Access) Continues(string) bool { return false }

// Unparsed implements Parser.
func (p *Access) Unparsed() int { return p.unparsed }

// Open implements Parser: every line is an event of its own.
func (p *Access) Open() (time.Time, bool) { return time.Time{}, false }

// cutList cuts the list s opens with ("a, b, c", its items separated by a
// comma and a space) from the rest of s, spaces before it passed over.
func cutList(s string) (list, rest string) {
	s = strings.TrimLeft(s, " ")
	end := 0
	for end < len(s) {
		sp := strings.IndexByte(s[end:], ' ')
		if sp < 0 {
			return s, ""
		}
		if sp == 0 || s[end+sp-1] != ',' {
			end += sp
			break
		}
		end += sp + 1
	}
	return s[:end], s[end:]
}

// isStatusList reports whether a list holds HTTP statuses, or "-" for a
// try that had none.
func isStatusList(list string) bool {
	if list == "" {
		return false
	}
	for _, item := range strings.Split(list, ", ") {
		if n, ok := atoi(item); item != "-" && (!ok || n < 100 || n > 999) {
			return false
		}
	}
	return true
}

func isNumber(s string) bool { _, ok := atoi(s); return ok }
