package envelope

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/logcorr/logcorr/parser"
)

// journalFields are the journal's fields logcorr uses, from an entry of
// journalctl -o json or -o export.
type journalFields struct {
	realtime, message string
	ident, comm       string
	container, unit   string
	pid, host         string
	hasMessage        bool
}

func (f *journalFields) set(k, v string) {
	switch k {
	case "__REALTIME_TIMESTAMP":
		f.realtime = v
	case "MESSAGE":
		f.message, f.hasMessage = v, true
	case "SYSLOG_IDENTIFIER":
		f.ident = v
	case "_COMM":
		f.comm = v
	case "CONTAINER_NAME":
		f.container = v
	case "_SYSTEMD_UNIT":
		f.unit = v
	case "_PID":
		f.pid = v
	case "_HOSTNAME":
		f.host = v
	}
}

// record turns an entry into a record: its message, dated by the journal
// (microseconds since the epoch), labelled by the container the docker
// journald driver names, else the program.
func (f *journalFields) record(num int) (Record, bool) {
	us, err := strconv.ParseInt(f.realtime, 10, 64)
	if err != nil || !f.hasMessage {
		return Record{}, false
	}
	label := f.container
	for _, l := range []string{f.ident, f.comm, strings.TrimSuffix(f.unit, ".service")} {
		if label == "" {
			label = l
		}
	}
	text := strings.TrimSuffix(strings.TrimSuffix(f.message, "\n"), "\r")
	return Record{Num: num, Text: text, Stamp: time.UnixMicro(us).UTC(), Precision: time.Microsecond,
		Label: label, Host: f.host, PID: f.pid}, true
}

// journalJSONKind: journalctl -o json, one entry per line.
var journalJSONKind = &Kind{
	Name:    "journald json",
	Example: `{"__REALTIME_TIMESTAMP":"1795713309716803","_HOSTNAME":"db1","SYSLOG_IDENTIFIER":"pgbouncer","_PID":"28431","MESSAGE":"C-0x55723b8f4f70: ahsp/ahsp@10.0.0.5:44562 closing because: query_wait_timeout (age=2s)"}`,
	match: func(line string) bool {
		return strings.HasPrefix(line, "{") && strings.Contains(line, `"__REALTIME_TIMESTAMP"`) && strings.Contains(line, `"MESSAGE"`)
	},
	open: func(*parser.Clock) Unwrapper { return &journalJSON{} },
}

type journalJSON struct {
	members []member // reused from line to line
}

func (u *journalJSON) Unwrap(num int, line string, out func(Record)) bool {
	line = strings.TrimSuffix(line, "\r")
	var f journalFields
	var flat bool
	if u.members, flat = flatMembers(line, u.members); flat {
		// In order, so that a key given twice keeps its last value, as
		// decoding into a map does.
		for _, m := range u.members {
			f.set(m.key, m.text())
		}
	} else if !f.decode(line) {
		return false
	}
	r, ok := f.record(num)
	if !ok {
		return false
	}
	out(r)
	return true
}

// decode reads an entry through encoding/json: what flatMembers leaves,
// binary fields (arrays of bytes) among it.
func (f *journalFields) decode(line string) bool {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(line), &obj); err != nil {
		return false
	}
	for k, raw := range obj {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			f.set(k, s)
			continue
		}
		// A field that is not UTF-8 comes as an array of bytes.
		var b []byte
		var ints []int
		if err := json.Unmarshal(raw, &ints); err == nil {
			for _, n := range ints {
				b = append(b, byte(n))
			}
			f.set(k, string(b))
		}
	}
	return true
}

func (*journalJSON) Flush(func(Record)) {}

// journalExportKind: journalctl -o export: an entry is KEY=VALUE lines and
// a blank line; a value that holds a newline or is not text comes as the
// key alone, then its length as 8 bytes (little-endian) and the bytes.
var journalExportKind = &Kind{
	Name:    "journald export",
	Example: "__REALTIME_TIMESTAMP=1795713309716803",
	match: func(line string) bool {
		if line == "" {
			return true
		}
		eq := strings.IndexByte(line, '=')
		key := line
		if eq >= 0 {
			key = line[:eq]
		}
		return isJournalKey(key)
	},
	open: func(*parser.Clock) Unwrapper { return &journalExport{} },
}

func isJournalKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

type journalExport struct {
	f     journalFields
	start int // line the entry began on; 0 between entries
	// binKey is the key of a binary field being read, need the bytes it
	// still lacks, bin what it has so far.
	binKey string
	need   int
	bin    []byte
	sized  bool
}

func (u *journalExport) Unwrap(num int, line string, out func(Record)) bool {
	if u.binKey != "" {
		return u.binary(line)
	}
	if line == "" || line == "\r" {
		u.end(out)
		return true
	}
	if u.start == 0 {
		u.start = num
	}
	k, v, hasValue := strings.Cut(line, "=")
	if !isJournalKey(k) {
		return false
	}
	if !hasValue {
		u.binKey, u.bin, u.sized = k, u.bin[:0], false
		return true
	}
	u.f.set(k, v)
	return true
}

// binary collects a binary field's bytes from the lines the reader split
// it into (each line lost its newline, which is part of the data).
func (u *journalExport) binary(line string) bool {
	u.bin = append(u.bin, line...)
	if !u.sized {
		if len(u.bin) < 8 {
			u.bin = append(u.bin, '\n')
			return true
		}
		u.need = int(binary.LittleEndian.Uint64(u.bin[:8]))
		u.bin = append(u.bin[:0], u.bin[8:]...)
		u.sized = true
		if u.need < 0 || u.need > 1<<20 {
			u.binKey = ""
			return false
		}
	}
	if len(u.bin) < u.need {
		u.bin = append(u.bin, '\n')
		return true
	}
	u.f.set(u.binKey, string(u.bin[:u.need]))
	u.binKey = ""
	return true
}

func (u *journalExport) end(out func(Record)) {
	if u.start == 0 {
		return
	}
	if r, ok := u.f.record(u.start); ok {
		out(r)
	}
	u.f, u.start = journalFields{}, 0
}

func (u *journalExport) Flush(out func(Record)) { u.end(out) }
