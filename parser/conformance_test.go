package parser

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conformance is what every registered format must do, whatever its shape
// (in the spirit of testing/slogtest): new formats get it for free.
func TestConformance(t *testing.T) {
	for _, f := range Formats() {
		t.Run(f.Name, func(t *testing.T) {
			require.NotEmpty(t, f.Examples, "a format shows real lines")
			require.NotEmpty(t, f.Summary)
			for _, ex := range f.Examples {
				t.Run("detected/"+ex, func(t *testing.T) {
					d, ok := Detect([]string{ex, ex, ex})
					require.True(t, ok, "the example is recognised")
					assert.Equal(t, f.Name, d.Spec.Name())
					assert.True(t, d.Spec.Starts(ex))
				})
			}
			for _, g := range exampleGroups(t, f) {
				spec, examples := g.spec, g.examples

				t.Run("each example is one event", func(t *testing.T) {
					for _, ex := range examples {
						evs, p := parseLines(spec, []string{ex}, nil)
						if len(evs) == 0 {
							// A record dated by the line after it has none
							// here: it must say so, and take a stamp.
							assert.NotEmpty(t, LeftOut(p), "%s: left out without a word", ex)
							evs = parseStamped(spec, ex, time.Date(2026, 11, 26, 17, 15, 0, 0, time.UTC))
						}
						require.Len(t, evs, 1, ex)
						assert.Zero(t, p.Unparsed(), ex)
						ev := evs[0]
						assert.Equal(t, "conformance.log", ev.Source)
						assert.Equal(t, 1, ev.Line)
						assert.False(t, ev.Time.IsZero(), "an event has a time")
						assert.Equal(t, ex, ev.Text, "the text is the line as written")
					}
				})

				t.Run("a line before any record is counted, not kept", func(t *testing.T) {
					lines := append([]string{"## Notes from the incident call"}, examples...)
					evs, p := parseLines(spec, lines, nil)
					assert.Len(t, evs, len(examples))
					assert.Equal(t, 1, p.Unparsed())
					for _, ev := range evs {
						assert.NotEqual(t, 1, ev.Line)
					}
				})

				t.Run("a pause loses nothing", func(t *testing.T) {
					whole, _ := parseLines(spec, examples, nil)
					paused, _ := parseLines(spec, examples, func(p Parser) {
						if pp, ok := p.(Pauser); ok {
							pp.Pause()
						}
					})
					assert.Equal(t, lineTexts(whole), lineTexts(paused))
				})

				t.Run("a collector's stamp never overrides a line's own time", func(t *testing.T) {
					stamp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
					for _, ex := range examples {
						plain, _ := parseLines(spec, []string{ex}, nil)
						stamped := parseStamped(spec, ex, stamp)
						require.Len(t, stamped, 1, ex)
						if len(plain) == 1 && !plain[0].TimeInferred() && !plain[0].Stamped {
							assert.Equal(t, plain[0].Time, stamped[0].Time, ex)
							assert.False(t, stamped[0].Stamped)
						} else {
							assert.True(t, stamped[0].Stamped, "%s: a line with no time of its own takes the stamp", ex)
							assert.Equal(t, stamp, stamped[0].Time)
						}
					}
				})
			}
		})
	}
}

type exampleGroup struct {
	spec     Spec
	examples []string
}

