package envelope

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/logcorr/logcorr/parser"
)

func init() {
	kinds = append(kinds,
		criKind, herokuKind, isoSyslogKind, dockerTKind, composeKind, kubectlPrefixKind, syslogKind, rfc5424Kind,
		dockerJSONKind, journalJSONKind, journalExportKind, desktopKind, grafanaKind)
}

// criKind: the files containerd and CRI-O write under /var/log/pods, which
// kubectl logs reads: "<RFC 3339 nano> stdout|stderr F|P <line>", where P
// marks a piece of a line the runtime split (at 16 KiB) and F its end.
var criKind = &Kind{
	Name:    "kubernetes CRI",
	Example: `2026-11-26T17:15:09.716803412Z stderr F 2026-11-26 17:15:09.716 UTC [1] LOG C-0x55723b8f4f70: ahsp/ahsp@10.1.0.7:44562 closing because: query_wait_timeout (age=2s)`,
	match: func(line string) bool {
		_, _, _, ok := peelCRI(line)
		return ok
	},
	open: func(*parser.Clock) Unwrapper { return &criUnwrapper{} },
}

func peelCRI(line string) (r Record, stream string, partial, ok bool) {
	t, prec, n, ok := scanISO(line)
	if !ok || n >= len(line) || line[n] != ' ' {
		return r, "", false, false
	}
	rest := line[n+1:]
	switch {
	case strings.HasPrefix(rest, "stdout "):
		stream, rest = "stdout", rest[7:]
	case strings.HasPrefix(rest, "stderr "):
		stream, rest = "stderr", rest[7:]
	default:
		return r, "", false, false
	}
	if len(rest) < 1 || (rest[0] != 'F' && rest[0] != 'P') || (len(rest) > 1 && rest[1] != ' ') {
		return r, "", false, false
	}
	partial = rest[0] == 'P'
	text := ""
	if len(rest) > 2 {
		text = rest[2:]
	}
	return Record{Text: text, Stamp: t, Precision: prec}, stream, partial, true
}

type criUnwrapper struct {
	// held are the pieces of a line still being written, per stream: the
	// runtime splits stdout's and stderr's lines independently.
	held map[string]*Record
}

func (u *criUnwrapper) Unwrap(num int, line string, out func(Record)) bool {
	r, stream, partial, ok := peelCRI(parser.Clean(line))
	if !ok {
		return false
	}
	if h := u.held[stream]; h != nil {
		h.Text += r.Text
		r = *h
	} else {
		r.Num = num
	}
	if partial {
		if u.held == nil {
			u.held = map[string]*Record{}
		}
		// A copy: taking r's address made every line's record escape.
		h := new(Record)
		*h = r
		u.held[stream] = h
		return true
	}
	if len(u.held) > 0 {
		delete(u.held, stream)
	}
	out(r)
	return true
}

func (u *criUnwrapper) Flush(out func(Record)) {
	for _, s := range []string{"stdout", "stderr"} {
		if h := u.held[s]; h != nil {
			out(*h)
		}
	}
	u.held = nil
}

// dockerTKind: docker logs -t, kubectl logs --timestamps: the time the
// runtime read the line, then the line.
var dockerTKind = lineKind("docker logs -t", true,
	`2026-11-26T17:15:09.716803412Z 2026-11-26 17:15:09.716 UTC [1] LOG C-0x55723b8f4f70: ahsp/ahsp@172.18.0.5:44562 closing because: query_wait_timeout (age=2s)`,
	func(_ *parser.Clock, line string) (Record, bool) {
		t, prec, n, ok := scanISO(line)
		if !ok || (n < len(line) && line[n] != ' ') {
			return Record{}, false
		}
		return Record{Text: cutSpace(line[n:]), Stamp: t, Precision: prec}, true
	})

// cutSpace drops the one space between an envelope and its line.
func cutSpace(s string) string {
	if s != "" && s[0] == ' ' {
		return s[1:]
	}
	return s
}

