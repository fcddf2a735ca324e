package report

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/logcorr/logcorr/parser"
)

// A chain is written field by field rather than through encoding/json's
// reflection: analyze writes one per anchor, tens of thousands for a large
// incident. The bytes are what json.Encoder writes for JSONChain with HTML
// escaping off (TestChainJSONAsEncoder holds the two to that).

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string: quote and backslash escaped,
// control characters as \b \f \n \r \t or \u00XX, bytes that are not UTF-8
// as \ufffd, and U+2028/U+2029, which some JavaScript parsers take for line
// ends, escaped; <, > and & as they are.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	done := 0
	for i := 0; i < len(s); {
		// Most of a chain's text is plain ASCII: it is passed over eight
		// bytes at a time.
		for i+8 <= len(s) && plainWord(word(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[done:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[done:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[done:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	b = append(b, s[done:]...)
	return append(b, '"')
}

// word is the eight bytes of s from i, the first the lowest.
func word(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// plainWord reports whether none of eight bytes needs more than copying
// into a JSON string: no control character, quote, backslash or byte of a
// multi-byte character. Each test is the bit trick that tells whether any
// byte of a word is zero, or less than a value up to 0x80.
func plainWord(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := (w - ones*0x20) & ^w
	quote := w ^ (ones * '"')
	backslash := w ^ (ones * '\\')
	quote = (quote - ones) & ^quote
	backslash = (backslash - ones) & ^backslash
	return (control|quote|backslash|w)&highs == 0
}

// jsonObject writes an object's members in order, a comma before all but
// the first.
type jsonObject struct {
	b     []byte
	first bool
}

func openObject(b []byte) jsonObject { return jsonObject{b: append(b, '{'), first: true} }

// key writes a member's name as it is: the names this file writes are
// plain ASCII, and passing each over for escapes was a tenth of writing a
// chain. A name read from a log goes through anyKey.
func (o *jsonObject) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

// anyKey writes a member's name escaped as a JSON string needs.
func (o *jsonObject) anyKey(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *jsonObject) num(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *jsonObject) boolean(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *jsonObject) strings(k string, vs []string) {
	o.key(k)
	if vs == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, v := range vs {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, v)
	}
	o.b = append(o.b, ']')
}

// fields writes a map as encoding/json does: keys in order.
func (o *jsonObject) fields(k string, fields JSONFields) {
	o.key(k)
	o.b = fields.appendJSON(o.b)
}

func (f JSONFields) appendJSON(b []byte) []byte {
	byKey := func(a, b parser.Field) int { return strings.Compare(a.Key, b.Key) }
	if !slices.IsSortedFunc(f, byKey) {
		f = slices.Clone(f)
		slices.SortFunc(f, byKey)
	}
	o := openObject(b)
	for _, kv := range f {
		o.anyKey(kv.Key)
		o.b = appendJSONString(o.b, kv.Value)
	}
	return o.close()
}

// exceptions writes a traceback's final exception and its root cause, each
// when known.
func (o *jsonObject) exceptions(exc, root *JSONException) {
	if exc != nil {
		o.exception("exception", exc)
	}
	if root != nil {
		o.exception("root_cause", root)
	}
}

func (o *jsonObject) exception(k string, e *JSONException) {
	o.key(k)
	x := openObject(o.b)
	x.str("class", e.Class)
	x.str("message", e.Message)
	o.b = x.close()
}

// when writes the members an anchor and a link open with: the line's time,
// how it was known, how long the request took, whether a proxy wrote it.
func (o *jsonObject) when(time string, inferred, stamped bool, durationMS int64, proxy bool) {
	o.str("time", time)
	o.boolean("time_inferred", inferred)
	if stamped {
		o.boolean("time_stamped", true)
	}
	if durationMS != 0 {
		o.num("duration_ms", durationMS)
	}
	if proxy {
		o.boolean("proxy", true)
	}
}

func (o *jsonObject) close() []byte { return append(o.b, '}') }

// appendJSON writes the chain as json.Encoder does (HTML escaping off),
// without the newline Encode adds.
func (c *JSONChain) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.key("anchor")
	o.b = c.Anchor.appendJSON(o.b)
	o.str("cause", c.Cause)
	if c.Hypothesis != "" {
		o.str("hypothesis", c.Hypothesis)
	}
	if len(c.Notes) > 0 {
		o.strings("notes", c.Notes)
	}
	o.str("basis", c.Basis)
	o.exceptions(c.Exception, c.RootCause)
	o.key("evidence")
	if c.Evidence == nil {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, '[')
		for i := range c.Evidence {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = c.Evidence[i].appendJSON(o.b)
		}
		o.b = append(o.b, ']')
	}
	if c.Split != nil {
		o.key("split")
		o.b = c.Split.appendJSON(o.b)
	}
	return o.close()
}

func (s *JSONSplit) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.num("total_ms", s.TotalMS)
	o.num("pool_wait_ms", s.PoolWaitMS)
	o.num("statement_ms", s.StatementMS)
	o.num("lock_wait_ms", s.LockWaitMS)
	o.num("other_ms", s.OtherMS)
	if s.ProxyMS != 0 {
		o.num("proxy_ms", s.ProxyMS)
	}
	o.key("pool_queue")
	o.b = strconv.AppendFloat(o.b, s.PoolQueue, 'f', -1, 64)
	if len(s.Statements) > 0 {
		o.key("statements")
		o.b = append(o.b, '[')
		for i, st := range s.Statements {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			x := openObject(o.b)
			x.str("fingerprint", st.Fingerprint)
			x.num("ms", st.MS)
			o.b = x.close()
		}
		o.b = append(o.b, ']')
	}
	o.str("text", s.Text)
	return o.close()
}

func (a *JSONAnchor) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.when(a.Time, a.TimeInferred, a.TimeStamped, a.DurationMS, a.Proxy)
	if a.Began != "" {
		o.str("began", a.Began)
	}
	o.str("file", a.File)
	if a.Generation != 0 {
		o.num("generation", int64(a.Generation))
	}
	o.num("line", int64(a.Line))
	o.str("method", a.Method)
	o.str("path", a.Path)
	o.num("status", int64(a.Status))
	if a.Killed {
		o.boolean("killed", true)
	}
	o.str("text", a.Text)
	if len(a.Fields) > 0 {
		o.fields("fields", a.Fields)
	}
	return o.close()
}

func (l *JSONLink) appendJSON(b []byte) []byte {
	o := openObject(b)
	o.when(l.Time, l.TimeInferred, l.TimeStamped, l.DurationMS, l.Proxy)
	o.num("offset_ms", l.OffsetMS)
	o.str("file", l.File)
	if l.Generation != 0 {
		o.num("generation", int64(l.Generation))
	}
	o.num("line", int64(l.Line))
	if l.EndLine != 0 {
		o.num("end_line", int64(l.EndLine))
	}
	o.str("kind", l.Kind)
	o.str("role", l.Role)
	o.str("text", l.Text)
	o.str("why", l.Why)
	o.exceptions(l.Exception, l.RootCause)
	if len(l.Fields) > 0 {
		o.fields("fields", l.Fields)
	}
	return o.close()
}
