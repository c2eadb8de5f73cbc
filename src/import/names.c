/*
 * import/names.c
 *	  The names a staged row gives for what crm keys by id: lead types,
 *	  statuses, campaigns and locations by name, employees by email or name;
 *	  and the map of strings the family uses for them and for numbers.
 *
 * Names are read once per run, as the owner, for the run's account only.
 * A name matches exactly; an employee's email matches in any case.
 *
 * C API (import/import.h): crm_import_map_*, crm_import_lead_types,
 * crm_import_statuses, crm_import_campaigns, crm_import_locations,
 * crm_import_name, crm_import_employees, crm_import_employee.
 */
#include "postgres.h"

#include "catalog/pg_collation_d.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

#include "import/import.h"

/* ---- a map of strings ---- */

struct ImportMap
{
	int			size;			/* a power of 2 */
	int			used;
	char	  **keys;
	int64	   *values;
	MemoryContext memory;
};

ImportMap *
crm_import_map_create(int size)
{
	ImportMap  *map = palloc(sizeof(ImportMap));

	map->size = 16;
	while (map->size < size * 2)
		map->size *= 2;
	map->used = 0;
	map->keys = palloc0(sizeof(char *) * map->size);
	map->values = palloc0(sizeof(int64) * map->size);
	map->memory = CurrentMemoryContext;
	return map;
}

static int
map_place(ImportMap *map, const char *key)
{
	uint32		h = hash_bytes((const unsigned char *) key, strlen(key));
	int			i = h & (map->size - 1);

	while (map->keys[i] != NULL && strcmp(map->keys[i], key) != 0)
		i = (i + 1) & (map->size - 1);
	return i;
}

static void
map_grow(ImportMap *map)
{
	int			old_size = map->size;
	char	  **old_keys = map->keys;
	int64	   *old_values = map->values;
	MemoryContext old = MemoryContextSwitchTo(map->memory);

	map->size *= 2;
	map->keys = palloc0(sizeof(char *) * map->size);
	map->values = palloc0(sizeof(int64) * map->size);
	for (int i = 0; i < old_size; i++)
		if (old_keys[i] != NULL)
		{
			int			j = map_place(map, old_keys[i]);

			map->keys[j] = old_keys[i];
			map->values[j] = old_values[i];
		}
	pfree(old_keys);
	pfree(old_values);
	MemoryContextSwitchTo(old);
}

int64 *
crm_import_map_slot(ImportMap *map, const char *key, bool *found)
{
	int			i;

	if ((map->used + 1) * 2 > map->size)
		map_grow(map);
	i = map_place(map, key);
	*found = map->keys[i] != NULL;
	if (!*found)
	{
		map->keys[i] = MemoryContextStrdup(map->memory, key);
		map->values[i] = 0;
		map->used++;
	}
	return &map->values[i];
}

ImportMap *
crm_import_map_create_in(MemoryContext memory, int size)
{
	MemoryContext old = MemoryContextSwitchTo(memory);
	ImportMap  *map = crm_import_map_create(size);

	MemoryContextSwitchTo(old);
	return map;
}

bool
crm_import_map_get(ImportMap *map, const char *key, int64 *value)
{
	int			i = map_place(map, key);

	if (map->keys[i] == NULL)
		return false;
	*value = map->values[i];
	return true;
}

/* ---- names of one kind ---- */

static CrmPlan lead_types = {
	"SELECT name, id, initial_status_id, number_template, is_default FROM crm.lead_types "
	"WHERE account_id = $1 ORDER BY name",
	1, {INT8OID}
};
static CrmPlan statuses = {
	"SELECT name, id, (kind = 'open')::int4::int8, kind, false FROM crm.statuses "
	"WHERE account_id = $1 ORDER BY position, name",
	1, {INT8OID}
};
static CrmPlan campaigns = {
	"SELECT name, id, 0::int8, NULL::text, false FROM crm.campaigns WHERE account_id = $1 ORDER BY name",
	1, {INT8OID}
};
static CrmPlan locations = {
	"SELECT name, id, 0::int8, NULL::text, false FROM crm.locations WHERE account_id = $1 ORDER BY name",
	1, {INT8OID}
};

/* The names listed in a hint: the first ones, then how many more. */
#define LISTED_NAMES 20

static ImportNames *
read_names(ImportRun *run, CrmPlan *plan, const char *what, const char *plural, const char *table)
{
	MemoryContext caller = CurrentMemoryContext;
	ImportNames *names;
	Datum		arg = Int64GetDatum(run->account_id);
	CrmUserSwitch user;
	StringInfoData listing;
	uint64		n;

	crm_become_owner(&user);
	n = crm_exec(plan, &arg, NULL, true, 0);
	crm_restore_user(&user);
	MemoryContextSwitchTo(run->memory);
	names = palloc0(sizeof(ImportNames));
	names->what = what;
	names->plural = plural;
	names->table = table;
	names->n = (int) n;
	names->items = palloc0(sizeof(ImportName) * Max(n, 1));
	names->by_name = crm_import_map_create((int) n);
	names->default_index = -1;
	initStringInfo(&listing);
	for (uint64 i = 0; i < n; i++)
	{
		ImportName *item = &names->items[i];
		bool		found;

		item->name = crm_get_text(i, 1);
		item->id = crm_get_int64(i, 2, NULL);
		item->extra = crm_get_int64(i, 3, NULL);
		item->text = crm_get_text(i, 4);
		if (crm_get_bool(i, 5, NULL))
			names->default_index = (int64) i;
		*crm_import_map_slot(names->by_name, item->name, &found) = (int64) i;
		if (i < LISTED_NAMES)
			appendStringInfo(&listing, "%s\"%s\"", i > 0 ? ", " : "", item->name);
	}
	if (n > LISTED_NAMES)
		appendStringInfo(&listing, " and %d more", (int) (n - LISTED_NAMES));
	names->listing = listing.data;
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
	return names;
}

