/*
 * distribution.c
 *	  crm on Citus: crm.distribute() lays crm's tables out over a Citus
 *	  cluster, and every node takes its ids from a range of its own.
 *
 * The layout: every table that holds an account's rows is distributed by
 * account (crm.accounts by id, every other by account_id), all colocated with
 * crm.accounts, so an account's rows live on one worker and crm's triggers and
 * their SQL stay on it; a table keyed by something else (crm.login_bindings,
 * by login) is a reference table, on every node.  Tables are distributed in
 * the order of their foreign keys (a referenced table first).
 *
 * The ids: crm's tables draw their ids from identity sequences, and a row that
 * crm's trigger writes on a worker takes its id from that node's sequence.
 * Citus moves a shard with its rows, so two nodes' sequences counting from the
 * same start would collide after a move.  Node group g (the coordinator is
 * group 0) counts from g * 2^48 + 1: crm._node_id_ranges(), run on every
 * worker by crm.distribute(), moves each crm sequence of the node into its
 * range when it is below it (setval: Citus refuses ALTER SEQUENCE on a
 * distributed table's sequence; 2^48 ids per node keep the ranges apart).
 *
 * crm's tables are distributed empty (right after CREATE EXTENSION crm).
 * Rows restored into them from a dump, through the coordinator, bring ids
 * of the nodes that drew them, and a dump holds only the coordinator's
 * sequence positions: a node of the new cluster counting from the start of
 * its range would meet them.  So
 * crm.distribute() also reads, through the coordinator, the largest id of
 * each sequence's column in each node's range (one aggregate per table, over
 * every shard), and crm._node_ids_past() moves each node's sequences past
 * those in its own range (the coordinator's too: group 0, ids below 2^48).
 *
 * Functions: crm.distribute(), crm._node_id_ranges(), crm._node_ids_past().
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

#include "crm.h"
#include "identity.h"
#include "kit/citus.h"

#define CRM_NODE_ID_BITS 48

static CrmPlan citus_version = {
	"SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'citus'", 0, {0}
};

static CrmPlan unsafe_triggers_on = {
	"SELECT pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true)", 0, {0}
};

/*
 * crm's tables not yet in Citus's metadata, a referenced table before the
 * tables that refer to it, each with its distribution column (NULL: a
 * reference table: a unique key without account_id, or no account_id).
 */
static CrmPlan tables_to_distribute = {
	"WITH RECURSIVE deps (oid, depth) AS ("
	"  SELECT c.oid, 0 FROM pg_catalog.pg_class c"
	"  WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crm'::pg_catalog.regnamespace AND c.relkind = 'r'"
	"  UNION ALL"
	"  SELECT f.conrelid, d.depth + 1 FROM deps d JOIN pg_catalog.pg_constraint f"
	"    ON f.confrelid = d.oid AND f.contype = 'f' AND f.conrelid <> f.confrelid"
	"  WHERE d.depth < 64)"
	" SELECT d.oid::pg_catalog.regclass,"
	"   CASE WHEN d.oid = 'crm.accounts'::pg_catalog.regclass THEN 'id'"
	"        WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
	"                     WHERE a.attrelid = d.oid AND a.attname = 'account_id' AND NOT a.attisdropped)"
	"         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
	"                         WHERE i.indrelid = d.oid AND i.indisunique"
	"                           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
	"                                           WHERE a.attrelid = d.oid AND a.attname = 'account_id'"
	"                                             AND a.attnum = ANY (i.indkey::pg_catalog.int2[])))"
	"        THEN 'account_id' END"
	" FROM deps d"
	" WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = d.oid)"
	" GROUP BY d.oid ORDER BY pg_catalog.max(d.depth), d.oid::pg_catalog.regclass::pg_catalog.text",
	0, {0}
};

static CrmPlan distributed_count = {
	"SELECT pg_catalog.count(*) FROM pg_catalog.pg_dist_partition p"
	" JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid"
	" WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crm'::pg_catalog.regnamespace",
	0, {0}
};

