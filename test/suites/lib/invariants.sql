-- invariants.sql: prints one line per violation of what must hold after any
-- load, crash or restore; prints nothing when all hold.  :now is the time the
-- due work was last run to; :check_overdue says whether run_due has run to :now
-- (then no open lead whose deadline passed before :now may be left unmarked).

-- Numbers: unique per account and gapless per number sequence (1..n).
SELECT format('%s: number sequence %s of account %s has %s rows, numbers %s..%s, %s distinct numbers',
              tab, seq, acc, n, lo, hi, nd)
FROM (
  SELECT 'leads' AS tab, account_id AS acc, number_sequence_id AS seq, count(*) AS n,
         min(number_seq) AS lo, max(number_seq) AS hi, count(DISTINCT number) AS nd
  FROM crm.leads WHERE number_sequence_id IS NOT NULL GROUP BY 1, 2, 3
  UNION ALL
  SELECT 'invoices', account_id, number_sequence_id, count(*), min(number_seq), max(number_seq), count(DISTINCT number)
  FROM crm.invoices WHERE number_sequence_id IS NOT NULL GROUP BY 1, 2, 3
  UNION ALL
  SELECT 'orders', account_id, number_sequence_id, count(*), min(number_seq), max(number_seq), count(DISTINCT number)
  FROM crm.orders WHERE number_sequence_id IS NOT NULL GROUP BY 1, 2, 3
) s
WHERE lo <> 1 OR hi <> n OR nd <> n;

SELECT format('%s: number %s of account %s used %s times', tab, number, acc, n)
FROM (
  SELECT 'leads' AS tab, account_id AS acc, number, count(*) AS n FROM crm.leads WHERE number IS NOT NULL GROUP BY 1, 2, 3
  UNION ALL SELECT 'invoices', account_id, number, count(*) FROM crm.invoices WHERE number IS NOT NULL GROUP BY 1, 2, 3
  UNION ALL SELECT 'orders', account_id, number, count(*) FROM crm.orders WHERE number IS NOT NULL GROUP BY 1, 2, 3
) s WHERE n > 1;

-- Every lead has exactly one creation event, and its history ends in its status.
SELECT format('lead %s/%s has %s creation events', l.account_id, l.id, count(e.id))
FROM crm.leads l
LEFT JOIN crm.lead_events e ON e.account_id = l.account_id AND e.lead_id = l.id AND e.kind = 'created'
GROUP BY l.account_id, l.id HAVING count(e.id) <> 1;

SELECT format('lead %s/%s is in status %s but its history ends in %s', l.account_id, l.id, l.status_id, last.to_status_id)
FROM crm.leads l
CROSS JOIN LATERAL (
  SELECT e.to_status_id FROM crm.lead_events e
  WHERE e.account_id = l.account_id AND e.lead_id = l.id AND e.kind IN ('created', 'status_changed')
  ORDER BY e.id DESC LIMIT 1) last
WHERE last.to_status_id IS DISTINCT FROM l.status_id;

-- Each status change links to the one before it (no change missing in between).
SELECT format('lead %s/%s: event %s moves from %s but the status before was %s', account_id, lead_id, id, from_status_id, prev_to)
FROM (
  SELECT e.*, lag(e.to_status_id) OVER (PARTITION BY e.account_id, e.lead_id ORDER BY e.id) AS prev_to
  FROM crm.lead_events e WHERE e.kind IN ('created', 'status_changed')
) s
WHERE kind = 'status_changed' AND from_status_id IS DISTINCT FROM prev_to;

-- Due work: handled at most once, and nothing due at :now left unhandled.
-- (A lead whose deadline moves may expire again: once per deadline.)
SELECT format('lead %s/%s has %s deadline_expired events for deadline %s', account_id, lead_id, count(*), detail->>'deadline')
FROM crm.lead_events WHERE kind = 'deadline_expired'
GROUP BY account_id, lead_id, detail->>'deadline' HAVING count(*) > 1;

