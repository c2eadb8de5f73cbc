-- Order insert in auto order-link mode: crm numbers it (ORD-{N:6}), normalises
-- the phone typed in local format to +7917KKKKKKK, and links the order to the
-- one open, unlinked lead with that phone (the next candidate of the pool,
-- data/40_linking.sql): both ways, the lead moves to "Won", history.
-- crm and plpgsql run this text.
\set a random(100, 10000)
INSERT INTO crm.orders (phone, amount)
VALUES ('8 (917) ' || overlay(overlay(lpad(nextval('public.order_pool_seq')::text, 7, '0') placing '-' from 4 for 0)
                              placing '-' from 7 for 0), :a);
