package parser

import (
	"strconv"
	"strings"
	"time"
)

// What PostgreSQL's timing lines say: each states how long something took,
// ending at the line's time (Event.Duration), so a slow request can be set
// against what overlapped it.
const (
	// TagStatement: "duration: 1215.324 ms  statement: SELECT …"
	// (log_min_duration_statement); Reason is the statement.
	TagStatement Tag = "statement"
	// TagLockWait: "process 4504 still waiting for ShareLock on
	// transaction 1119 after 1000.324 ms" (log_lock_waits); the wait goes on.
	TagLockWait Tag = "lock_wait"
	// TagLockAcquired: "process 4504 acquired ShareLock on transaction
	// 1119 after 1962.044 ms": the whole wait, ended.
	TagLockAcquired Tag = "lock_acquired"
	// TagCheckpoint: "checkpoint complete: … total=0.315 s".
	TagCheckpoint Tag = "checkpoint"
	// TagAutovacuum: "automatic vacuum of table …" / "automatic analyze
	// of table …", whose "elapsed: N s" is on a continuation line.
	TagAutovacuum Tag = "autovacuum"
)

// tagTiming reads what a PostgreSQL record's message says about time; it
// runs when the record is complete, since autovacuum's and a lock wait's
// details are on continuation lines.
func tagTiming(ev *Event) {
	msg := ev.Message
	switch {
	case strings.HasPrefix(msg, "duration: "):
		ms, rest, ok := msBefore(msg[len("duration: "):], " ms")
		if !ok {
			return
		}
		ev.Tag, ev.Duration = TagStatement, ms
		// "  statement: …", "  execute <unnamed>: …", "  parse …", or
		// nothing (log_duration).
		rest = strings.TrimLeft(rest, " ")
		if _, stmt, found := strings.Cut(rest, ": "); found {
			// A statement written over several lines reads as one.
			ev.Reason = strings.Join(strings.Fields(stmt), " ")
		}
	case strings.HasPrefix(msg, "process "):
		line := firstLine(msg)
		var tag Tag
		var what string
		switch {
		case strings.Contains(line, " still waiting for "):
			tag, what = TagLockWait, line[strings.Index(line, " still waiting for ")+len(" still waiting for "):]
		case strings.Contains(line, " acquired "):
			tag, what = TagLockAcquired, line[strings.Index(line, " acquired ")+len(" acquired "):]
		case strings.Contains(line, " detected deadlock while waiting for "):
			tag, what = TagLockWait, line[strings.Index(line, " waiting for ")+len(" waiting for "):]
		default:
			return
		}
		at := strings.LastIndex(what, " after ")
		if at < 0 {
			return
		}
		ms, _, ok := msBefore(what[at+len(" after "):], " ms")
		if !ok {
			return
		}
		ev.Tag, ev.Duration, ev.Reason = tag, ms, what[:at]
		// "Process holding the lock: 2994. Wait queue: 3066."
		if _, holder, found := strings.Cut(msg, "Process holding the lock: "); found {
			if end := strings.IndexAny(holder, ". "); end > 0 {
				ev.setField("lock_holder", holder[:end])
			}
		}
	case strings.HasPrefix(msg, "checkpoint complete: "), strings.HasPrefix(msg, "restartpoint complete: "):
		if d, ok := secondsAfter(msg, "total="); ok {
			ev.Tag, ev.Duration = TagCheckpoint, d
		}
	case strings.HasPrefix(msg, "automatic vacuum of table "), strings.HasPrefix(msg, "automatic analyze of table "):
		if d, ok := secondsAfter(msg, "elapsed: "); ok {
			ev.Tag, ev.Duration, ev.Reason = TagAutovacuum, d, firstLine(msg)
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// msBefore reads "1215.324" up to unit at the start of s.
func msBefore(s, unit string) (time.Duration, string, bool) {
	end := strings.Index(s, unit)
	if end <= 0 {
		return 0, "", false
	}
	f, err := strconv.ParseFloat(s[:end], 64)
	if err != nil || f < 0 {
		return 0, "", false
	}
	return time.Duration(f * float64(time.Millisecond)), s[end+len(unit):], true
}

// secondsAfter reads the "0.315 s" that follows key in s.
func secondsAfter(s, key string) (time.Duration, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return 0, false
	}
	d, _, ok := msBefore(s[i+len(key):], " s")
	return d * 1000, ok
}
