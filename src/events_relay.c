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
 * fails relays again.  Several commits between two relays are one
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
static CrmPlan mark_relayed = {
	"UPDATE crm.event_counters SET relayed_id = last_id"
	" WHERE account_id = $1 AND relayed_id IS DISTINCT FROM last_id RETURNING last_id",
	1, {INT8OID}
};

/* Whether this node is the coordinator of a distributed crm. */
static bool
relay_here(void)
{
	return crm_citus_local_group() == 0 &&
		crm_relation_is_distributed(get_relname_relid("event_counters",
													  get_namespace_oid("crm", false)));
}

/* Notifies one account's listeners of its newest id; false when nothing is new. */
static bool
relay_account(int64 account_id, int64 *last)
{
	Datum		arg = Int64GetDatum(account_id);
	char		channel[NAMEDATALEN];
	char		payload[32];

	if (crm_exec(&mark_relayed, &arg, NULL, false, 0) != 1)
		return false;			/* relayed meanwhile */
	*last = crm_get_int64(0, 1, NULL);
	snprintf(channel, sizeof(channel), "crm_events_%lld", (long long) account_id);
	snprintf(payload, sizeof(payload), INT64_FORMAT, *last);
	Async_Notify(channel, payload);
	return true;
}

int64
crm_relay_events(Tuplestorestate *out, TupleDesc desc)
{
	CrmUserSwitch user;
	int64	   *accounts;
	uint64		n;
	int64		relayed = 0;

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

		if (!relay_account(accounts[i], &last))
			continue;
		relayed++;
		if (out == NULL)
			continue;
		values[0] = Int64GetDatum(accounts[i]);
		values[1] = Int64GetDatum(last);
		tuplestore_putvalues(out, desc, values, nulls);
	}
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
