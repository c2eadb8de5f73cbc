-- linking.sql: the matching of leads to clients and of orders to leads (linking.c,
-- linking_by_hand.c).

-- leads.phone from contact_phone; leads.order_id only through linking.
CREATE OR REPLACE FUNCTION crm._lead_phone_before_write() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_phone_before_write';
REVOKE ALL ON FUNCTION crm._lead_phone_before_write() FROM PUBLIC;
COMMENT ON FUNCTION crm._lead_phone_before_write() IS
    'Trigger lead_20_phone: phone from contact_phone, order_id only through the link, and in auto mode the one client with the phone.';
CREATE OR REPLACE TRIGGER lead_20_phone BEFORE INSERT OR UPDATE OF contact_phone, phone, order_id ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_phone_before_write();
-- Auto mode: link the matching client and order.  After lead_90_history_insert, so
-- "created" comes before "client_linked" and "order_linked".
CREATE OR REPLACE FUNCTION crm._lead_after_insert_link() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_lead_after_insert_link';
REVOKE ALL ON FUNCTION crm._lead_after_insert_link() FROM PUBLIC;
COMMENT ON FUNCTION crm._lead_after_insert_link() IS
    'Trigger lead_95_link: records the automatic client link, then in auto mode links the one matching unlinked order.';
CREATE OR REPLACE TRIGGER lead_95_link AFTER INSERT ON crm.leads
    FOR EACH ROW EXECUTE FUNCTION crm._lead_after_insert_link();

-- A lead_id written by hand (or chosen by order_10_before_write in auto mode) is linked.
CREATE OR REPLACE FUNCTION crm._order_after_write_link() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_order_after_write_link';
REVOKE ALL ON FUNCTION crm._order_after_write_link() FROM PUBLIC;
COMMENT ON FUNCTION crm._order_after_write_link() IS
    'Trigger order_90_link: the lead_id of a new order, or one written by hand, is linked as crm.link_order does.';
CREATE OR REPLACE TRIGGER order_90_link AFTER INSERT OR UPDATE OF lead_id ON crm.orders
    FOR EACH ROW EXECUTE FUNCTION crm._order_after_write_link();

CREATE OR REPLACE FUNCTION crm.client_candidates(phone text)
    RETURNS TABLE (id bigint, name text, phone text, category text)
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_client_candidates';
REVOKE ALL ON FUNCTION crm.client_candidates(text) FROM PUBLIC;
COMMENT ON FUNCTION crm.client_candidates(text) IS
    'Clients with a phone that fully matches (after normalisation); nothing with client_link_mode off or without the right to see customers.';

CREATE OR REPLACE FUNCTION crm.link_lead_client(lead_id bigint, client_id bigint)
    RETURNS crm.leads
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_link_lead_client';
REVOKE ALL ON FUNCTION crm.link_lead_client(bigint,bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm.link_lead_client(bigint, bigint) IS
    'Links a lead to a client; the lead history records it. Returns the lead.';

CREATE OR REPLACE FUNCTION crm.order_candidates(order_id bigint)
    RETURNS TABLE (id bigint, number text, contact text, phone text, status text,
                   status_id bigint, client_id bigint, created_at timestamptz)
    LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_order_candidates';
REVOKE ALL ON FUNCTION crm.order_candidates(bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm.order_candidates(bigint) IS
    'Open, unlinked leads whose phone matches the order''s, newest first; nothing with order_link_mode off or without the right to see customers.';

CREATE OR REPLACE FUNCTION crm.link_order(order_id bigint, lead_id bigint)
    RETURNS crm.leads
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_link_order';
REVOKE ALL ON FUNCTION crm.link_order(bigint,bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm.link_order(bigint, bigint) IS
    'Links an order and an open lead both ways and moves the lead to the account''s order_won_status_id. Returns the lead.';

CREATE OR REPLACE FUNCTION crm._link_order(account bigint, order_id bigint, lead_id bigint)
    RETURNS crm.leads
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_link_order';
REVOKE ALL ON FUNCTION crm._link_order(bigint, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm._link_order(bigint, bigint, bigint) IS
    'The link of crm.link_order on Citus, delegated by crm.distribute() to the worker that holds the account (its account argument, which must be the session''s).';

GRANT EXECUTE ON FUNCTION crm.client_candidates(text), crm.order_candidates(bigint) TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.link_lead_client(bigint, bigint), crm.link_order(bigint, bigint),
                          crm._link_order(bigint, bigint, bigint) TO crm_manager;
