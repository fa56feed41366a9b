-- Reach: invitations, reminders, and members' choice not to be written to unasked.

-- A member's contact state. invitations: 1 while they take invitations and reminders, 0 after
-- "No more invitations" or /stop. unreachable_since: when Telegram refused a send to them or
-- they blocked the bot (NULL: reachable). area: their latest answer to an area question.
ALTER TABLE members ADD COLUMN invitations INTEGER NOT NULL DEFAULT 1
    CHECK (invitations IN (0, 1));
ALTER TABLE members ADD COLUMN unreachable_since TEXT;
ALTER TABLE members ADD COLUMN area TEXT;

-- Reminders sent for an unfinished response, and when the latest went: a reminder is due once
-- the response has been idle, since its last answer and its last reminder, long enough.
ALTER TABLE responses ADD COLUMN reminders_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE responses ADD COLUMN reminded_at TEXT;

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

-- One row per member per round: at most one invitation each. 'sending' rows are claimed and may
-- be in flight; after a crash they become 'unknown' and are never sent again.
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

CREATE INDEX outbox_by_state ON outbox (round_id, state, not_before);

CREATE INDEX outbox_by_member ON outbox (member_id);
