-- identity.sql: logins bound to an account and an employee (identity.c).
-- A bound login acts in its binding whatever it sets; members of crm_service choose
-- the account per transaction; any other role (but the owner) acts in no account.
COMMENT ON TABLE crm.login_bindings IS
    E'@foreignKey (account_id) references crm.accounts (id)|@fieldName account|@foreignFieldName loginBindings\n'
    '@foreignKey (account_id,employee_id) references crm.employees (account_id,id)|@fieldName employee|@foreignFieldName loginBindings\n'
    'Login roles bound to an account (and an employee) by crm.bind_login; by role name, so a dump restores them onto the roles of the same names.';
COMMENT ON COLUMN crm.login_bindings.role_name IS
    'The bound login role, by name: a renamed role loses its binding and fails closed.';
COMMENT ON COLUMN crm.login_bindings.account_id IS 'The account the login acts in, whatever it sets.';
COMMENT ON COLUMN crm.login_bindings.employee_id IS
    'The employee the login acts as, whatever it sets; NULL: none (a reporting login).';
COMMENT ON COLUMN crm.login_bindings.bound_at IS 'When crm.bind_login made or last replaced the binding.';

CREATE OR REPLACE FUNCTION crm._login_bindings_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_login_bindings_changed';
REVOKE ALL ON FUNCTION crm._login_bindings_changed() FROM PUBLIC;
COMMENT ON FUNCTION crm._login_bindings_changed() IS
    'Trigger login_bindings_90_changed: every backend forgets the bindings it knows after a change of crm.login_bindings.';
CREATE OR REPLACE TRIGGER login_bindings_90_changed AFTER INSERT OR UPDATE OR DELETE ON crm.login_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION crm._login_bindings_changed();
CREATE OR REPLACE TRIGGER login_bindings_90_changed_truncate AFTER TRUNCATE ON crm.login_bindings
    FOR EACH STATEMENT EXECUTE FUNCTION crm._login_bindings_changed();

CREATE OR REPLACE FUNCTION crm.bind_login(role regrole, account_id bigint, employee_id bigint DEFAULT NULL) RETURNS void
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_bind_login';
REVOKE ALL ON FUNCTION crm.bind_login(regrole,bigint,bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm.bind_login(regrole, bigint, bigint) IS
    'Binds a login role to an account and, optionally, an employee (replacing its binding); for a superuser or the owner of schema crm.';
CREATE OR REPLACE FUNCTION crm.unbind_login(role regrole) RETURNS boolean
    LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_unbind_login';
REVOKE ALL ON FUNCTION crm.unbind_login(regrole) FROM PUBLIC;
COMMENT ON FUNCTION crm.unbind_login(regrole) IS
    'Removes the binding of a login role (true when it had one); for a superuser or the owner of schema crm.';

-- The account's bound logins, for its administrators.
CREATE OR REPLACE VIEW crm.login_binding_list WITH (security_invoker = true) AS
SELECT b.account_id, b.role_name AS id, b.role_name, b.employee_id, e.name AS employee_name, b.bound_at
FROM crm.login_bindings b
LEFT JOIN crm.employees e ON e.account_id = b.account_id AND e.id = b.employee_id;
COMMENT ON VIEW crm.login_binding_list IS
    E'@primaryKey id\n'
    '@foreignKey (id) references crm.login_bindings (role_name)|@fieldName binding|@foreignSingleFieldName listRow|@foreignFieldName listRows\n'
    '@foreignKey (account_id,employee_id) references crm.employees (account_id,id)|@fieldName employee|@foreignFieldName bindingListRows\n'
    'The login roles bound to this account, with their employees; for crm_admin.';
COMMENT ON COLUMN crm.login_binding_list.account_id IS 'The account the login is bound to.';
COMMENT ON COLUMN crm.login_binding_list.id IS 'The key of the row: the role name (crm.login_bindings.role_name).';
COMMENT ON COLUMN crm.login_binding_list.role_name IS 'The bound login role.';
COMMENT ON COLUMN crm.login_binding_list.employee_id IS 'The employee the login acts as; NULL: none.';
COMMENT ON COLUMN crm.login_binding_list.employee_name IS 'That employee''s name; NULL without one.';
COMMENT ON COLUMN crm.login_binding_list.bound_at IS 'When the binding was made or last replaced.';

GRANT SELECT ON crm.login_bindings, crm.login_binding_list TO crm_admin;
