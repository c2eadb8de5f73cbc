-- run_due.note.sql (bare, plpgsql; crm through run_due.note.crm.sql): after the point, how
-- much of the backlog of data/70_run_due.sql was handled, and whether anything else was.
SELECT format('run_due: the point handled %s of %s leads, %s of %s invoices cancelled, %s of %s charges queued; %s due item(s) outside the backlog',
         (SELECT count(*) FROM crm.leads WHERE account_id = 1 AND id BETWEEN :due_lead_lo AND :due_lead_hi AND overdue_since IS NOT NULL),
         :due_lead_hi - :due_lead_lo + 1,
         (SELECT count(*) FROM crm.invoices WHERE account_id = 1 AND id BETWEEN :due_cancel_lo AND :due_cancel_hi AND status = 'cancelled'),
         :due_cancel_hi - :due_cancel_lo + 1,
         (SELECT count(*) FROM crm.invoices WHERE account_id = 1 AND id BETWEEN :due_charge_lo AND :due_charge_hi AND autopay_queued = 1),
         :due_charge_hi - :due_charge_lo + 1,
         (SELECT count(*) FROM crm.leads WHERE deadline < to_timestamp(:due_now) AND closed_at IS NULL AND overdue_since IS NULL)
         + (SELECT count(*) FROM crm.invoices WHERE auto_cancel_at <= to_timestamp(:due_now) AND status IN ('awaiting', 'prepaid'))
         + (SELECT count(*) FROM crm.invoices WHERE next_charge_at <= to_timestamp(:due_now) AND autopay));
