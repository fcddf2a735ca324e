package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/logcorr/logcorr/correlate"
	"github.com/logcorr/logcorr/parser"
	"github.com/logcorr/logcorr/source"
)

// encoded is what json.Encoder writes for v with HTML escaping off, as the
// JSON renderer did before it wrote chains itself.
func encoded(t testing.TB, v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return buf.String()
}

// captureChains correlates a capture's logs as analyze does.
func captureChains(t *testing.T, dir string) []correlate.Chain {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	require.NoError(t, err)
	ins, err := source.Expand([]string{dir})
	require.NoError(t, err)
	var srcs []correlate.Source
	for _, in := range ins {
		s, err := source.Open(in, &source.Options{Loc: jakarta})
		if err != nil {
			continue
		}
		t.Cleanup(func() { s.Close() })
		srcs = append(srcs, s)
	}
	var chains []correlate.Chain
	c := correlate.New(correlate.DefaultConfig(), func(ch correlate.Chain) { chains = append(chains, ch) })
	m := correlate.NewMerge(srcs...)
	defer m.Close()
	for {
		ev, err := m.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		c.AddAt(ev, m.Key())
	}
	c.Close()
	return chains
}

// TestChainJSONAsEncoder: every chain of real captures, and one with every
// optional field and every kind of character to escape, is written byte for
// byte as encoding/json writes it.
func TestChainJSONAsEncoder(t *testing.T) {
	for _, dir := range []string{
		"../testdata/login-storm-psycopg2/logs",
		"../testdata/captures/gunicorn-nginx-pool/logs",
		"../testdata/captures/uwsgi-nginx-console-json/logs",
	} {
		t.Run(dir, func(t *testing.T) {
			chains := captureChains(t, dir)
			require.NotEmpty(t, chains)
			for i := range chains {
				jc := ChainJSON(&chains[i])
				require.Equal(t, encoded(t, jc), string(jc.appendJSON(nil))+"\n", "chain %d", i)
			}
		})
	}
	t.Run("every field", func(t *testing.T) {
		odd := "a\"b\\c\b\f\n\r\t\x01\x1f\x7f <>& é \u2028\u2029 \xff\xfe 日本"
		exc := &parser.Exception{Class: "x.Error", Message: odd}
		ev := parser.Event{Source: "f.log", Gen: 2, Line: 3, EndLine: 9, Time: time.Unix(1700000000, 5e6).UTC(), Precision: time.Millisecond,
			Stamped: true, Duration: 1500 * time.Millisecond, Proxy: true, Kind: parser.KindAccess, Method: "POST", Path: "/p?" + odd, Status: 500,
			Text: odd, Exc: exc, Root: exc, Fields: parser.Fields{{Key: "b", Value: odd}, {Key: "a", Value: "1"}, {Key: odd, Value: "key"}}}
		ch := correlate.Chain{Anchor: ev, Time: ev.Time, Method: "POST", Path: ev.Path, Status: 500, Cause: odd, Hypothesis: "h", Notes: []string{odd, ""},
			Basis: correlate.BasisNamed, Exc: exc, Root: exc,
			Evidence: []correlate.Link{{Event: ev, Offset: -time.Second, Role: correlate.RoleCause, Why: odd}, {Event: parser.Event{Source: "g.log"}}}}
		jc := ChainJSON(&ch)
		assert.Equal(t, encoded(t, jc), string(jc.appendJSON(nil))+"\n")
		ch.Began, ch.Duration = ev.Time.Add(-12345*time.Millisecond), 12345*time.Millisecond
		ch.Split = &correlate.Split{Total: ch.Duration, Pool: 9 * time.Second, Statement: 3 * time.Second, Lock: 345 * time.Millisecond,
			Proxy: time.Second, PoolQueue: 48.46, Statements: []correlate.StatementTime{{Fingerprint: odd, Took: time.Second}}}
		jc = ChainJSON(&ch)
		assert.Equal(t, encoded(t, jc), string(jc.appendJSON(nil))+"\n", "a slow anchor")
		jc.Evidence = nil
		assert.Equal(t, encoded(t, jc), string(jc.appendJSON(nil))+"\n", "no evidence at all")
	})
}

// FuzzAppendJSONString: any string is written as encoding/json writes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\", "\x00\x1f\x7f", "<>&", "\u2028\u2029", "\xff", "é日本\xe2\x80",
		"a plain line of text, \"quoted\" in the middle\tand a tab", "eight!!!\u2028 and sixteen bytes"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := encoded(t, s)
		assert.Equal(t, want[:len(want)-1], string(appendJSONString(nil, s)))
	})
}

// TestAppendJSONStringEveryByte puts every byte value at every place of
// strings long enough to be passed over a word at a time, alone and with
// the next byte too (a multi-byte character across words): each is
// written as encoding/json writes it.
func TestAppendJSONStringEveryByte(t *testing.T) {
	plain := "abcdefghijklmnopqrstuvwx"
	for c := 0; c < 256; c++ {
		for at := 0; at < len(plain); at++ {
			for _, s := range []string{plain[:at] + string(rune(c)) + plain[at+1:], plain[:at] + string([]byte{byte(c)}) + plain[at+1:]} {
				want := encoded(t, s)
				require.Equal(t, want[:len(want)-1], string(appendJSONString(nil, s)), "%q", s)
			}
		}
	}
}

// TestStampAsFormat holds the hand-written stamp to time.Format's layouts:
// zones east and west, half hours, UTC, odd-second offsets of old zones,
// years of fewer and more than four digits, each precision.
func TestStampAsFormat(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	zones := []*time.Location{time.UTC, kolkata, newYork, time.FixedZone("WIB", 7*3600), time.FixedZone("LMT", -(4*3600 + 56*60 + 2)), time.FixedZone("X", -30)}
	times := []time.Time{
		time.Date(2026, 11, 27, 0, 15, 5, 496_123_789, time.UTC),
		time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1_000, time.UTC),
		time.Date(12345, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(999, 6, 1, 12, 0, 0, 5_000_000, time.UTC),
	}
	layouts := map[time.Duration]string{
		time.Second:      "2006-01-02T15:04:05Z07:00",
		time.Millisecond: "2006-01-02T15:04:05.000Z07:00",
		time.Microsecond: "2006-01-02T15:04:05.000000Z07:00",
		time.Nanosecond:  time.RFC3339Nano,
	}
	for _, base := range times {
		for _, loc := range zones {
			at := base.In(loc)
			for prec, layout := range layouts {
				assert.Equal(t, at.Format(layout), stamp(at, prec), "%v at %s", at, prec)
			}
			want := at.Format("2006-01-02T15:04:05Z07:00")
			if at.Nanosecond() != 0 {
				want = at.Format(time.RFC3339Nano)
			}
			assert.Equal(t, want, stamp(at, 0), "%v, precision unknown", at)
		}
	}
}
