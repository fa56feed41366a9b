-- The current schema of a Doorstep SQLite database: its tables and indexes as the migrations
-- (migrations/) leave them, for reading; a test checks that they still produce exactly this.
-- Change the schema only with a new migration; the failing test prints the new text.
-- The views and triggers of the answer path are in answer_path.sql.

CREATE TABLE answers (
    response_id INTEGER NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    -- the answer as JSON; NULL when the member skipped an optional question
    value TEXT,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (response_id, question_id)
) WITHOUT ROWID;

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    -- the Telegram user who asked (an organiser or administrator); NULL for the bot's own posts
    actor INTEGER,
    chat_id INTEGER,
    action TEXT NOT NULL,
    survey_id TEXT,
    -- what was shown: every area, one area, a breakdown, charts
    scope TEXT
);

CREATE INDEX audit_log_by_time ON audit_log (at);

CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    agreed INTEGER NOT NULL CHECK (agreed IN (0, 1)),
    notice_version TEXT NOT NULL,
    decided_at TEXT NOT NULL
);

CREATE INDEX consents_by_member ON consents (member_id, id);

CREATE TABLE handled_taps (
    callback_query_id TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    handled_at TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX handled_taps_by_member ON handled_taps (member_id);

CREATE TABLE invitation_rounds (
    id INTEGER PRIMARY KEY,
    survey_id TEXT NOT NULL,
    -- one value of the survey's area question; NULL: every reachable member
    area TEXT,
    state TEXT NOT NULL
        CHECK (state IN ('preview', 'sending', 'paused', 'cancelled', 'finished', 'closed')),
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    -- members left out when it started, by reason
    left_out_done INTEGER NOT NULL DEFAULT 0,
    left_out_turned_off INTEGER NOT NULL DEFAULT 0,
    left_out_unreachable INTEGER NOT NULL DEFAULT 0,
    -- the progress card, edited as the round goes (in an administrator's private chat: their
    -- id goes when they are forgotten; the audit log says who started the round)
    card_chat_id INTEGER,
    card_message_id INTEGER
);

CREATE INDEX invitation_rounds_by_survey ON invitation_rounds (survey_id, started_at);

CREATE TABLE maintenance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    compact_due INTEGER NOT NULL
, last_compacted_at TEXT);

CREATE TABLE "members" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    telegram_id INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    -- the response that typed answers go to; NULL while no survey is open (after /cancel)
    active_response_id INTEGER REFERENCES responses (id) ON DELETE SET NULL,
    -- the newest private message that changed state: a redelivered message is never newer
    last_message_id INTEGER NOT NULL DEFAULT 0
, invitations INTEGER NOT NULL DEFAULT 1
    CHECK (invitations IN (0, 1)), unreachable_since TEXT, area TEXT);

CREATE TABLE milestones (
    survey_id TEXT NOT NULL,
    completed INTEGER NOT NULL,
    announced_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, completed)
) WITHOUT ROWID;

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

CREATE TABLE outbox (
    round_id INTEGER NOT NULL REFERENCES invitation_rounds (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (
        state IN ('waiting', 'sending', 'sent', 'unknown', 'unreachable', 'failed', 'skipped')),
    -- tries that failed for a passing reason (a server error, the network)
    attempts INTEGER NOT NULL DEFAULT 0,
    -- a retry waits until then
    not_before TEXT,
    PRIMARY KEY (round_id, member_id)
) WITHOUT ROWID;

CREATE INDEX outbox_by_member ON outbox (member_id);

CREATE INDEX outbox_by_state ON outbox (round_id, state, not_before);

CREATE TABLE report_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    totals_stale INTEGER NOT NULL
);

CREATE TABLE "responses" (
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
    completed_at TEXT, counted INTEGER NOT NULL DEFAULT 1, reminders_sent INTEGER NOT NULL DEFAULT 0, reminded_at TEXT,
    CHECK ((status = 'completed') = (current_question IS NULL))
);

CREATE UNIQUE INDEX one_open_response_per_survey
    ON responses (member_id, survey_id) WHERE status = 'in_progress';

CREATE INDEX responses_by_member ON responses (member_id);

CREATE INDEX responses_by_survey ON responses (survey_id, status);

CREATE TABLE survey_days (
    survey_id TEXT NOT NULL,
    area TEXT NOT NULL,
    day TEXT NOT NULL,
    started INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, area, day)
) WITHOUT ROWID;

CREATE TABLE survey_versions (
    id INTEGER PRIMARY KEY,
    survey_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    definition TEXT NOT NULL,
    first_loaded_at TEXT NOT NULL,
    UNIQUE (survey_id, content_hash)
);

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
