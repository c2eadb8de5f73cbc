-- Single-row lead insert with the phone typed in local format: the phone is
-- normalised in the account's region (RU) to the client's +7903NNNNNNN, the
-- one client with that phone is linked (client_linked), and the open lead
-- searches for an unlinked order with its phone (auto order-link mode; none has it).
-- crm and plpgsql run this text.
\set c random(1, :ncli)
\set cp random(1, 20)
INSERT INTO crm.leads (contact_name, contact_phone, campaign_id)
VALUES ('Bench lead', '8 (903) ' || overlay(overlay(lpad(:c::text, 7, '0') placing '-' from 4 for 0) placing '-' from 7 for 0), :cp);
