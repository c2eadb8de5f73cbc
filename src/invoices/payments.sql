-- invoices/payments.sql: payments and refunds (C: src/invoices/payments.c;
-- autopay charges: src/invoices/autopay.c).
COMMENT ON TABLE crm.payments IS
    E'@foreignKey (account_id) references crm.accounts (id)|@fieldName account|@foreignFieldName payments\n'
    '@foreignKey (kind) references crm.payment_kinds (value)\n'
    'Payments, prepayments, autopay charge results and refunds of invoices: facts, never updated or deleted; each moves its invoice.';
COMMENT ON COLUMN crm.payments.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.payments.id IS 'The payment''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.payments.invoice_id IS 'The invoice paid or refunded.';
COMMENT ON COLUMN crm.payments.kind IS
    'The kind of payment: payment (default), prepayment, autopay (the result of an autopay charge) or refund.';
COMMENT ON COLUMN crm.payments.amount IS
    'The amount, a number greater than 0 (a refund too): a payment at most what is still due (an autopay charge is the full amount), a refund at most what is paid.';
COMMENT ON COLUMN crm.payments.succeeded IS
    'Whether the payment went through; a failed one changes no amount or status, and may alert the Important inbox.';
COMMENT ON COLUMN crm.payments.failure_reason IS 'Why the payment failed, as reported; NULL: none given.';
COMMENT ON COLUMN crm.payments.external_id IS
    'The payment provider''s id, unique per account: the same id reported again returns the first row and changes nothing. NULL: none.';
COMMENT ON COLUMN crm.payments.at IS
    'When the payment happened (default: the transaction time); a failure alerts the employees who wrote to the client before it.';
COMMENT ON COLUMN crm.payments.employee_id IS
    'The employee who recorded it: the acting one (naming another raises 42501); NULL on insert: the acting employee, if any.';
COMMENT ON COLUMN crm.payments.created_at IS 'When the row was written (default: the transaction time).';

GRANT SELECT ON crm.payments TO crm_reader;
GRANT INSERT ON crm.payments TO crm_manager;

-- Payments move the invoice from their BEFORE trigger, so that several
-- payments in one statement are judged one after the other.
CREATE OR REPLACE FUNCTION crm._payment_before_insert() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_payment_before_insert';
REVOKE ALL ON FUNCTION crm._payment_before_insert() FROM PUBLIC;
COMMENT ON FUNCTION crm._payment_before_insert() IS
    'Trigger payment_10_before_insert: judges the payment against its invoice and moves the invoice; a known external_id is skipped.';

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

-- failed: the order is "failed" (as the web shop reports it), or the invoice's latest
-- payment attempt failed; a frontend shows those rows in red.
CREATE OR REPLACE VIEW crm.client_orders WITH (security_invoker = true) AS
SELECT o.account_id, o.client_id, 'order'::text AS kind, o.id, o.number, o.status,
       o.amount, o.status = 'failed' AS failed, o.created_at
FROM crm.orders o
WHERE o.client_id IS NOT NULL
UNION ALL
SELECT i.account_id, i.client_id, 'invoice', i.id, i.number, i.status, i.amount,
       coalesce((SELECT NOT p.succeeded FROM crm.payments p
                 WHERE p.account_id = i.account_id AND p.invoice_id = i.id
                 ORDER BY p.at DESC, p.id DESC LIMIT 1), false),
       i.created_at
FROM crm.invoices i;
COMMENT ON VIEW crm.client_orders IS
    E'@primaryKey account_id,kind,id\n'
    '@foreignKey (account_id,client_id) references crm.clients (account_id,id)|@fieldName clientRow|@foreignFieldName orderRows\n'
    'A client''s orders and invoices in one list.';
COMMENT ON COLUMN crm.client_orders.account_id IS 'The account of the order or invoice.';
COMMENT ON COLUMN crm.client_orders.client_id IS 'The client''s id.';
COMMENT ON COLUMN crm.client_orders.kind IS 'The kind of row, order or invoice: the table its id belongs to.';
COMMENT ON COLUMN crm.client_orders.id IS 'The order''s or the invoice''s id.';
COMMENT ON COLUMN crm.client_orders.number IS 'The order''s or the invoice''s number.';
COMMENT ON COLUMN crm.client_orders.status IS 'The order''s status (new, paid, cancelled, failed) or the invoice''s.';
COMMENT ON COLUMN crm.client_orders.amount IS 'The order''s or the invoice''s amount.';
COMMENT ON COLUMN crm.client_orders.failed IS 'Whether the order failed, or the invoice''s latest payment attempt failed (shown in red).';
COMMENT ON COLUMN crm.client_orders.created_at IS 'When the order or invoice was created.';

GRANT SELECT ON crm.client_orders TO crm_reader;
GRANT EXECUTE ON FUNCTION crm.refund_invoice(bigint, text),
    crm.record_payment(bigint, numeric, boolean, text, timestamptz, text, text) TO crm_manager;
