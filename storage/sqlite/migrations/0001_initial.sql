-- Members, their consent decisions, versioned survey definitions, responses and answers.

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- the response that typed answers go to; NULL while no survey is open (after /cancel)
    active_response_id INTEGER REFERENCES responses (id) ON DELETE SET NULL,
    -- the newest private message that changed state: a redelivered message is never newer
    last_message_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    agreed INTEGER NOT NULL CHECK (agreed IN (0, 1)),
    notice_version TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX consents_by_member ON consents (member_id, id);

-- One row per distinct content of a survey file: answers keep the version they were given to.
CREATE TABLE survey_versions (
    id INTEGER PRIMARY KEY,
    survey_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    definition TEXT NOT NULL,
    first_loaded_at TEXT NOT NULL,
    UNIQUE (survey_id, content_hash)
);

CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    survey_id TEXT NOT NULL,
    survey_version_id INTEGER NOT NULL REFERENCES survey_versions (id),
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed')),
    -- the question the member is on; NULL once completed
    current_question TEXT,
    -- a multi question's options ticked so far, as a JSON list, until Done
    pending_choices TEXT NOT NULL DEFAULT '[]',
    -- counts the moves between questions; buttons carry the step they were drawn at
    step INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    CHECK ((status = 'completed') = (current_question IS NULL))
);
CREATE UNIQUE INDEX one_open_response_per_survey
    ON responses (member_id, survey_id) WHERE status = 'in_progress';
CREATE INDEX responses_by_survey ON responses (survey_id, status);

-- Button taps whose effect is not guarded by the state they act on (a consent decision,
-- opening a survey): recorded with that effect, so a tap delivered again does nothing.
CREATE TABLE handled_taps (
    callback_query_id TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    handled_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX handled_taps_by_member ON handled_taps (member_id);

CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    -- the answer as JSON; NULL when the member skipped an optional question
    value TEXT,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
) WITHOUT ROWID;

-- Accepting an answer is one statement, `INSERT INTO answer_submissions (...) VALUES (...)`,
-- atomic and committed on its own. The trigger refuses it whole (RAISE 'stale') unless the
-- response is still at the question that was answered and, for a button, at the step the
-- button was drawn at, or for a typed answer, the message is newer than the member's mark. Then it stores
-- the answer, removes the answers it hides (`dropped`, a JSON list of question ids), moves the
-- response on (`next_question` NULL completes it) and updates the member's state.
CREATE VIEW answer_submissions AS
SELECT
    NULL AS response_id, NULL AS question_id, NULL AS value, NULL AS next_question,
    NULL AS dropped, NULL AS message_id, NULL AS step, NULL AS submitted_at;

CREATE TRIGGER accept_answer INSTEAD OF INSERT ON answer_submissions
BEGIN
    SELECT RAISE(ABORT, 'stale') WHERE NOT EXISTS (
        SELECT 1 FROM responses r JOIN members m ON m.id = r.member_id
        WHERE r.id = NEW.response_id AND r.status = 'in_progress'
          AND r.current_question = NEW.question_id
          AND (NEW.step IS NULL OR r.step = NEW.step)
          AND (NEW.message_id IS NULL OR m.last_message_id < NEW.message_id));
    INSERT INTO answers (response_id, question_id, value, answered_at)
    VALUES (NEW.response_id, NEW.question_id, NEW.value, NEW.submitted_at)
    ON CONFLICT (response_id, question_id)
    DO UPDATE SET value = excluded.value, answered_at = excluded.answered_at;
    DELETE FROM answers
    WHERE NEW.dropped <> '[]' AND response_id = NEW.response_id
      AND question_id IN (SELECT value FROM json_each(NEW.dropped));
    -- Two updates rather than CASEs: the status and its indexes change only on completion.
    UPDATE responses
    SET current_question = NEW.next_question, pending_choices = '[]', step = step + 1,
        updated_at = NEW.submitted_at
    WHERE id = NEW.response_id AND NEW.next_question IS NOT NULL;
    UPDATE responses
    SET current_question = NULL, pending_choices = '[]', step = step + 1,
        updated_at = NEW.submitted_at, status = 'completed', completed_at = NEW.submitted_at
    WHERE id = NEW.response_id AND NEW.next_question IS NULL;
    -- The member's typed-message mark moves on; a completed response stops being the active
    -- one, an answered one becomes it. Rows that would not change are not written.
    UPDATE members
    SET last_message_id = COALESCE(NEW.message_id, last_message_id),
        active_response_id = CASE WHEN NEW.next_question IS NULL
            THEN NULLIF(active_response_id, NEW.response_id) ELSE NEW.response_id END
    WHERE id = (SELECT member_id FROM responses WHERE id = NEW.response_id)
      AND (NEW.message_id IS NOT NULL OR NEW.next_question IS NULL
           OR active_response_id IS NOT NEW.response_id);
END;
