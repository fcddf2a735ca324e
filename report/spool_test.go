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
