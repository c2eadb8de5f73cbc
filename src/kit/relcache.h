/*
 * kit/relcache.h
 *	  crm's relcache callbacks, behind one of PostgreSQL's.
 *
 * PostgreSQL keeps room for 10 relcache callbacks per backend (and stops the
 * backend when one more is registered); the server takes two or three and
 * Citus five.  Every per-backend cache of crm that forgets on a relcache
 * invalidation registers here instead, with CacheRegisterRelcacheCallback's
 * signature and meaning: fn(arg, relid) for every invalidation, relid
 * InvalidOid when every relation's entry is to be forgotten.
 */
#ifndef CRM_KIT_RELCACHE_H
#define CRM_KIT_RELCACHE_H

#include "postgres.h"

#include "utils/inval.h"

extern void crm_register_relcache_callback(RelcacheCallbackFunction fn, Datum arg);

/*
 * A relation's oid kept as the key of a per-backend verdict on it (the kit's
 * direct writes): set to InvalidOid by an invalidation of that relation (or
 * of every relation).  Registered once per variable, which lives as long as
 * the backend (a static).
 */
extern void crm_forget_relid_on_invalidation(Oid *relid);

#endif							/* CRM_KIT_RELCACHE_H */
