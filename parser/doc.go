// Package parser is in charge of turning the bytes of one email into a Reply
// (spec/reply.md): reading the MIME structure and charsets, taking the text of
// the body and of every attachment, and deciding from that text the kind of
// reply, the authority's reference, a due date it states and the answer to
// each question of the campaign. It is a pure function: it does no I/O beyond
// reading the message (PDF text is taken by package extract, which runs
// pdftotext in a child process), keeps no state, and never matches a reply to
// a request (the worker does that).
//
// Read gives a Message (headers, body text, attachments, warnings);
// Message.Reply makes the Reply for a campaign's questions; Parse does both.
//
// # Implementation notes
//
// MIME: github.com/emersion/go-message with its charset package. An unknown
// charset or transfer encoding is a warning and the bytes are read as they
// are; text that is still not UTF-8 is read as windows-1252. In a
// multipart/alternative the text/plain part wins unless it is a stub of the
// HTML (a third of its length or less); the HTML is not converted at all when
// a plain part of 500 characters or more came first. message/rfc822 parts are
// walked as part of the body. Attachments are typed by their first bytes
// (extract.Sniff); their text is appended, after the body, to the text that
// answers are looked for in. A PDF without a text layer, and an image of
// 20 KB or more (smaller ones are logos), are read by OCR (extract.OCRPDF,
// extract.OCRImage) within Limits.OCR, whose page budget is shared by all
// attachments of the message. Every limit (message size, parts, depth, total
// text) and every extraction error becomes a sentence in Warnings.
//
// Text: NFKC, "\n" line ends, no trailing spaces, at most one blank line in
// a row. What a reply quotes (">" lines, "-----Original Message-----", "On ...
// wrote:", an Outlook "From:/Sent:" block) is dropped before analysis.
//
// Answers (answers.go): every line that starts like a numbered item ("5.",
// "- 5.", "(5)", "5)", "Q5", "Question 5", "5 | ...", but not "1.5 million")
// or a lettered one ("(a)", "b)", in runs from "a") is found, and items are
// grouped into runs of rising numbers. A table laid out in columns by
// pdftotext -layout (number, question wrapping over lines, answer) is first
// joined into one "n | question | answer" line per row; a row "question |
// answer" restates its question whatever the answer's length. A block of
// unnumbered bullets as many as the questions (or as the numbered ones)
// answers them in order, when it does better than the numbered runs. Each run is scored by how many
// questions it answers once the restated question is stripped from each item
// (matchPrefix: the question's words in order, a few missing or added, word
// endings ignored); the best run wins, a later one on a tie, and a run after
// an introducing sentence ("can advise the following", "the response can be
// found below") over any before it. So a letter that quotes the request
// before answering it gives the answers, not the quoted questions. An item's
// answer is the rest of its line, else the following paragraphs up to the
// next item, a line restating another question, a sign-off or the usual
// review and copyright paragraphs. Questions not found by number
// (unnumbered ones, or letters that repeat questions without numbers) are
// found by the line that restates them best. The words are then typed
// (values.go): a caveat in parentheses goes to Note; "not held" wording gives
// not_held ("we do not hold", "no recorded information", "does not collect
// this data"), an exemption cited (s.21 to s.44, written as s.N(M)(x))
// without a value or with a range gives exempt. A list is split at commas,
// semicolons and lines, and at each " and " that joins two names (each side
// a name of its own: "Victim Support and Probation") but not one inside a
// name ("Drug and Alcohol Service", "HM Prison and Probation Service": known
// pairs, and a lone qualifying word before "and"). A text value is the name
// after "is called" or "commissions the", without ", delivered by ...".
//
// Kind (kind.go): bounce and auto-reply come from headers and subjects; the
// rest from phrases, sentence by sentence, leaving out conditional and
// advisory sentences ("If you are dissatisfied ... internal review"), which
// almost every letter carries. Answers found beat the phrases of refusal,
// extension and clarification when they cover half the questions or more.
//
// Reference (refdate.go): labelled forms first ("Our ref:", "logged under
// reference", "Reference:"), then FOI-prefixed tokens, a bracketed token in
// the subject, and a bare token in the subject; dates, financial years, phone
// numbers, postcodes and question numbers are refused. A due date is read
// only for acknowledgements and extensions, after "no later than", "by", "on
// or before" and the like, the year taken from the message date when left
// out, and refused when it lies before the message.
//
// Scans (ocr.go): text read by OCR is repaired before analysis, and only
// that text: item labels hidden by noise ("“5 12.", "5..", "2°.", "‘6.",
// "Question:5") are rewritten "5. 12" where the number continues the items
// around it, and a URL split by a space or a line break is joined when the
// piece after the break looks like part of a URL. A reference found in text
// not read by OCR (subject, body) is preferred to one read from a scan, and
// one read from a scan is written as the subject writes it when they differ
// only by what OCR confuses (I/l/1, O/0, S/5, B/8, "I/" read as "V"). A
// count or an amount read from a scan that mixes digits with such letters
// ("1O") stays unanswered, its words in Text, with a warning; and a Reply
// whose answers came from a scan says so in Warnings, with each scan's OCR
// confidence. Test fixtures testdata/ocr-*.eml hold such text as plain text
// attachments, which the test takes as read by OCR.
//
// Memory: a large part is read into one buffer sized from the message's
// length, and text is cut to what Limits.MaxText can still take before it
// is converted and cleaned; a message with a 25 MB attachment peaks under
// 100 MB of RSS (TestPeakMemory25MB).
//
// Bounds: every loop runs over bounded input (text cut at Limits.MaxText, at
// most 20,000 lines, capped runs, matches and sentences); patterns are tried
// only where a cheap keyword test passes. Read and Reply recover from a panic
// and turn it into a warning, as a last line of defence only.
package parser
