/*
 * outbox_delivery.c
 *	  Delivering the outbox (outbox.sql): a delivery worker, a login in the
 *	  role crm_delivery, claims due rows of every account, sends them and
 *	  reports each result; failures are retried with exponential backoff and
 *	  a row is given up ("dead") after crm.outbox_max_attempts tries.
 *
 * Functions:
 *	crm.claim_outbox(kinds, max, lease, now)		crm_claim_outbox
 *	crm.outbox_sent(id, provider_ref)				crm_outbox_sent
 *	crm.outbox_failed(id, error, retry_at, now)		crm_outbox_failed
 *	crm.purge_outbox(older_than, now)				crm_purge_outbox
 *	crm._outbox_wake()	(trigger)					crm_outbox_wake
 *
 * A row is due when it is neither sent nor dead and its next_attempt_at (NULL:
 * its created_at) has come.  A claim leases it: attempts + 1 and
 * next_attempt_at = now + lease, so no other worker gets it until the lease
 * ends (a worker that died mid-send gives the row back that way).  Claims take
 * rows FOR UPDATE SKIP LOCKED, oldest due first, across accounts, through the
 * global index outbox_delivery_idx.  Every result is idempotent: a second
 * "sent" or "failed" report of a row already sent or dead changes nothing.
 *
 * On Citus crm.outbox is distributed by account, and Citus refuses FOR
 * UPDATE over several shards.  There a claim goes in rounds: it reads,
 * without a lock, the keys of the oldest due rows it still wants, leaving
 * out those an earlier round listed (one statement over every shard); then
 * claims each account's among them with one statement of that account
 * (routed to its shard), FOR UPDATE SKIP LOCKED and re-checked under the
 * lock; and reads further while rows are still wanted and due.  So it
 * claims the rows one server would (the oldest due that no other claim
 * holds, each once) and returns them in one server's order.  A result
 * reported by id finds the row's account first, then locks it by its key.
 *
 * The worker acts in no account: these functions run as the owner of the
 * crm schema, for members of crm_delivery (and the owner) only; crm_delivery
 * holds no privilege on any table.  The wake-up is NOTIFY crm_outbox with an
 * empty payload, once per transaction that queued a row: it tells a
 * listener to claim, and carries nothing another tenant could read.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/async.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "identity_reach.h"
#include "kit/citus.h"
#include "outbox.h"
#include "values.h"

/* Backoff after the n-th failed attempt: 1 minute * 2^(n-1), at most a day. */
#define BACKOFF_FIRST_SECS	60
#define BACKOFF_MAX_SECS	(24 * 60 * 60)

static const Interval lease_max = {.time = 0, .day = 1, .month = 0};

static Oid
outbox_relid(void)
{
	return get_relname_relid("outbox", get_namespace_oid("crm", false));
}

/* Raises 42501 unless the current user may deliver (crm_delivery, or the owner). */
static void
require_delivery_role(const char *function)
{
	Oid			role = get_role_oid("crm_delivery", true);

	if (superuser() || GetUserId() == crm_schema_owner() ||
		(OidIsValid(role) && has_privs_of_role(GetUserId(), role)))
	{
		/* delivery acts for every account, as the owner: on the workers too */
		crm_refuse_local_role(function, "Deliver as a login in crm_delivery, or use SET ROLE for the session.");
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s is for delivery workers", function),
			 errdetail("Role \"%s\" is not a member of crm_delivery.", GetUserNameFromId(GetUserId(), false)),
			 errhint("Deliver as a login in crm_delivery: GRANT crm_delivery TO <login>.")));
}

static TimestampTz
now_argument(FunctionCallInfo fcinfo, int arg)
{
	TimestampTz now = PG_ARGISNULL(arg) ? GetCurrentTransactionStartTimestamp() : PG_GETARG_TIMESTAMPTZ(arg);

	crm_check_time(now, "now");
	return now;
}

static CrmPlan claim = {
	"WITH due AS ("
	" SELECT account_id, id FROM crm.outbox"
	" WHERE sent_at IS NULL AND dead_at IS NULL AND coalesce(next_attempt_at, created_at) <= $1"
	"  AND ($2 IS NULL OR kind = ANY ($2))"
	" ORDER BY coalesce(next_attempt_at, created_at), account_id, id"
	" LIMIT $3 FOR UPDATE SKIP LOCKED), "
	"taken AS ("
	" UPDATE crm.outbox o SET attempts = o.attempts + 1, next_attempt_at = $4"
	" FROM due WHERE o.account_id = due.account_id AND o.id = due.id RETURNING o.*) "
	"SELECT * FROM taken ORDER BY created_at, account_id, id",
	4, {TIMESTAMPTZOID, TEXTARRAYOID, INT4OID, TIMESTAMPTZOID},
	.custom = true
};

