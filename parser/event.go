// Package parser turns log lines into events. Each parser is fed one line at
// a time and flushed at the end, so that reading saved files and following
// live ones share exactly the same code.
package parser

import (
	"fmt"
	"time"
)

// Kind says what shape of line or record an event came from.
type Kind uint8

const (
	// KindRecord is a log record that is none of the more specific kinds.
	KindRecord Kind = iota
	// KindAccess is an HTTP access line: method, path, status, size.
	KindAccess
	// KindRequestLog is a record such as Django's "Internal Server Error: /path",
	// written while a response with that status was being produced.
	KindRequestLog
	// KindPgBouncer is a PgBouncer log line.
	KindPgBouncer
	// KindPostgres is a PostgreSQL server log record.
	KindPostgres
	// KindBanner is a server's startup, reload or shutdown chatter.
	KindBanner
)

var kindNames = [...]string{
	KindRecord:     "record",
	KindAccess:     "access",
	KindRequestLog: "request_log",
	KindPgBouncer:  "pgbouncer",
	KindPostgres:   "postgresql",
	KindBanner:     "banner",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Tag names what a line says, for lines whose meaning is a fixed phrase.
type Tag string

// What PgBouncer's lines say.
const (
	// TagClosing: "closing because: REASON (age=…)", a connection closed.
	TagClosing Tag = "closing"
	// TagPoolerError: "pooler error: REASON", the error sent to a client.
	TagPoolerError Tag = "pooler_error"
	// TagStats: the periodic "stats:" line; its numbers are fields
	// (wait_us: microseconds clients waited for a server connection).
	TagStats             Tag = "stats"
	TagLoginAttempt      Tag = "login_attempt"
	TagServerLoginFailed Tag = "server_login_failed"
	TagLoginFailed       Tag = "login_failed"
	TagServerConnect     Tag = "server_connect"
	TagStart             Tag = "start"
	TagShutdown          Tag = "shutdown"
)

// TagKilled marks a request the app server killed before it answered
// (uWSGI's "HARAKIRI [core N] ADDR - METHOD URI since T"): a response
// with no status, since none was sent; the client saw its connection
// dropped, or its proxy's 502.
const TagKilled Tag = "killed"

// Exception is one exception of a Python traceback.
type Exception struct {
	Class string
	// Message keeps continuation lines (libpq's tab-indented ones) joined by
	// "\n", because the cause is sometimes only named there.
	Message string
}

// FirstLine is the message up to its first line break.
func (e Exception) FirstLine() string {
	for i := 0; i < len(e.Message); i++ {
		if e.Message[i] == '\n' {
			return e.Message[:i]
		}
	}
	return e.Message
}

func (e Exception) String() string {
	if e.Message == "" {
		return e.Class
	}
	return e.Class + ": " + e.FirstLine()
}

// Conn is the client or server connection a PgBouncer line is about.
type Conn struct {
	Side byte // 'C' client, 'S' server
	Ptr  string
	DB   string
	User string
	Addr string
	Port int
}

// Event is one log line, or one multi-line record, with an absolute time.
type Event struct {
	Source string // the file as the user named it
	// Gen tells apart the files a followed path named in turn (rotation,
	// truncation), from 1; 0 when a file is read once, whole.
	Gen     int
	Line    int // first line, 1-based
	EndLine int // last line of a multi-line record

	Time time.Time
	// TimeFrom is the line whose time this event borrowed, when the event had
	// no time of its own (0 when it had).
	TimeFrom int
	// Stamped: the event had no time of its own and took the time its
	// collector (Docker, journald, syslog) recorded for its line.
	Stamped bool
	// Precision is the resolution of Time as written (a second for
	// runserver's access lines, a millisecond for asctime).
	Precision time.Duration

	Kind    Kind
	Level   string
	Text    string // the first line as written, colours and CR removed
	Message string // the record's message without the format's prefix

	// HTTP response fields, set when the event reports a response.
	Method string
	Path   string // without the query string
	Status int
	// Proxy: a reverse proxy wrote the line (nginx); the app's own logs
	// report the same request too, so it joins their reports rather than
	// counting as a request of its own.
	Proxy bool

	// Duration is how long the request took, when the line says
	// (dur_ms=, uWSGI's "in N msecs", nginx's $request_time), or how long
	// what a database line reports took (a statement, a lock wait, a
	// checkpoint): it began Duration before Time.
	Duration time.Duration

	// Fields holds format fields (process, thread, module, …) and the
	// message's key=value pairs.
	Fields Fields

	// Exc is the final exception of a folded traceback and Root the first
	// one of a chained traceback, which is often the real cause.
	Exc    *Exception
	Root   *Exception
	Chains int // number of exceptions in the traceback

	// Tag names what a line says in a word (TagClosing, TagPoolerError,
	// TagStats, …); Reason is its argument.
	Tag    Tag
	Reason string
}

// TimeInferred reports whether the event had no time of its own and
// borrowed a neighbouring line's.
func (e *Event) TimeInferred() bool { return e.TimeFrom != 0 }

// Began is when the request the event reports began, as far as the line
// says: Duration before its time, or its time.
func (e *Event) Began() time.Time { return e.Time.Add(-e.Duration) }

// IsResponse reports whether the event reports an HTTP response, or a
// request killed before it had one (Killed; Status 0).
func (e *Event) IsResponse() bool { return e.Path != "" && (e.Status != 0 || e.Tag == TagKilled) }

// Killed reports whether the event reports a request the app server
// killed before it answered: a failure with no status.
func (e *Event) Killed() bool { return e.Tag == TagKilled && e.Path != "" }

// Field returns a field or "".
func (e *Event) Field(k string) string { return e.Fields.Get(k) }

func (e *Event) setField(k, v string) { e.Fields.Set(k, v) }

// reserveFields makes room for n fields at once, where a parser knows
// how many may come.
func (e *Event) reserveFields(n int) {
	if e.Fields == nil && n > 0 {
		e.Fields = make(Fields, 0, n)
	}
}

// Field is one named value of an event.
type Field struct{ Key, Value string }

// Fields are an event's named values, each key once, in the order first
// set. A line has a handful: a slice is a fraction of a map's memory (one
// small allocation per event, where a map took about 300 bytes even for
// PgBouncer's one pid), and looking a key up among so few is as fast.
type Fields []Field

// Get returns the value of key k, or "".
func (f Fields) Get(k string) string {
	for i := range f {
		if f[i].Key == k {
			return f[i].Value
		}
	}
	return ""
}

// Set gives key k the value v.
func (f *Fields) Set(k, v string) {
	for i := range *f {
		if (*f)[i].Key == k {
			(*f)[i].Value = v
			return
		}
	}
	if *f == nil {
		*f = make(Fields, 0, 2)
	}
	*f = append(*f, Field{k, v})
}

// Emit receives the events a parser completes.
type Emit func(Event)

// Line is one line of a source as a parser is fed it.
type Line struct {
	// Num is the line's number in its file, from 1 (for a line a collector
	// wrote in pieces, the number of its first piece).
	Num int
	// Text is the line without its newline and without the collector's
	// wrapping (docker's timestamp, journald's prefix).
	Text string
	// Stamp is the time the collector recorded for the line, zero when the
	// file is the program's own; StampPrecision its resolution.
	Stamp          time.Time
	StampPrecision time.Duration
	// StampNaive: the collector wrote its time without a zone (classic
	// syslog, journald's short output), so it says nothing of the zone of
	// the program's own times.
	StampNaive bool
}

// Parser is fed lines of one source in order. Feed may complete zero or more
// events; Flush completes whatever is still open at the end of the input.
type Parser interface {
	Feed(l Line)
	Flush()
	// Unparsed counts the lines that were neither a record nor part of one,
	// a sign that the format was not the right one.
	Unparsed() int
	// Open returns the time of the record the parser holds open (it ends
	// only when the next one begins), if it holds one: followers count that
	// time as read without waiting for the record.
	Open() (time.Time, bool)
}

// Holder is a Parser that can hold events back for longer than a record
// stays open (runserver's error records wait for the line that dates
// them): Holding reports whether it holds any, and the earliest time they
// can take. A follower keeps a source that holds events from counting as
// quiet, so that they are not late when they come.
type Holder interface {
	Holding() (time.Time, bool)
}

// Pauser is a Parser told that its stream has paused, without ending: a
// follower's record must not wait past its window for the next line. A
// Python logging file hands on the record it holds open, and takes the
// lines that then continue it (Locust's console prints untimed tables
// under a record) as its continuation, not as unparsed, so that a follower
// counts what a batch reader counts. runserver keeps waiting: its records
// are dated by the line after them.
type Pauser interface {
	Pause()
}
