SELECT * FROM crm.run_due(now(), 50);
