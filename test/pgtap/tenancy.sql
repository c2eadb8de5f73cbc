-- Tenancy: the account setting, fail-closed policies, roles and grants.
BEGIN;
SELECT plan(16);

SELECT crm_test.company('Tenancy A') AS a \gset
SELECT crm_test.company('Tenancy B') AS b \gset
INSERT INTO crm.leads (account_id, contact_name) VALUES (:b, 'B lead');

-- Without crm.account_id a non-owner sees nothing and cannot write.
SELECT crm_test.act('crm_test_manager', NULL);
SELECT is((SELECT count(*) FROM crm.leads), 0::bigint, 'no account set: leads hidden');
SELECT is((SELECT count(*) FROM crm.accounts), 0::bigint, 'no account set: accounts hidden');
SELECT is((SELECT count(*) FROM crm.lead_board), 0::bigint, 'no account set: lead_board empty');
SELECT throws_ok($$INSERT INTO crm.leads (contact_name) VALUES ('x')$$, '42501',
    'no crm account is selected', 'no account set: insert fails with 42501');
SELECT throws_ok($$SELECT crm.current_account()$$, '42501', NULL, 'current_account() fails closed');
SELECT is(crm.session_account(), NULL, 'session_account() is NULL when unset');
RESET ROLE;

-- Account A sees only its own rows, and cannot write into B.
SELECT crm_test.act('crm_test_manager', :a, 'Anna');
SELECT is((SELECT count(*) FROM crm.accounts), 1::bigint, 'a manager sees only its account');
SELECT is((SELECT count(*) FROM crm.leads WHERE account_id = :b), 0::bigint, 'leads of B are invisible to A');
SELECT throws_ok(format($$INSERT INTO crm.leads (account_id, contact_name) VALUES (%s, 'x')$$, :b), '42501', NULL,
    'a manager of A cannot insert a lead into B');
SELECT is_empty(format($$UPDATE crm.leads SET comment = 'x' WHERE account_id = %s RETURNING id$$, :b),
    'a manager of A updates no lead of B');
SELECT is(crm.current_employee(), crm_test.id('employees', :a, 'Anna'), 'current_employee() reads crm.employee_id');

-- Managers cannot change settings; admins can.
SELECT throws_ok($$UPDATE crm.accounts SET client_link_mode = 'auto'$$, '42501', NULL,
    'a manager cannot change account settings');
SELECT throws_ok($$INSERT INTO crm.statuses (name) VALUES ('Mine')$$, '42501', NULL,
    'a manager cannot add statuses');
RESET ROLE;
SELECT crm_test.act('crm_test_admin', :a, 'Admin');
SELECT lives_ok($$UPDATE crm.accounts SET client_link_mode = 'auto'$$, 'an admin changes account settings');
RESET ROLE;
SELECT crm_test.act('crm_test_reader', :a);
SELECT throws_ok($$INSERT INTO crm.leads (contact_name) VALUES ('x')$$, '42501', NULL, 'a reader cannot write leads');
RESET ROLE;

SELECT throws_ok($$SET crm.account_id = 'abc'$$, '22023', NULL, 'a malformed crm.account_id is refused at SET');

SELECT * FROM finish();
ROLLBACK;
