/*
 * events_write.c
 *	  The event stream's writing: a transaction's events (events.c says what
 *	  they are) wait in its memory and get their ids when it commits, are
 *	  written to crm.events, and each account's listeners hear the newest id
 *	  (NOTIFY crm_events_<account>).
 *
 * Numbering per account in commit order is what lets a consumer resume with
 * events_since(after_id) without ever missing one: the ids come, at the
 * PRE_COMMIT callback, from the account's row of crm.event_counters, locked
 * from then to the commit.  So two transactions of one account take their
 * ids in the order they commit, and no lock is held while they run (the
 * counter is the last lock a transaction takes: no deadlock).  A
 * subtransaction that rolls back takes its events with it.  A transaction
 * with more than FLUSH_THRESHOLD events writes them early, holding its
 * accounts' counters from then on.  The counter row is moved on and the
 * events written without a statement (kit/direct_update.h,
 * kit/direct_insert.h); on Citus, whose shards only SQL reaches, the usual
 * commit (one event of an account that has had one before) takes its id and
 * writes it in one statement.
 *
 * Map:
 *	crm_event			adds an event to the transaction's pending ones (events.h)
 *	flush_events		numbers and writes them, account by account
 *	write_account		one account's events: ids taken, rows written, notified
 *	crm_events_init		the (sub)transaction callbacks (from _PG_init)
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/async.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "events.h"
#include "kit/citus.h"
#include "kit/direct_insert.h"
#include "kit/direct_update.h"
#include "tenancy.h"

#define FLUSH_THRESHOLD 10000

/* ---- the transaction's events, waiting for their ids ---- */

typedef struct PendingEvent
{
	int64		account_id;
	SubTransactionId subxid;
	const char *kind;			/* static */
	bool		has_employee;
	int64		employee_id;
	Datum		payload;		/* jsonb, in TopTransactionContext */
} PendingEvent;

static PendingEvent *pending = NULL;
static int	npending = 0;
static int	maxpending = 0;
static TimestampTz pending_at = 0;

/*
 * The memory of the events not written yet (a child of TopTransactionContext),
 * freed once they are written: a transaction that writes many events early
 * (FLUSH_THRESHOLD), such as a run of due work over a large backlog, holds
 * no more than that many at a time.
 */
static MemoryContext pending_memory = NULL;

static void flush_events(void);

