/*
 * kit/backend_cache.c
 *	  Per-backend caches keyed by account, forgotten by the relcache callback
 *	  when one of their tables changes; the statement trigger that sends that
 *	  invalidation (crm._cache_changed, caches.sql); see kit/backend_cache.h.
 *
 * On the Citus coordinator the trigger fires on a worker, whose invalidation
 * never reaches the coordinator's backends: there a cache of a Citus table
 * holds for the transaction only (forgotten when it ends), so a change is
 * seen from the next transaction on.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "kit/backend_cache.h"
#include "kit/citus.h"
#include "kit/trigger.h"

#define CRM_MAX_BACKEND_CACHES 8
/* A backend that has served this many accounts starts each cache over (bounded memory). */
#define CRM_BACKEND_CACHE_MAX_ACCOUNTS 1000
static CrmBackendCache *caches[CRM_MAX_BACKEND_CACHES];
static int	n_caches = 0;
static bool callback_registered = false;

/*
 * The relcache callback: a change of one of a cache's tables (or a reset,
 * relid 0) makes its entries stale.  Only counts: the entries may be in use
 * right now; the next crm_backend_cache_entry starts over.  The table's oid
 * is looked up again then (the extension may have been made anew).
 */
static void
forget_changed(Datum arg, Oid relid)
{
	for (int i = 0; i < n_caches; i++)
	{
		CrmBackendCache *cache = caches[i];

		for (int t = 0; t < CRM_BACKEND_CACHE_MAX_TABLES && cache->tables[t]; t++)
			if (relid == InvalidOid || cache->relids[t] == relid)
			{
				cache->generation++;
				memset(cache->relids, 0, sizeof(cache->relids));
				break;
			}
	}
}

/* Whether a cache of a Citus table was used on the coordinator in this transaction. */
static bool used_on_coordinator = false;

/* At the end of such a transaction: every cache is stale (see the header). */
static void
forget_at_end(XactEvent event, void *arg)
{
	if (!used_on_coordinator ||
		(event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		 event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT &&
		 event != XACT_EVENT_PREPARE))
		return;
	used_on_coordinator = false;
	forget_changed((Datum) 0, InvalidOid);
}

static void
register_cache(CrmBackendCache *cache)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(forget_changed, (Datum) 0);
		RegisterXactCallback(forget_at_end, NULL);
		callback_registered = true;
	}
	if (n_caches >= CRM_MAX_BACKEND_CACHES)
		elog(ERROR, "crm: too many backend caches");
	caches[n_caches++] = cache;
	cache->registered = true;
}

/* The oids of the cache's tables; false when one is missing (nothing to keep then). */
static bool
resolve_tables(CrmBackendCache *cache)
{
	Oid			crm = get_namespace_oid("crm", true);

	for (int t = 0; t < CRM_BACKEND_CACHE_MAX_TABLES && cache->tables[t]; t++)
	{
		if (!OidIsValid(crm))
			return false;
		cache->relids[t] = get_relname_relid(cache->tables[t], crm);
		if (!OidIsValid(cache->relids[t]))
			return false;
	}
	return true;
}

/*
 * Drops the entries held (their memory lives on until the transaction ends,
 * for whoever still holds one) and starts an empty table of entries.
 */
static void
start_over(CrmBackendCache *cache)
{
	HASHCTL		ctl;

	if (cache->memory != NULL)
		MemoryContextSetParent(cache->memory, TopTransactionContext);
	cache->memory = AllocSetContextCreate(CacheMemoryContext, "crm backend cache", ALLOCSET_SMALL_SIZES);
	MemoryContextSetIdentifier(cache->memory, cache->name);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = cache->entry_size;
	ctl.hcxt = cache->memory;
	cache->entries = hash_create(cache->name, 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	cache->read_generation = cache->generation;
	/* a change seen while looking the tables up counts: the next call starts over */
	if (!resolve_tables(cache))
		cache->read_generation = cache->generation - 1;
}

void *
crm_backend_cache_entry(CrmBackendCache *cache, int64 account_id)
{
	CrmBackendCacheEntry *entry;
	bool		found;

	Assert(cache->entry_size >= sizeof(CrmBackendCacheEntry));
	if (!cache->registered)
		register_cache(cache);
	if (cache->memory == NULL || cache->read_generation != cache->generation ||
		hash_get_num_entries(cache->entries) >= CRM_BACKEND_CACHE_MAX_ACCOUNTS)
		start_over(cache);
	if (!used_on_coordinator && OidIsValid(cache->relids[0]) && crm_citus_active() &&
		!crm_citus_in_task() && crm_relation_is_distributed(cache->relids[0]))
		used_on_coordinator = true;
	entry = hash_search(cache->entries, &account_id, HASH_ENTER, &found);
	if (!found)
	{
		memset((char *) entry + sizeof(int64), 0, cache->entry_size - sizeof(int64));
		entry->filled = false;
	}
	return entry;
}

MemoryContext
crm_backend_cache_memory(CrmBackendCache *cache)
{
	return cache->memory;
}

/*
 * crm._cache_changed(table): AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE,
 * for each statement, of every cached table.  DML sends no relcache
 * invalidation of its own, so this one does, for crm.<table> by name: on a
 * Citus worker the trigger fires on a shard, and the caches there know the
 * logical table.
 */
PG_FUNCTION_INFO_V1(crm_cache_changed);
Datum
crm_cache_changed(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	Trigger    *tg;
	Oid			relid = InvalidOid;

	crm_trigger_start_statement(&trig, fcinfo, "crm_cache_changed", CRM_AFTER,
								CRM_ON_INSERT | CRM_ON_UPDATE | CRM_ON_DELETE | CRM_ON_TRUNCATE,
								false);
	tg = trig.data->tg_trigger;
	if (tg->tgnargs >= 1)
	{
		Oid			crm = get_namespace_oid("crm", true);

		if (OidIsValid(crm))
			relid = get_relname_relid(tg->tgargs[0], crm);
	}
	if (!OidIsValid(relid))
		relid = trig.relid;
	CacheInvalidateRelcacheByRelid(relid);
	return crm_trigger_return(&trig, NULL);
}
