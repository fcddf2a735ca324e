package report

import (
	"fmt"
	"strings"

	"github.com/logcorr/logcorr/correlate"
)

// CatalogueMarkdown documents a cause catalogue: docs/causes.md is this,
// written by `go test ./cmd/logcorr -update`, so it cannot drift from the
// code.
func CatalogueMarkdown(cat correlate.Catalogue) string {
	var b strings.Builder
	b.WriteString(`# Cause catalogue

logcorr explains a failed request (an anchor) by a catalogued cause when its own traceback names the cause or ends in
one of the cause's exceptions, or when a line that shows the cause is in its window and its own exception is what the
cause produces (for PgBouncer and PostgreSQL causes: a lost or refused database connection, or no traceback at all).
Every summary ranks the catalogue as a hypothesis table: CONFIRMED (explains anchors, with an example), SEEN (shows in
the logs but explains no anchor), REJECTED (no trace in the logs that would show it), NOT CHECKED (none of those logs
was read, so its absence means nothing).

## Adding causes

` + "`--causes FILE`" + ` (repeatable) adds the causes of a JSON file before the built-in ones; one with a built-in id replaces it.

` + "```json" + `
[
  {
    "id": "throttle_dead_slot",
    "title": "Login throttle on a dead Redis node",
    "meaning": "the throttle keys of some usernames map to a decommissioned Redis node",
    "fix": "remap the legacy slots in THROTTLE_NODES",
    "shows": ["django"],
    "needles": ["127.0.0.1:26380"],
    "exceptions": [],
    "pgbouncer_reasons": [],
    "explains": ""
  }
]
` + "```" + `

| field | meaning |
|---|---|
| ` + "`id`" + ` | the name chains and the table use |
| ` + "`shows`" + ` | kinds of log that show it: ` + "`django`" + ` (runserver and Python logging files), ` + "`pgbouncer`, `postgresql`, `gunicorn`" + ` |
| ` + "`needles`" + ` | texts that name it in any line or traceback |
| ` + "`exceptions`" + ` | exception classes that are it when a request's traceback ends or starts with them |
| ` + "`pgbouncer_reasons`" + ` | reasons of PgBouncer's ` + "`closing because:`" + ` and ` + "`pooler error:`" + ` lines (prefixes) |
| ` + "`explains`" + ` | which other requests a line of it explains when in their window: ` + "`lost_connection`" + ` (their database connection was lost or refused, or no traceback was kept), ` + "`no_traceback`" + `, or empty (only requests that name it) |

## Built-in causes

`)
	for _, c := range cat {
		fmt.Fprintf(&b, "### `%s`: %s\n\n", c.ID, c.Title)
		fmt.Fprintf(&b, "%s.\n\n", c.Meaning)
		fmt.Fprintf(&b, "- Shows in: %s\n", strings.Join(c.Shows, ", "))
		if len(c.PgBouncerReasons) > 0 {
			fmt.Fprintf(&b, "- PgBouncer reasons: %s\n", quoteAll(c.PgBouncerReasons))
		}
		if len(c.Needles) > 0 {
			fmt.Fprintf(&b, "- Texts: %s\n", quoteAll(c.Needles))
		}
		if len(c.Exceptions) > 0 {
			fmt.Fprintf(&b, "- Exceptions: %s\n", quoteAll(c.Exceptions))
		}
		if c.Explains != "" {
			fmt.Fprintf(&b, "- Explains nearby requests with: %s\n", strings.ReplaceAll(c.Explains, "_", " "))
		}
		fmt.Fprintf(&b, "- Usual fix: %s.\n\n", c.Fix)
	}
	return b.String()
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "`" + s + "`"
	}
	return strings.Join(q, ", ")
}
