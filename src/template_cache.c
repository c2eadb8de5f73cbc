/*
 * template_cache.c
 *	  An account's message templates, kept per backend (kit/backend_cache.h)
 *	  for the calls that send one: a call with a template reads its subject
 *	  and body here, not from the table.
 *
 * The entry of an account holds every template of it (id, subject, body),
 * sorted by id, read with the latest snapshot in one query; a change of
 * crm.message_templates (trigger message_templates_99_cache, caches.sql)
 * makes every session read them again from its next statement on, as the
 * other per-backend caches.
 *
 * C API (templates.h): crm_message_template.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/memutils.h"

#include "crm.h"
#include "kit/backend_cache.h"
#include "templates.h"

typedef struct AccountTemplates
{
	CrmBackendCacheEntry head;
	int			n;
	int64	   *ids;			/* ascending */
	char	  **subjects;
	char	  **bodies;
} AccountTemplates;

static CrmBackendCache templates_cache = {"message templates", sizeof(AccountTemplates),
{"message_templates"}};

static CrmPlan account_templates = {
	"SELECT id, subject, body FROM crm.message_templates WHERE account_id = $1 ORDER BY id",
	1, {INT8OID}
};

/* Reads the account's templates into entry (connected to SPI). */
static void
read_templates(AccountTemplates *entry)
{
	Datum		arg = Int64GetDatum(entry->head.account_id);
	uint64		n = crm_exec_latest(&account_templates, &arg, NULL, 0);
	MemoryContext memory = crm_backend_cache_memory(&templates_cache);
	MemoryContext old;
	int64	   *ids = MemoryContextAlloc(memory, sizeof(int64) * Max(n, 1));
	char	  **subjects = MemoryContextAlloc(memory, sizeof(char *) * Max(n, 1));
	char	  **bodies = MemoryContextAlloc(memory, sizeof(char *) * Max(n, 1));

	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		char	   *subject = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		char	   *body = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3);

		ids[i] = crm_get_int64(i, 1, &isnull);
		old = MemoryContextSwitchTo(memory);
		subjects[i] = subject ? pstrdup(subject) : NULL;
		bodies[i] = body ? pstrdup(body) : NULL;
		MemoryContextSwitchTo(old);
	}
	/* filled only once every read succeeded */
	entry->ids = ids;
	entry->subjects = subjects;
	entry->bodies = bodies;
	entry->n = (int) n;
	entry->head.filled = true;
}

/* See templates.h. */
bool
crm_message_template(int64 account_id, int64 template_id, const char **subject,
					 const char **body)
{
	AccountTemplates *entry = crm_backend_cache_entry(&templates_cache, account_id);
	int			lo = 0;
	int			hi;

	if (!entry->head.filled)
		read_templates(entry);
	hi = entry->n - 1;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (entry->ids[mid] == template_id)
		{
			*subject = entry->subjects[mid];
			*body = entry->bodies[mid];
			return true;
		}
		if (entry->ids[mid] < template_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}
