package envelope

import (
	"strings"
	"unicode/utf8"
)

// member is one key and string value of a JSON object, decoded. A value
// that ends in an escaped newline, as every line Docker's json-file driver
// writes does, is the piece of the line before it, with newline set: its
// reader drops the newline anyway, and the value then needs no copy.
type member struct {
	key, value string
	newline    bool
}

// text is the value decoded whole.
func (m member) text() string {
	if m.newline {
		return m.value + "\n"
	}
	return m.value
}

// flatMembers reads a line that is one JSON object whose values are all
// strings, as Docker's json-file driver and journalctl -o json write every
// line, into dst (reused) in the order the line has them. It reads them as
// encoding/json does, for a fraction of its cost: through encoding/json's
// reflection, a journal's lines were read at 11 MB/s. ok is false for any
// line it does not read whole, which the caller then gives to encoding/json:
// one that is no JSON, or holds a value other than a string (a number,
// null, an array of bytes, an object), a \u escape, or bytes that are not
// UTF-8 (which encoding/json replaces).
func flatMembers(line string, dst []member) (members []member, ok bool) {
	dst = dst[:0]
	if !utf8.ValidString(line) {
		return dst, false
	}
	i := skipSpace(line, 0)
	if i == len(line) || line[i] != '{' {
		return dst, false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return dst, skipSpace(line, i+1) == len(line)
	}
	for {
		key, nl, next, ok := jsonString(line, i)
		if !ok {
			return dst, false
		}
		if nl {
			key += "\n"
		}
		i = skipSpace(line, next)
		if i == len(line) || line[i] != ':' {
			return dst, false
		}
		value, nl, next, ok := jsonString(line, skipSpace(line, i+1))
		if !ok {
			return dst, false
		}
		dst = append(dst, member{key, value, nl})
		i = skipSpace(line, next)
		if i == len(line) {
			return dst, false
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return dst, skipSpace(line, i+1) == len(line)
		default:
			return dst, false
		}
	}
}

// skipSpace is the index of the first byte from i that is not JSON's
// white space.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// plainJSON marks the bytes a JSON string holds as they are: not a quote,
// a backslash or a control character.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// decodedSize bounds where the decoded string would end were its escapes
// written as one byte each (none is longer decoded), from j, an escape, on:
// the builder is then allocated once. A request's line has its quotes
// escaped early on, and the builder sized to that grew for every line.
func decodedSize(s string, j int) int {
	size := j
	for j < len(s) {
		switch s[j] {
		case '"':
			return size
		case '\\':
			j += 2
			size++
		default:
			next := plainRun(s, j)
			if next == j {
				// A control character: the string is no JSON, and
				// the size does not matter.
				return size
			}
			size += next - j
			j = next
		}
	}
	return size
}

// plainRun is where the run of plain bytes (plainJSON) from i ends: eight
// bytes at a time while none of them is a quote, a backslash or a control
// character, then one at a time. A log's line in a json-file is a hundred
// bytes or more of them.
func plainRun(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		quote, backslash := x^('"'*ones), x^('\\'*ones)
		// A byte below 0x20, or one that is zero once a quote's or a
		// backslash's bits are taken off (the classic has-less-than).
		if ((x-0x20*ones)&^x|(quote-ones)&^quote|(backslash-ones)&^backslash)&highs != 0 {
			break
		}
	}
	for i < len(s) && plainJSON[s[i]] {
		i++
	}
	return i
}

// jsonString decodes the JSON string that starts at s[i], and says where
// it ends. Without an escape it is a piece of s; ending in an escaped
// newline and without another, it is the piece before it, with newline
// set (member).
func jsonString(s string, i int) (value string, newline bool, end int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", false, i, false
	}
	start := i + 1
	j := plainRun(s, start)
	if j < len(s) && s[j] == '"' {
		return s[start:j], false, j + 1, true
	}
	if j+2 < len(s) && s[j] == '\\' && s[j+1] == 'n' && s[j+2] == '"' {
		return s[start:j], true, j + 3, true
	}
	var b strings.Builder
	b.Grow(decodedSize(s, j) - start)
	b.WriteString(s[start:j])
	for j < len(s) {
		switch c := s[j]; {
		case c == '"':
			return b.String(), false, j + 1, true
		case c < 0x20:
			return "", false, j, false
		case c != '\\':
			// A run of plain bytes at once.
			run := plainRun(s, j+1)
			b.WriteString(s[j:run])
			j = run
			continue
		}
		if j+1 >= len(s) {
			return "", false, j, false
		}
		switch s[j+1] {
		case '"', '\\', '/':
			b.WriteByte(s[j+1])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default:
			// \u (surrogates, invalid ones replaced) and anything
			// else: encoding/json's to read.
			return "", false, j, false
		}
		j += 2
	}
	return "", false, j, false
}
