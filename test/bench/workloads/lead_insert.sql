-- Single-row lead insert: defaults, number, history (crm and plpgsql run this text).
\set c random(1, 20)
INSERT INTO crm.leads (contact_name, contact_phone, phone, campaign_id)
VALUES ('Bench lead', '+79161234567', '+79161234567', :c);
