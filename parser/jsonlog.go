package parser

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(&Format{
		Name:   "json",
		Family: FamilyDjango,
		Rank:   45,
		Summary: "JSON lines of Python logging (python-json-logger, structlog's JSONRenderer, apps that log JSON such as authentik): " +
			"the time, level, message and traceback from their usual keys (asctime/timestamp/time, levelname/level, message/event, " +
			"exc_info/exception), the rest as fields",
		Examples: []string{
			`{"asctime": "2026-12-01 04:15:43,977", "levelname": "ERROR", "name": "django.request", "process": 10617, "thread": 140617578927808, "message": "Internal Server Error: /accounts/login/", "exc_info": "Traceback (most recent call last):\n  File \"/app/x.py\", line 1, in f\nredis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:26380. Connection refused.", "status_code": 500, "request": "<WSGIRequest: POST '/accounts/login/'>"}`,
			`{"event": "/api/v3/core/tenants/", "host": "localhost:8000", "level": "info", "logger": "authentik.asgi", "method": "GET", "pid": 27, "remote": "127.0.0.1", "runtime": 30, "scheme": "http", "status": 200, "timestamp": "2023-07-12T05:13:37.123456"}`,
			`{"event":"failed to get certificate for ServerName","level":"debug","logger":"authentik.outpost.proxyv2","server-name":"authentik","timestamp":"2023-07-12T05:13:37+02:00"}`,
		},
		starts: func(_ Spec, line string) bool {
			_, ok := decodeJSONRecord(line)
			return ok
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser { return &JSONLog{clock: c, emit: emit} },
	})
}

// The keys JSON loggers put a record's parts under, most usual first.
var (
	jsonTimeKeys    = []string{"asctime", "timestamp", "time", "@timestamp", "ts", "created", "datetime", "date", "t"}
	jsonLevelKeys   = []string{"levelname", "level", "severity", "log.level", "lvl"}
	jsonMessageKeys = []string{"message", "msg", "event", "log"}
	jsonExcKeys     = []string{"exc_info", "exception", "exc_text", "stack_trace", "error.stack_trace", "traceback", "stack"}
)

// jsonRecord is one decoded line: its values flattened to strings ("a.b"
// for nested objects), numbers as written.
type jsonRecord map[string]string

func (r jsonRecord) first(keys []string) (string, string) {
	for _, k := range keys {
		if v, ok := r[k]; ok && v != "" {
			return k, v
		}
	}
	return "", ""
}

// decodeJSONRecord decodes a line that is one JSON object with a time and a
// message, as a logging record has.
func decodeJSONRecord(line string) (jsonRecord, bool) {
	line = strings.TrimSpace(line)
	if len(line) < 10 || line[0] != '{' || line[len(line)-1] != '}' {
		return nil, false
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, false
	}
	rec := jsonRecord{}
	flattenJSON(rec, "", raw)
	if k, _ := rec.first(jsonTimeKeys); k == "" {
		return nil, false
	}
	if k, _ := rec.first(jsonMessageKeys); k == "" {
		return nil, false
	}
	return rec, true
}

func flattenJSON(rec jsonRecord, prefix string, raw map[string]json.RawMessage) {
	for k, v := range raw {
		key := prefix + k
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0:
		case v[0] == '"':
			var s string
			if json.Unmarshal(v, &s) == nil {
				rec[key] = s
			}
		case v[0] == '{':
			var inner map[string]json.RawMessage
			if json.Unmarshal(v, &inner) == nil {
				flattenJSON(rec, key+".", inner)
			}
		case string(v) == "null":
		default:
			rec[key] = string(v) // numbers and booleans as written; arrays as JSON
		}
	}
}

// JSONLog parses JSON lines of a logging library.
type JSONLog struct {
	clock    *Clock
	emit     Emit
	unparsed int
}

// wsgiRequest reads Django's repr of a request in python-json-logger's
// "request" field: <WSGIRequest: POST '/accounts/login/'>.
var wsgiRequest = regexp.MustCompile(`^<(?:WSGI|ASGI)Request: ([A-Z]+) '([^']*)'>$`)

