/*
 * worker.c
 *	  The crm scheduler's launcher: its slots in shared memory, the loop that
 *	  starts a short-lived worker per database when that database is due (what
 *	  one run does is worker_run.c), and the trigger that wakes the launcher
 *	  when a transaction commits an earlier due instant.
 *
 * With shared_preload_libraries = 'crm' and crm.database = 'db1, db2', the
 * postmaster starts the launcher.  It is connected to no database; it keeps,
 * in shared memory, one slot per listed database with the instant at which
 * that database next needs a run, sleeps until the earliest one, and then
 * starts a dynamic worker for that database.  The worker connects, handles
 * everything due in batches of crm.scheduler_batch_size items with a commit
 * between batches, writes the next due instant into its slot and exits.
 *
 * On Citus the worker of the coordinator runs the due handlers, which claim
 * one account per statement (due.c), each routed to the worker node where the
 * account's shard lives; on a worker node the database worker finds it is
 * not the coordinator (on_citus_worker_node, worker_run.c) and does nothing.  The wake
 * triggers fire where the rows are, on the worker nodes, so they do not reach
 * the coordinator's launcher: there the lag from a due instant written to its
 * handling is at most crm.scheduler_max_sleep.  The coordinator's worker also
 * relays the event stream's notifications to the coordinator's listeners
 * after its due work (events_relay.c, in a transaction of its own), and runs
 * at least every crm.event_relay_interval for it.
 *
 * So between runs no process is connected to the database: DROP DATABASE,
 * DROP EXTENSION and ALTER EXTENSION UPDATE never wait for the scheduler, and
 * no lock is held.  A transaction that commits an earlier due instant (the
 * crm._due_changed trigger) lowers the slot's instant and sets the launcher's
 * latch, so the lag from due instant to action is the time to start a worker.
 *
 * The launcher (connected to no database, like the logical replication
 * launcher) is restarted by the postmaster after a crash or
 * pg_terminate_backend (bgw_restart_time); it exits on SIGTERM, rereads its
 * settings on SIGHUP and only starts once recovery has finished, so it does
 * nothing on a standby.
 *
 * Map:
 *	crm_worker_init				registers the launcher and the shared memory (_PG_init)
 *	crm_scheduler_launcher_main	the launcher: sleeps, starts database workers
 *	crm_worker_slot_database, crm_worker_slot_connected,
 *	crm_worker_publish_next_run, crm_worker_told_version
 *		a slot as a database worker's run reads and writes it (worker_run.c)
 *	crm.scheduler_status()		crm_scheduler_status: the slots, for monitoring
 *	crm._due_changed(columns...)	crm_due_changed: AFTER INSERT OR UPDATE row
 *		trigger (lead_95_wake_scheduler, invoice_95_wake_scheduler in
 *		worker.sql) remembering the earliest due instant a transaction
 *		writes; its commit callback wakes the launcher
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type_d.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "crm.h"
#include "due.h"
#include "worker.h"

#define CRM_MAX_DATABASES 32

typedef struct SchedulerSlot
{
	char		dbname[NAMEDATALEN];
	Oid			dboid;			/* known once a worker has connected */
	TimestampTz next_run;		/* when this database next needs a run */
	int64		runs;			/* worker runs so far, for monitoring */
	bool		told_version;	/* logged that crm here is not at our version */
} SchedulerSlot;

typedef struct SchedulerShared
{
	slock_t		mutex;
	Latch	   *launcher_latch;
	pid_t		launcher_pid;
	int			nslots;
	SchedulerSlot slots[CRM_MAX_DATABASES];
} SchedulerShared;

static SchedulerShared *shared = NULL;
static List *preload_databases = NIL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PGDLLEXPORT void crm_scheduler_launcher_main(Datum arg);

/* ---- shared memory ---- */

static void
scheduler_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SchedulerShared)));
}

