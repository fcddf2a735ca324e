// Package shapes rewrites a real capture's logs the way production keeps
// them: wrapped by a container runtime, journald, syslog or Heroku, or
// several programs written into one stream. Tests read each shape with
// logcorr and expect the chains of the bare files; Make says, for every
// line, where it went, so that chains can be compared line for line.
//
// Nothing here invents a log line: every program line is the capture's,
// byte for byte, in its file's order. What a shape adds is what its
// collector adds: a prefix, a JSON object, a time. The collector's time of
// a line is the line's own time when it has one (as a runtime reading the
// program's pipe would record it, a few microseconds later), else the time
// of the next line of its file that has one (runserver's error records
// carry none; they are written just before the access line that ends
// their request), and never earlier than the line before it: collectors
// stamp lines in the order they read them.
//
// How the capture's files map to a deployment: runserver's stderr and
// stdout are the web container's (service web-1, journald identifier
// ahsp-web), pgbouncer.log is PgBouncer's output (pgbouncer-1), and
// postgresql.log PostgreSQL's (db-1); django_errors.log and auth_debug.log
// are files the app's logging handlers write inside the container, and
// Locust's files belong to the load generator: those stay as they are.
package shapes

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Pos is a line of a file, by its base name.
type Pos struct {
	File string
	Line int
}

// Map says where each line of the capture went: the file (base name) and
// line of the shape where the line, or its first piece, is.
type Map map[Pos]Pos

// Shape is one way production keeps logs.
type Shape struct {
	Name string
	// Doc says what writes this shape and how it is made from a capture.
	Doc  string
	make func(c *capture, out string) (Map, error)
	// ModTime, when set, is given to the files made (a log copied later).
	ModTime time.Time
	// Coarse: the collector's times are to the second, and PgBouncer's
	// lines have no other (it hands the journal its message alone), so
	// which of several pool timeouts of one second a request claims is
	// not in the shape's lines.
	Coarse bool
}

