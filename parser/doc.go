// Package parser is in charge of turning the bytes of one email into a Reply:
// reading the MIME structure and charsets, taking the text of
// the body and of every attachment, and deciding from that text the kind of
// reply, the authority's reference, a due date it states and the answer to
// each question of the campaign. It is a pure function: it does no I/O beyond
// reading the message (PDF text is taken by package extract, which runs
// pdftotext in a child process), keeps no state but a cache of campaigns'
// questions prepared for reading, and never matches a reply to
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
// Answers are found by the structure of a reply, never by one campaign's
// words: what a campaign needs (its questions' text, aliases, period) comes
// in Asked. Four stages, each in its own files:
//
//   - Clean (clean.go): quoted text dropped, unless the reply answers under
//     the lines it quotes (two or more quoted blocks each followed by the
//     writer's words: those questions are kept, unquoted); sign-offs and
//     the paragraphs every letter carries (review rights, copyright,
//     banners) end the answers.
//   - Segment (segment.go, label.go, table.go): the lines of each document
//     are labelled ("5.", "(5)", "Q5", "Question 5", "Questions 2, 3 and
//     4", "Cwestiwn 1 / Question 1", bullets) and tables found (" | "
//     rows, tabs, and columns laid out by pdftotext -layout, rows going on
//     over a PDF's page break, a cell's own lines kept as CellBreak).
//     Tables are shaped: heads, a period column or row chosen for the
//     period asked, totals, transposed tables. Then candidate answers
//     ("units") are cut: numbered items, questions restated in full,
//     "Label: value" lines, table rows, runs of bullets in order, and
//     sentences that say most of one question's distinctive words and hold
//     a value of its type. A letter's head block, quoted questions and
//     headings before an answer ("Spend. The budget ...") are told apart
//     from the answer.
//   - Align (align.go, similar.go): three passes. Units the reply numbered
//     go to their question by number (or to the one their words say
//     plainly); then units aligned by their words (IDF-weighted overlap of
//     stems, in order, by dynamic programming) to questions still without
//     an answer; then order alone and single sentences, for what is left.
//     The lines of a numbered item that answered are that answer's.
//   - Read (read.go, count.go, money.go, list.go, held.go, period.go): the
//     unit's words become a typed Answer. Figures per period take the
//     period asked; parts with a stated total give the total; several
//     figures give the total, the one at the start, or the one beside the
//     question's words, in that order; amounts prefer the actual to a
//     budget and the period asked to a span of years. Lists are names one
//     a line, bullets, table cells, or a sentence split at commas,
//     semicolons and the "and"s between names. Not held, exemptions (FOIA
//     ss.12-44, FOISA, EIR regulations), suppressed small numbers and a
//     cost refusal of part of a request are statuses. Whatever was chosen
//     among several readings, or found by a weak match, sets Check and
//     says Why in words, for a person to review.
//
// Campaign words: TestNoCampaignWordsInRules fails on a word of one
// campaign in any string of the package's code.
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
// Memory: parts are decoded as streams with the limits applied while
// reading (stream.go): text is kept only as far as Limits.MaxText can still
// take, a file its extractor reads whole only up to the extractor's
// MaxInput, anything else not at all, the rest read and counted; ReadFrom
// reads a message from a stream (the object store) so that it is never
// whole in memory. A message with a 25 MB attachment peaks under 100 MB of
// RSS (TestPeakMemory25MB).
//
// Bounds: every loop runs over bounded input (text cut at Limits.MaxText, at
// most maxLines lines a document and maxUnits candidate answers, capped
// matches and sentences). Costly patterns are keyed (text.go): tried only
// where their keys are, and only at the offsets where a match can begin,
// both read from the pattern's syntax and checked by tests. What the
// questions give every reply (stems, weights, the period) is prepared once
// per campaign (prepare.go). Read and Reply recover from a panic and turn
// it into a warning, as a last line of defence only.
package parser
