\set dl random(-300, 300)
INSERT INTO crm.leads (type_id, contact_name, contact_phone, deadline, urgent)
VALUES (:t_repair, 'Load lead', '+7 916 555-00-00', now() + :dl * interval '1 second', :dl % 7 = 0);
