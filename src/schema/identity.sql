-- identity.sql: the tables of identity (install-once: changed only by an update script in src/upgrades/).

CREATE TABLE crm.login_bindings (
    role_name   name PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES crm.accounts (id),
    employee_id bigint,
    bound_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, employee_id) REFERENCES crm.employees (account_id, id)
);
CREATE INDEX login_bindings_account_idx ON crm.login_bindings (account_id, role_name);
