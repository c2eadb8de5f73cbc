-- client_place.sql: where a client is and what time it is there, from its first phone
-- (C: src/client_place.c; libphonenumber and its offline geocoder through
-- src/phones_shim.cc).  crm.invoice_card and crm.chat_list show client_country,
-- client_area, client_timezone and client_local_time computed with these at query time.

-- Called per row of those views and running no query: C without a SET clause, as the
-- CHECK helpers of values.sql.
CREATE OR REPLACE FUNCTION crm.phone_country(phone text) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE COST 100 AS 'MODULE_PATHNAME', 'crm_phone_country';
REVOKE ALL ON FUNCTION crm.phone_country(text) FROM PUBLIC;
COMMENT ON FUNCTION crm.phone_country(text) IS
    'The country (ISO 3166 alpha-2) of a valid phone number in E.164, by libphonenumber: +74951234567 -> RU; NULL for anything else and for numbers of no country (+800 ...).';

CREATE OR REPLACE FUNCTION crm.phone_area(phone text, language text DEFAULT 'en') RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE COST 100 AS 'MODULE_PATHNAME', 'crm_phone_area';
REVOKE ALL ON FUNCTION crm.phone_area(text,text) FROM PUBLIC;
COMMENT ON FUNCTION crm.phone_area(text, text) IS
    'The offline geocoder''s description of a valid phone number in E.164, in language (ISO 639, default en; English where the geocoder has no names in it): the area of a fixed line (+74951234567 -> Moscow), the country of a mobile (+79161234567 -> Russia); NULL when it has none. A language that is not a code raises 22023.';

CREATE OR REPLACE FUNCTION crm.country_timezone(country text) RETURNS text
    LANGUAGE c STABLE STRICT PARALLEL SAFE COST 100 AS 'MODULE_PATHNAME', 'crm_country_timezone';
REVOKE ALL ON FUNCTION crm.country_timezone(text) FROM PUBLIC;
COMMENT ON FUNCTION crm.country_timezone(text) IS
    'The time zone of a country (ISO 3166 alpha-2) that has exactly one in the tz database (BY -> Europe/Minsk); NULL for a country with several (RU, UA, KZ, US, ...) or an unknown code.';

GRANT EXECUTE ON FUNCTION crm.phone_country(text), crm.phone_area(text, text),
    crm.country_timezone(text) TO crm_reader;
