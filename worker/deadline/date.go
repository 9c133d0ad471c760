package deadline

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London even where the system has no zone database
)

// london is the zone UK FOI days are counted in.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		// time/tzdata is embedded, so this cannot happen short of a broken build.
		panic("deadline: cannot load Europe/London: " + err.Error())
	}
	return loc
}()

// London is the time zone in which times become dates (Europe/London).
func London() *time.Location { return london }

// Date is a calendar day with no time zone (civil date).
//
// The zero Date means "no date"; it marshals to the empty string.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date year-month-day, normalised as time.Date
// normalises (2024-02-30 is 2024-03-01).
func NewDate(year int, month time.Month, day int) Date {
	if month >= time.January && month <= time.December && day >= 1 && day <= 28 {
		return Date{year, month, day}
	}
	return fromDays(daysFrom(year, month, day))
}

// ParseDate parses "2024-05-19". It also accepts an RFC 3339 time
// ("2024-05-19T09:30:00+01:00"), which it turns into its date in
// Europe/London, as DateOf does.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return Date{t.Year(), t.Month(), t.Day()}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return DateOf(t), nil
	}
	return Date{}, fmt.Errorf("deadline: date %q: want YYYY-MM-DD or an RFC 3339 time", s)
}

// MustParseDate is ParseDate for constants; it panics on a bad date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf returns the day of t in Europe/London: UK FOI law runs on UK days, so
// an email sent at 00:30 BST on 31 March (23:30 UTC on the 30th) was sent on
// the 31st.
func DateOf(t time.Time) Date {
	y, m, d := t.In(london).Date()
	return Date{y, m, d}
}

// Received returns the date of receipt of a request sent at sent: the day it
// was sent, in Europe/London. That day is day 0; the clock counts from the
// next working day, so the time of day does not matter.
func Received(sent time.Time) Date { return DateOf(sent) }

// String returns the date as YYYY-MM-DD.
func (d Date) String() string {
	if d.Year >= 0 && d.Year <= 9999 {
		var b [10]byte
		put := func(i, v, n int) {
			for j := i + n - 1; j >= i; j-- {
				b[j] = byte('0' + v%10)
				v /= 10
			}
		}
		put(0, d.Year, 4)
		b[4] = '-'
		put(5, int(d.Month)%100, 2)
		b[7] = '-'
		put(8, d.Day%100, 2)
		return string(b[:])
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Time returns midnight at the start of d in Europe/London.
func (d Date) Time() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, london)
}

// AddDays returns the date n calendar days after d (before it if n < 0).
func (d Date) AddDays(n int) Date { return fromDays(d.days() + n) }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.compare(o) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int { return d.compare(o) }

func (d Date) compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekdayOf(d.days()) }

// DaysUntil returns the number of calendar days from d to o (negative if o is
// before d).
func (d Date) DaysUntil(o Date) int { return o.days() - d.days() }

// MarshalText implements encoding.TextMarshaler: YYYY-MM-DD, or empty for the
// zero Date.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if d.Year < 0 || d.Year > 9999 {
		return nil, fmt.Errorf("deadline: year %d out of range for YYYY-MM-DD", d.Year)
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts what ParseDate
// accepts, and the empty string for the zero Date. (A TOML date or date-time
// reaches it as the RFC 3339 text of a time.Time; a TOML local date-time is
// then read as UTC.)
func (d *Date) UnmarshalText(b []byte) error {
	if len(strings.TrimSpace(string(b))) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// days returns the number of days from 1970-01-01 to d (proleptic Gregorian).
func (d Date) days() int { return daysFrom(d.Year, d.Month, d.Day) }

// daysFrom is days_from_civil (H. Hinnant), extended to normalise any month
// and day the way time.Date does.
func daysFrom(y int, m time.Month, d int) int {
	mm := int(m) - 1
	y += floorDiv(mm, 12)
	mm = mm - floorDiv(mm, 12)*12 + 1 // 1..12
	if mm <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (mm + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// fromDays is civil_from_days (H. Hinnant).
func fromDays(z int) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{y, time.Month(m), d}
}

func weekdayOf(days int) time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday((days%7 + 7 + 4) % 7)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
