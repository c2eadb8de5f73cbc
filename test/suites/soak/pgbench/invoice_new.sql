-- An invoice for one of the newest clients: a book, and a course (whose failed payments
-- alert) on every other one; every fourth auto-cancelled 5 s..2 min ahead, every third
-- in the call queue at once, every fifth on autopay (the first charge within 20 s, then
-- one a minute, at most 3).
\set a random(1, :accounts)
\set e random(1, 3)
\set k random(0, 20)
\set x random(0, 59)
\set ac random(5, 120)
SELECT crm_soak.attempt('invoice_new', :a, :e,
  $$INSERT INTO crm.invoices (client_id, auto_cancel_at, next_call_at)
    SELECT c.id, CASE WHEN :x % 4 = 0 THEN now() + :ac * interval '1 second' END, CASE WHEN :x % 3 = 0 THEN now() END
    FROM crm.clients c WHERE c.account_id = :a ORDER BY c.id DESC OFFSET :k LIMIT 1 RETURNING id$$,
  $$INSERT INTO crm.invoice_items (invoice_id, offer_id)
    SELECT $1::bigint, o FROM crm_soak.ids i,
           unnest(CASE WHEN :x % 2 = 0 THEN ARRAY[i.book, i.course] ELSE ARRAY[i.book] END) o
    WHERE i.account_id = :a RETURNING invoice_id$$,
  $$WITH u AS (UPDATE crm.invoices SET autopay_interval = '1 minute', autopay_limit = 3, autopay = true,
                                      next_charge_at = now() + :ac % 20 * interval '1 second'
               WHERE account_id = :a AND id = $1::bigint AND :x % 5 = 0 RETURNING id)
    SELECT $1::bigint$$);
