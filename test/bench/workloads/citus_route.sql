-- as is: one statement, no transaction block.  Run by the variant citus only (run.sh
-- --variants "crm citus"; not in workloads.tsv): the cost of a trivial statement routed
-- to one shard (through the coordinator to the worker of the account) against the same
-- statement on one server.
\set a random(1, :naccounts)
SELECT 1 FROM crm.accounts WHERE id = :a;
