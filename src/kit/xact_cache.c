/*
 * kit/xact_cache.c
 *	  Per-transaction caches: one transaction callback and one subtransaction
 *	  callback for all of them; see kit/xact_cache.h.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"

#include "kit/xact_cache.h"

#define CRM_MAX_XACT_CACHES 16
static CrmXactCache *caches[CRM_MAX_XACT_CACHES];
static int	n_caches = 0;
static bool callbacks_registered = false;

void
crm_xact_cache_forget(CrmXactCache *cache)
{
	if (!cache->valid && cache->memory == NULL)
		return;
	cache->valid = false;
	if (cache->memory != NULL)
		MemoryContextReset(cache->memory);
	if (cache->forget)
		cache->forget();
}

static void
forget_at_xact_end(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			for (int i = 0; i < n_caches; i++)
				crm_xact_cache_forget(caches[i]);
			break;
		default:
			break;
	}
}

static void
forget_at_subxact_abort(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (int i = 0; i < n_caches; i++)
		if (!caches[i]->keep_on_subxact_abort)
			crm_xact_cache_forget(caches[i]);
}

static void
register_cache(CrmXactCache *cache)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(forget_at_xact_end, NULL);
		RegisterSubXactCallback(forget_at_subxact_abort, NULL);
		callbacks_registered = true;
	}
	if (n_caches >= CRM_MAX_XACT_CACHES)
		elog(ERROR, "crm: more than %d transaction caches", CRM_MAX_XACT_CACHES);
	caches[n_caches++] = cache;
	cache->registered = true;
}

bool
crm_xact_cache_valid(CrmXactCache *cache)
{
	if (!cache->registered)
		register_cache(cache);
	return cache->valid;
}

void
crm_xact_cache_set_valid(CrmXactCache *cache)
{
	if (!cache->registered)
		register_cache(cache);
	cache->valid = true;
}

MemoryContext
crm_xact_cache_memory(CrmXactCache *cache)
{
	if (!cache->registered)
		register_cache(cache);
	if (cache->memory == NULL)
	{
		cache->memory = AllocSetContextCreate(TopMemoryContext, "crm transaction cache",
											  ALLOCSET_SMALL_SIZES);
		MemoryContextSetIdentifier(cache->memory, cache->name);
	}
	return cache->memory;
}
