/*
 * kit/inval.h
 *	  crm's relcache invalidation callbacks, behind one of PostgreSQL's.
 *
 * A backend has room for ten relcache callbacks in all (MAX_RELCACHE_CALLBACKS),
 * shared with PostgreSQL itself and every other extension loaded (Citus takes
 * five): crm takes one, and calls each of its own from it.
 *
 *	crm_relcache_callback(forget_columns);
 */
#ifndef CRM_KIT_INVAL_H
#define CRM_KIT_INVAL_H

#include "postgres.h"

/* Called as a relcache callback (relid, or InvalidOid for all); at most 16, each once. */
typedef void (*CrmRelcacheCallback) (Oid relid);

extern void crm_relcache_callback(CrmRelcacheCallback callback);

#endif							/* CRM_KIT_INVAL_H */
