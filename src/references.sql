-- references.sql: the references crm checks instead of a foreign key
-- (references.c): accounts.order_won_status_id, so that no two tables refer to
-- each other; login_bindings' account and employee, so that it can be a Citus
-- reference table.

CREATE OR REPLACE FUNCTION crm._account_order_status() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_account_order_status';
REVOKE ALL ON FUNCTION crm._account_order_status() FROM PUBLIC;
COMMENT ON FUNCTION crm._account_order_status() IS
    'Trigger: accounts.order_won_status_id names a status of the account (23503 otherwise); the status is locked as a foreign key locks it.';
CREATE OR REPLACE TRIGGER accounts_10_order_status
    BEFORE INSERT OR UPDATE OF id, order_won_status_id ON crm.accounts
    FOR EACH ROW EXECUTE FUNCTION crm._account_order_status();

CREATE OR REPLACE FUNCTION crm._order_status_kept() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_order_status_kept';
REVOKE ALL ON FUNCTION crm._order_status_kept() FROM PUBLIC;
COMMENT ON FUNCTION crm._order_status_kept() IS
    'Trigger: a status named by accounts.order_won_status_id is neither deleted nor given another key (23503).';
CREATE OR REPLACE TRIGGER statuses_10_order_status
    BEFORE DELETE OR UPDATE OF account_id, id ON crm.statuses
    FOR EACH ROW EXECUTE FUNCTION crm._order_status_kept();

CREATE OR REPLACE FUNCTION crm._account_binding_kept() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_account_binding_kept';
REVOKE ALL ON FUNCTION crm._account_binding_kept() FROM PUBLIC;
COMMENT ON FUNCTION crm._account_binding_kept() IS
    'Trigger: an account named by crm.login_bindings is neither deleted nor given another id (23503).';
CREATE OR REPLACE TRIGGER accounts_10_login_bindings
    BEFORE DELETE OR UPDATE OF id ON crm.accounts
    FOR EACH ROW EXECUTE FUNCTION crm._account_binding_kept();

CREATE OR REPLACE FUNCTION crm._employee_binding_kept() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_employee_binding_kept';
REVOKE ALL ON FUNCTION crm._employee_binding_kept() FROM PUBLIC;
COMMENT ON FUNCTION crm._employee_binding_kept() IS
    'Trigger: an employee named by crm.login_bindings is neither deleted nor given another key (23503).';
CREATE OR REPLACE TRIGGER employees_10_login_bindings
    BEFORE DELETE OR UPDATE OF account_id, id ON crm.employees
    FOR EACH ROW EXECUTE FUNCTION crm._employee_binding_kept();
