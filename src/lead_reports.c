/*
 * lead_reports.c
 *	  Kept-up lead counts: how many leads each (account, lead type, status,
 *	  campaign) group has, and the amount of their linked orders.  crm.funnel
 *	  and crm.campaign_report read these few rows instead of every lead of the
 *	  account, so their cost does not grow with the leads.
 *
 *	leads_95_counts_*	AFTER INSERT / AFTER UPDATE ... FOR EACH STATEMENT, with
 *						the statement's transition tables: the statement's
 *						changes are summed in memory per group and appended to
 *						crm.lead_count_changes, one row per group that moved
 *						(written directly, kit/direct_insert.h; on Citus one
 *						INSERT for all of them).
 *	orders_95_counts	AFTER UPDATE OF amount, per row: a linked order's new
 *						amount moves its lead's group revenue.
 * Functions: crm.fold_lead_counts, and its twin crm._fold_lead_counts(account)
 *	(on Citus, run on the account's worker).
 *
 * The count of a group is its crm.lead_counts row plus its change rows.
 * Writers only append changes: they never update a shared counter row, so
 * they neither wait for each other on it nor deadlock with the other locks a
 * transaction takes (a transaction holding a counter row while waiting for a
 * lead number, the other the reverse).  Every so often a writer folds the
 * committed changes of the accounts it wrote into crm.lead_counts: one
 * statement per account (on Citus, on the account's shard), under the
 * account's try-lock, so at most one session folds an account at a time and
 * nobody ever waits for it; the DELETE ... RETURNING and the upsert are one
 * statement, so every snapshot sees each change exactly once, either as a
 * change or folded.
 *
 * Status kinds and names are joined at read time, so renaming a status or
 * changing its kind needs no recount.  Changes are written as the schema owner.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "crm.h"
#include "identity.h"
#include "kit/delegate.h"
#include "kit/direct_insert.h"
#include "kit/locks.h"

/* The group a lead is counted in; campaign may be NULL. */
typedef struct CountKey
{
	int64		account_id;
	int64		type_id;
	int64		status_id;
	int64		campaign_id;
	bool		no_campaign;
} CountKey;

typedef struct CountDelta
{
	CountKey	key;			/* hash key: must be first */
	int64		leads;
	Datum		revenue;		/* numeric */
} CountDelta;

/* The lead columns a group is made of, and the order that brings its revenue. */
enum
{
	LEAD_ACCOUNT_ID, LEAD_TYPE_ID, LEAD_STATUS_ID, LEAD_CAMPAIGN_ID, LEAD_ORDER_ID,
	LEAD_NCOLUMNS
};
static const char *const lead_names[] = {
	"account_id", "type_id", "status_id", "campaign_id", "order_id"
};
static CrmColumnMap lead_columns = {"crm.leads", LEAD_NCOLUMNS, lead_names};

enum
{
	ORDER_ACCOUNT_ID, ORDER_LEAD_ID, ORDER_AMOUNT, ORDER_NCOLUMNS
};
static const char *const order_names[] = {"account_id", "lead_id", "amount"};
static CrmColumnMap order_columns = {"crm.orders", ORDER_NCOLUMNS, order_names};

static CrmPlan append_change = {
	"INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue) "
	"VALUES ($1, $2, $3, $4, $5, $6)",
	6, {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, NUMERICOID}
};

/*
 * Folds the committed changes of one account into crm.lead_counts, in key
 * order: a statement of one account, which Citus routes to the account's
 * shard.  Only the session holding the account's try-lock folds it, so no
 * one waits on the counter rows.
 */
static CrmPlan fold_changes = {
	"WITH moved AS (DELETE FROM crm.lead_count_changes WHERE account_id = $1 "
	"               RETURNING account_id, type_id, status_id, campaign_id, leads, revenue) "
	"INSERT INTO crm.lead_counts AS c (account_id, type_id, status_id, campaign_id, leads, revenue) "
	"SELECT account_id, type_id, status_id, campaign_id, sum(leads), sum(revenue) FROM moved "
	"GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
	"ON CONFLICT (account_id, type_id, status_id, campaign_id) "
	"DO UPDATE SET leads = c.leads + EXCLUDED.leads, revenue = c.revenue + EXCLUDED.revenue",
	1, {INT8OID}
};

