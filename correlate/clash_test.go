package correlate

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/parser"
)

// TestClashMaskAgrees holds the clash mask to comparing every report: for
// requests made of random reports (every kind, access lines of both tiers,
// from twelve logs, two with a rotated file too, so that some fall
// outside the mask), a report clashes by the mask exactly when it
// clashes with one of them.
func TestClashMaskAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var files []string
	for i := range 12 {
		files = append(files, fmt.Sprintf("/logs/app%d.log", i))
	}
	files = append(files, "/logs/app0.log.1", "/logs/app3.log.1")
	report := func() parser.Event {
		return parser.Event{Source: files[rng.IntN(len(files))], Kind: parser.Kind(rng.IntN(6)), Proxy: rng.IntN(2) == 0}
	}
	c := New(DefaultConfig(), func(Chain) {})
	masked, compared := 0, 0
	for range 5000 {
		g := &group{}
		for range rng.IntN(4) {
			g.reports = append(g.reports, report())
		}
		for range rng.IntN(2) {
			g.late = append(g.late, report())
		}
		ev := report()
		want := c.clashes(g, &ev)
		if key := c.clashBit(&ev); key.ok && c.maskClashes(g) {
			masked++
			got := g.clashes&key.bit != 0 || ev.Kind == parser.KindAccess && g.clashes&tierBit(ev.Proxy) != 0
			require.Equal(t, want, got, "%+v joining %+v and late %+v", ev, g.reports, g.late)
		} else {
			compared++
		}
	}
	assert.Greater(t, masked, 1000, "most answered by the mask")
	assert.Positive(t, compared, "some outside it")
}
