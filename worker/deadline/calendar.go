package deadline

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Calendar names, as a campaign's `calendar` key writes them.
const (
	FOIA  = "foia"  // FOIA s.10(6) and EIR: bank holidays in any part of the UK
	FOISA = "foisa" // FOISA s.73: bank holidays in Scotland only
)

// Calendar says which days are working days, and counts them. A Calendar is
// safe for concurrent use; New returns shared instances.
type Calendar struct {
	name    string
	regions []Region
	years   sync.Map // int → *yearTable
}

var calendars = map[string]*Calendar{
	FOIA:  {name: FOIA, regions: []Region{EnglandAndWales, Scotland, NorthernIreland}},
	FOISA: {name: FOISA, regions: []Region{Scotland}},
}

// New returns the calendar called name: "foia" (also for "") or "foisa".
func New(name string) (*Calendar, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" {
		key = FOIA
	}
	if c, ok := calendars[key]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("deadline: unknown calendar %q: want %q (FOIA and EIR, the default) or %q (FOISA, Scotland)", name, FOIA, FOISA)
}

// MustNew is New for names known to be right; it panics on an unknown name.
func MustNew(name string) *Calendar {
	c, err := New(name)
	if err != nil {
		panic(err)
	}
	return c
}

// Name returns "foia" or "foisa".
func (c *Calendar) Name() string { return c.name }

// Regions returns the parts of the UK whose bank holidays this calendar
// counts.
func (c *Calendar) Regions() []Region { return append([]Region(nil), c.regions...) }

// IsWorkingDay reports whether d is a working day: not a Saturday, a Sunday
// or a bank holiday of the calendar's regions.
func (c *Calendar) IsWorkingDay(d Date) bool {
	n := d.days()
	t := c.table(d.Year)
	return !t.off(n - t.start)
}

// Holiday says why a weekday is not a working day: the bank holiday observed
// on d, with the regions it belongs to in brackets when a "foia" calendar has
// it from only some of them (e.g. "Summer bank holiday (Scotland)"). It
// returns "", false for a working day and for a Saturday or Sunday that is
// not an observed holiday (holidays are observed on weekdays).
func (c *Calendar) Holiday(d Date) (name string, ok bool) {
	t := c.table(d.Year)
	name, ok = t.names[d.days()-t.start]
	return name, ok
}

// Holidays returns the calendar's holidays in year, in date order, named as
// Holiday names them.
func (c *Calendar) Holidays(year int) []BankHoliday {
	t := c.table(year)
	var out []BankHoliday
	for i := 0; i < t.length; i++ {
		if name, ok := t.names[i]; ok {
			out = append(out, BankHoliday{fromDays(t.start + i), name})
		}
	}
	return out
}

// AddWorkingDays returns the n-th working day after d; d itself is day 0,
// whether or not it is a working day. For n < 0 it returns the |n|-th working
// day before d; for n == 0, d.
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	day := d.days()
	y := d.Year
	t := c.table(y)
	for n > 0 {
		day += step
		i := day - t.start
		if i < 0 || i >= t.length {
			y += step
			t = c.table(y)
			i = day - t.start
		}
		if !t.off(i) {
			n--
		}
	}
	return fromDays(day)
}

// Due returns the date a reply is due: the workingDays-th working day after
// the date of receipt (which is day 0).
func (c *Calendar) Due(received Date, workingDays int) Date {
	return c.AddWorkingDays(received, workingDays)
}

// WorkingDaysBetween counts the working days after from up to and including
// to; negative (the working days after to up to and including from) if to
// is before from.
func (c *Calendar) WorkingDaysBetween(from, to Date) int {
	if to.Before(from) {
		return -c.WorkingDaysBetween(to, from)
	}
	count := 0
	first, last := from.days()+1, to.days()
	y := from.Year
	t := c.table(y)
	for day := first; day <= last; day++ {
		i := day - t.start
		if i >= t.length {
			y++
			t = c.table(y)
			i = day - t.start
		}
		if !t.off(i) {
			count++
		}
	}
	return count
}

// WorkingDaysLate returns how many working days late a reply on replied is
// for a request due on due: the working days after due up to and including
// replied, 0 if replied is on or before due.
func (c *Calendar) WorkingDaysLate(due, replied Date) int {
	if !replied.After(due) {
		return 0
	}
	return c.WorkingDaysBetween(due, replied)
}

