package deadline

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDateOfUsesLondonDays(t *testing.T) {
	tests := []struct {
		name string
		t    string
		want string
	}{
		{"just after midnight UTC on the day clocks go forward is still GMT", "2024-03-31T00:30:00Z", "2024-03-31"},
		{"just before midnight GMT", "2024-03-30T23:59:59Z", "2024-03-30"},
		{"after the change, 23:30 UTC is 00:30 BST the next day", "2024-03-31T23:30:00Z", "2024-04-01"},
		{"summer: 23:00 UTC is midnight BST", "2024-06-30T23:00:00Z", "2024-07-01"},
		{"summer: 22:59 UTC is still the same day", "2024-06-30T22:59:59Z", "2024-06-30"},
		{"on the day clocks go back, 00:30 UTC is 01:30 BST", "2024-10-27T00:30:00Z", "2024-10-27"},
		{"the night before clocks go back, 23:30 UTC is 00:30 BST", "2024-10-26T23:30:00Z", "2024-10-27"},
		{"after clocks go back, 23:30 UTC is 23:30 GMT", "2024-10-27T23:30:00Z", "2024-10-27"},
		{"another zone", "2024-05-19T23:30:00-04:00", "2024-05-20"},
		{"Europe/Paris midnight is still yesterday in London", "2024-05-20T00:30:00+02:00", "2024-05-19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := time.Parse(time.RFC3339, tt.t)
			if err != nil {
				t.Fatal(err)
			}
			if got := DateOf(tm).String(); got != tt.want {
				t.Errorf("DateOf(%s) = %s, want %s", tt.t, got, tt.want)
			}
			if got, err := ParseDate(tt.t); err != nil || got.String() != tt.want {
				t.Errorf("ParseDate(%s) = %s, %v; want %s", tt.t, got, err, tt.want)
			}
		})
	}
}

func TestTimeIsLondonMidnightAndRoundTrips(t *testing.T) {
	if got := MustParseDate("2024-03-31").Time().UTC().Format(time.RFC3339); got != "2024-03-31T00:00:00Z" {
		t.Errorf("winter midnight = %s", got)
	}
	if got := MustParseDate("2024-07-01").Time().UTC().Format(time.RFC3339); got != "2024-06-30T23:00:00Z" {
		t.Errorf("summer midnight = %s", got)
	}
	for d := MustParseDate("2019-01-01"); d.Year < 2029; d = d.AddDays(1) {
		tm := d.Time()
		if tm.Hour() != 0 || tm.Minute() != 0 || DateOf(tm) != d {
			t.Fatalf("%s.Time() = %s", d, tm)
		}
		if end := d.AddDays(1).Time().Add(-time.Second); DateOf(end) != d {
			t.Fatalf("%s: its last second %s is another date", d, end)
		}
		if want := tm.Weekday(); d.Weekday() != want {
			t.Fatalf("%s.Weekday() = %s, want %s", d, d.Weekday(), want)
		}
		if next := d.AddDays(1); next != DateOf(time.Date(d.Year, d.Month, d.Day+1, 12, 0, 0, 0, time.UTC)) {
			t.Fatalf("%s.AddDays(1) = %s", d, next)
		}
	}
}

func TestParseDate(t *testing.T) {
	good := map[string]string{
		"2024-05-19":                "2024-05-19",
		" 2024-05-19 ":              "2024-05-19",
		"2024-02-29":                "2024-02-29",
		"2024-05-19T09:30:00+01:00": "2024-05-19",
		"2024-05-19T09:30:00.5Z":    "2024-05-19",
	}
	for in, want := range good {
		if got, err := ParseDate(in); err != nil || got.String() != want {
			t.Errorf("ParseDate(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2023-02-29", "2024-13-01", "19/05/2024", "2024-5-19", "2024-05-19 09:30"} {
		if got, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %s, want an error", bad, got)
		}
	}
}

func TestDateArithmeticAndComparison(t *testing.T) {
	d := MustParseDate("2024-02-28")
	tests := []struct {
		n    int
		want string
	}{
		{1, "2024-02-29"}, {2, "2024-03-01"}, {-59, "2023-12-31"}, {366, "2025-02-28"}, {-1, "2024-02-27"},
	}
	for _, tt := range tests {
		if got := d.AddDays(tt.n).String(); got != tt.want {
			t.Errorf("AddDays(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
	a, b := MustParseDate("2023-12-31"), MustParseDate("2024-01-01")
	if !a.Before(b) || a.After(b) || !b.After(a) || b.Before(a) || a.Before(a) || a.After(a) {
		t.Error("Before/After wrong")
	}
	if a.DaysUntil(b) != 1 || b.DaysUntil(a) != -1 {
		t.Error("DaysUntil wrong")
	}
	if !(Date{}).IsZero() || a.IsZero() {
		t.Error("IsZero wrong")
	}
	if got := NewDate(2024, time.February, 30).String(); got != "2024-03-01" {
		t.Errorf("NewDate normalises to %s", got)
	}
	if got := NewDate(2024, time.January, 0).String(); got != "2023-12-31" {
		t.Errorf("NewDate(2024-01-00) = %s", got)
	}
	if got := NewDate(2024, 13, 1).String(); got != "2025-01-01" {
		t.Errorf("NewDate(2024-13-01) = %s", got)
	}
	if got := MustParseDate("1900-03-01").AddDays(-1).String(); got != "1900-02-28" {
		t.Errorf("1900 is not a leap year: %s", got)
	}
	if got := MustParseDate("0001-01-01").AddDays(-1).String(); got != "0000-12-31" {
		t.Errorf("before year 1: %s", got)
	}
}

func TestDateJSONAndTextRoundTrip(t *testing.T) {
	type doc struct {
		Sent Date  `json:"sent"`
		Due  Date  `json:"due"`
		Opt  *Date `json:"opt,omitempty"`
	}
	in := doc{Sent: MustParseDate("2024-05-19")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"sent":"2024-05-19","due":""}` {
		t.Errorf("json = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("round trip = %+v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"sent":"2024-05-18T23:30:00Z"}`), &out); err != nil || out.Sent.String() != "2024-05-19" {
		t.Errorf("RFC 3339 in JSON = %s, %v", out.Sent, err)
	}
	if err := json.Unmarshal([]byte(`{"sent":"tomorrow"}`), &out); err == nil {
		t.Error("bad date in JSON accepted")
	}
	// A TOML date (2024-05-19) reaches UnmarshalText as a time.Time's text.
	var d Date
	tm, _ := time.Parse(time.DateOnly, "2024-05-19")
	text, _ := tm.MarshalText()
	if err := d.UnmarshalText(text); err != nil || d.String() != "2024-05-19" {
		t.Errorf("UnmarshalText(%s) = %s, %v", text, d, err)
	}
}
