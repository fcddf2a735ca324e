package parser

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// parseRequestLine reads `"METHOD /path HTTP/1.1" STATUS SIZE` at the start of
// s, the message of http.server's log_request that Django's runserver and
// most access logs share. ev may be nil, to recognise the shape only.
func parseRequestLine(s string, ev *Event) bool {
	if len(s) < 4 || s[0] != '"' {
		return false
	}
	end := strings.Index(s[1:], `" `)
	if end < 0 {
		return false
	}
	req := s[1 : 1+end]
	rest := s[end+3:]
	sp := strings.IndexByte(rest, ' ')
	code := rest
	if sp >= 0 {
		code = rest[:sp]
	}
	status, ok := atoi(code)
	if !ok || status < 100 || status > 999 {
		return false
	}
	if ev == nil {
		return true
	}
	ev.Status = status
	if sp >= 0 {
		size := rest[sp+1:]
		if j := strings.IndexByte(size, ' '); j >= 0 {
			size = size[:j]
		}
		if size != "" {
			ev.setField("bytes", size)
		}
	}
	// A malformed request line (a TLS hello, say) still has a status.
	if sp := strings.IndexByte(req, ' '); sp >= 0 && isToken(req[:sp]) {
		target := req[sp+1:]
		if j := strings.IndexByte(target, ' '); j >= 0 {
			target = target[:j]
		}
		ev.Method, ev.Path = req[:sp], urlPath(target)
	}
	return true
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) {
			return false
		}
	}
	return true
}

// reasonStatus maps the reason phrases Django's django.request logger writes
// ("%s: %s" % (reason_phrase, path)) to their status.
var reasonStatus = map[string]int{
	"Bad Request": 400, "Unauthorized": 401, "Payment Required": 402, "Forbidden": 403,
	"Not Found": 404, "Method Not Allowed": 405, "Not Acceptable": 406, "Request Timeout": 408,
	"Conflict": 409, "Gone": 410, "Length Required": 411, "Precondition Failed": 412,
	"Request Entity Too Large": 413, "Payload Too Large": 413, "Unsupported Media Type": 415,
	"Unprocessable Entity": 422, "Too Many Requests": 429,
	"Internal Server Error": 500, "Not Implemented": 501, "Bad Gateway": 502,
	"Service Unavailable": 503, "Gateway Timeout": 504,
}

// reasonPrefixStatus covers the messages that carry a detail in brackets,
// e.g. "Forbidden (CSRF cookie not set.): /x/".
var reasonPrefixStatus = []struct {
	prefix string
	status int
}{
	{"Forbidden (", 403},
	{"Method Not Allowed (", 405},
	{"Bad request (", 400},
	// SessionInterrupted becomes a 400 with this message.
	{"The request's session was deleted before the request completed", 400},
}

// parseRequestLog recognises a django.request-style message, "<reason>: /path",
// with a reason Django writes, and sets the status it implies (ev may be nil,
// to recognise the shape only). When lenient,
// the reason may also end the text before the path, so that a format prefix
// the detector left on a message does not hide it; runserver's stream, where
// the message is the whole line, is read strictly.
func parseRequestLog(msg string, ev *Event, lenient bool) bool {
	// Cheap refusals first: this runs on every line of a traceback.
	if msg == "" || msg[0] == ' ' || msg[0] == '\t' || !lenient && !isUpper(msg[0]) {
		return false
	}
	// The path ends the message and holds no space: the ": /" before it
	// is where the last space is.
	j := strings.LastIndexByte(msg, ' ')
	if j < 2 || j+1 >= len(msg) || msg[j-1] != ':' || msg[j+1] != '/' {
		return false
	}
	i := j - 1
	reason := msg[:i]
	if isDottedName(reason) {
		return false // "module.Error: /path" is an exception line
	}
	// No phrase ends another after a space, so the phrase the reason is
	// comes first, and only a lenient reading looks for one it ends with.
	status := reasonStatus[reason]
	if status == 0 && lenient {
		for phrase, code := range reasonStatus {
			if strings.HasSuffix(reason, " "+phrase) {
				status = code
				break
			}
		}
	}
	if status == 0 {
		for _, p := range reasonPrefixStatus {
			if j := strings.Index(reason, p.prefix); j == 0 || (lenient && j > 0 && reason[j-1] == ' ') {
				status = p.status
				break
			}
		}
	}
	if status == 0 {
		return false
	}
	if ev != nil {
		ev.Status = status
		ev.Path = stripQuery(msg[i+2:])
	}
	return true
}

