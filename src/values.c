/*
 * values.c
 *	  The values crm stores: business times, amounts and intervals, checked
 *	  where they are written.
 *
 * Rules (value_checks.sql applies them to the columns by one BEFORE trigger
 * per table, <table>_values, fired after the table's other BEFORE triggers;
 * triggers and functions that compute from a value before it runs call the C
 * checks first, so the same message comes either way):
 *	- a business time lies from 1900-01-01 00:00:00+00 to 9999-12-31
 *	  23:59:59.999999+00: such a time can be formatted in every timezone and
 *	  moved by any interval crm accepts without leaving PostgreSQL's range
 *	  (22008);
 *	- a business date lies from 1900-01-01 to 9999-12-31 (22008);
 *	- an amount, price, quantity or budget is a number (not NaN, not
 *	  infinite) of at least zero, or greater than zero (22023);
 *	- a setting that names one of a few choices (an account's modes) holds
 *	  one of them (22023);
 *	- an interval that schedules (autopay, call-backs, retries, claims)
 *	  moves every instant forward: months, days and time are each >= 0 and
 *	  at least one is > 0 (so '1 mon -29 days', which takes February 1 back
 *	  to January 31, is refused), and it is at most 100 years (22023).
 *
 * Trigger function:
 *	crm._check_values('column:kind', ...)	crm_check_values: BEFORE INSERT OR
 *		UPDATE, for each row; kind is time, date, amount (>= 0), positive
 *		(> 0) or interval (moves time forward)
 * SQL (CHECK helpers, for the import's staging tables and the update from
 * 0.1.0, which checks the stored rows with them; each returns true or raises):
 *	crm._time_ok(timestamptz, name)			crm_time_ok
 *	crm._date_ok(date, name)				crm_date_ok
 *	crm._amount_ok(numeric, name)			crm_amount_ok (>= 0)
 *	crm._positive_amount_ok(numeric, name)	crm_positive_amount_ok (> 0)
 *	crm._forward_interval_ok(interval, name)	crm_forward_interval_ok
 *	crm._choice_ok(text, choices, name)		crm_choice_ok
 * C (values.h): crm_time_in_range, crm_check_time, crm_check_amount,
 * crm_check_forward_interval.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "kit/citus.h"
#include "kit/relcache.h"
#include "kit/trigger.h"
#include "values.h"

#define CRM_DATE_MIN_TEXT	"1900-01-01"
#define CRM_DATE_MAX_TEXT	"9999-12-31"

/* Days from PostgreSQL's epoch (2000-01-01) to January 1 of year. */
static int32
epoch_days(int year)
{
	return date2j(year, 1, 1) - POSTGRES_EPOCH_JDATE;
}

/* "crm.leads.deadline" -> "deadline"; an argument's name stays as it is. */
static const char *
column_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

bool
crm_time_in_range(TimestampTz t)
{
	return t >= (TimestampTz) epoch_days(1900) * USECS_PER_DAY &&
		t < (TimestampTz) epoch_days(10000) * USECS_PER_DAY;
}

void
crm_check_time(TimestampTz t, const char *name)
{
	if (crm_time_in_range(t))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("%s \"%s\" is out of range", column_of(name),
					DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(t)))),
			 errdetail("%s takes times from %s.", name, CRM_TIME_RANGE_TEXT),
			 errhint("Give a finite time in that range.")));
}

static void
check_date(DateADT d, const char *name)
{
	if (d >= epoch_days(1900) && d < epoch_days(10000))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("%s \"%s\" is out of range", column_of(name),
					DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)))),
			 errdetail("%s takes dates from %s to %s.", name, CRM_DATE_MIN_TEXT, CRM_DATE_MAX_TEXT),
			 errhint("Give a finite date in that range.")));
}

void
crm_check_amount(Datum amount, const char *name, bool positive)
{
	Numeric		num = DatumGetNumeric(amount);
	int			sign;
	const char *text;

	if (!numeric_is_nan(num) && !numeric_is_inf(num))
	{
		sign = DatumGetInt32(DirectFunctionCall2(numeric_cmp, amount,
												 DirectFunctionCall1(int4_numeric, Int32GetDatum(0))));
		if (positive ? sign > 0 : sign >= 0)
			return;
	}
	text = DatumGetCString(DirectFunctionCall1(numeric_out, amount));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 numeric_is_nan(num) || numeric_is_inf(num) ?
			 errmsg("%s \"%s\" is not a number", column_of(name), text) :
			 positive ? errmsg("%s %s is not positive", column_of(name), text) :
			 errmsg("%s %s is negative", column_of(name), text),
			 errdetail("%s is %s; it takes numbers %s.", name, text,
					   positive ? "greater than 0" : "of at least 0"),
			 errhint("Give a finite number %s.", positive ? "greater than 0" : "of at least 0")));
}

/* 100 years, as PostgreSQL compares intervals (a month is 30 days, a day 24 hours). */
static const Interval interval_max = {.time = 0, .day = 0, .month = 1200};

