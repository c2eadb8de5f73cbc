/*
 * events_relay.c
 *	  The event stream's notifications on Citus: relayed by the coordinator
 *	  to the listeners connected to it.
 *
 * On one server the transaction that writes an account's events notifies
 * crm_events_<account_id> with the newest id when it commits (events.c).  On
 * Citus that transaction is a worker node's part of the coordinator's: a
 * part committed in two phases cannot notify (PREPARE TRANSACTION refuses a
 * NOTIFY), and one committed in one phase notifies a listener on that worker
 * only.  Applications connect to the coordinator, so the coordinator relays:
 * for every account whose counter (crm.event_counters.last_id, the newest
 * committed event id) has moved past what was relayed (relayed_id), it
 * notifies the same channel, crm_events_<account_id>, with the same payload,
 * the newest id, and records it as relayed, in one transaction: a relay that
 * fails relays again.  When those events include an outbox row queued
 * (outbox_queued), the relay also sends the outbox's wake-up, NOTIFY
 * crm_outbox with an empty payload, once (outbox_delivery.c sends none from
 * a Citus worker's part).  Several commits between two relays are one
 * notification with the newest id, which is what a listener reads
 * crm.events_since up to anyway; a listener hears no more than on one server
 * (the channel and the id; what the events say it reads as itself).
 *
 * The relay runs on the coordinator of a distributed installation only: the
 * background worker of the coordinator runs it after its due work
 * (worker.c, at least every crm.event_relay_interval), or anyone as the owner
 * calls crm.relay_events().  The accounts are read in one multi-shard SELECT
 * without locks; each relay is a statement of one account (routed to its
 * shard), in account order, the order in which a commit locks its accounts'
 * counters (events.c): no deadlock with the writers.
 *
 * Functions:
 *	crm_relay_events	one relay (events.h)
 *	crm.relay_events()	-> (account_id, last_id)		crm_relay_events_sql
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/async.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "crm.h"
#include "events.h"

static CrmPlan accounts_behind = {
	"SELECT account_id FROM crm.event_counters"
	" WHERE relayed_id IS DISTINCT FROM last_id ORDER BY account_id",
	0, {0}
};
/* The newest id, and the one relayed before (0: none). */
static CrmPlan mark_relayed = {
	"UPDATE crm.event_counters c SET relayed_id = c.last_id"
	" FROM crm.event_counters o"
	" WHERE c.account_id = $1 AND o.account_id = $1 AND c.relayed_id IS DISTINCT FROM c.last_id"
	" RETURNING c.last_id, COALESCE(o.relayed_id, 0)",
	1, {INT8OID}
};
static CrmPlan outbox_queued = {
	"SELECT EXISTS (SELECT 1 FROM crm.events WHERE account_id = $1 AND id > $2 AND id <= $3"
	" AND kind = 'outbox_queued')",
	3, {INT8OID, INT8OID, INT8OID}
};

/* Whether this node is the coordinator of a distributed crm. */
static bool
relay_here(void)
{
	return crm_citus_local_group() == 0 &&
		crm_relation_is_distributed(get_relname_relid("event_counters",
													  get_namespace_oid("crm", false)));
}

/*
 * Notifies one account's listeners of its newest id; false when nothing is
 * new.  *outbox is set when the events relayed queued an outbox row (asked
 * only while it is not set).
 */
static bool
relay_account(int64 account_id, int64 *last, bool *outbox)
{
	Datum		args[3] = {Int64GetDatum(account_id)};
	char		channel[NAMEDATALEN];
	char		payload[32];

	if (crm_exec(&mark_relayed, args, NULL, false, 0) != 1)
		return false;			/* relayed meanwhile */
	*last = crm_get_int64(0, 1, NULL);
	args[1] = Int64GetDatum(crm_get_int64(0, 2, NULL));
	args[2] = Int64GetDatum(*last);
	snprintf(channel, sizeof(channel), "crm_events_%lld", (long long) account_id);
	snprintf(payload, sizeof(payload), INT64_FORMAT, *last);
	Async_Notify(channel, payload);
	if (!*outbox && crm_exec(&outbox_queued, args, NULL, true, 1) == 1)
		*outbox = crm_get_bool(0, 1, NULL);
	return true;
}

int64
crm_relay_events(Tuplestorestate *out, TupleDesc desc)
{
	CrmUserSwitch user;
	int64	   *accounts;
	uint64		n;
	int64		relayed = 0;
	bool		outbox = false;

	if (!relay_here())
		return -1;
	SPI_connect();
	crm_become_owner(&user);
	n = crm_exec(&accounts_behind, NULL, NULL, true, 0);
	accounts = palloc(sizeof(int64) * (n + 1));
	for (uint64 i = 0; i < n; i++)
		accounts[i] = crm_get_int64(i, 1, NULL);
	for (uint64 i = 0; i < n; i++)
	{
		int64		last;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (!relay_account(accounts[i], &last, &outbox))
			continue;
		relayed++;
		if (out == NULL)
			continue;
		values[0] = Int64GetDatum(accounts[i]);
		values[1] = Int64GetDatum(last);
		tuplestore_putvalues(out, desc, values, nulls);
	}
	if (outbox)
		Async_Notify("crm_outbox", NULL);
	crm_restore_user(&user);
	SPI_finish();
	return relayed;
}

/*
 * crm.relay_events() -> (account_id, last_id): the accounts notified, each
 * with the id it was told.  Nothing on one server or a worker node.
 */
PG_FUNCTION_INFO_V1(crm_relay_events_sql);
Datum
crm_relay_events_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	(void) crm_relay_events(rsinfo->setResult, rsinfo->setDesc);
	return (Datum) 0;
}
