-- run_due (plpgsql): the same backlog through the PL/pgSQL twin (plpgsql/70_run_due.sql).
SELECT sum(handled) FROM crm_pl.run_due(to_timestamp(:due_now::bigint), :due);
