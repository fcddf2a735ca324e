package correlate

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/logcorr/logcorr/parser"
)

// What a cause can explain besides the requests whose own traceback names it.
const (
	// ExplainsLostConnection: a request whose database connection was
	// closed or refused under it (psycopg2 on libpq >= 14 keeps no reason:
	// "server closed the connection unexpectedly"), or whose traceback no
	// log kept.
	ExplainsLostConnection = "lost_connection"
	// ExplainsNoTraceback: a request that left no traceback at all (a
	// killed worker).
	ExplainsNoTraceback = "no_traceback"
)

// Cause is a known reason for a failed request: where it shows, what it
// means, what usually fixes it, and how its lines are recognised.
type Cause struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Meaning string `json:"meaning"`
	Fix     string `json:"fix"`
	// Shows lists the logs where it shows, the one that shows it best first:
	// pgbouncer, postgresql, django (tracebacks in runserver or logging
	// files), gunicorn, uwsgi, proxy (nginx, Heroku's router). A cause none of whose logs were read is "not
	// checked", never "rejected".
	Shows []string `json:"shows"`
	// Needles are texts that name the cause wherever they appear: a
	// PgBouncer or PostgreSQL line, a traceback, a worker's log.
	Needles []string `json:"needles,omitempty"`
	// PgBouncerReasons are "closing because:" / "pooler error:" reasons
	// (prefixes) that show the cause.
	PgBouncerReasons []string `json:"pgbouncer_reasons,omitempty"`
	// Exceptions are exception classes that are the cause when a request's
	// own traceback ends or starts with them.
	Exceptions []string `json:"exceptions,omitempty"`
	// Explains says which other requests a line of this cause explains
	// when it is in their window: ExplainsLostConnection,
	// ExplainsNoTraceback, or "" (only requests that name it themselves).
	Explains string `json:"explains,omitempty"`
}

// lostConnection is what a Django request sees when its database connection
// was closed or refused under it.
func lostConnection(exc *parser.Exception) bool {
	if exc == nil {
		return true
	}
	if !strings.HasSuffix(exc.Class, "OperationalError") && !strings.HasSuffix(exc.Class, "InterfaceError") {
		return false
	}
	for _, s := range []string{
		"server closed the connection unexpectedly",
		"connection already closed",
		"SSL SYSCALL error",
		"SSL connection has been closed unexpectedly",
		"consuming input failed",
		"terminating connection",
		"connection to server at",
		"could not connect to server",
		"connection failed",
		"FATAL:",
	} {
		if strings.Contains(exc.Message, s) {
			return true
		}
	}
	return false
}

// CanExplain reports whether a line of this cause can explain a request
// whose own final exception is exc (nil when no log kept its traceback).
func (c *Cause) CanExplain(exc *parser.Exception) bool {
	switch c.Explains {
	case ExplainsLostConnection:
		return lostConnection(exc)
	case ExplainsNoTraceback:
		return exc == nil
	}
	return false
}

