package worker

import (
	"math"
	"strconv"
	"strings"

	"github.com/foiwatch/foiwatch/parser"
)

// This file says values the way a person reads them (the status page, the
// demo, the XLSX export's notes): "£125,000 per year", "not held",
// "partially answered". The CSV and JSON exports keep the raw values.

// stateWords are the request states in words.
var stateWords = map[string]string{
	StateSent:              "sent",
	StateAcknowledged:      "acknowledged",
	StateClarification:     "clarification asked",
	StateExtension:         "extended",
	StateAnswered:          "answered",
	StatePartiallyAnswered: "partially answered",
	StateNotHeld:           "not held",
	StateRefused:           "refused",
	StateBounced:           "bounced (not delivered)",
	StateWithdrawn:         "withdrawn",
	StateReviewRequested:   "internal review requested",
	StateReviewAnswered:    "internal review answered",
	StateNotSent:           "not sent yet",
	// Row statuses of foiwatch send (report.go).
	"sending":        "being sent",
	"send_uncertain": "sent? check the Sent folder",
}

// StateWords is a request state as a person reads it ("partially_answered"
// is "partially answered").
func StateWords(state string) string {
	if w, ok := stateWords[state]; ok {
		return w
	}
	return strings.ReplaceAll(state, "_", " ")
}

// kindWords are the kinds of reply in words.
var kindWords = map[parser.Kind]string{
	parser.KindAcknowledgement: "acknowledgement",
	parser.KindClarification:   "request for clarification",
	parser.KindExtension:       "extension",
	parser.KindResponse:        "response",
	parser.KindRefusal:         "refusal",
	parser.KindInternalReview:  "internal review",
	parser.KindAutoReply:       "automatic reply",
	parser.KindBounce:          "bounce",
	parser.KindOther:           "other",
}

// KindWords is a reply's kind as a person reads it.
func KindWords(k parser.Kind) string {
	if w, ok := kindWords[k]; ok {
		return w
	}
	return strings.ReplaceAll(string(k), "_", " ")
}

// StatusWords is an answer's status as a person reads it: "answered",
// "not held", "exempt s.40(2)", "not answered".
func StatusWords(a parser.Answer) string {
	switch a.Status {
	case parser.StatusAnswered:
		return "answered"
	case parser.StatusNotHeld:
		return "not held"
	case parser.StatusExempt:
		if a.Exemption != "" {
			return "exempt " + a.Exemption
		}
		return "exempt"
	case parser.StatusUnanswered, "":
		return "not answered"
	}
	return strings.ReplaceAll(string(a.Status), "_", " ")
}

// AnswerWords is an answer as a person reads it: the value when answered
// ("12", "£125,000 per year", "Police; Early Help"), the words it was read
// from when it has no value ("fewer than 5"), else StatusWords.
func AnswerWords(a parser.Answer) string {
	if a.Status != parser.StatusAnswered {
		return StatusWords(a)
	}
	switch v := a.Value.(type) {
	case nil:
		return a.Text
	case parser.Money:
		return FormatMoney(v)
	case []string:
		return strings.Join(v, "; ")
	}
	return CellValue(a)
}

// currencySymbols are written before an amount; other currencies are
// written as their code and a space ("CHF 1,000").
var currencySymbols = map[string]string{"GBP": "£", "EUR": "€", "USD": "$"}

// FormatMoney writes an amount as a person reads it: "£125,000" (pence only
// when there are some: "£1,234.50"), with its period ("£125,000 per year").
func FormatMoney(m parser.Money) string {
	s := FormatAmount(m.Amount, m.Currency)
	if m.Period != "" {
		s += " per " + m.Period
	}
	return s
}

// FormatAmount writes an amount in currency with thousands separators.
func FormatAmount(amount float64, currency string) string {
	sym, ok := currencySymbols[strings.ToUpper(currency)]
	if !ok && currency != "" {
		sym = strings.ToUpper(currency) + " "
	}
	neg := amount < 0
	amount = math.Abs(amount)
	whole := math.Floor(amount)
	pence := math.Round((amount - whole) * 100)
	if pence == 100 {
		whole, pence = whole+1, 0
	}
	s := groupThousands(strconv.FormatFloat(whole, 'f', 0, 64))
	if pence != 0 {
		s += "." + strconv.FormatFloat(100+pence, 'f', 0, 64)[1:]
	}
	if neg {
		return "-" + sym + s
	}
	return sym + s
}

// groupThousands puts a comma between each group of three digits.
func groupThousands(digits string) string {
	if strings.HasPrefix(digits, "-") {
		return "-" + groupThousands(digits[1:])
	}
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
