package envelope

import (
	"strings"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// syslogKind: RFC 3164 as rsyslog and syslog-ng write /var/log/syslog, and
// journalctl's default (-o short, -o short-precise): "Nov 26 16:20:54 host
// ident[pid]: message". The time has no year and no zone: the clock reads
// it in the file's zone and supplies the year.
var syslogKind = lineKind("syslog", true,
	`Nov 26 17:15:09 db1 pgbouncer[28431]: C-0x55723b8f4f70: ahsp/ahsp@10.0.0.5:44562 closing because: query_wait_timeout (age=2s)`,
	func(c *parser.Clock, line string) (Record, bool) {
		line = cutFacility(line)
		mo, d, h, mi, s, nsec, prec, n, ok := scanBSD(line)
		if !ok || n >= len(line) || line[n] != ' ' {
			return Record{}, false
		}
		r, ok := peelHostIdent(line[n+1:])
		if !ok {
			return Record{}, false
		}
		r.Precision = prec
		if c != nil {
			r.Stamp, r.Naive = c.Date(0, mo, d, h, mi, s, nsec), true
		}
		return r, true
	})

// cutFacility drops the "daemon.debug: " some syslog daemons (busybox's)
// put before the time.
func cutFacility(line string) string {
	// Only a colon within the first 20 bytes can end a facility: the
	// rest of the line is not searched.
	colon := strings.Index(line[:min(len(line), 22)], ": ")
	if colon < 0 {
		return line
	}
	dot := strings.IndexByte(line[:colon], '.')
	if colon < 3 || colon > 20 || dot <= 0 || dot > colon {
		return line
	}
	for i := 0; i < colon; i++ {
		if c := line[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.') {
			return line
		}
	}
	return line[colon+2:]
}

// monthOf is the number of a month's English abbreviation, 0 for none.
func monthOf(s string) int {
	switch s {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

// scanBSD reads "Nov 26 16:20:54" or "Nov  6 16:20:54.123456".
func scanBSD(s string) (mo, d, h, mi, sec, nsec int, prec time.Duration, n int, ok bool) {
	if len(s) < 15 || s[3] != ' ' || s[9] != ':' || s[12] != ':' {
		return
	}
	mo = monthOf(s[:3])
	var ok1, ok2, ok3, ok4 bool
	if s[4] == ' ' {
		// "Nov  6": the day's one digit.
		d, ok1 = num(s, 5, 1)
	} else {
		d, ok1 = num(s, 4, 2)
	}
	h, ok2 = num(s, 7, 2)
	mi, ok3 = num(s, 10, 2)
	sec, ok4 = num(s, 13, 2)
	if mo == 0 || !ok1 || !ok2 || !ok3 || !ok4 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return
	}
	n, prec = 15, time.Second
	if n < len(s) && s[n] == '.' {
		j, scale := n+1, int(time.Second)
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if scale > 1 {
				scale /= 10
				nsec += int(s[j]-'0') * scale
			}
			j++
		}
		n, prec = j, max(time.Duration(scale), time.Nanosecond)
	}
	return mo, d, h, mi, sec, nsec, prec, n, true
}

// peelHostIdent reads "host ident[pid]: message" (the pid is optional).
func peelHostIdent(s string) (Record, bool) {
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 {
		return Record{}, false
	}
	host, rest := s[:sp], s[sp+1:]
	colon := strings.Index(rest, ": ")
	if colon <= 0 {
		if strings.HasSuffix(rest, ":") {
			colon = len(rest) - 1
		} else {
			return Record{}, false
		}
	}
	tag := rest[:colon]
	pid := ""
	if open := strings.IndexByte(tag, '['); open > 0 && strings.HasSuffix(tag, "]") {
		tag, pid = tag[:open], tag[open+1:len(tag)-1]
	}
	if tag == "" || strings.IndexByte(tag, ' ') >= 0 || len(tag) > 64 {
		return Record{}, false
	}
	text := ""
	if colon+2 <= len(rest) {
		text = rest[colon+2:]
	}
	return Record{Label: tag, Host: host, PID: pid, Text: text}, true
}

// isoSyslogKind: journalctl -o short-iso and short-iso-precise, and
// rsyslog's high-precision file format: "2026-11-26T17:15:09.716803+00:00
// host ident[pid]: message".
var isoSyslogKind = lineKind("syslog (ISO time)", true,
	`2026-11-26T17:15:09.716803+00:00 db1 pgbouncer[28431]: C-0x55723b8f4f70: ahsp/ahsp@10.0.0.5:44562 closing because: query_wait_timeout (age=2s)`,
	func(_ *parser.Clock, line string) (Record, bool) {
		t, prec, n, ok := scanISO(line)
		if !ok || n >= len(line) || line[n] != ' ' {
			return Record{}, false
		}
		r, ok := peelHostIdent(line[n+1:])
		if !ok || strings.HasSuffix(r.Label, "]") {
			return Record{}, false
		}
		r.Stamp, r.Precision = t, prec
		return r, true
	})

// herokuKind: heroku logs and Dokku: "<time> source[dyno]: message", the
// router's lines as heroku[router], the app's as app[web.1].
var herokuKind = lineKind("heroku", false,
	`2026-11-26T17:15:09.716803+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=POST path="/accounts/login/" host=x.herokuapp.com dyno=web.1 connect=0ms service=30000ms status=503 bytes=0`,
	func(_ *parser.Clock, line string) (Record, bool) {
		t, prec, n, ok := scanISO(line)
		if !ok || n >= len(line) || line[n] != ' ' {
			return Record{}, false
		}
		rest := line[n+1:]
		colon := strings.Index(rest, ": ")
		if colon < 0 && strings.HasSuffix(rest, ":") {
			colon = len(rest) - 1
		}
		if colon <= 0 {
			return Record{}, false
		}
		tag := rest[:colon]
		open := strings.IndexByte(tag, '[')
		if open <= 0 || !strings.HasSuffix(tag, "]") || strings.IndexByte(tag, ' ') >= 0 {
			return Record{}, false
		}
		text := ""
		if colon+2 <= len(rest) {
			text = rest[colon+2:]
		}
		return Record{Label: tag, Text: text, Stamp: t, Precision: prec}, true
	})

// rfc5424Kind: RFC 5424 syslog (rsyslog's RSYSLOG_SyslogProtocol23Format,
// syslog-ng, Heroku's drains, octet-counted or not): "<PRI>1 TIME HOST APP
// PROCID MSGID STRUCTURED-DATA MESSAGE".
var rfc5424Kind = lineKind("syslog RFC 5424", false,
	`<134>1 2026-11-26T17:15:09.716803+00:00 db1 pgbouncer 28431 - - C-0x55723b8f4f70: ahsp/ahsp@10.0.0.5:44562 closing because: query_wait_timeout (age=2s)`,
	func(_ *parser.Clock, line string) (Record, bool) {
		s := line
		if i := strings.IndexByte(s, ' '); i > 0 && i < 7 && allDigits(s[:i]) {
			s = s[i+1:] // an octet count
		}
		if len(s) < 4 || s[0] != '<' {
			return Record{}, false
		}
		gt := strings.IndexByte(s, '>')
		if gt < 2 || gt > 4 || !allDigits(s[1:gt]) || !strings.HasPrefix(s[gt+1:], "1 ") {
			return Record{}, false
		}
		var fields [6]string
		f := fields[:splitSpaces(s[gt+3:], &fields)]
		if len(f) < 5 {
			return Record{}, false
		}
		r := Record{Host: dash(f[1]), Label: dash(f[2]), PID: dash(f[3])}
		if f[0] != "-" {
			t, prec, n, ok := scanISO(f[0])
			if !ok || n != len(f[0]) {
				return Record{}, false
			}
			r.Stamp, r.Precision = t, prec
		}
		if len(f) == 6 {
			r.Text = skipSD(f[5])
		}
		r.Text = strings.TrimPrefix(r.Text, "\ufeff")
		return r, true
	})

// splitSpaces is strings.SplitN(s, " ", 6) into f, without allocating
// the slice for every line: it returns how many fields it set.
func splitSpaces(s string, f *[6]string) int {
	n := 0
	for ; n < len(f)-1; n++ {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			break
		}
		f[n], s = s[:i], s[i+1:]
	}
	f[n] = s
	return n + 1
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// skipSD drops RFC 5424's structured data ("-" or "[id k="v"]…").
func skipSD(s string) string {
	if s == "-" {
		return ""
	}
	if strings.HasPrefix(s, "- ") {
		return s[2:]
	}
	for strings.HasPrefix(s, "[") {
		end := sdEnd(s)
		if end < 0 {
			return ""
		}
		s = s[end:]
	}
	return strings.TrimPrefix(s, " ")
}

// sdEnd is the index just past the structured-data element s starts with.
func sdEnd(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch {
		case inQuote && s[i] == '\\':
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && s[i] == ']':
			return i + 1
		}
	}
	return -1
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