// Builtin is the catalogue logcorr knows (docs/causes.md), most specific
// first; formats.md §7 is its source.
var Builtin = []Cause{
	{
		ID: "query_wait_timeout", Title: "PgBouncer pool exhausted",
		Meaning:          "PgBouncer dropped a client that waited longer than query_wait_timeout for a server connection: the pool is too small for the load",
		Fix:              "enlarge default_pool_size/reserve_pool_size within PostgreSQL's max_connections, hold connections for less time (no ATOMIC_REQUESTS around slow work such as password hashing), or send less load; a longer query_wait_timeout only hides the queue",
		Shows:            []string{"pgbouncer", "django"},
		Needles:          []string{"query_wait_timeout"},
		PgBouncerReasons: []string{"query_wait_timeout"},
		Explains:         ExplainsLostConnection,
	},
	{
		ID: "client_login_timeout", Title: "PgBouncer login timeout",
		Meaning:          "a client could not log in to PgBouncer in time, often because the server behind it is down",
		Fix:              "check that PostgreSQL is up and reachable from PgBouncer; raise client_login_timeout only if logins are merely slow",
		Shows:            []string{"pgbouncer", "django"},
		Needles:          []string{"client_login_timeout"},
		PgBouncerReasons: []string{"client_login_timeout"},
		Explains:         ExplainsLostConnection,
	},
	{
		ID: "max_client_conn", Title: "PgBouncer client limit",
		Meaning:          "PgBouncer refused a client over max_client_conn",
		Fix:              "raise max_client_conn (and the file descriptor limit), or run fewer app workers and threads; look for connections the app leaks",
		Shows:            []string{"pgbouncer", "django"},
		Needles:          []string{"no more connections allowed (max_client_conn)"},
		PgBouncerReasons: []string{"no more connections allowed"},
		Explains:         ExplainsLostConnection,
	},
	{
		ID: "postgres_too_many_clients", Title: "PostgreSQL connection limit",
		Meaning:  "PostgreSQL refused a connection: max_connections (or the slots left after superuser_reserved_connections) reached",
		Fix:      "keep PgBouncer's pools (default_pool_size + reserve_pool_size, per database and user) below max_connections minus the reserved slots, or raise max_connections",
		Shows:    []string{"postgresql", "pgbouncer", "django"},
		Needles:  []string{"sorry, too many clients already", "remaining connection slots are reserved"},
		Explains: ExplainsLostConnection,
	},
	{
		ID: "statement_timeout", Title: "PostgreSQL statement timeout",
		Meaning: "PostgreSQL cancelled a statement that ran longer than statement_timeout",
		Fix:     "find the slow query (PostgreSQL's STATEMENT line) and speed it up (index, smaller batches), or raise statement_timeout for it",
		Shows:   []string{"postgresql", "django"},
		Needles: []string{"canceling statement due to statement timeout"},
	},
	{
		ID: "lock_timeout", Title: "Lock wait timeout",
		Meaning: "a statement gave up waiting for a lock (lock_timeout, or NOWAIT)",
		Fix:     "shorten the transactions that hold the lock, take locks in one order, or use SKIP LOCKED where waiting is not needed",
		Shows:   []string{"postgresql", "django"},
		Needles: []string{"canceling statement due to lock timeout", "could not obtain lock on"},
	},
	{
		ID: "deadlock", Title: "Deadlock",
		Meaning: "PostgreSQL aborted one of two transactions waiting on each other",
		Fix:     "take row locks in a consistent order (ORDER BY in select_for_update), keep transactions short, retry the victim",
		Shows:   []string{"postgresql", "django"},
		Needles: []string{"deadlock detected"},
	},
	{
		ID: "idle_in_transaction", Title: "Idle-in-transaction kill",
		Meaning:          "a connection was closed because it sat idle inside a transaction too long",
		Fix:              "commit or roll back before slow non-database work; look for transactions left open (ATOMIC_REQUESTS around long views)",
		Shows:            []string{"postgresql", "pgbouncer", "django"},
		Needles:          []string{"terminating connection due to idle-in-transaction timeout"},
		PgBouncerReasons: []string{"idle transaction timeout"},
		Explains:         ExplainsLostConnection,
	},
	{
		ID: "pgbouncer_query_timeout", Title: "PgBouncer query timeout",
		Meaning:          "PgBouncer cancelled a query that ran (or waited) longer than query_timeout",
		Fix:              "speed up the query or raise query_timeout",
		Shows:            []string{"pgbouncer", "django"},
		PgBouncerReasons: []string{"query timeout", "query_timeout"},
		Explains:         ExplainsLostConnection,
	},
	{
		ID: "server_conn_crashed", Title: "Server connection died",
		Meaning:          "the server connection behind PgBouncer died: a backend was killed (pg_terminate_backend, OOM killer) or crashed",
		Fix:              "look in PostgreSQL's log around the time for the backend's end (signal 9, administrator command) and the kernel log for the OOM killer",
		Shows:            []string{"pgbouncer", "postgresql", "django"},
		Needles:          []string{"server conn crashed?", "terminating connection due to administrator command", "was terminated by signal"},
		PgBouncerReasons: []string{"server conn crashed?"},
		Explains:         ExplainsLostConnection,
	},
	{
		ID: "database_down", Title: "Database down or restarting",
		Meaning:          "PostgreSQL was not accepting connections: shutting down, starting up, in recovery, or not listening",
		Fix:              "find why PostgreSQL stopped or restarted (its log); make the app retry connections during restarts",
		Shows:            []string{"postgresql", "pgbouncer", "django"},
		Needles:          []string{"the database system is shutting down", "the database system is starting up", "the database system is in recovery mode", "the database system is not yet accepting connections", "accepting TCP/IP connections", "server login has been failing", "pgbouncer cannot connect to server"},
		PgBouncerReasons: []string{"connect failed", "server login has been failing", "pgbouncer cannot connect to server"},
		Explains:         ExplainsLostConnection,
	},
	{
		ID: "redis_connection_error", Title: "Redis unreachable",
		Meaning:    "the app could not connect to, or lost its connection to, a Redis server (a cache, session store or throttle)",
		Fix:        "check which Redis host the failing keys map to (a decommissioned node left in the configuration), and that Redis runs and accepts clients (maxclients)",
		Shows:      []string{"django"},
		Exceptions: []string{"redis.exceptions.ConnectionError", "django_redis.exceptions.ConnectionInterrupted"},
	},
	{
		ID: "redis_timeout", Title: "Redis timeout",
		Meaning:    "a Redis command or connection timed out",
		Fix:        "look for slow Redis commands (SLOWLOG) or a saturated Redis; check socket_timeout settings",
		Shows:      []string{"django"},
		Exceptions: []string{"redis.exceptions.TimeoutError"},
	},
	{
		ID: "worker_timeout", Title: "gunicorn worker killed",
		Meaning:  "gunicorn killed a worker that handled a request longer than its timeout; the request got no response and left no traceback",
		Fix:      "find what the request waited for (database, external call); raise gunicorn's --timeout only if the work is legitimately slow",
		Shows:    []string{"gunicorn"},
		Needles:  []string{"WORKER TIMEOUT"},
		Explains: ExplainsNoTraceback,
	},
	{
		ID: "uwsgi_harakiri", Title: "uWSGI worker killed (harakiri)",
		Meaning:  "uWSGI killed a worker whose request ran longer than its harakiri timeout; the request got no response and left no traceback",
		Fix:      "find what the request waited for (database, lock, external call); raise harakiri only if the work is legitimately slow",
		Shows:    []string{"uwsgi"},
		Needles:  []string{"HARAKIRI ON WORKER", "HARAKIRI [core "},
		Explains: ExplainsNoTraceback,
	},
	{
		ID: "upstream_timeout", Title: "App too slow for the proxy",
		Meaning: "the reverse proxy (nginx) gave up waiting for the app's response (proxy_read_timeout) and answered 504; the app may still be working on it",
		Fix:     "find what made the request slow (its own chain in the app's logs: pool waits, slow statements, locks); raise proxy_read_timeout only if the slowness is expected",
		Shows:   []string{"proxy"},
		Needles: []string{"upstream timed out", "code=H12", "Error H12"},
	},
	{
		ID: "upstream_refused", Title: "App not accepting connections",
		Meaning: "the reverse proxy could not connect to the app (connection refused, no live upstreams) and answered 502: the app server was down, restarting or not listening yet",
		Fix:     "check that the app server is up and listens where the proxy points (upstream address, socket); look at its own log for the restart or crash",
		Shows:   []string{"proxy"},
		Needles: []string{"connect() failed (111", "no live upstreams", "code=H10", "Error H10"},
	},
	{
		ID: "upstream_closed", Title: "App closed the connection",
		Meaning: "the app closed the proxy's connection before answering (upstream prematurely closed connection, reset by peer) and the proxy answered 502: usually a worker that was killed (timeout, out of memory) or crashed",
		Fix:     "look in the app server's log for the worker it killed or lost at that moment (WORKER TIMEOUT, HARAKIRI, SIGKILL) and what that request waited for",
		Shows:   []string{"proxy"},
		Needles: []string{"upstream prematurely closed connection", "Connection reset by peer) while reading response header from upstream", "code=H13", "Error H13"},
	},
}

