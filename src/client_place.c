/*
 * client_place.c
 *	  Where a client is and what time it is there, from its first phone: the
 *	  country (ISO 3166 alpha-2) and the offline geocoder's description of the
 *	  area (phones_shim.cc over libphonenumber and libgeocoding), and the time
 *	  zone of a country that has only one (country_zones.c, from the tz
 *	  database's zone.tab: libphonenumber's C++ library has no time zone
 *	  mapper).  crm.invoice_card and crm.chat_list compute client_country,
 *	  client_area, client_timezone and client_local_time from them at query
 *	  time: clients.timezone when set, else the country's single zone, else
 *	  the account's.
 *
 * The functions run no query and are called per row of those views: C
 * without a SET clause (as the CHECK helpers of values.sql), each one a
 * lookup of at most a few microseconds.
 *
 * Functions: crm.phone_country, crm.phone_area, crm.country_timezone.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/builtins.h"

#include "client_place.h"
#include "phones_shim.h"

static void
warn_library_failed(const char *phone)
{
	ereport(WARNING,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("phone number library failed on \"%s\"", phone),
			 errdetail("The number is treated as not valid.")));
}

/* crm.phone_country(phone): the ISO 3166 alpha-2 code of a valid E.164 number, else NULL. */
PG_FUNCTION_INFO_V1(crm_phone_country);
Datum
crm_phone_country(PG_FUNCTION_ARGS)
{
	text	   *phone = PG_GETARG_TEXT_PP(0);
	char		out[CRM_PHONE_SHIM_REGION_SIZE];
	int			rc;

	rc = crm_phone_shim_country(VARDATA_ANY(phone), VARSIZE_ANY_EXHDR(phone), out, sizeof(out));
	if (rc == CRM_PHONE_SHIM_ERROR)
		warn_library_failed(text_to_cstring(phone));
	if (rc != CRM_PHONE_SHIM_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* A language the geocoder is asked in: ISO 639 letters, then a script or region. */
static const char *
checked_language(text *given)
{
	char	   *language = text_to_cstring(given);
	size_t		len = strlen(language);
	bool		ok = len >= 2 && len <= CRM_PHONE_SHIM_MAX_LANGUAGE;

	for (size_t i = 0; ok && i < len; i++)
	{
		unsigned char c = (unsigned char) language[i];

		ok = (c < 0x80 && isalpha(c)) ||
			(i >= 2 && (c == '_' || c == '-' || (c >= '0' && c <= '9')));
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("language \"%s\" is not valid", language),
				 errdetail("A language is an ISO 639 code of two or three letters, optionally followed by a script or region (\"pt_BR\"), at most %d characters.",
						   CRM_PHONE_SHIM_MAX_LANGUAGE),
				 errhint("Use 'en' (the default), 'ru' or 'uk'.")));
	return language;
}

/*
 * crm.phone_area(phone, language DEFAULT 'en'): the geocoder's description of
 * a valid E.164 number ("Moscow", or "Russia" for a mobile), else NULL.
 */
PG_FUNCTION_INFO_V1(crm_phone_area);
Datum
crm_phone_area(PG_FUNCTION_ARGS)
{
	text	   *phone = PG_GETARG_TEXT_PP(0);
	const char *language = checked_language(PG_GETARG_TEXT_PP(1));
	char		out[CRM_PHONE_SHIM_AREA_SIZE];
	int			rc;

	rc = crm_phone_shim_area(VARDATA_ANY(phone), VARSIZE_ANY_EXHDR(phone), language,
							 out, sizeof(out));
	if (rc == CRM_PHONE_SHIM_ERROR)
		warn_library_failed(text_to_cstring(phone));
	if (rc != CRM_PHONE_SHIM_OK)
		PG_RETURN_NULL();
	/* The geocoder speaks UTF-8. */
	PG_RETURN_TEXT_P(cstring_to_text(pg_any_to_server(out, (int) strlen(out), PG_UTF8)));
}

static int
compare_country(const void *key, const void *entry)
{
	return strcmp((const char *) key, ((const CrmCountryZone *) entry)->country);
}

/*
 * crm.country_timezone(country): the zone of a country that has exactly one
 * (and that this server's time zone data know), else NULL.
 */
PG_FUNCTION_INFO_V1(crm_country_timezone);
Datum
crm_country_timezone(PG_FUNCTION_ARGS)
{
	text	   *given = PG_GETARG_TEXT_PP(0);
	char		country[3];
	const CrmCountryZone *zones,
			   *found;
	int			count;

	if (VARSIZE_ANY_EXHDR(given) != 2)
		PG_RETURN_NULL();
	country[0] = pg_ascii_toupper((unsigned char) VARDATA_ANY(given)[0]);
	country[1] = pg_ascii_toupper((unsigned char) VARDATA_ANY(given)[1]);
	country[2] = '\0';
	zones = crm_country_zones(&count);
	found = bsearch(country, zones, count, sizeof(CrmCountryZone), compare_country);
	if (found == NULL || pg_tzset(found->zone) == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(found->zone));
}