// kvKeys maps the key names people use in hand-written key=value logs to
// the response fields.
var kvKeys = map[string]string{
	"method": "method", "meth": "method", "verb": "method", "http_method": "method", "request_method": "method",
	"path": "path", "url": "path", "uri": "path", "route": "path", "request_path": "path", "endpoint": "path",
	"status": "status", "status_code": "status", "code": "status", "http_status": "status", "response_status": "status",
}

// parseKV lifts key=value pairs out of a message into fields and, when they
// name one, the response's method, path and status.
func parseKV(msg string, ev *Event) {
	ev.reserveFields(strings.Count(msg, "="))
	i := 0
	for i < len(msg) {
		eq := strings.IndexByte(msg[i:], '=')
		if eq < 0 {
			return
		}
		eq += i
		ks := eq
		for ks > i && isKeyByte(msg[ks-1]) {
			ks--
		}
		key := msg[ks:eq]
		vs := eq + 1
		var val string
		if vs < len(msg) && (msg[vs] == '"' || msg[vs] == '\'') {
			q := msg[vs]
			ve := strings.IndexByte(msg[vs+1:], q)
			if ve < 0 {
				val, i = msg[vs+1:], len(msg)
			} else {
				val, i = msg[vs+1:vs+1+ve], vs+2+ve
			}
		} else {
			ve := vs
			for ve < len(msg) && msg[ve] != ' ' && msg[ve] != '\t' && msg[ve] != ',' {
				ve++
			}
			val, i = msg[vs:ve], ve
		}
		if key == "" || (ks > 0 && msg[ks-1] != ' ' && msg[ks-1] != '\t' && msg[ks-1] != ',' && msg[ks-1] != '[' && msg[ks-1] != '(') {
			continue
		}
		ev.setField(key, val)
		known := lookupKVKey(key)
		if ev.Duration == 0 && known.duration {
			ev.Duration, _ = durationIn(known.unit, val)
		}
		switch known.role {
		case "method":
			if ev.Method == "" {
				ev.Method = strings.ToUpper(val)
			}
		case "path":
			if p := urlPath(val); ev.Path == "" && strings.HasPrefix(p, "/") {
				ev.Path = p
			}
		case "status":
			if n, ok := atoi(val); ok && n >= 100 && n <= 999 && ev.Status == 0 {
				ev.Status = n
			}
		}
	}
}

func isKeyByte(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '-' || c == '.'
}

// durationKeys are the keys under which logs state how long a request
// took, with the unit a bare number is in: dur_ms=33163 (the lab's
// middleware), rt=0.149 (nginx's $request_time), service=30000ms (Heroku's
// router), duration=1.5s. Keys whose unit is not in their name take a
// number with a point as seconds and one without as milliseconds.
var durationKeys = map[string]time.Duration{
	"dur_ms": time.Millisecond, "duration_ms": time.Millisecond, "elapsed_ms": time.Millisecond, "took_ms": time.Millisecond,
	"time_ms": time.Millisecond, "latency_ms": time.Millisecond, "response_time_ms": time.Millisecond, "request_time_ms": time.Millisecond,
	"dur_us": time.Microsecond, "duration_us": time.Microsecond, "time_us": time.Microsecond, "elapsed_us": time.Microsecond,
	"rt": time.Second, "request_time": time.Second, "response_time": time.Second, "duration_s": time.Second, "elapsed_s": time.Second,
	"took_s": time.Second, "time_taken": time.Millisecond,
	"dur": 0, "duration": 0, "elapsed": 0, "took": 0, "latency": 0, "service": 0, "runtime": 0,
}

