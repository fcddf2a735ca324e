package parser

import (
	"fmt"
	"strings"
)

// pgEscapes maps log_line_prefix escapes to the fields they write.
var pgEscapes = map[byte]fmtTok{
	'm': {class: clsTime, name: "asctime", zoneWord: true},
	't': {class: clsTime, name: "asctime", zoneWord: true},
	'n': {class: clsFloat, name: "created"},
	'p': {class: clsInt, name: "process"},
	'l': {class: clsInt, name: "line"},
	'Q': {class: clsInt, name: "query_id"},
	'u': {class: clsWord, name: "user"},
	'd': {class: clsWord, name: "db"},
	'h': {class: clsWord, name: "host"},
	'r': {class: clsWord, name: "remote"},
	'c': {class: clsWord, name: "session"},
	'e': {class: clsWord, name: "sqlstate"},
	'v': {class: clsWord, name: "vxid"},
	'x': {class: clsWord, name: "xid"},
	'i': {class: clsText, name: "command"},
	'a': {class: clsText, name: "application"},
	'b': {class: clsText, name: "backend_type"},
	's': {class: clsText, name: "session_start"},
}

// PGPrefix is a compiled log_line_prefix: the whole of it, and the part
// before %q, which is all processes that are not sessions write.
type PGPrefix struct {
	Source      string
	full, short *PyFormat
}

// CompilePGPrefix compiles a PostgreSQL log_line_prefix such as
// '%m [%p] %q%u@%d ' or '%t [%p]: [%l-1] user=%u,db=%d,app=%a '.
func CompilePGPrefix(prefix string) (*PGPrefix, error) {
	var toks, short []fmtTok
	inShort := true
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, fmtTok{class: clsLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	hasTime := false
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		i++
		// A width between % and the escape (%-10u) pads the field.
		start := i
		for i < len(prefix) && (prefix[i] == '-' || isDigit(prefix[i])) {
			i++
		}
		if i >= len(prefix) {
			return nil, fmt.Errorf("log_line_prefix %q ends in the middle of an escape", prefix)
		}
		switch e := prefix[i]; {
		case e == '%':
			lit.WriteByte('%')
		case e == 'q':
			flush()
			short = append([]fmtTok(nil), toks...)
			inShort = false
		default:
			tok, ok := pgEscapes[e]
			if !ok {
				return nil, fmt.Errorf("log_line_prefix %q: unknown escape %%%c", prefix, e)
			}
			flush()
			tok.pad = i > start
			// PostgreSQL writes a field it has no value for empty: a
			// background process's user, database and client.
			tok.empty = tok.class == clsWord || tok.class == clsText
			hasTime = hasTime || tok.class == clsTime || tok.name == "created"
			toks = append(toks, tok)
		}
	}
	flush()
	if !hasTime {
		return nil, fmt.Errorf("log_line_prefix %q has no %%m, %%t or %%n: its lines cannot be placed in time", prefix)
	}
	p := &PGPrefix{Source: prefix, full: &PyFormat{Source: prefix, toks: append(toks, fmtTok{class: clsMessage, name: "message"})}}
	if !inShort {
		p.short = &PyFormat{Source: prefix, toks: append(short, fmtTok{class: clsMessage, name: "message"})}
	}
	return p, nil
}

// match reads a line's prefix; m.msg is then what follows it.
func (p *PGPrefix) match(line string, m *pyMatch) bool {
	return p.full.match(line, m) && findSeverityAt(m.msg) || p.short != nil && p.short.match(line, m) && findSeverityAt(m.msg)
}

// findSeverityAt reports whether a message starts with "SEVERITY:  ".
func findSeverityAt(msg string) bool {
	sev, at, _ := findSeverity(msg, 0)
	return sev != "" && at == len(sev)+3
}
