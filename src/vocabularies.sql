-- vocabularies.sql: the vocabularies of crm's columns as lookup views (C: src/vocabularies.c).
-- Each list of values is written once, in its column's CHECK constraint (src/schema/);
-- each view here reads it from there through crm._vocabulary, so a value added to a
-- constraint (by an update script) shows here at once.  For PostGraphile each view is an
-- enum table (@enum, its key @primaryKey value), and the tables' comments point their
-- columns at it with a @foreignKey smart tag (no real foreign key: no lookup per row
-- written); their columns then come out as GraphQL enums.

CREATE OR REPLACE FUNCTION crm._vocabulary(tab regclass, col name) RETURNS SETOF text
    LANGUAGE c STABLE STRICT SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_vocabulary';
REVOKE ALL ON FUNCTION crm._vocabulary(regclass, name) FROM PUBLIC;
COMMENT ON FUNCTION crm._vocabulary(regclass, name) IS
    'The values the CHECK constraint of column col of tab allows, in its order (no rows when none lists them).';
GRANT EXECUTE ON FUNCTION crm._vocabulary(regclass, name) TO crm_reader;

CREATE OR REPLACE VIEW crm.status_kinds WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.statuses', 'kind') AS value;
COMMENT ON VIEW crm.status_kinds IS E'@enum\n@enumName StatusKind\n@primaryKey value\n'
    'The kinds of lead statuses (crm.statuses.kind): open, won or lost, from its CHECK constraint.';
COMMENT ON COLUMN crm.status_kinds.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.employee_roles WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.employees', 'role') AS value;
COMMENT ON VIEW crm.employee_roles IS E'@enum\n@enumName EmployeeRole\n@primaryKey value\n'
    'The roles of employees (crm.employees.role), from its CHECK constraint.';
COMMENT ON COLUMN crm.employee_roles.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.link_modes WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.accounts', 'client_link_mode') AS value;
COMMENT ON VIEW crm.link_modes IS E'@enum\n@enumName LinkMode\n@primaryKey value\n'
    'How an account links leads to clients and orders to leads (crm.accounts.client_link_mode and order_link_mode), from its CHECK constraint.';
COMMENT ON COLUMN crm.link_modes.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.lead_manager_modes WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.accounts', 'lead_manager_mode') AS value;
COMMENT ON VIEW crm.lead_manager_modes IS E'@enum\n@enumName LeadManagerMode\n@primaryKey value\n'
    'Who manages a lead created without a manager (crm.accounts.lead_manager_mode), from its CHECK constraint.';
COMMENT ON COLUMN crm.lead_manager_modes.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.inbound_lead_modes WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.accounts', 'inbound_lead_mode') AS value;
COMMENT ON VIEW crm.inbound_lead_modes IS E'@enum\n@enumName InboundLeadMode\n@primaryKey value\n'
    'When a first message makes a lead (crm.accounts.inbound_lead_mode), from its CHECK constraint.';
COMMENT ON COLUMN crm.inbound_lead_modes.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.client_categories WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.clients', 'category') AS value;
COMMENT ON VIEW crm.client_categories IS E'@enum\n@enumName ClientCategory\n@primaryKey value\n'
    'The categories of clients (crm.clients.category), from its CHECK constraint.';
COMMENT ON COLUMN crm.client_categories.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.order_statuses WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.orders', 'status') AS value;
COMMENT ON VIEW crm.order_statuses IS E'@enum\n@enumName OrderStatus\n@primaryKey value\n'
    'The statuses of orders (crm.orders.status), from its CHECK constraint.';
COMMENT ON COLUMN crm.order_statuses.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.invoice_statuses WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.invoices', 'status') AS value;
COMMENT ON VIEW crm.invoice_statuses IS E'@enum\n@enumName InvoiceStatus\n@primaryKey value\n'
    'The statuses of invoices (crm.invoices.status), from its CHECK constraint.';
COMMENT ON COLUMN crm.invoice_statuses.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.payment_kinds WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.payments', 'kind') AS value;
COMMENT ON VIEW crm.payment_kinds IS E'@enum\n@enumName PaymentKind\n@primaryKey value\n'
    'The kinds of payments (crm.payments.kind), from its CHECK constraint.';
COMMENT ON COLUMN crm.payment_kinds.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.call_outcomes WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.calls', 'outcome') AS value;
COMMENT ON VIEW crm.call_outcomes IS E'@enum\n@enumName CallOutcome\n@primaryKey value\n'
    'The outcomes of calls (crm.calls.outcome), from its CHECK constraint.';
COMMENT ON COLUMN crm.call_outcomes.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.message_directions WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.messages', 'direction') AS value;
COMMENT ON VIEW crm.message_directions IS E'@enum\n@enumName MessageDirection\n@primaryKey value\n'
    'The directions of messages (crm.messages.direction), from its CHECK constraint.';
COMMENT ON COLUMN crm.message_directions.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.appointment_statuses WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.appointments', 'status') AS value;
COMMENT ON VIEW crm.appointment_statuses IS E'@enum\n@enumName AppointmentStatus\n@primaryKey value\n'
    'The statuses of appointments (crm.appointments.status), from its CHECK constraint.';
COMMENT ON COLUMN crm.appointment_statuses.value IS 'A value the column allows.';

CREATE OR REPLACE VIEW crm.outbox_kinds WITH (security_invoker = true) AS
SELECT value FROM crm._vocabulary('crm.outbox', 'kind') AS value;
COMMENT ON VIEW crm.outbox_kinds IS E'@enum\n@enumName OutboxKind\n@primaryKey value\n'
    'The kinds of outbox rows (crm.outbox.kind), from its CHECK constraint.';
COMMENT ON COLUMN crm.outbox_kinds.value IS 'A value the column allows.';

GRANT SELECT ON crm.status_kinds, crm.employee_roles, crm.link_modes, crm.lead_manager_modes,
    crm.inbound_lead_modes, crm.client_categories, crm.order_statuses, crm.invoice_statuses, crm.payment_kinds,
    crm.call_outcomes, crm.message_directions, crm.appointment_statuses, crm.outbox_kinds TO crm_reader;
