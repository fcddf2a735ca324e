package parser

// FormatInfo describes a format for people: `logcorr formats` lists these,
// and each example is a line detection must recognise as the format.
type FormatInfo struct {
	// Name is how --parser names it; a placeholder after the colon
	// (postgresql:PREFIX) stands for a value the user gives.
	Name    string
	Summary string
	Example string
	// Spec is what the example must be detected as; empty for a format
	// that is only ever named (python:FORMAT stands for every inferred one).
	Spec string
}

// Formats lists the log formats logcorr reads, in the order a Django
// incident usually involves them.
var Formats = []FormatInfo{
	{"runserver", "stderr of Django's manage.py runserver: access lines, and django.request records with their tracebacks (dated by the line after them)",
		`[27/Nov/2026 00:15:05] "POST /accounts/login/ HTTP/1.1" 500 145`, "runserver"},
	{"access", "access logs in the Common or Combined Log Format: gunicorn --access-logfile, nginx, Apache",
		`127.0.0.1 - - [27/Nov/2026:00:15:05 +0700] "POST /accounts/login/ HTTP/1.1" 500 145 "-" "python-requests/2.31.0"`, "access"},
	{"pgbouncer", "PgBouncer's log file, or its lines as syslog and journald write them",
		`2026-11-26 17:15:12.718 UTC [28431] LOG C-0x55723b8f6730: ahsp/ahsp@127.0.0.1:44978 closing because: query_wait_timeout (age=4s)`, "pgbouncer"},
	{"postgresql", "PostgreSQL's stderr log with a log_line_prefix starting with %m or %t ('%m [%p] ', Debian's '%m [%p] %q%u@%d ')",
		`2026-11-26 17:15:00.123 UTC [28400] ahsp@ahsp FATAL:  sorry, too many clients already`, "postgresql"},
	{"postgresql:PREFIX", "PostgreSQL with the log_line_prefix you give, e.g. --parser 'postgresql.log=postgresql:%t [%p]: [%l-1] user=%u,db=%d '",
		"", ""},
	{"python:FORMAT", "a Python logging file written with this format string, %-style or {-style; most are recognised without it, " +
		"asctime first or after the level, [LEVEL] or LEVEL, logger name, pid and thread; key=value pairs in messages become fields",
		`2026-11-27 00:15:05,501 WARNING auth_debug: method=POST path=/accounts/login/ user=lt_139 status=500 dur_ms=140`,
		"python:%(asctime)s %(levelname)s %(name)s: %(message)s"},
}
