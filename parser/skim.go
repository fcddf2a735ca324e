package parser

import (
	"bytes"
	"strings"
)

// Skimmer is a Parser that can take a run of lines without reading them.
// While Skims reports true, every line that is Skimmable would do no more
// than extend the record it holds open (a traceback's frames and source
// lines, most of an error log's lines), so Skim(last) stands for feeding
// them all, last being the number of the last. Reading a saved file, the
// stream hands such runs over whole: what it costs to turn a line into an
// event is paid for the lines that can say something.
type Skimmer interface {
	Skims() bool
	Skim(last int)
}

// Skimmable reports whether a line is one a Skimmer in the Skims state
// takes as a traceback's frame: indented, no escape sequence that Clean
// would remove, and not ending in ':' (a traceback header, "Exception
// Group Traceback (most recent call last):", can be indented; so can a
// source line "if x:", which then goes the slow way). A last byte that is
// not ASCII goes the slow way too, since TrimSpace trims Unicode spaces.
func Skimmable(line string) bool {
	return skimmableEnds(line) && strings.IndexByte(line, 0x1b) < 0
}

// SkimmableBytes is Skimmable for a line still in a reader's buffer.
func SkimmableBytes(line []byte) bool {
	return skimmableEnds(line) && bytes.IndexByte(line, 0x1b) < 0
}

// skimmableEnds reports whether a line is indented and ends in no colon
// and no byte of a multi-byte character.
func skimmableEnds[T ~string | ~[]byte](line T) bool {
	if len(line) == 0 || (line[0] != ' ' && line[0] != '\t') {
		return false
	}
	end := len(line) - 1
	for end > 0 && isSpaceByte(line[end]) {
		end--
	}
	c := line[end]
	return c != ':' && c < 0x80
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// skims reports whether the traceback is among a stack's frames, where
// an indented line that is no header changes nothing but the record's
// last line.
func (t *traceback) skims() bool { return t.state == tbFrames && !t.group }

// Skims implements Skimmer: inside a traceback's frames, when no indented
// line can start a record of the file's format.
func (p *PyLogging) Skims() bool {
	return p.rec != nil && p.tb.skims() && !p.format.indentable()
}

// Skim implements Skimmer.
func (p *PyLogging) Skim(last int) { p.rec.EndLine = last }

// Skims implements Skimmer: no runserver record starts indented.
func (p *Runserver) Skims() bool { return p.rec != nil && p.tb.skims() }

// Skim implements Skimmer.
func (p *Runserver) Skim(last int) { p.rec.EndLine = last }

// Skims reports whether the stream is one program's whose parser skims:
// Demux hands indented lines of such a stream straight on.
func (d *Demux) Skims() bool { return d.skimmer != nil && d.skimmer.Skims() }

// Skim stands for feeding the skimmable lines up to last; only after
// Skims reported true.
func (d *Demux) Skim(last int) { d.skimmer.Skim(last) }

// indentable reports whether a line that starts with a space or a tab could
// match the format: unless its first piece is a literal that starts
// otherwise, or a time or level not padded to a width, it could.
func (f *PyFormat) indentable() bool {
	if len(f.toks) == 0 {
		return true
	}
	switch t := f.toks[0]; t.class {
	case clsLiteral:
		return t.lit[0] == ' ' || t.lit[0] == '\t'
	case clsTime, clsLevel:
		return t.pad
	}
	return true
}