void
crm_event(int64 account_id, const char *kind, Datum payload)
{
	MemoryContext old;
	bool		isnull;
	int64		employee = crm_employee_or_null(&isnull);
	PendingEvent *e;

	if (pending_memory == NULL)
		pending_memory = AllocSetContextCreate(TopTransactionContext, "crm pending events",
											   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(pending_memory);

	if (npending == maxpending)
	{
		maxpending = maxpending == 0 ? 64 : maxpending * 2;
		pending = pending == NULL ? palloc(sizeof(PendingEvent) * maxpending)
			: repalloc(pending, sizeof(PendingEvent) * maxpending);
	}
	e = &pending[npending++];
	e->account_id = account_id;
	e->subxid = GetCurrentSubTransactionId();
	e->kind = kind;
	e->has_employee = !isnull;
	e->employee_id = employee;
	e->payload = datumCopy(payload, false, -1);
	pending_at = GetCurrentTransactionStartTimestamp();
	MemoryContextSwitchTo(old);
	if (npending >= FLUSH_THRESHOLD)
		flush_events();
}

/* ---- giving the events their ids ---- */

static CrmPlan take_ids = {
	"INSERT INTO crm.event_counters AS c (account_id, last_id) VALUES ($1, $2) "
	"ON CONFLICT (account_id) DO UPDATE SET last_id = c.last_id + $2 RETURNING last_id",
	2, {INT8OID, INT8OID}
};
static CrmPlan insert_events = {
	"INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload) "
	"SELECT $1, $2 + e.n, $3, e.kind, e.employee_id, e.payload "
	"FROM unnest($4::text[], $5::bigint[], $6::jsonb[]) WITH ORDINALITY AS e(kind, employee_id, payload, n)",
	6, {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTARRAYOID, INT8ARRAYOID, JSONBARRAYOID}
};

/* The common case, one event of an account whose counter exists: one statement. */
static CrmPlan insert_one_event = {
	"WITH c AS (UPDATE crm.event_counters SET last_id = last_id + 1 WHERE account_id = $1 RETURNING last_id) "
	"INSERT INTO crm.events (account_id, id, at, kind, employee_id, payload) "
	"SELECT $1, c.last_id, $2, $3, $4, $5 FROM c RETURNING id",
	5, {INT8OID, TIMESTAMPTZOID, TEXTOID, INT8OID, JSONBOID}
};

/* Writes one event through insert_one_event: false when the account has no counter yet. */
static bool
write_one(PendingEvent *e, int64 *last)
{
	Datum		a[5];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', '\0'};

	a[0] = Int64GetDatum(e->account_id);
	a[1] = TimestampTzGetDatum(pending_at);
	a[2] = CStringGetTextDatum(e->kind);
	a[3] = Int64GetDatum(e->employee_id);
	nulls[3] = e->has_employee ? ' ' : 'n';
	a[4] = e->payload;
	if (crm_exec(&insert_one_event, a, nulls, false, 0) != 1)
		return false;
	*last = crm_get_int64(0, 1, NULL);
	return true;
}

static int
by_account(const void *a, const void *b)
{
	const PendingEvent *x = a;
	const PendingEvent *y = b;

	if (x->account_id != y->account_id)
		return x->account_id < y->account_id ? -1 : 1;
	return 0;
}

/* The account's listeners hear the newest id, and nothing else. */
static bool flushing_for_prepare = false;

static void
notify_account(int64 account_id, int64 last)
{
	char		channel[NAMEDATALEN];
	char		payload[32];

	snprintf(channel, sizeof(channel), "crm_events_%lld", (long long) account_id);
	snprintf(payload, sizeof(payload), INT64_FORMAT, last);
	if (!flushing_for_prepare)	/* PREPARE TRANSACTION refuses a NOTIFY (a Citus worker's part) */
		Async_Notify(channel, payload);
}

/* Inserts events [from, from + n) of one account with ids last - n + 1 .. last, through SPI. */
static void
insert_by_spi(PendingEvent *from, int n, int64 last)
{
	Datum	   *kinds = palloc(sizeof(Datum) * n);
	Datum	   *employees = palloc(sizeof(Datum) * n);
	bool	   *employee_nulls = palloc(sizeof(bool) * n);
	Datum	   *payloads = palloc(sizeof(Datum) * n);
	Datum		a[6];
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		kinds[i] = CStringGetTextDatum(from[i].kind);
		employees[i] = Int64GetDatum(from[i].employee_id);
		employee_nulls[i] = !from[i].has_employee;
		payloads[i] = from[i].payload;
	}
	a[0] = Int64GetDatum(from[0].account_id);
	a[1] = Int64GetDatum(last - n);
	a[2] = TimestampTzGetDatum(pending_at);
	a[3] = PointerGetDatum(construct_array(kinds, n, TEXTOID, -1, false, TYPALIGN_INT));
	a[4] = PointerGetDatum(construct_md_array(employees, employee_nulls, 1, dims, lbs, INT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	a[5] = PointerGetDatum(construct_array(payloads, n, JSONBOID, -1, false, TYPALIGN_INT));
	crm_exec(&insert_events, a, NULL, false, 0);
}

/*
 * The same without a statement (kit/direct_update.h, kit/direct_insert.h):
 * the account's counter row moved on by n as insert_one_event's UPDATE moves
 * it, then the events, each in insert_events' columns.  crm.events has no
 * foreign key and no INSERT trigger to fire (its account is the counter's).
 */
static const char *const counter_names[] = {"last_id"};
static CrmColumnMap counter_columns = {"crm.event_counters", 1, counter_names};
static CrmUpdatedTable counters = {"event_counters", "event_counters_pkey", 1, &counter_columns, 1, NULL};

static const char *const event_names[] = {"account_id", "id", "at", "kind", "employee_id", "payload"};
static CrmColumnMap event_columns = {"crm.events", lengthof(event_names), event_names};
static CrmDirectTable events_table = {"events", &event_columns, NULL};

static void
add_ids(const CrmRow *old, Datum *values, bool *nulls, void *arg)
{
	values[0] = Int64GetDatum(crm_row_int64(old, 0, NULL) + *(int *) arg);
}

/* Takes n ids of the account's counter directly; false when it goes through SPI (or has no row yet). */
static bool
take_ids_directly(int64 account_id, int n, int64 *last)
{
	Datum		key = Int64GetDatum(account_id);
	CrmRow		row;

	if (crm_update_by_key(&counters, &key, add_ids, &n, &row) != CRM_UPDATE_DONE)
		return false;
	*last = crm_row_int64(&row, 0, NULL);
	return true;
}

static void
insert_events_of(PendingEvent *from, int n, int64 last)
{
	CrmDirectWrite *w = crm_direct_begin(&events_table);

	if (w == NULL)
	{
		insert_by_spi(from, n, last);
		return;
	}
	for (int i = 0; i < n; i++)
	{
		Datum		v[6];
		bool		nulls[6] = {false};

		v[0] = Int64GetDatum(from[i].account_id);
		v[1] = Int64GetDatum(last - n + 1 + i);
		v[2] = TimestampTzGetDatum(pending_at);
		v[3] = CStringGetTextDatum(from[i].kind);
		v[4] = Int64GetDatum(from[i].employee_id);
		nulls[4] = !from[i].has_employee;
		v[5] = from[i].payload;
		crm_direct_insert(w, v, nulls);
	}
	crm_direct_end(w);
}

/* Writes events [from, to) of one account, numbered after its counter. */
static void
write_account(PendingEvent *from, int n)
{
	Datum		a[2] = {Int64GetDatum(from[0].account_id), Int64GetDatum(n)};
	int64		last;

	if (take_ids_directly(from[0].account_id, n, &last))
		insert_events_of(from, n, last);
	else if (n > 1 || !write_one(from, &last))
	{
		crm_exec(&take_ids, a, NULL, false, 0);
		last = crm_get_int64(0, 1, NULL);
		insert_by_spi(from, n, last);
	}
	notify_account(from[0].account_id, last);
}

static void
flush_events(void)
{
	PendingEvent *events = pending;
	int			n = npending;
	MemoryContext memory = pending_memory;
	CrmUserSwitch user;
	bool		snapshot = !ActiveSnapshotSet();
	int			nesting;

	if (n == 0)
		return;
	/* taken now: an error below leaves nothing to write twice (the memory goes with the transaction) */
	pending = NULL;
	npending = maxpending = 0;
	pending_memory = NULL;
	qsort(events, n, sizeof(PendingEvent), by_account);	/* counters in account order */

	if (snapshot)
		PushActiveSnapshot(GetTransactionSnapshot());
	/* on a Citus worker: the events of the accounts whose rows this node wrote (kit/citus.h) */
	nesting = crm_citus_nesting_begin();
	SPI_connect();
	crm_become_owner(&user);
	for (int i = 0; i < n;)
	{
		int			j = i;

		while (j < n && events[j].account_id == events[i].account_id)
			j++;
		write_account(&events[i], j - i);
		i = j;
	}
	crm_restore_user(&user);
	SPI_finish();
	crm_citus_nesting_end(nesting);
	if (snapshot)
		PopActiveSnapshot();
	MemoryContextDelete(memory);
}

static void
events_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			flush_events();
			break;
		case XACT_EVENT_PRE_PREPARE:
			flushing_for_prepare = true;
			PG_TRY();
			{
				flush_events();
			}
			PG_FINALLY();
			{
				flushing_for_prepare = false;
			}
			PG_END_TRY();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* the memory goes with TopTransactionContext */
			pending = NULL;
			npending = maxpending = 0;
			pending_memory = NULL;
			break;
		default:
			break;
	}
}

/* The events of a subtransaction that rolls back are the tail of the list. */
static void
events_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (npending > 0 && pending[npending - 1].subxid >= mySubid)
		npending--;
}

void
crm_events_init(void)
{
	RegisterXactCallback(events_xact_callback, NULL);
	RegisterSubXactCallback(events_subxact_callback, NULL);
}
