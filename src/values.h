/*
 * values.h
 *	  The values crm stores: business times within a range every account
 *	  timezone can format, amounts that are numbers, intervals that move time
 *	  forward (values.c; the triggers that apply them are in
 *	  value_checks.sql).
 */
#ifndef CRM_VALUES_H
#define CRM_VALUES_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/timestamp.h"

/*
 * Business times lie in [CRM_TIME_MIN, CRM_TIME_END): from 1900-01-01
 * 00:00:00+00 up to, not including, 10000-01-01 00:00:00+00.  Every such
 * time, moved by any timezone's offset and by a CRM_INTERVAL_MAX, is still a
 * timestamp PostgreSQL can compute with and format.
 */
#define CRM_TIME_MIN_TEXT	"1900-01-01 00:00:00+00"
#define CRM_TIME_MAX_TEXT	"9999-12-31 23:59:59.999999+00"
#define CRM_TIME_RANGE_TEXT CRM_TIME_MIN_TEXT " to " CRM_TIME_MAX_TEXT
#define CRM_INTERVAL_MAX_TEXT "100 years"

/* Whether t is a business time. */
extern bool crm_time_in_range(TimestampTz t);

/*
 * Raises 22008 unless t is a business time; name is "crm.TABLE.COLUMN" (the
 * message names the column, the detail the table) or a function argument.
 */
extern void crm_check_time(TimestampTz t, const char *name);

/*
 * Raises 22023 unless amount is a number (not NaN, not infinite) of at least
 * zero, or greater than zero when positive is set.
 */
extern void crm_check_amount(Datum amount, const char *name, bool positive);

/*
 * Raises 22023 unless the interval moves every instant forward and is at
 * most max (NULL: CRM_INTERVAL_MAX_TEXT): months, days and time each >= 0,
 * at least one > 0.  max_text is how max is written in the message.
 */
extern void crm_check_forward_interval(const Interval *value, const char *name,
									   const Interval *max, const char *max_text);

#endif							/* CRM_VALUES_H */