/* ---- on Citus: a claim per account ---- */

/* The oldest $3 due rows but those in $4 (their keys, oldest first); no lock. */
static CrmPlan due_rows = {
	"SELECT account_id, id FROM crm.outbox"
	" WHERE sent_at IS NULL AND dead_at IS NULL AND coalesce(next_attempt_at, created_at) <= $1"
	"  AND ($2 IS NULL OR kind = ANY ($2)) AND id <> ALL ($4)"
	" ORDER BY coalesce(next_attempt_at, created_at), account_id, id LIMIT $3",
	4, {TIMESTAMPTZOID, TEXTARRAYOID, INT4OID, INT8ARRAYOID},
	.custom = true
};

/*
 * The claim of rows $5 of one account ($4), still due under the lock: a
 * statement Citus routes to the account's shard.
 */
static CrmPlan claim_account = {
	"WITH due AS MATERIALIZED ("
	" SELECT id FROM crm.outbox"
	" WHERE account_id = $4 AND id = ANY ($5) AND sent_at IS NULL AND dead_at IS NULL"
	"  AND coalesce(next_attempt_at, created_at) <= $1 AND ($2 IS NULL OR kind = ANY ($2))"
	" FOR UPDATE SKIP LOCKED) "
	"UPDATE crm.outbox o SET attempts = o.attempts + 1, next_attempt_at = $3"
	" WHERE o.account_id = $4 AND o.id = ANY (ARRAY(SELECT due.id FROM due)) RETURNING o.*",
	5, {TIMESTAMPTZOID, TEXTARRAYOID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID},
	.custom = true
};

/* A claim on Citus: the rows claimed so far, and the ids listed so far. */
typedef struct CitusClaim
{
	HeapTuple  *rows;			/* claimed, up to max */
	int			n;
	TupleDesc	desc;			/* of the rows (NULL before the first) */
	int			created_at;		/* their attribute numbers */
	int			account_id;
	int			id;
	int64	   *seen;			/* ids listed by earlier rounds */
	int			n_seen;
} CitusClaim;

static CitusClaim *sort_rows;

static int
compare_rows(const void *a, const void *b)
{
	int			cols[3] = {sort_rows->created_at, sort_rows->account_id, sort_rows->id};
	TupleDesc	desc = sort_rows->desc;

	for (int c = 0; c < 3; c++)
	{
		bool		null_a,
					null_b;
		int64		va = DatumGetInt64(heap_getattr(*(HeapTuple *) a, cols[c], desc, &null_a));
		int64		vb = DatumGetInt64(heap_getattr(*(HeapTuple *) b, cols[c], desc, &null_b));

		if (va != vb)
			return va < vb ? -1 : 1;
	}
	return 0;
}

static Datum
int64_array(const int64 *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * (n + 1));

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Claims the rows of account_id among those listed, with their ids (copied). */
static void
claim_of_account(CitusClaim *claim, Datum *args, char *nulls, int64 account_id,
				 const int64 *ids, int n)
{
	Datum		a[5] = {args[0], args[1], args[3], Int64GetDatum(account_id), int64_array(ids, n)};
	char		an[6] = {' ', nulls[1], ' ', ' ', ' ', '\0'};
	uint64		rows = crm_exec(&claim_account, a, an, false, 0);

	if (claim->desc == NULL)
	{
		claim->desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		claim->created_at = SPI_fnumber(SPI_tuptable->tupdesc, "created_at");
		claim->account_id = SPI_fnumber(SPI_tuptable->tupdesc, "account_id");
		claim->id = SPI_fnumber(SPI_tuptable->tupdesc, "id");
	}
	for (uint64 r = 0; r < rows; r++)
		claim->rows[claim->n++] = SPI_copytuple(SPI_tuptable->vals[r]);
}

typedef struct RowKey
{
	int64		account_id;
	int64		id;
} RowKey;

