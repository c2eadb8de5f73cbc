-- Order insert in auto order-link mode: crm numbers it (ORD-{N:6}), normalises
-- the phone typed in local format to the +7916... of a random existing lead,
-- and links the order to the one open, unlinked lead with that phone: both
-- ways, the lead moves to "Won", history.  A lead that is closed or already
-- linked leaves the order unlinked (the note gives the fraction linked).
-- crm and plpgsql run this text.
\set l random(1, :nleads)
\set p :l % 10000000
\set a random(100, 10000)
INSERT INTO crm.orders (phone, amount)
VALUES ('8 (916) ' || overlay(overlay(lpad(:p::text, 7, '0') placing '-' from 4 for 0) placing '-' from 7 for 0), :a);
