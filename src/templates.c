/*
 * templates.c
 *	  Message templates: the check at save time, crm.render_template, and the
 *	  rendering used by call outcomes to fill crm.outbox.
 *
 * The parsing and the table of variables live in templates_core.c (pure C,
 * fuzzed); this file only looks the values up.
 *
 * Map:
 *	message_templates_10_check	(BEFORE INSERT OR UPDATE OF subject, body on
 *		crm.message_templates, crm_message_template_check) every {$...} in
 *		subject and body is a known variable
 *	crm.render_template(body, client_id, invoice_id)	crm_render_template
 *	crm_template_render		the rendering, for other rooms (templates.h)
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "crm.h"
#include "templates.h"
#include "templates_core.h"

/* Values of one client (and invoice) for the variables. */
typedef struct TplValues
{
	char	   *values[CRM_TPL_NVARIABLES];	/* by CrmTplVariable */
	int			nattrs;
	char	  **attr_keys;
	char	  **attr_values;
	StringInfo	out;
} TplValues;

/*
 * The values come from three single-table queries (client, invoice, manager),
 * each naming the account ($1), so that Citus routes each to the account's
 * shard: Citus cannot plan the outer joins of one query beside the policies'
 * account conditions.  The client's columns: name, phone, email (the first
 * three variables, in the order of the table in templates_core.c), then its
 * responsible employee.
 */
StaticAssertDecl(CRM_TPL_NAME == 0 && CRM_TPL_PHONE == 1 && CRM_TPL_EMAIL == 2,
				 "client_values selects the first three variables");
static CrmPlan client_values = {
	"SELECT c.name, "
	"  (SELECT p.phone FROM crm.client_phones p "
	"    WHERE p.account_id = $1 AND p.client_id = c.id ORDER BY p.id LIMIT 1), "
	"  c.email, c.responsible_id "
	"FROM crm.clients c WHERE c.account_id = $1 AND c.id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan invoice_values = {
	"SELECT i.number, i.amount::text, i.manager_id FROM crm.invoices i "
	"WHERE i.account_id = $1 AND i.id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan manager_values = {
	"SELECT m.name, m.email FROM crm.employees m WHERE m.account_id = $1 AND m.id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan client_attrs = {
	"SELECT a.key, a.value #>> '{}' FROM crm.clients c, jsonb_each(c.attrs) a "
	"WHERE c.account_id = $1 AND c.id = $2",
	2, {INT8OID, INT8OID}
};

static void
set_var(const char **value, size_t *value_len, const char *s)
{
	*value = s;
	*value_len = s ? strlen(s) : 0;
}

static int
tpl_lookup(void *ctx, const char *name, size_t len, const char **value, size_t *value_len)
{
	TplValues  *v = (TplValues *) ctx;
	int			var = crm_tpl_variable(name, len);

	if (var < 0)
		return 0;
	if (var != CRM_TPL_ATTR)
	{
		set_var(value, value_len, v->values[var]);
		return 1;
	}
	name += CRM_TPL_ATTRS_PREFIX_LEN;
	len -= CRM_TPL_ATTRS_PREFIX_LEN;
	set_var(value, value_len, NULL);
	for (int i = 0; i < v->nattrs; i++)
		if (strlen(v->attr_keys[i]) == len && memcmp(v->attr_keys[i], name, len) == 0)
			set_var(value, value_len, v->attr_values[i]);
	return 1;
}

static int
tpl_accept_all(void *ctx, const char *name, size_t len, const char **value, size_t *value_len)
{
	*value = NULL;
	*value_len = 0;
	return 1;
}

static void
tpl_emit(void *ctx, const char *text, size_t len)
{
	appendBinaryStringInfo(((TplValues *) ctx)->out, text, (int) len);
}

/* "{$name}, {$phone}, ..., {$attrs.KEY}": the table of variables, for the hint. */
static char *
known_variables(void)
{
	StringInfoData list;

	initStringInfo(&list);
	for (int i = 0; i < CRM_TPL_NVARIABLES; i++)
		appendStringInfo(&list, "{$%s}, ", crm_tpl_variables[i]);
	appendStringInfoString(&list, "{$" CRM_TPL_ATTRS_PREFIX "KEY}");
	return list.data;
}

static void
report_template_error(CrmTplStatus st, const char *body, size_t pos, size_t len,
					  const char *where)
{
	/* at most 60 bytes, cut between characters: the client may convert it */
	char	   *bad = pnstrdup(body + pos, pg_mbcliplen(body + pos, (int) len, 60));

	if (st == CRM_TPL_UNTERMINATED)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unterminated variable \"%s\" in template %s", bad, where),
				 errdetail("The text from byte %zu opens a variable with \"{$\" but never closes it with \"}\".", pos),
				 errhint("Write variables as {$name}.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown variable \"%s\" in template %s", bad, where),
			 errdetail("The template uses \"%s\", which crm does not know.", bad),
			 errhint("Known variables: %s.", known_variables())));
}

