package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCut: a line is cut to its visible width; colour escapes do not
// count, runes are whole, and a line that fits is left as it is.
func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"abcdef", 6, "abcdef"},
		{"abcdefg", 6, "abcde…"},
		{"abc\x1b[31mde\x1b[0m", 5, "abc\x1b[31mde\x1b[0m"},
		{"abc\x1b[31mdefg\x1b[0m", 5, "abc\x1b[31md…\x1b[0m"},
		{"日本語のログ行", 4, "日本語…"},
		{"ab\xff", 3, "ab\xff"},
	} {
		assert.Equal(t, tc.want, cut(tc.in, tc.width), "%q", tc.in)
	}
}
