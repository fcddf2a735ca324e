package parser

import (
	"fmt"
	"sort"
	"strings"
)

// Format names a log format logcorr reads.
type Format string

const (
	FormatRunserver Format = "runserver"
	FormatPgBouncer Format = "pgbouncer"
	FormatPostgres  Format = "postgresql"
	FormatPython    Format = "python"
	FormatAccess    Format = "access"
)

// Spec says how to parse one source: a format, and for Python logging files
// the logging format string.
type Spec struct {
	Format Format
	Py     *PyFormat
	// PG is PostgreSQL's log_line_prefix, when the user gave it.
	PG *PGPrefix
}

func (s Spec) String() string {
	switch {
	case s.Format == FormatPython && s.Py != nil:
		return "python:" + s.Py.Source
	case s.Format == FormatPostgres && s.PG != nil:
		return "postgresql:" + s.PG.Source
	}
	return string(s.Format)
}

// PyPresets are logging formats worth a name: Django's documented ones and
// shapes common in projects and tools.
var PyPresets = []struct {
	Name, Format string
}{
	{"django-verbose", "{levelname} {asctime} {module} {process:d} {thread:d} {message}"},
	{"django-verbose-percent", "%(levelname)s %(asctime)s %(module)s %(process)d %(thread)d %(message)s"},
	{"django-simple", "{levelname} {message}"},
	{"basic", "%(asctime)s %(levelname)s %(name)s: %(message)s"},
	{"bracket-level", "%(asctime)s [%(levelname)s] %(name)s: %(message)s"},
	{"cookbook", "%(asctime)s - %(name)s - %(levelname)s - %(message)s"},
	{"locust", "[%(asctime)s] %(hostname)s/%(levelname)s/%(name)s: %(message)s"},
	{"gunicorn", "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"},
}

// ParseSpec reads a format as a user names it: "runserver", "pgbouncer",
// "postgresql" or "postgresql:LOG_LINE_PREFIX", a preset name
// ("django-verbose"), or "python:FORMAT" with a logging format string in
// either style.
func ParseSpec(s string) (Spec, error) {
	switch Format(s) {
	case FormatRunserver, FormatPgBouncer, FormatPostgres, FormatAccess:
		return Spec{Format: Format(s)}, nil
	}
	if f, ok := strings.CutPrefix(s, "postgresql:"); ok {
		pg, err := CompilePGPrefix(f)
		if err != nil {
			return Spec{}, err
		}
		return Spec{Format: FormatPostgres, PG: pg}, nil
	}
	if f, ok := strings.CutPrefix(s, "python:"); ok {
		pf, err := CompilePyFormat(f)
		if err != nil {
			return Spec{}, err
		}
		return Spec{Format: FormatPython, Py: pf}, nil
	}
	for _, p := range PyPresets {
		if p.Name == s {
			pf, err := CompilePyFormat(p.Format)
			if err != nil {
				return Spec{}, fmt.Errorf("preset %s: %w", s, err)
			}
			return Spec{Format: FormatPython, Py: pf}, nil
		}
	}
	return Spec{}, fmt.Errorf("unknown log format %q (want runserver, access, pgbouncer, postgresql, postgresql:LOG_LINE_PREFIX, a preset such as django-verbose, or python:FORMAT)", s)
}

// New returns the parser this spec describes.
func (s Spec) New(clock *Clock, emit Emit) Parser {
	switch s.Format {
	case FormatRunserver:
		return NewRunserver(clock, emit)
	case FormatPgBouncer:
		return NewPgBouncer(clock, emit)
	case FormatPostgres:
		return NewPostgres(clock, emit, s.PG)
	case FormatAccess:
		return NewAccess(clock, emit)
	default:
		return NewPyLogging(s.Py, clock, emit)
	}
}

// Detection is a candidate format with the number of sample lines it
// recognised as the start of a record.
type Detection struct {
	Spec  Spec
	Lines int
}

// Detect picks the format that recognises the most record starts among the
// first lines of a source. Candidates are the fixed formats, the logging
// presets and a format inferred from the lines themselves, so most Python
// logging files need no format string. ok is false when nothing fits.
func Detect(sample []string) (Detection, bool) {
	var cands []Detection
	add := func(s Spec) {
		cands = append(cands, Detection{Spec: s, Lines: countStarts(s, sample)})
	}
	add(Spec{Format: FormatRunserver})
	add(Spec{Format: FormatPgBouncer})
	add(Spec{Format: FormatPostgres})
	add(Spec{Format: FormatAccess})
	seen := map[string]bool{}
	for _, p := range PyPresets {
		if pf, err := CompilePyFormat(p.Format); err == nil {
			seen[pf.Source] = true
			add(Spec{Format: FormatPython, Py: pf})
		}
	}
	if f := inferPyFormat(sample); f != "" && !seen[f] {
		if pf, err := CompilePyFormat(f); err == nil {
			add(Spec{Format: FormatPython, Py: pf})
		}
	}
	// The most lines wins; on a tie the earlier candidate, so a named
	// format beats an inferred one that reads the same lines.
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Lines > cands[j].Lines })
	if len(cands) == 0 || cands[0].Lines == 0 {
		return Detection{}, false
	}
	return cands[0], true
}

// countStarts counts the sample lines that a format reads as the start of a
// record (for runserver: access lines, django.request records, banners).
func countStarts(s Spec, sample []string) int {
	n := 0
	var m pyMatch
	for _, raw := range sample {
		line := Clean(raw)
		switch s.Format {
		case FormatRunserver:
			var ev Event
			if _, k, ok := bracketStamp(line); ok && (parseRequestLine(strings.TrimLeft(line[k:], " "), &ev) || strings.Contains(line, "Broken pipe")) {
				n++
			} else if isRunserverBanner(line) || parseRequestLog(line, &ev, false) {
				n++
			}
		case FormatPgBouncer:
			if _, _, _, _, ok := parsePgBouncerHead(line); ok {
				n++
			}
		case FormatPostgres:
			if _, k, ok := scanStamp(line, true); ok {
				if sev, _, _ := findSeverity(line, k); sev != "" {
					n++
				}
			}
		case FormatPython:
			if s.Py.match(line, &m) {
				n++
			}
		case FormatAccess:
			var ev Event
			if _, at, ok := accessHead(line); ok && parseRequestLine(line[at:], &ev) {
				n++
			}
		}
	}
	return n
}