static int
compare_keys(const void *a, const void *b)
{
	const RowKey *x = a;
	const RowKey *y = b;

	if (x->account_id != y->account_id)
		return x->account_id < y->account_id ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * One round: the oldest due rows not listed before (as many as are still
 * wanted), then each account's among them claimed by one statement of that
 * account, in account order.  Returns how many rows it listed (0: no other
 * row is due).
 */
static uint64
claim_round(CitusClaim *claim, Datum *args, char *nulls, int32 max)
{
	Datum		a[4] = {args[0], args[1], Int32GetDatum(max - claim->n), int64_array(claim->seen, claim->n_seen)};
	char		an[5] = {' ', nulls[1], ' ', ' ', '\0'};
	uint64		listed = crm_exec(&due_rows, a, an, true, 0);
	RowKey	   *keys = palloc(sizeof(RowKey) * (listed + 1));
	int64	   *ids = palloc(sizeof(int64) * (listed + 1));

	claim->seen = repalloc(claim->seen, sizeof(int64) * (claim->n_seen + listed + 1));
	for (uint64 i = 0; i < listed; i++)
	{
		keys[i].account_id = crm_get_int64(i, 1, NULL);
		keys[i].id = crm_get_int64(i, 2, NULL);
		claim->seen[claim->n_seen++] = keys[i].id;
	}
	qsort(keys, listed, sizeof(RowKey), compare_keys);
	for (uint64 i = 0; i < listed;)
	{
		int			n = 0;
		int64		account_id = keys[i].account_id;

		while (i < listed && keys[i].account_id == account_id)
			ids[n++] = keys[i++].id;
		claim_of_account(claim, args, nulls, account_id, ids, n);
	}
	return listed;
}

/*
 * The claim of crm_claim_outbox on Citus (its arguments as for one server's
 * claim): the rows one server would claim, returned in its order.
 */
static void
claim_per_account(ReturnSetInfo *rsinfo, Datum *args, char *nulls, int32 max)
{
	CitusClaim	claim = {palloc(sizeof(HeapTuple) * max), 0, NULL, 0, 0, 0, palloc(sizeof(int64)), 0};
	MemoryContext old;

	while (claim.n < max && claim_round(&claim, args, nulls, max) > 0)
		CHECK_FOR_INTERRUPTS();
	sort_rows = &claim;
	qsort(claim.rows, claim.n, sizeof(HeapTuple), compare_rows);
	sort_rows = NULL;
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	for (int i = 0; i < claim.n; i++)
		tuplestore_puttuple(rsinfo->setResult, claim.rows[i]);
	MemoryContextSwitchTo(old);
}

/*
 * crm.claim_outbox(kinds, max, lease, now): up to max due rows (of the given
 * kinds; NULL: all), leased until now + lease (at most a day).
 */
PG_FUNCTION_INFO_V1(crm_claim_outbox);
Datum
crm_claim_outbox(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now;
	int32		max;
	Datum		args[4];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	CrmUserSwitch user;
	uint64		n;

	require_delivery_role("crm.claim_outbox");
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		crm_error_null_argument("max and lease", "Pass how many rows to claim and for how long.");
	now = now_argument(fcinfo, 3);
	max = PG_GETARG_INT32(1);
	if (max < 1 || max > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max must be between 1 and 10000, not %d", max),
				 errdetail("A claim takes at most 10000 rows."),
				 errhint("Claim in batches.")));
	crm_check_forward_interval(PG_GETARG_INTERVAL_P(2), "lease", &lease_max, "1 day");

	args[0] = TimestampTzGetDatum(now);
	args[1] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	nulls[1] = PG_ARGISNULL(0) ? 'n' : ' ';
	args[2] = Int32GetDatum(max);
	args[3] = DirectFunctionCall2(timestamptz_pl_interval, args[0], PG_GETARG_DATUM(2));

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	crm_become_owner(&user);
	if (crm_relation_is_distributed(outbox_relid()))
		claim_per_account(rsinfo, args, nulls, max);
	else
	{
		n = crm_exec(&claim, args, nulls, false, 0);
		crm_result_rows(rsinfo, n);
	}
	crm_restore_user(&user);
	SPI_finish();
	return (Datum) 0;
}

