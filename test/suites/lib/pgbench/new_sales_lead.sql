INSERT INTO crm.leads (contact_name) VALUES ('Load sales lead');
