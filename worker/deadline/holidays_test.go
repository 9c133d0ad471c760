package deadline

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

// The bank holidays gov.uk publishes for each part of the UK, 2019-2027,
// written out by hand (no network in tests). Each line is a date and the
// holiday's name. Every date here must match the rule engine exactly.
//
// Points checked by hand against the weekday of each date:
//   - Substitutes: 2020-12-28 (Boxing Day was a Saturday); 2021-12-27/28 and
//     2027-12-27/28 (Christmas on a Saturday); 2022-12-26/27 (Christmas on a
//     Sunday: Boxing Day keeps the Monday, Christmas takes the Tuesday);
//     2022-01-03, and in Scotland also 2022-01-04 for 2 January; 2023-01-02,
//     and in Scotland 2023-01-03; Scotland's 2 January 2021 and 2027 (both
//     Saturdays) on Monday 4 January.
//   - St Andrew's Day substitutes: 2019-12-02, 2024-12-02 (30 Nov a
//     Saturday) and 2025-12-01 (30 Nov a Sunday).
//   - St Patrick's Day substitutes: 2019-03-18 and 2024-03-18 (Sundays).
//   - Battle of the Boyne substitutes: 2020-07-13, 2025-07-14 and
//     2026-07-13. There are none in 2021 or 2027: 12 July is a Monday in
//     both years, so the holiday is on the day itself.
//   - Scotland 2023: 1 January was a Sunday and 2 January a Monday. gov.uk
//     labels Mon 2 Jan "New Year's Day (substitute day)" and Tue 3 Jan "2nd
//     January (substitute day)"; the 1971 Act (2 January "if it be not a
//     Sunday") keeps 2 January on its day and moves New Year's Day, which is
//     how the rules name them. The dates are the same either way; only the
//     labels differ, and this table uses the rules' labels.
var govUK = map[Region]string{
	EnglandAndWales: `
2019-01-01 New Year's Day
2019-04-19 Good Friday
2019-04-22 Easter Monday
2019-05-06 Early May bank holiday
2019-05-27 Spring bank holiday
2019-08-26 Summer bank holiday
2019-12-25 Christmas Day
2019-12-26 Boxing Day
2020-01-01 New Year's Day
2020-04-10 Good Friday
2020-04-13 Easter Monday
2020-05-08 Early May bank holiday (VE day)
2020-05-25 Spring bank holiday
2020-08-31 Summer bank holiday
2020-12-25 Christmas Day
2020-12-28 Boxing Day (substitute day)
2021-01-01 New Year's Day
2021-04-02 Good Friday
2021-04-05 Easter Monday
2021-05-03 Early May bank holiday
2021-05-31 Spring bank holiday
2021-08-30 Summer bank holiday
2021-12-27 Christmas Day (substitute day)
2021-12-28 Boxing Day (substitute day)
2022-01-03 New Year's Day (substitute day)
2022-04-15 Good Friday
2022-04-18 Easter Monday
2022-05-02 Early May bank holiday
2022-06-02 Spring bank holiday
2022-06-03 Platinum Jubilee bank holiday
2022-08-29 Summer bank holiday
2022-09-19 Bank Holiday for the State Funeral of Queen Elizabeth II
2022-12-26 Boxing Day
2022-12-27 Christmas Day (substitute day)
2023-01-02 New Year's Day (substitute day)
2023-04-07 Good Friday
2023-04-10 Easter Monday
2023-05-01 Early May bank holiday
2023-05-08 Bank holiday for the coronation of King Charles III
2023-05-29 Spring bank holiday
2023-08-28 Summer bank holiday
2023-12-25 Christmas Day
2023-12-26 Boxing Day
2024-01-01 New Year's Day
2024-03-29 Good Friday
2024-04-01 Easter Monday
2024-05-06 Early May bank holiday
2024-05-27 Spring bank holiday
2024-08-26 Summer bank holiday
2024-12-25 Christmas Day
2024-12-26 Boxing Day
2025-01-01 New Year's Day
2025-04-18 Good Friday
2025-04-21 Easter Monday
2025-05-05 Early May bank holiday
2025-05-26 Spring bank holiday
2025-08-25 Summer bank holiday
2025-12-25 Christmas Day
2025-12-26 Boxing Day
2026-01-01 New Year's Day
2026-04-03 Good Friday
2026-04-06 Easter Monday
2026-05-04 Early May bank holiday
2026-05-25 Spring bank holiday
2026-08-31 Summer bank holiday
2026-12-25 Christmas Day
2026-12-28 Boxing Day (substitute day)
2027-01-01 New Year's Day
2027-03-26 Good Friday
2027-03-29 Easter Monday
2027-05-03 Early May bank holiday
2027-05-31 Spring bank holiday
2027-08-30 Summer bank holiday
2027-12-27 Christmas Day (substitute day)
2027-12-28 Boxing Day (substitute day)
`,
	Scotland: `
2019-01-01 New Year's Day
2019-01-02 2nd January
2019-04-19 Good Friday
2019-05-06 Early May bank holiday
2019-05-27 Spring bank holiday
2019-08-05 Summer bank holiday
2019-12-02 St Andrew's Day (substitute day)
2019-12-25 Christmas Day
2019-12-26 Boxing Day
2020-01-01 New Year's Day
2020-01-02 2nd January
2020-04-10 Good Friday
2020-05-08 Early May bank holiday (VE day)
2020-05-25 Spring bank holiday
2020-08-03 Summer bank holiday
2020-11-30 St Andrew's Day
2020-12-25 Christmas Day
2020-12-28 Boxing Day (substitute day)
2021-01-01 New Year's Day
2021-01-04 2nd January (substitute day)
2021-04-02 Good Friday
2021-05-03 Early May bank holiday
2021-05-31 Spring bank holiday
2021-08-02 Summer bank holiday
2021-11-30 St Andrew's Day
2021-12-27 Christmas Day (substitute day)
2021-12-28 Boxing Day (substitute day)
2022-01-03 New Year's Day (substitute day)
2022-01-04 2nd January (substitute day)
2022-04-15 Good Friday
2022-05-02 Early May bank holiday
2022-06-02 Spring bank holiday
2022-06-03 Platinum Jubilee bank holiday
2022-08-01 Summer bank holiday
2022-09-19 Bank Holiday for the State Funeral of Queen Elizabeth II
2022-11-30 St Andrew's Day
2022-12-26 Boxing Day
2022-12-27 Christmas Day (substitute day)
2023-01-02 2nd January
2023-01-03 New Year's Day (substitute day)
2023-04-07 Good Friday
2023-05-01 Early May bank holiday
2023-05-08 Bank holiday for the coronation of King Charles III
2023-05-29 Spring bank holiday
2023-08-07 Summer bank holiday
2023-11-30 St Andrew's Day
2023-12-25 Christmas Day
2023-12-26 Boxing Day
2024-01-01 New Year's Day
2024-01-02 2nd January
2024-03-29 Good Friday
2024-05-06 Early May bank holiday
2024-05-27 Spring bank holiday
2024-08-05 Summer bank holiday
2024-12-02 St Andrew's Day (substitute day)
2024-12-25 Christmas Day
2024-12-26 Boxing Day
2025-01-01 New Year's Day
2025-01-02 2nd January
2025-04-18 Good Friday
2025-05-05 Early May bank holiday
2025-05-26 Spring bank holiday
2025-08-04 Summer bank holiday
2025-12-01 St Andrew's Day (substitute day)
2025-12-25 Christmas Day
2025-12-26 Boxing Day
2026-01-01 New Year's Day
2026-01-02 2nd January
2026-04-03 Good Friday
2026-05-04 Early May bank holiday
2026-05-25 Spring bank holiday
2026-08-03 Summer bank holiday
2026-11-30 St Andrew's Day
2026-12-25 Christmas Day
2026-12-28 Boxing Day (substitute day)
2027-01-01 New Year's Day
2027-01-04 2nd January (substitute day)
2027-03-26 Good Friday
2027-05-03 Early May bank holiday
2027-05-31 Spring bank holiday
2027-08-02 Summer bank holiday
2027-11-30 St Andrew's Day
2027-12-27 Christmas Day (substitute day)
2027-12-28 Boxing Day (substitute day)
`,
	NorthernIreland: `
2019-01-01 New Year's Day
2019-03-18 St Patrick's Day (substitute day)
2019-04-19 Good Friday
2019-04-22 Easter Monday
2019-05-06 Early May bank holiday
2019-05-27 Spring bank holiday
2019-07-12 Battle of the Boyne (Orangemen's Day)
2019-08-26 Summer bank holiday
2019-12-25 Christmas Day
2019-12-26 Boxing Day
2020-01-01 New Year's Day
2020-03-17 St Patrick's Day
2020-04-10 Good Friday
2020-04-13 Easter Monday
2020-05-08 Early May bank holiday (VE day)
2020-05-25 Spring bank holiday
2020-07-13 Battle of the Boyne (Orangemen's Day) (substitute day)
2020-08-31 Summer bank holiday
2020-12-25 Christmas Day
2020-12-28 Boxing Day (substitute day)
2021-01-01 New Year's Day
2021-03-17 St Patrick's Day
2021-04-02 Good Friday
2021-04-05 Easter Monday
2021-05-03 Early May bank holiday
2021-05-31 Spring bank holiday
2021-07-12 Battle of the Boyne (Orangemen's Day)
2021-08-30 Summer bank holiday
2021-12-27 Christmas Day (substitute day)
2021-12-28 Boxing Day (substitute day)
2022-01-03 New Year's Day (substitute day)
2022-03-17 St Patrick's Day
2022-04-15 Good Friday
2022-04-18 Easter Monday
2022-05-02 Early May bank holiday
2022-06-02 Spring bank holiday
2022-06-03 Platinum Jubilee bank holiday
2022-07-12 Battle of the Boyne (Orangemen's Day)
2022-08-29 Summer bank holiday
2022-09-19 Bank Holiday for the State Funeral of Queen Elizabeth II
2022-12-26 Boxing Day
2022-12-27 Christmas Day (substitute day)
2023-01-02 New Year's Day (substitute day)
2023-03-17 St Patrick's Day
2023-04-07 Good Friday
2023-04-10 Easter Monday
2023-05-01 Early May bank holiday
2023-05-08 Bank holiday for the coronation of King Charles III
2023-05-29 Spring bank holiday
2023-07-12 Battle of the Boyne (Orangemen's Day)
2023-08-28 Summer bank holiday
2023-12-25 Christmas Day
2023-12-26 Boxing Day
2024-01-01 New Year's Day
2024-03-18 St Patrick's Day (substitute day)
2024-03-29 Good Friday
2024-04-01 Easter Monday
2024-05-06 Early May bank holiday
2024-05-27 Spring bank holiday
2024-07-12 Battle of the Boyne (Orangemen's Day)
2024-08-26 Summer bank holiday
2024-12-25 Christmas Day
2024-12-26 Boxing Day
2025-01-01 New Year's Day
2025-03-17 St Patrick's Day
2025-04-18 Good Friday
2025-04-21 Easter Monday
2025-05-05 Early May bank holiday
2025-05-26 Spring bank holiday
2025-07-14 Battle of the Boyne (Orangemen's Day) (substitute day)
2025-08-25 Summer bank holiday
2025-12-25 Christmas Day
2025-12-26 Boxing Day
2026-01-01 New Year's Day
2026-03-17 St Patrick's Day
2026-04-03 Good Friday
2026-04-06 Easter Monday
2026-05-04 Early May bank holiday
2026-05-25 Spring bank holiday
2026-07-13 Battle of the Boyne (Orangemen's Day) (substitute day)
2026-08-31 Summer bank holiday
2026-12-25 Christmas Day
2026-12-28 Boxing Day (substitute day)
2027-01-01 New Year's Day
2027-03-17 St Patrick's Day
2027-03-26 Good Friday
2027-03-29 Easter Monday
2027-05-03 Early May bank holiday
2027-05-31 Spring bank holiday
2027-07-12 Battle of the Boyne (Orangemen's Day)
2027-08-30 Summer bank holiday
2027-12-27 Christmas Day (substitute day)
2027-12-28 Boxing Day (substitute day)
`,
}

