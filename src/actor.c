/*
 * actor.c
 *	  The employee is the actor: the rows that record who did something
 *	  (messages.employee_id of outgoing messages, calls.employee_id,
 *	  payments.employee_id, who marks an alert) name the session's employee,
 *	  and a time a login gives for what it does (messages.sent_at) is now.
 *
 * Who may name another employee:
 *	the owner			anyone (restores, the DBA, crm's own maintenance);
 *	crm_service			with crm.employee_id set it acts as that employee and
 *						names only it; with none set it is the application
 *						itself (an import of history, a channel integration)
 *						and may name any employee of the account;
 *	a bound login		only its own employee, and none when bound to none.
 * An admin is an employee like any other here: history says who acted.  A row
 * that leaves the employee NULL gets the defaults of its table.
 *
 * C API (actor.h): crm_actor_may_name, crm_actor_check_named, crm_actor_is,
 * crm_actor_employee_text, crm_actor_check_time.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "identity.h"

/* 2000-01-01 00:00:00 UTC (PostgreSQL's epoch): nothing crm records is older. */
#define TIME_FLOOR ((TimestampTz) 0)

static const char *
acting_role(void)
{
	char	   *name = GetUserNameFromId(GetOuterUserId(), true);

	return name ? name : "?";
}

bool
crm_actor_is(int64 employee_id)
{
	bool		no_employee;
	int64		acting;

	if (crm_actor_kind() == CRM_ACTOR_OWNER)
		return true;
	acting = crm_actor_employee(&no_employee);
	return !no_employee && acting == employee_id;
}

bool
crm_actor_may_name(int64 employee_id)
{
	bool		no_employee;

	if (crm_actor_is(employee_id))
		return true;
	(void) crm_actor_employee(&no_employee);
	return no_employee && crm_actor_kind() == CRM_ACTOR_SERVICE;
}

const char *
crm_actor_employee_text(void)
{
	bool		no_employee;
	int64		acting = crm_actor_employee(&no_employee);

	return no_employee ? "no employee" : psprintf("employee %lld", (long long) acting);
}

void
crm_actor_check_named(int64 employee_id, const char *what)
{
	const char *acting;

	if (crm_actor_may_name(employee_id))
		return;
	acting = crm_actor_employee_text();
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s names employee %lld, and the session acts as %s", what,
					(long long) employee_id, acting),
			 errdetail("employee_id records who acted, and role \"%s\" records only what it does itself.",
					   acting_role()),
			 errhint("Leave employee_id NULL or set it to crm.current_employee(); records in another "
					 "employee's name come from the owner or from a crm_service session without crm.employee_id (an import).")));
}

static char *
time_text(TimestampTz t)
{
	/* timestamptz_to_str formats into one static buffer: copy each result */
	return pstrdup(timestamptz_to_str(t));
}

void
crm_actor_check_time(TimestampTz at, const char *column, const char *what)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz tolerance = (TimestampTz) CRM_ACTOR_CLOCK_TOLERANCE_SECS * USECS_PER_SEC;
	bool		bound = crm_actor_kind() == CRM_ACTOR_BOUND;
	TimestampTz lo = bound ? now - tolerance : TIME_FLOOR;
	TimestampTz hi = now + tolerance;

	if (!TIMESTAMP_NOT_FINITE(at) && at >= lo && at <= hi)
		return;
	if (bound)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s \"%s\" is out of range for %s", column, time_text(at), what),
				 errdetail("Role \"%s\" is a bound login, which records what it does now: from %s to %s "
						   "(%d minutes either side of the transaction's time).",
						   acting_role(), time_text(lo), time_text(hi),
						   CRM_ACTOR_CLOCK_TOLERANCE_SECS / 60),
				 errhint("Leave %s out to record the transaction's time; older records are imported "
						 "through a crm_service session.", column)));
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("%s \"%s\" is out of range for %s", column, time_text(at), what),
			 errdetail("The time must be finite, from %s (crm's floor) to %s "
					   "(%d minutes after the transaction's time, for the clocks of other systems).",
					   time_text(lo), time_text(hi), CRM_ACTOR_CLOCK_TOLERANCE_SECS / 60),
			 errhint("Give the time at which it happened.")));
}
