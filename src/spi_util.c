/*
 * spi_util.c
 *	  Cached SPI plans, result accessors, and running internal queries as the
 *	  owner of the crm schema.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "catalog/pg_namespace.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/syscache.h"

#include "crm.h"

SPIPlanPtr
crm_plan(CrmPlan *p)
{
	if (p->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(p->sql, p->nargs, p->argtypes);

		if (plan == NULL)
			elog(ERROR, "crm: SPI_prepare failed (%s) for: %s",
				 SPI_result_code_string(SPI_result), p->sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "crm: SPI_keepplan failed");
		p->plan = plan;
	}
	return p->plan;
}

uint64
crm_exec(CrmPlan *p, Datum *values, const char *nulls, bool read_only, long tcount)
{
	int			rc = SPI_execute_plan(crm_plan(p), values, nulls, read_only, tcount);

	if (rc < 0)
		elog(ERROR, "crm: SPI_execute_plan failed (%s) for: %s",
			 SPI_result_code_string(rc), p->sql);
	return SPI_processed;
}

Datum
crm_get(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

int64
crm_get_int64(uint64 row, int col, bool *isnull)
{
	bool		null;
	Datum		d = crm_get(row, col, &null);

	if (isnull)
		*isnull = null;
	return null ? 0 : DatumGetInt64(d);
}

bool
crm_get_bool(uint64 row, int col, bool *isnull)
{
	bool		null;
	Datum		d = crm_get(row, col, &null);

	if (isnull)
		*isnull = null;
	return null ? false : DatumGetBool(d);
}

/*
 * Text of a column, copied into the memory context that was current before
 * SPI_connect, so it survives SPI_finish.
 */
char *
crm_get_text(uint64 row, int col)
{
	bool		null;
	Datum		d = crm_get(row, col, &null);
	char	   *s;

	if (null)
		return NULL;
	s = TextDatumGetCString(d);
	return strcpy(SPI_palloc(strlen(s) + 1), s);
}

static Oid
crm_schema_owner(void)
{
	Oid			nsp = get_namespace_oid("crm", false);
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "crm: cache lookup failed for schema %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

void
crm_become_owner(CrmUserSwitch *save)
{
	GetUserIdAndSecContext(&save->saved_userid, &save->saved_sec_context);
	SetUserIdAndSecContext(crm_schema_owner(),
						   save->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

void
crm_restore_user(CrmUserSwitch *save)
{
	SetUserIdAndSecContext(save->saved_userid, save->saved_sec_context);
}

Datum
crm_json_object(int npairs, const char **keys, const char **values)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < npairs; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		escape_json(&buf, keys[i]);
		appendStringInfoString(&buf, ": ");
		if (values[i] == NULL)
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, values[i]);
	}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

TriggerData *
crm_check_row_trigger(FunctionCallInfo fcinfo, const char *name, bool before)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be called as trigger", name)));
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		(before != (bool) TRIGGER_FIRED_BEFORE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be fired for each row, %s the event",
						name, before ? "before" : "after")));
	return trigdata;
}
