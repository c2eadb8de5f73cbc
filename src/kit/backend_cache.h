/*
 * kit/backend_cache.h
 *	  What crm reads on every write and keeps in this backend across
 *	  transactions (account settings, an account's lead types, statuses and
 *	  transition rules, its notification rules), one entry per account, until
 *	  one of the tables it was read from changes.
 *
 * A change of such a table is seen by the next statement of every session:
 * the statement trigger crm._cache_changed('<table>') on each cached table
 * (caches.sql) sends a relcache invalidation of the table, transactional as
 * the change is (other sessions receive it once the change commits, this one
 * at its next command, and again when the change is rolled back), and the
 * relcache callback registered once per backend forgets every cache read
 * from that table (a reset of the caches, relid 0, forgets them all).  An
 * entry is read with the latest snapshot (crm_exec_latest), not the
 * transaction's, so what a backend keeps is never older than the last
 * invalidation it received.  A cache holds at most 1000 accounts: the next
 * one after that starts it over.
 *
 *	typedef struct Rules { CrmBackendCacheEntry head; int n; ... } Rules;
 *	static CrmBackendCache rules_cache = {"lead rules", sizeof(Rules),
 *										  {"lead_types", "statuses"}};
 *
 *	Rules *r = crm_backend_cache_entry(&rules_cache, account_id);
 *	if (!r->head.filled)
 *	{
 *		... read (crm_exec_latest); once every read succeeded, copy into
 *		crm_backend_cache_memory(&rules_cache) ...
 *		r->head.filled = true;
 *	}
 *
 * A filled entry is never written again, and a forgotten cache's memory
 * lives until the end of the transaction: an entry and what it points to
 * stay good until then at least.
 */
#ifndef CRM_KIT_BACKEND_CACHE_H
#define CRM_KIT_BACKEND_CACHE_H

#include "postgres.h"

#include "utils/hsearch.h"

#define CRM_BACKEND_CACHE_MAX_TABLES 4

/* The head of every entry: its account, and whether it has been read. */
typedef struct CrmBackendCacheEntry
{
	int64		account_id;
	bool		filled;
} CrmBackendCacheEntry;

typedef struct CrmBackendCache
{
	const char *name;
	Size		entry_size;		/* of the entry, CrmBackendCacheEntry first */
	const char *tables[CRM_BACKEND_CACHE_MAX_TABLES];	/* of schema crm */
	/* kept by the kit */
	uint64		generation;		/* bumped by a change of one of the tables */
	uint64		read_generation;	/* of the entries held */
	Oid			relids[CRM_BACKEND_CACHE_MAX_TABLES];
	bool		registered;
	MemoryContext memory;
	HTAB	   *entries;
} CrmBackendCache;

/* The entry of account_id, filled or not (see above). */
extern void *crm_backend_cache_entry(CrmBackendCache *cache, int64 account_id);
/* Memory that lives as long as the cache's entries. */
extern MemoryContext crm_backend_cache_memory(CrmBackendCache *cache);

#endif							/* CRM_KIT_BACKEND_CACHE_H */
