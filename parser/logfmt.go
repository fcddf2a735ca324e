package parser

import (
	"strings"
)

func init() {
	register(&Format{
		Name:   "logfmt",
		Family: FamilyDjango,
		Rank:   46,
		Summary: "key=value records (logfmt, or a Python logging format written that way: level=%(levelname)s ts=%(asctime)s " +
			"message=%(message)s): the time, level and message from their usual keys, a traceback on the lines after",
		Examples: []string{
			`level=ERROR ts=2026-03-04 14:03:46,952 module=log path=/usr/lib/python3/dist-packages/django/utils/log.py line=253 message=Internal Server Error: /accounts/login/`,
			`time="2026-11-26T17:15:09Z" level=error msg="request failed" method=POST path=/accounts/login/ status=500 duration=6.494s`,
		},
		starts: func(_ Spec, line string) bool {
			_, ok := decodeLogfmt(line)
			return ok
		},
		build: func(_ Spec, c *Clock, emit Emit) Parser { return &Logfmt{clock: c, openRecord: openRecord{emit: emit}} },
	})
}

// decodeLogfmt reads a line of key=value pairs with a time and a message.
// A value may be quoted; an unquoted one runs to the next " key=", so a
// time with a space in it (ts=2026-03-04 14:03:46,952) stays whole, and the
// message key, when last, takes the rest of the line.
func decodeLogfmt(line string) (jsonRecord, bool) {
	if len(line) < 10 || !isKeyByte(line[0]) || line[0] == '.' || line[0] == '-' {
		return nil, false
	}
	rec := jsonRecord{}
	rest := line
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 || !isKeyWord(rest[:eq]) {
			return nil, false
		}
		key := rest[:eq]
		rest = rest[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, false
			}
			val, rest = rest[1:end+1], strings.TrimLeft(rest[end+2:], " ")
		} else {
			end := nextKey(rest)
			if isMessageKey(key) && end < len(rest) && !hasMoreKeys(rest[end:]) {
				end = len(rest)
			}
			val, rest = strings.TrimRight(rest[:end], " "), strings.TrimLeft(rest[end:], " ")
		}
		rec[key] = val
	}
	if len(rec) < 3 {
		return nil, false
	}
	if k, _ := rec.first(jsonTimeKeys); k == "" {
		return nil, false
	}
	if k, _ := rec.first(jsonMessageKeys); k == "" {
		return nil, false
	}
	return rec, true
}

// nextKey is where the next " key=" starts in s, or len(s).
func nextKey(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			continue
		}
		j := i + 1
		for j < len(s) && isKeyByte(s[j]) {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '=' {
			return i
		}
	}
	return len(s)
}

// hasMoreKeys reports whether s holds more keys of the known kinds (a
// message that holds "a=b" is still the message).
func hasMoreKeys(s string) bool {
	for _, keys := range [][]string{jsonTimeKeys, jsonLevelKeys} {
		for _, k := range keys {
			if strings.Contains(s, " "+k+"=") || strings.HasPrefix(s, k+"=") {
				return true
			}
		}
	}
	return false
}

func isMessageKey(k string) bool {
	for _, m := range jsonMessageKeys {
		if k == m {
			return true
		}
	}
	return false
}

// Logfmt parses key=value records; a Python logging format written as
// key=value puts a record's traceback on the lines after it.
type Logfmt struct {
	clock *Clock
	openRecord
	unparsed int
}

// Feed implements Parser.
func (p *Logfmt) Feed(l Line) {
	line := Clean(l.Text)
	rec, ok := decodeLogfmt(line)
	if !ok {
		switch {
		case p.rec != nil && p.tb.takes(line):
			p.tb.add(line)
			p.rec.EndLine = l.Num
		case strings.TrimSpace(line) != "":
			p.unparsed++
		}
		return
	}
	p.endRecord()
	ev, ok := recordEvent(rec, line, l, p.clock)
	if !ok {
		p.unparsed++
		return
	}
	p.hold(ev)
}

// Unparsed implements Parser.
func (p *Logfmt) Unparsed() int { return p.unparsed }
