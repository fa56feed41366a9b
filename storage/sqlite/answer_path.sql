-- The paths of a response, each one statement: installed after the migrations at every open
-- (`storage.sqlite.db.install_paths`), in place of any earlier definition, so that this file is
-- the one place they are written. A migration that changes a table they read drops them first.
--
-- The rules are decided in Python (`surveys.engine`, `surveys.tally`, `app.answering`): which
-- question comes next, which answers a new one hides, the tally keys of a completed response and
-- of the completion it replaces. These statements only apply such a transition atomically, and
-- only if the response is still where the member's update saw it.

-- A response started counts towards "started" in the daily totals.
CREATE TRIGGER count_start AFTER INSERT ON responses
BEGIN
    INSERT INTO survey_days (survey_id, area, day, started)
    VALUES (NEW.survey_id, '', substr(NEW.started_at, 1, 10), 1)
    ON CONFLICT DO UPDATE SET started = started + 1;
END;

-- Opening a survey: one INSERT into this view (`SQLiteResponses.start_response`) claims the
-- update that asked (the member's message mark, or the tap), starts a response at the first
-- question unless the member has one to the survey open already, and makes the open one the
-- member's active response. Its guard is the trigger's only RAISE: the caller tells an update
-- handled before by that error code.
CREATE VIEW survey_openings AS
SELECT
    NULL AS member_id, NULL AS survey_id, NULL AS version_id, NULL AS first_question,
    NULL AS message_id, NULL AS query_id, NULL AS opened_at;

CREATE TRIGGER open_survey INSTEAD OF INSERT ON survey_openings
BEGIN
    SELECT RAISE(ABORT, 'stale')
    WHERE (NEW.message_id IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM members
               WHERE id = NEW.member_id AND last_message_id < NEW.message_id))
       OR (NEW.query_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM handled_taps WHERE callback_query_id = NEW.query_id));
    INSERT INTO handled_taps (callback_query_id, member_id, handled_at)
    SELECT NEW.query_id, NEW.member_id, NEW.opened_at WHERE NEW.query_id IS NOT NULL;
    INSERT INTO responses (member_id, survey_id, survey_version_id, status, current_question,
        started_at, updated_at)
    VALUES (NEW.member_id, NEW.survey_id, NEW.version_id, 'in_progress', NEW.first_question,
        NEW.opened_at, NEW.opened_at)
    ON CONFLICT DO NOTHING;
    -- A member who writes to the bot can be reached, whatever a failed send said before (a
    -- message, not a tap: someone who blocked the bot may still tap its old buttons).
    UPDATE members
    SET last_message_id = COALESCE(NEW.message_id, last_message_id),
        active_response_id = (
            SELECT id FROM responses
            WHERE member_id = NEW.member_id AND survey_id = NEW.survey_id
              AND status = 'in_progress'),
        unreachable_since = IIF(NEW.message_id IS NULL, unreachable_since, NULL)
    WHERE id = NEW.member_id;
END;

-- An accepted answer: one INSERT into this view (`SQLiteResponses.record_answer`) runs the
-- trigger below, so the answer path is one round trip and one commit. Its guard is the trigger's
-- only RAISE: the caller tells a stale update by that error code.
CREATE VIEW answer_submissions AS
SELECT
    NULL AS response_id, NULL AS question_id, NULL AS value, NULL AS next_question,
    NULL AS dropped, NULL AS message_id, NULL AS step, NULL AS submitted_at,
    NULL AS area, NULL AS counted, NULL AS replaced, NULL AS replaced_area,
    NULL AS replaced_counted, NULL AS replaced_day, NULL AS member_area;

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
    -- The member's earlier completion of this survey, if still counted, leaves the totals.
    UPDATE tallies SET responses = responses - 1
    WHERE NEW.next_question IS NULL AND NEW.replaced IS NOT NULL
      AND EXISTS (SELECT 1 FROM responses WHERE id = NEW.replaced AND counted = 1)
      AND (survey_id, area, split_question, split_value, question_id, value) IN (
          SELECT r.survey_id, NEW.replaced_area, k.value ->> 0, k.value ->> 1, k.value ->> 2,
              k.value ->> 3
          FROM responses r, json_each(NEW.replaced_counted) k WHERE r.id = NEW.response_id);
    UPDATE survey_days SET completed = completed - 1
    WHERE NEW.next_question IS NULL AND NEW.replaced IS NOT NULL
      AND EXISTS (SELECT 1 FROM responses WHERE id = NEW.replaced AND counted = 1)
      AND survey_id = (SELECT survey_id FROM responses WHERE id = NEW.response_id)
      AND area = NEW.replaced_area AND day = NEW.replaced_day;
    DELETE FROM tallies
    WHERE NEW.next_question IS NULL AND NEW.replaced IS NOT NULL AND responses <= 0
      AND survey_id = (SELECT survey_id FROM responses WHERE id = NEW.response_id);
    UPDATE responses SET counted = 0
    WHERE NEW.next_question IS NULL AND id = NEW.replaced AND counted = 1;
    -- The member's typed-message mark moves on; a completed response stops being the active
    -- one, an answered one becomes it; an answer to an area question is the member's area now;
    -- a member who writes to the bot can be reached, whatever a failed send said before (a
    -- message, not a tap: someone who blocked the bot may still tap its old buttons).
    -- Rows that would not change are not written.
    UPDATE members
    SET last_message_id = COALESCE(NEW.message_id, last_message_id),
        active_response_id = CASE WHEN NEW.next_question IS NULL
            THEN NULLIF(active_response_id, NEW.response_id) ELSE NEW.response_id END,
        area = COALESCE(NEW.member_area, area),
        unreachable_since = IIF(NEW.message_id IS NULL, unreachable_since, NULL)
    WHERE id = (SELECT member_id FROM responses WHERE id = NEW.response_id)
      AND (NEW.message_id IS NOT NULL OR NEW.next_question IS NULL
           OR active_response_id IS NOT NEW.response_id
           OR (NEW.member_area IS NOT NULL AND area IS NOT NEW.member_area));
END;
