package parser

import (
	"time"
)

// stamp is a timestamp as written in a line, before a zone turns it into an
// instant. Timestamps are hand-parsed: time.Parse on every line costs more
// than the rest of parsing together.
type stamp struct {
	year, month, day     int
	hour, minute, second int
	nsec                 int
	precision            time.Duration

	// zone is the abbreviation as written ("UTC", "WIB", "+07"), offset the
	// numeric offset in seconds east when hasOffset.
	zone      string
	offset    int
	hasOffset bool

	// clockEnd is where the seconds end, before any fraction or zone, so a
	// format that writes the milliseconds itself (%(msecs)03d) can stop there.
	clockEnd int
}

var monthAbbr = map[string]int{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

var monthFull = map[string]int{
	"January": 1, "February": 2, "March": 3, "April": 4, "May": 5, "June": 6, "July": 7,
	"August": 8, "September": 9, "October": 10, "November": 11, "December": 12,
}

func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for k := i; k < i+n; k++ {
		c := s[k]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isLetter(c byte) bool {
	return isUpper(c) || isLower(c)
}

// clock reads "HH:MM:SS" at i.
func clock(s string, i int, st *stamp) bool {
	if i+8 > len(s) || s[i+2] != ':' || s[i+5] != ':' {
		return false
	}
	var ok1, ok2, ok3 bool
	st.hour, ok1 = digits(s, i, 2)
	st.minute, ok2 = digits(s, i+3, 2)
	st.second, ok3 = digits(s, i+6, 2)
	return ok1 && ok2 && ok3 && st.hour < 24 && st.minute < 60 && st.second <= 60
}

// fraction reads an optional ".123" or ",123" at i and returns the new index.
func fraction(s string, i int, st *stamp) int {
	st.precision = time.Second
	if i+1 >= len(s) || (s[i] != '.' && s[i] != ',') || !isDigit(s[i+1]) {
		return i
	}
	j := i + 1
	ns, scale := 0, int(time.Second)
	for j < len(s) && isDigit(s[j]) {
		if scale > 1 {
			scale /= 10
			ns += int(s[j]-'0') * scale
		}
		j++
	}
	st.nsec = ns
	st.precision = time.Duration(scale)
	if st.precision < time.Nanosecond {
		st.precision = time.Nanosecond
	}
	return j
}

// levelWords are the levels a line can write after its time and a colon,
// which are no zones.
var levelWords = map[string]bool{"LOG": true, "ERROR": true, "FATAL": true, "PANIC": true, "INFO": true, "DEBUG": true,
	"NOTICE": true, "WARN": true, "TRACE": true, "ALERT": true, "CRIT": true, "EMERG": true, "STAT": true}

// numericOffset reads "+07", "+0700", "+07:00", "-0530" at i.
func numericOffset(s string, i int, st *stamp) int {
	if i >= len(s) || (s[i] != '+' && s[i] != '-') {
		return i
	}
	h, ok := digits(s, i+1, 2)
	if !ok {
		return i
	}
	j := i + 3
	m := 0
	if mm, ok := digits(s, j, 2); ok {
		m, j = mm, j+2
	} else if j < len(s) && s[j] == ':' {
		// Not when an address follows: AWS RDS writes '%t:%r', and a zone
		// PostgreSQL names by its offset ("+03") then meets the client's
		// "10.0.0.229".
		if mm, ok := digits(s, j+1, 2); ok && (j+3 == len(s) || s[j+3] != '.') {
			m, j = mm, j+3
		}
	}
	if j < len(s) && isDigit(s[j]) || h > 14 || m > 59 {
		return i
	}
	off := h*3600 + m*60
	if s[i] == '-' {
		off = -off
	}
	st.offset, st.hasOffset, st.zone = off, true, s[i:j]
	return j
}

// zoneSuffix reads what may follow a clock: "Z", a numeric offset, or, when
// the format is known to write one (wantWord), an abbreviation such as "UTC".
// Without wantWord only abbreviations that are plainly zones are taken, so
// that a level name after asctime is never mistaken for one.
func zoneSuffix(s string, i int, st *stamp, wantWord bool) int {
	if i < len(s) && s[i] == 'Z' && (i+1 == len(s) || !isLetter(s[i+1])) {
		st.zone, st.hasOffset = "Z", true
		return i + 1
	}
	if j := numericOffset(s, i, st); j > i {
		return j
	}
	if i >= len(s) || s[i] != ' ' {
		return i
	}
	if j := numericOffset(s, i+1, st); j > i+1 {
		return j
	}
	j := i + 1
	for j < len(s) && (isLetter(s[j]) || (j > i+1 && (isDigit(s[j]) || s[j] == '+' || s[j] == '-'))) {
		j++
	}
	word := s[i+1 : j]
	// UTC and GMT, what servers write most, are known without a lookup.
	known := word == "UTC" || word == "GMT"
	if !known {
		_, known = zoneAbbrev[word]
	}
	// A colon may end a zone too: AWS RDS's log_line_prefix is
	// '%t:%r:%u@%d:[%p]:' ("… 08:03:08 UTC::@:[16814]:LOG:"). Not a level
	// there ("… 08:03:08 ERROR: …"), which no zone is named.
	colonZone := j < len(s) && s[j] == ':' && (known || wantWord && !levelWords[word])
	if len(word) < 1 || len(word) > 6 || (j < len(s) && s[j] != ' ' && s[j] != ']' && s[j] != ')' && s[j] != ',' && !colonZone) {
		return i
	}
	if !wantWord && !known {
		return i
	}
	if !isUpper(word[0]) {
		return i
	}
	st.zone = word
	return j
}

// scanStamp recognises a timestamp at the start of s in any of the shapes
// the supported logs write and returns how many bytes it took.
func scanStamp(s string, wantZoneWord bool) (stamp, int, bool) {
	var st stamp
	if len(s) < 14 || !isDigit(s[0]) {
		if len(s) >= 20 && isUpper(s[0]) {
			return scanLongDate(s)
		}
		return st, 0, false
	}
	var i int
	switch {
	case len(s) >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == ' ' || s[10] == 'T'),
		len(s) >= 19 && s[4] == '/' && s[7] == '/' && s[10] == ' ':
		// 2026-11-27 00:15:05,496 and 2026/11/27 00:15:05
		var ok1, ok2, ok3 bool
		st.year, ok1 = digits(s, 0, 4)
		st.month, ok2 = digits(s, 5, 2)
		st.day, ok3 = digits(s, 8, 2)
		if !ok1 || !ok2 || !ok3 || !clock(s, 11, &st) {
			return st, 0, false
		}
		i = 19
	case len(s) >= 20 && (s[2] == '/' && s[6] == '/' && (s[11] == ':' || s[11] == ' ') ||
		s[2] == ' ' && s[6] == ' ' && s[11] == ' '):
		// 27/Nov/2026 00:15:05 (runserver), 27/Nov/2026:00:15:05 (CLF) and
		// 26 Nov 2026 16:25:18.155 (redis-server)
		var ok1, ok3 bool
		st.day, ok1 = digits(s, 0, 2)
		st.month = monthAbbr[s[3:6]]
		st.year, ok3 = digits(s, 7, 4)
		if !ok1 || st.month == 0 || !ok3 || !clock(s, 12, &st) {
			return st, 0, false
		}
		i = 20
	default:
		return st, 0, false
	}
	// Years before 1970 are no log's; rejecting them keeps a zero time out.
	if st.month < 1 || st.month > 12 || st.day < 1 || st.day > 31 || st.year < 1970 {
		return st, 0, false
	}
	st.clockEnd = i
	i = fraction(s, i, &st)
	i = zoneSuffix(s, i, &st, wantZoneWord)
	return st, i, true
}

// scanLongDate reads runserver's banner date, "November 27, 2026 - 00:15:02".
func scanLongDate(s string) (stamp, int, bool) {
	var st stamp
	// A month's name is 3 to 9 letters, capitalised: most lines (a
	// traceback's) are ruled out before the name is looked up.
	if len(s) == 0 || s[0] < 'A' || s[0] > 'Z' {
		return st, 0, false
	}
	sp := 1
	for sp < len(s) && sp <= 9 && s[sp] != ' ' {
		sp++
	}
	if sp < 3 || sp > 9 {
		return st, 0, false
	}
	// The date's shape before the name's lookup: a traceback's header
	// and exception lines have a capitalised first word too.
	if sp+19 > len(s) || s[sp+3] != ',' || s[sp+9:sp+12] != " - " {
		return st, 0, false
	}
	if st.month = monthFull[s[:sp]]; st.month == 0 {
		return st, 0, false
	}
	var ok1, ok2 bool
	st.day, ok1 = digits(s, sp+1, 2)
	st.year, ok2 = digits(s, sp+5, 4)
	if !ok1 || !ok2 || !clock(s, sp+12, &st) || st.year < 1970 {
		return st, 0, false
	}
	st.precision = time.Second
	st.clockEnd = sp + 20
	return st, sp + 20, true
}

// scanSyslog reads the yearless "Nov 26 16:20:54" of syslog and journald.
// The year is left 0 for the clock to supply.
func scanSyslog(s string) (stamp, int, bool) {
	var st stamp
	if len(s) < 15 || s[3] != ' ' || s[6] != ' ' {
		return st, 0, false
	}
	st.month = monthAbbr[s[:3]]
	d := s[4:6]
	if d[0] == ' ' {
		d = d[1:]
	}
	day, ok := atoi(d)
	if st.month == 0 || !ok || day < 1 || day > 31 || !clock(s, 7, &st) {
		return st, 0, false
	}
	st.day, st.precision, st.clockEnd = day, time.Second, 15
	return st, 15, true
}
