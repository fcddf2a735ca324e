package parser

import (
	"regexp"
	"strconv"
)

// rotatedName matches the names logrotate and Python's handlers give old
// files: x.log.1, x.log.2.gz, x.log-20261126, x.log.2026-11-26_12.
var rotatedName = regexp.MustCompile(`^(.+?)(?:\.(\d+)|[.-](\d{4}-?\d\d-?\d\d[\d_.-]*))(?:\.gz|\.bz2|\.xz|\.zst)?$`)

// RotatedFrom names the log a rotated file was, and how many rotations old
// it is (x.log.2.gz: x.log, 2; a dated name counts as 1). A name that
// shows no rotation is its own log, age 0. The name may be a path, or a
// logical source of a file (x.log.2[gunicorn]: x.log[gunicorn], 2), so
// that one program's lines in a log's rotated files are one log too.
func RotatedFrom(name string) (log string, age int) {
	if file, label := SplitLabel(name); label != "" {
		log, age = RotatedFrom(file)
		return log + "[" + label + "]", age
	}
	m := rotatedName.FindStringSubmatch(name)
	if m == nil {
		return name, 0
	}
	if m[2] != "" {
		n, err := strconv.Atoi(m[2])
		if err != nil || n == 0 {
			return name, 0
		}
		return m[1], n
	}
	return m[1], 1
}
