-- import.sql: an import from another CRM (C: src/import/; tables: src/schema/import.sql).
-- An admin stages rows (COPY ... FROM or INSERT into crm.import_clients, import_leads,
-- import_orders, import_invoices, import_payments), then crm.import_run() loads them.
-- The staging tables hold no row-level security, so that COPY FROM works into them
-- (finish.sql leaves them out, knowing them by their trigger import_00_stage): a crm role
-- may only INSERT into their data columns, account_id is the session's account, and only
-- crm reads them.

CREATE OR REPLACE FUNCTION crm._import_stage() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_stage';
REVOKE ALL ON FUNCTION crm._import_stage() FROM PUBLIC;
COMMENT ON FUNCTION crm._import_stage() IS
    'Trigger import_00_stage of each staging table: a statement staging rows takes the account''s import lock, shared, so that a run waits for it.';
CREATE OR REPLACE TRIGGER import_00_stage BEFORE INSERT ON crm.import_clients
    FOR EACH STATEMENT EXECUTE FUNCTION crm._import_stage();
CREATE OR REPLACE TRIGGER import_00_stage BEFORE INSERT ON crm.import_leads
    FOR EACH STATEMENT EXECUTE FUNCTION crm._import_stage();
CREATE OR REPLACE TRIGGER import_00_stage BEFORE INSERT ON crm.import_orders
    FOR EACH STATEMENT EXECUTE FUNCTION crm._import_stage();
CREATE OR REPLACE TRIGGER import_00_stage BEFORE INSERT ON crm.import_invoices
    FOR EACH STATEMENT EXECUTE FUNCTION crm._import_stage();
CREATE OR REPLACE TRIGGER import_00_stage BEFORE INSERT ON crm.import_payments
    FOR EACH STATEMENT EXECUTE FUNCTION crm._import_stage();

CREATE OR REPLACE FUNCTION crm._import_stage_row() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_stage_row';
REVOKE ALL ON FUNCTION crm._import_stage_row() FROM PUBLIC;
COMMENT ON FUNCTION crm._import_stage_row() IS
    'Trigger import_01_account of each staging table: a staged row is the session''s account''s (on Citus a crm role may name account_id, as Citus does in the INSERT it sends a shard); 42501 otherwise.';
CREATE OR REPLACE TRIGGER import_01_account BEFORE INSERT ON crm.import_clients
    FOR EACH ROW EXECUTE FUNCTION crm._import_stage_row();
CREATE OR REPLACE TRIGGER import_01_account BEFORE INSERT ON crm.import_leads
    FOR EACH ROW EXECUTE FUNCTION crm._import_stage_row();
CREATE OR REPLACE TRIGGER import_01_account BEFORE INSERT ON crm.import_orders
    FOR EACH ROW EXECUTE FUNCTION crm._import_stage_row();
CREATE OR REPLACE TRIGGER import_01_account BEFORE INSERT ON crm.import_invoices
    FOR EACH ROW EXECUTE FUNCTION crm._import_stage_row();
CREATE OR REPLACE TRIGGER import_01_account BEFORE INSERT ON crm.import_payments
    FOR EACH ROW EXECUTE FUNCTION crm._import_stage_row();

