package envelope

import (
	"sync"
	"sync/atomic"
	"time"
)

// scanISO reads an ISO 8601 date and time with its zone at the start of s,
// as collectors write them: 2026-11-26T17:15:09.716803412Z (docker,
// CRI), 2026-11-26T17:15:09.716803+00:00 (Heroku, rsyslog),
// 2026-11-26T17:15:09+0000 (journalctl -o short-iso). It is hand-written:
// it runs on every line of a wrapped file.
func scanISO(s string) (t time.Time, prec time.Duration, n int, ok bool) {
	if len(s) < 20 {
		return t, 0, 0, false
	}
	year, month, day, hour, minute, sec, ok := scanDateTime(s, 'T')
	if !ok {
		return t, 0, 0, false
	}
	i := 19
	nsec, prec := 0, time.Second
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		j, scale := i+1, int(time.Second)
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if scale > 1 {
				scale /= 10
				nsec += int(s[j]-'0') * scale
			}
			j++
		}
		if j == i+1 {
			return t, 0, 0, false
		}
		prec, i = max(time.Duration(scale), time.Nanosecond), j
	}
	if i >= len(s) {
		return t, 0, 0, false
	}
	var loc *time.Location
	switch s[i] {
	case 'Z':
		loc, i = time.UTC, i+1
	case '+', '-':
		h, okh := num(s, i+1, 2)
		j := i + 3
		m, okm := 0, true
		switch {
		case j < len(s) && s[j] == ':':
			m, okm = num(s, j+1, 2)
			j += 3
		case j+1 < len(s) && s[j] >= '0' && s[j] <= '9':
			m, okm = num(s, j, 2)
			j += 2
		}
		if !okh || !okm || h > 14 || m > 59 {
			return t, 0, 0, false
		}
		off := h*3600 + m*60
		if s[i] == '-' {
			off = -off
		}
		loc, i = fixedZone(off), j
	default:
		return t, 0, 0, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), prec, i, true
}

// scanDateTime reads "YYYY-MM-DD?HH:MM:SS" at the start of s, sep
// between the date and the time.
func scanDateTime(s string, sep byte) (year, month, day, hour, minute, sec int, ok bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != sep || s[13] != ':' || s[16] != ':' {
		return 0, 0, 0, 0, 0, 0, false
	}
	year, ok1 := num(s, 0, 4)
	month, ok2 := num(s, 5, 2)
	day, ok3 := num(s, 8, 2)
	hour, ok4 := num(s, 11, 2)
	minute, ok5 := num(s, 14, 2)
	sec, ok6 := num(s, 17, 2)
	ok = ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && sec <= 60
	return year, month, day, hour, minute, sec, ok
}

func num(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for k := i; k < i+n; k++ {
		if s[k] < '0' || s[k] > '9' {
			return 0, false
		}
		v = v*10 + int(s[k]-'0')
	}
	return v, true
}

var zones sync.Map // offset in seconds → *time.Location

// quarterZones hold the zones of offsets in whole quarter hours, every
// zone in use, up to 14 hours either side: a line's stamp finds its zone
// with one atomic load, where the map's int key was boxed, an allocation
// per stamp.
var quarterZones [2*14*4 + 1]atomic.Pointer[time.Location]

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	const quarter = 15 * 60
	q := off/quarter + len(quarterZones)/2
	if off%quarter == 0 && q >= 0 && q < len(quarterZones) {
		if l := quarterZones[q].Load(); l != nil {
			return l
		}
		l := zoneOf(off)
		quarterZones[q].Store(l)
		return l
	}
	return zoneOf(off)
}

// zoneOf is the one location of an offset, made once.
func zoneOf(off int) *time.Location {
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}
