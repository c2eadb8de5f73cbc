/*
 * phones.c
 *	  Phone normalisation to E.164 (libphonenumber through phones_shim.cc), and
 *	  the columns crm derives from a raw phone.
 *
 * crm_phone_e164() is what every trigger uses; crm.normalize_phone() is its
 * SQL face.  crm_phone_derive() fills an E.164 column from its raw column in
 * the account's default region (leads.phone, orders.phone_e164,
 * client_phones.phone) and refuses a different value written into it.
 *
 * Functions: crm.normalize_phone.
 * C API (phones.h): crm_phone_e164, crm_phone_derive.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "crm.h"
#include "identity.h"
#include "phones.h"
#include "phones_shim.h"
#include "tenancy.h"

/* ---- normalisation ---- */

char *
crm_phone_e164(const char *raw, const char *region)
{
	char		out[CRM_PHONE_SHIM_OUT_SIZE];
	size_t		len;
	const char *utf8;
	int			rc;

	if (raw == NULL)
		return NULL;
	len = strlen(raw);
	if (len == 0 || len > CRM_PHONE_SHIM_MAX_INPUT)
		return NULL;
	utf8 = pg_server_to_any(raw, (int) len, PG_UTF8);
	if (utf8 != raw)
		len = strlen(utf8);
	rc = crm_phone_shim_e164(utf8, len, region ? region : "ZZ", out, sizeof(out));
	if (rc == CRM_PHONE_SHIM_ERROR)
		ereport(WARNING,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("phone number library failed on \"%s\"", raw),
				 errdetail("The number is treated as not valid.")));
	return rc == CRM_PHONE_SHIM_OK ? pstrdup(out) : NULL;
}

/* Upper-cased, checked region code; raises 22023 for one libphonenumber does not know. */
static char *
checked_region(const char *given)
{
	char	   *region = pstrdup(given);

	for (char *p = region; *p; p++)
		*p = pg_ascii_toupper((unsigned char) *p);
	if (strcmp(region, "ZZ") != 0 && !crm_phone_shim_region_known(region))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("region \"%s\" is not known", given),
				 errdetail("\"%s\" is not an ISO 3166 alpha-2 code with a numbering plan.", given),
				 errhint("Use a code such as 'RU', 'UA' or 'US', or 'ZZ' for international format only.")));
	return region;
}

/* ---- derived columns ---- */

static void
refuse_invalid(const char *raw, const char *region)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("phone number \"%s\" is not valid", raw),
			 errdetail("\"%s\" is not a valid phone number in region %s or in international format.",
					   raw, region),
			 errhint("Write the number as dialled in %s or with its country code, for example +7 916 123-45-67.",
					 region)));
}

static void
refuse_written(const CrmPhoneColumn *col, const char *written, const char *raw)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot write \"%s\" into column \"%s\" of crm.%s", written, col->column, col->table),
			 errdetail("%s is the E.164 form of %s \"%s\" and is filled from it.",
					   col->column, col->source, raw ? raw : "(null)"),
			 errhint("Write the number into %s only.", col->source)));
}

char *
crm_phone_derive(const CrmPhoneColumn *col, int64 account_id, const char *raw, const char *written)
{
	char	   *e164 = NULL;

	if (raw != NULL)
	{
		const char *region = crm_account_settings(account_id)->region;

		e164 = crm_phone_e164(raw, region);
		if (e164 == NULL && col->required)
			refuse_invalid(raw, region);
	}
	if (written != NULL && (e164 == NULL || strcmp(written, e164) != 0))
		refuse_written(col, written, raw);
	return e164;
}

/* ---- SQL ---- */

/* crm.normalize_phone(raw, region DEFAULT NULL): E.164 or NULL. */
PG_FUNCTION_INFO_V1(crm_normalize_phone);
Datum
crm_normalize_phone(PG_FUNCTION_ARGS)
{
	char	   *raw;
	const char *region;
	char	   *e164;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	raw = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
		region = checked_region(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	else
	{
		bool		no_account;
		int64		account_id = crm_actor_account(&no_account);

		/* no account: international format only */
		region = no_account ? "ZZ" : crm_account_settings(account_id)->region;
	}
	e164 = crm_phone_e164(raw, region);
	if (e164 == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(e164));
}
