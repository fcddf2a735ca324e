package parser

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

type fieldClass uint8

const (
	clsLiteral fieldClass = iota
	clsTime               // asctime
	clsLevel              // levelname
	clsInt                // process, thread, lineno, levelno
	clsFloat              // created, relativeCreated, msecs
	clsWord               // name, module, funcName, filename: no spaces
	clsText               // threadName, processName: may hold spaces
	clsMessage            // message: the rest of the line
)

type fmtTok struct {
	class fieldClass
	lit   string // the literal, for clsLiteral
	name  string // the LogRecord attribute
	pad   bool   // a width was given: the value may be padded with spaces
	// zoneWord: the time is followed by a zone abbreviation (PostgreSQL).
	zoneWord bool
	// empty: the field may be written empty (PostgreSQL's user, database
	// and client of a background process: RDS's "UTC::@:[16814]:LOG:").
	empty bool
}

// PyFormat is a compiled Python logging format string.
type PyFormat struct {
	Source string // the format string as given
	toks   []fmtTok
}

var attrClass = map[string]fieldClass{
	"asctime": clsTime, "levelname": clsLevel, "message": clsMessage,
	"process": clsInt, "thread": clsInt, "lineno": clsInt, "levelno": clsInt,
	"created": clsFloat, "relativeCreated": clsFloat, "msecs": clsFloat,
	"name": clsWord, "module": clsWord, "funcName": clsWord, "filename": clsWord, "pathname": clsWord,
	"threadName": clsText, "processName": clsText, "taskName": clsWord,
}

// CompilePyFormat compiles a logging format in %-style
// ("%(asctime)s %(levelname)s %(message)s") or {-style
// ("{levelname} {asctime} {message}"); the style is told by which
// placeholders it uses.
func CompilePyFormat(f string) (*PyFormat, error) {
	var toks []fmtTok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, fmtTok{class: clsLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	brace := strings.Contains(f, "{") && !strings.Contains(f, "%(")
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case !brace && c == '%' && i+1 < len(f) && f[i+1] == '%':
			lit.WriteByte('%')
			i++
		case !brace && c == '%' && i+1 < len(f) && f[i+1] == '(':
			end := strings.IndexByte(f[i:], ')')
			if end < 0 {
				return nil, fmt.Errorf("format %q: unclosed %%( at byte %d", f, i)
			}
			name := f[i+2 : i+end]
			j := i + end + 1
			spec := j
			for j < len(f) && strings.IndexByte("#0- +123456789.", f[j]) >= 0 {
				j++
			}
			if j >= len(f) || strings.IndexByte("sdifrxXeEgGc", f[j]) < 0 {
				return nil, fmt.Errorf("format %q: %%(%s) has no conversion type", f, name)
			}
			flush()
			toks = append(toks, newFieldTok(name, j > spec))
			i = j
		case brace && c == '{' && i+1 < len(f) && f[i+1] == '{':
			lit.WriteByte('{')
			i++
		case brace && c == '}' && i+1 < len(f) && f[i+1] == '}':
			lit.WriteByte('}')
			i++
		case brace && c == '{':
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("format %q: unclosed { at byte %d", f, i)
			}
			inner := f[i+1 : i+end]
			name, spec, _ := strings.Cut(inner, ":")
			name, _, _ = strings.Cut(name, "!")
			flush()
			toks = append(toks, newFieldTok(name, strings.ContainsAny(spec, "0123456789")))
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	pf := &PyFormat{Source: f, toks: toks}
	hasTime := false
	for _, t := range toks {
		if t.class == clsTime || (t.class == clsFloat && t.name == "created") {
			hasTime = true
		}
	}
	if !hasTime {
		return nil, fmt.Errorf("format %q has no asctime or created field: its records cannot be placed in time", f)
	}
	return pf, nil
}

func newFieldTok(name string, pad bool) fmtTok {
	cls, ok := attrClass[name]
	if !ok {
		cls = clsWord // extra= attributes and adapters' fields: one word
	}
	return fmtTok{class: cls, name: name, pad: pad}
}

// String returns the format in %-style, as it would be written in settings.
func (f *PyFormat) String() string { return f.Source }

// pyMatch collects what a record line says while it is matched.
type pyMatch struct {
	st      stamp
	hasTime bool
	created float64
	msecs   float64
	level   string
	msg     string
	fields  [8]struct{ k, v string }
	nfields int
}

// Match reads the prefix of a record's first line. It is hand-written rather
// than a regexp because it runs on every line of the file to tell record
// starts from traceback lines.
func (f *PyFormat) match(line string, m *pyMatch) bool {
	m.reset()
	return f.matchFrom(0, line, 0, m)
}

// reset readies m for another line. The fields past nfields are never
// read, so they are not zeroed: zeroing all eight on every line tried, a
// traceback's too, cost a write barrier per string while the collector
// marked.
func (m *pyMatch) reset() {
	m.st, m.hasTime, m.created, m.msecs, m.level, m.msg, m.nfields = stamp{}, false, 0, 0, "", "", 0
}

