-- crm.run_due in batches of 50, as a crm_service session naming no account (so every
-- account's due work), beside the background worker; two clients run this.
\sleep 20 ms
SELECT crm_soak.attempt('run_due', NULL, NULL, $$SELECT sum(handled) FROM crm.run_due(now(), 50)$$);