SELECT format('lead %s/%s is overdue since %s but has no deadline_expired event', l.account_id, l.id, l.overdue_since)
FROM crm.leads l
WHERE l.overdue_since IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM crm.lead_events e WHERE e.account_id = l.account_id AND e.lead_id = l.id
                  AND e.kind = 'deadline_expired');

SELECT format('lead %s/%s: deadline %s passed at %s but it is not marked overdue', l.account_id, l.id, l.deadline, :now)
FROM crm.leads l
WHERE :check_overdue AND l.closed_at IS NULL AND l.overdue_since IS NULL AND l.deadline < :now;

-- Invoices: each has a history, and it ends in the invoice's status.
SELECT CASE WHEN last.to_status IS NULL
            THEN format('invoice %s/%s is %s but has no history', i.account_id, i.id, i.status)
            ELSE format('invoice %s/%s is %s but its history ends in %s', i.account_id, i.id, i.status, last.to_status) END
FROM crm.invoices i
LEFT JOIN LATERAL (
  SELECT e.to_status FROM crm.invoice_events e
  WHERE e.account_id = i.account_id AND e.invoice_id = i.id AND e.to_status IS NOT NULL
  ORDER BY e.id DESC LIMIT 1) last ON true
WHERE last.to_status IS DISTINCT FROM i.status;

-- Alerts: one per (failed payment, offer, employee).
SELECT format('alert for payment %s offer %s employee %s duplicated %s times', payment_id, offer_id, employee_id, count(*))
FROM crm.alerts WHERE kind = 'failed_payment'
GROUP BY account_id, payment_id, offer_id, employee_id HAVING count(*) > 1;

-- The kept-up lead counts equal the leads (and their orders' amounts) they count.
SELECT format('lead counts of account %s, type %s, status %s, campaign %s: kept %s leads / %s revenue, actual %s / %s',
              account_id, type_id, status_id, campaign_id, kept_leads, kept_revenue, leads, revenue)
FROM (
  SELECT coalesce(k.account_id, a.account_id) AS account_id, coalesce(k.type_id, a.type_id) AS type_id,
         coalesce(k.status_id, a.status_id) AS status_id, coalesce(k.campaign_id, a.campaign_id) AS campaign_id,
         coalesce(k.leads, 0) AS kept_leads, coalesce(k.revenue, 0) AS kept_revenue,
         coalesce(a.leads, 0) AS leads, coalesce(a.revenue, 0) AS revenue
  FROM crm.lead_group_counts k
  FULL JOIN (SELECT l.account_id, l.type_id, l.status_id, l.campaign_id, count(*) AS leads, coalesce(sum(o.amount), 0) AS revenue
             FROM crm.leads l LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
             GROUP BY 1, 2, 3, 4) a
    ON a.account_id = k.account_id AND a.type_id = k.type_id AND a.status_id = k.status_id
   AND a.campaign_id IS NOT DISTINCT FROM k.campaign_id
) c
WHERE kept_leads <> leads OR kept_revenue <> revenue;

-- Payments reported twice with the same external id exist once.
SELECT format('payment %s of account %s recorded %s times', external_id, account_id, count(*))
FROM crm.payments WHERE external_id IS NOT NULL GROUP BY account_id, external_id HAVING count(*) > 1;

-- Outbox: a dedup key is used once.
SELECT format('outbox key %s of account %s used %s times', dedup_key, account_id, count(*))
FROM crm.outbox WHERE dedup_key IS NOT NULL GROUP BY account_id, dedup_key HAVING count(*) > 1;

-- Every row belongs to an existing account (tenancy survives everything); crm.locks
-- also has the locks of the whole database, under account 0.
SELECT format('SELECT ''%s: '' || count(*) || '' rows of missing accounts'' FROM %s t WHERE NOT EXISTS (SELECT 1 FROM crm.accounts a WHERE a.id = t.account_id) %s HAVING count(*) > 0',
              c.oid::regclass, c.oid::regclass,
              CASE WHEN c.oid = 'crm.locks'::regclass THEN 'AND t.account_id <> 0' ELSE '' END)
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'account_id'
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY 1
\gexec
