SELECT * FROM crm.run_due(now() + interval '10 minutes', 50);
