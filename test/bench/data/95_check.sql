-- data/95_check.sql: the data written above with triggers off is what crm's rules
-- would have left; any difference stops the generation (ON_ERROR_STOP):
--   * the lead counts (crm.lead_group_counts: crm.lead_counts plus the changes) equal
--     a recount of the leads per account, type, status and campaign, with the amount
--     of their linked orders;
--   * every numbering counter is gapless and its numbers are its template's: per
--     table (leads, invoices, orders), account and counter, the counters 1 .. N each
--     once, N the largest, and each number the counter's key with {N} / {N:w} filled;
--   * every lead and invoice has its one 'created' history row;
--   * each account's event counter is at its largest event id.
-- Then records the rows and size of every table of schema crm in public.bench_tables
-- (run.sh prints them after the generation).
\set ON_ERROR_STOP 1
SET crm.account_id = 1;
SET work_mem = '256MB';

CREATE FUNCTION pg_temp.must(ok boolean, what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT ok THEN RAISE EXCEPTION 'bench data: %', what; END IF;
END $$;

SELECT pg_temp.must(count(*) = 0, 'lead counts differ from a recount in ' || count(*) || ' groups')
FROM (SELECT account_id, type_id, status_id, campaign_id, leads, revenue FROM crm.lead_group_counts WHERE leads <> 0
      EXCEPT ALL
      SELECT l.account_id, l.type_id, l.status_id, l.campaign_id, count(*), coalesce(sum(o.amount), 0)
      FROM crm.leads l LEFT JOIN crm.orders o ON o.account_id = l.account_id AND o.id = l.order_id
      GROUP BY 1, 2, 3, 4) d;
SELECT pg_temp.must(count(*) = (SELECT count(*) FROM crm.lead_group_counts WHERE leads <> 0),
                    'a recount has groups the lead counts have not')
FROM (SELECT DISTINCT account_id, type_id, status_id, campaign_id FROM crm.leads) g;

-- numbered: the numbered rows of the three tables, one row per (table, account, counter);
-- made: the number the counter's key gives its place ({N} or {N:w} filled, zero-padded)
CREATE TEMP TABLE numbered AS
SELECT r.t, r.account_id, r.number_sequence_id, count(*) AS n, count(DISTINCT r.number_seq) AS n_distinct,
       min(r.number_seq) AS lo, max(r.number_seq) AS hi,
       count(*) FILTER (WHERE r.number IS DISTINCT FROM
         regexp_replace(s.key, '\{N(:(\d+))?\}',
                        lpad(r.number_seq::text, greatest(coalesce(substring(s.key FROM '\{N:(\d+)\}')::int, 0),
                                                          length(r.number_seq::text)), '0'))) AS misnumbered
FROM (SELECT 'leads' AS t, account_id, number_sequence_id, number_seq, number FROM crm.leads
      UNION ALL SELECT 'invoices', account_id, number_sequence_id, number_seq, number FROM crm.invoices
      UNION ALL SELECT 'orders', account_id, number_sequence_id, number_seq, number FROM crm.orders) r
JOIN crm.number_sequences s ON s.account_id = r.account_id AND s.id = r.number_sequence_id
GROUP BY 1, 2, 3;
SELECT pg_temp.must(count(*) = 0, count(*) || ' counters with gaps, repeats or foreign numbers, among them: '
                    || string_agg(format('%s of account %s, counter %s: %s rows, %s distinct, %s..%s, %s misnumbered',
                                         t, account_id, number_sequence_id, n, n_distinct, lo, hi, misnumbered), '; ')
                         FILTER (WHERE k <= 5))
FROM (SELECT *, row_number() OVER (ORDER BY t, account_id, number_sequence_id) AS k FROM numbered
      WHERE n <> n_distinct OR lo <> 1 OR hi <> n OR misnumbered <> 0) bad;
SELECT pg_temp.must((SELECT count(*) FROM crm.leads WHERE number_sequence_id IS NOT NULL)
                    + (SELECT count(*) FROM crm.invoices WHERE number_sequence_id IS NOT NULL)
                    + (SELECT count(*) FROM crm.orders WHERE number_sequence_id IS NOT NULL) = (SELECT sum(n) FROM numbered),
                    'rows numbered by a counter the account does not have');

SELECT pg_temp.must((SELECT count(*) FROM crm.leads)
                    = (SELECT count(DISTINCT (account_id, lead_id)) FROM crm.lead_events WHERE kind = 'created')
                    AND (SELECT count(*) FROM crm.lead_events WHERE kind = 'created')
                        = (SELECT count(DISTINCT (account_id, lead_id)) FROM crm.lead_events WHERE kind = 'created'),
                    'leads without exactly one created event');
SELECT pg_temp.must((SELECT count(*) FROM crm.invoices)
                    = (SELECT count(*) FROM crm.invoice_events WHERE kind = 'created'),
                    'invoices without exactly one created event');
SELECT pg_temp.must(count(*) = 0, 'event counters behind their events in ' || count(*) || ' accounts')
FROM crm.event_counters c
WHERE c.last_id < (SELECT coalesce(max(e.id), 0) FROM crm.events e WHERE e.account_id = c.account_id);

CREATE TABLE public.bench_tables (name text PRIMARY KEY, rows bigint NOT NULL, bytes bigint NOT NULL);
DO $$
DECLARE r record; n bigint;
BEGIN
  FOR r IN SELECT c.oid::regclass AS t, c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
           WHERE s.nspname = 'crm' AND c.relkind = 'r' ORDER BY c.relname LOOP
    EXECUTE format('SELECT count(*) FROM %s', r.t) INTO n;
    INSERT INTO public.bench_tables VALUES (r.relname, n, pg_total_relation_size(r.t));
  END LOOP;
END $$;
