-- due.sql: the tables of due (install-once: changed only by an update script in src/upgrades/).

CREATE TABLE crm.due_failures (
    account_id      bigint NOT NULL REFERENCES crm.accounts (id),
    kind            text NOT NULL,
    item_id         bigint NOT NULL,
    sqlstate        text NOT NULL,
    message         text NOT NULL,
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    attempts        integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, kind, item_id)
);
CREATE INDEX due_failures_retry_idx ON crm.due_failures (kind, next_attempt_at);
