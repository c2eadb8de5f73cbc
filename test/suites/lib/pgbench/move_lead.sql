\set lid random(:lead_lo, :lead_hi)
\set s random(1, 4)
UPDATE crm.leads SET status_id = (ARRAY[:s1, :s2, :s3, :s4]::bigint[])[:s]
WHERE account_id = :acc AND id = :lid AND type_id = :t_repair AND status_id <> (ARRAY[:s1, :s2, :s3, :s4]::bigint[])[:s];
