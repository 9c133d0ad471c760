// Package deadline is in charge of working days, due dates and the dates of
// reminder stages for Freedom of Information requests.
//
// A [Calendar] says which days are working days. Two are defined, named as a
// campaign's `calendar` key names them:
//
//   - "foia" (the default): the Freedom of Information Act 2000 s.10(6) and the
//     EIR. A working day is any day other than a Saturday, a Sunday, Christmas
//     Day, Good Friday, or a bank holiday in any part of the United Kingdom.
//     So Scotland's 2 January, first Monday in August and St Andrew's Day, and
//     Northern Ireland's St Patrick's Day and Battle of the Boyne, are not
//     working days for an authority in England either.
//   - "foisa": the Freedom of Information (Scotland) Act 2002 s.73. Saturdays,
//     Sundays and Scotland's bank holidays only.
//
// The date of receipt is day 0 and the clock counts from the next working day,
// whatever day receipt fell on, so a request received on Sunday 2024-05-19 with
// 20 working days is due on Monday 2024-06-17 ([Calendar.Due]). A reply on the
// due date is on time; [Calendar.WorkingDaysLate] counts the working days after
// it. [Calendar.StageDate] gives the day each reminder stage (due_soon, late,
// very_late, review_late) becomes due.
//
// Dates are civil dates ([Date]) with no time zone. UK FOI law runs on UK days,
// so a time is turned into a date in Europe/London ([DateOf], [Received]).
//
// # Implementation notes
//
//   - Bank holidays come from rules, not from a downloaded list: the daemon must
//     work offline and for dates years ahead. Each nation's rules
//     ([BankHolidays] for [EnglandAndWales], [Scotland], [NorthernIreland]) are
//     the holidays that fall on a weekday by definition (Good Friday, Easter
//     Monday, the early May, spring and summer Mondays), then the holidays of a
//     fixed date (1 and 2 January, 17 March, 12 July, 30 November, 25 and 26
//     December). A fixed-date holiday that falls on a weekday keeps its day; one
//     that falls on a Saturday or Sunday moves to the next weekday that is not
//     already a holiday, in date order ("substitute day"), which gives the
//     27/28 December and 3/4 January pairs the gov.uk lists show. (One label
//     differs from gov.uk: when 1 January is a Sunday, Scotland's Monday 2
//     January keeps its own name and New Year's Day takes the Tuesday, as the
//     1971 Act words it; gov.uk labels the two days the other way round. The
//     dates are the same.) Christmas Day and Good Friday, named on their own
//     in s.10(6), are bank holidays in every nation anyway. Easter Sunday
//     is computed with the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
//   - One-off and moved holidays (jubilees, the 2020 VE day move of the early
//     May holiday, the state funeral, the coronation) are proclaimed a year or
//     so ahead and cannot be computed; they are a table in holidays.go
//     (oneOffs). [Calendar.Known] reports the years that table is known to
//     cover; beyond them the rules still apply, but a future one-off would be
//     missed until the table is updated. Add new proclamations there.
//   - Why no library: the standard library has no holidays, and we know of no
//     well-kept Go library that covers all three UK nations' bank holidays with
//     their substitute days and every one-off listed here (Scotland's 2
//     January and St Andrew's Day substitutes, Northern Ireland's Boyne
//     substitutes, 2020-05-08 replacing 2020-05-04). Getting any of them wrong
//     moves a statutory deadline, so the rules are written here and checked in
//     the tests against the published gov.uk lists for 2019-2027, written out
//     by hand. (A dependency would also mean changing go.mod, which is not
//     this package's to change.)
//   - Europe/London comes from the system's zone database, with the copy
//     embedded by time/tzdata as a fall-back, so a container without
//     /usr/share/zoneinfo still gets UK days right.
//   - Holiday tables are built per year on first use and cached (the calendars
//     are shared and safe for concurrent use). Working-day arithmetic runs on
//     day numbers and a per-year bit set of non-working days, so Due costs
//     about as many bit tests as the days it spans.
//   - Old years: the rules in force since 2007 (when St Andrew's Day became a
//     bank holiday) are applied to every year, and the one-off table starts in
//     2012; Known is false before 2012.
package deadline
