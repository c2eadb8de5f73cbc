/*
 * kit/relcache.c
 *	  crm's relcache callbacks, behind one of PostgreSQL's; see kit/relcache.h.
 */
#include "postgres.h"

#include "kit/relcache.h"

#define MAX_CALLBACKS 16

static struct
{
	RelcacheCallbackFunction fn;
	Datum		arg;
}			callbacks[MAX_CALLBACKS];
static int	ncallbacks = 0;

static void
call_all(Datum unused, Oid relid)
{
	int			i;

	for (i = 0; i < ncallbacks; i++)
		callbacks[i].fn(callbacks[i].arg, relid);
}

void
crm_register_relcache_callback(RelcacheCallbackFunction fn, Datum arg)
{
	if (ncallbacks >= MAX_CALLBACKS)
		elog(FATAL, "crm: out of relcache callback slots");
	if (ncallbacks == 0)
		CacheRegisterRelcacheCallback(call_all, (Datum) 0);
	callbacks[ncallbacks].fn = fn;
	callbacks[ncallbacks].arg = arg;
	ncallbacks++;
}
