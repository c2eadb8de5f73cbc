-- crm 0.1.0 -> 0.2.0: the schema changes.  The Makefile wraps this file between the
-- first code (src/setup.sql, src/values.sql: roles and the CHECK helpers) and the rest
-- of the code, replayed whole; so only what CREATE OR REPLACE cannot do is here.
-- Keep a new column where the table's CREATE TABLE in src/schema/ puts it (at its end):
-- the upgrade suite compares the updated schema with a fresh install, order included.

-- A function whose result changed cannot be replaced (the code creates it again).
DROP FUNCTION crm.scheduler_status();
-- log_call takes its outcome first (required) and returns the call row.
DROP FUNCTION crm.log_call(bigint, bigint, text, timestamptz, timestamptz, interval, text, text, bigint, boolean);
-- The account settings are kept per backend: accounts_99_cache (caches.sql) replaces
-- the trigger that made only the changing session read them again.
DROP TRIGGER accounts_20_phone_settings ON crm.accounts;
DROP FUNCTION crm._phone_settings_changed();

-- ---- identity: logins bound to an account (src/schema/identity.sql) ----
-- No foreign keys: on Citus it is a reference table, which cannot refer to the distributed
-- crm.accounts and crm.employees; crm keeps both references (src/references.c).
CREATE TABLE crm.login_bindings (
    role_name   name PRIMARY KEY,
    account_id  bigint NOT NULL,
    employee_id bigint,
    bound_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_bindings_account_idx ON crm.login_bindings (account_id, role_name);

-- ---- crm's own locks (src/schema/locks.sql) ----
CREATE TABLE crm.locks (
    account_id bigint NOT NULL,
    key        integer NOT NULL,
    PRIMARY KEY (account_id, key)
);

-- ---- due work set aside after a failure (src/schema/due.sql) ----
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

-- ---- values (src/schema/values.sql): named CHECKs with crm's own errors replace the
-- unnamed ones.  Adding them checks every stored row: an update stops on a row out of
-- range, naming the column and the value, and changes nothing. ----
ALTER TABLE crm.accounts
    DROP CONSTRAINT accounts_no_answer_first_retry_check,
    DROP CONSTRAINT accounts_no_answer_next_retry_check;
ALTER TABLE crm.invoice_items
    DROP CONSTRAINT invoice_items_price_check,
    DROP CONSTRAINT invoice_items_quantity_check;
ALTER TABLE crm.invoices DROP CONSTRAINT invoices_amount_check;
ALTER TABLE crm.offers DROP CONSTRAINT offers_price_check;
ALTER TABLE crm.orders DROP CONSTRAINT orders_amount_check;
-- ---- amounts, prices, quantities, budgets: numbers, never NaN, never negative ----
ALTER TABLE crm.clients ADD CONSTRAINT clients_budget_valid CHECK (crm._amount_ok(budget, 'crm.clients.budget'));
ALTER TABLE crm.leads ADD CONSTRAINT leads_budget_valid CHECK (crm._amount_ok(budget, 'crm.leads.budget'));
ALTER TABLE crm.orders ADD CONSTRAINT orders_amount_valid CHECK (crm._amount_ok(amount, 'crm.orders.amount'));
ALTER TABLE crm.offers ADD CONSTRAINT offers_price_valid CHECK (crm._amount_ok(price, 'crm.offers.price'));
ALTER TABLE crm.invoices
    ADD CONSTRAINT invoices_amount_valid CHECK (crm._amount_ok(amount, 'crm.invoices.amount')),
    ADD CONSTRAINT invoices_paid_amount_valid CHECK (crm._amount_ok(paid_amount, 'crm.invoices.paid_amount')),
    ADD CONSTRAINT invoices_refunded_amount_valid CHECK (crm._amount_ok(refunded_amount, 'crm.invoices.refunded_amount')),
    ADD CONSTRAINT invoices_income_valid CHECK (crm._amount_ok(income, 'crm.invoices.income')),
    ADD CONSTRAINT invoices_expenses_valid CHECK (crm._amount_ok(expenses, 'crm.invoices.expenses'));
ALTER TABLE crm.invoice_items
    ADD CONSTRAINT invoice_items_quantity_valid CHECK (crm._positive_amount_ok(quantity, 'crm.invoice_items.quantity')),
    ADD CONSTRAINT invoice_items_price_valid CHECK (crm._amount_ok(price, 'crm.invoice_items.price'));
ALTER TABLE crm.payments ADD CONSTRAINT payments_amount_valid CHECK (crm._positive_amount_ok(amount, 'crm.payments.amount'));

-- ---- scheduling intervals: move every time forward, at most 100 years ----
ALTER TABLE crm.accounts
    ADD CONSTRAINT accounts_no_answer_first_retry_valid
        CHECK (crm._forward_interval_ok(no_answer_first_retry, 'crm.accounts.no_answer_first_retry')),
    ADD CONSTRAINT accounts_no_answer_next_retry_valid
        CHECK (crm._forward_interval_ok(no_answer_next_retry, 'crm.accounts.no_answer_next_retry'));
ALTER TABLE crm.invoices ADD CONSTRAINT invoices_autopay_interval_valid
    CHECK (crm._forward_interval_ok(autopay_interval, 'crm.invoices.autopay_interval'));
ALTER TABLE crm.calls ADD CONSTRAINT calls_callback_after_valid
    CHECK (crm._forward_interval_ok(callback_after, 'crm.calls.callback_after'));

-- ---- dates ----
ALTER TABLE crm.clients ADD CONSTRAINT clients_birthday_valid CHECK (crm._date_ok(birthday, 'crm.clients.birthday'));

-- ---- business times: 1900-01-01 .. 9999-12-31 UTC ----
ALTER TABLE crm.accounts ADD CONSTRAINT accounts_created_at_valid CHECK (crm._time_ok(created_at, 'crm.accounts.created_at'));
ALTER TABLE crm.employees ADD CONSTRAINT employees_created_at_valid CHECK (crm._time_ok(created_at, 'crm.employees.created_at'));
ALTER TABLE crm.login_bindings ADD CONSTRAINT login_bindings_bound_at_valid CHECK (crm._time_ok(bound_at, 'crm.login_bindings.bound_at'));
ALTER TABLE crm.number_sequences ADD CONSTRAINT number_sequences_last_used_at_valid
    CHECK (crm._time_ok(last_used_at, 'crm.number_sequences.last_used_at'));
ALTER TABLE crm.clients ADD CONSTRAINT clients_created_at_valid CHECK (crm._time_ok(created_at, 'crm.clients.created_at'));
ALTER TABLE crm.client_phones ADD CONSTRAINT client_phones_created_at_valid
    CHECK (crm._time_ok(created_at, 'crm.client_phones.created_at'));
ALTER TABLE crm.leads
    ADD CONSTRAINT leads_created_at_valid CHECK (crm._time_ok(created_at, 'crm.leads.created_at')),
    ADD CONSTRAINT leads_deadline_valid CHECK (crm._time_ok(deadline, 'crm.leads.deadline')),
    ADD CONSTRAINT leads_status_changed_at_valid CHECK (crm._time_ok(status_changed_at, 'crm.leads.status_changed_at')),
    ADD CONSTRAINT leads_closed_at_valid CHECK (crm._time_ok(closed_at, 'crm.leads.closed_at')),
    ADD CONSTRAINT leads_overdue_since_valid CHECK (crm._time_ok(overdue_since, 'crm.leads.overdue_since'));
ALTER TABLE crm.due_failures
    ADD CONSTRAINT due_failures_first_seen_valid CHECK (crm._time_ok(first_seen, 'crm.due_failures.first_seen')),
    ADD CONSTRAINT due_failures_last_seen_valid CHECK (crm._time_ok(last_seen, 'crm.due_failures.last_seen')),
    ADD CONSTRAINT due_failures_next_attempt_at_valid
        CHECK (crm._time_ok(next_attempt_at, 'crm.due_failures.next_attempt_at'));
ALTER TABLE crm.lead_events ADD CONSTRAINT lead_events_at_valid CHECK (crm._time_ok(at, 'crm.lead_events.at'));
ALTER TABLE crm.orders ADD CONSTRAINT orders_created_at_valid CHECK (crm._time_ok(created_at, 'crm.orders.created_at'));
ALTER TABLE crm.offers ADD CONSTRAINT offers_created_at_valid CHECK (crm._time_ok(created_at, 'crm.offers.created_at'));
ALTER TABLE crm.message_templates ADD CONSTRAINT message_templates_created_at_valid
    CHECK (crm._time_ok(created_at, 'crm.message_templates.created_at'));
ALTER TABLE crm.outbox
    ADD CONSTRAINT outbox_created_at_valid CHECK (crm._time_ok(created_at, 'crm.outbox.created_at')),
    ADD CONSTRAINT outbox_sent_at_valid CHECK (crm._time_ok(sent_at, 'crm.outbox.sent_at'));
ALTER TABLE crm.invoices
    ADD CONSTRAINT invoices_auto_cancel_at_valid CHECK (crm._time_ok(auto_cancel_at, 'crm.invoices.auto_cancel_at')),
    ADD CONSTRAINT invoices_autopay_last_charge_at_valid
        CHECK (crm._time_ok(autopay_last_charge_at, 'crm.invoices.autopay_last_charge_at')),
    ADD CONSTRAINT invoices_next_call_at_valid CHECK (crm._time_ok(next_call_at, 'crm.invoices.next_call_at')),
    ADD CONSTRAINT invoices_created_at_valid CHECK (crm._time_ok(created_at, 'crm.invoices.created_at')),
    ADD CONSTRAINT invoices_updated_at_valid CHECK (crm._time_ok(updated_at, 'crm.invoices.updated_at')),
    ADD CONSTRAINT invoices_status_changed_at_valid CHECK (crm._time_ok(status_changed_at, 'crm.invoices.status_changed_at')),
    ADD CONSTRAINT invoices_claimed_until_valid CHECK (crm._time_ok(claimed_until, 'crm.invoices.claimed_until'));
ALTER TABLE crm.invoice_events ADD CONSTRAINT invoice_events_at_valid CHECK (crm._time_ok(at, 'crm.invoice_events.at'));
ALTER TABLE crm.payments
    ADD CONSTRAINT payments_at_valid CHECK (crm._time_ok(at, 'crm.payments.at')),
    ADD CONSTRAINT payments_created_at_valid CHECK (crm._time_ok(created_at, 'crm.payments.created_at'));
ALTER TABLE crm.call_tasks
    ADD CONSTRAINT call_tasks_next_call_at_valid CHECK (crm._time_ok(next_call_at, 'crm.call_tasks.next_call_at')),
    ADD CONSTRAINT call_tasks_created_at_valid CHECK (crm._time_ok(created_at, 'crm.call_tasks.created_at')),
    ADD CONSTRAINT call_tasks_closed_at_valid CHECK (crm._time_ok(closed_at, 'crm.call_tasks.closed_at')),
    ADD CONSTRAINT call_tasks_claimed_until_valid CHECK (crm._time_ok(claimed_until, 'crm.call_tasks.claimed_until'));
ALTER TABLE crm.call_task_events ADD CONSTRAINT call_task_events_at_valid CHECK (crm._time_ok(at, 'crm.call_task_events.at'));
ALTER TABLE crm.calls
    ADD CONSTRAINT calls_called_at_valid CHECK (crm._time_ok(called_at, 'crm.calls.called_at')),
    ADD CONSTRAINT calls_callback_at_valid CHECK (crm._time_ok(callback_at, 'crm.calls.callback_at')),
    ADD CONSTRAINT calls_next_call_at_valid CHECK (crm._time_ok(next_call_at, 'crm.calls.next_call_at')),
    ADD CONSTRAINT calls_created_at_valid CHECK (crm._time_ok(created_at, 'crm.calls.created_at'));
ALTER TABLE crm.conversations ADD CONSTRAINT conversations_created_at_valid
    CHECK (crm._time_ok(created_at, 'crm.conversations.created_at'));
ALTER TABLE crm.appointments
    ADD CONSTRAINT appointments_starts_at_valid CHECK (crm._time_ok(starts_at, 'crm.appointments.starts_at')),
    ADD CONSTRAINT appointments_created_at_valid CHECK (crm._time_ok(created_at, 'crm.appointments.created_at'));
ALTER TABLE crm.appointment_events ADD CONSTRAINT appointment_events_at_valid
    CHECK (crm._time_ok(at, 'crm.appointment_events.at'));
ALTER TABLE crm.alerts
    ADD CONSTRAINT alerts_happened_at_valid CHECK (crm._time_ok(happened_at, 'crm.alerts.happened_at')),
    ADD CONSTRAINT alerts_created_at_valid CHECK (crm._time_ok(created_at, 'crm.alerts.created_at')),
    ADD CONSTRAINT alerts_seen_at_valid CHECK (crm._time_ok(seen_at, 'crm.alerts.seen_at')),
    ADD CONSTRAINT alerts_resolved_at_valid CHECK (crm._time_ok(resolved_at, 'crm.alerts.resolved_at'));

-- ---- outbox delivery (src/schema/outbox.sql, src/schema/values.sql) ----
ALTER TABLE crm.outbox
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN last_error      text,
    ADD COLUMN provider_ref    text,
    ADD COLUMN dead_at         timestamptz,
    ADD CONSTRAINT outbox_next_attempt_at_valid CHECK (crm._time_ok(next_attempt_at, 'crm.outbox.next_attempt_at')),
    ADD CONSTRAINT outbox_dead_at_valid CHECK (crm._time_ok(dead_at, 'crm.outbox.dead_at'));
CREATE INDEX outbox_delivery_idx ON crm.outbox ((coalesce(next_attempt_at, created_at)), account_id, id)
    WHERE sent_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_id_idx ON crm.outbox (id);

-- ---- the event stream (src/schema/events.sql) ----
CREATE TABLE crm.events (
    account_id  bigint NOT NULL,
    id          bigint NOT NULL,
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    employee_id bigint,
    payload     jsonb NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE TABLE crm.event_counters (
    account_id bigint PRIMARY KEY REFERENCES crm.accounts (id),
    last_id    bigint NOT NULL,
    relayed_id bigint
);

-- ---- chats and leads: who a lead without a manager gets, first contact, not contacted
-- (src/schema/tenancy.sql, clients.sql, leads.sql, calls.sql, values.sql) ----
ALTER TABLE crm.accounts
    ADD COLUMN lead_manager_mode text NOT NULL DEFAULT 'first_writer'
        CONSTRAINT accounts_lead_manager_mode_check
        CHECK (crm._choice_ok(lead_manager_mode, ARRAY['first_writer', 'client_responsible'],
                              'crm.accounts.lead_manager_mode')),
    ADD COLUMN inbound_lead_mode text NOT NULL DEFAULT 'new_client'
        CONSTRAINT accounts_inbound_lead_mode_check
        CHECK (crm._choice_ok(inbound_lead_mode, ARRAY['off', 'new_client', 'no_open_lead'],
                              'crm.accounts.inbound_lead_mode'));
CREATE TABLE crm.client_channels (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    id          bigint GENERATED BY DEFAULT AS IDENTITY,
    client_id   bigint NOT NULL,
    channel     text NOT NULL,
    address     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, channel, address),
    FOREIGN KEY (account_id, client_id) REFERENCES crm.clients (account_id, id) ON DELETE CASCADE
);
CREATE INDEX client_channels_client_idx ON crm.client_channels (account_id, client_id);
ALTER TABLE crm.client_channels ADD CONSTRAINT client_channels_created_at_valid
    CHECK (crm._time_ok(created_at, 'crm.client_channels.created_at'));
CREATE INDEX leads_unassigned_idx ON crm.leads (account_id, client_id)
    WHERE manager_id IS NULL AND closed_at IS NULL AND client_id IS NOT NULL;
ALTER TABLE crm.calls
    ADD COLUMN email_skipped text CONSTRAINT calls_email_skipped_check
        CHECK (email_skipped IS NULL OR (template_id IS NOT NULL AND email_skipped IN ('not_client', 'spam')));

-- ---- no two tables refer to each other, so that a dump restores table by table:
-- accounts.order_won_status_id is checked by crm (src/references.c), leads.order_id
-- is written by the link only (src/schema/leads.sql, src/schema/orders.sql) ----
ALTER TABLE crm.accounts DROP CONSTRAINT accounts_id_order_won_status_id_fkey;
ALTER TABLE crm.leads DROP CONSTRAINT leads_account_id_order_id_fkey;

-- ---- invoices and orders from the product articles (src/schema/invoices/invoices.sql,
-- src/schema/orders.sql) ----
-- paid_at: when an invoice became paid (autopay's first charge falls one interval after
-- it); replaces_invoice_id: the invoice a reissue replaces (crm.partner_report counts
-- the two once); orders.status, as the web shop reports it.
ALTER TABLE crm.invoices
    ADD COLUMN paid_at timestamptz,
    ADD COLUMN replaces_invoice_id bigint,
    ADD CONSTRAINT invoices_paid_at_valid CHECK (crm._time_ok(paid_at, 'crm.invoices.paid_at'));
CREATE INDEX invoices_replaces_idx ON crm.invoices (account_id, replaces_invoice_id)
    WHERE replaces_invoice_id IS NOT NULL;
ALTER TABLE crm.orders
    ADD COLUMN status text NOT NULL DEFAULT 'new'
        CONSTRAINT orders_status_check
        CHECK (crm._choice_ok(status, ARRAY['new', 'paid', 'cancelled', 'failed'], 'crm.orders.status'));
-- income is kept by crm from 0.2.0 on (paid_amount - refunded_amount: what the payments
-- brought); 0.1.0 let it be written by hand.  An invoice still paid gets the time it
-- became paid as its paid_at.  These are crm's own columns, so the invoice triggers
-- (which refuse them to every writer) stand aside for this one statement.
ALTER TABLE crm.invoices DISABLE TRIGGER USER;
UPDATE crm.invoices
   SET income = paid_amount - refunded_amount,
       paid_at = CASE WHEN status = 'paid' THEN status_changed_at END
 WHERE income <> paid_amount - refunded_amount OR status = 'paid';
ALTER TABLE crm.invoices ENABLE TRIGGER USER;

-- ---- an import from another CRM (src/schema/import.sql): staging tables, batches and
-- the rejected rows ----
CREATE UNLOGGED TABLE crm.import_clients (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    staging_id  bigint GENERATED BY DEFAULT AS IDENTITY,
    id          bigint,
    name        text,
    email       text,
    category    text,
    responsible text,
    phones      text,
    note        text,
    tags        text[],
    budget      numeric,
    birthday    date,
    city        text,
    address     text,
    created_at  timestamptz,
    PRIMARY KEY (account_id, staging_id)
);

CREATE UNLOGGED TABLE crm.import_leads (
    account_id        bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    staging_id        bigint GENERATED BY DEFAULT AS IDENTITY,
    id                bigint,
    number            text,
    type              text,
    status            text,
    manager           text,
    client_id         bigint,
    contact_name      text,
    contact_phone     text,
    email             text,
    campaign          text,
    location          text,
    comment           text,
    deadline          timestamptz,
    urgent            boolean,
    budget            numeric,
    tags              text[],
    created_at        timestamptz,
    status_changed_at timestamptz,
    closed_at         timestamptz,
    PRIMARY KEY (account_id, staging_id)
);

CREATE UNLOGGED TABLE crm.import_orders (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    staging_id  bigint GENERATED BY DEFAULT AS IDENTITY,
    id          bigint,
    number      text,
    client_id   bigint,
    lead_number text,
    phone       text,
    amount      numeric,
    created_at  timestamptz,
    PRIMARY KEY (account_id, staging_id)
);

CREATE UNLOGGED TABLE crm.import_invoices (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    staging_id  bigint GENERATED BY DEFAULT AS IDENTITY,
    id          bigint,
    number      text,
    client_id   bigint,
    manager     text,
    status      text,
    amount      numeric,
    created_at  timestamptz,
    note        text,
    source      text,
    channel     text,
    partner     text,
    tag         text,
    PRIMARY KEY (account_id, staging_id)
);

CREATE UNLOGGED TABLE crm.import_payments (
    account_id     bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    staging_id     bigint GENERATED BY DEFAULT AS IDENTITY,
    id             bigint,
    invoice_number text,
    kind           text,
    amount         numeric,
    succeeded      boolean,
    failure_reason text,
    external_id    text,
    at             timestamptz,
    PRIMARY KEY (account_id, staging_id)
);
-- The payments of each staged invoice (import/invoices.c adds them up by number).
CREATE INDEX import_payments_invoice_idx ON crm.import_payments (account_id, invoice_number);

-- One row per crm.import_run(), and one per staged row it could not import.
CREATE TABLE crm.import_batches (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    id          bigint GENERATED BY DEFAULT AS IDENTITY,
    employee_id bigint,
    as_of       timestamptz NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    staged      bigint NOT NULL DEFAULT 0,
    imported    bigint NOT NULL DEFAULT 0,
    rejected    bigint NOT NULL DEFAULT 0,
    CONSTRAINT import_batches_as_of_valid CHECK (crm._time_ok(as_of, 'crm.import_batches.as_of')),
    CONSTRAINT import_batches_started_at_valid CHECK (crm._time_ok(started_at, 'crm.import_batches.started_at')),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, employee_id) REFERENCES crm.employees (account_id, id)
);

