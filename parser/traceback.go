package parser

import (
	"strings"
	"time"
)

const (
	causeMarker   = "The above exception was the direct cause of the following exception:"
	contextMarker = "During handling of the above exception, another exception occurred:"
	tbHeader      = "Traceback (most recent call last):"
	groupHeader   = "Exception Group Traceback (most recent call last):"
)

type tbState uint8

const (
	tbNone    tbState = iota // record message lines, no traceback yet
	tbFrames                 // inside "File …" frames
	tbMessage                // after an exception line: its message goes on
	tbMarker                 // after a chaining marker, waiting for the next header
)

// traceback folds the lines that follow a record into its exceptions. It keeps
// only the exception lines, never the frames, so a record costs the same
// whatever the depth of its stack.
type traceback struct {
	state   tbState
	group   bool // inside an exception group: one "  | " level is stripped
	excs    []Exception
	blanks  int // blank lines seen after an exception line, not yet placed
	started bool
	// more is the last exception's message lines after its first, joined
	// onto it once it is complete: adding them one by one copied the
	// message again for each (60 MB per GB of a psycopg2 error log).
	more []byte
}

func (t *traceback) reset() {
	t.state, t.group, t.blanks, t.started = tbNone, false, 0, false
	t.excs = t.excs[:0]
	t.more = t.more[:0]
}

// settle joins the lines gathered in more onto the last exception.
func (t *traceback) settle() {
	if len(t.more) == 0 {
		return
	}
	e := &t.excs[len(t.excs)-1]
	e.Message += string(t.more)
	t.more = t.more[:0]
}

// complete reports whether the traceback has reached a final exception, so
// that a new "Traceback" header without a chaining marker starts another
// record rather than continuing this one.
func (t *traceback) complete() bool { return t.state == tbMessage }

// add takes one line of the record body. It returns false when the line
// cannot belong to this traceback: a fresh header after a final exception
// with no chaining marker in between.
func (t *traceback) add(line string) bool {
	if t.group {
		line = stripGroupLevel(line)
	}
	trimmed := strings.TrimSpace(line)
	if trimmed == tbHeader || trimmed == groupHeader || strings.HasSuffix(trimmed, groupHeader) {
		if t.state == tbMessage {
			return false
		}
		t.state, t.started = tbFrames, true
		t.group = t.group || strings.HasSuffix(trimmed, groupHeader)
		t.blanks = 0
		return true
	}
	switch t.state {
	case tbNone:
		return true
	case tbFrames:
		if trimmed == "" || line[0] == ' ' || line[0] == '\t' {
			return true
		}
		t.settle()
		t.excs = append(t.excs, parseExceptionLine(line))
		t.state, t.blanks = tbMessage, 0
	case tbMessage:
		switch {
		case trimmed == causeMarker || trimmed == contextMarker:
			t.state = tbMarker
		case trimmed == "":
			t.blanks++
		default:
			for range t.blanks + 1 {
				t.more = append(t.more, '\n')
			}
			t.more = append(t.more, line...)
			t.blanks = 0
		}
	case tbMarker:
		if trimmed != "" {
			t.state = tbNone
		}
	}
	return true
}

// takes reports whether a line that opens no record belongs to the
// traceback being read: an indented or blank line, a traceback header, an
// exception line after frames, an exception message's continuation, a
// chaining marker. It is what a stream of several programs glues to a
// record; a line after a record's first one and before any traceback is
// not taken (in a stream of one program, everything is).
func (t *traceback) takes(line string) bool {
	if line == "" || line[0] == ' ' || line[0] == '\t' || strings.TrimSpace(line) == "" {
		return true
	}
	if trimmed := strings.TrimSpace(line); trimmed == tbHeader || strings.HasSuffix(trimmed, groupHeader) {
		return true
	}
	return t.state != tbNone
}

// stripGroupLevel removes one level of exception-group framing ("  | ",
// "  + ") so the group's own exception line reads like a plain one.
func stripGroupLevel(line string) string {
	if len(line) >= 4 && line[0] == ' ' && line[1] == ' ' && (line[2] == '|' || line[2] == '+') && line[3] == ' ' {
		return line[4:]
	}
	return line
}

func parseExceptionLine(line string) Exception {
	line = strings.TrimRight(line, " ")
	i := strings.Index(line, ": ")
	cls := line
	msg := ""
	if i >= 0 {
		cls, msg = line[:i], line[i+2:]
	} else if strings.HasSuffix(line, ":") {
		cls = line[:len(line)-1]
	}
	if !isDottedName(cls) {
		// Not "Class: message": keep the whole line as the message so that
		// nothing it says is lost.
		return Exception{Message: line}
	}
	return Exception{Class: cls, Message: msg}
}

func isDottedName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || c == '_' || c == '.' || (i > 0 && isDigit(c))) {
			return false
		}
	}
	return s[0] != '.' && s[len(s)-1] != '.'
}

// finish copies the traceback's verdict into the event.
func (t *traceback) finish(ev *Event) {
	if len(t.excs) == 0 {
		return
	}
	t.settle()
	last := t.excs[len(t.excs)-1]
	ev.Exc = &last
	ev.Chains = len(t.excs)
	if len(t.excs) > 1 {
		first := t.excs[0]
		ev.Root = &first
	}
}

// openRecord is a record held open while the lines after it may be its
// traceback: the parsers of formats whose records can carry one (Python
// logging, logfmt, uvicorn) embed it for their Parser, Continuer and Ender
// methods.
type openRecord struct {
	emit Emit
	// rec is &held while a record is open: held in the parser, a record
	// costs no allocation of its own until it is handed on.
	rec  *Event
	held Event
	tb   traceback
}

// hold opens a record; the one open before must have been ended.
func (o *openRecord) hold(ev Event) {
	o.held = ev
	o.rec = &o.held
	o.tb.reset()
}

func (o *openRecord) endRecord() {
	if o.rec == nil {
		return
	}
	o.tb.finish(o.rec)
	o.emit(*o.rec)
	o.rec = nil
}

// Flush implements Parser.
func (o *openRecord) Flush() { o.endRecord() }

// EndRecord implements Ender.
func (o *openRecord) EndRecord() { o.endRecord() }

// Continues implements Continuer: only traceback lines continue a record
// in a stream other programs write to.
func (o *openRecord) Continues(line string) bool { return o.rec != nil && o.tb.takes(line) }

// Open implements Parser.
func (o *openRecord) Open() (time.Time, bool) {
	if o.rec == nil {
		return time.Time{}, false
	}
	return o.rec.Time, true
}