func (f *PyFormat) matchFrom(ti int, line string, pos int, m *pyMatch) bool {
	for ; ti < len(f.toks); ti++ {
		t := f.toks[ti]
		// A padded field (%-8s) leaves spaces after its value: skip them,
		// unless a literal of spaces is next, which takes them itself.
		if t.pad || (ti > 0 && f.toks[ti-1].pad) && !(t.class == clsLiteral && t.lit[0] == ' ') {
			for pos < len(line) && line[pos] == ' ' {
				pos++
			}
		}
		switch t.class {
		case clsLiteral:
			n, ok := matchLiteral(t.lit, line, pos)
			if !ok {
				return false
			}
			pos += n
		case clsMessage:
			m.msg = line[pos:]
			return true
		case clsTime:
			st, n, ok := scanStamp(line[pos:], t.zoneWord)
			if !ok {
				return false
			}
			if ti+1 < len(f.toks) && f.toks[ti+1].class == clsLiteral && n > st.clockEnd &&
				(f.toks[ti+1].lit[0] == '.' || f.toks[ti+1].lit[0] == ',') {
				// "%(asctime)s.%(msecs)03d": the format writes the fraction.
				n, st.nsec, st.precision, st.zone, st.hasOffset = st.clockEnd, 0, time.Second, "", false
			}
			if t.name == "asctime" {
				m.st, m.hasTime = st, true
			}
			pos += n
		case clsLevel:
			j := pos
			for j < len(line) && (isUpper(line[j]) || (j > pos && isDigit(line[j]))) {
				j++
			}
			if j == pos || !levelEnd(line, j) {
				return false
			}
			m.level = line[pos:j]
			pos = j
		case clsInt, clsFloat:
			j := pos
			if j < len(line) && line[j] == '-' {
				j++
			}
			for j < len(line) && (isDigit(line[j]) || (t.class == clsFloat && line[j] == '.')) {
				j++
			}
			if j == pos || !isDigit(line[j-1]) {
				return false
			}
			v := line[pos:j]
			switch t.name {
			case "created":
				m.created, _ = strconv.ParseFloat(v, 64)
				m.hasTime = true
			case "msecs":
				m.msecs, _ = strconv.ParseFloat(v, 64)
			}
			m.addField(t.name, v)
			pos = j
		case clsWord, clsText:
			// A word ends at a space; text may hold spaces. Either way the
			// value is tried up to each place where the rest can match.
			next := ""
			if ti+1 < len(f.toks) && f.toks[ti+1].class == clsLiteral {
				next = f.toks[ti+1].lit
			}
			limit := len(line)
			if t.class == clsWord {
				if sp := strings.IndexAny(line[pos:], " \t"); sp >= 0 {
					limit = pos + sp
				}
				if next != "" && next[0] == ' ' {
					// the word runs to the space
					if limit == pos && !t.empty {
						return false
					}
					m.addField(t.name, line[pos:limit])
					pos = limit
					continue
				}
			}
			if next == "" {
				if limit == pos && !t.empty {
					return false
				}
				m.addField(t.name, line[pos:limit])
				pos = limit
				continue
			}
			saved := m.nfields
			first := pos + 1
			if t.empty {
				first = pos
			}
			for j := first; j <= limit && j < len(line); j++ {
				if strings.HasPrefix(line[j:], next) || (next[0] == ' ' && line[j] == ' ') {
					m.nfields = saved
					m.addField(t.name, line[pos:j])
					if f.matchFrom(ti+1, line, j, m) {
						return true
					}
				}
			}
			return false
		}
	}
	return pos == len(line)
}

// levelEnd accepts the end of a level name: the line's end or a non-letter.
func levelEnd(line string, j int) bool {
	return j == len(line) || !isLetter(line[j])
}

// matchLiteral matches a literal where any run of spaces stands for one or
// more spaces, since padded fields (%-8s) shift what follows.
func matchLiteral(lit, line string, pos int) (int, bool) {
	i, j := 0, pos
	for i < len(lit) {
		if lit[i] == ' ' {
			for i < len(lit) && lit[i] == ' ' {
				i++
			}
			if j >= len(line) || line[j] != ' ' {
				return 0, false
			}
			for j < len(line) && line[j] == ' ' {
				j++
			}
			continue
		}
		if j >= len(line) || line[j] != lit[i] {
			return 0, false
		}
		i++
		j++
	}
	return j - pos, true
}

func (m *pyMatch) addField(k, v string) {
	if m.nfields < len(m.fields) {
		m.fields[m.nfields].k, m.fields[m.nfields].v = k, v
		m.nfields++
	}
}

// instant turns the matched time into an instant in the source's zone.
func (m *pyMatch) instant(c *Clock, line int) (time.Time, time.Duration) {
	if m.st.year != 0 {
		st := m.st
		if st.precision == time.Second && m.msecs > 0 {
			st.nsec = int(m.msecs * 1e6)
			st.precision = time.Millisecond
		}
		return c.instant(st, line), st.precision
	}
	sec := int64(m.created)
	c.Absolute++
	return time.Unix(sec, int64((m.created-float64(sec))*1e9)).In(c.Loc), time.Microsecond
}
