-- locks.sql: the tables of locks (install-once: changed only by an update script in src/upgrades/).

CREATE TABLE crm.locks (
    account_id bigint NOT NULL,
    key        integer NOT NULL,
    PRIMARY KEY (account_id, key)
);
