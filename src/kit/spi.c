/*
 * kit/spi.c
 *	  Kept SPI plans, result getters, running as the owner of the crm schema,
 *	  and the JSON builder; see kit/spi.h.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type_d.h"
#include "lib/stringinfo.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "kit/spi.h"

SPIPlanPtr
crm_plan(CrmPlan *p)
{
	if (p->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(p->sql, p->nargs, p->argtypes,
											  p->custom ? CURSOR_OPT_CUSTOM_PLAN : 0);

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

uint64
crm_exec_latest(CrmPlan *p, Datum *values, const char *nulls, long tcount)
{
	int			rc = SPI_execute_snapshot(crm_plan(p), values, nulls, GetLatestSnapshot(),
										  InvalidSnapshot, true, false, tcount);

	if (rc < 0)
		elog(ERROR, "crm: SPI_execute_snapshot failed (%s) for: %s",
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

void
crm_get_int64_array(uint64 row, int col, int64 *out, int want, const char *what)
{
	bool		isnull;
	Datum		d = crm_get(row, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (isnull)
		elog(ERROR, "%s returned NULL, not %d counts", what, want);
	deconstruct_array(DatumGetArrayTypeP(d), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n != want)
		elog(ERROR, "%s returned %d counts, not %d", what, n, want);
	for (int i = 0; i < n; i++)
		out[i] = DatumGetInt64(elems[i]);
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

/*
 * The owner of schema crm, asked on every switch to it and in every identity
 * check, is kept per backend and forgotten when any schema changes (ALTER
 * SCHEMA crm OWNER TO, DROP and CREATE again).
 */
static Oid	schema_owner = InvalidOid;
static bool schema_owner_callback = false;

static void
forget_schema_owner(Datum arg, int cacheid, uint32 hashvalue)
{
	schema_owner = InvalidOid;
}

Oid
crm_schema_owner(void)
{
	Oid			nsp;
	HeapTuple	tup;

	if (OidIsValid(schema_owner))
		return schema_owner;
	if (!schema_owner_callback)
	{
		CacheRegisterSyscacheCallback(NAMESPACEOID, forget_schema_owner, (Datum) 0);
		schema_owner_callback = true;
	}
	nsp = get_namespace_oid("crm", false);
	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "crm: cache lookup failed for schema %u", nsp);
	schema_owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return schema_owner;
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

/*
 * A column's value copied into the memory current before SPI_connect, as
 * SPI_datumTransfer does for a function's result.
 */
Datum
crm_get_copy(uint64 row, int col, bool *isnull)
{
	Datum		d = crm_get(row, col, isnull);
	Oid			type = SPI_gettypeid(SPI_tuptable->tupdesc, col);
	int16		typlen;
	bool		typbyval;

	if (*isnull)
		return (Datum) 0;
	get_typlenbyval(type, &typlen, &typbyval);
	return SPI_datumTransfer(d, typbyval, typlen);
}

Datum
crm_get_row_copy(uint64 row, int first, const char *table)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("crm", false));
	TupleDesc	desc = lookup_rowtype_tupdesc(get_rel_type_id(relid), -1);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	int			col = first;
	Datum		result;

	for (int i = 0; i < desc->natts; i++)
	{
		values[i] = (Datum) 0;
		nulls[i] = true;
		if (!TupleDescAttr(desc, i)->attisdropped)
			values[i] = crm_get(row, col++, &nulls[i]);
	}
	result = heap_copy_tuple_as_datum(heap_form_tuple(desc, values, nulls), desc);
	ReleaseTupleDesc(desc);
	return SPI_datumTransfer(result, false, -1);
}

void
crm_result_rows(ReturnSetInfo *rsinfo, uint64 n)
{
	MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

	for (uint64 i = 0; i < n; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	MemoryContextSwitchTo(old);
}

/* ---- JSON ---- */

void
crm_json_begin(CrmJson *j)
{
	initStringInfo(&j->buf);
	appendStringInfoChar(&j->buf, '{');
	j->n = 0;
}

static void
json_key(CrmJson *j, const char *key)
{
	if (j->n++ > 0)
		appendStringInfoString(&j->buf, ", ");
	escape_json(&j->buf, key);
	appendStringInfoString(&j->buf, ": ");
}

void
crm_json_text(CrmJson *j, const char *key, const char *value)
{
	json_key(j, key);
	if (value == NULL)
		appendStringInfoString(&j->buf, "null");
	else
		escape_json(&j->buf, value);
}

void
crm_json_int64(CrmJson *j, const char *key, int64 value, bool isnull)
{
	json_key(j, key);
	if (isnull)
		appendStringInfoString(&j->buf, "null");
	else
		appendStringInfo(&j->buf, INT64_FORMAT, value);
}

void
crm_json_bool(CrmJson *j, const char *key, bool value, bool isnull)
{
	json_key(j, key);
	appendStringInfoString(&j->buf, isnull ? "null" : value ? "true" : "false");
}

void
crm_json_numeric(CrmJson *j, const char *key, Datum value, bool isnull)
{
	char	   *text;

	json_key(j, key);
	if (isnull)
	{
		appendStringInfoString(&j->buf, "null");
		return;
	}
	text = DatumGetCString(DirectFunctionCall1(numeric_out, value));
	/* JSON has no NaN or infinity: those go as strings, as to_jsonb writes them */
	if (strspn(text, "-0123456789.") == strlen(text))
		appendStringInfoString(&j->buf, text);
	else
		escape_json(&j->buf, text);
}

void
crm_json_timestamptz(CrmJson *j, const char *key, TimestampTz value, bool isnull)
{
	int			utc = 0;

	json_key(j, key);
	if (isnull)
		appendStringInfoString(&j->buf, "null");
	else
		escape_json(&j->buf, JsonEncodeDateTime(NULL, TimestampTzGetDatum(value),
												TIMESTAMPTZOID, &utc));
}

void
crm_json_datum(CrmJson *j, const char *key, Datum value, Oid typid, bool isnull)
{
	switch (typid)
	{
		case INT8OID:
			crm_json_int64(j, key, isnull ? 0 : DatumGetInt64(value), isnull);
			break;
		case INT4OID:
			crm_json_int64(j, key, isnull ? 0 : DatumGetInt32(value), isnull);
			break;
		case INT2OID:
			crm_json_int64(j, key, isnull ? 0 : DatumGetInt16(value), isnull);
			break;
		case NUMERICOID:
			crm_json_numeric(j, key, value, isnull);
			break;
		case BOOLOID:
			crm_json_bool(j, key, isnull ? false : DatumGetBool(value), isnull);
			break;
		case TIMESTAMPTZOID:
			crm_json_timestamptz(j, key, isnull ? 0 : DatumGetTimestampTz(value), isnull);
			break;
		default:
			{
				Oid			out;
				bool		varlena;

				if (isnull)
				{
					crm_json_text(j, key, NULL);
					break;
				}
				getTypeOutputInfo(typid, &out, &varlena);
				crm_json_text(j, key, OidOutputFunctionCall(out, value));
			}
	}
}

char *
crm_json_cstring(CrmJson *j)
{
	appendStringInfoChar(&j->buf, '}');
	return j->buf.data;
}

Datum
crm_json_jsonb(CrmJson *j)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(crm_json_cstring(j)));
}
