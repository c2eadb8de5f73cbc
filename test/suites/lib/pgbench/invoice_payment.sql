\set c random(:client_lo, :client_hi)
\set ok random(0, 1)
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 100) RETURNING id AS inv \gset
INSERT INTO crm.payments (invoice_id, amount, succeeded, failure_reason)
VALUES (:inv, 100, :ok = 1, CASE WHEN :ok = 0 THEN 'declined' END);
