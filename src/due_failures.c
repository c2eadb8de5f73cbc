/*
 * due_failures.c
 *	  Due items set aside: crm.due_failures, for the runner of due work
 *	  (due.c).
 *
 * Functions (due.h):
 *	crm_due_set_aside			records an item's failure, logs the first
 *	crm_due_forget_set_aside	an item handled, or no longer due
 *	crm_due_list_retries		the items whose backoff has passed
 *	crm_due_next_retry			the earliest instant one is tried again
 *	crm_due_failure_count		how many are set aside (crm.scheduler_status)
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "due.h"
#include "values.h"

/*
 * An item whose handling fails is set aside in crm.due_failures: the claims
 * skip it, so it stops neither the other items nor the other kinds nor the
 * other accounts, and it is tried alone again after a backoff that doubles
 * with each attempt (one minute to one day).  It is forgotten when it
 * succeeds or is no longer due.  The first failure of an item is logged.
 */
#define DUE_RETRY_FIRST_SECS 60
#define DUE_RETRY_MAX_SECS 86400
#define DUE_RETRIES_PER_RUN 100

/*
 * An item's failure: the row of its failures before updated, else a new row,
 * with the next attempt computed here: Citus refuses time arithmetic on a
 * column in the statement (an upsert's DO UPDATE, an UPDATE's SET) of a
 * distributed table.  $1 account, $2 kind, $3 item.
 */
static CrmPlan failure_attempts = {
	"SELECT f.attempts FROM crm.due_failures f "
	"WHERE f.account_id = $1 AND f.kind = $2 AND f.item_id = $3 FOR UPDATE",
	3, {INT8OID, TEXTOID, INT8OID}
};
/* $4 SQLSTATE, $5 message, $6 now, $7 attempts, $8 the next attempt. */
static CrmPlan update_failure = {
	"UPDATE crm.due_failures AS f SET sqlstate = $4, message = $5, last_seen = $6, "
	"  attempts = $7, next_attempt_at = $8 "
	"WHERE f.account_id = $1 AND f.kind = $2 AND f.item_id = $3",
	8, {INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT4OID, TIMESTAMPTZOID}
};
static CrmPlan insert_failure = {
	"INSERT INTO crm.due_failures (account_id, kind, item_id, sqlstate, message, "
	"  first_seen, last_seen, attempts, next_attempt_at) "
	"VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) "
	"ON CONFLICT (account_id, kind, item_id) DO NOTHING",
	8, {INT8OID, TEXTOID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT4OID, TIMESTAMPTZOID}
};

/* The time of the attempt after `attempts` failures: a backoff doubling from the first. */
static TimestampTz
next_attempt(TimestampTz now, int32 attempts)
{
	double		secs = DUE_RETRY_FIRST_SECS;
	TimestampTz latest = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in,
																 CStringGetDatum(CRM_TIME_MAX_TEXT),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));

	for (int32 i = 1; i < attempts && secs < DUE_RETRY_MAX_SECS; i++)
		secs *= 2;
	secs = Min(secs, DUE_RETRY_MAX_SECS);
	/* a retry stays a business time */
	if (now > latest - (TimestampTz) (secs * USECS_PER_SEC))
		return latest;
	return now + (TimestampTz) (secs * USECS_PER_SEC);
}

/* Records the item's failure; returns its attempts so far. */
static int32
record_failure(Datum *args)
{
	for (;;)
	{
		bool		isnull;
		int32		attempts = 1;
		bool		found = crm_exec(&failure_attempts, args, NULL, false, 1) == 1;

		if (found)
			attempts = DatumGetInt32(crm_get(0, 1, &isnull)) + 1;
		args[6] = Int32GetDatum(attempts);
		args[7] = TimestampTzGetDatum(next_attempt(DatumGetTimestampTz(args[5]), attempts));
		if (crm_exec(found ? &update_failure : &insert_failure, args, NULL, false, 0) == 1)
			return attempts;
		CHECK_FOR_INTERRUPTS();	/* inserted by another session at once: update it */
	}
}
static CrmPlan forget_failure = {
	"DELETE FROM crm.due_failures WHERE account_id = $1 AND kind = $2 AND item_id = $3",
	3, {INT8OID, TEXTOID, INT8OID}
};
static CrmPlan failures_to_retry = {
	"SELECT account_id, item_id FROM crm.due_failures "
	"WHERE kind = $1 AND next_attempt_at <= $2 AND ($3::bigint IS NULL OR account_id = $3) "
	"ORDER BY next_attempt_at LIMIT $4",
	4, {TEXTOID, TIMESTAMPTZOID, INT8OID, INT8OID}
};

/* See due.h. */
void
crm_due_set_aside(const char *kind, const CrmDueScope *item, ErrorData *edata)
{
	Datum		args[8];
	int32		attempts;

	args[0] = Int64GetDatum(item->account_id);
	args[1] = CStringGetTextDatum(kind);
	args[2] = Int64GetDatum(item->item_id);
	args[3] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	args[4] = CStringGetTextDatum(edata->message ? edata->message : "");
	args[5] = TimestampTzGetDatum(item->now);
	attempts = record_failure(args);
	if (attempts == 1)
		ereport(LOG,
				(errmsg("crm: due item set aside: %s %lld of account %lld",
						kind, (long long) item->item_id, (long long) item->account_id),
				 errdetail("SQLSTATE %s: %s", unpack_sql_state(edata->sqlerrcode),
						   edata->message ? edata->message : ""),
				 errhint("See crm.due_failures; it is tried again with a backoff.")));
}

/* See due.h. */
void
crm_due_forget_set_aside(const char *kind, const CrmDueScope *item)
{
	Datum		args[3] = {Int64GetDatum(item->account_id), CStringGetTextDatum(kind),
	Int64GetDatum(item->item_id)};

	crm_exec(&forget_failure, args, NULL, false, 0);
}

/* See due.h. */
uint64
crm_due_list_retries(const char *kind, const CrmDueScope *scope)
{
	Datum		args[4] = {CStringGetTextDatum(kind), TimestampTzGetDatum(scope->now),
	Int64GetDatum(scope->account_id), Int64GetDatum(DUE_RETRIES_PER_RUN)};
	char		nulls[5] = {' ', ' ', scope->account_null ? 'n' : ' ', ' ', '\0'};

	return crm_exec(&failures_to_retry, args, nulls, true, 0);
}

/* See due.h. */
bool
crm_due_next_retry(const CrmDueScope *scope, TimestampTz *at)
{
	static CrmPlan next_retry = {
		"SELECT min(next_attempt_at) FROM crm.due_failures WHERE $1::bigint IS NULL OR account_id = $1",
		1, {INT8OID}
	};

	return crm_due_earliest(&next_retry, scope, at);
}

int64
crm_due_failure_count(bool account_null, int64 account_id)
{
	static CrmPlan count_failures = {
		"SELECT count(*) FROM crm.due_failures WHERE $1::bigint IS NULL OR account_id = $1",
		1, {INT8OID}
	};
	Datum		arg = Int64GetDatum(account_id);
	CrmUserSwitch user;
	int64		n;

	SPI_connect();
	crm_become_owner(&user);
	crm_exec(&count_failures, &arg, account_null ? "n" : " ", true, 1);
	n = crm_get_int64(0, 1, NULL);
	crm_restore_user(&user);
	SPI_finish();
	return n;
}
