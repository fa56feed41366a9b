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
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    CHECK ((status = 'completed') = (current_question IS NULL))
);
CREATE UNIQUE INDEX one_open_response_per_survey
    ON responses (member_id, survey_id) WHERE status = 'in_progress';
CREATE INDEX responses_by_survey ON responses (survey_id, status);

CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    -- the answer as JSON; NULL when the member skipped an optional question
    value TEXT,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
) WITHOUT ROWID;
