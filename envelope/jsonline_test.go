package envelope

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decoded is a key and its value decoded whole (member.text).
type decoded struct{ key, value string }

var flatMembersCases = []struct {
	name, line string
	want       []decoded // nil: left to encoding/json
}{
	{"docker json-file", `{"log":"[27/Nov/2026 00:15:02] \"GET /accounts/login/ HTTP/1.1\" 200 764\n","stream":"stderr","time":"2026-11-26T17:15:02.000002Z"}`,
		[]decoded{{"log", "[27/Nov/2026 00:15:02] \"GET /accounts/login/ HTTP/1.1\" 200 764\n"}, {"stream", "stderr"}, {"time", "2026-11-26T17:15:02.000002Z"}}},
	{"only a newline escaped, at the end", `{"log":"GET / 200\n"}`, []decoded{{"log", "GET / 200\n"}}},
	{"two newlines at the end", `{"log":"a\n\n"}`, []decoded{{"log", "a\n\n"}}},
	{"a newline inside", `{"log":"a\nb"}`, []decoded{{"log", "a\nb"}}},
	{"a newline alone", `{"log":"\n"}`, []decoded{{"log", "\n"}}},
	{"a key ending in a newline", `{"k\n":"v"}`, []decoded{{"k\n", "v"}}},
	{"every short escape", `{"m":"a\tb\\c\/d\"e\rf\bg\fh"}`, []decoded{{"m", "a\tb\\c/d\"e\rf\bg\fh"}}},
	{"white space between tokens", " { \"a\" :\t\"1\" ,\r\n\"b\":\"2\" } ", []decoded{{"a", "1"}, {"b", "2"}}},
	{"a key given twice", `{"a":"1","a":"2"}`, []decoded{{"a", "1"}, {"a", "2"}}},
	{"an empty object", `{}`, []decoded{}},
	{"text outside ASCII", `{"MESSAGE":"héllo — ✓"}`, []decoded{{"MESSAGE", "héllo — ✓"}}},
	{"a \\u escape", `{"m":"\u00e9"}`, nil},
	{"a number", `{"_PID":28431}`, nil},
	{"null", `{"log":null}`, nil},
	{"an array of bytes", `{"MESSAGE":[104,105]}`, nil},
	{"an object inside", `{"log":"x","attrs":{"tag":"web"}}`, nil},
	{"bytes that are not UTF-8", "{\"m\":\"\xff\"}", nil},
	{"a raw control character", "{\"m\":\"a\x01b\"}", nil},
	{"text after the object", `{"a":"1"} x`, nil},
	{"an unknown escape", `{"a":"\q"}`, nil},
	{"unterminated", `{"a":"1"`, nil},
	{"a trailing comma", `{"a":"1",}`, nil},
	{"no JSON", `2026-11-26 17:15:02.050 UTC [28431] LOG listening`, nil},
}

// A value whose one escape is the newline that ends it is a piece of the
// line, the newline apart: Docker's json-file lines, read with no copy.
func TestFlatMembersNewlineApart(t *testing.T) {
	got, ok := flatMembers(`{"log":"GET / 200\n","a":"x\ty\n","b":"\n"}`, nil)
	require.True(t, ok)
	require.Len(t, got, 3)
	assert.Equal(t, member{"log", "GET / 200", true}, got[0])
	assert.Equal(t, member{"a", "x\ty\n", false}, got[1], "with another escape, decoded whole")
	assert.Equal(t, member{"b", "", true}, got[2])
}

func TestFlatMembers(t *testing.T) {
	for _, c := range flatMembersCases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := flatMembers(c.line, nil)
			if c.want == nil {
				assert.False(t, ok, "read %q whole: %q", c.line, got)
			} else {
				require.True(t, ok)
				if len(c.want) == 0 {
					assert.Empty(t, got)
				} else {
					var texts []decoded
					for _, m := range got {
						texts = append(texts, decoded{m.key, m.text()})
					}
					assert.Equal(t, c.want, texts)
				}
			}
			checkFlatMembers(t, c.line)
		})
	}
}

// checkFlatMembers holds flatMembers to encoding/json on a line it reads
// whole.
func checkFlatMembers(t *testing.T, line string) {
	t.Helper()
	got, ok := flatMembers(line, nil)
	if !ok {
		return
	}
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &obj), "flatMembers read %q, which is no JSON object", line)
	last := map[string]any{}
	for _, m := range got {
		last[m.key] = m.text()
	}
	assert.Equal(t, obj, last, "%q", line)
}

// plainRun, eight bytes at a time, stops where a byte at a time stops:
// every byte value at every place of a run, past the eight-byte steps too.
func TestPlainRunAsBytewise(t *testing.T) {
	bytewise := func(s string, i int) int {
		for i < len(s) && plainJSON[s[i]] {
			i++
		}
		return i
	}
	for c := range 256 {
		for at := range 21 {
			b := []byte("abcdefghijklmnopqrstu")
			b[at] = byte(c)
			for from := range 3 {
				s := string(b)
				require.Equal(t, bytewise(s, from), plainRun(s, from), "byte %#x at %d, from %d", c, at, from)
			}
		}
	}
	assert.Equal(t, 0, plainRun("", 0))
	assert.Equal(t, len("héllo — ✓"), plainRun(`héllo — ✓"`, 0), "bytes outside ASCII are plain")
}

// The builder of a string with escapes is sized to its decoded length:
// the escapes here are all two bytes written, one decoded.
func TestDecodedSize(t *testing.T) {
	for _, line := range []string{
		`"[27/Nov/2026 00:15:02] \"GET /accounts/login/ HTTP/1.1\" 200 764\n"`,
		`"a\tb\\c\/d\"e\rf\bg\fh"`,
		`"\n\n"`,
		`"x\"` + strings.Repeat("y", 100) + `\"z","next":"v"`,
	} {
		value, _, _, ok := jsonString(line, 0)
		require.True(t, ok, line)
		first := strings.IndexByte(line, '\\')
		assert.Equal(t, len(value), decodedSize(line, first)-1, line)
	}
}
