/*
 * drop_guard.c
 *	  DROP EXTENSION keeps the data: a command that would drop extension crm
 *	  while its tables hold rows is refused (2BP01), saying how many rows in
 *	  which tables, unless a superuser has set crm.allow_drop_with_data.
 *
 * The event trigger crm_keep_data (drop_guard.sql) fires at ddl_command_start
 * of the three commands that drop the extension with its tables:
 *	DROP EXTENSION crm [CASCADE]	the extension itself
 *	DROP SCHEMA crm CASCADE		its schema, which the extension depends on
 *								(CREATE EXTENSION made it; it is no member)
 *	DROP OWNED BY <its owner>	the objects of the role that owns it
 * DROP DATABASE drops everything and is not asked.  An extension crm holding
 * no row (as CREATE EXTENSION leaves it) drops freely.
 *
 * An event trigger rather than a ProcessUtility hook: it fires in every
 * session, whether or not the session has loaded crm's library (a hook is
 * installed only by a load, so a fresh session whose first command is DROP
 * EXTENSION crm would pass it); it is a member of the extension and goes with
 * it; and it is enabled ALWAYS, so session_replication_role = replica does
 * not pass it either.  Event triggers do not fire in single-user mode.
 *
 * The rows are counted by scanning each table of the extension with the
 * latest snapshot: every committed row, read without SQL so that no policy
 * hides one, and only when a command would drop crm.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/event_trigger.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "drop_guard.h"

#define CRM_EXTENSION_NAME "crm"

/* The tables named in the refusal; the others are summed up. */
#define LISTED_TABLES 3

typedef enum DropPath
{
	NOT_DROPPED,
	BY_DROP_EXTENSION,
	BY_DROP_SCHEMA,
	BY_DROP_OWNED
} DropPath;

typedef struct Extension
{
	Oid			oid;
	Oid			owner;
	Oid			namespace;
} Extension;

typedef struct TableRows
{
	Oid			relid;
	char	   *name;			/* schema-qualified */
	int64		rows;
} TableRows;

static bool
find_extension(Extension *ext)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found;

	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(CRM_EXTENSION_NAME));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	found = HeapTupleIsValid(tuple);
	if (found)
	{
		Form_pg_extension e = (Form_pg_extension) GETSTRUCT(tuple);

		ext->oid = e->oid;
		ext->owner = e->extowner;
		ext->namespace = e->extnamespace;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* Whether a list of names (String nodes) holds name. */
static bool
names_hold(List *names, const char *name)
{
	ListCell   *lc;

	if (name == NULL)
		return false;
	foreach(lc, names)
		if (IsA(lfirst(lc), String) && strcmp(strVal(lfirst(lc)), name) == 0)
			return true;
	return false;
}

/* Whether, and how, the command would drop the extension. */
static DropPath
drop_path(Node *parsetree, const Extension *ext)
{
	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		if (stmt->removeType == OBJECT_EXTENSION &&
			names_hold(stmt->objects, CRM_EXTENSION_NAME))
			return BY_DROP_EXTENSION;
		/* Without CASCADE PostgreSQL refuses the drop itself. */
		if (stmt->removeType == OBJECT_SCHEMA && stmt->behavior == DROP_CASCADE &&
			names_hold(stmt->objects, get_namespace_name(ext->namespace)))
			return BY_DROP_SCHEMA;
	}
	else if (IsA(parsetree, DropOwnedStmt))
	{
		ListCell   *lc;

		foreach(lc, ((DropOwnedStmt *) parsetree)->roles)
		{
			RoleSpec   *role = lfirst_node(RoleSpec, lc);

			if (role->roletype != ROLESPEC_PUBLIC &&
				get_rolespec_oid(role, true) == ext->owner)
				return BY_DROP_OWNED;
		}
	}
	return NOT_DROPPED;
}

/* The rows of a table visible to snapshot; its lock is kept until the command ends. */
static int64
table_rows(Oid relid, Snapshot snapshot)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	int64		rows = 0;

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		rows++;
		CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, NoLock);
	return rows;
}

/* The extension's tables (relkind r), in no order. */
static List *
member_tables(Oid ext)
{
	Relation	depend = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *tables = NIL;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ExtensionRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(depend, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tuple);

		if (dep->deptype == DEPENDENCY_EXTENSION && dep->classid == RelationRelationId &&
			get_rel_relkind(dep->objid) == RELKIND_RELATION)
			tables = lappend_oid(tables, dep->objid);
	}
	systable_endscan(scan);
	table_close(depend, AccessShareLock);
	return tables;
}

