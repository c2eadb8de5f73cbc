-- templates.sql: message templates and the transactional outbox.

GRANT SELECT ON crm.message_templates, crm.outbox TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.message_templates TO crm_admin;

CREATE OR REPLACE FUNCTION crm._message_template_check() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_message_template_check';
REVOKE ALL ON FUNCTION crm._message_template_check() FROM PUBLIC;
CREATE OR REPLACE TRIGGER message_templates_10_check BEFORE INSERT OR UPDATE OF subject, body ON crm.message_templates
    FOR EACH ROW EXECUTE FUNCTION crm._message_template_check();

-- Variables: {$name} {$phone} {$email} {$manager_name} {$invoice_number} {$amount} {$attrs.KEY}.
CREATE OR REPLACE FUNCTION crm.render_template(body text, client_id bigint, invoice_id bigint DEFAULT NULL)
    RETURNS text LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_render_template';
REVOKE ALL ON FUNCTION crm.render_template(text,bigint,bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crm.render_template(text, bigint, bigint) TO crm_reader;