CREATE TABLE crm.import_rejects (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id),
    batch_id    bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('client', 'lead', 'order', 'invoice', 'payment')),
    staging_id  bigint NOT NULL,
    sqlstate    text NOT NULL,
    message     text NOT NULL,
    detail      text,
    hint        text,
    staged_row  jsonb NOT NULL,
    PRIMARY KEY (account_id, batch_id, kind, staging_id),
    FOREIGN KEY (account_id, batch_id) REFERENCES crm.import_batches (account_id, id) ON DELETE CASCADE
);

-- ---- notification rules for lead events (src/schema/notifications.sql) ----
CREATE TABLE crm.notification_rules (
    account_id  bigint NOT NULL DEFAULT crm.current_account() REFERENCES crm.accounts (id) ON DELETE CASCADE,
    id          bigint GENERATED BY DEFAULT AS IDENTITY,
    event       text NOT NULL
                CONSTRAINT notification_rules_event_check
                CHECK (crm._choice_ok(event, ARRAY['lead_created', 'lead_status_changed', 'lead_manager_changed',
                                                   'lead_overdue', 'lead_urgent', 'lead_order_linked'],
                                      'crm.notification_rules.event')),
    notify      text NOT NULL
                CONSTRAINT notification_rules_notify_check
                CHECK (crm._choice_ok(notify, ARRAY['manager', 'creator', 'employee', 'admins'],
                                      'crm.notification_rules.notify')),
    employee_id bigint,
    channel     text NOT NULL DEFAULT 'email'
                CONSTRAINT notification_rules_channel_check
                CHECK (crm._choice_ok(channel, ARRAY['email', 'notification'], 'crm.notification_rules.channel')),
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, employee_id) REFERENCES crm.employees (account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX notification_rules_once_idx
    ON crm.notification_rules (account_id, event, notify, employee_id, channel) NULLS NOT DISTINCT;
-- What 0.1.0 did for every account becomes its rule: the overdue notice to the lead's manager.
INSERT INTO crm.notification_rules (account_id, event, notify, channel)
    SELECT id, 'lead_overdue', 'manager', 'notification' FROM crm.accounts ORDER BY id;

-- ---- outbox: the employee a notice is for (src/schema/outbox.sql) ----
ALTER TABLE crm.outbox ADD COLUMN employee_id bigint;
CREATE INDEX outbox_employee_idx ON crm.outbox (account_id, employee_id, id) WHERE employee_id IS NOT NULL;
-- The overdue notices 0.1.0 queued were for the lead's manager.
UPDATE crm.outbox SET employee_id = (payload ->> 'manager_id')::bigint
    WHERE kind = 'notification' AND payload ->> 'event' = 'lead_overdue' AND payload ->> 'manager_id' IS NOT NULL;

-- ---- alerts: crm.important shows one row per failure, offer_ids beside offer_id ----
DROP VIEW crm.important;

-- ---- values: the rows stored were checked by the named CHECKs added above; from here on
-- the triggers <table>_values of src/value_checks.sql check what is written, and the
-- CHECKs, which PostgreSQL would read again for every statement, go. ----
ALTER TABLE crm.clients
    DROP CONSTRAINT clients_birthday_valid,
    DROP CONSTRAINT clients_budget_valid,
    DROP CONSTRAINT clients_created_at_valid;
ALTER TABLE crm.leads
    DROP CONSTRAINT leads_budget_valid,
    DROP CONSTRAINT leads_closed_at_valid,
    DROP CONSTRAINT leads_created_at_valid,
    DROP CONSTRAINT leads_deadline_valid,
    DROP CONSTRAINT leads_overdue_since_valid,
    DROP CONSTRAINT leads_status_changed_at_valid;
ALTER TABLE crm.orders
    DROP CONSTRAINT orders_amount_valid,
    DROP CONSTRAINT orders_created_at_valid;
ALTER TABLE crm.offers
    DROP CONSTRAINT offers_created_at_valid,
    DROP CONSTRAINT offers_price_valid;
ALTER TABLE crm.invoices
    DROP CONSTRAINT invoices_amount_valid,
    DROP CONSTRAINT invoices_auto_cancel_at_valid,
    DROP CONSTRAINT invoices_autopay_interval_valid,
    DROP CONSTRAINT invoices_autopay_last_charge_at_valid,
    DROP CONSTRAINT invoices_claimed_until_valid,
    DROP CONSTRAINT invoices_created_at_valid,
    DROP CONSTRAINT invoices_expenses_valid,
    DROP CONSTRAINT invoices_income_valid,
    DROP CONSTRAINT invoices_next_call_at_valid,
    DROP CONSTRAINT invoices_paid_amount_valid,
    DROP CONSTRAINT invoices_paid_at_valid,
    DROP CONSTRAINT invoices_refunded_amount_valid,
    DROP CONSTRAINT invoices_status_changed_at_valid,
    DROP CONSTRAINT invoices_updated_at_valid;
ALTER TABLE crm.invoice_items
    DROP CONSTRAINT invoice_items_price_valid,
    DROP CONSTRAINT invoice_items_quantity_valid;
ALTER TABLE crm.payments
    DROP CONSTRAINT payments_amount_valid,
    DROP CONSTRAINT payments_at_valid,
    DROP CONSTRAINT payments_created_at_valid;
ALTER TABLE crm.accounts
    DROP CONSTRAINT accounts_created_at_valid,
    DROP CONSTRAINT accounts_no_answer_first_retry_valid,
    DROP CONSTRAINT accounts_no_answer_next_retry_valid;
ALTER TABLE crm.calls
    DROP CONSTRAINT calls_callback_after_valid,
    DROP CONSTRAINT calls_callback_at_valid,
    DROP CONSTRAINT calls_called_at_valid,
    DROP CONSTRAINT calls_created_at_valid,
    DROP CONSTRAINT calls_next_call_at_valid;
ALTER TABLE crm.employees DROP CONSTRAINT employees_created_at_valid;
ALTER TABLE crm.login_bindings DROP CONSTRAINT login_bindings_bound_at_valid;
ALTER TABLE crm.number_sequences DROP CONSTRAINT number_sequences_last_used_at_valid;
ALTER TABLE crm.client_phones DROP CONSTRAINT client_phones_created_at_valid;
ALTER TABLE crm.client_channels DROP CONSTRAINT client_channels_created_at_valid;
ALTER TABLE crm.due_failures
    DROP CONSTRAINT due_failures_first_seen_valid,
    DROP CONSTRAINT due_failures_last_seen_valid,
    DROP CONSTRAINT due_failures_next_attempt_at_valid;
ALTER TABLE crm.lead_events DROP CONSTRAINT lead_events_at_valid;
ALTER TABLE crm.message_templates DROP CONSTRAINT message_templates_created_at_valid;
ALTER TABLE crm.outbox
    DROP CONSTRAINT outbox_created_at_valid,
    DROP CONSTRAINT outbox_dead_at_valid,
    DROP CONSTRAINT outbox_next_attempt_at_valid,
    DROP CONSTRAINT outbox_sent_at_valid;
ALTER TABLE crm.invoice_events DROP CONSTRAINT invoice_events_at_valid;
ALTER TABLE crm.call_tasks
    DROP CONSTRAINT call_tasks_claimed_until_valid,
    DROP CONSTRAINT call_tasks_closed_at_valid,
    DROP CONSTRAINT call_tasks_created_at_valid,
    DROP CONSTRAINT call_tasks_next_call_at_valid;
ALTER TABLE crm.call_task_events DROP CONSTRAINT call_task_events_at_valid;
ALTER TABLE crm.conversations DROP CONSTRAINT conversations_created_at_valid;
ALTER TABLE crm.appointments
    DROP CONSTRAINT appointments_created_at_valid,
    DROP CONSTRAINT appointments_starts_at_valid;
ALTER TABLE crm.appointment_events DROP CONSTRAINT appointment_events_at_valid;
ALTER TABLE crm.alerts
    DROP CONSTRAINT alerts_created_at_valid,
    DROP CONSTRAINT alerts_happened_at_valid,
    DROP CONSTRAINT alerts_resolved_at_valid,
    DROP CONSTRAINT alerts_seen_at_valid;

-- ---- the client's country and local time; appointments' undo (src/schema/clients.sql,
-- src/schema/chats.sql) ----
ALTER TABLE crm.clients
    ADD COLUMN timezone text CONSTRAINT clients_timezone_check CHECK (crm.timezone_ok(timezone));
-- A client's first phone (the views' client_country ...) is one probe of this index.
DROP INDEX crm.client_phones_client_idx;
CREATE INDEX client_phones_client_idx ON crm.client_phones (account_id, client_id, id);
-- status_changed_at of a booked appointment: the time of its last move, else of its
-- booking.  crm's own column, filled once: the appointment triggers stand aside.
ALTER TABLE crm.appointments ADD COLUMN status_changed_at timestamptz;
ALTER TABLE crm.appointments DISABLE TRIGGER USER;
UPDATE crm.appointments p
   SET status_changed_at = coalesce((SELECT max(e.at) FROM crm.appointment_events e
                                     WHERE e.account_id = p.account_id AND e.appointment_id = p.id),
                                    p.created_at);
