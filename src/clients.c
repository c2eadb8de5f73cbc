/*
 * clients.c
 *	  Client phones (raw and E.164) and the right to see customers.
 *
 * Triggers:
 *	client_phones_10_phone	BEFORE INSERT OR UPDATE: phone = E.164 of raw in the
 *							account's region; a number that is not valid is refused
 * Functions: crm.can_see_customers(), used by the RESTRICTIVE policies on
 * crm.clients and crm.client_phones and by the candidates functions.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "crm.h"

/* ---- the right to see customers ---- */

/*
 * Answer for (account, employee), kept for the transaction: policies ask per
 * query.  Forgotten at transaction end, on subtransaction abort, and when
 * this session updates crm.employees (employees_20_customer_right).
 */
static bool right_valid = false;
static int64 right_account;
static int64 right_employee;
static bool right_value;
static bool right_callbacks = false;

static void
forget_right_on_xact(XactEvent event, void *arg)
{
	right_valid = false;
}

static void
forget_right_on_subxact(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		right_valid = false;
}

/*
 * crm.can_see_customers() runs in policies, per row, so it has no SET
 * search_path; its query must resolve nothing through the caller's path,
 * hence the schema-qualified operators.
 */
static CrmPlan employee_right = {
	"SELECT can_see_customers FROM crm.employees "
	"WHERE account_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, INT8OID}
};

bool
crm_can_see_customers(void)
{
	CrmUserSwitch user;
	Datum		args[2];

	if (!crm_employee_is_set)
		return true;			/* readers read through their grants */
	if (!crm_account_is_set)
		return false;			/* the account policy hides everything anyway */
	if (right_valid && right_account == crm_account_value &&
		right_employee == crm_employee_value)
		return right_value;
	if (!right_callbacks)
	{
		RegisterXactCallback(forget_right_on_xact, NULL);
		RegisterSubXactCallback(forget_right_on_subxact, NULL);
		right_callbacks = true;
	}

	args[0] = Int64GetDatum(crm_account_value);
	args[1] = Int64GetDatum(crm_employee_value);
	right_valid = false;
	SPI_connect();
	crm_become_owner(&user);
	/* An employee id that names no employee sees nothing. */
	right_value = crm_exec(&employee_right, args, NULL, true, 1) == 1 &&
		crm_get_bool(0, 1, NULL);
	crm_restore_user(&user);
	SPI_finish();
	right_account = crm_account_value;
	right_employee = crm_employee_value;
	right_valid = true;
	return right_value;
}

PG_FUNCTION_INFO_V1(crm_can_see_customers_sql);
Datum
crm_can_see_customers_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(crm_can_see_customers());
}

/* AFTER UPDATE (statement) on crm.employees: ask again. */
PG_FUNCTION_INFO_V1(crm_customer_right_changed);
Datum
crm_customer_right_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_customer_right_changed: must be called as trigger")));
	right_valid = false;
	return PointerGetDatum(NULL);
}

/* ---- client phones ---- */

static void
refuse_derived_phone(const char *given, const char *raw)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot write \"%s\" into column \"phone\" of crm.client_phones", given),
			 errdetail("phone is the E.164 form of raw \"%s\" and is filled from it.", raw),
			 errhint("Write the number into raw only.")));
}

PG_FUNCTION_INFO_V1(crm_client_phone_before_write);
Datum
crm_client_phone_before_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	bool		is_update;
	bool		isnull;
	int64		account_id;
	char	   *raw;
	char	   *given;
	char	   *e164;
	const char *region;
	int			attnums[2];
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_client_phone_before_write: must be called as trigger")));
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_client_phone_before_write: must be fired for each row, before INSERT or UPDATE")));

	desc = trigdata->tg_relation->rd_att;
	is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	tuple = is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple;

	account_id = DatumGetInt64(SPI_getbinval(tuple, desc, SPI_fnumber(desc, "account_id"), &isnull));
	if (isnull)
		return PointerGetDatum(tuple);	/* the NOT NULL constraint reports it */
	raw = crm_tuple_text(tuple, desc, "raw");
	given = crm_tuple_text(tuple, desc, "phone");
	if (is_update)
	{
		HeapTuple	old = trigdata->tg_trigtuple;

		/* Only a changed phone counts as written by the writer. */
		if (crm_same_text(given, crm_tuple_text(old, desc, "phone")))
			given = NULL;
		if (raw != NULL && crm_same_text(raw, crm_tuple_text(old, desc, "raw")) && given == NULL)
			return PointerGetDatum(tuple);
	}
	else if (raw == NULL && given != NULL)
	{
		raw = given;			/* a number typed into phone is the raw input */
		given = NULL;
	}
	if (raw == NULL)
		return PointerGetDatum(tuple);	/* the NOT NULL constraint reports it */

	region = crm_phone_settings(account_id)->region;
	e164 = crm_phone_e164(raw, region);
	if (e164 == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("phone number \"%s\" is not valid", raw),
				 errdetail("\"%s\" is not a valid phone number in region %s or in international format.",
						   raw, region),
				 errhint("Write the number as dialled in %s or with its country code, for example +7 916 123-45-67.",
						 region)));
	if (given != NULL && strcmp(given, e164) != 0)
		refuse_derived_phone(given, raw);

	attnums[0] = SPI_fnumber(desc, "raw");
	values[0] = CStringGetTextDatum(raw);
	attnums[1] = SPI_fnumber(desc, "phone");
	values[1] = CStringGetTextDatum(e164);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 2, attnums, values, nulls));
}
