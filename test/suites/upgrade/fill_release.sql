-- fill_release.sql: fills a database of a released version through that version's own
-- fixtures (crm_test.company, crm_test.fill), so that every table holds rows.
SELECT crm_test.fill(crm_test.company('Reliability A'), :n);
SELECT crm_test.fill(crm_test.company('Reliability B', 'DE'), :n);
-- The kept lead counts: fold the changes of the fill into crm.lead_counts, then make more.
SELECT crm.fold_lead_counts();
SELECT crm_test.fill(crm_test.company('Reliability C'), 2);
