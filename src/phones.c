/*
 * phones.c
 *	  Phone normalisation to E.164 (libphonenumber through phones_shim.cc), and
 *	  the account settings that phones, clients and linking read.
 *
 * crm_phone_e164() is what every trigger uses; crm.normalize_phone() is its
 * SQL face.  The account settings (default region, link modes, the order
 * status and numbering) are read once per transaction and account: a lead
 * insert reads them in two triggers, a bulk load in every row.  An UPDATE of
 * crm.accounts in this session forgets them at once (accounts_20_phone_settings).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "crm.h"
#include "phones_shim.h"

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

/* ---- account settings ---- */

static CrmPhoneSettings cached;
static bool cached_valid = false;
static MemoryContext settings_memory = NULL;
static bool callbacks_registered = false;

static void
forget_on_xact(XactEvent event, void *arg)
{
	cached_valid = false;
}

static void
forget_on_subxact(SubXactEvent event, SubTransactionId mySubid,
				  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		cached_valid = false;
}

static CrmPlan account_settings = {
	"SELECT default_region, client_link_mode, order_link_mode, order_won_status_id, "
	"order_number_template, timezone FROM crm.accounts WHERE id = $1",
	1, {INT8OID}
};

static void
copy_setting(char *dst, size_t size, const char *src)
{
	strlcpy(dst, src ? src : "", size);
}

const CrmPhoneSettings *
crm_phone_settings(int64 account_id)
{
	CrmUserSwitch user;
	Datum		arg = Int64GetDatum(account_id);
	bool		isnull;

	if (cached_valid && cached.account_id == account_id)
		return &cached;
	if (!callbacks_registered)
	{
		RegisterXactCallback(forget_on_xact, NULL);
		RegisterSubXactCallback(forget_on_subxact, NULL);
		callbacks_registered = true;
	}

	cached_valid = false;
	SPI_connect();
	crm_become_owner(&user);
	if (crm_exec(&account_settings, &arg, NULL, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("account %lld does not exist", (long long) account_id),
				 errhint("Set crm.account_id to the id of an account in crm.accounts.")));
	cached.account_id = account_id;
	copy_setting(cached.region, sizeof(cached.region), crm_get_text(0, 1));
	copy_setting(cached.client_link_mode, sizeof(cached.client_link_mode), crm_get_text(0, 2));
	copy_setting(cached.order_link_mode, sizeof(cached.order_link_mode), crm_get_text(0, 3));
	cached.order_won_status_id = crm_get_int64(0, 4, &isnull);
	cached.has_won_status = !isnull;
	if (settings_memory == NULL)
		settings_memory = AllocSetContextCreate(CacheMemoryContext, "crm phone settings",
												ALLOCSET_SMALL_SIZES);
	MemoryContextReset(settings_memory);
	cached.order_number_template = MemoryContextStrdup(settings_memory, crm_get_text(0, 5));
	cached.timezone = MemoryContextStrdup(settings_memory, crm_get_text(0, 6));
	crm_restore_user(&user);
	SPI_finish();
	cached_valid = true;
	return &cached;
}

/* AFTER UPDATE (statement) on crm.accounts: this session reads the settings again. */
PG_FUNCTION_INFO_V1(crm_phone_settings_changed);
Datum
crm_phone_settings_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_phone_settings_changed: must be called as trigger")));
	cached_valid = false;
	return PointerGetDatum(NULL);
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
	else if (crm_account_is_set)
		region = crm_phone_settings(crm_account_value)->region;
	else
		region = "ZZ";			/* no account: international format only */
	e164 = crm_phone_e164(raw, region);
	if (e164 == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(e164));
}