CREATE OR REPLACE FUNCTION crm.import_run(as_of timestamptz DEFAULT now())
    RETURNS TABLE (batch_id bigint, kind text, staged bigint, imported bigint, rejected bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_run';
REVOKE ALL ON FUNCTION crm.import_run(timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION crm.import_run(timestamptz) IS
    'Imports every row the account has staged (clients, leads, orders, invoices, payments) as of as_of; one row per kind: staged, imported, rejected (see crm.import_rejects).';

CREATE OR REPLACE FUNCTION crm._import_run(account bigint, as_of timestamptz) RETURNS bigint[]
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_run_in';
REVOKE ALL ON FUNCTION crm._import_run(bigint, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION crm._import_run(bigint, timestamptz) IS
    'The run of crm.import_run on Citus, delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the session''s): returns the batch id, then staged, imported and rejected of each kind, then the largest id staged of each kind.';

CREATE OR REPLACE FUNCTION crm.import_staged()
    RETURNS TABLE (kind text, staged bigint)
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_staged';
REVOKE ALL ON FUNCTION crm.import_staged() FROM PUBLIC;
COMMENT ON FUNCTION crm.import_staged() IS
    'How many rows of each kind the account has staged for crm.import_run.';

CREATE OR REPLACE FUNCTION crm.import_clear() RETURNS bigint
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_clear';
REVOKE ALL ON FUNCTION crm.import_clear() FROM PUBLIC;
COMMENT ON FUNCTION crm.import_clear() IS
    'Removes the rows the account has staged, without importing them; returns how many.';

CREATE OR REPLACE FUNCTION crm._import_staged(account bigint)
    RETURNS TABLE (kind text, staged bigint)
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_staged';
REVOKE ALL ON FUNCTION crm._import_staged(bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm._import_staged(bigint) IS
    'The counts of crm.import_staged on Citus (what it returns), delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the session''s). Call crm.import_staged() instead.';

CREATE OR REPLACE FUNCTION crm._import_clear(account bigint) RETURNS bigint
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_import_clear';
REVOKE ALL ON FUNCTION crm._import_clear(bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm._import_clear(bigint) IS
    'The removal of crm.import_clear on Citus, delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the session''s): returns how many staged rows it removed. Call crm.import_clear() instead.';

-- A reject's staged row is customer data: hidden, as the rows it came from, from an
-- employee who may not see customers (customers.sql).  The table's only policy, with
-- the account condition in it (crm.customer_data_account() is the session's account
-- or NULL): Citus makes a RESTRICTIVE policy permissive on the shards.
DROP POLICY IF EXISTS import_rejects_customers ON crm.import_rejects;
DROP POLICY IF EXISTS account_isolation ON crm.import_rejects;
CREATE POLICY import_rejects_customers ON crm.import_rejects
    USING (account_id = crm.customer_data_account());
COMMENT ON POLICY import_rejects_customers ON crm.import_rejects IS
    'The account''s rejects, hidden from employees without can_see_customers (a reject''s staged row is customer data).';

GRANT INSERT (id, name, email, category, responsible, phones, note, tags, budget, birthday, city,
              address, created_at) ON crm.import_clients TO crm_admin;
GRANT INSERT (id, number, type, status, manager, client_id, contact_name, contact_phone, email,
              campaign, location, comment, deadline, urgent, budget, tags, created_at,
              status_changed_at, closed_at) ON crm.import_leads TO crm_admin;
GRANT INSERT (id, number, client_id, lead_number, phone, amount, created_at) ON crm.import_orders TO crm_admin;
GRANT INSERT (id, number, client_id, manager, status, amount, created_at, note, source, channel,
              partner, tag) ON crm.import_invoices TO crm_admin;
GRANT INSERT (id, invoice_number, kind, amount, succeeded, failure_reason, external_id, at)
    ON crm.import_payments TO crm_admin;
GRANT SELECT, DELETE ON crm.import_batches TO crm_admin;
GRANT SELECT ON crm.import_rejects TO crm_admin;
GRANT EXECUTE ON FUNCTION crm.import_run(timestamptz), crm._import_run(bigint, timestamptz), crm.import_staged(),
    crm.import_clear(), crm._import_staged(bigint), crm._import_clear(bigint) TO crm_admin;

-- ---- what each table and column is ----
COMMENT ON TABLE crm.import_clients IS
    'Staged clients of another CRM, for crm.import_run (COPY or INSERT; no SELECT: crm reads them). A client keeps its id.';
COMMENT ON COLUMN crm.import_clients.account_id IS 'The account staging the row (the session''s; not writable).';
COMMENT ON COLUMN crm.import_clients.staging_id IS 'The staged row, as crm.import_rejects names it.';
COMMENT ON COLUMN crm.import_clients.id IS 'The client''s id, kept (from 1 to 10^15); empty: a new one.';
COMMENT ON COLUMN crm.import_clients.name IS 'The client''s name (required).';
COMMENT ON COLUMN crm.import_clients.email IS 'The client''s email.';
COMMENT ON COLUMN crm.import_clients.category IS 'The client''s category: client, spam, employee, model, sleeping or not_client; empty: client.';
COMMENT ON COLUMN crm.import_clients.responsible IS 'The responsible employee''s email or name; empty: none.';
COMMENT ON COLUMN crm.import_clients.phones IS 'The client''s phone numbers, separated by commas or semicolons; each must be valid.';
COMMENT ON COLUMN crm.import_clients.note IS 'A note on the client.';
COMMENT ON COLUMN crm.import_clients.tags IS 'The client''s tags.';
COMMENT ON COLUMN crm.import_clients.budget IS 'The client''s budget (at least 0).';
COMMENT ON COLUMN crm.import_clients.birthday IS 'The client''s birthday.';
COMMENT ON COLUMN crm.import_clients.city IS 'The client''s city.';
COMMENT ON COLUMN crm.import_clients.address IS 'The client''s address.';
COMMENT ON COLUMN crm.import_clients.created_at IS 'When the client was created (not after the run''s as_of); empty: as_of.';

COMMENT ON TABLE crm.import_leads IS
    'Staged leads of another CRM, for crm.import_run (COPY or INSERT; no SELECT: crm reads them). A lead keeps its number and its times.';
COMMENT ON COLUMN crm.import_leads.account_id IS 'The account staging the row (the session''s; not writable).';
COMMENT ON COLUMN crm.import_leads.staging_id IS 'The staged row, as crm.import_rejects names it.';
COMMENT ON COLUMN crm.import_leads.id IS 'The lead''s id, kept (from 1 to 10^15); empty: a new one.';
COMMENT ON COLUMN crm.import_leads.number IS 'The lead''s number, kept (its template''s counter moves past it); empty: numbered from the template.';
COMMENT ON COLUMN crm.import_leads.type IS 'The name of the lead''s type; empty: the default type.';
COMMENT ON COLUMN crm.import_leads.status IS 'The name of the lead''s status; empty: its type''s initial status.';
COMMENT ON COLUMN crm.import_leads.manager IS 'The manager''s email or name; empty: no manager.';
COMMENT ON COLUMN crm.import_leads.client_id IS 'The id of the lead''s client (a client of the account, or one staged with its id).';
COMMENT ON COLUMN crm.import_leads.contact_name IS 'The contact''s name.';
COMMENT ON COLUMN crm.import_leads.contact_phone IS 'The contact''s phone as written (leads.phone is its E.164 form, when valid).';
COMMENT ON COLUMN crm.import_leads.email IS 'The contact''s email.';
COMMENT ON COLUMN crm.import_leads.campaign IS 'The name of the lead''s campaign.';
COMMENT ON COLUMN crm.import_leads.location IS 'The name of the lead''s location.';
COMMENT ON COLUMN crm.import_leads.comment IS 'A comment on the lead.';
COMMENT ON COLUMN crm.import_leads.deadline IS 'The lead''s deadline; one before the run''s as_of is marked overdue, not announced.';
COMMENT ON COLUMN crm.import_leads.urgent IS 'Whether the lead is urgent; empty: not.';
COMMENT ON COLUMN crm.import_leads.budget IS 'The lead''s budget (at least 0).';
COMMENT ON COLUMN crm.import_leads.tags IS 'The lead''s tags.';
COMMENT ON COLUMN crm.import_leads.created_at IS 'When the lead was created (not after as_of; its created event is dated so); empty: as_of.';
COMMENT ON COLUMN crm.import_leads.status_changed_at IS 'When the lead reached its status; empty: closed_at, else created_at.';
COMMENT ON COLUMN crm.import_leads.closed_at IS 'When a won or lost lead closed (empty for an open one); empty: status_changed_at.';

COMMENT ON TABLE crm.import_orders IS
    'Staged orders of another CRM, for crm.import_run (COPY or INSERT; no SELECT: crm reads them).';
COMMENT ON COLUMN crm.import_orders.account_id IS 'The account staging the row (the session''s; not writable).';
COMMENT ON COLUMN crm.import_orders.staging_id IS 'The staged row, as crm.import_rejects names it.';
COMMENT ON COLUMN crm.import_orders.id IS 'The order''s id, kept (from 1 to 10^15); empty: a new one.';
COMMENT ON COLUMN crm.import_orders.number IS 'The order''s number, kept; empty: numbered from the account''s order template.';
COMMENT ON COLUMN crm.import_orders.client_id IS 'The id of the order''s client.';
COMMENT ON COLUMN crm.import_orders.lead_number IS 'The number of the lead the order is linked to (the lead keeps its status).';
COMMENT ON COLUMN crm.import_orders.phone IS 'The order''s phone as written.';
COMMENT ON COLUMN crm.import_orders.amount IS 'The order''s amount (at least 0); empty: 0.';
COMMENT ON COLUMN crm.import_orders.created_at IS 'When the order was created (not after as_of); empty: as_of.';

COMMENT ON TABLE crm.import_invoices IS
    'Staged invoices of another CRM, for crm.import_run (COPY or INSERT; no SELECT: crm reads them). An invoice takes the state its staged payments give it.';
COMMENT ON COLUMN crm.import_invoices.account_id IS 'The account staging the row (the session''s; not writable).';
COMMENT ON COLUMN crm.import_invoices.staging_id IS 'The staged row, as crm.import_rejects names it.';
COMMENT ON COLUMN crm.import_invoices.id IS 'The invoice''s id, kept (from 1 to 10^15); empty: a new one.';
COMMENT ON COLUMN crm.import_invoices.number IS 'The invoice''s number, kept (its staged payments name it); empty: numbered from the account''s invoice template.';
COMMENT ON COLUMN crm.import_invoices.client_id IS 'The id of the invoice''s client (required).';
COMMENT ON COLUMN crm.import_invoices.manager IS 'The manager''s email or name; empty: not assigned.';
COMMENT ON COLUMN crm.import_invoices.status IS 'The invoice''s status; empty: what its payments make it (awaiting, prepaid, paid, refunded). cancelled and deleted are kept as given.';
COMMENT ON COLUMN crm.import_invoices.amount IS 'The invoice''s amount (at least 0); empty: 0.';
COMMENT ON COLUMN crm.import_invoices.created_at IS 'When the invoice was created (not after as_of); empty: as_of.';
COMMENT ON COLUMN crm.import_invoices.note IS 'A note on the invoice.';
COMMENT ON COLUMN crm.import_invoices.source IS 'Where the invoice came from.';
COMMENT ON COLUMN crm.import_invoices.channel IS 'The invoice''s sales channel.';
COMMENT ON COLUMN crm.import_invoices.partner IS 'The invoice''s partner.';
COMMENT ON COLUMN crm.import_invoices.tag IS 'The invoice''s tag.';

COMMENT ON TABLE crm.import_payments IS
    'Staged payments of the staged invoices, for crm.import_run (COPY or INSERT; no SELECT: crm reads them).';
COMMENT ON COLUMN crm.import_payments.account_id IS 'The account staging the row (the session''s; not writable).';
COMMENT ON COLUMN crm.import_payments.staging_id IS 'The staged row, as crm.import_rejects names it.';
COMMENT ON COLUMN crm.import_payments.id IS 'The payment''s id, kept (from 1 to 10^15); empty: a new one.';
COMMENT ON COLUMN crm.import_payments.invoice_number IS 'The number of its invoice, staged in the same import.';
COMMENT ON COLUMN crm.import_payments.kind IS 'The kind: payment, prepayment, autopay or refund; empty: payment.';
COMMENT ON COLUMN crm.import_payments.amount IS 'The amount (greater than 0).';
COMMENT ON COLUMN crm.import_payments.succeeded IS 'Whether the payment went through; empty: it did.';
COMMENT ON COLUMN crm.import_payments.failure_reason IS 'Why a failed payment failed.';
COMMENT ON COLUMN crm.import_payments.external_id IS 'The payment provider''s id (unique in the account).';
COMMENT ON COLUMN crm.import_payments.at IS 'When the payment happened (required; not after as_of).';

COMMENT ON TABLE crm.import_batches IS
    'One row per crm.import_run: who ran it, as of when, and how many staged rows it imported and rejected.';
COMMENT ON COLUMN crm.import_batches.account_id IS 'The account imported into.';
COMMENT ON COLUMN crm.import_batches.id IS 'The batch (crm.import_rejects.batch_id).';
COMMENT ON COLUMN crm.import_batches.employee_id IS 'The employee who ran the import, if any.';
COMMENT ON COLUMN crm.import_batches.as_of IS 'The run''s now: what it imported happened before, and deadlines before it were marked overdue.';
COMMENT ON COLUMN crm.import_batches.started_at IS 'When the run''s transaction started.';
COMMENT ON COLUMN crm.import_batches.staged IS 'Staged rows the run found, of every kind.';
COMMENT ON COLUMN crm.import_batches.imported IS 'Rows it imported.';
COMMENT ON COLUMN crm.import_batches.rejected IS 'Rows it rejected (crm.import_rejects).';

COMMENT ON TABLE crm.import_rejects IS
    'The staged rows an import rejected, one per row: the error it met and the row as it was staged.';
COMMENT ON COLUMN crm.import_rejects.account_id IS 'The account imported into.';
COMMENT ON COLUMN crm.import_rejects.batch_id IS 'The import run (crm.import_batches).';
COMMENT ON COLUMN crm.import_rejects.kind IS 'The staging table of the row: client, lead, order, invoice or payment.';
COMMENT ON COLUMN crm.import_rejects.staging_id IS 'The staged row''s staging_id.';
COMMENT ON COLUMN crm.import_rejects.sqlstate IS 'The SQLSTATE of the error (as the README''s table of errors lists them).';
COMMENT ON COLUMN crm.import_rejects.message IS 'The error''s message.';
COMMENT ON COLUMN crm.import_rejects.detail IS 'The error''s detail.';
COMMENT ON COLUMN crm.import_rejects.hint IS 'What would be accepted.';
COMMENT ON COLUMN crm.import_rejects.staged_row IS 'The staged row as it was (without account_id).';
