-- plpgsql/40_linking.sql: crm's phone and linking rules for leads and orders in
-- PL/pgSQL (after plpgsql/10_leads.sql, which has already disabled every crm
-- trigger on crm.leads, lead_20_phone and lead_95_link included).
--
-- Covered, as src/linking.c does them:
--   leads   lead_pl_20_phone (lead_20_phone): phone = E.164 of contact_phone in
--           the account's default_region, NULL when not valid; a number typed
--           into phone alone is the contact phone; a phone that contradicts
--           contact_phone is refused (428C9); order_id is written only by
--           linking (428C9).
--           In client_link_mode auto, a new lead without a client gets the
--           one client with its phone before it is written, and is remembered
--           (in a temporary table, as crm remembers it in memory) until
--           lead_pl_95_link (lead_95_link) records its client_linked event
--           after the created event; in order_link_mode auto, a new open lead is
--           linked to the one unlinked order with its phone and a compatible
--           client, under the same phone lock crm takes (crm.locks).
--   orders  order_pl_10_before_write (order_10_before_write): number from the
--           account's order_number_template with the "max + lock" scheme of
--           plpgsql/10_leads.sql (crm_pl.number_next), or the number given (22023 when
--           empty or of the template's form, 23505 when taken), created_at, phone_e164
--           (428C9 when contradicted); on UPDATE the fixed columns
--           (55000) and a link that is never moved (55000).
--           In order_link_mode auto a new order is given the one open,
--           unlinked lead with its phone and a compatible client before it is
--           written (under the phone lock, the lead locked and rechecked).
--           order_pl_90_link (order_90_link): that lead, or a lead_id written
--           by the client, is linked as crm does (55000 refusals with crm's
--           texts).
--   The link itself: order row locked, then the lead row, both rechecked;
--   orders.lead_id and leads.order_id, each side takes the client the other
--   knows, the lead moves to order_won_status_id regardless of the transition
--   rules (status_changed with "by": "system", then client_linked and
--   order_linked), as the owner.
-- Not covered (no workload uses them): crm.link_order, crm.link_lead_client,
-- crm.client_candidates, crm.order_candidates (still crm's C functions), and
-- client_phones_10_phone (still crm's C trigger).
--
-- Normalisation calls crm's C crm.normalize_phone (libphonenumber behind it):
-- a DBA would use a library function too.  It is given the account's region;
-- it raises 22023 for a region libphonenumber does not know where crm's
-- trigger would store NULL, which no account with a real region meets.
--

-- The E.164 form of a phone column (NULL when not valid); a value written into
-- the derived column itself must agree with it (428C9).
CREATE FUNCTION crm_pl.derived_phone(raw text, given text, old_given text, is_update boolean, account bigint,
                                     col text, tab text, source text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  e164 text := CASE WHEN raw IS NOT NULL THEN crm.normalize_phone(raw, (crm_pl.settings(account)).region) END;
BEGIN
  IF given IS NOT NULL AND NOT (is_update AND given IS NOT DISTINCT FROM old_given)
     AND given IS DISTINCT FROM e164 THEN
    RAISE EXCEPTION 'cannot write "%" into column "%" of crm.%', given, col, tab USING ERRCODE = '428C9',
      DETAIL = format('%s is the E.164 form of %s "%s" and is filled from it.', col, source, coalesce(raw, '(null)')),
      HINT = format('Write the number into %s only.', source);
  END IF;
  RETURN e164;
END $$;

CREATE FUNCTION crm_pl.refuse_link_column(col text, tab text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'column "%" of crm.% is set by linking', col, tab USING ERRCODE = '428C9',
    DETAIL = 'A lead and an order are linked both ways at once, with the lead''s status move.',
    HINT = 'Use crm.link_order(order_id, lead_id), or set lead_id of a crm.orders row that has none.';
END $$;

-- lead_20_phone
CREATE FUNCTION crm_pl.lead_phone_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  is_update boolean := TG_OP = 'UPDATE';
  raw text;
  given text;
  old_given text;
  found_id bigint;
  n int;
BEGIN
  IF NEW.account_id IS NULL THEN RETURN NEW; END IF;
  IF NOT is_update AND to_regclass('pg_temp.crm_pl_auto_linked') IS NULL THEN
    CREATE TEMP TABLE crm_pl_auto_linked (account_id bigint, lead_id bigint);
  END IF;
  IF NOT crm_pl.linking() AND ((is_update AND NEW.order_id IS DISTINCT FROM OLD.order_id)
                               OR (NOT is_update AND NEW.order_id IS NOT NULL)) THEN
    PERFORM crm_pl.refuse_link_column('order_id', 'leads');
  END IF;
  raw := NEW.contact_phone;
  given := NEW.phone;
  IF is_update THEN
    old_given := OLD.phone;
    IF raw IS NOT DISTINCT FROM OLD.contact_phone AND given IS NOT DISTINCT FROM old_given THEN
      RETURN NEW;
    END IF;
  ELSIF raw IS NULL AND given IS NOT NULL THEN
    -- A number typed into phone is the contact phone.
    NEW.contact_phone := given;
    raw := given;
    given := NULL;
  END IF;
  NEW.phone := crm_pl.derived_phone(raw, given, old_given, is_update, NEW.account_id,
                                    'phone', 'leads', 'contact_phone');
  IF NOT is_update AND NEW.phone IS NOT NULL AND NEW.client_id IS NULL
     AND (crm_pl.settings(NEW.account_id)).client_mode = 'auto' THEN
    SELECT min(p.client_id), count(*) INTO found_id, n
      FROM (SELECT DISTINCT client_id FROM crm.client_phones
             WHERE account_id = NEW.account_id AND phone = NEW.phone LIMIT 2) p;
    IF n = 1 THEN
      NEW.client_id := found_id;
      INSERT INTO pg_temp.crm_pl_auto_linked VALUES (NEW.account_id, NEW.id);
    END IF;
  END IF;
  RETURN NEW;
END $$;

-- Links order and lead both ways and moves the lead to the account's order
-- status, as the owner.  by: 'write' (orders.lead_id written: refusals raised)
-- or 'auto' (nothing raised; false when the link is not possible).
CREATE FUNCTION crm_pl.link_order_lead(account bigint, order_id bigint, lead_id bigint, by text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  auto boolean := by = 'auto';
  won bigint := (crm_pl.settings(account)).won_status;
  o record;
  l record;
  client bigint;
BEGIN
  -- The order first, then the lead: one order of locks everywhere.  One table
  -- per locking query, so a lock taken after waiting sees the latest row.
  SELECT x.number, x.lead_id, x.client_id INTO o FROM crm.orders x
   WHERE x.account_id = account AND x.id = link_order_lead.order_id FOR UPDATE;
  IF NOT FOUND THEN
    IF auto THEN RETURN false; END IF;
    RAISE EXCEPTION 'order % does not exist', order_id USING ERRCODE = 'P0002',
      DETAIL = format('Account %s has no order with id %s that you can see.', account, order_id),
      HINT = 'Check the order id and crm.account_id.';
  END IF;
  IF o.lead_id IS NOT NULL AND NOT (by = 'write' AND o.lead_id = link_order_lead.lead_id) THEN
    IF auto THEN RETURN false; END IF;
    RAISE EXCEPTION 'order "%" is already linked to lead "%"', o.number,
      coalesce((SELECT x.number FROM crm.leads x WHERE x.account_id = account AND x.id = o.lead_id), o.lead_id::text)
      USING ERRCODE = '55000',
      DETAIL = format('Order "%s" is linked to another lead; an order links to one lead.', o.number),
      HINT = format('Link another order to lead %s.', lead_id);
  END IF;

  SELECT x.number, x.order_id, x.client_id, x.closed_at IS NOT NULL AS closed, x.status_id INTO l FROM crm.leads x
   WHERE x.account_id = account AND x.id = link_order_lead.lead_id FOR UPDATE;
  IF NOT FOUND THEN
    IF auto THEN RETURN false; END IF;
    RAISE EXCEPTION 'lead % does not exist', lead_id USING ERRCODE = '23503',
      DETAIL = format('Account %s has no lead with id %s that you can see.', account, lead_id),
      HINT = 'Check the lead id and crm.account_id.';
  END IF;
  IF l.order_id IS NOT NULL THEN
    IF auto THEN RETURN false; END IF;
    RAISE EXCEPTION 'lead "%" is already linked to order "%"', l.number,
      coalesce((SELECT x.number FROM crm.orders x WHERE x.account_id = account AND x.id = l.order_id), l.order_id::text)
      USING ERRCODE = '55000',
      DETAIL = format('Lead "%s" is linked to another order; a lead links to one order.', l.number),
      HINT = format('Link order "%s" to another open lead; crm.order_candidates(%s) lists them.', o.number, order_id);
  END IF;
  IF l.closed THEN
    IF auto THEN RETURN false; END IF;
    RAISE EXCEPTION 'lead "%" is closed', l.number USING ERRCODE = '55000',
      DETAIL = format('Lead "%s" is in status "%s", which closes it.', l.number,
                      coalesce((SELECT s.name FROM crm.statuses s WHERE s.account_id = account AND s.id = l.status_id),
                               l.status_id::text)),
      HINT = format('Link order "%s" to an open lead; crm.order_candidates(%s) lists them.', o.number, order_id);
  END IF;
  IF l.client_id IS NOT NULL AND o.client_id IS NOT NULL AND l.client_id <> o.client_id THEN
    IF auto THEN RETURN false; END IF;
    RAISE EXCEPTION 'lead "%" belongs to another client', l.number USING ERRCODE = '55000',
      DETAIL = format('Lead %s is linked to client %s, order "%s" to client %s.', lead_id, l.client_id, o.number, o.client_id),
      HINT = format('Link the order to a lead of client %s or to a lead with no client.', o.client_id);
  END IF;

  -- Each side takes the client the other knows.
  client := coalesce(l.client_id, o.client_id);
  PERFORM set_config('crm_pl.linking', 'on', true);
  IF o.lead_id IS NULL OR (o.client_id IS NULL AND client IS NOT NULL) THEN
    UPDATE crm.orders x SET lead_id = link_order_lead.lead_id, client_id = coalesce(x.client_id, client)
     WHERE x.account_id = account AND x.id = link_order_lead.order_id;
  END IF;
  UPDATE crm.leads x SET order_id = link_order_lead.order_id, client_id = coalesce(x.client_id, client),
                         status_id = coalesce(won, x.status_id)
   WHERE x.account_id = account AND x.id = link_order_lead.lead_id;
  PERFORM set_config('crm_pl.linking', '', true);
  RETURN true;
END $$;

-- lead_95_link
CREATE FUNCTION crm_pl.lead_after_insert_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s record;
  client bigint := NEW.client_id;
  order_auto boolean;
  found_id bigint;
  n int;
BEGIN
  IF crm_pl.importing() THEN RETURN NULL; END IF;   -- history is linked as it was
  IF NEW.phone IS NULL THEN RETURN NULL; END IF;
  s := crm_pl.settings(NEW.account_id);
  order_auto := NEW.closed_at IS NULL AND s.order_mode = 'auto';
  IF NEW.client_id IS NOT NULL THEN
    DELETE FROM pg_temp.crm_pl_auto_linked WHERE account_id = NEW.account_id AND lead_id = NEW.id;
    IF FOUND THEN
      INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, detail)
      VALUES (NEW.account_id, NEW.id, nullif(current_setting('crm.employee_id', true), '')::bigint, 'client_linked',
              jsonb_build_object('from', NULL, 'to', NEW.client_id));
    END IF;
  END IF;
  IF order_auto THEN
    PERFORM crm_pl.lock_phone(NEW.account_id, NEW.phone);
    SELECT min(o.id), count(*) INTO found_id, n
      FROM (SELECT id FROM crm.orders
             WHERE account_id = NEW.account_id AND phone_e164 = NEW.phone AND lead_id IS NULL
               AND (client IS NULL OR client_id IS NULL OR client_id = client)
             ORDER BY id LIMIT 2) o;
    IF n = 1 THEN
      PERFORM crm_pl.link_order_lead(NEW.account_id, found_id, NEW.id, 'auto');
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- order_10_before_write
CREATE FUNCTION crm_pl.order_before_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  s record;
  n record;
  col text;
  raw text;
  given text;
  found_id bigint;
  k int;
  lead_client bigint;
  free boolean;
BEGIN
  IF NEW.account_id IS NULL THEN RETURN NEW; END IF;
  IF TG_OP = 'UPDATE' THEN
    col := CASE WHEN NEW.account_id IS DISTINCT FROM OLD.account_id THEN 'account_id'
                WHEN NEW.id IS DISTINCT FROM OLD.id THEN 'id'
                WHEN NEW.number IS DISTINCT FROM OLD.number THEN 'number'
                WHEN NEW.number_sequence_id IS DISTINCT FROM OLD.number_sequence_id THEN 'number_sequence_id'
                WHEN NEW.number_seq IS DISTINCT FROM OLD.number_seq THEN 'number_seq'
                WHEN NEW.created_at IS DISTINCT FROM OLD.created_at THEN 'created_at' END;
    IF col IS NOT NULL THEN
      RAISE EXCEPTION 'column "%" of an order cannot be changed', col USING ERRCODE = '55000',
        DETAIL = 'It is fixed when the order is created.', HINT = format('Leave %s out of the UPDATE.', col);
    END IF;
    IF NOT crm_pl.linking() AND OLD.lead_id IS NOT NULL AND NEW.lead_id IS DISTINCT FROM OLD.lead_id THEN
      RAISE EXCEPTION 'order "%" is already linked to lead %', OLD.number, OLD.lead_id USING ERRCODE = '55000',
        DETAIL = 'A link between an order and a lead is not undone or moved.',
        HINT = 'Leave lead_id out of the UPDATE.';
    END IF;
    IF NEW.phone IS NOT DISTINCT FROM OLD.phone AND NEW.phone_e164 IS NOT DISTINCT FROM OLD.phone_e164 THEN
      RETURN NEW;
    END IF;
    NEW.phone_e164 := crm_pl.derived_phone(NEW.phone, NEW.phone_e164, OLD.phone_e164, true,
                                           NEW.account_id, 'phone_e164', 'orders', 'phone');
    RETURN NEW;
  END IF;

  s := crm_pl.settings(NEW.account_id);
  IF NEW.number IS NOT NULL AND btrim(NEW.number, E' \t\r\n') = '' THEN
    RAISE EXCEPTION 'order number must not be empty' USING ERRCODE = '22023';
  ELSIF NEW.number IS NOT NULL AND crm_pl.number_fits(s.order_template, NEW.number) THEN
    RAISE EXCEPTION 'order number "%" has the form of the numbers crm makes', NEW.number USING ERRCODE = '22023';
  ELSIF NEW.number IS NOT NULL AND EXISTS (SELECT 1 FROM crm.orders o WHERE o.account_id = NEW.account_id AND o.number = NEW.number) THEN
    RAISE EXCEPTION 'order number "%" is already taken', NEW.number USING ERRCODE = '23505',
      CONSTRAINT = 'orders_account_id_number_key';
  END IF;
  NEW.created_at := coalesce(NEW.created_at, transaction_timestamp());
  raw := NEW.phone;
  given := NEW.phone_e164;
  IF raw IS NULL AND given IS NOT NULL THEN
    NEW.phone := given;
    raw := given;
    given := NULL;
  END IF;
  NEW.phone_e164 := crm_pl.derived_phone(raw, given, NULL, false, NEW.account_id, 'phone_e164', 'orders', 'phone');
  IF NEW.number IS NULL THEN
    n := crm_pl.number_next(NEW.account_id, s.order_template, s.tz, NEW.created_at, 'orders');
    NEW.number := n.number;
    NEW.number_sequence_id := n.sequence_id;
    NEW.number_seq := n.seq;
  ELSE
    NEW.number_sequence_id := NULL;   -- a web shop's number, outside the counters
    NEW.number_seq := NULL;
  END IF;
  -- Auto mode: the one open lead with the phone is chosen and locked before the
  -- order is written (as crm's order_10_before_write does); order_pl_90_link then
  -- links it as a lead_id written in the INSERT.
  IF NEW.lead_id IS NULL AND NEW.phone_e164 IS NOT NULL AND s.order_mode = 'auto' THEN
    PERFORM crm_pl.lock_phone(NEW.account_id, NEW.phone_e164);
    SELECT min(l.id), count(*) INTO found_id, k
      FROM (SELECT id FROM crm.leads
             WHERE account_id = NEW.account_id AND phone = NEW.phone_e164 AND closed_at IS NULL
               AND order_id IS NULL AND (NEW.client_id IS NULL OR client_id IS NULL OR client_id = NEW.client_id)
             ORDER BY id LIMIT 2) l;
    IF k = 1 THEN
      SELECT x.client_id, x.order_id IS NULL AND x.closed_at IS NULL INTO lead_client, free
        FROM crm.leads x WHERE x.account_id = NEW.account_id AND x.id = found_id FOR UPDATE;
      IF free AND (NEW.client_id IS NULL OR lead_client IS NULL OR lead_client = NEW.client_id) THEN
        NEW.lead_id := found_id;
        NEW.client_id := coalesce(NEW.client_id, lead_client);
      END IF;
    END IF;
  END IF;
  RETURN NEW;
END $$;

-- order_90_link
CREATE FUNCTION crm_pl.order_after_write_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF crm_pl.linking() THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND NEW.lead_id IS NOT DISTINCT FROM OLD.lead_id THEN RETURN NULL; END IF;
  IF NEW.lead_id IS NOT NULL THEN
    PERFORM crm_pl.link_order_lead(NEW.account_id, NEW.id, NEW.lead_id, 'write');
  END IF;
  RETURN NULL;
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA crm_pl TO crm_reader;

ALTER TABLE crm.leads DISABLE TRIGGER lead_20_phone, DISABLE TRIGGER lead_95_link;
ALTER TABLE crm.orders DISABLE TRIGGER order_10_before_write, DISABLE TRIGGER order_90_link;

CREATE TRIGGER lead_pl_20_phone BEFORE INSERT OR UPDATE OF contact_phone, phone, order_id ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm_pl.lead_phone_before_write();
CREATE TRIGGER lead_pl_95_link AFTER INSERT ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm_pl.lead_after_insert_link();
CREATE TRIGGER order_pl_10_before_write BEFORE INSERT OR UPDATE ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm_pl.order_before_write();
CREATE TRIGGER order_pl_90_link AFTER INSERT OR UPDATE OF lead_id ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm_pl.order_after_write_link();
