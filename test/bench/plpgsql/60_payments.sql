-- plpgsql/60_payments.sql: crm's payment rules and failed-payment alert routing in
-- PL/pgSQL, as a careful DBA would write them.  crm's C triggers
-- payment_10_before_insert and payments_50_alerts on crm.payments are disabled;
-- these take their place (the other payment triggers stay).
--
-- Covered, identically to crm (same rows, events, errors and SQLSTATEs):
--   * payments of kind 'payment' and 'prepayment', succeeded or failed:
--     amount <= 0 refused (22023, before anything is read); unknown invoice (23503);
--     the invoice locked FOR UPDATE; a payment whose external_id was already
--     reported is skipped (the first row stands, nothing happens); cancelled,
--     deleted and refunded invoices refuse payments (55000); a paid invoice, or
--     more than is still due, is refused (22023) -- failed payments are judged
--     too; the payment's employee_id defaults to crm.employee_id; the
--     'payment' / 'payment_failed' invoice event with the same detail; a
--     succeeded payment adds to paid_amount and moves awaiting -> prepaid/paid
--     (status_changed_at, updated_at, and the 'status_changed' event with
--     reason 'payment').
--   * alert routing of a failed payment: flagged offers of the invoice, the
--     client row FOR SHARE, one alert per (payment, flagged offer, active
--     employee whose first_out_at is strictly before the failure) with
--     ON CONFLICT DO NOTHING on the two dedupe indexes -- the same SQL as crm's
--     (each alert's event is written by crm's events trigger in both variants).
-- Not re-implemented: kinds 'refund' and 'autopay' (charge results, which move
-- autopay counters) are left to crm's C trigger through a second trigger
-- limited to those kinds.
--
-- The invoice move: crm's payment trigger writes the invoice's derived columns
-- (paid_amount) through crm's C invoice triggers, which allow it only for
-- crm's own system writes -- a flag PL/pgSQL cannot set.  So the twin writes
-- the moved invoice row and its 'status_changed' event itself, with the invoice
-- triggers off for that one statement (SET session_replication_role = replica
-- on the helper function), writing exactly what they would write for a plain
-- payment: status, paid_amount, status_changed_at, updated_at and the event.
-- What that skips: the scheduler wake-up trigger (an invoice with an auto-cancel
-- time that gets paid has nothing left due anyway).  Changing the role resets
-- the session's plan cache, so a succeeded payment costs the twin more than it
-- would with a native flag; the benchmark's workload (payment_failed) never
-- takes that path.
CREATE SCHEMA IF NOT EXISTS crm_pl;

CREATE FUNCTION crm_pl.payment_move_invoice(account bigint, invoice bigint, from_status text, to_status text,
                                            paid numeric, emp bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET session_replication_role = replica AS $$
BEGIN
  UPDATE crm.invoices
     SET status = to_status, paid_amount = paid, updated_at = transaction_timestamp(),
         status_changed_at = CASE WHEN to_status <> from_status THEN transaction_timestamp() ELSE status_changed_at END
   WHERE account_id = account AND id = invoice;
  IF to_status <> from_status THEN
    INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, from_status, to_status, detail)
    VALUES (account, invoice, emp, 'status_changed', from_status, to_status,
            jsonb_build_object('reason', 'payment', 'comment', NULL));
  END IF;
END $$;

CREATE FUNCTION crm_pl.payment_before_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  emp bigint := nullif(current_setting('crm.employee_id', true), '')::bigint;
  inv record;
  held numeric;
  paid numeric;