// govUKByYear parses govUK into region → year → holidays.
func govUKByYear(t *testing.T) map[Region]map[int][]BankHoliday {
	t.Helper()
	out := make(map[Region]map[int][]BankHoliday)
	for r, text := range govUK {
		out[r] = make(map[int][]BankHoliday)
		sc := bufio.NewScanner(strings.NewReader(text))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			ds, name, _ := strings.Cut(line, " ")
			d, err := ParseDate(ds)
			if err != nil {
				t.Fatalf("%s: bad line %q: %v", r, line, err)
			}
			out[r][d.Year] = append(out[r][d.Year], BankHoliday{d, name})
		}
	}
	return out
}

func TestBankHolidaysMatchPublishedListsForEachNation(t *testing.T) {
	published := govUKByYear(t)
	for _, r := range Regions {
		for year := 2019; year <= 2027; year++ {
			want := published[r][year]
			got := BankHolidays(r, year)
			if len(want) == 0 {
				t.Fatalf("%s %d: no published list in the test table", r, year)
			}
			wantDates := make(map[Date]string)
			for _, h := range want {
				wantDates[h.Date] = h.Name
				if h.Date.Weekday() == time.Saturday || h.Date.Weekday() == time.Sunday {
					t.Errorf("%s: published holiday %s %q is at a weekend (typo in the table?)", r, h.Date, h.Name)
				}
			}
			gotDates := make(map[Date]string)
			for _, h := range got {
				gotDates[h.Date] = h.Name
			}
			for d, name := range wantDates {
				g, ok := gotDates[d]
				switch {
				case !ok:
					t.Errorf("%s %d: rules miss %s %q", r, year, d, name)
				case g != name:
					t.Errorf("%s %s: rules name it %q, table %q", r, d, g, name)
				}
			}
			for d, name := range gotDates {
				if _, ok := wantDates[d]; !ok {
					t.Errorf("%s %d: rules add %s %q, not in the published list", r, year, d, name)
				}
			}
		}
	}
}

