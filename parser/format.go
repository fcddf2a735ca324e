package parser

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"sync"
)

// Family names the kind of program a log comes from, which decides what
// its lines can show (correlate.Cause.Shows, the summary's coverage).
type Family string

const (
	// FamilyDjango: the app's own logs (runserver's stderr, Python logging
	// files, JSON logging).
	FamilyDjango    Family = "django"
	FamilyPgBouncer Family = "pgbouncer"
	FamilyPostgres  Family = "postgresql"
	// FamilyAccess: an app server's access log (gunicorn, uWSGI's request
	// lines), written when the app's response went out.
	FamilyAccess   Family = "access"
	FamilyGunicorn Family = "gunicorn"
	// FamilyProxy: a reverse proxy in front of the app (nginx): its access
	// lines report the same requests as the app's, and its error log says
	// when the app did not answer.
	FamilyProxy  Family = "proxy"
	FamilyLocust Family = "locust"
)

// Format is one log format logcorr reads, declared once, in the format's
// own file: detection, the conformance suite, the fuzz targets, `logcorr
// formats` and docs/formats come from these declarations, so that a new
// format is one file plus its test data.
type Format struct {
	// Name is how --parser names it.
	Name    string
	Family  Family
	Summary string
	// Examples are real lines of the format, each a record of its own; the
	// first is the one `logcorr formats` shows. Every example must be
	// detected as this format and parse into one event.
	Examples []string
	// Option names the value a user may give after "NAME:" in --parser
	// (PREFIX, FORMAT); "" for a format that takes none. NeedsOption: the
	// format cannot be named without it (detection proposes its values).
	Option      string
	NeedsOption bool
	// Rank orders formats in listings and breaks detection ties: a fixed
	// format before an inferred one that reads the same lines.
	Rank int

	// starts reports whether a line opens a record of this format, for
	// detection and for telling one program's lines from another's in a
	// stream that mixes them. It must be cheap on lines that do not.
	starts func(s Spec, line string) bool
	// loose, when set, recognises lines that open a record of this format
	// only when no program's open record takes them: a bare traceback on
	// a stderr that other programs write to as well.
	loose func(line string) bool
	// own, when set, recognises lines that open a record of this format
	// in a stream where its program is known to write, and only there:
	// they look like other programs' lines too (uWSGI's "os: …" banner),
	// so they make no source of this format by themselves.
	own   func(line string) bool
	build func(s Spec, c *Clock, emit Emit) Parser
	// claims, when set, says the format is the one for a source whose lines
	// another format reads as well (an nginx access log is an app
	// server's access log by its lines): by the source's name, or by what
	// only some of its lines show.
	claims func(name string, sample []string) bool
	// variants proposes the specs of the format that can read a sample
	// (Python logging's format strings); nil for a format with one spec.
	variants func(f *Format, sample []string) []Spec
	// withOption compiles the value after "NAME:".
	withOption func(f *Format, opt string) (Spec, error)
}

var registry []*Format

// register adds a format to the registry; each format's file calls it once.
func register(f *Format) *Format {
	if f.Name == "" || f.starts == nil || f.build == nil || f.Family == "" {
		panic("parser: incomplete format " + f.Name)
	}
	for _, g := range registry {
		if g.Name == f.Name {
			panic("parser: format registered twice: " + f.Name)
		}
	}
	registry = append(registry, f)
	sort.SliceStable(registry, func(i, j int) bool { return registry[i].Rank < registry[j].Rank })
	return f
}

// Formats lists the registered formats in rank order.
func Formats() []*Format { return registry }

