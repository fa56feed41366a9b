-- Organiser reports: running totals kept as responses complete, organiser chats and their
-- digest schedules, milestones announced.

-- One row per (survey, area, split, question, value): how many completed responses count
-- there (see surveys/tally.py for the keys). Reports read these, never the answers.
CREATE TABLE tallies (
    survey_id TEXT NOT NULL,
    area TEXT NOT NULL,
    split_question TEXT NOT NULL,
    split_value TEXT NOT NULL,
    question_id TEXT NOT NULL,
    value TEXT NOT NULL,
    responses INTEGER NOT NULL,
    PRIMARY KEY (survey_id, split_question, split_value, area, question_id, value)
) WITHOUT ROWID;

-- Responses started and completed per survey, area and UTC day. A response's area is known
-- only once it is completed, so starts are counted under the area ''.
CREATE TABLE survey_days (
    survey_id TEXT NOT NULL,
    area TEXT NOT NULL,
    day TEXT NOT NULL,
    started INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, area, day)
) WITHOUT ROWID;

-- Set when the totals must be rebuilt from the answers (responses completed before the totals
-- existed); the bot rebuilds them at start and clears it.
CREATE TABLE report_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    totals_stale INTEGER NOT NULL
);
INSERT INTO report_state (id, totals_stale)
SELECT 1, EXISTS (SELECT 1 FROM responses);

CREATE TRIGGER count_start AFTER INSERT ON responses
BEGIN
    INSERT INTO survey_days (survey_id, area, day, started)
    VALUES (NEW.survey_id, '', substr(NEW.started_at, 1, 10), 1)
    ON CONFLICT DO UPDATE SET started = started + 1;
END;

-- Group and channel chats registered by an administrator to receive reports.
CREATE TABLE organiser_chats (
    chat_id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('group', 'channel')),
    title TEXT NOT NULL,
    -- one value of each survey's area question: the chat sees only those responses
    area TEXT,
    -- 0 once the bot was removed or can no longer post there
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    -- digest schedule: NULL, 'daily' or 'weekly'; weekday 0 = Monday; at HH:MM local time
    digest TEXT CHECK (digest IN ('daily', 'weekly')),
    digest_weekday INTEGER CHECK (digest_weekday BETWEEN 0 AND 6),
    digest_time TEXT,
    registered_at TEXT NOT NULL
);

-- Milestones of completed responses already announced: each is announced once.
CREATE TABLE milestones (
    survey_id TEXT NOT NULL,
    completed INTEGER NOT NULL,
    announced_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, completed)
) WITHOUT ROWID;

-- The answer path gains the completed response's area and the tallies it counts in
-- (`counted`: a JSON list of [split question, split value, question, value]), added in the
-- same statement that completes it.
DROP TRIGGER accept_answer;
DROP VIEW answer_submissions;

CREATE VIEW answer_submissions AS
SELECT
    NULL AS response_id, NULL AS question_id, NULL AS value, NULL AS next_question,
    NULL AS dropped, NULL AS message_id, NULL AS step, NULL AS submitted_at,
    NULL AS area, NULL AS counted;

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
    -- A completed response counts in the running totals.
    INSERT INTO tallies (survey_id, area, split_question, split_value, question_id, value, responses)
    SELECT r.survey_id, NEW.area, k.value ->> 0, k.value ->> 1, k.value ->> 2, k.value ->> 3, 1
    FROM responses r, json_each(NEW.counted) k
    WHERE NEW.next_question IS NULL AND r.id = NEW.response_id
    ON CONFLICT DO UPDATE SET responses = responses + 1;
    INSERT INTO survey_days (survey_id, area, day, completed)
    SELECT survey_id, NEW.area, substr(NEW.submitted_at, 1, 10), 1
    FROM responses WHERE NEW.next_question IS NULL AND id = NEW.response_id
    ON CONFLICT DO UPDATE SET completed = completed + 1;
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