// Make writes the shape of the capture whose logs are in logs (files may
// be gzipped) into out, which must exist. Naive times in the capture are
// read in zone.
func (s Shape) Make(logs, out string, zone *time.Location) (Map, error) {
	c, err := load(logs, zone)
	if err != nil {
		return nil, err
	}
	m, err := s.make(c, out)
	if err != nil {
		return nil, err
	}
	for _, f := range c.kept {
		if err := os.WriteFile(filepath.Join(out, f.name), []byte(strings.Join(f.lines, "\n")+"\n"), 0o644); err != nil {
			return nil, err
		}
		for i := range f.lines {
			m[Pos{f.name, i + 1}] = Pos{f.name, i + 1}
		}
	}
	if !s.ModTime.IsZero() {
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			if err := os.Chtimes(filepath.Join(out, e.Name()), s.ModTime, s.ModTime); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// program is one program's output in the capture, with each line's time.
type program struct {
	name    string // base name of its file in the capture
	service string // compose service, container
	ident   string // journald/syslog identifier
	pid     int
	stream  string // stdout or stderr
	lines   []string
	at      []time.Time // the collector's time of each line
	timed   []bool      // whether the line has a time of its own
	// continues: the lines without a time go on the record before them (a
	// logging record's traceback), rather than being records of their own
	// (runserver's error records, written before their access line).
	continues bool
}

type capture struct {
	progs []*program // in the order of a deployment's services
	kept  []*file    // files that stay as they are
	zone  *time.Location
}

// takeKept turns a kept file into a program's output (its lines written to
// a stream rather than a file of their own).
func (c *capture) takeKept(name, service, ident, stream string, pid int) *program {
	for i, f := range c.kept {
		if f.name == name {
			c.kept = append(c.kept[:i], c.kept[i+1:]...)
			p := &program{name: name, service: service, ident: ident, stream: stream, pid: pid, lines: f.lines, continues: true}
			p.at, p.timed = collectorTimes(f.lines, c.zone)
			return p
		}
	}
	return nil
}

type file struct {
	name  string
	lines []string
}

// services say which capture files are which programs' output.
var services = []struct {
	file, service, ident, stream string
	pid                          int
}{
	{"runserver_8000.out.log", "web-1", "ahsp-web", "stdout", 28488},
	{"runserver_8000.err.log", "web-1", "ahsp-web", "stderr", 28488},
	{"pgbouncer.log", "pgbouncer-1", "pgbouncer", "stderr", 28431},
	{"postgresql.log", "db-1", "postgres", "stderr", 28391},
}

func load(dir string, zone *time.Location) (*capture, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string][]string{}
	var names []string
	for _, e := range entries {
		b, err := readMaybeGz(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(e.Name(), ".gz")
		files[name] = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		names = append(names, name)
	}
	sort.Strings(names)
	c := &capture{zone: zone}
	for _, s := range services {
		lines, ok := files[s.file]
		if !ok {
			continue
		}
		p := &program{name: s.file, service: s.service, ident: s.ident, stream: s.stream, pid: s.pid, lines: lines}
		p.at, p.timed = collectorTimes(lines, zone)
		c.progs = append(c.progs, p)
		delete(files, s.file)
	}
	for _, n := range names {
		if lines, ok := files[n]; ok {
			c.kept = append(c.kept, &file{n, lines})
		}
	}
	return c, nil
}

func readMaybeGz(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return b, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// The capture's own times: runserver's [27/Nov/2026 00:15:17] and
// [27/Nov/2026 00:08:34,981], its banner's November 27, 2026 - 00:15:02,
// and PgBouncer's and PostgreSQL's 2026-11-26 17:15:09.716 UTC.
var (
	bracketTime = regexp.MustCompile(`^\[(\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d)(,\d{3})?\]`)
	bannerTime  = regexp.MustCompile(`^(\w+ \d\d, \d{4} - \d\d:\d\d:\d\d)$`)
	utcTime     = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC `)
	// django_errors.log's verbose records: ERROR 2026-11-27 00:15:17,087 …
	asctime = regexp.MustCompile(`^[A-Z]+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) `)
)

func ownTime(line string, zone *time.Location) (time.Time, bool) {
	if m := bracketTime.FindStringSubmatch(line); m != nil {
		t, err := time.ParseInLocation("02/Jan/2006 15:04:05", m[1], zone)
		if m[2] != "" {
			var ms int
			fmt.Sscanf(m[2][1:], "%d", &ms)
			t = t.Add(time.Duration(ms) * time.Millisecond)
		}
		return t, err == nil
	}
	if m := bannerTime.FindStringSubmatch(line); m != nil {
		t, err := time.ParseInLocation("January 02, 2006 - 15:04:05", m[1], zone)
		return t, err == nil
	}
	if m := utcTime.FindStringSubmatch(line); m != nil {
		t, err := time.Parse("2006-01-02 15:04:05.000", m[1])
		return t, err == nil
	}
	if m := asctime.FindStringSubmatch(line); m != nil {
		t, err := time.ParseInLocation("2006-01-02 15:04:05", m[1], zone)
		var ms int
		fmt.Sscanf(m[2], "%d", &ms)
		return t.Add(time.Duration(ms) * time.Millisecond), err == nil
	}
	return time.Time{}, false
}

// collectorTimes dates each line as a collector reading the program's
// output would: at its own time, or the next timed line's, a microsecond
// per line later, and never before the line before.
func collectorTimes(lines []string, zone *time.Location) ([]time.Time, []bool) {
	at := make([]time.Time, len(lines))
	timed := make([]bool, len(lines))
	var next time.Time
	for i := len(lines) - 1; i >= 0; i-- {
		if t, ok := ownTime(lines[i], zone); ok {
			next, timed[i] = t, true
		}
		at[i] = next
	}
	var last time.Time
	for i := range at {
		if at[i].IsZero() {
			at[i] = last // untimed lines after the last timed one
		}
		at[i] = at[i].Add(time.Microsecond)
		if !at[i].After(last) {
			at[i] = last.Add(time.Microsecond)
		}
		last = at[i]
	}
	return at, timed
}

// line is one program line placed in a shape's stream.
type line struct {
	p *program
	i int
}

func (l line) text() string    { return l.p.lines[l.i] }
func (l line) at() time.Time   { return l.p.at[l.i] }
func (l line) from() Pos       { return Pos{l.p.name, l.i + 1} }
func (l line) service() string { return l.p.service }

// merged interleaves programs' lines by collector time, each program's in
// its own order, as one stream collecting them all would hold them. A
// program writes a record and its traceback in one write, so the lines up
// to the next one with a time of its own stay together.
func merged(progs []*program) []line {
	var out []line
	next := make([]int, len(progs))
	for {
		best := -1
		for k, p := range progs {
			if next[k] < len(p.lines) && (best < 0 || p.at[next[k]].Before(progs[best].at[next[best]])) {
				best = k
			}
		}
		if best < 0 {
			return out
		}
		p := progs[best]
		for {
			out = append(out, line{p, next[best]})
			next[best]++
			if next[best] >= len(p.lines) || p.timed[next[best]] || !p.continues && p.timed[next[best]-1] {
				break
			}
		}
	}
}

// byService groups programs by the container that runs them.
func byService(progs []*program) ([]string, map[string][]*program) {
	var order []string
	m := map[string][]*program{}
	for _, p := range progs {
		if m[p.service] == nil {
			order = append(order, p.service)
		}
		m[p.service] = append(m[p.service], p)
	}
	return order, m
}

// writer writes a shape's file, a record (one or more lines) per program
// line, and notes where each went.
type writer struct {
	name string
	buf  bytes.Buffer
	n    int
	m    Map
}

func (w *writer) put(from Pos, text ...string) {
	w.m[from] = Pos{w.name, w.n + 1}
	for _, t := range text {
		w.buf.WriteString(t)
		w.buf.WriteByte('\n')
		w.n++
	}
}

func (w *writer) save(dir string) error {
	return os.WriteFile(filepath.Join(dir, w.name), w.buf.Bytes(), 0o644)
}

// oneFile writes all programs into one file, line by line.
func oneFile(name string, c *capture, out string, format func(l line) []string) (Map, error) {
	w := &writer{name: name, m: Map{}}
	for _, l := range merged(c.progs) {
		w.put(l.from(), format(l)...)
	}
	return w.m, w.save(out)
}

// inBlocks writes all programs into one file, one container's lines after
// another's, in the order the containers first wrote.
func inBlocks(name string, c *capture, out string, format func(l line) []string) (Map, error) {
	w := &writer{name: name, m: Map{}}
	order, groups := byService(c.progs)
	for _, s := range order {
		for _, l := range merged(groups[s]) {
			w.put(l.from(), format(l)...)
		}
	}
	return w.m, w.save(out)
}

// perService writes one file per container.
func perService(c *capture, out string, name func(service string) string, format func(l line) []string) (Map, error) {
	m := Map{}
	order, groups := byService(c.progs)
	for _, s := range order {
		w := &writer{name: name(s), m: m}
		for _, l := range merged(groups[s]) {
			w.put(l.from(), format(l)...)
		}
		if err := w.save(out); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func nano(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// pieces splits a long line as runtimes split lines longer than their
// buffer (16 KiB); the capture's lines are shorter, so the shapes split at
// width to make the pieces appear at all.
func pieces(s string, width int) []string {
	var out []string
	for len(s) > width {
		out = append(out, s[:width])
		s = s[width:]
	}
	return append(out, s)
}

// pgbouncerSyslogMessage is what PgBouncer hands syslog or the journal for
// a line of its log file: the message without its time, pid and level
// (libusual's log_generic sends syslog(prio, "%s", msg)); the level
// becomes the entry's priority.
func pgbouncerSyslogMessage(l line) string {
	t := l.text()
	if l.p.ident != "pgbouncer" {
		return t
	}
	if m := utcTime.FindStringIndex(t); m != nil {
		rest := t[m[1]:]
		if sp := strings.IndexByte(rest, ' '); sp > 0 && strings.HasPrefix(rest, "[") {
			rest = rest[sp+1:]
			if sp := strings.IndexByte(rest, ' '); sp > 0 {
				return rest[sp+1:]
			}
		}
	}
	return t
}

// All lists the shapes.
func All() []Shape {
	jakarta, _ := time.LoadLocation("Asia/Jakarta")
	return []Shape{
		{Name: "docker-t", Doc: "docker logs -t CONTAINER (and kubectl logs --timestamps): each line after the time the runtime read it, " +
			"RFC 3339 with nanoseconds in UTC; stdout and stderr to the files they were redirected to",
			make: func(c *capture, out string) (Map, error) {
				m := Map{}
				for _, p := range c.progs {
					w := &writer{name: p.name, m: m}
					for i, t := range p.lines {
						w.put(Pos{p.name, i + 1}, nano(p.at[i])+" "+t)
					}
					if err := w.save(out); err != nil {
						return nil, err
					}
				}
				return m, nil
			}},
		{Name: "compose", Doc: "docker compose logs: every service's lines in one stream, after the service's name padded to the longest and a bar",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("compose.log", c, out, func(l line) []string {
					return []string{fmt.Sprintf("%-11s | %s", l.service(), l.text())}
				})
			}},
		{Name: "compose-t", Doc: "docker compose logs -t: as compose, with the runtime's time after the bar",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("compose.log", c, out, func(l line) []string {
					return []string{fmt.Sprintf("%-11s | %s %s", l.service(), nano(l.at()), l.text())}
				})
			}},
		{Name: "compose-blocks", Doc: "docker compose logs as it often prints a finished run (and always with services named: docker compose logs web db): " +
			"each service's lines in a block of their own, one service after another, not in time order across services (docker/compose#10377)",
			make: func(c *capture, out string) (Map, error) {
				return inBlocks("compose.log", c, out, func(l line) []string {
					return []string{fmt.Sprintf("%-11s | %s", l.service(), l.text())}
				})
			}},
		{Name: "kubectl-prefix", Doc: "kubectl logs -l app=ahsp --all-containers --prefix --timestamps: each line after [pod/POD/CONTAINER] and the runtime's time; " +
			"without -f kubectl writes one pod's log after another",
			make: func(c *capture, out string) (Map, error) {
				return inBlocks("pods.log", c, out, func(l line) []string {
					container := strings.TrimSuffix(l.service(), "-1")
					return []string{fmt.Sprintf("[pod/ahsp-%s-7d9c6b6f5-x2x4k/%s] %s %s", container, container, nano(l.at()), l.text())}
				})
			}},
		{Name: "docker-json", Doc: "Docker's json-file driver, /var/lib/docker/containers/ID/ID-json.log: one object per line with the line, " +
			"its stream and the runtime's time; lines over 100 bytes are split into pieces whose log has no newline, as the runtime splits lines over 16 KiB",
			make: func(c *capture, out string) (Map, error) {
				return perService(c, out, func(s string) string { return s + "-json.log" }, func(l line) []string {
					var recs []string
					ps := pieces(l.text(), 100)
					for k, piece := range ps {
						if k == len(ps)-1 {
							piece += "\n"
						}
						b, _ := json.Marshal(struct {
							Log    string `json:"log"`
							Stream string `json:"stream"`
							Time   string `json:"time"`
						}{piece, l.p.stream, nano(l.at())})
						recs = append(recs, string(b))
					}
					return recs
				})
			}},
		{Name: "cri", Doc: "Kubernetes CRI log files (containerd, CRI-O) under /var/log/pods: time, stream, F for a whole line or P for a piece of one " +
			"(lines over 100 bytes are split, as the runtime splits lines over 16 KiB), the line",
			make: func(c *capture, out string) (Map, error) {
				return perService(c, out, func(s string) string { return strings.TrimSuffix(s, "-1") + "_0.log" }, func(l line) []string {
					var recs []string
					ps := pieces(l.text(), 100)
					for k, piece := range ps {
						tag := "P"
						if k == len(ps)-1 {
							tag = "F"
						}
						recs = append(recs, fmt.Sprintf("%s %s %s %s", nano(l.at()), l.p.stream, tag, piece))
					}
					return recs
				})
			}},
		{Name: "journald-short", Coarse: true, Doc: "journalctl -o short (and rsyslog's /var/log/syslog, RFC 3164): the time without year or zone in the viewer's zone " +
			"(here the app's, Asia/Jakarta), host, identifier[pid]; PgBouncer's message without its own time, pid and level, as it hands the journal",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("journal.log", c, out, func(l line) []string {
					return []string{fmt.Sprintf("%s vm %s[%d]: %s", l.at().In(jakarta).Format(time.Stamp), l.p.ident, l.p.pid, pgbouncerSyslogMessage(l))}
				})
			}},
		{Name: "journald-short-iso", Coarse: true, Doc: "journalctl -o short-iso: as short, with an ISO 8601 time to the second and its offset",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("journal.log", c, out, func(l line) []string {
					return []string{fmt.Sprintf("%s vm %s[%d]: %s", l.at().In(jakarta).Format("2006-01-02T15:04:05-0700"), l.p.ident, l.p.pid, pgbouncerSyslogMessage(l))}
				})
			}},
		{Name: "journald-short-iso-precise", Doc: "journalctl -o short-iso-precise (and rsyslog's RSYSLOG_FileFormat): as short-iso, to the microsecond",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("journal.log", c, out, func(l line) []string {
					return []string{fmt.Sprintf("%s vm %s[%d]: %s", l.at().In(jakarta).Format("2006-01-02T15:04:05.000000-07:00"), l.p.ident, l.p.pid, pgbouncerSyslogMessage(l))}
				})
			}},
		{Name: "journald-json", Doc: "journalctl -o json: one entry per line with its MESSAGE, __REALTIME_TIMESTAMP (microseconds), SYSLOG_IDENTIFIER, _PID, _HOSTNAME",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("journal.json", c, out, func(l line) []string {
					b, _ := json.Marshal(map[string]string{
						"__REALTIME_TIMESTAMP": fmt.Sprint(l.at().UnixMicro()), "_HOSTNAME": "vm", "SYSLOG_IDENTIFIER": l.p.ident,
						"_PID": fmt.Sprint(l.p.pid), "MESSAGE": pgbouncerSyslogMessage(l), "PRIORITY": "6",
					})
					return []string{string(b)}
				})
			}},
		{Name: "journald-export", Doc: "journalctl -o export: an entry is KEY=VALUE lines then a blank line; a MESSAGE holding a control character " +
			"(the tab of libpq's continuation lines) is binary: its key alone, then its length in 8 bytes, little-endian, then its bytes",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("journal.export", c, out, func(l line) []string {
					msg := pgbouncerSyslogMessage(l)
					rec := []string{
						"__REALTIME_TIMESTAMP=" + fmt.Sprint(l.at().UnixMicro()),
						"_HOSTNAME=vm",
						"SYSLOG_IDENTIFIER=" + l.p.ident,
						"_PID=" + fmt.Sprint(l.p.pid),
					}
					if strings.ContainsAny(msg, "\t\n") {
						var n [8]byte
						binary.LittleEndian.PutUint64(n[:], uint64(len(msg)))
						rec = append(rec, "MESSAGE", string(n[:])+msg)
					} else {
						rec = append(rec, "MESSAGE="+msg)
					}
					return append(rec, "")
				})
			}},
		{Name: "syslog-5424", Doc: "RFC 5424 syslog as rsyslog (RSYSLOG_SyslogProtocol23Format) and syslog-ng write it: <PRI>1, time, host, app, pid, " +
			"no message id, no structured data",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("syslog.log", c, out, func(l line) []string {
					return []string{fmt.Sprintf("<134>1 %s vm %s %d - - %s", l.at().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), l.p.ident, l.p.pid, pgbouncerSyslogMessage(l))}
				})
			}},
		{Name: "heroku", Doc: "heroku logs (and Dokku): time, then the dyno; PgBouncer runs in the web dyno (the PgBouncer buildpack), so its lines " +
			"and the app's share app[web.1]; PostgreSQL's come as app[postgres]",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("heroku.log", c, out, func(l line) []string {
					dyno := "app[web.1]"
					if l.p.ident == "postgres" {
						dyno = "app[postgres]"
					}
					return []string{fmt.Sprintf("%s %s: %s", l.at().UTC().Format("2006-01-02T15:04:05.000000-07:00"), dyno, l.text())}
				})
			}},
		{Name: "app-stderr", Doc: "Django's error records on the app's stderr as well as in django_errors.log's stead: a console handler with the " +
			"verbose formatter writes each record, traceback and all, to the stderr runserver writes its access lines and its own records to",
			make: func(c *capture, out string) (Map, error) {
				web := []*program{}
				for _, p := range c.progs {
					if p.service == "web-1" {
						web = append(web, p)
					}
				}
				if p := c.takeKept("django_errors.log", "web-1", "ahsp-web", "stderr", 28488); p != nil {
					web = append(web, p)
				}
				w := &writer{name: "app.err.log", m: Map{}}
				for _, l := range merged(web) {
					w.put(l.from(), l.text())
				}
				for _, p := range c.progs {
					if p.service == "web-1" {
						continue
					}
					pw := &writer{name: p.name, m: w.m}
					for i, t := range p.lines {
						pw.put(Pos{p.name, i + 1}, t)
					}
					if err := pw.save(out); err != nil {
						return nil, err
					}
				}
				return w.m, w.save(out)
			}},
		{Name: "one-stream", Doc: "several programs in one file with no envelope (a supervisor's, or a container's output kept by hand): " +
			"runserver's stderr and stdout, PgBouncer's and PostgreSQL's lines, interleaved in the order they were written",
			make: func(c *capture, out string) (Map, error) {
				return oneFile("server.log", c, out, func(l line) []string { return []string{l.text()} })
			}},
	}
}

// Named returns the shape called name.
func Named(name string) (Shape, bool) {
	for _, s := range All() {
		if s.Name == name {
			return s, true
		}
	}
	return Shape{}, false
}