/* The accounts with changes to fold (a plain read, over every shard on Citus). */
static CrmPlan accounts_with_changes = {
	"SELECT DISTINCT account_id FROM crm.lead_count_changes ORDER BY 1", 0, {0}
};

/* A session folds the changes after this many statements that wrote some. */
#define FOLD_EVERY 128

static int	statements_since_fold = 0;

static CrmPlan order_amount = {
	"SELECT amount FROM crm.orders WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/*
 * FOR SHARE: a move of the lead in flight is waited for, and its group read as
 * it committed; a move that starts later waits for this change of the amount,
 * then reads the new amount (linked_order_amount).
 */
static CrmPlan lead_group = {
	"SELECT type_id, status_id, campaign_id FROM crm.leads WHERE account_id = $1 AND id = $2 FOR SHARE",
	2, {INT8OID, INT8OID}
};

static Datum
numeric_zero(void)
{
	return DirectFunctionCall1(int8_numeric, Int64GetDatum(0));
}

/* Column col of the map of a lead in a transition table's slot. */
static int64
slot_int64(TupleTableSlot *slot, const CrmColumnMap *cols, int col, bool *isnull)
{
	Datum		d = slot_getattr(slot, cols->attnum[col], isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

static void
slot_key(TupleTableSlot *slot, const CrmColumnMap *cols, CountKey *key)
{
	bool		isnull;

	memset(key, 0, sizeof(CountKey));
	key->account_id = slot_int64(slot, cols, LEAD_ACCOUNT_ID, &isnull);
	key->type_id = slot_int64(slot, cols, LEAD_TYPE_ID, &isnull);
	key->status_id = slot_int64(slot, cols, LEAD_STATUS_ID, &isnull);
	key->campaign_id = slot_int64(slot, cols, LEAD_CAMPAIGN_ID, &key->no_campaign);
}

/*
 * The amount of the lead's linked order, or NULL when it has none.  Read with
 * a snapshot of its own (not read-only): a statement that waited for the lead
 * moves the version another transaction committed meanwhile, whose order (new,
 * or with a new amount) the statement's own snapshot does not see.
 */
static Datum
linked_order_amount(TupleTableSlot *slot, const CrmColumnMap *cols, bool *isnull)
{
	Datum		args[2];
	bool		no_order;

	args[1] = Int64GetDatum(slot_int64(slot, cols, LEAD_ORDER_ID, &no_order));
	*isnull = true;
	if (no_order)
		return (Datum) 0;
	args[0] = Int64GetDatum(slot_int64(slot, cols, LEAD_ACCOUNT_ID, isnull));
	if (crm_exec(&order_amount, args, NULL, false, 1) == 1)
		return crm_get(0, 1, isnull);
	*isnull = true;
	return (Datum) 0;
}

static void
add_delta(HTAB *deltas, const CountKey *key, int64 leads, Datum revenue, bool no_revenue)
{
	bool		found;
	CountDelta *d = hash_search(deltas, key, HASH_ENTER, &found);

	if (!found)
	{
		d->leads = 0;
		d->revenue = numeric_zero();
	}
	d->leads += leads;
	if (!no_revenue)
		d->revenue = DirectFunctionCall2(leads > 0 ? numeric_add : numeric_sub, d->revenue, revenue);
}

/* Counts one row of a transition table into its group, with sign +1 or -1. */
static void
count_row(HTAB *deltas, TupleTableSlot *slot, const CrmColumnMap *cols, int sign)
{
	CountKey	key;
	bool		no_revenue;
	Datum		revenue = linked_order_amount(slot, cols, &no_revenue);

	slot_key(slot, cols, &key);
	add_delta(deltas, &key, sign, revenue, no_revenue);
}

/* Whether an updated lead stays in its group with the same order. */
static bool
same_group(TupleTableSlot *old, TupleTableSlot *new, const CrmColumnMap *cols)
{
	static const int group[] = {LEAD_TYPE_ID, LEAD_STATUS_ID, LEAD_CAMPAIGN_ID, LEAD_ORDER_ID};

	for (int i = 0; i < lengthof(group); i++)
	{
		bool		on,
					nn;
		int64		o = slot_int64(old, cols, group[i], &on);
		int64		n = slot_int64(new, cols, group[i], &nn);

		if (on != nn || o != n)
			return false;
	}
	return true;
}

/*
 * Reads the statement's transition tables: new rows count +1, old rows -1.
 * An UPDATE's old and new tables hold the rows in the same order, so a row
 * whose group and order did not change is skipped without a lookup.
 */
static void
count_statement(HTAB *deltas, CrmTrigger *trig, const CrmColumnMap *cols)
{
	TupleDesc	desc = trig->desc;
	Tuplestorestate *olds = trig->data->tg_oldtable;
	Tuplestorestate *news = trig->data->tg_newtable;
	TupleTableSlot *old = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	TupleTableSlot *new = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);

	if (news)
		tuplestore_rescan(news);
	if (olds)
		tuplestore_rescan(olds);
	while (news && tuplestore_gettupleslot(news, true, false, new))
	{
		if (olds)
		{
			if (!tuplestore_gettupleslot(olds, true, false, old))
				elog(ERROR, "leads_95_counts: transition tables of different sizes");
			if (same_group(old, new, cols))
				continue;
			count_row(deltas, old, cols, -1);
		}
		count_row(deltas, new, cols, +1);
	}
	ExecDropSingleTupleTableSlot(old);
	ExecDropSingleTupleTableSlot(new);
}

static int
compare_keys(const void *a, const void *b)
{
	const CountKey *x = &(*(CountDelta *const *) a)->key;
	const CountKey *y = &(*(CountDelta *const *) b)->key;
	int64		xs[] = {x->account_id, x->type_id, x->status_id, x->no_campaign, x->campaign_id};
	int64		ys[] = {y->account_id, y->type_id, y->status_id, y->no_campaign, y->campaign_id};

	for (int i = 0; i < lengthof(xs); i++)
		if (xs[i] != ys[i])
			return xs[i] < ys[i] ? -1 : 1;
	return 0;
}

static void
write_delta(const CountDelta *d)
{
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	args[0] = Int64GetDatum(d->key.account_id);
	args[1] = Int64GetDatum(d->key.type_id);
	args[2] = Int64GetDatum(d->key.status_id);
	args[3] = Int64GetDatum(d->key.campaign_id);
	if (d->key.no_campaign)
		nulls[3] = 'n';
	args[4] = Int64GetDatum(d->leads);
	args[5] = d->revenue;
	crm_exec(&append_change, args, nulls, false, 0);
}

/* The changes of a statement that moved several groups, in one INSERT, in key order. */
static CrmPlan append_changes = {
	"INSERT INTO crm.lead_count_changes (account_id, type_id, status_id, campaign_id, leads, revenue) "
	"SELECT c.a, c.t, c.s, c.c, c.l, c.r "
	"FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::numeric[]) "
	"WITH ORDINALITY AS c(a, t, s, c, l, r, n) ORDER BY c.n",
	6, {INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT8ARRAYOID, NUMERICARRAYOID}
};

static Datum
int8_array(Datum *values, bool *nulls, long n)
{
	int			dims[1] = {(int) n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, INT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static void
write_deltas_at_once(CountDelta **sorted, long k)
{
	Datum	   *v[5];
	bool	   *no_campaign = palloc0(sizeof(bool) * k);
	Datum	   *revenue = palloc(sizeof(Datum) * k);
	Datum		args[6];
	int			dims[1] = {(int) k};
	int			lbs[1] = {1};

	for (int c = 0; c < 5; c++)
		v[c] = palloc(sizeof(Datum) * k);
	for (long i = 0; i < k; i++)
	{
		v[0][i] = Int64GetDatum(sorted[i]->key.account_id);
		v[1][i] = Int64GetDatum(sorted[i]->key.type_id);
		v[2][i] = Int64GetDatum(sorted[i]->key.status_id);
		v[3][i] = Int64GetDatum(sorted[i]->key.campaign_id);
		no_campaign[i] = sorted[i]->key.no_campaign;
		v[4][i] = Int64GetDatum(sorted[i]->leads);
		revenue[i] = sorted[i]->revenue;
	}
	for (int c = 0; c < 5; c++)
		args[c] = int8_array(v[c], c == 3 ? no_campaign : NULL, k);
	args[5] = PointerGetDatum(construct_md_array(revenue, NULL, 1, dims, lbs, NUMERICOID, -1,
												 false, TYPALIGN_INT));
	crm_exec(&append_changes, args, NULL, false, 0);
}

/*
 * The same rows written directly (kit/direct_insert.h), in append_change's
 * order.  No foreign key to check: a change is written by the leads' own
 * statement trigger, for the groups of the rows it fired on (the table has
 * none, by design: see schema/lead_reports.sql).
 */
static const char *const change_names[] = {
	"account_id", "type_id", "status_id", "campaign_id", "leads", "revenue"
};
static CrmColumnMap change_columns = {"crm.lead_count_changes", lengthof(change_names), change_names};
static CrmDirectTable count_changes = {"lead_count_changes", &change_columns, NULL};

/* Writes the k sorted changes directly; false when they go through SPI. */
static bool
write_deltas_directly(CountDelta **sorted, long k)
{
	CrmDirectWrite *w = crm_direct_begin(&count_changes);

	if (w == NULL)
		return false;
	for (long i = 0; i < k; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = Int64GetDatum(sorted[i]->key.account_id);
		values[1] = Int64GetDatum(sorted[i]->key.type_id);
		values[2] = Int64GetDatum(sorted[i]->key.status_id);
		values[3] = Int64GetDatum(sorted[i]->key.campaign_id);
		nulls[3] = sorted[i]->key.no_campaign;
		values[4] = Int64GetDatum(sorted[i]->leads);
		values[5] = sorted[i]->revenue;
		crm_direct_insert(w, values, nulls);
	}
	crm_direct_end(w);
	return true;
}

/* Folds one account's changes unless another session is folding them (then -1). */
static int64
fold_if_free(int64 account_id)
{
	Datum		arg = Int64GetDatum(account_id);

	if (!crm_try_lock(account_id, CRM_LOCK_FOLD_COUNTS))
		return -1;
	return (int64) crm_exec(&fold_changes, &arg, NULL, false, 0);
}

/*
 * Every FOLD_EVERY writing statements, folds the changes of the accounts the
 * statement wrote (the n sorted deltas, by account first), each unless
 * another session is folding it: never a statement over every account from a
 * trigger, which on Citus runs on the shard of the row written.  Not under
 * REPEATABLE READ or SERIALIZABLE: their snapshot may predate another
 * session's fold, and deleting a change it already folded would fail the
 * caller's transaction.
 */
static void
maybe_fold_changes(CountDelta **sorted, long n)
{
	if (++statements_since_fold < FOLD_EVERY || IsolationUsesXactSnapshot())
		return;
	statements_since_fold = 0;
	for (long i = 0; i < n; i++)
		if (i == 0 || sorted[i]->key.account_id != sorted[i - 1]->key.account_id)
			fold_if_free(sorted[i]->key.account_id);
}

/* Appends a change for every group whose count or revenue moved, in key order. */
static void
write_deltas(HTAB *deltas)
{
	long		n = hash_get_num_entries(deltas);
	CountDelta **sorted = palloc(sizeof(CountDelta *) * Max(n, 1));
	HASH_SEQ_STATUS seq;
	CountDelta *d;
	long		k = 0;

	hash_seq_init(&seq, deltas);
	while ((d = hash_seq_search(&seq)) != NULL)
	{
		bool		no_change = d->leads == 0 &&
			DatumGetInt32(DirectFunctionCall2(numeric_cmp, d->revenue, numeric_zero())) == 0;

		if (!no_change)
			sorted[k++] = d;
	}
	qsort(sorted, k, sizeof(CountDelta *), compare_keys);
	if (k > 0 && write_deltas_directly(sorted, k))
		;
	else if (k == 1)
		write_delta(sorted[0]);
	else if (k > 1)
		write_deltas_at_once(sorted, k);
	if (k > 0)
		maybe_fold_changes(sorted, k);
}

/*
 * leads_95_counts_insert and leads_95_counts_update: the statement's changes
 * summed per group, one change row per group that moved.
 */
PG_FUNCTION_INFO_V1(crm_lead_counts);
Datum
crm_lead_counts(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	const CrmColumnMap *cols;
	HASHCTL		ctl;
	HTAB	   *deltas;
	CrmUserSwitch user;

	crm_trigger_start_statement(&trig, fcinfo, "crm_lead_counts", CRM_AFTER,
								CRM_ON_INSERT | CRM_ON_UPDATE, true);
	if (trig.restoring)
		return crm_trigger_return(&trig, NULL);
	cols = crm_trigger_columns(&trig, &lead_columns);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(CountKey);
	ctl.entrysize = sizeof(CountDelta);
	ctl.hcxt = CurrentMemoryContext;
	deltas = hash_create("crm lead count deltas", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	count_statement(deltas, &trig, cols);
	write_deltas(deltas);
	crm_restore_user(&user);
	hash_destroy(deltas);
	return crm_trigger_return(&trig, NULL);
}

/* orders_95_counts: a linked order's amount changed; its lead's group revenue moves with it. */
PG_FUNCTION_INFO_V1(crm_order_amount_counts);
Datum
crm_order_amount_counts(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		old;
	CrmRow		new;
	bool		isnull,
				old_null,
				new_null,
				lead_null;
	Datum		old_amount,
				new_amount;
	Datum		args[2];
	CrmUserSwitch user;

	crm_trigger_start(&trig, fcinfo, "crm_order_amount_counts", CRM_AFTER, CRM_ON_UPDATE);
	new = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &order_columns)};
	old = (CrmRow) {trig.old, trig.desc, new.map};
	old_amount = crm_row_get(&old, ORDER_AMOUNT, &old_null);
	new_amount = crm_row_get(&new, ORDER_AMOUNT, &new_null);
	args[1] = crm_row_get(&new, ORDER_LEAD_ID, &lead_null);
	if (lead_null || old_null || new_null ||
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, old_amount, new_amount)) == 0)
		return crm_trigger_return(&trig, NULL);
	args[0] = crm_row_get(&new, ORDER_ACCOUNT_ID, &isnull);

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	if (crm_exec(&lead_group, args, NULL, false, 1) == 1)
	{
		CountDelta	d;
		CountDelta *one = &d;

		memset(&d, 0, sizeof(d));
		d.key.account_id = DatumGetInt64(args[0]);
		d.key.type_id = crm_get_int64(0, 1, &isnull);
		d.key.status_id = crm_get_int64(0, 2, &isnull);
		d.key.campaign_id = crm_get_int64(0, 3, &d.key.no_campaign);
		d.leads = 0;
		d.revenue = DirectFunctionCall2(numeric_sub, new_amount, old_amount);
		write_delta(&d);
		maybe_fold_changes(&one, 1);
	}
	crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}

/*
 * Folds the changes of every account that has some, one account at a time;
 * the counter rows written, or -1 when another session was folding one of
 * the accounts (its changes are left to that session).
 */
static int64
fold_every_account(void)
{
	uint64		n = crm_exec(&accounts_with_changes, NULL, NULL, true, 0);
	int64	   *accounts = palloc(sizeof(int64) * (n + 1));
	int64		written = 0;
	bool		skipped = false;

	for (uint64 i = 0; i < n; i++)
		accounts[i] = crm_get_int64(i, 1, NULL);
	for (uint64 i = 0; i < n; i++)
	{
		int64		rows = fold_if_free(accounts[i]);

		if (rows < 0)
			skipped = true;
		else
			written += rows;
	}
	pfree(accounts);
	return skipped ? -1 : written;
}

/*
 * crm.fold_lead_counts() -> bigint: folds the committed changes now, and
 * returns how many counter rows it wrote, or NULL when another session was
 * folding them (left to it).  A tenant folds its own account's changes: on
 * Citus its twin crm._fold_lead_counts(account) runs on the account's worker
 * (kit/delegate.h), where the owner's fold touches no placement the tenant's
 * connection wrote.  The owner of schema crm, or a superuser, who acts in no
 * account, folds every account's, one account at a time.
 */
static CrmDelegate fold_twin = {"crm._fold_lead_counts", 0, {0}};

PG_FUNCTION_INFO_V1(crm_fold_lead_counts);
Datum
crm_fold_lead_counts(PG_FUNCTION_ARGS)
{
	bool		every_account = crm_actor_kind() == CRM_ACTOR_OWNER;
	int64		account_id = every_account ? 0 : crm_require_account();
	CrmUserSwitch user;
	int64		written;
	Datum		delegated;

	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("crm.fold_lead_counts() cannot run in a %s transaction",
						XactIsoLevel == XACT_SERIALIZABLE ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("Its snapshot may predate another session's fold of the same changes."),
				 errhint("Call it in a READ COMMITTED transaction.")));
	if (!every_account && crm_delegate(&fold_twin, fcinfo, account_id, &delegated))
		return delegated;
	SPI_connect();
	crm_become_owner(&user);
	written = every_account ? fold_every_account() : fold_if_free(account_id);
	crm_restore_user(&user);
	SPI_finish();
	if (written < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(written);
}
