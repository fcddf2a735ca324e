package parser

// PartStarts is Part.starts, for the package's external tests.
func PartStarts(p *Part, text string) bool { return p.starts(text) }

// IsHeadStarter reports whether a parser tells its own record starts.
func IsHeadStarter(p Parser) bool {
	_, ok := p.(headStarter)
	return ok
}

// ForgetNoStarts empties the demultiplexer's memory of lines that start
// no record, as if it had never asked.
func ForgetNoStarts(d *Demux) {
	clear(d.startsNone)
	clear(d.ruledOut)
}

// NoStartsKept counts the lines the demultiplexer remembers start no record.
func NoStartsKept(d *Demux) int { return len(d.startsNone) + len(d.ruledOut) }

// DetectsAlone says whether one line, alone, is some format's record start
// (as the demultiplexer asks of a line no program of its stream starts).
func DetectsAlone(text string) bool {
	_, ok := detect("", []string{text}, false)
	return ok
}

// MayStartOther is the demultiplexer's test before it asks DetectsAlone,
// in a stream of one program.
func MayStartOther(text string) bool { return mayStart(text) && mayStartOther(text, nil) }

// DetectionsRecalled counts the detections answered from memory.
func DetectionsRecalled() int {
	detections.mu.Lock()
	defer detections.mu.Unlock()
	return detections.hits
}

// DetectNow is detection worked out afresh.
func DetectNow(name string, sample []string) (Detection, bool) { return detectNow(name, sample, true) }