void
crm_check_forward_interval(const Interval *value, const char *name, const Interval *max,
						   const char *max_text)
{
	bool		forward = value->month >= 0 && value->day >= 0 && value->time >= 0 &&
		(value->month > 0 || value->day > 0 || value->time > 0);
	const char *text;

	if (max == NULL)
	{
		max = &interval_max;
		max_text = CRM_INTERVAL_MAX_TEXT;
	}
	if (forward && !DatumGetBool(DirectFunctionCall2(interval_gt, IntervalPGetDatum(value),
													 IntervalPGetDatum(max))))
		return;
	text = DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(value)));
	if (!forward)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" does not move time forward", column_of(name), text),
				 errdetail("%s must have no negative part (months, days or time) and at least one positive part, "
						   "so that adding it to any time gives a later time.", name),
				 errhint("Use an interval such as '1 hour', '1 day' or '1 month'.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" is too long", column_of(name), text),
			 errdetail("%s takes intervals of at most %s.", name, max_text),
			 errhint("Use an interval of at most %s.", max_text)));
}

/* ---- CHECK helpers ---- */

PG_FUNCTION_INFO_V1(crm_time_ok);
Datum
crm_time_ok(PG_FUNCTION_ARGS)
{
	crm_check_time(PG_GETARG_TIMESTAMPTZ(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(crm_date_ok);
Datum
crm_date_ok(PG_FUNCTION_ARGS)
{
	check_date(PG_GETARG_DATEADT(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(crm_amount_ok);
Datum
crm_amount_ok(PG_FUNCTION_ARGS)
{
	crm_check_amount(PG_GETARG_DATUM(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), false);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(crm_positive_amount_ok);
Datum
crm_positive_amount_ok(PG_FUNCTION_ARGS)
{
	crm_check_amount(PG_GETARG_DATUM(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), true);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(crm_forward_interval_ok);
Datum
crm_forward_interval_ok(PG_FUNCTION_ARGS)
{
	crm_check_forward_interval(PG_GETARG_INTERVAL_P(0), text_to_cstring(PG_GETARG_TEXT_PP(1)),
							   NULL, NULL);
	PG_RETURN_BOOL(true);
}

/*
 * crm._choice_ok(value, choices, name): value is one of choices, else 22023
 * naming the column and listing the choices.
 */
PG_FUNCTION_INFO_V1(crm_choice_ok);
Datum
crm_choice_ok(PG_FUNCTION_ARGS)
{
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *name = text_to_cstring(PG_GETARG_TEXT_PP(2));
	Datum	   *choices;
	bool	   *nulls;
	int			n;
	StringInfoData list;

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT,
					  &choices, &nulls, &n);
	initStringInfo(&list);
	for (int i = 0; i < n; i++)
	{
		char	   *choice;

		if (nulls[i])
			continue;
		choice = TextDatumGetCString(choices[i]);
		if (strcmp(choice, value) == 0)
			PG_RETURN_BOOL(true);
		appendStringInfo(&list, "%s'%s'", list.len > 0 ? (i == n - 1 ? " or " : ", ") : "", choice);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" is not one of its choices", column_of(name), value),
			 errdetail("%s takes %s.", name, list.data),
			 errhint("Set %s to one of those.", column_of(name))));
	PG_RETURN_BOOL(false);
}

/* ---- the trigger that applies the rules to a table's columns ---- */

typedef enum ValueKind
{
	VALUE_TIME,					/* timestamptz: crm_check_time */
	VALUE_DATE,					/* date: check_date */
	VALUE_AMOUNT,				/* numeric, >= 0 */
	VALUE_POSITIVE,				/* numeric, > 0 */
	VALUE_INTERVAL				/* interval that moves time forward */
} ValueKind;

static const struct
{
	const char *name;
	Oid			type;
}			value_kinds[] = {
	[VALUE_TIME] = {"time", TIMESTAMPTZOID},
	[VALUE_DATE] = {"date", DATEOID},
	[VALUE_AMOUNT] = {"amount", NUMERICOID},
	[VALUE_POSITIVE] = {"positive", NUMERICOID},
	[VALUE_INTERVAL] = {"interval", INTERVALOID},
};

typedef struct ValueColumn
{
	AttrNumber	attnum;
	ValueKind	kind;
	char		name[3 * NAMEDATALEN];	/* "crm.TABLE.COLUMN", for messages */
} ValueColumn;

/* The columns one trigger checks, read from its arguments once per backend. */
typedef struct ValueTrigger
{
	Oid			tgoid;			/* hash key: must be first */
	Oid			relid;
	bool		valid;
	int			ncolumns;
	ValueColumn *columns;
} ValueTrigger;

static HTAB *value_triggers = NULL;
static MemoryContext value_memory = NULL;

/* A relcache invalidation (ALTER TABLE, CREATE OR REPLACE TRIGGER) reads the arguments again. */
static void
forget_value_triggers(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	ValueTrigger *vt;

	hash_seq_init(&seq, value_triggers);
	while ((vt = hash_seq_search(&seq)) != NULL)
		if (relid == InvalidOid || vt->relid == relid)
			vt->valid = false;
}

static ValueKind
value_kind(const char *kind, const char *arg, const char *tgname)
{
	for (int k = 0; k < lengthof(value_kinds); k++)
		if (strcmp(kind, value_kinds[k].name) == 0)
			return (ValueKind) k;
	elog(ERROR, "crm: trigger \"%s\": unknown value kind in \"%s\"", tgname, arg);
	return VALUE_TIME;			/* not reached */
}

/* Reads the "column:kind" arguments into vt, checking each column's type. */
static void
read_value_columns(ValueTrigger *vt, Trigger *trigger, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const char *table = psprintf("%s.%s", get_namespace_name(RelationGetNamespace(rel)),
								 crm_citus_table_name(rel));

	vt->valid = false;
	if (vt->columns != NULL)
		pfree(vt->columns);
	vt->columns = NULL;
	vt->columns = MemoryContextAlloc(value_memory, sizeof(ValueColumn) * Max(trigger->tgnargs, 1));
	for (int i = 0; i < trigger->tgnargs; i++)
	{
		const char *arg = trigger->tgargs[i];
		const char *colon = strchr(arg, ':');
		char	   *column;
		ValueColumn *c = &vt->columns[i];
		AttrNumber	attnum;

		if (colon == NULL)
			elog(ERROR, "crm: trigger \"%s\": argument \"%s\" is not column:kind", trigger->tgname, arg);
		column = pnstrdup(arg, colon - arg);
		c->kind = value_kind(colon + 1, arg, trigger->tgname);
		attnum = get_attnum(RelationGetRelid(rel), column);
		if (attnum <= 0)
			elog(ERROR, "crm: trigger \"%s\": %s has no column \"%s\"", trigger->tgname, table, column);
		if (TupleDescAttr(desc, attnum - 1)->atttypid != value_kinds[c->kind].type)
			elog(ERROR, "crm: trigger \"%s\": %s.%s is not of the type of a %s", trigger->tgname,
				 table, column, value_kinds[c->kind].name);
		c->attnum = attnum;
		snprintf(c->name, sizeof(c->name), "%s.%s", table, column);
	}
	vt->ncolumns = trigger->tgnargs;
	vt->relid = RelationGetRelid(rel);
	vt->valid = true;
}

static const ValueTrigger *
value_trigger(Trigger *trigger, Relation rel)
{
	ValueTrigger *vt;
	bool		found;

	if (value_triggers == NULL)
	{
		HASHCTL		ctl = {.keysize = sizeof(Oid), .entrysize = sizeof(ValueTrigger)};

		value_memory = AllocSetContextCreate(CacheMemoryContext, "crm value checks",
											 ALLOCSET_SMALL_SIZES);
		ctl.hcxt = value_memory;
		value_triggers = hash_create("crm value checks", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		crm_register_relcache_callback(forget_value_triggers, (Datum) 0);
	}
	vt = hash_search(value_triggers, &trigger->tgoid, HASH_ENTER, &found);
	if (!found)
	{
		/* whole before anything can look at it: reading the columns may run invalidations */
		vt->relid = RelationGetRelid(rel);
		vt->valid = false;
		vt->ncolumns = 0;
		vt->columns = NULL;
	}
	if (!vt->valid)
		read_value_columns(vt, trigger, rel);
	return vt;
}

static void
check_value(const ValueColumn *c, Datum value)
{
	switch (c->kind)
	{
		case VALUE_TIME:
			crm_check_time(DatumGetTimestampTz(value), c->name);
			break;
		case VALUE_DATE:
			check_date(DatumGetDateADT(value), c->name);
			break;
		case VALUE_AMOUNT:
		case VALUE_POSITIVE:
			crm_check_amount(value, c->name, c->kind == VALUE_POSITIVE);
			break;
		case VALUE_INTERVAL:
			crm_check_forward_interval(DatumGetIntervalP(value), c->name, NULL, NULL);
			break;
	}
}

/*
 * crm._check_values('column:kind', ...): BEFORE INSERT OR UPDATE, for each row
 * (the triggers <table>_values of value_checks.sql, whose names sort after
 * the table's other BEFORE triggers, so they see the row as it will be
 * stored).  Checks the named columns in the order named; NULL passes.  A
 * restored row is checked too, as a CHECK constraint would check it.
 */
PG_FUNCTION_INFO_V1(crm_check_values);
Datum
crm_check_values(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	const ValueTrigger *vt;

	crm_trigger_start(&trig, fcinfo, "crm_check_values", CRM_BEFORE, CRM_ON_INSERT | CRM_ON_UPDATE);
	vt = value_trigger(trig.data->tg_trigger, trig.data->tg_relation);
	for (int i = 0; i < vt->ncolumns; i++)
	{
		const ValueColumn *c = &vt->columns[i];
		bool		isnull;
		Datum		value = heap_getattr(trig.new, c->attnum, trig.desc, &isnull);

		if (!isnull)
			check_value(c, value);
	}
	return crm_trigger_return(&trig, trig.new);
}
