// Package locust reads what a Locust load test left behind: its --csv files
// (stats, failures, exceptions, per-second history) and the lines a
// locustfile prints to its console, so that the client's view can be set
// against the server's.
package locust

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/logcorr/logcorr/source"
)

// Kind is which of Locust's files a file is.
type Kind string

const (
	KindStats      Kind = "stats"
	KindFailures   Kind = "failures"
	KindExceptions Kind = "exceptions"
	KindHistory    Kind = "history"
)

// KindOf tells a Locust CSV file by its header line, "" for anything else.
func KindOf(header string) Kind {
	header = strings.TrimPrefix(strings.TrimSpace(header), "\ufeff")
	switch {
	case strings.HasPrefix(header, "Type,Name,Request Count,Failure Count"):
		return KindStats
	case strings.HasPrefix(header, "Timestamp,User Count,Type,Name"):
		return KindHistory
	case strings.HasPrefix(header, "Method,Name,Error,Occurrences"):
		return KindFailures
	case strings.HasPrefix(header, "Count,Message,Traceback"):
		return KindExceptions
	}
	return ""
}

// Stat is a row of _stats.csv: what Locust recorded under one name.
type Stat struct {
	Method, Name       string
	Requests, Failures int
}

// Failure is a row of _failures.csv, with the status and URL its error
// names when it is an HTTP error.
type Failure struct {
	Method, Name, Error string
	Occurrences         int
	Status              int    // 0 when the error is no HTTP status
	URLPath             string // the URL the error names, "" when none
}

// Sample is a row of _stats_history.csv for all requests together.
type Sample struct {
	Time                         time.Time
	Users                        int
	TotalRequests, TotalFailures int
}

// Run is what a load test left behind.
type Run struct {
	Files      []string
	Stats      []Stat
	Failures   []Failure
	Exceptions int
	History    []Sample
	// Prints counts the console lines a locustfile printed about a failed
	// response ("Login FAILED - status: 500"), by the status they name.
	Prints map[int]int
	// PrintExamples holds one such line as printed, by status.
	PrintExamples map[int]string
}

// Found reports whether any Locust file was read.
func (r *Run) Found() bool { return len(r.Files) > 0 }

// ReadCSV reads one of Locust's CSV files into the run.
func (r *Run) ReadCSV(path string, kind Kind) error {
	f, err := source.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return row[i]
		}
		return ""
	}
	num := func(row []string, name string) int {
		n, _ := strconv.Atoi(strings.TrimSpace(get(row, name)))
		return n
	}
	line := 1
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			// Keep what was read: the file may be rewritten as we read it.
			return fmt.Errorf("%s:%d: %v", path, line, err)
		}
		switch kind {
		case KindStats:
			r.Stats = append(r.Stats, Stat{Method: get(row, "Type"), Name: get(row, "Name"),
				Requests: num(row, "Request Count"), Failures: num(row, "Failure Count")})
		case KindFailures:
			fl := Failure{Method: get(row, "Method"), Name: get(row, "Name"), Error: get(row, "Error"), Occurrences: num(row, "Occurrences")}
			fl.Status, fl.URLPath = httpError(fl.Error)
			r.Failures = append(r.Failures, fl)
		case KindExceptions:
			r.Exceptions += num(row, "Count")
		case KindHistory:
			if get(row, "Name") != "Aggregated" {
				continue
			}
			sec, err := strconv.ParseInt(get(row, "Timestamp"), 10, 64)
			if err != nil {
				continue
			}
			r.History = append(r.History, Sample{Time: time.Unix(sec, 0).UTC(), Users: num(row, "User Count"),
				TotalRequests: num(row, "Total Request Count"), TotalFailures: num(row, "Total Failure Count")})
		}
	}
	r.Files = append(r.Files, path)
	return nil
}

var (
	httpErrorStatus = regexp.MustCompile(`^\w+\(['"](\d{3}) `)
	gotStatus       = regexp.MustCompile(`\bgot (\d{3})\b`)
	forURL          = regexp.MustCompile(`for url: (\S+?)['"]?\)?$`)
	onPath          = regexp.MustCompile(` on (/\S*?)['"]?\)?$`)
)

// httpError reads the status and URL path from Locust's repr of an error:
// HTTPError('500 Server Error: Internal Server Error for url: http://h/x/')
// or CatchResponseError('got 400 on /bad/').
func httpError(e string) (int, string) {
	status := 0
	if m := httpErrorStatus.FindStringSubmatch(e); m != nil {
		status, _ = strconv.Atoi(m[1])
	} else if m := gotStatus.FindStringSubmatch(e); m != nil {
		status, _ = strconv.Atoi(m[1])
	}
	path := ""
	if m := forURL.FindStringSubmatch(e); m != nil {
		path = m[1]
		if i := strings.Index(path, "://"); i >= 0 {
			path = path[i+3:]
			if j := strings.IndexByte(path, '/'); j >= 0 {
				path = path[j:]
			} else {
				path = "/"
			}
		}
	} else if m := onPath.FindStringSubmatch(e); m != nil {
		path = m[1]
	}
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return status, path
}

// failedPrint matches what locustfiles print about a failed response:
// "Login FAILED - status: 500", "login failed, status=400".
var failedPrint = regexp.MustCompile(`(?i)\bfail\w*\b.*\bstatus(?: code)?\b\s*[:=]?\s*(\d{3})\b`)

// ReadConsole reads a Locust console log (what locust wrote to stderr and a
// locustfile printed) for its failure prints.
func (r *Run) ReadConsole(path string) error {
	f, err := source.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lr := source.NewLineReader(f)
	if r.Prints == nil {
		r.Prints, r.PrintExamples = map[int]int{}, map[int]string{}
	}
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %v", path, lr.Line()+1, err)
		}
		// Locust's own records ("[time] host/LEVEL/name: …") are not prints.
		if strings.HasPrefix(line, "[") {
			continue
		}
		if m := failedPrint.FindStringSubmatch(line); m != nil {
			s, _ := strconv.Atoi(m[1])
			r.Prints[s]++
			if r.PrintExamples[s] == "" {
				r.PrintExamples[s] = strings.TrimRight(line, "\r")
			}
		}
	}
	r.Files = append(r.Files, path)
	return nil
}

// UsersAt returns how many users Locust ran at an instant: the sample that
// closes its second (a sample is taken at the end of each second, so the
// users it counts were running during it), and false outside the history.
func (r *Run) UsersAt(t time.Time) (int, bool) {
	if len(r.History) == 0 || t.Before(r.History[0].Time.Add(-time.Second)) || !t.Before(r.History[len(r.History)-1].Time) {
		return 0, false
	}
	i := sort.Search(len(r.History), func(i int) bool { return r.History[i].Time.After(t) })
	return r.History[i].Users, true
}
