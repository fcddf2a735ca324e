package envelope

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var flatMembersCases = []struct {
	name, line string
	want       []member // nil: left to encoding/json
}{
	{"docker json-file", `{"log":"[27/Nov/2026 00:15:02] \"GET /accounts/login/ HTTP/1.1\" 200 764\n","stream":"stderr","time":"2026-11-26T17:15:02.000002Z"}`,
		[]member{{"log", "[27/Nov/2026 00:15:02] \"GET /accounts/login/ HTTP/1.1\" 200 764\n"}, {"stream", "stderr"}, {"time", "2026-11-26T17:15:02.000002Z"}}},
	{"every short escape", `{"m":"a\tb\\c\/d\"e\rf\bg\fh"}`, []member{{"m", "a\tb\\c/d\"e\rf\bg\fh"}}},
	{"white space between tokens", " { \"a\" :\t\"1\" ,\r\n\"b\":\"2\" } ", []member{{"a", "1"}, {"b", "2"}}},
	{"a key given twice", `{"a":"1","a":"2"}`, []member{{"a", "1"}, {"a", "2"}}},
	{"an empty object", `{}`, []member{}},
	{"text outside ASCII", `{"MESSAGE":"héllo — ✓"}`, []member{{"MESSAGE", "héllo — ✓"}}},
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
					assert.Equal(t, c.want, got)
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
		last[m.key] = m.value
	}
	assert.Equal(t, obj, last, "%q", line)
}