static CrmPlan distribute_accounts = {
	"SELECT pg_catalog.create_distributed_table($1, 'id', colocate_with => 'none')",
	1, {REGCLASSOID}
};

static CrmPlan distribute_colocated = {
	"SELECT pg_catalog.create_distributed_table($1, 'account_id', colocate_with => 'crm.accounts')",
	1, {REGCLASSOID}
};

static CrmPlan make_reference = {
	"SELECT pg_catalog.create_reference_table($1)", 1, {REGCLASSOID}
};

/* The rows a table had before it was distributed stay in the coordinator's shell: gone. */
static CrmPlan truncate_local = {
	"SELECT pg_catalog.truncate_local_data_after_distributing_table(c.oid::pg_catalog.regclass)"
	" FROM pg_catalog.pg_class c"
	" WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crm'::pg_catalog.regnamespace AND c.relkind = 'r'"
	"   AND c.oid IN (SELECT logicalrelid FROM pg_catalog.pg_dist_partition)"
	"   AND pg_catalog.pg_relation_size(c.oid) > 0",
	0, {0}
};

/* A worker added since: the reference tables copied to it (nothing to do when they are there). */
static CrmPlan replicate_reference = {
	"SELECT pg_catalog.replicate_reference_tables('block_writes')", 0, {0}
};

static CrmPlan workers_id_ranges = {
	"SELECT nodename || ':' || nodeport, success, result"
	" FROM pg_catalog.run_command_on_workers('SELECT crm._node_id_ranges()')",
	0, {0}
};

static CrmPlan move_sequences = {
	"SELECT pg_catalog.count(pg_catalog.setval(c.oid, $1, true)) FROM pg_catalog.pg_class c"
	" WHERE c.relnamespace OPERATOR(pg_catalog.=) 'crm'::pg_catalog.regnamespace AND c.relkind = 'S'"
	"   AND COALESCE(pg_catalog.pg_sequence_last_value(c.oid), 0) < $1",
	1, {INT8OID}
};

/* crm's sequences, each with the table and column it gives ids to (quoted for SQL). */
static CrmPlan owned_sequences = {
	"SELECT s.oid::pg_catalog.regclass::pg_catalog.text, t.oid::pg_catalog.regclass::pg_catalog.text,"
	"       pg_catalog.quote_ident(a.attname::pg_catalog.text)"
	" FROM pg_catalog.pg_class s"
	" JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"  AND d.objid = s.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"  AND d.deptype IN ('a', 'i')"
	" JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"
	" JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
	" WHERE s.relnamespace OPERATOR(pg_catalog.=) 'crm'::pg_catalog.regnamespace AND s.relkind = 'S'"
	" ORDER BY 1",
	0, {0}
};

/* Each sequence (of $1) past the id paired with it (in $2) that lies in [$3, $4). */
static CrmPlan ids_past = {
	"SELECT pg_catalog.count(pg_catalog.setval(u.s::pg_catalog.regclass, u.f, true))"
	" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.int8[])) AS u(s, f)"
	" WHERE u.f >= $3 AND u.f < $4"
	"   AND COALESCE(pg_catalog.pg_sequence_last_value(u.s::pg_catalog.regclass), 0) < u.f",
	4, {TEXTARRAYOID, INT8ARRAYOID, INT8OID, INT8OID}
};

/*
 * An admin stages import rows through the coordinator: Citus names account_id
 * and staging_id in the INSERT it sends a shard, so crm_admin may write them
 * here (trigger import_01_account holds the row to the session's account).
 */
static CrmPlan grant_staging = {
	"GRANT INSERT (account_id, staging_id) ON crm.import_clients, crm.import_leads, crm.import_orders,"
	" crm.import_invoices, crm.import_payments TO crm_admin",
	0, {0}
};

/*
 * The twins of crm's functions that run where the account's shards live
 * (kit/delegate.h): every function of schema crm named "_..." whose first
 * argument is "account bigint", not yet delegated by it to the account's
 * worker.
 */