/* Raises 22023 when text has an unknown or unterminated variable. */
static void
template_check(const char *text, const char *where)
{
	size_t		pos,
				len;
	CrmTplStatus st = crm_tpl_render(text, strlen(text), tpl_accept_all, NULL,
									 NULL, &pos, &len);

	if (st != CRM_TPL_OK)
		report_template_error(st, text, pos, len, where);
}

/*
 * The invoice's number and amount (unless invoice_null or no such invoice) and
 * the manager's name and email: the invoice's manager, else the client's
 * responsible employee (manager, unless manager_null).
 */
static void
invoice_and_manager(TplValues *v, int64 account_id, int64 invoice_id, bool invoice_null,
					int64 manager, bool manager_null, char **manager_email)
{
	Datum		invoice_args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};

	if (manager_email)
		*manager_email = NULL;
	if (!invoice_null && crm_exec(&invoice_values, invoice_args, NULL, true, 1) > 0)
	{
		bool		isnull;
		int64		invoice_manager = crm_get_int64(0, 3, &isnull);

		v->values[CRM_TPL_INVOICE_NUMBER] = crm_get_text(0, 1);
		v->values[CRM_TPL_AMOUNT] = crm_get_text(0, 2);
		if (!isnull)
		{
			manager = invoice_manager;
			manager_null = false;
		}
	}
	if (!manager_null)
	{
		Datum		manager_args[2] = {Int64GetDatum(account_id), Int64GetDatum(manager)};

		if (crm_exec(&manager_values, manager_args, NULL, true, 1) > 0)
		{
			v->values[CRM_TPL_MANAGER_NAME] = crm_get_text(0, 1);
			if (manager_email)
				*manager_email = crm_get_text(0, 2);
		}
	}
}

/* See templates.h. */
char *
crm_template_render(int64 account_id, const char *body, int64 client_id,
					int64 invoice_id, bool invoice_null,
					char **client_email, char **manager_email)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(client_id)};
	int64		manager;
	bool		manager_null;
	TplValues	v = {0};
	StringInfoData out;
	size_t		pos,
				len;
	CrmTplStatus st;

	if (crm_exec(&client_values, args, NULL, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("client %lld does not exist", (long long) client_id),
				 errdetail("Account %lld has no client with id %lld.",
						   (long long) account_id, (long long) client_id),
				 errhint("Render templates for one of the account's clients.")));
	for (int i = CRM_TPL_NAME; i <= CRM_TPL_EMAIL; i++)
		v.values[i] = crm_get_text(0, i + 1);
	manager = crm_get_int64(0, 4, &manager_null);
	invoice_and_manager(&v, account_id, invoice_id, invoice_null,
						manager, manager_null, manager_email);
	if (client_email)
		*client_email = v.values[CRM_TPL_EMAIL];

	v.nattrs = (int) crm_exec(&client_attrs, args, NULL, true, 0);
	v.attr_keys = palloc0(sizeof(char *) * (v.nattrs + 1));
	v.attr_values = palloc0(sizeof(char *) * (v.nattrs + 1));
	for (int i = 0; i < v.nattrs; i++)
	{
		v.attr_keys[i] = crm_get_text(i, 1);
		v.attr_values[i] = crm_get_text(i, 2);
	}

	initStringInfo(&out);
	v.out = &out;
	st = crm_tpl_render(body, strlen(body), tpl_lookup, tpl_emit, &v, &pos, &len);
	if (st != CRM_TPL_OK)
		report_template_error(st, body, pos, len, "text");
	return out.data;
}

PG_FUNCTION_INFO_V1(crm_render_template);
Datum
crm_render_template(PG_FUNCTION_ARGS)
{
	char	   *body;
	int64		account_id = crm_require_account();
	char	   *result;
	text	   *t;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	body = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SPI_connect();
	result = crm_template_render(account_id, body, PG_GETARG_INT64(1),
								 PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2),
								 PG_ARGISNULL(2), NULL, NULL);
	/* result lives in SPI memory: copy it out before SPI_finish */
	t = (text *) SPI_palloc(VARHDRSZ + strlen(result));
	SET_VARSIZE(t, VARHDRSZ + strlen(result));
	memcpy(VARDATA(t), result, strlen(result));
	SPI_finish();
	PG_RETURN_TEXT_P(t);
}

enum
{
	TEMPLATE_SUBJECT, TEMPLATE_BODY, TEMPLATE_NCOLUMNS
};
static const char *const template_names[] = {"subject", "body"};
static CrmColumnMap template_columns = {"crm.message_templates", TEMPLATE_NCOLUMNS, template_names};

PG_FUNCTION_INFO_V1(crm_message_template_check);
Datum
crm_message_template_check(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		row;
	char	   *subject;
	char	   *body;

	crm_trigger_start(&t, fcinfo, "crm_message_template_check", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (t.restoring)
		return crm_trigger_return(&t, t.new);
	row = (CrmRow) {t.new, t.desc, crm_trigger_columns(&t, &template_columns)};
	subject = crm_row_text(&row, TEMPLATE_SUBJECT);
	body = crm_row_text(&row, TEMPLATE_BODY);
	if (subject)
		template_check(subject, "subject");
	if (body)
		template_check(body, "body");
	return crm_trigger_return(&t, t.new);
}
