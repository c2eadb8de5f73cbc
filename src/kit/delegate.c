/*
 * kit/delegate.c
 *	  A crm function run where its account's shards live (see
 *	  kit/delegate.h).
 *
 * The call of the twin: SELECT * FROM crm._NAME($1, ...), the function in
 * FROM (Citus leaves a call in the select list of a statement a function
 * runs where it is) and a custom plan (Citus delegates only on the account
 * as a value).  Its result comes back as the public function's: the first
 * column of a value, the columns of a row (dropped columns of a table's row
 * type left NULL), every row of a set.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "kit/citus.h"
#include "kit/delegate.h"

bool
crm_distributed(void)
{
	return crm_citus_active() &&
		crm_relation_is_distributed(get_relname_relid("accounts", get_namespace_oid("crm", false)));
}

/* The public function's name: the twin's without its "_". */
static const char *
public_name(const CrmDelegate *d)
{
	const char *dot = strchr(d->twin, '.');

	return dot && dot[1] == '_' ? psprintf("%.*s%s", (int) (dot + 1 - d->twin), d->twin, dot + 2) : d->twin;
}

static CrmPlan *
twin_call(CrmDelegate *d)
{
	if (d->call.sql == NULL)
	{
		StringInfoData sql;
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT * FROM %s($1", d->twin);
		for (int i = 0; i < d->nargs; i++)
			appendStringInfo(&sql, ", $%d", i + 2);
		appendStringInfoChar(&sql, ')');
		d->call.nargs = d->nargs + 1;
		d->call.argtypes[0] = INT8OID;
		memcpy(&d->call.argtypes[1], d->argtypes, sizeof(Oid) * d->nargs);
		d->call.custom = true;
		d->call.sql = sql.data;
		MemoryContextSwitchTo(old);
	}
	return &d->call;
}

/* The twin's first row as the function's row (NULL when there is none, or every column is). */
static Datum
result_row(FunctionCallInfo fcinfo, TupleDesc desc)
{
	Datum	   *values = palloc0(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	bool		all_null = true;
	int			col = 1;

	if (SPI_processed == 0)
	{
		fcinfo->isnull = true;
		return (Datum) 0;
	}
	for (int i = 0; i < desc->natts; i++)
	{
		nulls[i] = true;
		if (!TupleDescAttr(desc, i)->attisdropped)
			values[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col++, &nulls[i]);
		all_null = all_null && nulls[i];
	}
	if (all_null)
	{
		fcinfo->isnull = true;
		return (Datum) 0;
	}
	return SPI_datumTransfer(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)),
							 false, -1);
}

/* The twin's first column of its first row as the function's value. */
static Datum
result_value(FunctionCallInfo fcinfo)
{
	bool		isnull;
	Datum		value = SPI_processed == 0 ? (Datum) 0 :
		SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	int16		len;
	bool		byval;

	if (SPI_processed == 0 || isnull)
	{
		fcinfo->isnull = true;
		return (Datum) 0;
	}
	get_typlenbyval(SPI_gettypeid(SPI_tuptable->tupdesc, 1), &len, &byval);
	return SPI_datumTransfer(value, byval, len);
}

/* Calls the twin with the account and the function's arguments; its result as the function's. */
static Datum
call_twin(CrmDelegate *d, FunctionCallInfo fcinfo, int64 account_id)
{
	Datum		args[CRM_PLAN_MAX_ARGS];
	char		nulls[CRM_PLAN_MAX_ARGS];
	TupleDesc	desc;
	TypeFuncClass kind = TYPEFUNC_SCALAR;
	Datum		result = (Datum) 0;

	Assert(d->nargs == fcinfo->nargs && d->nargs < CRM_PLAN_MAX_ARGS);
	args[0] = Int64GetDatum(account_id);
	nulls[0] = ' ';
	for (int i = 0; i < d->nargs; i++)
	{
		args[i + 1] = fcinfo->args[i].value;
		nulls[i + 1] = fcinfo->args[i].isnull ? 'n' : ' ';
	}
	if (fcinfo->flinfo->fn_retset)
		InitMaterializedSRF(fcinfo, 0);
	else
		kind = get_call_result_type(fcinfo, NULL, &desc);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm: SPI_connect failed");
	crm_exec(twin_call(d), args, nulls, false, 0);
	if (fcinfo->flinfo->fn_retset)
		crm_result_rows((ReturnSetInfo *) fcinfo->resultinfo, SPI_processed);
	else if (kind == TYPEFUNC_COMPOSITE)
		result = result_row(fcinfo, desc);
	else
		result = result_value(fcinfo);
	SPI_finish();
	return result;
}

/*
 * The twin on the coordinator: Citus did not delegate the call, as the twin
 * is not delegated yet (crm.distribute() again), or as Citus counts this
 * session as planning a subquery or CTE (kit/citus.h), where it delegates no
 * call: until the session ends, after an error raised there and caught.
 */
static void
refuse_on_coordinator(const CrmDelegate *d)
{
	if (crm_citus_generating_subplans())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s() ran on the Citus coordinator", d->twin),
				 errdetail("%s runs on the worker that holds the account; Citus did not send the call there: it counts "
						   "this session as planning a subquery or CTE, where it delegates no function call, as an error "
						   "raised while Citus planned one, and caught, leaves a session until it ends.",
						   public_name(d)),
				 errhint("Connect again, then call %s.", public_name(d))));
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s() ran on the Citus coordinator", d->twin),
			 errdetail("%s runs on the worker that holds the account; Citus did not send the call there.",
					   public_name(d)),
			 errhint("Call crm.distribute() again (it delegates %s() to the account's worker), then %s.",
					 d->twin, public_name(d))));
}

/* As the twin: its account is the session's, and it runs on a worker; the account taken off. */
void
crm_delegate_enter(CrmDelegate *d, FunctionCallInfo fcinfo, int64 account_id)
{
	int64		given;

	if (fcinfo->args[0].isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("account must not be NULL"),
				 errhint("Call %s instead: it acts in the session's account.", public_name(d))));
	given = DatumGetInt64(fcinfo->args[0].value);
	if (given != account_id)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s() cannot act in account %lld", d->twin, (long long) given),
				 errdetail("The session acts in account %lld.", (long long) account_id),
				 errhint("Call %s: it acts in the session's account.", public_name(d))));
	if (crm_distributed() && !crm_citus_in_task() && !d->runs_here)
		refuse_on_coordinator(d);
	memmove(&fcinfo->args[0], &fcinfo->args[1], sizeof(NullableDatum) * d->nargs);
	fcinfo->nargs = d->nargs;

	/*
	 * The body's statements touch the account's shards, on this node: Citus's
	 * to allow (kit/citus.h), until the twin returns (its SET search_path
	 * restores the settings made in it, crm's functions all have one).
	 */
	if (crm_citus_in_task())
		(void) crm_citus_nesting_begin();
}

bool
crm_delegate(CrmDelegate *d, FunctionCallInfo fcinfo, int64 account_id, Datum *result)
{
	if (fcinfo->nargs == d->nargs + 1)
	{
		crm_delegate_enter(d, fcinfo, account_id);
		return false;
	}
	if (!crm_distributed() || crm_citus_in_task())
		return false;
	*result = call_twin(d, fcinfo, account_id);
	return true;
}
