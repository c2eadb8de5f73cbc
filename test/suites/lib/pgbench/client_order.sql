\set c random(:client_lo, :client_hi)
BEGIN;
INSERT INTO crm.clients (name, city) VALUES ('Load client', 'Москва');
INSERT INTO crm.orders (client_id, phone, amount) VALUES (:c, '+7 916 555-00-01', 100);
COMMIT;
