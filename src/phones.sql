-- phones.sql: phone normalisation (libphonenumber through src/phones_shim.cc).

CREATE OR REPLACE FUNCTION crm.normalize_phone(raw text, region text DEFAULT NULL) RETURNS text
    LANGUAGE c STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'crm_normalize_phone';
REVOKE ALL ON FUNCTION crm.normalize_phone(text,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.normalize_phone(text, text) IS
    'E.164 form of a phone number as dialled in region (default: the account''s default_region), or NULL when it is not a valid number.';

GRANT EXECUTE ON FUNCTION crm.normalize_phone(text, text) TO crm_reader;
