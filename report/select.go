package report

import (
	"slices"
	"sort"

	"github.com/logcorr/logcorr/correlate"
)

// Selection says which chains a report shows (--summary, --top, --cause,
// --chains). The summary always counts every chain.
type Selection struct {
	// Summary shows no chain.
	Summary bool
	// Top shows at most this many chains of each cause, the strongest
	// (most evidence, then earliest) first.
	Top int
	// Causes shows only chains of these causes: a catalogued id or an
	// exception class.
	Causes []string
	// All shows every chain (of Causes), whatever Top says.
	All bool
}

func (s *Selection) wants(c *correlate.Chain) bool {
	return len(s.Causes) == 0 || slices.Contains(s.Causes, c.Cause) || slices.Contains(s.Causes, c.Hypothesis)
}

// active reports whether the selection leaves out any chain.
func (s *Selection) active() bool { return s.Summary || s.Top > 0 && !s.All || len(s.Causes) > 0 }

// selecting hands a renderer the chains a selection keeps: all of them as
// they come, or, with Top, the strongest of each cause at the end, in
// time order.
type selecting struct {
	Renderer
	sel  Selection
	best map[string][]keptChain
	seq  int
}

// keptChain is a chain kept for the end, with its place in the order
// chains came, which breaks ties of time.
type keptChain struct {
	correlate.Chain
	seq int
}

func (s *selecting) Chain(c *correlate.Chain) error {
	if s.sel.Summary || !s.sel.wants(c) {
		return nil
	}
	if s.sel.Top == 0 || s.sel.All {
		return s.Renderer.Chain(c)
	}
	s.seq++
	key := causeKey(c)
	best := s.best[key]
	at := sort.Search(len(best), func(i int) bool {
		return stronger(len(c.Evidence), c.Time, len(best[i].Evidence), best[i].Time)
	})
	if at < s.sel.Top {
		best = slices.Insert(best, at, keptChain{*c, s.seq})
		if len(best) > s.sel.Top {
			best = best[:s.sel.Top]
		}
		s.best[key] = best
	}
	return nil
}

func (s *selecting) Finish(r *Run) error {
	var chosen []keptChain
	for _, cs := range s.best {
		chosen = append(chosen, cs...)
	}
	// In the order they came, as without the selection.
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].seq < chosen[j].seq })
	for i := range chosen {
		if err := s.Renderer.Chain(&chosen[i].Chain); err != nil {
			return err
		}
	}
	return s.Renderer.Finish(r)
}