/* The account of outbox row $1, unlocked (on Citus a statement over every shard). */
static CrmPlan account_of_row = {
	"SELECT o.account_id FROM crm.outbox o WHERE o.id = $1",
	1, {INT8OID}
};
/* The row, locked by its key (on Citus a statement of its account's shard). */
static CrmPlan row_by_key = {
	"SELECT o.account_id, o.sent_at IS NOT NULL, o.dead_at IS NOT NULL, o.attempts, o.*"
	" FROM crm.outbox o WHERE o.account_id = $1 AND o.id = $2 FOR UPDATE",
	2, {INT8OID, INT8OID}
};
static CrmPlan mark_sent = {
	"UPDATE crm.outbox o SET sent_at = $3, provider_ref = $4, dead_at = NULL, next_attempt_at = NULL"
	" WHERE o.account_id = $1 AND o.id = $2 RETURNING o.*",
	4, {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID}
};
static CrmPlan mark_failed = {
	"UPDATE crm.outbox o SET attempts = greatest(o.attempts, 1), last_error = $3,"
	" next_attempt_at = $4, dead_at = $5"
	" WHERE o.account_id = $1 AND o.id = $2 RETURNING o.*",
	5, {INT8OID, INT8OID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

typedef struct OutboxState
{
	int64		account_id;
	bool		sent;
	bool		dead;
	int32		attempts;
} OutboxState;

/*
 * Locks outbox row id (ids come from one identity for every account: its
 * account is found first, then the row locked by its key) and returns its
 * composite, filling in its state.  Connected to SPI as the owner.
 */
static Datum
lock_row(int64 id, OutboxState *state)
{
	Datum		args[2] = {0, Int64GetDatum(id)};
	bool		isnull;
	uint64		n = crm_exec(&account_of_row, &args[1], NULL, false, 0);

	if (n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("outbox id %lld belongs to %llu rows", (long long) id, (unsigned long long) n),
				 errdetail("Rows were inserted with explicit ids that collide across accounts."),
				 errhint("Give the rows distinct ids.")));
	if (n == 1)
	{
		args[0] = Int64GetDatum(crm_get_int64(0, 1, NULL));
		n = crm_exec(&row_by_key, args, NULL, false, 0);
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("outbox row %lld does not exist", (long long) id),
				 errdetail("No account has an outbox row with id %lld (purged, or never queued).", (long long) id),
				 errhint("Report the id that crm.claim_outbox returned.")));
	state->account_id = crm_get_int64(0, 1, NULL);
	state->sent = crm_get_bool(0, 2, NULL);
	state->dead = crm_get_bool(0, 3, NULL);
	state->attempts = DatumGetInt32(crm_get(0, 4, &isnull));
	return crm_get_row_copy(0, 5, "outbox");
}

/*
 * crm.outbox_sent(id, provider_ref): the row was delivered.  A second report
 * changes nothing; a row given up and then reported sent after all is sent.
 */
PG_FUNCTION_INFO_V1(crm_outbox_sent);
Datum
crm_outbox_sent(PG_FUNCTION_ARGS)
{
	CrmUserSwitch user;
	OutboxState state;
	Datum		row;

	require_delivery_role("crm.outbox_sent");
	if (PG_ARGISNULL(0))
		crm_error_null_argument("id", "Pass the id of the row that was sent.");
	SPI_connect();
	crm_become_owner(&user);
	row = lock_row(PG_GETARG_INT64(0), &state);
	if (!state.sent)
	{
		Datum		a[4];
		char		nulls[4] = {' ', ' ', ' ', PG_ARGISNULL(1) ? 'n' : ' '};

		a[0] = Int64GetDatum(state.account_id);
		a[1] = PG_GETARG_DATUM(0);
		a[2] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		a[3] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
		crm_exec(&mark_sent, a, nulls, false, 0);
		row = crm_get_row_copy(0, 1, "outbox");
	}
	crm_restore_user(&user);
	SPI_finish();
	PG_RETURN_DATUM(row);
}

/* When the next attempt falls after `attempts` failures, from now. */
static TimestampTz
backoff(TimestampTz now, int32 attempts)
{
	int64		secs = BACKOFF_FIRST_SECS;

	for (int i = 1; i < attempts && secs < BACKOFF_MAX_SECS; i++)
		secs *= 2;
	return TimestampTzPlusMilliseconds(now, Min(secs, BACKOFF_MAX_SECS) * 1000);
}

/*
 * crm.outbox_failed(id, error, retry_at, now): the attempt failed; the row is
 * due again at retry_at (not before now) or after the backoff, or dead once
 * it has had crm.outbox_max_attempts attempts.  Nothing changes for a row
 * already sent or dead.
 */