static int
by_rows_then_name(const void *a, const void *b)
{
	const TableRows *x = a;
	const TableRows *y = b;

	if (x->rows != y->rows)
		return x->rows > y->rows ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The extension's tables with their rows, largest first; *total: all rows. */
static TableRows *
count_rows(Oid ext, int *ntables, int64 *total)
{
	List	   *relids = member_tables(ext);
	TableRows  *tables = palloc0(sizeof(TableRows) * Max(list_length(relids), 1));
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ListCell   *lc;
	int			n = 0;

	*total = 0;
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);

		tables[n].relid = relid;
		tables[n].name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
													get_rel_name(relid));
		tables[n].rows = table_rows(relid, snapshot);
		*total += tables[n].rows;
		n++;
	}
	UnregisterSnapshot(snapshot);
	qsort(tables, n, sizeof(TableRows), by_rows_then_name);
	*ntables = n;
	return tables;
}

static const char *
rows_text(int64 rows)
{
	return psprintf("%lld %s", (long long) rows, rows == 1 ? "row" : "rows");
}

/*
 * "crm.leads holds 120 rows, crm.clients 30 and crm.accounts 1; 4 other
 * tables hold 25 rows.", after how the command drops the extension when it
 * does not name it.
 */
static char *
refusal_detail(DropPath path, const Extension *ext, const TableRows *tables, int n)
{
	StringInfoData s;
	int			holding = 0;
	int			listed;
	int64		other_rows = 0;

	while (holding < n && tables[holding].rows > 0)
		holding++;
	listed = Min(holding, LISTED_TABLES);

	initStringInfo(&s);
	if (path == BY_DROP_SCHEMA)
		appendStringInfo(&s, "DROP SCHEMA %s CASCADE drops extension crm with its schema. ",
						 quote_identifier(get_namespace_name(ext->namespace)));
	else if (path == BY_DROP_OWNED)
		appendStringInfo(&s, "DROP OWNED BY %s drops extension crm with the other objects of that role. ",
						 quote_identifier(GetUserNameFromId(ext->owner, false)));
	for (int i = 0; i < listed; i++)
	{
		if (i == 0)
			appendStringInfo(&s, "%s holds %s", tables[i].name, rows_text(tables[i].rows));
		else
			appendStringInfo(&s, "%s%s %lld", i == listed - 1 ? " and " : ", ",
							 tables[i].name, (long long) tables[i].rows);
	}
	for (int i = listed; i < holding; i++)
		other_rows += tables[i].rows;
	if (holding > listed)
		appendStringInfo(&s, "; %d other %s %s", holding - listed,
						 holding - listed == 1 ? "table holds" : "tables hold", rows_text(other_rows));
	appendStringInfoChar(&s, '.');
	return s.data;
}

PG_FUNCTION_INFO_V1(crm_keep_data);
Datum
crm_keep_data(PG_FUNCTION_ARGS)
{
	EventTriggerData *data;
	Extension	ext;
	DropPath	path;
	TableRows  *tables;
	int			ntables;
	int64		total;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager", "crm_keep_data")));
	data = (EventTriggerData *) fcinfo->context;
	if (!find_extension(&ext))
		PG_RETURN_VOID();
	path = drop_path(data->parsetree, &ext);
	if (path == NOT_DROPPED)
		PG_RETURN_VOID();
	if (crm_allow_drop_with_data)
	{
		ereport(LOG,
				(errmsg("%s drops extension \"crm\" with whatever its tables hold",
						GetCommandTagName(data->tag)),
				 errdetail("crm.allow_drop_with_data is on.")));
		PG_RETURN_VOID();
	}

	tables = count_rows(ext.oid, &ntables, &total);
	if (total > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg_plural("cannot drop extension \"crm\" because its tables hold %lld row",
							   "cannot drop extension \"crm\" because its tables hold %lld rows",
							   total, (long long) total),
				 errdetail("%s", refusal_detail(path, &ext, tables, ntables)),
				 errhint("Export the data first (pg_dump -Fc -d %s -f crm.dump).  To drop crm and delete its data, "
						 "run SET crm.allow_drop_with_data = on first (superuser only).",
						 quote_identifier(get_database_name(MyDatabaseId)))));
	PG_RETURN_VOID();
}
