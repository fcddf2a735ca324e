package correlate

import (
	"strings"

	"github.com/logcorr/logcorr/parser"
)

// Cause is a known reason for a failed request: the lines that show it and
// which of a request's own exceptions it can explain.
type Cause struct {
	ID      string
	Meaning string
	// Needles are texts that name the cause wherever they appear: in a
	// PgBouncer or PostgreSQL line, or in a traceback.
	Needles []string
	// PgBouncerReasons are PgBouncer "closing because:"/"pooler error:"
	// reasons (prefixes) that show the cause.
	PgBouncerReasons []string
	// Explains says whether a request whose own final exception is exc can
	// have failed of this cause. exc is nil when no log kept the traceback.
	Explains func(exc *parser.Exception) bool
}

// lostConnection is what a Django request sees when its database connection
// was closed or refused under it: psycopg2 on libpq ≥ 14 loses PgBouncer's
// reason entirely and says only "server closed the connection unexpectedly".
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

// Catalogue is the causes logcorr knows, most specific first.
var Catalogue = []Cause{
	{
		ID:               "query_wait_timeout",
		Meaning:          "PgBouncer dropped a client that waited longer than query_wait_timeout for a server connection: the pool is too small for the load",
		Needles:          []string{"query_wait_timeout"},
		PgBouncerReasons: []string{"query_wait_timeout"},
		Explains:         lostConnection,
	},
	{
		ID:               "max_client_conn",
		Meaning:          "PgBouncer refused a client over max_client_conn",
		Needles:          []string{"no more connections allowed (max_client_conn)"},
		PgBouncerReasons: []string{"no more connections allowed"},
		Explains:         lostConnection,
	},
	{
		ID:               "client_login_timeout",
		Meaning:          "a client could not log in to PgBouncer in time (often: the server is down)",
		Needles:          []string{"client_login_timeout"},
		PgBouncerReasons: []string{"client_login_timeout"},
		Explains:         lostConnection,
	},
	{
		ID:       "postgres_too_many_clients",
		Meaning:  "PostgreSQL refused a connection: max_connections reached",
		Needles:  []string{"sorry, too many clients already", "remaining connection slots are reserved"},
		Explains: lostConnection,
	},
	{
		ID:               "server_conn_crashed",
		Meaning:          "the server connection behind PgBouncer died (backend killed or crashed)",
		Needles:          []string{"server conn crashed?"},
		PgBouncerReasons: []string{"server conn crashed?"},
		Explains:         lostConnection,
	},
}

// signOf returns the cause an event shows, if any. A PgBouncer line counts
// by its reason; any other line by naming the cause in its text or its
// traceback.
func signOf(ev *parser.Event) *Cause {
	for i := range Catalogue {
		c := &Catalogue[i]
		if ev.Kind == parser.KindPgBouncer && (ev.Tag == "closing" || ev.Tag == "pooler_error") {
			for _, r := range c.PgBouncerReasons {
				if strings.HasPrefix(ev.Reason, r) {
					return c
				}
			}
			continue
		}
		if c.namedIn(ev) {
			return c
		}
	}
	return nil
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

// CauseByID returns a catalogued cause.
func CauseByID(id string) *Cause {
	for i := range Catalogue {
		if Catalogue[i].ID == id {
			return &Catalogue[i]
		}
	}
	return nil
}
