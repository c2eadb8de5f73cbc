/*
 * actor.h
 *	  The employee is the actor: a row that records who acted names the
 *	  session's employee, and a time a login gives for what it did now is now
 *	  (actor.c).
 */
#ifndef CRM_ACTOR_H
#define CRM_ACTOR_H

#include "postgres.h"

#include "utils/timestamp.h"

/*
 * Whether the session may record employee_id as the employee who acted: the
 * session's own employee always; any employee for the owner, and for a
 * crm_service session with no employee set (an import, an integration).
 */
extern bool crm_actor_may_name(int64 employee_id);

/*
 * Raises 42501 naming both employees unless crm_actor_may_name(employee_id);
 * what is the record, with its article ("a message", "a call").
 */
extern void crm_actor_check_named(int64 employee_id, const char *what);

/* Whether the session acts as employee_id itself (the owner acts as anyone). */
extern bool crm_actor_is(int64 employee_id);

/* "employee 5", or "no employee": the session's employee, for messages. */
extern const char *crm_actor_employee_text(void);

/*
 * The time a writer gives for what happened (messages.sent_at): finite, not
 * before 2000-01-01 00:00:00 UTC, not more than the tolerance after the
 * transaction's time (the clocks of other systems run ahead a little), and
 * for a bound login, which records what it does now, not more than the
 * tolerance before it either.  Raises 22008 naming the allowed range;
 * column and what name the value ("sent_at", "a message").
 */
#define CRM_ACTOR_CLOCK_TOLERANCE_SECS 300
extern void crm_actor_check_time(TimestampTz at, const char *column, const char *what);

#endif							/* CRM_ACTOR_H */
