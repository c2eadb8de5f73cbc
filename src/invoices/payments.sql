-- invoices/payments.sql: payments and refunds (C: src/invoices/payments.c;
-- autopay charges: src/invoices/autopay.c).

GRANT SELECT ON crm.payments TO crm_reader;
GRANT INSERT ON crm.payments TO crm_manager;

-- Payments move the invoice from their BEFORE trigger, so that several
-- payments in one statement are judged one after the other.
CREATE OR REPLACE FUNCTION crm._payment_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_payment_before_insert';
REVOKE ALL ON FUNCTION crm._payment_before_insert() FROM PUBLIC;

CREATE OR REPLACE TRIGGER payment_10_before_insert BEFORE INSERT ON crm.payments
    FOR EACH ROW EXECUTE FUNCTION crm._payment_before_insert();
CREATE OR REPLACE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON crm.payments
    FOR EACH ROW EXECUTE FUNCTION crm._append_only();
CREATE OR REPLACE TRIGGER payments_no_truncate BEFORE TRUNCATE ON crm.payments
    FOR EACH STATEMENT EXECUTE FUNCTION crm._append_only();

CREATE OR REPLACE FUNCTION crm.refund_invoice(invoice_id bigint, comment text DEFAULT NULL) RETURNS crm.invoices
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_refund_invoice';
REVOKE ALL ON FUNCTION crm.refund_invoice(bigint,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.refund_invoice(bigint, text) IS
    'Refunds a paid invoice: records a refund of what is still paid (if anything) and moves it to refunded.';
CREATE OR REPLACE FUNCTION crm.record_payment(invoice_id bigint, amount numeric, succeeded boolean,
                                   kind text DEFAULT 'payment', at timestamptz DEFAULT now(),
                                   failure_reason text DEFAULT NULL, external_id text DEFAULT NULL)
    RETURNS crm.payments
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_record_payment';
REVOKE ALL ON FUNCTION crm.record_payment(bigint,numeric,boolean,text,timestamp with time zone,text,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.record_payment(bigint, numeric, boolean, text, timestamptz, text, text) IS
    'Records a payment, prepayment, autopay charge result or refund; the same external_id twice returns the first row.';

-- failed: the invoice's latest payment attempt failed.
CREATE OR REPLACE VIEW crm.client_orders WITH (security_invoker = true) AS
SELECT o.account_id, o.client_id, 'order'::text AS kind, o.id, o.number, NULL::text AS status,
       o.amount, false AS failed, o.created_at
FROM crm.orders o
WHERE o.client_id IS NOT NULL
UNION ALL
SELECT i.account_id, i.client_id, 'invoice', i.id, i.number, i.status, i.amount,
       coalesce((SELECT NOT p.succeeded FROM crm.payments p
                 WHERE p.account_id = i.account_id AND p.invoice_id = i.id
                 ORDER BY p.at DESC, p.id DESC LIMIT 1), false),
       i.created_at
FROM crm.invoices i;

GRANT SELECT ON crm.client_orders TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.refund_invoice(bigint, text),
    crm.record_payment(bigint, numeric, boolean, text, timestamptz, text, text) TO crm_manager;
