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

/* ---- oids forgotten on an invalidation ---- */

#define MAX_KEPT_RELIDS 32

static Oid *kept_relids[MAX_KEPT_RELIDS];
static int	nkept = 0;

static void
forget_relids(Datum arg, Oid relid)
{
	for (int i = 0; i < nkept; i++)
		if (relid == InvalidOid || *kept_relids[i] == relid)
			*kept_relids[i] = InvalidOid;
}

void
crm_forget_relid_on_invalidation(Oid *relid)
{
	for (int i = 0; i < nkept; i++)
		if (kept_relids[i] == relid)
			return;
	if (nkept >= MAX_KEPT_RELIDS)
		elog(ERROR, "crm: more than %d relations kept by the kit", MAX_KEPT_RELIDS);
	if (nkept == 0)
		crm_register_relcache_callback(forget_relids, (Datum) 0);
	kept_relids[nkept++] = relid;
}
