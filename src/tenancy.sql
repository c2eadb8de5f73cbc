-- tenancy.sql: accounts, employees, the current account and employee, roles,
-- the per-transaction account settings.
-- Every function pins its search_path; every table gets row-level security by
-- account from crm._secure_all_tables() in finish.sql.
-- The ranges of times and intervals are checked by its trigger of value_checks.sql.
COMMENT ON TABLE crm.accounts IS
    E'@foreignKey (client_link_mode) references crm.link_modes (value)\n'
    '@foreignKey (order_link_mode) references crm.link_modes (value)\n'
    '@foreignKey (lead_manager_mode) references crm.lead_manager_modes (value)\n'
    '@foreignKey (inbound_lead_mode) references crm.inbound_lead_modes (value)\n'
    'Tenants and their settings; a role sees only its own account. Created by the owner; crm_admin edits the settings.';
COMMENT ON COLUMN crm.accounts.id IS
    'The account''s id (an identity): the value of crm.account_id, and the account_id of every row of the account.';
COMMENT ON COLUMN crm.accounts.name IS 'The account''s name, usually the company''s.';
COMMENT ON COLUMN crm.accounts.default_region IS
    'ISO 3166-1 alpha-2 region, two capital letters (default RU), in which phones are read when they have no country code.';
COMMENT ON COLUMN crm.accounts.timezone IS
    'Time zone name from pg_timezone_names (default UTC): the {YYYY} and {MM} of numbers and the times of notices are in it.';
COMMENT ON COLUMN crm.accounts.client_link_mode IS
    'A new lead and the clients with its phone: off (nothing), suggest (default: crm.client_candidates lists them), auto (also linked at insert when exactly one matches).';
COMMENT ON COLUMN crm.accounts.order_link_mode IS
    'A new order and the open leads with its phone: off (nothing), suggest (default: crm.order_candidates lists them), auto (also linked at insert when exactly one matches).';
COMMENT ON COLUMN crm.accounts.order_won_status_id IS
    'The status a lead moves to when an order is linked to it, whatever the transition rules; NULL: linking only links.';
COMMENT ON COLUMN crm.accounts.no_answer_first_retry IS
    'After the first no_answer call in a row, the next call is this long after it (default 1 hour); moves time forward, at most 100 years.';
COMMENT ON COLUMN crm.accounts.no_answer_next_retry IS
    'After each further no_answer call in a row, the next call is this long after it (default 24 hours); moves time forward, at most 100 years.';
COMMENT ON COLUMN crm.accounts.invoice_number_template IS
    'Number template of the account''s invoices (default INV-{N:6}), checked by crm.number_template_ok.';
COMMENT ON COLUMN crm.accounts.order_number_template IS
    'Number template of the account''s orders (default ORD-{N:6}), checked by crm.number_template_ok.';
COMMENT ON COLUMN crm.accounts.created_at IS 'When the account was created (default: the transaction time).';

COMMENT ON TABLE crm.employees IS
    E'@foreignKey (role) references crm.employee_roles (value)\n'
    'The people who work in an account; crm.employee_id names the acting one. Edited by crm_admin.';
COMMENT ON COLUMN crm.employees.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.employees.id IS 'The employee''s id (an identity; the key is (account_id, id)): the value of crm.employee_id.';
COMMENT ON COLUMN crm.employees.name IS 'The employee''s name, as views and history show it.';
COMMENT ON COLUMN crm.employees.email IS
    'Where crm''s mail for the employee goes: overdue notices of its leads, copies of call emails; NULL: none.';
COMMENT ON COLUMN crm.employees.role IS
    'The employee''s job: admin, manager (default), operator or reader. A label for the application: privileges come from the login''s crm roles.';
COMMENT ON COLUMN crm.employees.can_see_customers IS
    'Whether the employee may see customer data (default true); false hides clients, phones, leads, orders, messages, calls, outbox rows and invoices with an ip.';
COMMENT ON COLUMN crm.employees.active IS
    'Whether the employee still works (default true); an inactive one gets no failed-payment alerts and cannot claim calls.';
COMMENT ON COLUMN crm.employees.created_at IS 'When the employee was added (default: the transaction time).';

GRANT SELECT ON crm.accounts, crm.employees TO crm_reader;
GRANT UPDATE (name, default_region, timezone, client_link_mode, order_link_mode, order_won_status_id,
              no_answer_first_retry, no_answer_next_retry, invoice_number_template, order_number_template)
    ON crm.accounts TO crm_admin;
GRANT INSERT, UPDATE, DELETE ON crm.employees TO crm_admin;