// composeKind: docker compose logs (and docker-compose up, docker service
// logs): "<service>  | <line>", the service padded to the longest one,
// with -t the runtime's time after the bar.
var composeKind = lineKind("docker compose logs", false,
	`pgbouncer-1  | 2026-11-26 17:15:09.716 UTC [1] LOG C-0x55723b8f4f70: ahsp/ahsp@172.18.0.5:44562 closing because: query_wait_timeout (age=2s)`,
	func(_ *parser.Clock, line string) (Record, bool) {
		i := 0
		for i < len(line) && isNameByte(line[i]) {
			i++
		}
		if i == 0 || i > 120 {
			return Record{}, false
		}
		j := i
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j == i || j >= len(line) || line[j] != '|' || (j+1 < len(line) && line[j+1] != ' ') {
			return Record{}, false
		}
		r := Record{Label: line[:i], Text: cutSpace(line[j+1:])}
		if t, prec, n, ok := scanISO(r.Text); ok && (n == len(r.Text) || r.Text[n] == ' ') {
			r.Stamp, r.Precision, r.Text = t, prec, cutSpace(r.Text[n:])
		}
		return r, true
	})

// kubectlPrefixKind: kubectl logs --prefix (with -l, --all-containers):
// "[pod/<pod>/<container>] <line>", the container the label; with
// --timestamps the runtime's time after the prefix. Without -f kubectl
// writes one pod's log after another, so a file of several labels is read
// once per label (source.SplitByLabel).
var kubectlPrefixKind = lineKind("kubectl logs --prefix", false,
	`[pod/ahsp-pgbouncer-7d9c6b6f5-x2x4k/pgbouncer] 2026-11-26T17:15:09.716803412Z 2026-11-26 17:15:09.716 UTC [1] LOG C-0x55723b8f4f70: ahsp/ahsp@10.1.0.7:44562 closing because: query_wait_timeout (age=2s)`,
	func(_ *parser.Clock, line string) (Record, bool) {
		const open = "[pod/"
		if !strings.HasPrefix(line, open) {
			return Record{}, false
		}
		end := strings.Index(line, "] ")
		if end < 0 {
			if !strings.HasSuffix(line, "]") {
				return Record{}, false
			}
			end = len(line) - 1
		}
		label := line[len(open):end]
		pod, container, ok := strings.Cut(label, "/")
		if !ok || pod == "" || strings.IndexFunc(pod, notNameRune) >= 0 || strings.IndexFunc(container, notNameRune) >= 0 {
			return Record{}, false
		}
		r := Record{Label: label, Text: ""}
		if end+2 <= len(line) {
			r.Text = line[end+2:]
		}
		if t, prec, n, ok := scanISO(r.Text); ok && (n == len(r.Text) || r.Text[n] == ' ') {
			r.Stamp, r.Precision, r.Text = t, prec, cutSpace(r.Text[n:])
		}
		return r, true
	})

// notNameRune is a rune no Kubernetes object name holds (DNS labels and
// subdomains: lower-case letters, digits, '-' and '.').
func notNameRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.')
}

func init() { composeKind.apart, kubectlPrefixKind.apart = true, true }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '@'
}

// dockerJSONKind: Docker's json-file driver, one object per line under
// /var/lib/docker/containers; a line the runtime split (at 16 KiB) is in
// objects whose "log" does not end in a newline.
var dockerJSONKind = &Kind{
	Name:    "docker json-file",
	Example: `{"log":"2026-11-26 17:15:09.716 UTC [1] LOG C-0x55723b8f4f70: ahsp/ahsp@172.18.0.5:44562 closing because: query_wait_timeout (age=2s)\n","stream":"stderr","time":"2026-11-26T17:15:09.716803412Z"}`,
	match: func(line string) bool {
		return strings.HasPrefix(line, `{"log":`) || (strings.HasPrefix(line, "{") && strings.Contains(line, `"log":`) && strings.Contains(line, `"time":`))
	},
	open: func(*parser.Clock) Unwrapper { return &dockerJSON{} },
}

type dockerJSON struct {
	// held is the start of a line the runtime split, while holding: by
	// value, as a pointer made every line's record escape to the heap.
	held    Record
	holding bool
	members []member // reused from line to line
}

func (u *dockerJSON) Unwrap(num int, line string, out func(Record)) bool {
	line = strings.TrimSuffix(line, "\r")
	logText, whole, stamp, ok := u.flat(line)
	if !ok {
		if logText, stamp, ok = decodeDockerJSON(line); !ok {
			return false
		}
		whole = strings.HasSuffix(logText, "\n")
		logText = strings.TrimSuffix(logText, "\n")
	}
	t, prec, n, ok := scanISO(stamp)
	if !ok || n != len(stamp) {
		return false
	}
	text := strings.TrimSuffix(logText, "\r")
	r := Record{Num: num, Text: text, Stamp: t, Precision: prec}
	if u.holding {
		u.held.Text += text
		r = u.held
	}
	if !whole {
		u.held, u.holding = r, true
		return true
	}
	u.held, u.holding = Record{}, false
	out(r)
	return true
}

