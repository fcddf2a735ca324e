package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// Catalog keeps what the summary says of each logical source (a file, or
// one program or service of a file that holds several), as the readers
// find them: some only while reading, when a new program's first line
// comes.
type Catalog struct {
	infos map[string]*report.SourceInfo
	// families are the sources' kinds, for coverage and the hypothesis
	// table (parser.Family, in correlate.Cause.Shows' terms).
	families map[string]string
	// coverage, once it exists, follows every source found.
	coverage *verdict.Coverage
	// estimated are the sources whose zone was estimated (clocks.go).
	estimated map[string]bool
	// order is the order sources were found in.
	order []string
}

// NewCatalog starts an empty catalogue; its Found is the readers'
// source.Options.OnPart.
func NewCatalog() *Catalog {
	return &Catalog{infos: map[string]*report.SourceInfo{}, families: map[string]string{}, estimated: map[string]bool{}}
}

// Found is source.Options.OnPart.
func (c *Catalog) Found(p *parser.Part) {
	if c.infos[p.Name] == nil {
		c.infos[p.Name] = &report.SourceInfo{File: p.Name, Format: p.Spec.String()}
		c.order = append(c.order, p.Name)
	}
	c.families[p.Name] = string(p.Spec.Family())
	if c.coverage != nil {
		c.coverage.Track(p.Name, string(p.Spec.Family()))
	}
}

// kinds is a copy of the families found so far.
func (c *Catalog) kinds() map[string]string {
	out := make(map[string]string, len(c.families))
	for k, v := range c.families {
		out[k] = v
	}
	return out
}

// count notes one event of its source.
func (c *Catalog) count(ev *parser.Event) {
	info := c.infos[ev.Source]
	if info == nil {
		return
	}
	if info.Events == 0 || ev.Time.Before(info.First) {
		info.First = ev.Time
	}
	if ev.Time.After(info.Last) {
		info.Last = ev.Time
	}
	info.Events++
}

// describe completes a source's entry once it has been read: how its file
// was wrapped, the zone its naive times were read in (none when every line
// carried its own), the lines its parser could not place.
func (c *Catalog) describe(p *parser.Part, split *source.Splitter, first bool) *report.SourceInfo {
	info := c.infos[p.Name]
	if info == nil {
		c.Found(p)
		info = c.infos[p.Name]
	}
	if k := split.Envelope(); k != nil {
		info.Envelope = k.Name
	}
	info.Zone = ""
	zoned := p.Spec.Family() == parser.FamilyPgBouncer || p.Spec.Family() == parser.FamilyPostgres
	if !zoned && !(p.Clock.Naive == 0 && p.Clock.Zoned > 0) || p.Clock.Naive > 0 {
		info.Zone = zoneName(p.Clock.Loc)
		if c.estimated[p.Name] {
			info.Zone += " (estimated)"
		}
	}
	info.Unparsed += p.Parser.Unparsed()
	if first {
		info.Unparsed += split.Foreign()
	}
	return info
}

// ofFile lists, in the order found, the sources a file holds.
func (c *Catalog) ofFile(file string) []string {
	var out []string
	for _, name := range c.order {
		if f, _ := parser.SplitLabel(name); f == file {
			out = append(out, name)
		}
	}
	return out
}

// sources is what the summary says of one file's sources (names, in the
// order found): what the catalogue has, with the gaps coverage saw; the
// file's disorder goes with its first.
func (e *Engine) sources(names []string, disorder correlate.Disorder) []report.SourceInfo {
	out := make([]report.SourceInfo, 0, len(names))
	for i, name := range names {
		info := *e.cat.infos[name]
		info.Gaps = e.coverage.Gaps(name)
		if i == 0 {
			info.Disorder = disorder
		}
		out = append(out, info)
	}
	return out
}

func zoneName(loc *time.Location) string {
	if loc == time.Local {
		name, _ := time.Now().Zone()
		return "the local zone (" + name + ")"
	}
	return loc.String()
}

// clockWarnings flags sources of naive times that lie far (over half an
// hour) from every moment of a source whose lines carry their zone: the
// usual sign of a missing --tz.
func clockWarnings(srcs []report.SourceInfo) []string {
	type key struct {
		zone, ref string
		shift     time.Duration
	}
	far := map[key][]string{}
	var order []key
	for _, a := range srcs {
		if a.Zone == "" || a.Events == 0 {
			continue
		}
		for _, b := range srcs {
			if b.Zone != "" || b.Events == 0 {
				continue
			}
			gap := max(b.First.Sub(a.Last), a.First.Sub(b.Last))
			if gap <= 30*time.Minute {
				continue
			}
			k := key{a.Zone, b.File, a.First.Sub(b.First).Round(15 * time.Minute)}
			if far[k] == nil {
				order = append(order, k)
			}
			far[k] = append(far[k], parser.BaseName(a.File))
			break
		}
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("the naive times of %s, read in %s, are %s away from %s and share no moment with it: if they were written in another zone, name it with --tz",
			strings.Join(far[k], ", "), k.zone, formatShift(k.shift), parser.BaseName(k.ref)))
	}
	return out
}

func formatShift(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%dh%02dm", sign, int(d.Hours()), int(d.Minutes())%60)
}