ALTER TABLE crm.appointments ENABLE TRIGGER USER;
ALTER TABLE crm.appointments
    ALTER COLUMN status_changed_at SET DEFAULT now(),
    ALTER COLUMN status_changed_at SET NOT NULL;
ALTER TABLE crm.appointment_events ADD COLUMN undoes_event_id bigint;

-- ---- columns crm keeps without a DEFAULT: Citus names every defaulted column in the
-- INSERT it sends a worker, where a role's column grants then refuse it; the trigger
-- _kept_columns (kept_columns.sql) gives them their first value instead ----
ALTER TABLE crm.clients ALTER COLUMN contact_flagged DROP DEFAULT;
ALTER TABLE crm.invoices
    ALTER COLUMN updated_at DROP DEFAULT,
    ALTER COLUMN status_changed_at DROP DEFAULT,
    ALTER COLUMN no_answer_streak DROP DEFAULT;
ALTER TABLE crm.call_tasks ALTER COLUMN no_answer_streak DROP DEFAULT;

-- ---- due work claimed per account (src/schema/leads.sql, src/schema/invoices/invoices.sql) ----
DROP INDEX crm.leads_deadline_due_idx;
CREATE INDEX leads_deadline_due_idx ON crm.leads (account_id, deadline)
    WHERE closed_at IS NULL AND overdue_since IS NULL AND deadline IS NOT NULL;
