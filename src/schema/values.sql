-- values.sql: the tables of values (install-once: changed only by an update script in src/upgrades/).

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
ALTER TABLE crm.client_channels ADD CONSTRAINT client_channels_created_at_valid
    CHECK (crm._time_ok(created_at, 'crm.client_channels.created_at'));
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
    ADD CONSTRAINT outbox_sent_at_valid CHECK (crm._time_ok(sent_at, 'crm.outbox.sent_at')),
    ADD CONSTRAINT outbox_next_attempt_at_valid CHECK (crm._time_ok(next_attempt_at, 'crm.outbox.next_attempt_at')),
    ADD CONSTRAINT outbox_dead_at_valid CHECK (crm._time_ok(dead_at, 'crm.outbox.dead_at'));
ALTER TABLE crm.invoices
    ADD CONSTRAINT invoices_auto_cancel_at_valid CHECK (crm._time_ok(auto_cancel_at, 'crm.invoices.auto_cancel_at')),
    ADD CONSTRAINT invoices_autopay_last_charge_at_valid
        CHECK (crm._time_ok(autopay_last_charge_at, 'crm.invoices.autopay_last_charge_at')),
    ADD CONSTRAINT invoices_next_call_at_valid CHECK (crm._time_ok(next_call_at, 'crm.invoices.next_call_at')),
    ADD CONSTRAINT invoices_created_at_valid CHECK (crm._time_ok(created_at, 'crm.invoices.created_at')),
    ADD CONSTRAINT invoices_updated_at_valid CHECK (crm._time_ok(updated_at, 'crm.invoices.updated_at')),
    ADD CONSTRAINT invoices_status_changed_at_valid CHECK (crm._time_ok(status_changed_at, 'crm.invoices.status_changed_at')),
    ADD CONSTRAINT invoices_claimed_until_valid CHECK (crm._time_ok(claimed_until, 'crm.invoices.claimed_until')),
    ADD CONSTRAINT invoices_paid_at_valid CHECK (crm._time_ok(paid_at, 'crm.invoices.paid_at'));
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