func TestFOIACalendarIsTheUnionOfAllThreeNations(t *testing.T) {
	published := govUKByYear(t)
	foia, foisa := MustNew(FOIA), MustNew(FOISA)
	for year := 2019; year <= 2027; year++ {
		union := make(map[Date]bool)
		scot := make(map[Date]bool)
		for _, r := range Regions {
			for _, h := range published[r][year] {
				union[h.Date] = true
				if r == Scotland {
					scot[h.Date] = true
				}
			}
		}
		for d := (Date{year, time.January, 1}); d.Year == year; d = d.AddDays(1) {
			weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
			if got, want := foia.IsWorkingDay(d), !weekend && !union[d]; got != want {
				t.Errorf("foia IsWorkingDay(%s %s) = %v, want %v", d, d.Weekday(), got, want)
			}
			if got, want := foisa.IsWorkingDay(d), !weekend && !scot[d]; got != want {
				t.Errorf("foisa IsWorkingDay(%s %s) = %v, want %v", d, d.Weekday(), got, want)
			}
			_, isHoliday := foia.Holiday(d)
			if isHoliday != union[d] {
				t.Errorf("foia Holiday(%s) ok = %v, want %v", d, isHoliday, union[d])
			}
		}
	}
}

func TestCalendarHolidaysListsEachObservedDay(t *testing.T) {
	foia, foisa := MustNew(FOIA), MustNew(FOISA)
	// 2024: England and Wales's 8, plus Scotland's 2 Jan, 5 Aug and 2 Dec,
	// plus Northern Ireland's 18 Mar and 12 Jul; Scotland alone has 9.
	if got := foia.Holidays(2024); len(got) != 13 {
		t.Errorf("foia 2024 has %d holidays, want 13: %v", len(got), got)
	}
	if got := foisa.Holidays(2024); len(got) != 9 {
		t.Errorf("foisa 2024 has %d holidays, want 9: %v", len(got), got)
	}
	for _, c := range []*Calendar{foia, foisa} {
		hs := c.Holidays(2025)
		for i, h := range hs {
			if i > 0 && !hs[i-1].Date.Before(h.Date) {
				t.Errorf("%s: Holidays not in date order at %s", c.Name(), h.Date)
			}
			if name, ok := c.Holiday(h.Date); !ok || name != h.Name || c.IsWorkingDay(h.Date) {
				t.Errorf("%s: Holiday(%s) = %q, %v", c.Name(), h.Date, name, ok)
			}
		}
	}
	if got := MustNew(FOISA).Regions(); len(got) != 1 || got[0] != Scotland {
		t.Errorf("foisa regions = %v", got)
	}
}

