package parser

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnnotatePrunesAsAScan: what a collector said of lines (host, pid) is
// forgotten for lines more than maxPending behind the one annotated, once
// more than maxPending are held. The pruning walks the lines in the order
// they came; it must forget exactly what a scan of them all did, whether
// the lines rise (as a file's do), some of them go onto events meanwhile,
// or they come out of order.
func TestAnnotatePrunesAsAScan(t *testing.T) {
	for _, c := range []struct {
		name  string
		mixed bool // some lines come back, below the last
	}{{"rising", false}, {"out of order", true}} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			d := NewDemux("x.log", nil, func(Event) {})
			want := map[int][]string{}
			line, pruned := 0, 0
			for i := range 6 * maxPending {
				// A first half where most lines go onto events and the
				// lines kept in order are compacted; then a traceback's
				// worth of lines none of which does, each pruning.
				tail := i > 3*maxPending
				line++
				if !tail {
					line += rng.IntN(2)
				}
				at := line
				if c.mixed && tail && rng.IntN(50) == 0 {
					at = line - rng.IntN(2*maxPending)
				}
				kv := []string{"pid", "1"}
				if len(want) > maxPending {
					for k := range want {
						if k < at-maxPending {
							delete(want, k)
							pruned++
						}
					}
				}
				d.Annotate(at, kv...)
				want[at] = kv
				// Most lines start an event, which takes its pairs.
				if !tail && rng.IntN(4) > 0 {
					d.emitFrom(nil, Event{Line: at})
					delete(want, at)
				}
				// Now and then a record held long is handed on, or an
				// event comes for a line no collector spoke of.
				if k := at - rng.IntN(2*maxPending); rng.IntN(4) == 0 && want[k] != nil {
					d.emitFrom(nil, Event{Line: k})
					delete(want, k)
				}
				if rng.IntN(16) == 0 {
					d.emitFrom(nil, Event{Line: -at})
				}
				require.Equal(t, len(want), d.heldMeta(), "after line %d", at)
			}
			assert.Equal(t, want, heldByLine(d))
			assert.Positive(t, pruned, "the run reached the pruning")
			assert.LessOrEqual(t, len(d.metaQueue), 3*maxPending, "the lines kept in order stay bounded")
			assert.Equal(t, c.mixed, d.metaMixed, "lines out of order are held by line")
		})
	}
}

// heldByLine is what the demultiplexer holds, by line, whichever way it
// holds it.
func heldByLine(d *Demux) map[int][]string {
	if d.metaMixed {
		return d.metaByLine
	}
	out := map[int][]string{}
	for _, m := range d.metaQueue[d.metaHead:] {
		if m.kv != nil {
			out[m.line] = m.kv
		}
	}
	return out
}
