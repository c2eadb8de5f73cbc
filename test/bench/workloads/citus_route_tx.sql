-- The routed statement of citus_route.sql in a tenant transaction (BEGIN; SET LOCAL
-- crm.account_id, crm.employee_id; ...; COMMIT: run.sh wraps it), the account picked per
-- transaction.  Run by the variant citus only (not in workloads.tsv): the fixed cost of
-- a tenant transaction routed to one worker.
\set acct random(1, :naccounts)
SELECT 1 FROM crm.accounts WHERE id = :acct;
