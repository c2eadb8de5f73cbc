/*
 * kit/inval.c
 *	  One relcache callback for all of crm's; see kit/inval.h.
 */
#include "postgres.h"

#include "utils/inval.h"

#include "kit/inval.h"

#define CRM_MAX_RELCACHE_CALLBACKS 16
static CrmRelcacheCallback callbacks[CRM_MAX_RELCACHE_CALLBACKS];
static int	n_callbacks = 0;
static bool registered = false;

static void
call_all(Datum arg, Oid relid)
{
	for (int i = 0; i < n_callbacks; i++)
		callbacks[i] (relid);
}

void
crm_relcache_callback(CrmRelcacheCallback callback)
{
	for (int i = 0; i < n_callbacks; i++)
		if (callbacks[i] == callback)
			return;
	if (n_callbacks >= CRM_MAX_RELCACHE_CALLBACKS)
		elog(ERROR, "crm: more than %d relcache callbacks", CRM_MAX_RELCACHE_CALLBACKS);
	if (!registered)
	{
		CacheRegisterRelcacheCallback(call_all, (Datum) 0);
		registered = true;
	}
	callbacks[n_callbacks++] = callback;
}
