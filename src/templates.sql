-- templates.sql: message templates and the transactional outbox.
COMMENT ON TABLE crm.message_templates IS
    'Email templates with {$...} variables, sent after calls (crm.calls.template_id); edited by crm_admin.';
COMMENT ON COLUMN crm.message_templates.account_id IS 'The account the row belongs to (default crm.current_account()).';
COMMENT ON COLUMN crm.message_templates.id IS 'The template''s id (an identity; the key is (account_id, id)).';
COMMENT ON COLUMN crm.message_templates.name IS 'The template''s name, unique per account.';
COMMENT ON COLUMN crm.message_templates.subject IS 'The subject, with variables (default empty).';
COMMENT ON COLUMN crm.message_templates.body IS
    'The body, with variables {$name} {$phone} {$email} {$manager_name} {$invoice_number} {$amount} {$attrs.KEY}; an unknown one is refused (22023).';
COMMENT ON COLUMN crm.message_templates.created_at IS 'When the template was created (default: the transaction time).';

GRANT SELECT ON crm.message_templates, crm.outbox TO crm_reader;
GRANT INSERT, UPDATE, DELETE ON crm.message_templates TO crm_admin;

CREATE OR REPLACE FUNCTION crm._message_template_check() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_message_template_check';
REVOKE ALL ON FUNCTION crm._message_template_check() FROM PUBLIC;
COMMENT ON FUNCTION crm._message_template_check() IS
    'Trigger message_templates_10_check: every {$...} in subject and body is a known variable (else 22023).';
CREATE OR REPLACE TRIGGER message_templates_10_check BEFORE INSERT OR UPDATE OF subject, body ON crm.message_templates
    FOR EACH ROW EXECUTE FUNCTION crm._message_template_check();

-- Variables: {$name} {$phone} {$email} {$manager_name} {$invoice_number} {$amount} {$attrs.KEY}.
CREATE OR REPLACE FUNCTION crm.render_template(body text, client_id bigint, invoice_id bigint DEFAULT NULL)
    RETURNS text LANGUAGE c STABLE SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_render_template';
REVOKE ALL ON FUNCTION crm.render_template(text,bigint,bigint) FROM PUBLIC;
COMMENT ON FUNCTION crm.render_template(text, bigint, bigint) IS
    'Renders a template body for a client and, optionally, an invoice: each variable becomes its value, inserted as it is (never expanded again).';
GRANT EXECUTE ON FUNCTION crm.render_template(text, bigint, bigint) TO crm_reader;
