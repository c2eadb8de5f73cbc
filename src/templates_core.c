/*
 * templates_core.c
 *	  The template renderer's pure C core (see templates_core.h): the table
 *	  of variables and the walk over a template.  Only the C library: it is
 *	  linked into the extension and into the fuzz harness.
 */
#include <string.h>

#include "templates_core.h"

const char *const crm_tpl_variables[CRM_TPL_NVARIABLES] = {
	[CRM_TPL_NAME] = "name",
	[CRM_TPL_PHONE] = "phone",
	[CRM_TPL_EMAIL] = "email",
	[CRM_TPL_MANAGER_NAME] = "manager_name",
	[CRM_TPL_INVOICE_NUMBER] = "invoice_number",
	[CRM_TPL_AMOUNT] = "amount"
};

/* An attribute key: letters, digits, '_' and '-', at least one. */
static int
attr_key_ok(const char *key, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
crm_tpl_variable(const char *name, size_t len)
{
	for (int i = 0; i < CRM_TPL_NVARIABLES; i++)
		if (strlen(crm_tpl_variables[i]) == len && memcmp(crm_tpl_variables[i], name, len) == 0)
			return i;
	if (len > CRM_TPL_ATTRS_PREFIX_LEN &&
		memcmp(name, CRM_TPL_ATTRS_PREFIX, CRM_TPL_ATTRS_PREFIX_LEN) == 0 &&
		attr_key_ok(name + CRM_TPL_ATTRS_PREFIX_LEN, len - CRM_TPL_ATTRS_PREFIX_LEN))
		return CRM_TPL_ATTR;
	return -1;
}

CrmTplStatus
crm_tpl_render(const char *body, size_t len, CrmTplLookup lookup, CrmTplEmit emit,
			   void *ctx, size_t *err_pos, size_t *err_len)
{
	size_t		i = 0;
	size_t		literal = 0;	/* start of the pending literal run */

	while (i < len)
	{
		const char *close;
		size_t		name_start,
					name_len;
		const char *value = NULL;
		size_t		value_len = 0;

		if (!(body[i] == '{' && i + 1 < len && body[i + 1] == '$'))
		{
			i++;
			continue;
		}
		name_start = i + 2;
		close = memchr(body + name_start, '}', len - name_start);
		if (close == NULL)
		{
			*err_pos = i;
			*err_len = len - i;
			return CRM_TPL_UNTERMINATED;
		}
		name_len = (size_t) (close - (body + name_start));
		if (crm_tpl_variable(body + name_start, name_len) < 0 ||
			!lookup(ctx, body + name_start, name_len, &value, &value_len))
		{
			*err_pos = i;
			*err_len = name_len + 3;
			return CRM_TPL_UNKNOWN_VARIABLE;
		}
		if (emit != NULL)
		{
			if (i > literal)
				emit(ctx, body + literal, i - literal);
			if (value != NULL && value_len > 0)
				emit(ctx, value, value_len);
		}
		i = name_start + name_len + 1;
		literal = i;
	}
	if (emit != NULL && len > literal)
		emit(ctx, body + literal, len - literal);
	return CRM_TPL_OK;
}