static CrmPlan twins_to_delegate = {
	"SELECT p.oid::pg_catalog.regprocedure FROM pg_catalog.pg_proc p"
	" WHERE p.pronamespace OPERATOR(pg_catalog.=) 'crm'::pg_catalog.regnamespace"
	"   AND p.proname::pg_catalog.text LIKE '\\_%' AND p.pronargs >= 1"
	"   AND p.proargtypes[0] OPERATOR(pg_catalog.=) 'pg_catalog.int8'::pg_catalog.regtype"
	"   AND p.proargnames[1] OPERATOR(pg_catalog.=) 'account'"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_object o"
	"                   WHERE o.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND o.objid = p.oid"
	"                     AND o.distribution_argument_index = 0 AND o.force_delegation)"
	" ORDER BY 1",
	0, {0}
};

static CrmPlan delegate_twin = {
	"SELECT pg_catalog.create_distributed_function($1, 'account', colocate_with => 'crm.accounts',"
	" force_delegation => true)",
	1, {REGPROCEDUREOID}
};

/*
 * Citus runs the SELECT of an INSERT ... SELECT that it plans in steps (a
 * subquery with LIMIT, a CTE, a set function beside a crm table) with each
 * new row's identity as a nextval() call, which needs USAGE on the sequence
 * where one server needs none: every crm role that may insert into a table
 * gets it on the table's sequences (GRANT statements, one per sequence and
 * role that has it not).
 */
static CrmPlan sequence_grants = {
	"SELECT pg_catalog.format('GRANT USAGE ON SEQUENCE %s TO %I', s.oid::pg_catalog.regclass, r.rolname)"
	" FROM pg_catalog.pg_class s"
	" JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"  AND d.objid = s.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"  AND d.deptype IN ('a', 'i')"
	" JOIN pg_catalog.pg_roles r"
	"  ON r.rolname IN ('crm_reader', 'crm_manager', 'crm_admin', 'crm_service', 'crm_delivery')"
	" WHERE s.relnamespace OPERATOR(pg_catalog.=) 'crm'::pg_catalog.regnamespace AND s.relkind = 'S'"
	"   AND pg_catalog.has_any_column_privilege(r.oid, d.refobjid, 'INSERT')"
	"   AND NOT pg_catalog.has_sequence_privilege(r.oid, s.oid, 'USAGE')"
	" ORDER BY 1",
	0, {0}
};

/* USAGE on the sequences of the tables each crm role may insert into (sequence_grants). */
static void
grant_sequences(void)
{
	uint64		n = crm_exec(&sequence_grants, NULL, NULL, true, 0);
	char	  **grants = palloc(sizeof(char *) * (n + 1));

	for (uint64 i = 0; i < n; i++)
		grants[i] = crm_get_text(i, 1);
	for (uint64 i = 0; i < n; i++)
		if (SPI_execute(grants[i], false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "crm.distribute(): could not run \"%s\"", grants[i]);
}

static CrmPlan workers_ids_past = {
	"SELECT nodename || ':' || nodeport, success, result FROM pg_catalog.run_command_on_workers($1)",
	1, {TEXTOID}
};

static void
require_owner(void)
{
	if (crm_actor_kind() != CRM_ACTOR_OWNER)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to distribute crm"),
				 errdetail("Role \"%s\" is neither a superuser nor the owner of schema crm.",
						   GetUserNameFromId(GetUserId(), false)),
				 errhint("Run crm.distribute() as the owner of schema crm on the Citus coordinator.")));
}

static void
require_citus(void)
{
	if (crm_exec(&citus_version, NULL, NULL, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("crm.distribute() needs Citus"),
				 errdetail("The extension citus is not installed in database \"%s\".",
						   get_database_name(MyDatabaseId)),
				 errhint("Preload citus on every node, run CREATE EXTENSION citus and add the workers "
						 "(citus_add_node) on the coordinator, then call crm.distribute() there.")));
}

/*
 * The coordinator holds no shard of crm's distributed tables, and is not to
 * get any.  On a worker crm's rules run in the tasks Citus sends it; Citus
 * runs a task on the coordinator's own shards in the client's backend,
 * where crm cannot tell it from the client's statement (a tenant's run_due
 * there does none of its work), and the coordinator has no id range of a
 * worker's.
 */