// Lookup finds a registered format by name.
func Lookup(name string) *Format {
	for _, f := range registry {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Spec says how to parse one source: a format and, for formats that take
// one, the option (a Python logging format string, a log_line_prefix).
type Spec struct {
	Format *Format
	Py     *PyFormat
	// PG is PostgreSQL's log_line_prefix, when the user gave it.
	PG *PGPrefix
}

// SpecOf is the plain spec of a format, with no option.
func SpecOf(f *Format) Spec { return Spec{Format: f} }

// Name is the format's name ("" for the zero Spec).
func (s Spec) Name() string {
	if s.Format == nil {
		return ""
	}
	return s.Format.Name
}

func (s Spec) String() string {
	switch {
	case s.Py != nil:
		return s.Name() + ":" + s.Py.Source
	case s.PG != nil:
		return s.Name() + ":" + s.PG.Source
	}
	return s.Name()
}

// Family is the kind of program the source comes from. A Python logging
// format that is a known server's (gunicorn's, Locust's) is that server's.
func (s Spec) Family() Family {
	if s.Py != nil {
		for _, p := range PyPresets {
			if p.Family != "" && p.Format == s.Py.Source {
				return p.Family
			}
		}
	}
	if s.Format == nil {
		return ""
	}
	return s.Format.Family
}

// Starts reports whether a line opens a record of this spec.
func (s Spec) Starts(line string) bool { return s.Format.starts(s, line) }

// New returns the parser this spec describes.
func (s Spec) New(clock *Clock, emit Emit) Parser { return s.Format.build(s, clock, emit) }

// ParseSpec reads a format as a user names it: a registered format's name,
// NAME:OPTION for one that takes an option (postgresql:LOG_LINE_PREFIX,
// python:FORMAT), or a Python logging preset's name (django-verbose).
func ParseSpec(s string) (Spec, error) {
	if f := Lookup(s); f != nil && !f.NeedsOption {
		return Spec{Format: f}, nil
	}
	if name, opt, ok := strings.Cut(s, ":"); ok {
		if f := Lookup(name); f != nil && f.withOption != nil {
			return f.withOption(f, opt)
		}
	}
	for _, p := range PyPresets {
		if p.Name == s {
			pf, err := CompilePyFormat(p.Format)
			if err != nil {
				return Spec{}, fmt.Errorf("preset %s: %w", s, err)
			}
			return Spec{Format: Lookup("python"), Py: pf}, nil
		}
	}
	var names []string
	for _, f := range registry {
		if !f.NeedsOption {
			names = append(names, f.Name)
		}
		if f.Option != "" {
			names = append(names, f.Name+":"+f.Option)
		}
	}
	return Spec{}, fmt.Errorf("unknown log format %q (want %s, or a preset such as django-verbose)", s, strings.Join(names, ", "))
}

// Detection is a candidate spec with the number of sample lines it
// recognised as the start of a record.
type Detection struct {
	Spec  Spec
	Lines int
}

// candidates are the specs detection tries on a sample, in rank order.
func candidates(sample []string) []Spec {
	var out []Spec
	for _, f := range registry {
		if f.variants != nil {
			out = append(out, f.variants(f, sample)...)
			continue
		}
		out = append(out, Spec{Format: f})
	}
	return out
}

// Detect picks the spec that recognises the most record starts among the
// first lines of a source. ok is false when nothing fits.
func Detect(sample []string) (Detection, bool) { return DetectFor("", sample) }

// DetectFor is Detect for a source with a name (a file, a compose service):
// among specs that read as many lines, one whose format claims the source
// (by its name, or what its lines show) wins.
func DetectFor(name string, sample []string) (Detection, bool) { return detect(name, sample, true) }

// detect is DetectFor; loose lets a format's loose record starts decide
// when no format recognises any line (not for one line of a stream, where
// a bare traceback is another record's part).
//
// A file's first lines are detected when it is opened, again to judge
// whether it is a log at all, again for the year its times carry, and
// twice more when the zone survey opens it anew: inferring a Python
// logging format from 2,000 lines took 40% of the CPU of analyzing the
// shipped incident. The answer depends on the name, the lines and loose
// alone, so the last few are remembered by a 128-bit hash of them (a
// sample's lines are not kept). Samples of a few lines, as a stream asks
// of one line it cannot place, are not worth a hash.
func detect(name string, sample []string, loose bool) (Detection, bool) {
	if len(sample) < detectionsFrom {
		return detectNow(name, sample, loose)
	}
	key := detectionKey(name, sample, loose)
	if d, ok, found := detections.recall(key); found {
		return d, ok
	}
	d, ok := detectNow(name, sample, loose)
	detections.remember(key, d, ok)
	return d, ok
}

// detectionsFrom is the least lines a sample remembered has.
const detectionsFrom = 64

// detections are the last samples detected and what was found.
var detections detectionMemo

type detectionMemo struct {
	mu     sync.Mutex
	recent [16]struct {
		key   [2]uint64
		found Detection
		ok    bool
	}
	next int
	// hits counts the answers recalled, for tests.
	hits int
}

var detectionSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// detectionKey hashes everything detection depends on, twice over with
// seeds of their own.
func detectionKey(name string, sample []string, loose bool) [2]uint64 {
	var key [2]uint64
	for i, seed := range detectionSeeds {
		var h maphash.Hash
		h.SetSeed(seed)
		h.WriteString(name)
		h.WriteByte(0)
		if loose {
			h.WriteByte(1)
		}
		for _, l := range sample {
			// Each line's length first, so that lines cannot be
			// told apart only by where they split.
			var n [8]byte
			for k := range n {
				n[k] = byte(len(l) >> (8 * k))
			}
			h.Write(n[:])
			h.WriteString(l)
		}
		key[i] = h.Sum64()
	}
	return key
}

func (m *detectionMemo) recall(key [2]uint64) (Detection, bool, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recent {
		if r.key == key && r.key != ([2]uint64{}) {
			m.hits++
			return r.found, r.ok, true
		}
	}
	return Detection{}, false, false
}

func (m *detectionMemo) remember(key [2]uint64, d Detection, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := &m.recent[m.next]
	r.key, r.found, r.ok = key, d, ok
	m.next = (m.next + 1) % len(m.recent)
}

func detectNow(name string, sample []string, loose bool) (Detection, bool) {
	cleaned := make([]string, len(sample))
	for i, l := range sample {
		cleaned[i] = Clean(l)
	}
	var best []Detection
	for _, s := range candidates(cleaned) {
		n := 0
		for _, l := range cleaned {
			if s.Starts(l) {
				n++
			}
		}
		switch {
		case n == 0:
		case len(best) == 0 || n > best[0].Lines:
			best = []Detection{{Spec: s, Lines: n}}
		case n == best[0].Lines:
			best = append(best, Detection{Spec: s, Lines: n})
		}
	}
	if len(best) == 0 {
		if loose {
			return detectLoose(cleaned)
		}
		return Detection{}, false
	}
	for _, d := range best {
		if d.Spec.Format.claims != nil && d.Spec.Format.claims(name, cleaned) {
			return d, true
		}
	}
	// Otherwise the earlier candidate: a named format beats an inferred
	// one that reads the same lines, and one no other claims beats one
	// that needs a claim.
	for _, d := range best {
		if d.Spec.Format.claims == nil {
			return d, true
		}
	}
	return best[0], true
}

// detectLoose is the last resort of detection: a stream whose only records
// are those a format opens loosely (a process's stderr holding nothing but
// tracebacks) is that format's.
func detectLoose(sample []string) (Detection, bool) {
	var best Detection
	for _, f := range registry {
		if f.loose == nil {
			continue
		}
		n := 0
		for _, l := range sample {
			if f.loose(l) {
				n++
			}
		}
		if n > best.Lines {
			best = Detection{Spec: SpecOf(f), Lines: n}
		}
	}
	return best, best.Lines > 0
}
