-- A new lead of either type, with a phone from the account's pool of 40 (so orders
-- and clients match it), a deadline from 20 s ago to 4 min ahead, sometimes urgent.
\set a random(1, :accounts)
\set e random(1, 3)
\set p random(10, 49)
\set dl random(-20, 240)
\set ty random(0, 2)
SELECT crm_soak.attempt('lead_new', :a, :e, $$
INSERT INTO crm.leads (type_id, contact_name, contact_phone, deadline, urgent, campaign_id)
SELECT CASE WHEN :ty = 0 THEN i.t_repair ELSE i.t_sales END, 'Soak lead :p', '+7 916 700-00-:p',
       now() + :dl * interval '1 second', :dl % 7 = 0, CASE WHEN :dl % 2 = 0 THEN i.campaign END
FROM crm_soak.ids i WHERE i.account_id = :a RETURNING id$$);
