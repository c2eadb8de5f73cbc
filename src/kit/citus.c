/*
 * kit/citus.c
 *	  Whether crm runs on Citus, and nested reads; see kit/citus.h.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "kit/citus.h"
#include "kit/xact_cache.h"

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

bool
crm_citus_in_task(void)
{
	const char *name = GetConfigOption("application_name", true, false);

	return crm_citus_active() && name != NULL && strncmp(name, "citus_internal", 14) == 0;
}

int
crm_citus_nested_begin(void)
{
	int			level;

	if (!crm_citus_active())
		return 0;
	level = NewGUCNestLevel();
	(void) set_config_option("citus.allow_nested_distributed_execution", "on",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return level;
}

void
crm_citus_nested_end(int level)
{
	if (level > 0)
		AtEOXact_GUC(true, level);
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
