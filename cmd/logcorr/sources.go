package main

import (
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/report"
	"github.com/logcorr/logcorr/source"
	"github.com/logcorr/logcorr/verdict"
)

// catalog keeps what the summary says of each logical source (a file, or
// one program or service of a file that holds several), as the readers
// find them: some only while reading, when a new program's first line
// comes.
type catalog struct {
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

func newCatalog() *catalog {
	return &catalog{infos: map[string]*report.SourceInfo{}, families: map[string]string{}, estimated: map[string]bool{}}
}

// found is source.Options.OnPart.
func (c *catalog) found(p *parser.Part) {
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
func (c *catalog) kinds() map[string]string {
	out := make(map[string]string, len(c.families))
	for k, v := range c.families {
		out[k] = v
	}
	return out
}

// count notes one event of its source.
func (c *catalog) count(ev *parser.Event) {
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
func (c *catalog) describe(p *parser.Part, split *source.Splitter, first bool) *report.SourceInfo {
	info := c.infos[p.Name]
	if info == nil {
		c.found(p)
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
func (c *catalog) ofFile(file string) []string {
	var out []string
	for _, name := range c.order {
		if f, _ := parser.SplitLabel(name); f == file {
			out = append(out, name)
		}
	}
	return out
}
