/*
 * lead_rules.c
 *	  The lead types, statuses and transition rules of an account, which
 *	  every lead insert and status move reads: kept per backend and account
 *	  (kit/backend_cache.h), read again once crm.lead_types, crm.statuses or
 *	  crm.status_transitions changes (their <table>_99_cache triggers,
 *	  caches.sql).  Three queries fill an account's entry; a lookup is then a
 *	  search of a few rows in memory.
 * C API (lead_rules.h): crm_lead_rules, crm_lead_type, crm_lead_default_type,
 * crm_lead_status, crm_lead_move_allowed.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/memutils.h"

#include "crm.h"
#include "kit/citus.h"
#include "lead_rules.h"

static CrmBackendCache rules_cache = {
	"lead rules", sizeof(CrmLeadRules), {"lead_types", "statuses", "status_transitions"}
};

static CrmPlan account_types = {
	"SELECT id, initial_status_id, is_default, number_template FROM crm.lead_types "
	"WHERE account_id = $1",
	1, {INT8OID}
};
static CrmPlan account_statuses = {
	"SELECT id, name, kind FROM crm.statuses WHERE account_id = $1 ORDER BY position, id",
	1, {INT8OID}
};
static CrmPlan account_transitions = {
	"SELECT lead_type_id, from_status_id, to_status_id FROM crm.status_transitions "
	"WHERE account_id = $1",
	1, {INT8OID}
};

static int
read_rows(CrmPlan *plan, int64 account_id)
{
	Datum		arg = Int64GetDatum(account_id);

	return (int) crm_exec_latest(plan, &arg, NULL, 0);
}

static char *
copy_text(MemoryContext memory, int row, int col)
{
	return MemoryContextStrdup(memory, SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col));
}

static void
read_types(CrmLeadRules *r, MemoryContext memory)
{
	r->ntypes = read_rows(&account_types, r->head.account_id);
	r->types = MemoryContextAllocZero(memory, sizeof(CrmLeadType) * Max(r->ntypes, 1));
	for (int i = 0; i < r->ntypes; i++)
	{
		r->types[i].id = crm_get_int64(i, 1, NULL);
		r->types[i].initial_status_id = crm_get_int64(i, 2, NULL);
		r->types[i].is_default = crm_get_bool(i, 3, NULL);
		r->types[i].number_template = copy_text(memory, i, 4);
	}
}

static void
read_statuses(CrmLeadRules *r, MemoryContext memory)
{
	r->nstatuses = read_rows(&account_statuses, r->head.account_id);
	r->statuses = MemoryContextAllocZero(memory, sizeof(CrmStatus) * Max(r->nstatuses, 1));
	for (int i = 0; i < r->nstatuses; i++)
	{
		r->statuses[i].id = crm_get_int64(i, 1, NULL);
		r->statuses[i].name = copy_text(memory, i, 2);
		strlcpy(r->statuses[i].kind, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3),
				sizeof(r->statuses[i].kind));
	}
}

static void
read_transitions(CrmLeadRules *r, MemoryContext memory)
{
	r->ntransitions = read_rows(&account_transitions, r->head.account_id);
	r->transitions = MemoryContextAllocZero(memory, sizeof(CrmTransition) * Max(r->ntransitions, 1));
	for (int i = 0; i < r->ntransitions; i++)
	{
		CrmTransition *t = &r->transitions[i];

		t->lead_type_id = crm_get_int64(i, 1, &t->any_type);
		t->from_status_id = crm_get_int64(i, 2, NULL);
		t->to_status_id = crm_get_int64(i, 3, NULL);
	}
}

/*
 * Reads the three tables of the account into memory of its own, which joins
 * the cache's once every read succeeded (and goes with the caller's on an
 * error).
 */
static void
read_rules(CrmLeadRules *r)
{
	CrmUserSwitch user;
	MemoryContext memory = AllocSetContextCreate(CurrentMemoryContext, "crm lead rules",
												 ALLOCSET_SMALL_SIZES);

	SPI_connect();
	/* as the caller on the Citus coordinator, after the caller's writes (kit/citus.h) */
	crm_become_owner_to_read(&user, "status_transitions");
	read_types(r, memory);
	read_statuses(r, memory);
	read_transitions(r, memory);
	crm_restore_user(&user);
	SPI_finish();
	MemoryContextSetParent(memory, crm_backend_cache_memory(&rules_cache));
}

const CrmLeadRules *
crm_lead_rules(int64 account_id)
{
	CrmLeadRules *r = crm_backend_cache_entry(&rules_cache, account_id);

	if (!r->head.filled)
	{
		read_rules(r);
		r->head.filled = true;
	}
	return r;
}

const CrmLeadType *
crm_lead_type(const CrmLeadRules *rules, int64 type_id)
{
	for (int i = 0; i < rules->ntypes; i++)
		if (rules->types[i].id == type_id)
			return &rules->types[i];
	return NULL;
}

const CrmLeadType *
crm_lead_default_type(const CrmLeadRules *rules)
{
	for (int i = 0; i < rules->ntypes; i++)
		if (rules->types[i].is_default)
			return &rules->types[i];
	return NULL;
}

const CrmStatus *
crm_lead_status(const CrmLeadRules *rules, int64 status_id)
{
	for (int i = 0; i < rules->nstatuses; i++)
		if (rules->statuses[i].id == status_id)
			return &rules->statuses[i];
	return NULL;
}

bool
crm_lead_move_allowed(const CrmLeadRules *rules, int64 type_id, int64 from_status, int64 to_status)
{
	bool		any_rule = false;

	for (int i = 0; i < rules->ntransitions; i++)
	{
		const CrmTransition *t = &rules->transitions[i];

		if (t->from_status_id != from_status || (!t->any_type && t->lead_type_id != type_id))
			continue;
		if (t->to_status_id == to_status)
			return true;
		any_rule = true;
	}
	return !any_rule;
}
