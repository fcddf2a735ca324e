package report

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpool: what a spool is given past its memory goes to a temporary
// file, and comes back whole and in order.
func TestSpool(t *testing.T) {
	var s spool
	var want bytes.Buffer
	for i := 0; want.Len() < spoolMemory+spoolMemory/2; i++ {
		line := fmt.Sprintf("#%d chain text %0100d\n", i, i)
		want.WriteString(line)
		_, err := s.Write([]byte(line))
		require.NoError(t, err)
	}
	require.NotNil(t, s.file, "past its memory, a file")
	assert.LessOrEqual(t, s.mem.Len(), spoolMemory)
	var got bytes.Buffer
	require.NoError(t, s.copyTo(&got))
	assert.Equal(t, want.String(), got.String())
	assert.Nil(t, s.file, "released")
}

// TestHeld: nothing reaches the writer until Release, which passes on what
// was held, past the spool's memory too, in order, and then every write;
// Discard drops what was held.
func TestHeld(t *testing.T) {
	for _, size := range []int{100, 3 * spoolMemory} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			var to, want bytes.Buffer
			h := NewHeld(&to)
			for i := 0; want.Len() < size; i++ {
				line := fmt.Sprintf("#%d %0100d\n", i, i)
				want.WriteString(line)
				_, err := h.Write([]byte(line))
				require.NoError(t, err)
			}
			assert.Zero(t, to.Len(), "held")
			require.NoError(t, h.Release())
			_, err := h.Write([]byte("after\n"))
			require.NoError(t, err)
			assert.Equal(t, want.String()+"after\n", to.String())
			h.Discard() // after Release: nothing left to drop
			assert.Equal(t, want.String()+"after\n", to.String())
		})
	}
	t.Run("discarded", func(t *testing.T) {
		var to bytes.Buffer
		h := NewHeld(&to)
		_, err := h.Write(bytes.Repeat([]byte("x"), 2*spoolMemory))
		require.NoError(t, err)
		require.NotNil(t, h.sp.file)
		h.Discard()
		assert.Nil(t, h.sp.file, "the file is gone")
		assert.Zero(t, to.Len())
	})
}