PG_FUNCTION_INFO_V1(crm_outbox_failed);
Datum
crm_outbox_failed(PG_FUNCTION_ARGS)
{
	CrmUserSwitch user;
	OutboxState state;
	Datum		row;
	TimestampTz now;

	require_delivery_role("crm.outbox_failed");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument("id and error", "Pass the id of the row and what went wrong.");
	now = now_argument(fcinfo, 3);
	if (!PG_ARGISNULL(2))
	{
		crm_check_time(PG_GETARG_TIMESTAMPTZ(2), "retry_at");
		if (PG_GETARG_TIMESTAMPTZ(2) < now)
		{
			/* timestamptz_to_str returns a static buffer */
			char	   *retry_text = pstrdup(timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(2)));
			char	   *now_text = pstrdup(timestamptz_to_str(now));

			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retry_at %s is before now %s", retry_text, now_text),
					 errdetail("A retry can only be later."),
					 errhint("Pass a later retry_at, or NULL for the backoff.")));
		}
	}
	SPI_connect();
	crm_become_owner(&user);
	row = lock_row(PG_GETARG_INT64(0), &state);
	if (!state.sent && !state.dead)
	{
		int32		attempts = Max(state.attempts, 1);
		bool		dead = attempts >= crm_outbox_max_attempts;
		char	   *error = text_to_cstring(PG_GETARG_TEXT_PP(1));
		Datum		a[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', dead ? ' ' : 'n'};

		/* the error as the provider gave it, cut to 1000 bytes on a character boundary */
		error[pg_mbcliplen(error, strlen(error), 1000)] = '\0';
		a[0] = Int64GetDatum(state.account_id);
		a[1] = PG_GETARG_DATUM(0);
		a[2] = CStringGetTextDatum(error);
		a[3] = TimestampTzGetDatum(PG_ARGISNULL(2) ? backoff(now, attempts) : PG_GETARG_TIMESTAMPTZ(2));
		a[4] = TimestampTzGetDatum(now);
		crm_exec(&mark_failed, a, nulls, false, 0);
		row = crm_get_row_copy(0, 1, "outbox");
	}
	crm_restore_user(&user);
	SPI_finish();
	PG_RETURN_DATUM(row);
}

static CrmPlan purge = {
	"DELETE FROM crm.outbox WHERE (sent_at < $1 OR dead_at < $1)",
	1, {TIMESTAMPTZOID},
	.custom = true
};

/* crm.purge_outbox(older_than, now): removes rows sent or given up before now - older_than. */
PG_FUNCTION_INFO_V1(crm_purge_outbox);
Datum
crm_purge_outbox(PG_FUNCTION_ARGS)
{
	CrmUserSwitch user;
	TimestampTz now;
	Datum		before;
	uint64		n;

	require_delivery_role("crm.purge_outbox");
	if (PG_ARGISNULL(0))
		crm_error_null_argument("older_than", "Pass how long sent rows are kept, e.g. '30 days'.");
	now = now_argument(fcinfo, 1);
	crm_check_forward_interval(PG_GETARG_INTERVAL_P(0), "older_than", NULL, NULL);
	before = DirectFunctionCall2(timestamptz_mi_interval, TimestampTzGetDatum(now), PG_GETARG_DATUM(0));
	SPI_connect();
	crm_become_owner(&user);
	n = crm_exec(&purge, &before, NULL, false, 0);
	crm_restore_user(&user);
	SPI_finish();
	PG_RETURN_INT64((int64) n);
}

/* AFTER INSERT ... FOR EACH STATEMENT on crm.outbox: wakes delivery workers. */
PG_FUNCTION_INFO_V1(crm_outbox_wake);
Datum
crm_outbox_wake(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;

	crm_trigger_start_statement(&t, fcinfo, "crm_outbox_wake", CRM_AFTER, CRM_ON_INSERT, false);
	if (t.restoring)
		return crm_trigger_return(&t, NULL);
	/*
	 * The same channel and payload twice in a transaction is delivered once.
	 * A Citus worker's part of a transaction is prepared, which refuses a NOTIFY.
	 */
	if (!crm_citus_in_task())
		Async_Notify("crm_outbox", NULL);
	return crm_trigger_return(&t, NULL);
}
