-- The campaign report of the account.
SELECT * FROM crm.campaign_report WHERE account_id = 1;
