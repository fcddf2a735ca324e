package parser

// PartStarts is Part.starts, for the package's external tests.
func PartStarts(p *Part, text string) bool { return p.starts(text) }

// IsHeadStarter reports whether a parser tells its own record starts.
func IsHeadStarter(p Parser) bool {
	_, ok := p.(headStarter)
	return ok
}
