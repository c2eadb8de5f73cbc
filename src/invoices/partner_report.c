/*
 * invoices/partner_report.c
 *	  The rows of crm.partner_report: per partner, the sales it brought (an
 *	  invoice and every invoice that replaces it, followed down the chain by a
 *	  recursive query) and what the paid ones brought.
 *
 * Citus plans a recursive query only when it names one account (a value of
 * the distribution column in every part), and a view cannot name the
 * session's account as a value.  So the view reads this function, which runs
 * the query on the coordinator with the account as a value (a plan per
 * call): Citus routes it whole to the account's shards.  The query reads as
 * the caller, so the policies decide what it sees.
 *
 * Map:
 *	crm._partner_report()	crm_partner_report: a tenant's rows (its account
 *		pinned); for the owner or a superuser (whom the policies do not limit)
 *		every account's, in one query on one server, one account at a time on
 *		Citus
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/lsyscache.h"

#include "crm.h"
#include "identity.h"
#include "kit/citus.h"

/*
 * A sale counts once, as its newest paid invoice (or, when none is paid, its
 * newest invoice not deleted), for that invoice's partner; account_i,
 * account_n and account_j are the account conditions of the three parts
 * ("TRUE" for every account).
 */
#define PARTNER_REPORT_SQL(account_i, account_n, account_j) \
	"WITH RECURSIVE sale_member AS ( " \
	"    SELECT i.account_id, i.id, i.id AS sale_id FROM crm.invoices i " \
	"    WHERE " account_i " AND i.replaces_invoice_id IS NULL " \
	"  UNION ALL " \
	"    SELECT n.account_id, n.id, s.sale_id FROM sale_member s " \
	"    JOIN crm.invoices n ON n.account_id = s.account_id AND n.replaces_invoice_id = s.id " \
	"    WHERE " account_n " " \
	"), sale AS ( " \
	"    SELECT DISTINCT ON (s.account_id, s.sale_id) " \
	"           s.account_id, s.sale_id, i.partner, i.status, " \
	"           greatest(i.amount, i.paid_amount) - i.refunded_amount AS paid " \
	"    FROM sale_member s " \
	"    JOIN crm.invoices i ON i.account_id = s.account_id AND i.id = s.id " \
	"    WHERE " account_j " " \
	"    ORDER BY s.account_id, s.sale_id, i.status = 'paid' DESC, i.status <> 'deleted' DESC, i.id DESC " \
	") " \
	"SELECT account_id, partner, count(*), count(*) FILTER (WHERE status = 'paid'), " \
	"       coalesce(sum(paid) FILTER (WHERE status = 'paid'), 0)::numeric(14, 2) " \
	"FROM sale WHERE partner IS NOT NULL AND status <> 'deleted' " \
	"GROUP BY account_id, partner"

static CrmPlan one_account = {
	PARTNER_REPORT_SQL("i.account_id = $1", "n.account_id = $1", "i.account_id = $1"),
	1, {INT8OID}, NULL, .custom = true
};
static CrmPlan every_account = {
	PARTNER_REPORT_SQL("TRUE", "TRUE", "TRUE"), 0, {0}
};
static CrmPlan accounts = {
	"SELECT id FROM crm.accounts ORDER BY id", 0, {0}
};

/* The report of one account, added to the result. */
static void
report_account(ReturnSetInfo *rsinfo, int64 account_id)
{
	Datum		arg = Int64GetDatum(account_id);

	crm_result_rows(rsinfo, crm_exec(&one_account, &arg, NULL, true, 0));
}

/* Every account's report, for a caller the policies do not limit. */
static void
report_every_account(ReturnSetInfo *rsinfo)
{
	Oid			invoices = get_relname_relid("invoices", get_namespace_oid("crm", false));
	uint64		n;
	int64	   *ids;

	if (!crm_relation_is_distributed(invoices))
	{
		crm_result_rows(rsinfo, crm_exec(&every_account, NULL, NULL, true, 0));
		return;
	}
	n = crm_exec(&accounts, NULL, NULL, true, 0);
	ids = palloc(sizeof(int64) * (n + 1));
	for (uint64 i = 0; i < n; i++)
		ids[i] = crm_get_int64(i, 1, NULL);
	for (uint64 i = 0; i < n; i++)
		report_account(rsinfo, ids[i]);
}

PG_FUNCTION_INFO_V1(crm_partner_report);
Datum
crm_partner_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		no_account;
	int64		account_id = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (crm_actor_kind() != CRM_ACTOR_OWNER)
	{
		/* the policies show such a caller its account's rows only, or none */
		account_id = crm_actor_account(&no_account);
		if (no_account)
			return (Datum) 0;
	}
	SPI_connect();
	if (crm_actor_kind() == CRM_ACTOR_OWNER)
		report_every_account(rsinfo);
	else
		report_account(rsinfo, account_id);
	SPI_finish();
	return (Datum) 0;
}
