package deadline

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWorkedExamplesFromTheSpec(t *testing.T) {
	tests := []struct {
		name              string
		calendar          string
		received, replied string
		wantDue           string
		wantLate          int
	}{
		// Mon 2023-08-07, Scotland's summer bank holiday, is not a working day in England either.
		{"leicestershire", FOIA, "2023-07-25", "2023-08-24", "2023-08-23", 1},
		// Received on a Sunday; Mon 2024-05-27 is a bank holiday.
		{"norfolk", FOIA, "2024-05-19", "2024-06-17", "2024-06-17", 0},
		// FOISA has the Scottish summer holiday too, so the same due date.
		{"leicestershire under foisa", FOISA, "2023-07-25", "2023-08-24", "2023-08-23", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MustNew(tt.calendar)
			due := c.Due(MustParseDate(tt.received), 20)
			if due.String() != tt.wantDue {
				t.Errorf("Due(%s, 20) = %s %s, want %s", tt.received, due, due.Weekday(), tt.wantDue)
			}
			if got := c.WorkingDaysLate(due, MustParseDate(tt.replied)); got != tt.wantLate {
				t.Errorf("WorkingDaysLate(%s, %s) = %d, want %d", due, tt.replied, got, tt.wantLate)
			}
		})
	}
}

func TestReceivedIsTheLondonDayTheRequestWasSent(t *testing.T) {
	c := MustNew("")
	// Sent late on Saturday 18 May 2024 UK time (BST): 23:30 BST is 22:30 UTC.
	sent := time.Date(2024, time.May, 18, 22, 30, 0, 0, time.UTC)
	if got := Received(sent).String(); got != "2024-05-18" {
		t.Errorf("Received = %s, want 2024-05-18", got)
	}
	// Sent at 00:30 BST on Sunday 19 May, which is still Saturday in UTC.
	sent = time.Date(2024, time.May, 18, 23, 30, 0, 0, time.UTC)
	if got := c.Due(Received(sent), 20).String(); got != "2024-06-17" {
		t.Errorf("due for a request sent %s = %s, want 2024-06-17", sent, got)
	}
}

func TestClarificationRestartsTheClockFromDayZero(t *testing.T) {
	c := MustNew(FOIA)
	received := MustParseDate("2024-05-19")
	if got := c.Due(received, 20).String(); got != "2024-06-17" {
		t.Fatalf("original due = %s", got)
	}
	// Clarification asked for on 2024-05-22 and received on Mon 2024-06-03: that
	// day is the new day 0, whatever working days had already passed.
	clarified := MustParseDate("2024-06-03")
	if got := c.Due(clarified, 20).String(); got != "2024-07-01" {
		t.Errorf("due after clarification = %s, want 2024-07-01", got)
	}
	// Clarification received on a Saturday: day 1 is the Monday.
	if got := c.Due(MustParseDate("2024-06-08"), 1).String(); got != "2024-06-10" {
		t.Errorf("day 1 after a Saturday clarification = %s, want 2024-06-10", got)
	}
}

func TestPublicInterestExtension(t *testing.T) {
	c := MustNew(FOIA)
	due := c.Due(MustParseDate("2023-07-25"), 20) // 2023-08-23
	// No new date stated: 20 further working days (Mon 2023-08-28 is a bank holiday).
	if got := c.AddWorkingDays(due, 20).String(); got != "2023-09-21" {
		t.Errorf("extended due = %s, want 2023-09-21", got)
	}
	// A stated new date simply becomes the due date; lateness counts from it.
	stated := MustParseDate("2023-09-15")
	if got := c.WorkingDaysLate(stated, MustParseDate("2023-09-19")); got != 2 {
		t.Errorf("late against stated date = %d, want 2", got)
	}
}

func TestAddWorkingDays(t *testing.T) {
	foia, foisa := MustNew(FOIA), MustNew(FOISA)
	tests := []struct {
		name string
		cal  *Calendar
		from string
		n    int
		want string
	}{
		{"zero returns the day itself even at a weekend", foia, "2023-12-23", 0, "2023-12-23"},
		{"zero returns the day itself on a holiday", foia, "2023-12-25", 0, "2023-12-25"},
		{"skips Christmas and Boxing Day", foia, "2023-12-22", 1, "2023-12-27"},
		{"from a Saturday", foia, "2023-12-23", 1, "2023-12-27"},
		{"crosses the year and Scotland's substitute day", foia, "2022-12-30", 1, "2023-01-04"},
		{"foisa skips Scotland's days only", foisa, "2024-03-15", 1, "2024-03-18"},
		{"foia skips St Patrick's substitute", foia, "2024-03-15", 1, "2024-03-19"},
		{"negative: one before", foia, "2023-01-04", -1, "2022-12-30"},
		{"negative: two before", foia, "2023-01-04", -2, "2022-12-29"},
		{"negative from a Sunday", foia, "2024-06-16", -1, "2024-06-14"},
		{"negative over Easter", foia, "2024-04-02", -1, "2024-03-28"},
		{"negative over the coronation", foia, "2023-05-10", -2, "2023-05-05"},
		// 2024 has 262 weekdays and 13 foia holidays on them, 1 January among them.
		{"the working days of a year", foia, "2024-01-01", 249, "2024-12-31"},
		{"into the next year over 1 and 2 January", foia, "2024-01-01", 250, "2025-01-03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.AddWorkingDays(MustParseDate(tt.from), tt.n)
			if got.String() != tt.want {
				t.Errorf("%s AddWorkingDays(%s, %d) = %s %s, want %s", tt.cal.Name(), tt.from, tt.n, got, got.Weekday(), tt.want)
			}
		})
	}
}

