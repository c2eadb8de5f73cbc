-- A payment on one of the newest open invoices: what is still due (half of it one time
-- in six), or a failed one (one in three: it alerts when the invoice holds a course).
\set a random(1, :accounts)
\set e random(1, 3)
\set k random(0, 10)
\set how random(0, 5)
SELECT crm_soak.attempt('pay', :a, :e, $$
SELECT (crm.record_payment(v.id,
          CASE WHEN :how = 2 AND v.due >= 0.02 THEN round(v.due / 2, 2) ELSE v.due END,
          :how > 1, failure_reason => CASE WHEN :how <= 1 THEN 'card declined' END)).id
FROM (SELECT id, amount - paid_amount AS due FROM crm.invoices
      WHERE account_id = :a AND status IN ('awaiting', 'prepaid') AND amount > paid_amount
      ORDER BY id DESC OFFSET :k LIMIT 1) v$$);