static CrmPlan coordinator_shards = {
	"SELECT n.nodename || ':' || n.nodeport, n.shouldhaveshards,"
	" (SELECT count(*) FROM pg_catalog.pg_dist_placement p"
	"   JOIN pg_catalog.pg_dist_shard s ON s.shardid = p.shardid"
	"   JOIN pg_catalog.pg_dist_partition d ON d.logicalrelid = s.logicalrelid"
	"   JOIN pg_catalog.pg_class c ON c.oid = d.logicalrelid"
	"   WHERE p.groupid = 0 AND d.partmethod = 'h'"
	"     AND c.relnamespace = 'crm'::pg_catalog.regnamespace)"
	" FROM pg_catalog.pg_dist_node n WHERE n.groupid = 0",
	0, {0}
};

static void
require_coordinator_without_shards(void)
{
	char	   *node;
	bool		should;
	int64		held;

	if (crm_exec(&coordinator_shards, NULL, NULL, true, 1) == 0)
		return;
	node = crm_get_text(0, 1);
	should = crm_get_bool(0, 2, NULL);
	held = crm_get_int64(0, 3, NULL);
	if (!should && held == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("crm.distribute() needs a Citus coordinator that holds no shards"),
			 errdetail("The coordinator %s has shouldhaveshards = %s and holds %lld shards of crm's tables. "
					   "crm's rules run in the tasks Citus sends a worker; on the coordinator Citus runs a task "
					   "in the client's own backend, where crm cannot tell it from the client's statement.",
					   node, should ? "true" : "false", (long long) held),
			 errhint("Keep the coordinator without shards: SELECT citus_set_node_property(host, port, "
					 "'shouldhaveshards', false), then citus_drain_node(host, port) if it holds some, "
					 "then call crm.distribute() again.")));
}

/*
 * A table to distribute must be empty: Citus would copy its rows into the
 * shards through crm's triggers there (which refuse a row whose references
 * are not distributed yet), then truncate the coordinator's copy (which
 * crm's history tables refuse).
 */
static void
require_empty(char **names, uint64 n)
{
	for (uint64 i = 0; i < n; i++)
	{
		if (SPI_execute(psprintf("SELECT 1 FROM %s LIMIT 1", names[i]), true, 1) != SPI_OK_SELECT)
			elog(ERROR, "crm.distribute(): could not read %s", names[i]);
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("crm.distribute() needs crm's tables empty"),
					 errdetail("%s holds rows. Citus would copy them into the shards through crm's triggers, "
							   "which refuse rows whose references are not distributed yet.", names[i]),
					 errhint("Call crm.distribute() right after CREATE EXTENSION crm, then load the rows "
							 "through the coordinator: a data-only dump restores so (README: Scale-out on Citus).")));
	}
}

/* Distributes what is not distributed yet; returns how many tables (and, in *reference, reference tables). */
static int
distribute_tables(int *reference)
{
	uint64		n = crm_exec(&tables_to_distribute, NULL, NULL, false, 0);
	Datum	   *rels = palloc(sizeof(Datum) * (n + 1));
	char	  **names = palloc(sizeof(char *) * (n + 1));
	char	  **columns = palloc(sizeof(char *) * (n + 1));
	bool		isnull;

	for (uint64 i = 0; i < n; i++)
	{
		rels[i] = crm_get(i, 1, &isnull);
		names[i] = OidOutputFunctionCall(F_REGCLASSOUT, rels[i]);
		columns[i] = crm_get_text(i, 2);
	}
	require_empty(names, n);
	*reference = 0;
	for (uint64 i = 0; i < n; i++)
	{
		if (columns[i] == NULL)
		{
			crm_exec(&make_reference, &rels[i], NULL, false, 0);
			(*reference)++;
		}
		else if (strcmp(columns[i], "id") == 0)
			crm_exec(&distribute_accounts, &rels[i], NULL, false, 0);
		else
			crm_exec(&distribute_colocated, &rels[i], NULL, false, 0);
	}
	if (n > 0)
		crm_exec(&truncate_local, NULL, NULL, false, 0);
	return (int) n;
}

