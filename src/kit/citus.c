/*
 * kit/citus.c
 *	  What crm needs to know of Citus (see kit/citus.h).
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