ImportNames *
crm_import_lead_types(ImportRun *run)
{
	return read_names(run, &lead_types, "lead type", "lead types", "crm.lead_types");
}

ImportNames *
crm_import_statuses(ImportRun *run)
{
	return read_names(run, &statuses, "status", "statuses", "crm.statuses");
}

ImportNames *
crm_import_campaigns(ImportRun *run)
{
	return read_names(run, &campaigns, "campaign", "campaigns", "crm.campaigns");
}

ImportNames *
crm_import_locations(ImportRun *run)
{
	return read_names(run, &locations, "location", "locations", "crm.locations");
}

const ImportName *
crm_import_name(ImportRun *run, int64 staging_id, ImportNames *names, const char *column,
				const char *name)
{
	int64		i;

	if (crm_import_map_get(names->by_name, name, &i))
		return &names->items[i];
	crm_import_reject(run, staging_id, ERRCODE_FOREIGN_KEY_VIOLATION,
					  psprintf("%s \"%s\" does not exist", names->what, name),
					  psprintf("Account %lld has no %s named \"%s\" (column %s).",
							   (long long) run->account_id, names->what, name, column),
					  names->n > 0
					  ? psprintf("Use the name of one of the account's %s: %s.", names->plural,
								 names->listing)
					  : psprintf("The account has no %s yet: add them to %s first.", names->plural,
								 names->table));
	return NULL;
}

/* ---- employees ---- */

struct ImportEmployees
{
	ImportMap  *by_email;		/* lower(email) -> id, or minus the number of employees */
	ImportMap  *by_name;		/* name -> id, or minus the number of employees */
};

static CrmPlan employees = {
	"SELECT id, pg_catalog.lower(email), name FROM crm.employees WHERE account_id = $1 ORDER BY id",
	1, {INT8OID}
};

/* Enters key -> id; a key shared by several employees holds minus their number. */
static void
enter_employee(ImportMap *map, const char *key, int64 id)
{
	bool		found;
	int64	   *slot;

	if (key == NULL)
		return;
	slot = crm_import_map_slot(map, key, &found);
	if (!found)
		*slot = id;
	else if (*slot > 0)
		*slot = *slot == id ? id : -2;
	else
		*slot -= 1;
}

ImportEmployees *
crm_import_employees(ImportRun *run)
{
	MemoryContext caller = CurrentMemoryContext;
	ImportEmployees *e;
	Datum		arg = Int64GetDatum(run->account_id);
	CrmUserSwitch user;
	uint64		n;

	crm_become_owner(&user);
	n = crm_exec(&employees, &arg, NULL, true, 0);
	crm_restore_user(&user);
	MemoryContextSwitchTo(run->memory);
	e = palloc(sizeof(ImportEmployees));
	e->by_email = crm_import_map_create((int) n);
	e->by_name = crm_import_map_create((int) n);
	for (uint64 i = 0; i < n; i++)
	{
		int64		id = crm_get_int64(i, 1, NULL);

		enter_employee(e->by_email, crm_get_text(i, 2), id);
		enter_employee(e->by_name, crm_get_text(i, 3), id);
	}
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(caller);
	return e;
}

bool
crm_import_employee(ImportRun *run, int64 staging_id, ImportEmployees *employees,
					const char *column, const char *given, int64 *employee_id)
{
	char	   *lowered = str_tolower(given, strlen(given), DEFAULT_COLLATION_OID);
	int64		v;
	const char *by = "email";

	if (!crm_import_map_get(employees->by_email, lowered, &v))
	{
		by = "name";
		if (!crm_import_map_get(employees->by_name, given, &v))
		{
			crm_import_reject(run, staging_id, ERRCODE_FOREIGN_KEY_VIOLATION,
							  psprintf("%s \"%s\" does not exist", column, given),
							  psprintf("Account %lld has no employee with the email or name \"%s\".",
									   (long long) run->account_id, given),
							  psprintf("Give an employee's email or name (crm.employees), or leave %s empty for none.",
									   column));
			return false;
		}
	}
	if (v < 0)
	{
		crm_import_reject(run, staging_id, ERRCODE_CARDINALITY_VIOLATION,
						  psprintf("%s \"%s\" names more than one employee", column, given),
						  psprintf("Account %lld has %lld employees with the %s \"%s\".",
								   (long long) run->account_id, (long long) -v, by, given),
						  strcmp(by, "name") == 0 ? "Give the employee's email instead."
						  : "Give the employee's name instead, or make the emails unique.");
		return false;
	}
	*employee_id = v;
	return true;
}
