-- run_due (crm): the whole backlog of data/70_run_due.sql in one transaction.  max_items
-- caps each kind per call, and no kind has more than :due items, so one call drains all.
SELECT sum(handled) FROM crm.run_due(to_timestamp(:due_now::bigint), :due);
