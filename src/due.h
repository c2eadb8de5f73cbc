/*
 * due.h
 *	  Time-based work: the registry of due handlers and running them
 *	  (due.c).  Every room with work that falls due at an instant registers a
 *	  handler at load time; crm.run_due() and the background worker run them.
 */
#ifndef CRM_DUE_H
#define CRM_DUE_H

#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/timestamp.h"

/*
 * What one call of a handler may take: the items due at `now` (a deadline
 * when now > deadline, other instants when now >= instant), at most
 * max_items; of one account when account_null is false (a tenant's run); one
 * item when item_null is false too (trying an item again).  Items set aside in
 * crm.due_failures are skipped unless named.
 */
typedef struct CrmDueScope
{
	TimestampTz now;
	int64		max_items;
	bool		account_null;
	int64		account_id;
	bool		item_null;
	int64		item_id;
} CrmDueScope;

/*
 * A kind of due item.  run() handles the items of scope, each exactly once
 * even when several sessions run it at once, and returns how many it
 * handled; next_due() gives the earliest instant still pending in scope's
 * accounts (false when none); due_items is a statement listing the items
 * run() would take, as rows (account_id, id), so that a failing batch can be
 * tried item by item.  All are called connected to SPI, as the schema owner,
 * and take the arguments of crm_due_args (CRM_DUE_NARGS, CRM_DUE_ARGTYPES).
 */
typedef struct CrmDueHandler
{
	const char *kind;
	int64		(*run) (const CrmDueScope *scope);
	bool		(*next_due) (const CrmDueScope *scope, TimestampTz *at);
	struct CrmPlan *due_items;
} CrmDueHandler;

/*
 * The arguments of every handler's statements: $1 now, $2 max_items, $3 the
 * account (NULL: every account), $4 the item (NULL: any), $5 the kind.
 */
#define CRM_DUE_NARGS 5
#define CRM_DUE_ARGTYPES {TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, TEXTOID}
extern void crm_due_args(const char *kind, const CrmDueScope *scope, Datum *args, char *nulls);

/*
 * The condition every claim adds for its table alias `x` (with columns
 * account_id and id): the scope's account and item, and not set aside.
 * The set-aside rows are those of the scope's account by its value ($3): on
 * Citus a subquery's table is pruned to one shard only by a value, and a
 * claim (FOR UPDATE) must touch one shard.
 */
#define CRM_DUE_SCOPE(x) \
	" AND ($3::bigint IS NULL OR " x ".account_id = $3)" \
	" AND ($4::bigint IS NULL OR " x ".id = $4)" \
	" AND ($4::bigint IS NOT NULL OR NOT EXISTS (SELECT 1 FROM crm.due_failures f" \
	"      WHERE f.account_id = coalesce($3, " x ".account_id) AND f.kind = $5 AND f.item_id = " x ".id))"

/*
 * For next_due(): the instant a one-column query gives (min(...), NULL when
 * nothing is pending), whose $1 is the scope's account (NULL: every account).
 * Items set aside are left out (CRM_DUE_NOT_SET_ASIDE): crm_next_due adds the
 * instants at which they are tried again.
 */
extern bool crm_due_earliest(struct CrmPlan *plan, const CrmDueScope *scope, TimestampTz *at);

/*
 * For next_due(): the earliest instant over the scope's accounts, one index
 * probe per account (the claims' indexes lead with account_id; on Citus the
 * lateral join of colocated tables runs on each shard).  PENDING is the query
 * of one account's earliest instant, `at`, over alias `x` whose account is
 * a.id, ordered by that instant with LIMIT 1.
 */
#define CRM_DUE_EARLIEST_PER_ACCOUNT(PENDING) \
	"SELECT min(p.at) FROM crm.accounts a CROSS JOIN LATERAL (" PENDING ") p" \
	" WHERE ($1::bigint IS NULL OR a.id = $1)"

/* For next_due()'s query over alias `x`: not set aside (kind as an SQL literal). */
#define CRM_DUE_NOT_SET_ASIDE(x, kind) \
	" AND NOT EXISTS (SELECT 1 FROM crm.due_failures f" \
	"     WHERE f.account_id = " x ".account_id AND f.kind = '" kind "' AND f.item_id = " x ".id)"

/*
 * A timestamptz as JSON the way the history's C writers put it
 * (crm_json_timestamptz in kit/spi.h): ISO 8601 in UTC, whatever the
 * session's TimeZone; for a handler that writes its history as a set.
 */
#define CRM_DUE_UTC_JSON(x) \
	"((pg_catalog.to_jsonb((" x ") AT TIME ZONE 'UTC') #>> '{}') || '+00:00')"

#define CRM_MAX_DUE_HANDLERS 16

/* Registration order is the order of crm.run_due()'s rows. */
extern void crm_register_due_handler(const CrmDueHandler *handler);
extern int	crm_due_handler_count(void);
extern const CrmDueHandler *crm_due_handler(int i);

/*
 * Runs every handler once (counts[i] per handler) at now, for at most
 * max_items items each, of one account unless account_null; connects to SPI
 * and runs as the owner.  A failing item never stops the others: see due.c.
 */
extern void crm_run_due_handlers(TimestampTz now, int64 max_items, bool account_null,
								 int64 account_id, int64 *counts);
/* The earliest pending instant over every handler (of one account unless account_null). */
extern bool crm_next_due(bool account_null, int64 account_id, TimestampTz *at);
/*
 * Whose due work the caller's is: every account (*account_null) for the owner,
 * and for crm_service naming no account; else the caller's account.  Raises
 * 42501 for a role that acts in no account.
 */
extern void crm_due_caller_accounts(bool *account_null, int64 *account_id);
/* Items set aside in crm.due_failures (of one account unless account_null). */
extern int64 crm_due_failure_count(bool account_null, int64 account_id);

/*
 * For due.c (due_failures.c), connected to SPI as the owner: an item of kind
 * whose handling failed with edata set aside (item names it: account_id,
 * item_id, now), or forgotten once handled; the items of scope's accounts
 * whose backoff has passed, as SPI_tuptable rows (account_id, item_id); the
 * earliest instant one is tried again.
 */
extern void crm_due_set_aside(const char *kind, const CrmDueScope *item, ErrorData *edata);
extern void crm_due_forget_set_aside(const char *kind, const CrmDueScope *item);
extern uint64 crm_due_list_retries(const char *kind, const CrmDueScope *scope);
extern bool crm_due_next_retry(const CrmDueScope *scope, TimestampTz *at);

#endif							/* CRM_DUE_H */
