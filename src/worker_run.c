/*
 * worker_run.c
 *	  What one run of a database worker does: it connects to the database of
 *	  its slot, handles everything due in batches of crm.scheduler_batch_size
 *	  items with a commit between batches, relays the event stream's
 *	  notifications on a Citus coordinator, publishes the next due instant in
 *	  its slot and exits.  The launcher that starts it, the slots and the
 *	  wake trigger are worker.c.
 *
 * A run does nothing where crm is not ready: not installed (or dropped), a
 * restore loading rows, or crm at another version than the library (between
 * installing a new library and ALTER EXTENSION crm UPDATE; said once).  On a
 * Citus worker node it does nothing either: the coordinator's run claims one
 * account per statement (due.c), each routed to where its shard lives.
 *
 * Map:
 *	crm_scheduler_database_main	the worker's entry point: batches, relay,
 *		next run published
 *	run_one_batch				one batch of due work in its own transaction
 *	relay_events				the relay (events_relay.c) in its own transaction
 *	extension_ready				crm installed here at this library's version
 *	on_citus_worker_node		a Citus worker node, where the coordinator works
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "due.h"
#include "events.h"
#include "kit/citus.h"
#include "kit/restore.h"
#include "worker.h"

/* After a run that left locked items behind, try again this much later. */
#define CRM_LOCKED_RETRY_US 200000

PGDLLEXPORT void crm_scheduler_database_main(Datum arg);

/* The installed version of crm in this database (pg_extension.extversion), or NULL. */
static char *
installed_version(void)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *version = NULL;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("crm"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = text_to_cstring(DatumGetTextPP(d));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * True when crm is installed in this database (it may have been dropped) at
 * this library's version: between installing a new library and ALTER
 * EXTENSION crm UPDATE the schema is the old one, which the handlers do not
 * know; the worker waits (and says so once) instead of failing every batch.
 */
static bool
extension_ready(int slot)
{
	char	   *version;
	bool		current;
	bool		told;

	if (!OidIsValid(get_extension_oid("crm", true)) || !OidIsValid(get_namespace_oid("crm", true)))
		return false;
	if (crm_restore_running())
	{
		ereport(LOG,
				(errmsg("crm scheduler: a restore is loading rows into database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errhint("The scheduler waits until the restoring sessions have ended.")));
		return false;
	}
	version = installed_version();
	current = version != NULL && strcmp(version, CRM_VERSION) == 0;
	told = crm_worker_told_version(slot, !current);
	if (current)
		return true;
	if (!told)
		ereport(LOG,
				(errmsg("crm scheduler: crm in database \"%s\" is at version %s, the library at %s",
						get_database_name(MyDatabaseId), version ? version : "(none)", CRM_VERSION),
				 errhint("Run ALTER EXTENSION crm UPDATE in that database; the scheduler waits until then.")));
	return false;
}

/*
 * True on a Citus worker node: the citus extension is installed and this
 * node's group (pg_dist_local_group) is not the coordinator's, 0.  There a
 * table of crm is a shard placement of the coordinator's, and the
 * coordinator's worker does the due work of every account, one account per
 * statement, routed to where its shard lives; the worker of a worker node
 * stays idle.  (A server with citus installed but no cluster is group 0, the
 * coordinator.)  Logged once per worker run.
 */
static bool
on_citus_worker_node(void)
{
	int64		groupid = crm_citus_local_group();	/* kit/citus.h; -1: no Citus */

	if (groupid > 0)
		ereport(LOG,
				(errmsg("crm scheduler: database \"%s\" is on a Citus worker node (group %lld); the coordinator does its due work",
						get_database_name(MyDatabaseId), (long long) groupid)));
	return groupid > 0;
}

/*
 * One batch in its own transaction; returns whether a handler filled its
 * batch (so more may be due).  *next gets the earliest pending instant, or
 * stays unchanged when nothing is pending.
 */
static bool
run_one_batch(int slot, int batch, TimestampTz *next, bool *have_next)
{
	int64		counts[CRM_MAX_DUE_HANDLERS];
	bool		full = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "crm.run_due");

	*have_next = false;
	if (extension_ready(slot) && !on_citus_worker_node())
	{
		crm_run_due_handlers(GetCurrentTimestamp(), batch, true, 0, counts);
		for (int h = 0; h < crm_due_handler_count(); h++)
			if (counts[h] >= batch)
				full = true;
		if (!full)
		{
			/* A fresh snapshot sees what committed while the batch ran. */
			PopActiveSnapshot();
			CommandCounterIncrement();
			PushActiveSnapshot(GetTransactionSnapshot());
			*have_next = crm_next_due(true, 0, next);
		}
	}

	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return full;
}

/*
 * The event stream's notifications relayed, in a transaction of its own;
 * returns whether this node relays (the coordinator of a distributed crm).
 */
static bool
relay_events(int slot)
{
	bool		relays = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "crm.relay_events");
	if (extension_ready(slot))
		relays = crm_relay_events(NULL, NULL) >= 0;
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return relays;
}

void
crm_scheduler_database_main(Datum arg)
{
	int			i = DatumGetInt32(arg);
	TimestampTz next = 0;
	bool		have_next = false;
	TimestampTz now;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(crm_worker_slot_database(i), NULL, 0);
	pgstat_report_appname("crm scheduler");

	/*
	 * From here on, commits lower next_run below the fallback; what they
	 * wrote before our first snapshot is seen by the handlers anyway.
	 */
	crm_worker_slot_connected(i, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															 crm_scheduler_max_sleep_ms));

	if (RecoveryInProgress())
		proc_exit(0);

	while (run_one_batch(i, crm_scheduler_batch_size, &next, &have_next))
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (!crm_scheduler_enabled)
			break;
	}

	now = GetCurrentTimestamp();
	if (have_next && next <= now)
		next = now + CRM_LOCKED_RETRY_US;	/* still due now: locked by another transaction */
	if (crm_scheduler_enabled && relay_events(i))
	{
		TimestampTz relay = TimestampTzPlusMilliseconds(now, crm_event_relay_interval_ms);

		if (!have_next || relay < next)
			next = relay;
		have_next = true;
	}
	if (have_next)
		crm_worker_publish_next_run(i, next);
	proc_exit(0);
}