// Known reports whether the table of one-off bank holidays is known to
// cover year. One-offs are proclaimed about a year ahead; beyond the table
// the rules still apply, but a one-off proclaimed since would be missed.
func (c *Calendar) Known(year int) bool { return KnownYear(year) }

// KnownYear is Calendar.Known for any calendar.
func KnownYear(year int) bool { return year >= knownFirst && year <= knownLast }

// Stage is a reminder stage (README.md, "Deadlines and reminders").
type Stage string

// The reminder stages, in the order they come.
const (
	DueSoon    Stage = "due_soon"    // 2 working days before the due date
	Late       Stage = "late"        // the first working day after the due date
	VeryLate   Stage = "very_late"   // 20 working days after the due date
	ReviewLate Stage = "review_late" // the first working day after an internal review's due date
)

// Stages lists every stage.
var Stages = []Stage{DueSoon, Late, VeryLate, ReviewLate}

// Valid reports whether s is one of Stages.
func (s Stage) Valid() bool {
	for _, x := range Stages {
		if s == x {
			return true
		}
	}
	return false
}

// ParseStage returns the stage named s, or an error naming the stages.
func ParseStage(s string) (Stage, error) {
	if st := Stage(s); st.Valid() {
		return st, nil
	}
	return "", fmt.Errorf("deadline: unknown stage %q: want %q, %q, %q or %q", s, DueSoon, Late, VeryLate, ReviewLate)
}

// StageDate returns the day stage s becomes due for a request (or, for
// review_late, an internal review) due on due: due_soon 2 working days
// before due, late the first working day after it, very_late 20 working
// days after it, review_late the first working day after the review's due
// date. It returns the zero Date for an unknown stage.
func (c *Calendar) StageDate(s Stage, due Date) Date {
	switch s {
	case DueSoon:
		return c.AddWorkingDays(due, -2)
	case Late, ReviewLate:
		return c.AddWorkingDays(due, 1)
	case VeryLate:
		return c.AddWorkingDays(due, 20)
	}
	return Date{}
}

// yearTable holds one year of a calendar: which days are not working days
// (weekends and holidays) as a bit set indexed by day of the year from 0,
// and the names of the holidays.
type yearTable struct {
	start  int // day number of 1 January
	length int // 365 or 366
	bits   [6]uint64
	names  map[int]string
}

func (t *yearTable) off(i int) bool { return t.bits[i>>6]&(1<<(uint(i)&63)) != 0 }

func (c *Calendar) table(year int) *yearTable {
	if t, ok := c.years.Load(year); ok {
		return t.(*yearTable)
	}
	t, _ := c.years.LoadOrStore(year, c.build(year))
	return t.(*yearTable)
}

func (c *Calendar) build(year int) *yearTable {
	t := &yearTable{
		start: daysFrom(year, time.January, 1),
		names: make(map[int]string),
	}
	t.length = daysFrom(year+1, time.January, 1) - t.start
	for i := 0; i < t.length; i++ {
		if wd := weekdayOf(t.start + i); wd == time.Saturday || wd == time.Sunday {
			t.bits[i>>6] |= 1 << (uint(i) & 63)
		}
	}

	// For each day, the regions observing each holiday name, in region order.
	type entry struct {
		name    string
		regions []Region
	}
	byDay := make(map[int][]entry)
	for _, r := range c.regions {
		for _, h := range BankHolidays(r, year) {
			i := h.Date.days() - t.start
			es := byDay[i]
			found := false
			for k := range es {
				if es[k].name == h.Name {
					es[k].regions = append(es[k].regions, r)
					found = true
				}
			}
			if !found {
				es = append(es, entry{h.Name, []Region{r}})
			}
			byDay[i] = es
		}
	}
	for i, es := range byDay {
		t.bits[i>>6] |= 1 << (uint(i) & 63)
		parts := make([]string, 0, len(es))
		for _, e := range es {
			if len(e.regions) == len(c.regions) {
				parts = append(parts, e.name)
				continue
			}
			rs := make([]string, len(e.regions))
			for k, r := range e.regions {
				rs[k] = r.String()
			}
			parts = append(parts, e.name+" ("+strings.Join(rs, ", ")+")")
		}
		t.names[i] = strings.Join(parts, "; ")
	}
	return t
}
