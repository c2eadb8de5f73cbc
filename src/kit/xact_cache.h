/*
 * kit/xact_cache.h
 *	  What a concept reads once and keeps for the rest of the transaction
 *	  (account settings, an employee's right, the counters it holds), forgotten
 *	  when the transaction ends and, unless it says otherwise, when a
 *	  subtransaction aborts (what it read or locked there is undone).
 *
 *	static CrmXactCache settings_cache = {"account settings"};
 *
 *	if (!crm_xact_cache_valid(&settings_cache))
 *	{
 *		... read, copying into crm_xact_cache_memory(&settings_cache) ...
 *		crm_xact_cache_set_valid(&settings_cache);
 *	}
 */
#ifndef CRM_KIT_XACT_CACHE_H
#define CRM_KIT_XACT_CACHE_H

#include "postgres.h"

typedef struct CrmXactCache
{
	const char *name;
	bool		keep_on_subxact_abort;	/* forgotten only at transaction end */
	void		(*forget) (void);	/* called when forgotten, may be NULL */
	/* kept by the kit */
	bool		valid;
	bool		registered;
	MemoryContext memory;
} CrmXactCache;

/* Whether the cache holds this transaction's value (registers it on first use). */
extern bool crm_xact_cache_valid(CrmXactCache *cache);
extern void crm_xact_cache_set_valid(CrmXactCache *cache);
/* Forgets now (a write this session made changes what was read). */
extern void crm_xact_cache_forget(CrmXactCache *cache);
/* Memory that lives until the cache is forgotten. */
extern MemoryContext crm_xact_cache_memory(CrmXactCache *cache);

#endif							/* CRM_KIT_XACT_CACHE_H */