// trimUnit cuts a duration's unit (lower-case letters, µ) off its end.
// strings.TrimRight would build its cutset anew on every call, and the µ
// in it sends that down its slow path.
func trimUnit(val string) string {
	for len(val) > 0 {
		switch c := val[len(val)-1]; {
		case c >= 'a' && c <= 'z':
			val = val[:len(val)-1]
		case c == 0xb5 && len(val) >= 2 && val[len(val)-2] == 0xc2: // µ
			val = val[:len(val)-2]
		default:
			return val
		}
	}
	return val
}

// kvKey is what a key names: a response's method, path or status (role),
// a duration in unit, or nothing logcorr reads.
type kvKey struct {
	role     string
	unit     time.Duration
	duration bool
}

// kvKeyTable joins kvKeys and durationKeys, so that a key=value record
// looks each key up once: a hand-written log such as auth_debug.log has
// five keys on every line.
var kvKeyTable = func() map[string]kvKey {
	t := map[string]kvKey{}
	for k, role := range kvKeys {
		t[k] = kvKey{role: role}
	}
	for k, unit := range durationKeys {
		known := t[k]
		known.unit, known.duration = unit, true
		t[k] = known
	}
	return t
}()

// lookupKVKey is kvKeyTable's entry for a key, in any case. A lower-case
// ASCII key, as most are, is found by its slot (kvSlots) with one comparison: a
// hand-written log names five keys on every line, and hashing each for the
// map was a fifth of reading auth_debug.log.
func lookupKVKey(key string) kvKey {
	if key != "" && isLowerASCII(key) {
		switch slot := &kvSlots[kvSlotOf(key)]; {
		case !slot.used:
			return kvKey{}
		case !slot.shared && slot.key == key:
			return slot.known
		case !slot.shared:
			return kvKey{} // the one key of its slot is another
		}
	}
	return kvKeyTable[strings.ToLower(key)]
}

// kvSlots holds each key of kvKeyTable in its slot; a slot two keys fall
// in is shared, and its keys are looked up in the map.
var kvSlots = func() (slots [kvSlotCount]kvSlot) {
	for key, known := range kvKeyTable {
		slot := &slots[kvSlotOf(key)]
		if slot.used {
			slot.shared = true
			continue
		}
		*slot = kvSlot{key: key, known: known, used: true}
	}
	return slots
}()

type kvSlot struct {
	key          string
	known        kvKey
	used, shared bool
}

// kvSlotOf is FNV-1a of the key, cut to a slot.
func kvSlotOf(key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return int(h % kvSlotCount)
}

const kvSlotCount = 256

// isLowerASCII reports whether strings.ToLower would leave s as it is for
// want of anything to lower: no ASCII capital, and no byte of a non-ASCII
// character (the Kelvin sign and İ lower to ASCII letters).
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) || s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// durationOf reads a stated duration, by its key's unit or its own suffix
// (ms, s, us, µs, m).
func durationOf(key, val string) (time.Duration, bool) {
	known := lookupKVKey(key)
	if !known.duration {
		return 0, false
	}
	return durationIn(known.unit, val)
}

// durationIn reads a duration stated under a key whose unit is unit (0:
// by the value's point).
func durationIn(unit time.Duration, val string) (time.Duration, bool) {
	if val == "" || val == "-" {
		return 0, false
	}
	num := trimUnit(val)
	suffix := val[len(num):]
	switch suffix {
	case "ms":
		unit = time.Millisecond
	case "s":
		unit = time.Second
	case "us", "µs":
		unit = time.Microsecond
	case "m", "min":
		unit = time.Minute
	case "":
		if unit == 0 {
			unit = time.Millisecond
			if strings.Contains(num, ".") {
				unit = time.Second
			}
		}
	default:
		return 0, false
	}
	// Most stated durations are whole numbers (dur_ms=33163), which atoi
	// reads for a fraction of ParseFloat's cost and to the same float.
	var f float64
	if n, ok := atoi(num); ok {
		f = float64(n)
	} else {
		var err error
		if f, err = strconv.ParseFloat(num, 64); err != nil {
			return 0, false
		}
	}
	if f < 0 || f > 1e9 {
		return 0, false
	}
	return time.Duration(f * float64(unit)), true
}
