package deadline

import (
	"fmt"
	"sort"
	"time"
)

// Region is a part of the United Kingdom with its own bank holidays.
type Region int

// The three sets of UK bank holidays.
const (
	EnglandAndWales Region = iota
	Scotland
	NorthernIreland
)

// Regions lists every Region, in the order gov.uk lists them.
var Regions = []Region{EnglandAndWales, Scotland, NorthernIreland}

// String returns the region's name as gov.uk writes it.
func (r Region) String() string {
	switch r {
	case EnglandAndWales:
		return "England and Wales"
	case Scotland:
		return "Scotland"
	case NorthernIreland:
		return "Northern Ireland"
	}
	return fmt.Sprintf("Region(%d)", int(r))
}

// BankHoliday is one bank holiday as observed: on a weekday, with
// " (substitute day)" in its name when a weekend pushed it there.
type BankHoliday struct {
	Date Date
	Name string
}

// Names of holidays, as gov.uk writes them (with plain apostrophes).
const (
	nameNewYear   = "New Year's Day"
	name2Jan      = "2nd January"
	nameStPatrick = "St Patrick's Day"
	nameGoodFri   = "Good Friday"
	nameEasterMon = "Easter Monday"
	nameEarlyMay  = "Early May bank holiday"
	nameSpring    = "Spring bank holiday"
	nameBoyne     = "Battle of the Boyne (Orangemen's Day)"
	nameSummer    = "Summer bank holiday"
	nameStAndrew  = "St Andrew's Day"
	nameChristmas = "Christmas Day"
	nameBoxing    = "Boxing Day"
	substitute    = " (substitute day)"
)

// fixed is a holiday on a date of the year, moved to a substitute weekday
// when it falls at a weekend.
type fixed struct {
	month time.Month
	day   int
	name  string
}

// fixedDates lists each region's fixed-date holidays in date order (the
// order substitute days are handed out in).
var fixedDates = map[Region][]fixed{
	EnglandAndWales: {
		{time.January, 1, nameNewYear},
		{time.December, 25, nameChristmas},
		{time.December, 26, nameBoxing},
	},
	Scotland: {
		{time.January, 1, nameNewYear},
		{time.January, 2, name2Jan},
		{time.November, 30, nameStAndrew},
		{time.December, 25, nameChristmas},
		{time.December, 26, nameBoxing},
	},
	NorthernIreland: {
		{time.January, 1, nameNewYear},
		{time.March, 17, nameStPatrick},
		{time.July, 12, nameBoyne},
		{time.December, 25, nameChristmas},
		{time.December, 26, nameBoxing},
	},
}

// oneOff is a proclaimed change to a year's bank holidays: an extra
// holiday, or (when moves is set) a rule's holiday moved to another day.
type oneOff struct {
	date    Date
	name    string
	moves   Date     // if set, the rule's holiday on this date is replaced by date
	regions []Region // nil means all of the United Kingdom
}

// oneOffs are the proclaimed one-off and moved bank holidays from
// knownFirst on. Keep in date order; add new proclamations here and move
// knownLast on (gov.uk publishes about a year ahead).
var oneOffs = []oneOff{
	// Queen's Diamond Jubilee: spring holiday moved from Mon 28 May, and an extra day.
	{date: Date{2012, time.June, 4}, name: nameSpring, moves: Date{2012, time.May, 28}},
	{date: Date{2012, time.June, 5}, name: "Queen's Diamond Jubilee"},
	// VE day 75: early May holiday moved from Mon 4 May (a working day that year).
	{date: Date{2020, time.May, 8}, name: "Early May bank holiday (VE day)", moves: Date{2020, time.May, 4}},
	// Platinum Jubilee: spring holiday moved from Mon 30 May, and an extra day.
	{date: Date{2022, time.June, 2}, name: nameSpring, moves: Date{2022, time.May, 30}},
	{date: Date{2022, time.June, 3}, name: "Platinum Jubilee bank holiday"},
	{date: Date{2022, time.September, 19}, name: "Bank Holiday for the State Funeral of Queen Elizabeth II"},
	{date: Date{2023, time.May, 8}, name: "Bank holiday for the coronation of King Charles III"},
}

// The years the one-off table is known to be complete for.
const (
	knownFirst = 2012
	knownLast  = 2027
)

// BankHolidays returns the bank holidays of region r in year, in date order,
// from the rules and the table of one-offs.
func BankHolidays(r Region, year int) []BankHoliday {
	if _, ok := fixedDates[r]; !ok {
		return nil
	}
	taken := make(map[Date]string)
	add := func(d Date, name string) { taken[d] = name }

	// Holidays that are weekdays by definition.
	easter := EasterSunday(year)
	add(easter.AddDays(-2), nameGoodFri)
	if r != Scotland {
		add(easter.AddDays(1), nameEasterMon)
	}
	add(firstMonday(year, time.May), nameEarlyMay)
	add(lastMonday(year, time.May), nameSpring)
	if r == Scotland {
		add(firstMonday(year, time.August), nameSummer)
	} else {
		add(lastMonday(year, time.August), nameSummer)
	}
	for _, o := range oneOffs {
		if o.date.Year != year || !o.appliesTo(r) {
			continue
		}
		if !o.moves.IsZero() {
			delete(taken, o.moves)
		}
		add(o.date, o.name)
	}

	// Fixed dates: first those on a free weekday keep their day, then the
	// rest take the next free weekday, in date order.
	var pushed []fixed
	for _, f := range fixedDates[r] {
		d := Date{year, f.month, f.day}
		if _, busy := taken[d]; !busy && isWeekday(d) {
			add(d, f.name)
		} else {
			pushed = append(pushed, f)
		}
	}
	for _, f := range pushed {
		d := Date{year, f.month, f.day}
		for {
			d = d.AddDays(1)
			if _, busy := taken[d]; !busy && isWeekday(d) {
				break
			}
		}
		add(d, f.name+substitute)
	}

	out := make([]BankHoliday, 0, len(taken))
	for d, name := range taken {
		out = append(out, BankHoliday{d, name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

func (o oneOff) appliesTo(r Region) bool {
	if o.regions == nil {
		return true
	}
	for _, x := range o.regions {
		if x == r {
			return true
		}
	}
	return false
}

// EasterSunday returns the date of Easter Sunday in the Gregorian calendar
// (the anonymous Gregorian algorithm of Meeus/Jones/Butcher).
func EasterSunday(year int) Date {
	a := year % 19
	b := year / 100
	c := year % 100
	d := b / 4
	e := b % 4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i := c / 4
	k := c % 4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{year, time.Month(month), day}
}

func isWeekday(d Date) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func firstMonday(year int, m time.Month) Date {
	d := Date{year, m, 1}
	return d.AddDays((int(time.Monday) - int(d.Weekday()) + 7) % 7)
}

func lastMonday(year int, m time.Month) Date {
	last := NewDate(year, m+1, 0)
	return last.AddDays(-((int(last.Weekday()) - int(time.Monday) + 7) % 7))
}