// TestConformanceInAStream: every format's lines keep their events in a
// stream that other programs write to as well: another format's lines
// become events of their own, and a line no format reads is counted, never
// glued to a record.
func TestConformanceInAStream(t *testing.T) {
	const junk = "## notes from the incident call"
	for _, f := range Formats() {
		for _, g := range exampleGroups(t, f) {
			t.Run(f.Name+"/"+g.spec.String(), func(t *testing.T) {
				var other string
				for _, o := range Formats() {
					if o.Family != f.Family && len(o.Examples) > 0 && o.Name != "runserver" {
						other = o.Examples[0]
						break
					}
				}
				var lines []string
				for _, ex := range g.examples {
					lines = append(lines, ex, other, junk)
				}
				var evs []Event
				d := NewDemux("stream.log", func(name string) *Clock { return NewClock(name, time.UTC, nil) }, func(ev Event) { evs = append(evs, ev) })
				d.StartWith(g.spec)
				for i, l := range lines {
					d.Feed(Line{Num: i + 1, Text: l, Stamp: time.Date(2026, 11, 26, 17, 15, 0, 0, time.UTC), StampPrecision: time.Second})
				}
				d.Flush()
				require.GreaterOrEqual(t, len(d.Parts()), 2, "the other program's lines are a source of their own")
				byLine := map[int]Event{}
				for _, ev := range evs {
					byLine[ev.Line] = ev
				}
				for i := range g.examples {
					ev, ok := byLine[3*i+1]
					require.True(t, ok, "example %d kept its event", i+1)
					assert.Equal(t, "stream.log", ev.Source)
					assert.Equal(t, ev.Line, ev.EndLine, "nothing glued to the record")
					other, ok := byLine[3*i+2]
					require.True(t, ok, "the other program's line is an event")
					assert.NotEqual(t, "stream.log", other.Source)
				}
				assert.Equal(t, len(g.examples), d.Foreign(), "each line no format reads is counted")
			})
		}
	}
}

// exampleGroups sorts a format's examples by the spec that reads them: one
// for most formats, one per format string for Python logging.
func exampleGroups(t *testing.T, f *Format) []exampleGroup {
	if !f.NeedsOption {
		return []exampleGroup{{SpecOf(f), f.Examples}}
	}
	var groups []exampleGroup
	for _, ex := range f.Examples {
		d, ok := Detect([]string{ex})
		require.True(t, ok, ex)
		if n := len(groups); n > 0 && groups[n-1].spec.String() == d.Spec.String() {
			groups[n-1].examples = append(groups[n-1].examples, ex)
			continue
		}
		groups = append(groups, exampleGroup{d.Spec, []string{ex}})
	}
	return groups
}

// parseLines reads lines with a parser of spec. A format that writes no
// time of its own (uvicorn, Heroku's router) is read as a collector would
// hand its lines on: stamped.
func parseLines(spec Spec, lines []string, between func(Parser)) ([]Event, Parser) {
	evs, p := parseLinesStamped(spec, lines, between, time.Time{})
	if len(evs) == 0 && LeftOut(p) != "" {
		return parseLinesStamped(spec, lines, between, time.Date(2026, 11, 26, 17, 15, 0, 0, time.UTC))
	}
	return evs, p
}

func parseLinesStamped(spec Spec, lines []string, between func(Parser), stamp time.Time) ([]Event, Parser) {
	var evs []Event
	p := spec.New(NewClock("conformance.log", time.UTC, nil), func(ev Event) { evs = append(evs, ev) })
	for i, l := range lines {
		if i > 0 && between != nil {
			between(p)
		}
		p.Feed(Line{Num: i + 1, Text: l, Stamp: stamp, StampPrecision: time.Second})
	}
	p.Flush()
	return evs, p
}

func parseStamped(spec Spec, line string, stamp time.Time) []Event {
	var evs []Event
	p := spec.New(NewClock("conformance.log", time.UTC, nil), func(ev Event) { evs = append(evs, ev) })
	p.Feed(Line{Num: 1, Text: line, Stamp: stamp, StampPrecision: time.Microsecond})
	p.Flush()
	return evs
}

func lineTexts(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Text)
	}
	return out
}

// TestPresets: every preset compiles, or says why it cannot be used
// (Django's "simple" has no time).
func TestPresets(t *testing.T) {
	for _, p := range PyPresets {
		if _, err := ParseSpec(p.Name); err != nil {
			assert.ErrorContains(t, err, "cannot be placed in time", p.Name)
		}
	}
}