static void
scheduler_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("crm scheduler", sizeof(SchedulerShared), &found);
	if (!found)
	{
		ListCell   *lc;

		memset(shared, 0, sizeof(SchedulerShared));
		SpinLockInit(&shared->mutex);
		foreach(lc, preload_databases)
		{
			SchedulerSlot *slot = &shared->slots[shared->nslots++];

			strlcpy(slot->dbname, (char *) lfirst(lc), NAMEDATALEN);
			slot->next_run = 0; /* catch up at once */
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* True when the scheduler runs in this server (the library was preloaded). */
static bool
worker_active(void)
{
	return shared != NULL && shared->nslots > 0;
}

/*
 * The slot of this backend's database, or -1 when the scheduler does not
 * serve it.  Looked up by name once per backend (inside a transaction), so a
 * database created after the server started is found too.
 */
static int
worker_slot(void)
{
	static int	cached = -2;

	if (cached == -2)
	{
		char	   *name;

		if (!worker_active() || !OidIsValid(MyDatabaseId))
			return -1;
		name = get_database_name(MyDatabaseId);
		cached = -1;
		for (int i = 0; name != NULL && i < shared->nslots; i++)
			if (strcmp(shared->slots[i].dbname, name) == 0)
				cached = i;
	}
	return cached;
}

/*
 * Called at the commit of a transaction that wrote the due instant `at`:
 * when that is earlier than the planned run of the database of slot i, bring
 * the run forward and wake the launcher.
 */
static void
wake_if_earlier(int i, TimestampTz at)
{
	bool		wake = false;
	Latch	   *latch = NULL;

	if (i < 0 || !worker_active())
		return;
	SpinLockAcquire(&shared->mutex);
	if (at < shared->slots[i].next_run)
	{
		shared->slots[i].next_run = at;
		wake = true;
	}
	latch = shared->launcher_latch;
	SpinLockRelease(&shared->mutex);
	if (wake && latch != NULL)
		SetLatch(latch);
}

/* ---- registration at preload ---- */

/* A worker of this library that runs function; its name is its type. */
static void
describe_worker(BackgroundWorker *worker, const char *function, const char *type,
				int restart_time)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = restart_time;
	strlcpy(worker->bgw_library_name, "crm", BGW_MAXLEN);
	strlcpy(worker->bgw_function_name, function, BGW_MAXLEN);
	strlcpy(worker->bgw_name, type, BGW_MAXLEN);
	strlcpy(worker->bgw_type, type, BGW_MAXLEN);
}

void
crm_worker_init(void)
{
	BackgroundWorker worker;
	char	   *raw;

	if (!process_shared_preload_libraries_in_progress || crm_scheduler_databases == NULL)
		return;
	raw = pstrdup(crm_scheduler_databases);
	if (!SplitGUCList(raw, ',', &preload_databases))
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in parameter \"crm.database\""),
				 errhint("List database names separated by commas.")));
	if (list_length(preload_databases) == 0)
		return;
	if (list_length(preload_databases) > CRM_MAX_DATABASES)
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.database lists %d databases", list_length(preload_databases)),
				 errhint("List at most %d databases.", CRM_MAX_DATABASES)));

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = scheduler_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = scheduler_shmem_startup;

	describe_worker(&worker, "crm_scheduler_launcher_main", "crm scheduler launcher", 1);
	RegisterBackgroundWorker(&worker);
}

/* ---- the launcher ---- */

static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	shared->launcher_latch = NULL;
	shared->launcher_pid = 0;
	SpinLockRelease(&shared->mutex);
}

static bool
start_database_worker(int i, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

	describe_worker(&worker, "crm_scheduler_database_main", "crm scheduler", BGW_NEVER_RESTART);
	snprintf(worker.bgw_name, BGW_MAXLEN, "crm scheduler %s", shared->slots[i].dbname);
	worker.bgw_main_arg = Int32GetDatum(i);
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

static bool
worker_running(BackgroundWorkerHandle *handle)
{
	pid_t		pid;

	return handle != NULL && GetBackgroundWorkerPid(handle, &pid) != BGWH_STOPPED;
}

void
crm_scheduler_launcher_main(Datum arg)
{
	BackgroundWorkerHandle *handles[CRM_MAX_DATABASES] = {0};
	TimestampTz last_start[CRM_MAX_DATABASES] = {0};

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	/* No database: shown in pg_stat_activity, reachable by pg_terminate_backend. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	SpinLockAcquire(&shared->mutex);
	shared->launcher_latch = MyLatch;
	shared->launcher_pid = MyProcPid;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(launcher_detach, (Datum) 0);
	ereport(LOG, (errmsg("crm scheduler launcher started for %d database(s)", shared->nslots)));

	while (!ShutdownRequestPending)
	{
		TimestampTz now = GetCurrentTimestamp();
		TimestampTz wake = TimestampTzPlusMilliseconds(now, crm_scheduler_max_sleep_ms);
		long		timeout_ms;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		for (int i = 0; crm_scheduler_enabled && i < shared->nslots; i++)
		{
			TimestampTz next_run;

			if (worker_running(handles[i]))
				continue;		/* it publishes its next run when it is done */
			SpinLockAcquire(&shared->mutex);
			next_run = shared->slots[i].next_run;
			SpinLockRelease(&shared->mutex);
			/* Look at least every max_sleep, as set now (it may have been reloaded). */
			next_run = Min(next_run, TimestampTzPlusMilliseconds(last_start[i], crm_scheduler_max_sleep_ms));
			if (next_run <= now)
			{
				last_start[i] = now;
				/* If the worker dies without a word, try again after max_sleep. */
				SpinLockAcquire(&shared->mutex);
				shared->slots[i].next_run = wake;
				shared->slots[i].runs++;
				SpinLockRelease(&shared->mutex);
				if (handles[i] != NULL)
					pfree(handles[i]);
				handles[i] = NULL;
				if (!start_database_worker(i, &handles[i]))
				{
					ereport(WARNING,
							(errmsg("crm scheduler could not start a worker for database \"%s\"",
									shared->slots[i].dbname),
							 errhint("Raise max_worker_processes.")));
					handles[i] = NULL;
					SpinLockAcquire(&shared->mutex);
					shared->slots[i].next_run = TimestampTzPlusMilliseconds(now, 1000);
					SpinLockRelease(&shared->mutex);
				}
				continue;
			}
			if (next_run < wake)
				wake = next_run;
		}

		timeout_ms = (long) ((wake - now + 999) / 1000);
		if (timeout_ms < 0)
			timeout_ms = 0;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	ereport(LOG, (errmsg("crm scheduler launcher shutting down")));
	/* Exit code 1: after pg_terminate_backend the postmaster starts it again. */
	proc_exit(1);
}

