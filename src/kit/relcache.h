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

#endif							/* CRM_KIT_RELCACHE_H */
