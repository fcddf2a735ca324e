package parser

import "strings"

// Clean removes what terminals and Windows add to a line: a trailing CR and
// ANSI colour sequences (runserver colours its lines when stderr is a TTY).
func Clean(line string) string {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if strings.IndexByte(line, 0x1b) < 0 {
		return line
	}
	var b strings.Builder
	b.Grow(len(line))
	for i := 0; i < len(line); i++ {
		if line[i] == 0x1b && i+1 < len(line) && line[i+1] == '[' {
			j := i + 2
			for j < len(line) && (isDigit(line[j]) || line[j] == ';') {
				j++
			}
			if j < len(line) && isLetter(line[j]) {
				i = j
				continue
			}
		}
		b.WriteByte(line[i])
	}
	return b.String()
}

// stripQuery cuts "?…" and "#…" from a request path, so that
// /accounts/login/?next=/x/ is the login path.
func stripQuery(p string) string {
	// A path is short: a loop beats strings.IndexAny's set, built per call.
	for i := 0; i < len(p); i++ {
		if p[i] == '?' || p[i] == '#' {
			return p[:i]
		}
	}
	return p
}

// urlPath returns the path of a full URL or the path itself.
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return stripQuery(rest[j:])
		}
		return "/"
	}
	return stripQuery(u)
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
