\set lid random(:lead_lo, :lead_hi)
\set dl random(-300, 300)
UPDATE crm.leads SET deadline = now() + :dl * interval '1 second', urgent = NOT urgent
WHERE account_id = :acc AND id = :lid;