// Catalogue is a set of causes, searched in order.
type Catalogue []Cause

// LoadCauses reads causes a user added, from a JSON file holding an array of
// objects with the fields of docs/causes.md.
func LoadCauses(path string) ([]Cause, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var causes []Cause
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&causes); err != nil {
		return nil, fmt.Errorf("%s: %v (want a JSON array of causes, see docs/causes.md)", path, err)
	}
	for i, c := range causes {
		switch {
		case c.ID == "":
			return nil, fmt.Errorf("%s: cause %d has no id", path, i+1)
		case len(c.Needles)+len(c.PgBouncerReasons)+len(c.Exceptions) == 0:
			return nil, fmt.Errorf("%s: cause %q has no needles, pgbouncer_reasons or exceptions: nothing could show it", path, c.ID)
		case c.Explains != "" && c.Explains != ExplainsLostConnection && c.Explains != ExplainsNoTraceback:
			return nil, fmt.Errorf("%s: cause %q: explains must be %q, %q or empty", path, c.ID, ExplainsLostConnection, ExplainsNoTraceback)
		}
	}
	return causes, nil
}

// Merged puts added causes before a catalogue's; an added cause replaces a
// catalogued one of the same id.
func Merged(added []Cause, cat Catalogue) Catalogue {
	out := append(Catalogue(nil), added...)
	for _, c := range cat {
		replaced := false
		for _, a := range added {
			replaced = replaced || a.ID == c.ID
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out
}

// namedIn reports whether an event's message or exceptions name the cause.
func (c *Cause) namedIn(ev *parser.Event) bool {
	for _, n := range c.Needles {
		if strings.Contains(ev.Message, n) ||
			ev.Exc != nil && strings.Contains(ev.Exc.Message, n) ||
			ev.Root != nil && strings.Contains(ev.Root.Message, n) {
			return true
		}
	}
	return false
}

// raised reports whether an event's traceback ends or starts with one of the
// cause's exceptions.
func (c *Cause) raised(ev *parser.Event) bool {
	for _, x := range c.Exceptions {
		if ev.Exc != nil && ev.Exc.Class == x || ev.Root != nil && ev.Root.Class == x {
			return true
		}
	}
	return false
}

// ByID returns a catalogued cause.
func (cat Catalogue) ByID(id string) *Cause {
	for i := range cat {
		if cat[i].ID == id {
			return &cat[i]
		}
	}
	return nil
}
