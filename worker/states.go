package worker

// The values of a request's state, of an operator's event and of a reminder
// record, with their rules, in one file: a state added or an event kind
// added is added here, and the rules that read it are beside it.
//
// They are untyped string constants (RequestState.State and Event.Kind are
// strings in the stored JSON and in Row): a named type would be the next
// step, once the code that compares them with other strings (Row.Status
// also holds "send_uncertain") is changed with it.

// State names of a request (see RequestState.State).
const (
	StateSent              = "sent"
	StateAcknowledged      = "acknowledged"
	StateClarification     = "clarification"
	StateExtension         = "extension"
	StateAnswered          = "answered"
	StatePartiallyAnswered = "partially_answered"
	StateNotHeld           = "not_held"
	StateRefused           = "refused"
	StateBounced           = "bounced"
	StateWithdrawn         = "withdrawn"
	StateReviewRequested   = "review_requested"
	StateReviewAnswered    = "review_answered"
	// StateNotSent is a request with no sent_at, in its campaign file or
	// in foiwatch's record of sending it: it has no deadline yet.
	StateNotSent = "not_sent"
)

// finalState tells a state that an acknowledgement, a clarification, an
// extension or a bounce arriving later does not change (Derive): the
// authority has responded, the requester withdrew, or a review is under way.
func finalState(st string) bool {
	switch st {
	case StateAnswered, StatePartiallyAnswered, StateNotHeld, StateRefused, StateWithdrawn, StateReviewRequested, StateReviewAnswered:
		return true
	}
	return false
}

// awaitsResponse tells a state in which the request waits for the
// authority's response with its clock running, so that reminders fall due
// (currentStage; a review requested has its own stage, review_late).
func awaitsResponse(st string) bool {
	switch st {
	case StateSent, StateAcknowledged, StateExtension, StateBounced:
		return true
	}
	return false // answered, refused, withdrawn, not sent, or the clock is stopped (clarification)
}

// Event kinds an operator records (Event.Kind; foiwatch event).
const (
	EventClarificationSent = "clarification_sent"
	EventReviewRequested   = "review_requested"
	EventWithdrawn         = "withdrawn"
	EventResent            = "resent"
)

// EventKinds are the things an operator records that happened outside the
// mailbox, with what each does to the request's clock.
var EventKinds = map[string]string{
	EventClarificationSent: "the requester answered the authority's request for clarification: the clock starts again from day 0 on that day",
	EventReviewRequested:   "the requester asked for an internal review: it is due 20 working days later",
	EventWithdrawn:         "the requester withdrew the request: no more reminders",
	EventResent:            "the request was sent again (e.g. to a new address after a bounce): the clock starts again",
}

// movesClock tells an event kind that moves the request's due date.
func movesClock(kind string) bool {
	return kind == EventClarificationSent || kind == EventReviewRequested || kind == EventResent
}

// reminderStatus is where one reminder email stands (reminderRecord).
type reminderStatus string

const (
	// reminderClaimed: recorded before the email is sent; never sent by
	// another scheduler.
	reminderClaimed reminderStatus = "claimed"
	// reminderSent: the server took it.
	reminderSent reminderStatus = "sent"
	// reminderFailed: certainly not delivered (refused, no connection);
	// tried again at NextAttempt.
	reminderFailed reminderStatus = "failed"
	// reminderUncertain: it may have been delivered (the connection broke
	// after the message was handed over, or its record could not be read):
	// never sent again by itself.
	reminderUncertain reminderStatus = "uncertain"
)