func TestAddWorkingDaysAndWorkingDaysLateAgree(t *testing.T) {
	c := MustNew(FOIA)
	for d := MustParseDate("2019-12-01"); d.Before(MustParseDate("2027-02-01")); d = d.AddDays(1) {
		for _, n := range []int{1, 2, 5, 20, 40} {
			fwd := c.AddWorkingDays(d, n)
			if !c.IsWorkingDay(fwd) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, not a working day", d, n, fwd)
			}
			if got := c.WorkingDaysLate(d, fwd); got != n {
				t.Fatalf("WorkingDaysLate(%s, %s) = %d, want %d", d, fwd, got, n)
			}
			if c.IsWorkingDay(d) {
				if back := c.AddWorkingDays(fwd, -n); back != d {
					t.Fatalf("AddWorkingDays(AddWorkingDays(%s, %d), %d) = %s", d, n, -n, back)
				}
			}
		}
	}
}

func TestWorkingDaysLate(t *testing.T) {
	c := MustNew(FOIA)
	due := MustParseDate("2023-08-23")
	tests := []struct {
		replied string
		want    int
	}{
		{"2023-08-01", 0},
		{"2023-08-23", 0},
		{"2023-08-24", 1},
		{"2023-08-26", 2}, // a Saturday reply is 2 late (24th, 25th)
		{"2023-08-28", 2}, // the bank holiday adds nothing
		{"2023-08-29", 3},
		{"2023-09-21", 20},
	}
	for _, tt := range tests {
		if got := c.WorkingDaysLate(due, MustParseDate(tt.replied)); got != tt.want {
			t.Errorf("WorkingDaysLate(%s, %s) = %d, want %d", due, tt.replied, got, tt.want)
		}
	}
	if got := c.WorkingDaysBetween(MustParseDate("2023-08-29"), due); got != -3 {
		t.Errorf("WorkingDaysBetween backwards = %d, want -3", got)
	}
}

func TestStageDate(t *testing.T) {
	c := MustNew(FOIA)
	tests := []struct {
		stage Stage
		due   string
		want  string
	}{
		{DueSoon, "2023-08-23", "2023-08-21"},
		{DueSoon, "2024-06-17", "2024-06-13"}, // over a weekend
		{DueSoon, "2023-05-10", "2023-05-05"}, // over the coronation
		{Late, "2023-08-23", "2023-08-24"},
		{Late, "2022-12-23", "2022-12-28"}, // Christmas substitutes
		{Late, "2023-08-04", "2023-08-08"}, // Scotland's summer holiday
		{VeryLate, "2023-08-23", "2023-09-21"},
		{VeryLate, "2024-06-17", "2024-07-16"}, // 12 July (NI) skipped
		{ReviewLate, "2023-09-29", "2023-10-02"},
		{Stage("sometime"), "2023-09-29", "0000-00-00"},
	}
	for _, tt := range tests {
		got := c.StageDate(tt.stage, MustParseDate(tt.due))
		if got.String() != tt.want {
			t.Errorf("StageDate(%s, %s) = %s, want %s", tt.stage, tt.due, got, tt.want)
		}
	}
	// The review's own due date: 20 working days from the request for review.
	if got := c.Due(MustParseDate("2023-09-01"), 20).String(); got != "2023-09-29" {
		t.Errorf("review due = %s, want 2023-09-29", got)
	}
	for _, s := range Stages {
		if p, err := ParseStage(string(s)); err != nil || p != s {
			t.Errorf("ParseStage(%q) = %q, %v", s, p, err)
		}
	}
	if _, err := ParseStage("late!"); err == nil {
		t.Error("ParseStage(late!) succeeded")
	}
}

func TestNewNamesTheAllowedCalendars(t *testing.T) {
	for name, want := range map[string]string{"": FOIA, "foia": FOIA, " FOIA ": FOIA, "foisa": FOISA} {
		c, err := New(name)
		if err != nil || c.Name() != want {
			t.Errorf("New(%q) = %v, %v; want %s", name, c, err, want)
		}
	}
	_, err := New("eir")
	if err == nil || !strings.Contains(err.Error(), `"foia"`) || !strings.Contains(err.Error(), `"foisa"`) {
		t.Errorf("New(eir) error = %v, want one naming foia and foisa", err)
	}
}

func TestCalendarIsSafeForConcurrentUse(t *testing.T) {
	c := MustNew(FOIA)
	var wg sync.WaitGroup
	results := make([]Date, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every goroutine builds the same fresh years at once.
			results[i] = c.Due(MustParseDate("2040-12-20"), 30)
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r != results[0] {
			t.Fatalf("results differ: %v", results)
		}
	}
}

func BenchmarkDueOverAYear(b *testing.B) {
	c := MustNew(FOIA)
	start := MustParseDate("2024-01-01")
	days := make([]Date, 366)
	for i := range days {
		days[i] = start.AddDays(i)
	}
	for b.Loop() {
		for _, d := range days {
			c.Due(d, 20)
		}
	}
}