/* ---- the slots, for a database worker's run (worker_run.c) ---- */

const char *
crm_worker_slot_database(int slot)
{
	return shared->slots[slot].dbname;
}

void
crm_worker_slot_connected(int slot, TimestampTz fallback)
{
	SpinLockAcquire(&shared->mutex);
	shared->slots[slot].dboid = MyDatabaseId;
	shared->slots[slot].next_run = fallback;
	SpinLockRelease(&shared->mutex);
}

void
crm_worker_publish_next_run(int slot, TimestampTz at)
{
	SpinLockAcquire(&shared->mutex);
	if (at < shared->slots[slot].next_run)
		shared->slots[slot].next_run = at;
	SpinLockRelease(&shared->mutex);
}

bool
crm_worker_told_version(int slot, bool telling)
{
	bool		told;

	SpinLockAcquire(&shared->mutex);
	told = shared->slots[slot].told_version;
	shared->slots[slot].told_version = telling;
	SpinLockRelease(&shared->mutex);
	return told;
}

/* crm.scheduler_status(): one row per database the scheduler serves. */
PG_FUNCTION_INFO_V1(crm_scheduler_status);
Datum
crm_scheduler_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *here = get_database_name(MyDatabaseId);
	int64		failing = 0;
	bool		account_null = true;
	int64		account_id = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (!worker_active())
		return (Datum) 0;
	/* The caller's own items set aside: a tenant counts only its account's. */
	crm_due_caller_accounts(&account_null, &account_id);
	failing = crm_due_failure_count(account_null, account_id);
	for (int i = 0; i < shared->nslots; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		SchedulerSlot slot;

		SpinLockAcquire(&shared->mutex);
		slot = shared->slots[i];
		values[3] = Int32GetDatum(shared->launcher_pid);
		nulls[3] = shared->launcher_pid == 0;
		SpinLockRelease(&shared->mutex);
		values[0] = CStringGetTextDatum(slot.dbname);
		values[1] = TimestampTzGetDatum(slot.next_run);
		nulls[1] = slot.next_run == 0;
		values[2] = Int64GetDatum(slot.runs);
		/* crm.due_failures is read in this database only */
		values[4] = Int64GetDatum(failing);
		nulls[4] = here == NULL || strcmp(slot.dbname, here) != 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---- waking the launcher ---- */

/* The earliest due instant written by this transaction, if any. */
static bool pending_set = false;
static TimestampTz pending_at = 0;
static bool callback_registered = false;

static void
due_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (pending_set)
				wake_if_earlier(worker_slot(), pending_at);
			pending_set = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
			pending_set = false;
			break;
		default:
			break;
	}
}

/*
 * AFTER INSERT OR UPDATE row trigger; its arguments name the timestamptz
 * columns that hold due instants.  It only remembers the earliest of them;
 * at commit the worker is woken when that is earlier than its planned wake.
 * Without the worker (no preload) it costs one comparison per row.
 */
PG_FUNCTION_INFO_V1(crm_due_changed);
Datum
crm_due_changed(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		row;

	crm_trigger_start(&t, fcinfo, "crm_due_changed", CRM_AFTER, CRM_ON_INSERT | CRM_ON_UPDATE);
	if (worker_slot() < 0)
		return crm_trigger_return(&t, NULL);

	row.tuple = t.new;
	row.desc = t.desc;
	row.map = crm_trigger_arg_columns(&t);
	for (int i = 0; i < row.map->ncolumns; i++)
	{
		bool		isnull;
		TimestampTz at;

		if (TupleDescAttr(t.desc, row.map->attnum[i] - 1)->atttypid != TIMESTAMPTZOID)
			elog(ERROR, "crm_due_changed: \"%s\" is not a timestamptz column", row.map->names[i]);
		at = DatumGetTimestampTz(crm_row_get(&row, i, &isnull));
		if (isnull)
			continue;
		at += 1;				/* a deadline is due just after it */
		if (!pending_set || at < pending_at)
		{
			pending_at = at;
			pending_set = true;
		}
	}
	if (pending_set && !callback_registered)
	{
		RegisterXactCallback(due_xact_callback, NULL);
		callback_registered = true;
	}
	return crm_trigger_return(&t, NULL);
}
