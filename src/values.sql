-- values.sql: the values crm stores (C: src/values.c, where the rules are
-- written out).  Every business time, amount and scheduling interval of every
-- table is checked by a named CHECK constraint here, after the tables exist;
-- each helper raises crm's own error naming the column, the value and what is
-- allowed (22008 for times and dates, 22023 for amounts and intervals).
--
-- Left to their concept: invoices.next_charge_at (crm itself moves it one
-- interval past the last charge, so the invoice trigger checks only what a
-- writer gives, invoices/invoices.c), messages.sent_at and what is copied
-- from it (conversations.last_message_at, client_contacts; chats.c), and the
-- kept lead counts (lead_counts, lead_count_changes: crm's own deltas).

-- The helpers run no query and are called for every row written: C without a
-- SET clause, which would cost a configuration save and restore per call.
CREATE FUNCTION crm._time_ok(value timestamptz, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_time_ok';
COMMENT ON FUNCTION crm._time_ok(timestamptz, text) IS
    'CHECK helper: the time lies from 1900-01-01 00:00:00+00 to 9999-12-31 23:59:59.999999+00, or raises 22008 naming the column.';
CREATE FUNCTION crm._date_ok(value date, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_date_ok';
COMMENT ON FUNCTION crm._date_ok(date, text) IS
    'CHECK helper: the date lies from 1900-01-01 to 9999-12-31, or raises 22008 naming the column.';
CREATE FUNCTION crm._amount_ok(value numeric, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_amount_ok';
COMMENT ON FUNCTION crm._amount_ok(numeric, text) IS
    'CHECK helper: a number (not NaN) of at least 0, or raises 22023 naming the column.';
CREATE FUNCTION crm._positive_amount_ok(value numeric, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_positive_amount_ok';
COMMENT ON FUNCTION crm._positive_amount_ok(numeric, text) IS
    'CHECK helper: a number (not NaN) greater than 0, or raises 22023 naming the column.';
CREATE FUNCTION crm._forward_interval_ok(value interval, name text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'crm_forward_interval_ok';
COMMENT ON FUNCTION crm._forward_interval_ok(interval, text) IS
    'CHECK helper: months, days and time each >= 0, one > 0, at most 100 years (every time it is added to moves forward), or raises 22023.';

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

-- Every writer of a crm table is a member of crm_reader (through crm_manager or
-- crm_admin); a CHECK runs its function with the writer's privileges.
GRANT EXECUTE ON FUNCTION crm._time_ok(timestamptz, text), crm._date_ok(date, text),
    crm._amount_ok(numeric, text), crm._positive_amount_ok(numeric, text),
    crm._forward_interval_ok(interval, text) TO crm_reader;
