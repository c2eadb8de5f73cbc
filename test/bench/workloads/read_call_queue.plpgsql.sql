-- read_call_queue.sql through the PL/pgSQL twin crm_pl.claim_next_call (plpgsql variant).
\set calls_step :calls_step + 1
\set op 2 + :client_id % (:nemp - 1)
\set now :calls_now + 60 * :calls_step
\if :calls_step = 1
SELECT set_config('crm.employee_id', :op::text, false);
\endif
SELECT * FROM crm_pl.claim_next_call(now => to_timestamp(:now), hold => '10 minutes');