BEGIN
  IF NEW.account_id IS NULL OR NEW.invoice_id IS NULL OR NEW.amount IS NULL OR NEW.succeeded IS NULL THEN
    RETURN NEW;  -- NOT NULL reports it
  END IF;
  IF NEW.amount <= 0 THEN
    RAISE EXCEPTION 'payment amount must be positive' USING ERRCODE = '22023',
      DETAIL = format('The amount given is %s.', NEW.amount),
      HINT = 'Record a refund as kind ''refund'' with a positive amount.';
  END IF;
  SELECT i.status, i.number, i.amount, i.paid_amount, i.refunded_amount INTO inv
    FROM crm.invoices i WHERE i.account_id = NEW.account_id AND i.id = NEW.invoice_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'invoice % does not exist', NEW.invoice_id USING ERRCODE = '23503',
      DETAIL = format('Account %s has no invoice with id %s.', NEW.account_id, NEW.invoice_id),
      HINT = 'Use the id of one of the account''s invoices.';
  END IF;
  -- after the invoice lock, so a racing report of the same id is seen
  IF NEW.external_id IS NOT NULL AND EXISTS (
       SELECT 1 FROM crm.payments p WHERE p.account_id = NEW.account_id AND p.external_id = NEW.external_id) THEN
    RETURN NULL;
  END IF;
  IF inv.status IN ('cancelled', 'deleted', 'refunded') THEN
    RAISE EXCEPTION '% cannot be recorded on % invoice "%"', NEW.kind, inv.status, inv.number USING ERRCODE = '55000',
      DETAIL = format('Invoice %s is %s; it takes no more payments.', NEW.invoice_id, inv.status),
      HINT = 'Payments are recorded on awaiting, prepaid and paid invoices; reissue the invoice with crm.reissue_invoice.';
  END IF;
  held := inv.paid_amount - inv.refunded_amount;
  IF inv.status = 'paid' OR held + NEW.amount > inv.amount THEN
    RAISE EXCEPTION 'payment of % is more than the % still due on invoice "%"', NEW.amount, inv.amount - held, inv.number
      USING ERRCODE = '22023',
      DETAIL = format('Invoice %s is for %s and has %s paid.', NEW.invoice_id, inv.amount, held),
      HINT = 'Record at most the amount still due.';
  END IF;
  IF NEW.employee_id IS NULL AND emp IS NOT NULL THEN
    NEW.employee_id := emp;
  END IF;
  INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, detail)
  VALUES (NEW.account_id, NEW.invoice_id, emp, CASE WHEN NEW.succeeded THEN 'payment' ELSE 'payment_failed' END,
          jsonb_build_object('payment_id', NEW.id, 'kind', NEW.kind, 'amount', NEW.amount,
                             'at', crm_pl.utc_text(NEW.at), 'failure_reason', NEW.failure_reason, 'external_id', NEW.external_id));
  IF NEW.succeeded THEN  -- a failed payment changes nothing
    paid := inv.paid_amount + NEW.amount;
    PERFORM crm_pl.payment_move_invoice(NEW.account_id, NEW.invoice_id, inv.status,
      CASE WHEN paid - inv.refunded_amount >= inv.amount THEN 'paid' ELSE 'prepaid' END, paid, emp);
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION crm_pl.payment_alerts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  client bigint;
  offer_ids bigint[];
  n bigint;
BEGIN
  SELECT i.client_id, array_agg(DISTINCT it.offer_id ORDER BY it.offer_id) INTO client, offer_ids
    FROM crm.invoices i
    JOIN crm.invoice_items it ON it.account_id = i.account_id AND it.invoice_id = i.id
    JOIN crm.offers o ON o.account_id = it.account_id AND o.id = it.offer_id
   WHERE i.account_id = NEW.account_id AND i.id = NEW.invoice_id AND o.notify_on_failed_payment
   GROUP BY i.client_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- waits for a first contact with the client still in flight (see chats.c)
  PERFORM 1 FROM crm.clients WHERE account_id = NEW.account_id AND id = client FOR SHARE;
  INSERT INTO crm.alerts (account_id, employee_id, kind, client_id, conversation_id, offer_id, invoice_id,
                          payment_id, happened_at)
  SELECT NEW.account_id, cc.employee_id, 'failed_payment', client, cc.conversation_id, o.offer_id,
         NEW.invoice_id, NEW.id, NEW.at
    FROM crm.client_contacts cc
    JOIN crm.employees e ON e.account_id = cc.account_id AND e.id = cc.employee_id
   CROSS JOIN unnest(offer_ids) AS o(offer_id)
   WHERE cc.account_id = NEW.account_id AND cc.client_id = client AND cc.first_out_at < NEW.at AND e.active
   ORDER BY cc.employee_id, o.offer_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

GRANT USAGE ON SCHEMA crm_pl TO crm_reader;

ALTER TABLE crm.payments DISABLE TRIGGER payment_10_before_insert;
ALTER TABLE crm.payments DISABLE TRIGGER payments_50_alerts;

CREATE TRIGGER payment_pl_10_before_insert BEFORE INSERT ON crm.payments
    FOR EACH ROW WHEN (NEW.kind IN ('payment', 'prepayment')) EXECUTE FUNCTION crm_pl.payment_before_insert();
-- refunds and autopay charge results: crm's own rules (not part of this twin)
CREATE TRIGGER payment_pl_11_other_kinds BEFORE INSERT ON crm.payments
    FOR EACH ROW WHEN (NEW.kind NOT IN ('payment', 'prepayment')) EXECUTE FUNCTION crm._payment_before_insert();
CREATE TRIGGER payments_pl_50_alerts AFTER INSERT ON crm.payments
    FOR EACH ROW WHEN (NOT NEW.succeeded) EXECUTE FUNCTION crm_pl.payment_alerts();