/* Delegates every twin not delegated yet (kit/delegate.h); returns how many. */
static int
delegate_twins(void)
{
	uint64		n = crm_exec(&twins_to_delegate, NULL, NULL, false, 0);
	Datum	   *twins = palloc(sizeof(Datum) * (n + 1));
	bool		isnull;

	for (uint64 i = 0; i < n; i++)
		twins[i] = crm_get(i, 1, &isnull);
	for (uint64 i = 0; i < n; i++)
		crm_exec(&delegate_twin, &twins[i], NULL, false, 0);
	return (int) n;
}

/* The answers of a command run on every worker, added up; raises for a worker that failed. */
static int64
sum_worker_answers(CrmPlan *plan, Datum *arg, int *nodes)
{
	uint64		n = crm_exec(plan, arg, NULL, false, 0);
	int64		sum = 0;

	for (uint64 i = 0; i < n; i++)
	{
		char	   *result = crm_get_text(i, 3);

		if (!crm_get_bool(i, 2, NULL))
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("could not set the id range of node %s", crm_get_text(i, 1)),
					 errdetail("crm there answered: %s", result ? result : "nothing"),
					 errhint("Install crm's library on every node, then call crm.distribute() again.")));
		sum += pg_strtoint64(result);
	}
	if (nodes)
		*nodes = (int) n;
	return sum;
}

/*
 * The largest id in each node's range of every sequence's column, as two
 * arrays: sequences[i] should be past floors[i].  One aggregate per table,
 * through the coordinator (over every shard).
 */
static void
read_floors(Datum *sequences, Datum *floors)
{
	uint64		n = crm_exec(&owned_sequences, NULL, NULL, false, 0);
	char	  **seq = palloc(sizeof(char *) * (n + 1));
	char	  **sql = palloc(sizeof(char *) * (n + 1));
	ArrayBuildState *s = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	ArrayBuildState *f = initArrayResult(INT8OID, CurrentMemoryContext, false);

	for (uint64 i = 0; i < n; i++)
	{
		char	   *table = crm_get_text(i, 2);
		char	   *column = crm_get_text(i, 3);

		seq[i] = crm_get_text(i, 1);
		sql[i] = psprintf("SELECT pg_catalog.max(%s) FROM %s WHERE %s IS NOT NULL"
						  " GROUP BY %s OPERATOR(pg_catalog.>>) %d",
						  column, table, column, column, CRM_NODE_ID_BITS);
	}
	for (uint64 i = 0; i < n; i++)
	{
		if (SPI_execute(sql[i], true, 0) != SPI_OK_SELECT)
			elog(ERROR, "crm.distribute(): could not read the ids of sequence %s", seq[i]);
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			Datum		top = crm_get(r, 1, &isnull);

			accumArrayResult(s, CStringGetTextDatum(seq[i]), false, TEXTOID, CurrentMemoryContext);
			accumArrayResult(f, top, isnull, INT8OID, CurrentMemoryContext);
		}
	}
	*sequences = makeArrayResult(s, CurrentMemoryContext);
	*floors = makeArrayResult(f, CurrentMemoryContext);
}

/* Moves this node's sequences (node group) past the floors in its range; returns how many moved. */
static int64
move_past(int64 group, Datum sequences, Datum floors)
{
	Datum		args[4];

	args[0] = sequences;
	args[1] = floors;
	args[2] = Int64GetDatum(group << CRM_NODE_ID_BITS);
	args[3] = Int64GetDatum((group + 1) << CRM_NODE_ID_BITS);

	crm_exec(&ids_past, args, NULL, false, 1);
	return crm_get_int64(0, 1, NULL);
}

/* An array as a quoted SQL literal. */
static char *
array_literal(Datum array)
{
	return quote_literal_cstr(OidOutputFunctionCall(F_ARRAY_OUT, array));
}

