/*
 * kit/citus.c
 *	  Whether a relation is a Citus table; see kit/citus.h.
 *
 * A few answers are kept (crm asks about a handful of tables); a relcache
 * invalidation of a relation forgets its answer, one of every relation (a
 * cache reset) forgets them all.  Whether the citus extension exists is kept
 * too, and forgotten on any relcache invalidation: pg_extension has no cache
 * of its own, but CREATE and DROP EXTENSION citus make and drop relations
 * (pg_dist_partition among them), which invalidates them.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/inval.h"

#include "kit/citus.h"
#include "kit/relcache.h"

#define KEPT_ANSWERS 8

typedef struct Answer
{
	Oid			relid;			/* InvalidOid: a free place */
	bool		distributed;
} Answer;

typedef enum CitusState
{
	CITUS_UNKNOWN,
	CITUS_ABSENT,
	CITUS_PRESENT
} CitusState;

static Answer answers[KEPT_ANSWERS];
static CitusState citus = CITUS_UNKNOWN;
static bool callback_registered = false;

static void
forget_answers(Datum arg, Oid relid)
{
	int			i;

	citus = CITUS_UNKNOWN;
	for (i = 0; i < KEPT_ANSWERS; i++)
		if (relid == InvalidOid || answers[i].relid == relid)
			answers[i].relid = InvalidOid;
}

/* Asks pg_dist_partition (through SPI, once per relation and backend). */
static bool
ask_citus(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	bool		distributed;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm: SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "crm: reading pg_dist_partition failed");
	distributed = SPI_processed > 0;
	SPI_finish();
	return distributed;
}

bool
crm_relation_is_distributed(Oid relid)
{
	bool		distributed;
	int			i;

	if (!callback_registered)
	{
		crm_register_relcache_callback(forget_answers, (Datum) 0);
		callback_registered = true;
	}
	if (citus == CITUS_UNKNOWN)
		citus = OidIsValid(get_extension_oid("citus", true)) ? CITUS_PRESENT : CITUS_ABSENT;
	if (citus == CITUS_ABSENT)
		return false;
	for (i = 0; i < KEPT_ANSWERS; i++)
		if (answers[i].relid == relid)
			return answers[i].distributed;
	distributed = ask_citus(relid);
	for (i = 0; i < KEPT_ANSWERS; i++)
		if (answers[i].relid == InvalidOid)
		{
			answers[i].relid = relid;
			answers[i].distributed = distributed;
			break;
		}
	return distributed;
}