func TestHolidayNamesTheNationsWhenNotUKWide(t *testing.T) {
	foia, foisa := MustNew(FOIA), MustNew(FOISA)
	tests := []struct {
		cal  *Calendar
		date string
		want string
		ok   bool
	}{
		{foia, "2023-08-07", "Summer bank holiday (Scotland)", true},
		{foia, "2023-08-28", "Summer bank holiday (England and Wales, Northern Ireland)", true},
		{foia, "2023-12-25", "Christmas Day", true},
		{foia, "2022-09-19", "Bank Holiday for the State Funeral of Queen Elizabeth II", true},
		{foia, "2025-12-01", "St Andrew's Day (substitute day) (Scotland)", true},
		{foia, "2025-07-14", "Battle of the Boyne (Orangemen's Day) (substitute day) (Northern Ireland)", true},
		{foia, "2024-03-18", "St Patrick's Day (substitute day) (Northern Ireland)", true},
		{foia, "2024-04-01", "Easter Monday (England and Wales, Northern Ireland)", true},
		{foia, "2023-01-02", "New Year's Day (substitute day) (England and Wales, Northern Ireland); 2nd January (Scotland)", true},
		{foia, "2020-05-04", "", false}, // VE day moved the early May holiday to the 8th
		{foia, "2024-05-28", "", false},
		{foia, "2023-12-23", "", false}, // a Saturday is not a holiday, just not a working day
		{foisa, "2023-08-07", "Summer bank holiday", true},
		{foisa, "2023-08-28", "", false},
		{foisa, "2024-03-18", "", false},
		{foisa, "2024-04-01", "", false}, // no Easter Monday in Scotland
	}
	for _, tt := range tests {
		got, ok := tt.cal.Holiday(MustParseDate(tt.date))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s Holiday(%s) = %q, %v; want %q, %v", tt.cal.Name(), tt.date, got, ok, tt.want, tt.ok)
		}
	}
}

