package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Every command reads an operator's time alike: a bare date is 12:00 London
// time, winter and summer; a time without a zone is London's.
func TestOperatorTimeReadsEveryFormAlike(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2024-01-15", "2024-01-15T12:00:00Z"},           // GMT
		{"2024-06-21", "2024-06-21T11:00:00Z"},           // BST: noon London
		{"2024-06-21T09:30", "2024-06-21T08:30:00Z"},     // London time
		{"2024-06-21T09:30:15", "2024-06-21T08:30:15Z"},  // with seconds
		{"2024-06-21T09:30:00Z", "2024-06-21T09:30:00Z"}, // RFC 3339
		{"2024-06-21T09:30:00+02:00", "2024-06-21T07:30:00Z"},
	} {
		got, ok, err := operatorTime("now", tc.in)
		if err != nil || !ok || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("operatorTime(%q) = %v %v %v, want %s", tc.in, got.UTC(), ok, err, tc.want)
		}
	}
	if _, ok, err := operatorTime("now", ""); ok || err != nil {
		t.Errorf("operatorTime(\"\") = %v %v, want no time and no error", ok, err)
	}
	_, _, err := operatorTime("at", "21/06/2024")
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--at") || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("operatorTime of 21/06/2024 = %v, want a usage error naming --at and the forms", err)
	}
}
