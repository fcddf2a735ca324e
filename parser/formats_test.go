package parser

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFormatExamples: the example `logcorr formats` shows for each format
// is detected as that format, and every preset compiles, or says why it
// cannot be used (Django's "simple" has no time).
func TestFormatExamples(t *testing.T) {
	for _, f := range Formats {
		if f.Example == "" {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			d, ok := Detect([]string{f.Example, f.Example, f.Example})
			require.True(t, ok, "the example is recognised")
			assert.Equal(t, f.Spec, d.Spec.String())
		})
	}
	for _, p := range PyPresets {
		if _, err := ParseSpec(p.Name); err != nil {
			assert.ErrorContains(t, err, "cannot be placed in time", p.Name)
		}
	}
}
