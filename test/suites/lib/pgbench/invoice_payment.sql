\set c random(:client_lo, :client_hi)
\set ok random(0, 1)
INSERT INTO crm.invoices (client_id, amount) VALUES (:c, 100);
INSERT INTO crm.payments (invoice_id, amount, succeeded, failure_reason)
SELECT max(id), 100, :ok = 1, CASE WHEN :ok = 0 THEN 'declined' END FROM crm.invoices WHERE account_id = :acc AND client_id = :c;
