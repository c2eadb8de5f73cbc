-- events.sql: the tables of the event stream (install-once: changed only by an update
-- script in src/upgrades/).

-- Written only by crm (events.c) when a transaction commits, for an account that exists:
-- no foreign key, whose check would cost every event.
CREATE TABLE crm.events (
    account_id  bigint NOT NULL,
    id          bigint NOT NULL,
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    employee_id bigint,
    payload     jsonb NOT NULL,
    PRIMARY KEY (account_id, id)
);

-- The last event id of each account; its row is locked from a transaction's commit
-- processing to its commit, so ids follow the commit order.
CREATE TABLE crm.event_counters (
    account_id bigint PRIMARY KEY REFERENCES crm.accounts (id),
    last_id    bigint NOT NULL,
    relayed_id bigint
);
