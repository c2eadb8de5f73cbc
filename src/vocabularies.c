/*
 * vocabularies.c
 *	  The vocabularies crm stores (statuses' kinds, call outcomes, client
 *	  categories, ...), read from the CHECK constraint of their column, so
 *	  that each list of values is written in one place: the constraint.
 *
 * A column's vocabulary is the array of the first CHECK constraint on that
 * column alone that names it against a constant text array, in either form
 * crm writes:
 *	column IN ('a', 'b')						(= ANY (ARRAY[...]))
 *	crm._choice_ok(column, ARRAY['a', 'b'], name)	(values.sql)
 * The lookup views of vocabularies.sql select from crm._vocabulary, and
 * PostGraphile turns each of them into a GraphQL enum (@enum).
 *
 * SQL: crm._vocabulary(tab regclass, col name) -> SETOF text, in the
 * constraint's order; no rows when the column has no such constraint.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "crm.h"

/* The column, seen through a binary-compatible relabelling (varchar to text). */
static bool
is_column(Node *node, AttrNumber attnum)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node && IsA(node, Var) && ((Var *) node)->varattno == attnum;
}

/*
 * The values of a text array written in the constraint: ARRAY['a', 'b'] as
 * stored (an ArrayExpr of constants), or a constant array; NIL otherwise.
 */
static List *
text_array(Node *node)
{
	List	   *values = NIL;

	if (node && IsA(node, ArrayExpr) && ((ArrayExpr *) node)->element_typeid == TEXTOID)
	{
		ListCell   *lc;

		foreach(lc, ((ArrayExpr *) node)->elements)
		{
			Const	   *c = lfirst(lc);

			if (!IsA(c, Const) || c->consttype != TEXTOID)
				return NIL;
			if (!c->constisnull)
				values = lappend(values, (void *) DatumGetPointer(c->constvalue));
		}
	}
	else if (node && IsA(node, Const) && ((Const *) node)->consttype == TEXTARRAYOID &&
			 !((Const *) node)->constisnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(((Const *) node)->constvalue), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				values = lappend(values, (void *) DatumGetPointer(elems[i]));
	}
	return values;
}

typedef struct FindChoices
{
	AttrNumber	attnum;
	List	   *choices;		/* text Datums */
} FindChoices;

/* column = ANY (ARRAY[...]), or a function of the column and a text array. */
static bool
find_choices(Node *node, FindChoices *find)
{
	if (node == NULL || find->choices != NIL)
		return false;
	if (IsA(node, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *op = (ScalarArrayOpExpr *) node;

		if (op->useOr && list_length(op->args) == 2 &&
			is_column(linitial(op->args), find->attnum) &&
			(find->choices = text_array(lsecond(op->args))) != NIL)
			return true;
	}
	else if (IsA(node, FuncExpr))
	{
		FuncExpr   *fn = (FuncExpr *) node;
		bool		has_column = false;
		List	   *choices = NIL;
		ListCell   *lc;

		foreach(lc, fn->args)
		{
			if (is_column(lfirst(lc), find->attnum))
				has_column = true;
			else if (choices == NIL)
				choices = text_array(lfirst(lc));
		}
		if (has_column && choices != NIL)
		{
			find->choices = choices;
			return true;
		}
	}
	return expression_tree_walker(node, find_choices, (void *) find);
}

/* The values the CHECK of relid on attnum alone lists, or NIL. */
static List *
column_choices(Oid relid, AttrNumber attnum)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	FindChoices find = {attnum, NIL};

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (find.choices == NIL && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		bool		isnull;
		Datum		conkey,
					conbin;
		ArrayType  *keys;

		if (con->contype != CONSTRAINT_CHECK)
			continue;
		conkey = heap_getattr(tup, Anum_pg_constraint_conkey, RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		keys = DatumGetArrayTypeP(conkey);
		if (ArrayGetNItems(ARR_NDIM(keys), ARR_DIMS(keys)) != 1 ||
			((int16 *) ARR_DATA_PTR(keys))[0] != attnum)
			continue;
		conbin = heap_getattr(tup, Anum_pg_constraint_conbin, RelationGetDescr(rel), &isnull);
		if (!isnull)
			find_choices((Node *) stringToNode(TextDatumGetCString(conbin)), &find);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return find.choices;
}

PG_FUNCTION_INFO_V1(crm_vocabulary);
Datum
crm_vocabulary(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	char	   *column = NameStr(*PG_GETARG_NAME(1));
	AttrNumber	attnum = get_attnum(relid, column);
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of %s does not exist", column, get_rel_name(relid)),
				 errhint("Name a column that has a CHECK constraint listing its values.")));
	foreach(lc, column_choices(relid, attnum))
	{
		Datum		value = PointerGetDatum(lfirst(lc));
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	PG_RETURN_NULL();
}