/* Every node's sequences past the ids already in its range; returns how many moved. */
static int64
move_past_rows(void)
{
	Datum		sequences;
	Datum		floors;
	Datum		command;
	int64		moved;

	read_floors(&sequences, &floors);
	moved = move_past(0, sequences, floors);
	command = CStringGetTextDatum(psprintf("SELECT crm._node_ids_past(%s, %s)",
										   array_literal(sequences), array_literal(floors)));
	return moved + sum_worker_answers(&workers_ids_past, &command, NULL);
}

/*
 * crm.distribute(): lays crm out over the Citus cluster (see the header);
 * idempotent: a second call distributes nothing, and gives a worker added
 * since its id range and its copy of the reference tables.  Returns what it
 * did, in a sentence.
 */
PG_FUNCTION_INFO_V1(crm_distribute);
Datum
crm_distribute(PG_FUNCTION_ARGS)
{
	int			done;
	int			reference;
	int			nodes;
	int64		moved;
	int64		past;
	int64		total;
	int			delegated;
	char	   *said;

	require_owner();
	SPI_connect();
	require_citus();
	require_coordinator_without_shards();
	crm_exec(&unsafe_triggers_on, NULL, NULL, false, 0);
	/* the workers' ranges first: no row there takes an id before it is set */
	moved = sum_worker_answers(&workers_id_ranges, NULL, &nodes);
	done = distribute_tables(&reference);
	crm_exec(&replicate_reference, NULL, NULL, false, 0);
	delegated = delegate_twins();
	crm_exec(&grant_staging, NULL, NULL, false, 0);
	grant_sequences();
	past = move_past_rows();
	crm_exec(&distributed_count, NULL, NULL, false, 1);
	total = crm_get_int64(0, 1, NULL);
	SPI_finish();

	if (done == 0)
		said = psprintf("crm is already distributed (%lld tables, %d functions newly delegated); "
						"id ranges of %d workers checked, %lld sequences moved, %lld past ids already there",
						(long long) total, delegated, nodes, (long long) moved, (long long) past);
	else
		said = psprintf("distributed %d tables by account, colocated with crm.accounts, "
						"and %d as reference tables, %d functions delegated to the account's worker; "
						"id ranges of %d workers set, %lld sequences moved, %lld past ids already there",
						done - reference, reference, delegated, nodes, (long long) moved, (long long) past);
	ereport(NOTICE, (errmsg("%s", said)));
	PG_RETURN_TEXT_P(cstring_to_text(said));
}

/*
 * crm._node_id_ranges(): moves this node's crm sequences into its range
 * (node group g counts from g * 2^48 + 1); returns how many moved.  Run on
 * every worker by crm.distribute(); nothing to do on the coordinator.
 */
PG_FUNCTION_INFO_V1(crm_node_id_ranges);
Datum
crm_node_id_ranges(PG_FUNCTION_ARGS)
{
	int64		group;
	Datum		start;
	int64		moved = 0;

	require_owner();
	SPI_connect();
	if ((group = crm_citus_local_group()) > 0)	/* a worker node (kit/citus.h) */
	{
		start = Int64GetDatum(group << CRM_NODE_ID_BITS);	/* the next id: start + 1 */
		crm_exec(&move_sequences, &start, NULL, false, 1);
		moved = crm_get_int64(0, 1, NULL);
	}
	SPI_finish();
	PG_RETURN_INT64(moved);
}

/*
 * crm._node_ids_past(sequences, floors): moves each of this node's sequences
 * past the id paired with it when that id lies in the node's range (group g:
 * from g * 2^48; the coordinator and one server: group 0); returns how many
 * moved.  Run on every worker by crm.distribute().
 */
PG_FUNCTION_INFO_V1(crm_node_ids_past);
Datum
crm_node_ids_past(PG_FUNCTION_ARGS)
{
	int64		group;
	int64		moved;

	require_owner();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		crm_error_null_argument(PG_ARGISNULL(0) ? "sequences" : "floors",
								"crm.distribute() passes both arrays.");
	group = Max(crm_citus_local_group(), 0);	/* kit/citus.h; -1: no Citus */
	SPI_connect();
	moved = move_past(group, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1));
	SPI_finish();
	PG_RETURN_INT64(moved);
}
