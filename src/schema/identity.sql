-- identity.sql: the tables of identity (install-once: changed only by an update script in src/upgrades/).

-- No foreign keys: on Citus it is a reference table, which cannot refer to the distributed
-- crm.accounts and crm.employees; crm keeps both references (src/references.c).
CREATE TABLE crm.login_bindings (
    role_name   name PRIMARY KEY,
    account_id  bigint NOT NULL,
    employee_id bigint,
    bound_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_bindings_account_idx ON crm.login_bindings (account_id, role_name);