// flat reads a line of string members (flatMembers) as decoding into a
// struct with fields log, stream and time does: a key matches a field
// whatever its case, and a key given twice keeps its last value. A key
// outside ASCII, which encoding/json may fold onto a field as Unicode does
// (ſ for s), is left to decodeDockerJSON, as is any line flatMembers
// leaves.
//
// A log that ends in a newline (the line whole) comes without it, and
// whole set.
func (u *dockerJSON) flat(line string) (logText string, whole bool, stamp string, ok bool) {
	var flat bool
	if u.members, flat = flatMembers(line, u.members); !flat {
		return "", false, "", false
	}
	hasLog := false
	for _, m := range u.members {
		for i := 0; i < len(m.key); i++ {
			if m.key[i] >= utf8.RuneSelf {
				return "", false, "", false
			}
		}
		switch {
		case strings.EqualFold(m.key, "log"):
			logText, whole, hasLog = m.value, m.newline, true
			if !whole && strings.HasSuffix(logText, "\n") {
				// Decoded whole, as it held other escapes too: its
				// newline is its last byte.
				logText, whole = logText[:len(logText)-1], true
			}
		case strings.EqualFold(m.key, "time"):
			stamp = m.text()
		}
	}
	// Read whole: without a log, the line is no json-file line, which
	// decodeDockerJSON would say too.
	return logText, whole, stamp, hasLog
}

// decodeDockerJSON reads a json-file line through encoding/json.
func decodeDockerJSON(line string) (logText, stamp string, ok bool) {
	var obj struct {
		Log    *string `json:"log"`
		Stream string  `json:"stream"`
		Time   string  `json:"time"`
	}
	if err := json.Unmarshal([]byte(line), &obj); err != nil || obj.Log == nil {
		return "", "", false
	}
	return *obj.Log, obj.Time, true
}

func (u *dockerJSON) Flush(out func(Record)) {
	if u.holding {
		out(u.held)
		u.held, u.holding = Record{}, false
	}
}

// desktopKind: logs copied from Docker Desktop's log view, each line after
// the time the view shows, in the viewer's zone and to the second.
var desktopKind = lineKind("docker desktop", true,
	`2025-01-24 09:02:39 2025-01-24 01:02:39.810 UTC [1] LOG:  redirecting log output to logging collector process`,
	func(c *parser.Clock, line string) (Record, bool) {
		if len(line) > 19 && line[19] != ' ' {
			return Record{}, false
		}
		return viewerRecord(c, line, 0, time.Second, cutSpace(line[min(len(line), 19):]))
	})

// grafanaKind: logs copied from Grafana's log view (Loki in Explore or a
// dashboard): the time the log store has for each line, in the viewer's
// zone and to the millisecond, a tab, then the line.
var grafanaKind = lineKind("grafana", true,
	"2024-03-26 14:03:21.874\tTue Mar 26 14:03:21 2024 - *** HARAKIRI ON WORKER 2 (pid: 289, try: 1, graceful: yes) ***",
	func(c *parser.Clock, line string) (Record, bool) {
		if len(line) < 24 || line[19] != '.' || line[23] != '\t' {
			return Record{}, false
		}
		ms, ok := num(line, 20, 3)
		if !ok {
			return Record{}, false
		}
		return viewerRecord(c, line, ms*int(time.Millisecond), time.Millisecond, line[24:])
	})

// viewerRecord reads the "YYYY-MM-DD HH:MM:SS" a log viewer writes before
// each line it shows, in the viewer's zone, and gives the line, text, that
// follows its prefix the time it shows, nsec past that second.
func viewerRecord(c *parser.Clock, line string, nsec int, prec time.Duration, text string) (Record, bool) {
	y, mo, d, h, mi, s, ok := scanDateTime(line, ' ')
	if !ok {
		return Record{}, false
	}
	r := Record{Text: text, Precision: prec}
	if c != nil {
		r.Stamp, r.Naive = c.Date(y, mo, d, h, mi, s, nsec), true
	}
	return r, true
}
