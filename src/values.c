/*
 * values.c
 *	  The values crm stores: business times, amounts and intervals, checked
 *	  where they are written.
 *
 * Rules (values.sql applies them to the columns as named CHECK constraints;
 * triggers and functions that compute from a value before the constraints
 * run call the C checks first, so the same message comes either way):
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
 * SQL (CHECK helpers; each returns true or raises):
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

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

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
