-- The Important inbox page of one employee (all three variants run this text: the
-- view is SQL, so this measures the read path, not a rule).  crm.important filters
-- by crm.employee_id, set per transaction; set_config because pgbench -M prepared
-- cannot prepare SET with a parameter.
\set e random(2, :nemp)
SELECT set_config('crm.employee_id', :e, false);
SELECT * FROM crm.important ORDER BY happened_at DESC LIMIT 50;