func TestOneOffsReplaceOrAddDays(t *testing.T) {
	foia := MustNew(FOIA)
	tests := []struct {
		date    string
		working bool
	}{
		{"2020-05-04", true},  // early May moved away for VE day
		{"2020-05-08", false}, // ... to here
		{"2022-05-30", true},  // spring moved away for the Platinum Jubilee
		{"2022-06-02", false},
		{"2022-06-03", false},
		{"2022-09-19", false},
		{"2023-05-01", false},
		{"2023-05-08", false},
		{"2012-05-28", true}, // spring moved for the Diamond Jubilee
		{"2012-06-04", false},
		{"2012-06-05", false},
	}
	for _, tt := range tests {
		if got := foia.IsWorkingDay(MustParseDate(tt.date)); got != tt.working {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.date, got, tt.working)
		}
	}
}

func TestEasterSundayMatchesKnownDates(t *testing.T) {
	known := map[int]string{
		2000: "2000-04-23", 2008: "2008-03-23", 2011: "2011-04-24", 2019: "2019-04-21",
		2020: "2020-04-12", 2021: "2021-04-04", 2022: "2022-04-17", 2023: "2023-04-09",
		2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28",
		2028: "2028-04-16", 2038: "2038-04-25", 2285: "2285-03-22",
	}
	for year, want := range known {
		if got := EasterSunday(year).String(); got != want {
			t.Errorf("EasterSunday(%d) = %s, want %s", year, got, want)
		}
	}
}

func TestRulesApplyBeyondTheKnownYears(t *testing.T) {
	foia := MustNew(FOIA)
	if foia.Known(2030) || foia.Known(2028) || foia.Known(2011) {
		t.Errorf("Known: want false for 2011, 2028, 2030")
	}
	for y := 2012; y <= 2027; y++ {
		if !foia.Known(y) {
			t.Errorf("Known(%d) = false, want true", y)
		}
	}
	// 2030: 1 Jan Tue, Good Friday 19 Apr, Easter Monday 22 Apr, 6 May, 27 May,
	// 5 Aug (Scotland), 26 Aug, 2 Dec (St Andrew's, 30 Nov a Saturday), 25/26 Dec.
	// 17 March 2030 is a Sunday: substitute Mon 18 March.
	for _, s := range []string{"2030-01-01", "2030-01-02", "2030-03-18", "2030-04-19", "2030-04-22",
		"2030-05-06", "2030-05-27", "2030-07-12", "2030-08-05", "2030-08-26", "2030-12-02",
		"2030-12-25", "2030-12-26"} {
		if foia.IsWorkingDay(MustParseDate(s)) {
			t.Errorf("2030: %s should not be a working day", s)
		}
	}
}
