package parser

import (
	"sort"
	"strings"
)

// pyLevels are the level names Python's logging writes (plus the common
// aliases of adapters); a record's prefix must contain one.
var pyLevels = []string{"CRITICAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "FATAL", "NOTSET", "TRACE"}

func levelAt(line string, pos int) int {
	for _, l := range pyLevels {
		if strings.HasPrefix(line[pos:], l) && levelEnd(line, pos+len(l)) {
			return len(l)
		}
	}
	return 0
}

const skeletonDelims = " []()<>|:-/,;"

// inferFormat guesses the logging format of one line: the time, the level,
// then the fields that look like a prefix (numbers, bracketed words, a dotted
// logger name, "name:"), up to where the message starts. It returns "" when
// the line has no time and level near its start.
func inferFormat(line string) string {
	var b strings.Builder
	pos := 0
	hasTime, hasLevel := false, false
	words, ints := 0, 0
	lastLit := ""
	field := func(name string) {
		b.WriteString("{" + name + "}")
		lastLit = ""
	}
	for tokens := 0; pos < len(line) && tokens < 24; tokens++ {
		if hasTime && hasLevel && strings.HasSuffix(lastLit, ": ") {
			break
		}
		if !hasTime {
			if _, n, ok := scanStamp(line[pos:], false); ok {
				field("asctime")
				pos += n
				hasTime = true
				continue
			}
		}
		if !hasLevel {
			if n := levelAt(line, pos); n > 0 {
				field("levelname")
				pos += n
				hasLevel = true
				continue
			}
		}
		c := line[pos]
		if strings.IndexByte(skeletonDelims, c) >= 0 {
			b.WriteByte(c)
			lastLit += string(c)
			pos++
			continue
		}
		end := pos
		switch {
		case isDigit(c):
			for end < len(line) && isDigit(line[end]) {
				end++
			}
			if end < len(line) && strings.IndexByte(" ]):/,", line[end]) < 0 {
				return finishInferred(&b, hasTime, hasLevel, pos)
			}
			name := [...]string{"process", "thread", "field_int3", "field_int4"}[min(ints, 3)]
			if strings.HasSuffix(b.String(), "}:") {
				name = "lineno"
			} else {
				ints++
			}
			field(name)
			pos = end
			continue
		case isLetter(c) || c == '_':
			for end < len(line) && (isLetter(line[end]) || isDigit(line[end]) || strings.IndexByte("_.-", line[end]) >= 0) {
				end++
			}
			if !prefixWord(line, pos, end, lastLit, hasTime && hasLevel) {
				return finishInferred(&b, hasTime, hasLevel, pos)
			}
			name := "hostname"
			if end >= len(line) || line[end] != '/' {
				name = [...]string{"name", "module", "funcName", "field_word"}[min(words, 3)]
				words++
			}
			field(name)
			pos = end
			continue
		}
		break
	}
	return finishInferred(&b, hasTime, hasLevel, pos)
}

func finishInferred(b *strings.Builder, hasTime, hasLevel bool, pos int) string {
	if !hasTime || !hasLevel || pos == 0 {
		return ""
	}
	return b.String() + "{message}"
}

// prefixWord decides whether the word at line[pos:end] is a prefix field
// (logger, module, host) rather than the first word of the message.
func prefixWord(line string, pos, end int, lastLit string, afterTimeAndLevel bool) bool {
	next := byte(0)
	if end < len(line) {
		next = line[end]
	}
	switch {
	case !afterTimeAndLevel:
		return next != '=' && next != 0
	case next == '=' || next == 0:
		return false
	case strings.HasSuffix(lastLit, "[") || strings.HasSuffix(lastLit, "(") || strings.HasSuffix(lastLit, "<"):
		return next == ']' || next == ')' || next == '>' || next == ':'
	case next == ':' || next == '/':
		return true
	case strings.IndexByte(line[pos:end], '.') >= 0:
		return isDottedName(line[pos:end])
	case next == ' ' && end+1 < len(line):
		// a module name followed by more prefix fields (pid, [thread], …)
		after := line[end+1]
		return isLower(line[pos]) && (isDigit(after) || after == '[')
	}
	return false
}

// inferPyFormat proposes the format most of the sample's record-looking lines
// agree on.
func inferPyFormat(sample []string) string {
	counts := map[string]int{}
	for _, l := range sample {
		if f := inferFormat(Clean(l)); f != "" {
			counts[f]++
		}
	}
	best, bestN := "", 0
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if counts[k] > bestN {
			best, bestN = k, counts[k]
		}
	}
	return best
}

// inferSpec compiles the format inferred from a sample, unless a preset
// already is that format (a named format beats an inferred twin).
func inferSpec(sample []string) *PyFormat {
	f := inferPyFormat(sample)
	if f == "" {
		return nil
	}
	for _, pf := range compiledPresets() {
		if pf.Source == f {
			return nil
		}
	}
	pf, err := CompilePyFormat(f)
	if err != nil {
		return nil
	}
	return pf
}
