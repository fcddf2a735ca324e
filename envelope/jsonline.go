package envelope

import (
	"strings"
	"unicode/utf8"
)

// member is one key and string value of a JSON object, decoded.
type member struct{ key, value string }

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
		key, next, ok := jsonString(line, i)
		if !ok {
			return dst, false
		}
		i = skipSpace(line, next)
		if i == len(line) || line[i] != ':' {
			return dst, false
		}
		value, next, ok := jsonString(line, skipSpace(line, i+1))
		if !ok {
			return dst, false
		}
		dst = append(dst, member{key, value})
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

// jsonString decodes the JSON string that starts at s[i], and says where
// it ends; without an escape it is a piece of s.
func jsonString(s string, i int) (value string, end int, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	start := i + 1
	j := start
	for j < len(s) && s[j] != '"' && s[j] != '\\' && s[j] >= 0x20 {
		j++
	}
	if j < len(s) && s[j] == '"' {
		return s[start:j], j + 1, true
	}
	var b strings.Builder
	b.Grow(j - start + 16)
	b.WriteString(s[start:j])
	for j < len(s) {
		c := s[j]
		switch {
		case c == '"':
			return b.String(), j + 1, true
		case c < 0x20:
			return "", j, false
		case c != '\\':
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(s) {
			return "", j, false
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
			return "", j, false
		}
		j += 2
	}
	return "", j, false
}
