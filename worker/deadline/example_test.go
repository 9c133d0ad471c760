package deadline_test

import (
	"fmt"
	"time"

	"github.com/foiwatch/foiwatch/worker/deadline"
)

func ExampleCalendar_Due() {
	cal, err := deadline.New("foia") // campaign.calendar; "" means foia
	if err != nil {
		panic(err)
	}
	// The request went out on Tuesday 25 July 2023: that is day 0.
	received := deadline.Received(time.Date(2023, time.July, 25, 9, 30, 0, 0, time.UTC))
	due := cal.Due(received, 20)
	fmt.Println("due:", due, due.Weekday())

	// Monday 7 August 2023 was Scotland's summer bank holiday: not a working
	// day under FOIA s.10(6), even for an authority in England.
	name, _ := cal.Holiday(deadline.MustParseDate("2023-08-07"))
	fmt.Println("skipped:", name)

	replied := deadline.MustParseDate("2023-08-24")
	fmt.Println("working days late:", cal.WorkingDaysLate(due, replied))

	for _, s := range deadline.Stages[:3] {
		fmt.Println(s, cal.StageDate(s, due))
	}
	// Output:
	// due: 2023-08-23 Wednesday
	// skipped: Summer bank holiday (Scotland)
	// working days late: 1
	// due_soon 2023-08-21
	// late 2023-08-24
	// very_late 2023-09-21
}
