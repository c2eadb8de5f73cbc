-- run_due.note.crm.sql: what the point handled (run_due.note.sql), then crm's backend
-- memory over backlogs of two sizes.  Each measurement puts a backlog back
-- (run_due.prepare.sql, the first tenth or all of it), opens a fresh backend and drains
-- it, then reads the backend's /proc/self/status: VmHWM is the peak resident size,
-- which also counts the shared buffers the backend touched (RssShmem, larger for a larger
-- backlog) and the mapped files (RssFile); VmHWM - RssShmem - RssFile estimates the peak
-- of the backend's private memory.  One call drains the backlog in one transaction, as the
-- workload does; batches of 1000 (each call its own transaction) are what the background
-- worker does with crm.scheduler_batch_size = 1000.
\ir run_due.note.sql
\set rundue_part 0.1
\ir run_due.prepare.sql
\c
SELECT sum(handled) AS rundue_n FROM crm.run_due(to_timestamp(:due_now), :due) \gset
\ir run_due.memory.sql
\set rundue_part 1
\ir run_due.prepare.sql
\c
SELECT sum(handled) AS rundue_n FROM crm.run_due(to_timestamp(:due_now), :due) \gset
\ir run_due.memory.sql
\ir run_due.prepare.sql
\c
\o /dev/null
SELECT format('SELECT sum(handled) FROM crm.run_due(to_timestamp(%s), 1000)', :due_now)
FROM generate_series(1, ceil(:due / 2 / 1000.0)::int) \gexec
\o
SELECT count(*) AS rundue_n FROM crm.outbox
 WHERE account_id = 1 AND (kind = 'charge' AND (payload ->> 'invoice_id')::bigint BETWEEN :due_charge_lo AND :due_charge_hi
        OR kind = 'notification' AND (payload ->> 'lead_id')::bigint BETWEEN :due_lead_lo AND :due_lead_hi) \gset
SELECT :rundue_n + count(*) AS rundue_n FROM crm.invoices
 WHERE account_id = 1 AND id BETWEEN :due_cancel_lo AND :due_cancel_hi AND status = 'cancelled' \gset
\set rundue_how 'in batches of 1000'
\ir run_due.memory.sql