// Feed implements Parser.
func (p *JSONLog) Feed(l Line) {
	line := Clean(l.Text)
	rec, ok := decodeJSONRecord(line)
	if !ok {
		if strings.TrimSpace(line) != "" {
			p.unparsed++
		}
		return
	}
	ev, ok := recordEvent(rec, line, l, p.clock)
	if !ok {
		p.unparsed++
		return
	}
	p.emit(ev)
}

// recordEvent makes an event of a record a structured logger wrote as keys
// and values (JSON, logfmt): its time, level and message from their usual
// keys, its traceback from an exception key, the rest as fields, and what
// it says of a response.
func recordEvent(rec jsonRecord, line string, l Line, c *Clock) (Event, bool) {
	ev := Event{Source: c.Source, Line: l.Num, EndLine: l.Num, Kind: KindRecord, Text: line}
	tk, tv := rec.first(jsonTimeKeys)
	if !setRecordTime(&ev, tv, l, c) {
		return ev, false
	}
	_, ev.Level = rec.first(jsonLevelKeys)
	ev.Level = strings.ToUpper(ev.Level)
	mk, msg := rec.first(jsonMessageKeys)
	ev.Message = msg
	xk, exc := rec.first(jsonExcKeys)
	// Keys in order, so that an event's fields, and which of two
	// durations it states comes first, are the same from run to run.
	ev.reserveFields(len(rec))
	for _, k := range slices.Sorted(maps.Keys(rec)) {
		if v := rec[k]; k != tk && k != mk && k != xk {
			ev.setField(k, v)
			if d, ok := durationOf(k, v); ok && ev.Duration == 0 {
				ev.Duration = d
			}
		}
	}
	classifyMessage(&ev)
	if m := wsgiRequest.FindStringSubmatch(rec["request"]); m != nil {
		ev.Method = m[1]
		if ev.Path == "" {
			ev.Path = stripQuery(m[2])
		}
	}
	if ev.Status == 0 {
		for _, k := range []string{"status_code", "status", "http_status", "response_status"} {
			if n, ok := atoi(rec[k]); ok && n >= 100 && n <= 999 {
				ev.Status = n
				break
			}
		}
	}
	if ev.Path == "" && ev.Status != 0 && strings.HasPrefix(msg, "/") && !strings.ContainsAny(msg, " \t") {
		ev.Path = stripQuery(msg) // structlog request logs: the event is the path
	}
	if ev.Method == "" {
		ev.Method = strings.ToUpper(rec["method"])
	}
	if ev.Kind == KindRecord && ev.Status != 0 && ev.Path == "" {
		ev.Status = 0
	}
	if exc != "" {
		var tb traceback
		for _, tl := range strings.Split(strings.TrimRight(exc, "\n"), "\n") {
			tb.add(tl)
		}
		tb.finish(&ev)
	}
	return ev, true
}

// setRecordTime reads a record's time: a written date, an epoch number
// (seconds, or milliseconds when it is that large), else the collector's
// stamp.
func setRecordTime(ev *Event, v string, l Line, c *Clock) bool {
	if st, n, ok := scanStamp(v, true); ok && n >= len(v)-1 {
		ev.Time, ev.Precision = c.instant(st, l.Num), st.precision
		return true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 1e8 {
		if f > 1e12 {
			f /= 1000
		}
		sec := int64(f)
		c.Absolute++
		ev.Time, ev.Precision = time.Unix(sec, int64((f-float64(sec))*1e9)).In(c.Loc), time.Millisecond
		return true
	}
	if !l.Stamp.IsZero() {
		ev.Time, ev.Precision, ev.Stamped = l.Stamp, l.StampPrecision, true
		return true
	}
	return false
}

// Flush implements Parser.
func (p *JSONLog) Flush() {}

// Unparsed implements Parser.
func (p *JSONLog) Unparsed() int { return p.unparsed }

// Open implements Parser: every line is a record of its own.
func (p *JSONLog) Open() (time.Time, bool) { return time.Time{}, false }

// Continues implements Continuer.
func (p *JSONLog) Continues(string) bool { return false }
