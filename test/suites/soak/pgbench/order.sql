-- An order with a phone from the pool: linked to the matching open lead by crm in the
-- accounts that link orders automatically, by hand (the newest candidate) in the others.
\set a random(1, :accounts)
\set e random(1, 3)
\set k random(0, 20)
\set p random(10, 49)
SELECT crm_soak.attempt('order', :a, :e,
  $$INSERT INTO crm.orders (client_id, phone, amount)
    SELECT c.id, '+7 916 700-00-:p', 500 FROM crm.clients c WHERE c.account_id = :a ORDER BY c.id DESC OFFSET :k LIMIT 1
    RETURNING id$$,
  $$SELECT coalesce((SELECT (crm.link_order($1::bigint, x.id)).id
                     FROM crm.orders o, crm.order_candidates($1::bigint) x
                     WHERE o.account_id = :a AND o.id = $1::bigint AND o.lead_id IS NULL LIMIT 1), $1::bigint)$$);
