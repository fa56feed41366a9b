-- Accountability: who asked for which results, where, and when. Never answer content.
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
