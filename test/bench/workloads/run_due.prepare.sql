-- run_due.prepare.sql (every variant, not timed): puts the backlog of data/70_run_due.sql
-- back as it was generated, since the previous point consumed it: leads unmarked, their
-- deadline_expired events and notifications gone; auto-cancel invoices awaiting again,
-- their status_changed (and autopay_off) events gone; autopay invoices with their charge
-- due again, charge_queued events and outbox charges gone.  Written with triggers off
-- (session_replication_role = replica), as the data file does.  Only rows the previous
-- run changed are written, so a fresh database is left as it is.
-- With -v rundue_part=F (0 < F <= 1, default 1) only the first F of each kind is put back
-- (run_due.note.crm.sql uses it for a smaller backlog).
-- Then VACUUM (ANALYZE) of the two tables, so that every point starts without the dead row
-- versions of the previous one (a second round ran 2x slower without it) and plans with
-- statistics that see the backlog as due (statistics taken after a drained backlog see
-- nothing due, and crm's autopay claim then joins in a nested loop whose cost grows with the
-- square of the batch).  On fresh data there is nothing to clean and it is quick.
\set ON_ERROR_STOP 1
\if :{?rundue_part}
\else
\set rundue_part 1
\endif
SELECT :due_lead_lo + ceil((:due_lead_hi - :due_lead_lo + 1) * :rundue_part::numeric)::bigint - 1 AS p_lead_hi,
       :due_cancel_lo + ceil((:due_cancel_hi - :due_cancel_lo + 1) * :rundue_part::numeric)::bigint - 1 AS p_cancel_hi,
       :due_charge_lo + ceil((:due_charge_hi - :due_charge_lo + 1) * :rundue_part::numeric)::bigint - 1 AS p_charge_hi \gset
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM crm.outbox
 WHERE account_id = 1 AND kind = 'notification' AND payload ->> 'event' = 'lead_overdue'
   AND (payload ->> 'lead_id')::bigint BETWEEN :due_lead_lo AND :p_lead_hi;
DELETE FROM crm.lead_events
 WHERE account_id = 1 AND lead_id BETWEEN :due_lead_lo AND :p_lead_hi AND kind = 'deadline_expired';
UPDATE crm.leads SET overdue_since = NULL
 WHERE account_id = 1 AND id BETWEEN :due_lead_lo AND :p_lead_hi AND overdue_since IS NOT NULL;

DELETE FROM crm.invoice_events
 WHERE account_id = 1 AND invoice_id BETWEEN :due_cancel_lo AND :p_cancel_hi AND kind IN ('status_changed', 'autopay_off');
UPDATE crm.invoices SET status = 'awaiting', status_changed_at = created_at, updated_at = created_at
 WHERE account_id = 1 AND id BETWEEN :due_cancel_lo AND :p_cancel_hi AND status <> 'awaiting';

DELETE FROM crm.outbox
 WHERE account_id = 1 AND kind = 'charge'
   AND (payload ->> 'invoice_id')::bigint BETWEEN :due_charge_lo AND :p_charge_hi;
DELETE FROM crm.invoice_events
 WHERE account_id = 1 AND invoice_id BETWEEN :due_charge_lo AND :p_charge_hi AND kind = 'charge_queued';
UPDATE crm.invoices
   SET autopay_pending = 0, autopay_queued = 0, autopay_last_charge_at = NULL, updated_at = created_at,
       next_charge_at = to_timestamp(:due_now) - (:due_charge_hi - id + 1) * interval '1 second'
 WHERE account_id = 1 AND id BETWEEN :due_charge_lo AND :p_charge_hi AND autopay_queued > 0;
COMMIT;
VACUUM (ANALYZE) crm.leads;
VACUUM (ANALYZE) crm.invoices;
