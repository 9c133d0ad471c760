package parser

import "encoding/json"

// Version is the parser's version. It is stored with every Reply so that the
// worker can tell a Reply made by an older parser (and skip one made by this
// one). Raise it whenever a change to the parser can change a Reply.
const Version = 5

// Kind is what sort of message a reply is.
type Kind string

const (
	KindAcknowledgement Kind = "acknowledgement"
	KindClarification   Kind = "clarification"
	KindExtension       Kind = "extension"
	KindResponse        Kind = "response"
	KindRefusal         Kind = "refusal"
	KindInternalReview  Kind = "internal_review"
	KindAutoReply       Kind = "auto_reply"
	KindBounce          Kind = "bounce"
	KindOther           Kind = "other"
)

// QuestionType is what an answer is turned into.
type QuestionType string

const (
	TypeText  QuestionType = "text"
	TypeCount QuestionType = "count"
	TypeList  QuestionType = "list"
	TypeMoney QuestionType = "money"
	TypeURL   QuestionType = "url"
)

// Question is one question of a campaign (a [[questions]] table of its file).
type Question struct {
	Key    string       `toml:"key" json:"key"`
	Number int          `toml:"number" json:"number,omitempty"` // 0: an unnumbered item
	Type   QuestionType `toml:"type" json:"type"`
	Text   string       `toml:"text" json:"text"`
	// Aliases are other words authorities use for the question
	// ("evaluation", "efficacy"), used with Text to find its answer.
	Aliases []string `toml:"aliases" json:"aliases,omitempty"`
}

// Asked is what the parser knows of a campaign: the questions asked and the
// period they ask about. Nothing else of a campaign reaches the parser, so
// that the same rules read replies to any request.
type Asked struct {
	Title string // the campaign's title; a period may be read from it
	// Period is the period the questions ask about: a financial year
	// "2023/24", a calendar year "2024", or a range
	// "2024-04-01..2025-03-31". Empty: taken from Title and the
	// questions' text where they name one.
	Period    string
	Questions []Question
}

// Status of one answer.
type Status string

const (
	StatusAnswered   Status = "answered"
	StatusNotHeld    Status = "not_held"
	StatusExempt     Status = "exempt"
	StatusUnanswered Status = "unanswered"
)

// Money is the value of a money answer.
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
	Period   string  `json:"period"` // "year" or ""
}

// Answer is the answer to one campaign question.
//
// Value is, by the question's type: int64 (count), Money (money), []string
// (list), string (text, url), or nil unless Status is answered.
type Answer struct {
	Status    Status `json:"status"`
	Value     any    `json:"value"`
	Exemption string `json:"exemption,omitempty"`
	Text      string `json:"text"`
	Note      string `json:"note,omitempty"`
	// Check is set when a person should look at the answer before
	// trusting it; Why says why, in words.
	Check bool   `json:"check,omitempty"`
	Why   string `json:"why,omitempty"`
	// Corrected is set (by the worker, never the parser) when an operator
	// set this answer by hand; Status and Value are then the operator's.
	Corrected *Correction `json:"corrected,omitempty"`
}

// Correction records an operator's correction of an answer, kept as the
// answer's "corrected".
type Correction struct {
	By     string  `json:"by"`
	At     string  `json:"at"` // RFC 3339
	Note   string  `json:"note,omitempty"`
	Parsed *Answer `json:"parsed"` // the answer as the parser gave it
}

// UnmarshalJSON restores Value to its Go type where the JSON allows it:
// numbers without a fraction to int64, objects to Money, arrays to []string.
func (a *Answer) UnmarshalJSON(b []byte) error {
	type plain Answer
	var p struct {
		plain
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*a = Answer(p.plain)
	a.Value = nil
	if len(p.Value) == 0 || string(p.Value) == "null" {
		return nil
	}
	switch p.Value[0] {
	case '{':
		var m Money
		if err := json.Unmarshal(p.Value, &m); err != nil {
			return err
		}
		a.Value = m
	case '[':
		var l []string
		if err := json.Unmarshal(p.Value, &l); err != nil {
			return err
		}
		a.Value = l
	case '"':
		var s string
		if err := json.Unmarshal(p.Value, &s); err != nil {
			return err
		}
		a.Value = s
	default:
		var n json.Number
		if err := json.Unmarshal(p.Value, &n); err != nil {
			return err
		}
		if i, err := n.Int64(); err == nil {
			a.Value = i
		} else if f, err := n.Float64(); err == nil {
			a.Value = f
		} else {
			return err
		}
	}
	return nil
}

// Attachment describes one attachment of a reply.
type Attachment struct {
	Filename      string  `json:"filename"`
	ContentType   string  `json:"content_type"`
	Size          int     `json:"size"`
	TextChars     int     `json:"text_chars"`
	OCR           bool    `json:"ocr,omitempty"`
	OCRConfidence float64 `json:"ocr_confidence,omitempty"`
	// Error says why the text was not read, or not all of it ("not read:
	// pdftotext is not installed (apt-get install poppler-utils); ...");
	// empty when it was.
	Error string `json:"error,omitempty"`
}

// Reply is what one email becomes. Its JSON is a contract (deploy/REPLY.md):
// field names and order are those of the spec.
type Reply struct {
	File      string `json:"file,omitempty"` // only from `foiwatch parse`
	MessageID string `json:"message_id"`
	From      string `json:"from"`
	Subject   string `json:"subject"`
	Date      string `json:"date"` // RFC 3339; "" when the message has none

	// Set by the worker's matcher, not by the parser.
	Campaign string `json:"campaign"`
	Request  string `json:"request"`
	Match    string `json:"match"`

	Kind        Kind              `json:"kind"`
	Reference   string            `json:"reference"`
	StatedDue   string            `json:"stated_due"` // YYYY-MM-DD or ""
	Answers     map[string]Answer `json:"answers"`
	Attachments []Attachment      `json:"attachments"`
	Warnings    []string          `json:"warnings"`

	// Bookkeeping, beyond the spec's fields.
	SHA256        string `json:"sha256,omitempty"`         // of the raw message
	ParserVersion int    `json:"parser_version,omitempty"` // Version when parsed
}
