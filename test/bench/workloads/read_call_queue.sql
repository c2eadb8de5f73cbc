-- The operator's "claim next" (crm): each pgbench client is one operator (employee
-- 2 + client_id mod (nemp - 1), set once per connection) and keeps its own clock: "now" is
-- the data's fixed now plus one minute per transaction of that client (calls_step counts
-- them), so claims held 10 minutes come free again and the due pool never drains.
\set calls_step :calls_step + 1
\set op 2 + :client_id % (:nemp - 1)
\set now :calls_now + 60 * :calls_step
\if :calls_step = 1
SELECT set_config('crm.employee_id', :op::text, false);
\endif
SELECT * FROM crm.claim_next_call(now => to_timestamp(:now), hold => '10 minutes');
