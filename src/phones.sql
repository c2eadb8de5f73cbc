-- phones.sql: phone normalisation (libphonenumber through src/phones_shim.cc).

CREATE FUNCTION crm.normalize_phone(raw text, region text DEFAULT NULL) RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_normalize_phone';
COMMENT ON FUNCTION crm.normalize_phone(text, text) IS
    'E.164 form of a phone number as dialled in region (default: the account''s default_region), or NULL when it is not a valid number.';

-- The account settings read by phones and linking are kept per transaction;
-- this session forgets them when it changes them.
CREATE FUNCTION crm._phone_settings_changed() RETURNS trigger
    LANGUAGE c SET search_path = pg_catalog, pg_temp AS 'MODULE_PATHNAME', 'crm_phone_settings_changed';
CREATE TRIGGER accounts_20_phone_settings AFTER UPDATE ON crm.accounts
    FOR EACH STATEMENT EXECUTE FUNCTION crm._phone_settings_changed();

GRANT EXECUTE ON FUNCTION crm.normalize_phone(text, text) TO crm_reader;
