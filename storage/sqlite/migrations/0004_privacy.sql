-- Privacy: member ids are never reused, and a response can outlive the link to its member.
--
-- A member's export code is a keyed hash of their id: after /forget the id must never be given
-- to the next member, or the code that the audit log records for the forgotten member would
-- name someone else in later exports. AUTOINCREMENT needs the table rebuilt.
CREATE TABLE members_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    telegram_id INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- the response that typed answers go to; NULL while no survey is open (after /cancel)
    active_response_id INTEGER REFERENCES responses (id) ON DELETE SET NULL,
    -- the newest private message that changed state: a redelivered message is never newer
    last_message_id INTEGER NOT NULL DEFAULT 0
);
INSERT INTO members_new SELECT * FROM members;
DROP TABLE members;
PRAGMA legacy_alter_table = ON;
ALTER TABLE members_new RENAME TO members;
PRAGMA legacy_alter_table = OFF;

-- Privacy: a response can outlive the link to its member. Retention unlinks the responses of
-- long-closed surveys (member_id becomes NULL): they still count in reports, and nothing ties
-- them to a person. SQLite cannot drop a NOT NULL constraint in place, so the table is rebuilt
-- (the migration runs with foreign keys off and checks them before it commits).
CREATE TABLE responses_new (
    id INTEGER PRIMARY KEY,
    -- NULL once unlinked by retention: an anonymous response
    member_id INTEGER REFERENCES members (id) ON DELETE CASCADE,
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
INSERT INTO responses_new SELECT * FROM responses;
DROP TABLE responses;
-- Legacy rename: the trigger and view that name `responses` keep naming it, and now mean this.
PRAGMA legacy_alter_table = ON;
ALTER TABLE responses_new RENAME TO responses;
PRAGMA legacy_alter_table = OFF;

CREATE UNIQUE INDEX one_open_response_per_survey
    ON responses (member_id, survey_id) WHERE status = 'in_progress';
CREATE INDEX responses_by_survey ON responses (survey_id, status);
-- /forget, /mydata and retention find a member's responses without scanning them all.
CREATE INDEX responses_by_member ON responses (member_id);

CREATE TRIGGER count_start AFTER INSERT ON responses
BEGIN
    INSERT INTO survey_days (survey_id, area, day, started)
    VALUES (NEW.survey_id, '', substr(NEW.started_at, 1, 10), 1)
    ON CONFLICT DO UPDATE SET started = started + 1;
END;

-- Set by every deletion (/forget, retention). Deleted rows are zeroed at once (secure_delete),
-- but SQLite can leave fragments of them in the unused space of pages it reorganised; the daily
-- job rebuilds the file (VACUUM) when this is set, and clears it.
CREATE TABLE maintenance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    compact_due INTEGER NOT NULL
);
INSERT INTO maintenance (id, compact_due) VALUES (1, 0);