DROP INDEX crm.invoices_auto_cancel_due_idx;
CREATE INDEX invoices_auto_cancel_due_idx ON crm.invoices (account_id, auto_cancel_at)
    WHERE auto_cancel_at IS NOT NULL AND status IN ('awaiting', 'prepaid');
DROP INDEX crm.invoices_charge_due_idx;
CREATE INDEX invoices_charge_due_idx ON crm.invoices (account_id, next_charge_at)
    WHERE next_charge_at IS NOT NULL AND autopay;

-- ---- foreign keys to crm.accounts that another key implies (src/schema/leads.sql,
-- lead_reports.sql, invoices/invoices.sql, invoices/payments.sql, alerts.sql, calls.sql):
-- the account is held by the row each refers to with the account; crm fills a lead's
-- type, now never NULL (a CHECK) ----
ALTER TABLE crm.leads ADD CONSTRAINT leads_type_given CHECK (type_id IS NOT NULL),
    DROP CONSTRAINT leads_account_id_fkey;
ALTER TABLE crm.lead_count_changes DROP CONSTRAINT lead_count_changes_account_id_fkey;
ALTER TABLE crm.invoice_events DROP CONSTRAINT invoice_events_account_id_fkey;
ALTER TABLE crm.payments DROP CONSTRAINT payments_account_id_fkey;
ALTER TABLE crm.alerts DROP CONSTRAINT alerts_account_id_fkey;
ALTER TABLE crm.calls DROP CONSTRAINT calls_account_id_fkey;
