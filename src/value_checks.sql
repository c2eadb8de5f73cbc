-- value_checks.sql: the rules of values.c applied to the columns crm stores.  Every
-- business time, amount and scheduling interval of every table is checked when a row is
-- written, by the table's trigger <table>_values, which raises crm's own error naming the
-- column, the value and what is allowed (22008 for times and dates, 22023 for amounts and
-- intervals).
--
-- Each trigger names its columns as 'column:kind': time (a business time), date, amount (a
-- number of at least 0), positive (a number greater than 0), interval (moves every time
-- forward, at most 100 years).  It is a BEFORE trigger for each row whose name sorts after
-- the table's other BEFORE triggers, so it checks the row as it will be stored, the values
-- crm computed included, as a CHECK constraint would; unlike a CHECK constraint, whose
-- expression PostgreSQL reads again for every statement that writes the table, it costs
-- nothing per statement.  The columns are checked in name order, the first wrong one named.
--
-- Left to their concept: invoices.next_charge_at (crm itself moves it one interval past
-- the last charge, so the invoice trigger checks only what a writer gives,
-- invoices/invoices.c), messages.sent_at and what is copied from it
-- (conversations.last_message_at, client_contacts; chats.c), the kept lead counts
-- (lead_counts, lead_count_changes: crm's own deltas), and the import's staging tables
-- (CHECK constraints of schema/import.sql: staged rows come by COPY or INSERT ... SELECT,
-- one statement for many rows).

-- It runs no query: C without a SET clause, which would cost a configuration save and
-- restore for every row written.
CREATE OR REPLACE FUNCTION crm._check_values() RETURNS trigger
    LANGUAGE c AS 'MODULE_PATHNAME', 'crm_check_values';
REVOKE ALL ON FUNCTION crm._check_values() FROM PUBLIC;
COMMENT ON FUNCTION crm._check_values() IS
    'Trigger <table>_values: checks the columns its arguments name as column:kind (time, date, amount, positive, interval) in the row written, raising 22008 or 22023 naming the column.';

CREATE OR REPLACE TRIGGER clients_values BEFORE INSERT OR UPDATE ON crm.clients FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('birthday:date', 'budget:amount', 'created_at:time');
CREATE OR REPLACE TRIGGER leads_values BEFORE INSERT OR UPDATE ON crm.leads FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('budget:amount', 'closed_at:time', 'created_at:time',
        'deadline:time', 'overdue_since:time', 'status_changed_at:time');
CREATE OR REPLACE TRIGGER orders_values BEFORE INSERT OR UPDATE ON crm.orders FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('amount:amount', 'created_at:time');
CREATE OR REPLACE TRIGGER offers_values BEFORE INSERT OR UPDATE ON crm.offers FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time', 'price:amount');
CREATE OR REPLACE TRIGGER invoices_values BEFORE INSERT OR UPDATE ON crm.invoices FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('amount:amount', 'auto_cancel_at:time',
        'autopay_interval:interval', 'autopay_last_charge_at:time', 'claimed_until:time',
        'created_at:time', 'expenses:amount', 'income:amount', 'next_call_at:time',
        'paid_amount:amount', 'paid_at:time', 'refunded_amount:amount', 'status_changed_at:time',
        'updated_at:time');
CREATE OR REPLACE TRIGGER invoice_items_values BEFORE INSERT OR UPDATE ON crm.invoice_items FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('price:amount', 'quantity:positive');
CREATE OR REPLACE TRIGGER payments_values BEFORE INSERT OR UPDATE ON crm.payments FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('amount:positive', 'at:time', 'created_at:time');
CREATE OR REPLACE TRIGGER accounts_values BEFORE INSERT OR UPDATE ON crm.accounts FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time', 'no_answer_first_retry:interval',
        'no_answer_next_retry:interval');
CREATE OR REPLACE TRIGGER calls_values BEFORE INSERT OR UPDATE ON crm.calls FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('callback_after:interval', 'callback_at:time',
        'called_at:time', 'created_at:time', 'next_call_at:time');
CREATE OR REPLACE TRIGGER employees_values BEFORE INSERT OR UPDATE ON crm.employees FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time');
CREATE OR REPLACE TRIGGER login_bindings_values BEFORE INSERT OR UPDATE ON crm.login_bindings FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('bound_at:time');
CREATE OR REPLACE TRIGGER number_sequences_values BEFORE INSERT OR UPDATE ON crm.number_sequences FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('last_used_at:time');
CREATE OR REPLACE TRIGGER client_phones_values BEFORE INSERT OR UPDATE ON crm.client_phones FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time');
CREATE OR REPLACE TRIGGER client_channels_values BEFORE INSERT OR UPDATE ON crm.client_channels FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time');
CREATE OR REPLACE TRIGGER due_failures_values BEFORE INSERT OR UPDATE ON crm.due_failures FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('first_seen:time', 'last_seen:time', 'next_attempt_at:time');
CREATE OR REPLACE TRIGGER lead_events_values BEFORE INSERT OR UPDATE ON crm.lead_events FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('at:time');
CREATE OR REPLACE TRIGGER message_templates_values BEFORE INSERT OR UPDATE ON crm.message_templates FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time');
CREATE OR REPLACE TRIGGER outbox_values BEFORE INSERT OR UPDATE ON crm.outbox FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time', 'dead_at:time', 'next_attempt_at:time',
        'sent_at:time');
CREATE OR REPLACE TRIGGER invoice_events_values BEFORE INSERT OR UPDATE ON crm.invoice_events FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('at:time');
CREATE OR REPLACE TRIGGER call_tasks_values BEFORE INSERT OR UPDATE ON crm.call_tasks FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('claimed_until:time', 'closed_at:time', 'created_at:time',
        'next_call_at:time');
CREATE OR REPLACE TRIGGER call_task_events_values BEFORE INSERT OR UPDATE ON crm.call_task_events FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('at:time');
CREATE OR REPLACE TRIGGER conversations_values BEFORE INSERT OR UPDATE ON crm.conversations FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time');
CREATE OR REPLACE TRIGGER appointments_values BEFORE INSERT OR UPDATE ON crm.appointments FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time', 'starts_at:time', 'status_changed_at:time');
CREATE OR REPLACE TRIGGER appointment_events_values BEFORE INSERT OR UPDATE ON crm.appointment_events FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('at:time');
CREATE OR REPLACE TRIGGER alerts_values BEFORE INSERT OR UPDATE ON crm.alerts FOR EACH ROW
    EXECUTE FUNCTION crm._check_values('created_at:time', 'happened_at:time', 'resolved_at:time',
        'seen_at:time');
