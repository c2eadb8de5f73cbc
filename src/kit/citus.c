/*
 * kit/citus.c
 *	  What crm needs to know of Citus (see kit/citus.h).
 *
 * Whether a relation is a Citus table: a few answers are kept (crm asks
 * about a handful of tables); a relcache invalidation of a relation forgets
 * its answer, one of every relation (a cache reset) forgets them all.
 * Without the citus extension (crm_citus_active) nothing is asked.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "kit/citus.h"
#include "kit/relcache.h"
#include "kit/xact_cache.h"

#define NESTING_GUC "citus.allow_nested_distributed_execution"

int
crm_citus_nesting_begin(void)
{
	int			level;

	if (GetConfigOption(NESTING_GUC, true, false) == NULL)
		return 0;				/* no Citus in this server */
	level = NewGUCNestLevel();
	(void) set_config_option(NESTING_GUC, "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
crm_citus_nesting_end(int level)
{
	if (level > 0)
		AtEOXact_GUC(true, level);
}

typedef bool (*CitusFlag) (void);

bool
crm_citus_generating_subplans(void)
{
	static bool looked_up = false;
	static CitusFlag generating_subplans = NULL;

	if (GetConfigOption(NESTING_GUC, true, false) == NULL)
		return false;			/* no Citus in this server */
	if (!looked_up)
	{
		generating_subplans = (CitusFlag) load_external_function("$libdir/citus", "GeneratingSubplans",
																 false, NULL);
		looked_up = true;
	}
	return generating_subplans != NULL && generating_subplans();
}

static CrmXactCache citus_cache = {"citus", true};
static bool citus_installed;

bool
crm_citus_active(void)
{
	if (!crm_xact_cache_valid(&citus_cache))
	{
		citus_installed = OidIsValid(get_extension_oid("citus", true));
		crm_xact_cache_set_valid(&citus_cache);
	}
	return citus_installed;
}

int64
crm_citus_local_group(void)
{
	static CrmPlan group = {
		"SELECT groupid::pg_catalog.int8 FROM pg_catalog.pg_dist_local_group", 0, {0}
	};
	int64		groupid = 0;

	if (!crm_citus_active())
		return -1;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm: SPI_connect failed");
	if (crm_exec(&group, NULL, NULL, true, 1) == 1)
		groupid = crm_get_int64(0, 1, NULL);
	SPI_finish();
	return groupid;
}

bool
crm_citus_in_task(void)
{
	const char *name;

	if (!crm_citus_active())
		return false;			/* no setting looked up on one server */
	name = GetConfigOption("application_name", true, false);
	return name != NULL && strncmp(name, "citus_internal", 14) == 0;
}

const char *
crm_citus_table_name(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	const char *tail = strrchr(name, '_');
	char	   *table;

	if (tail == NULL || tail[1] == '\0' || strspn(tail + 1, "0123456789") != strlen(tail + 1) ||
		!crm_citus_in_task())
		return name;
	table = pnstrdup(name, tail - name);
	if (!OidIsValid(get_relname_relid(table, RelationGetNamespace(rel))))
		return name;
	return table;
}

void
crm_become_owner_to_read(CrmUserSwitch *save, const char *table)
{
	if (crm_citus_active() && !crm_citus_in_task() &&
		pg_class_aclcheck(get_relname_relid(table, get_namespace_oid("crm", false)),
						  GetUserId(), ACL_SELECT) == ACLCHECK_OK)
	{
		GetUserIdAndSecContext(&save->saved_userid, &save->saved_sec_context);
		return;
	}
	crm_become_owner(save);
}

/* ---- whether a relation is a Citus table ---- */

#define KEPT_ANSWERS 8

typedef struct Answer
{
	Oid			relid;			/* InvalidOid: a free place */
	bool		distributed;
} Answer;

static Answer answers[KEPT_ANSWERS];
static bool callback_registered = false;

static void
forget_answers(Datum arg, Oid relid)
{
	int			i;

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
	if (!crm_citus_active())
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
