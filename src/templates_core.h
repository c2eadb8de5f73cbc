/*
 * templates_core.h
 *	  The template renderer's pure C core: no PostgreSQL calls, so the fuzz
 *	  harness (test/fuzz/templates_fuzz.c) links it on its own.
 *
 * A template is text with variables written {$name} or {$attrs.KEY}.  The
 * core walks the text once and hands every literal run and every variable's
 * value to callbacks; a value is emitted as is, so a value that itself
 * contains {$...} is never expanded again.
 */
#ifndef CRM_TEMPLATES_CORE_H
#define CRM_TEMPLATES_CORE_H

#include <stddef.h>

typedef enum CrmTplStatus
{
	CRM_TPL_OK = 0,
	CRM_TPL_UNKNOWN_VARIABLE,	/* a {$...} whose name the lookup does not know */
	CRM_TPL_UNTERMINATED		/* a {$ with no closing } */
} CrmTplStatus;

/*
 * Looks a variable up: name/len is the text between "{$" and "}".  Returns 1
 * and sets *value and *value_len when the variable is known (a NULL value emits
 * nothing), 0 when it is not.
 */
typedef int (*CrmTplLookup) (void *ctx, const char *name, size_t len,
							 const char **value, size_t *value_len);
/* Receives output text; may be NULL to only check the template. */
typedef void (*CrmTplEmit) (void *ctx, const char *text, size_t len);

/*
 * Renders body (len bytes, need not be NUL-terminated).  On failure returns
 * the status and sets *err_pos and *err_len to the offending variable in body.
 */
extern CrmTplStatus crm_tpl_render(const char *body, size_t len,
								   CrmTplLookup lookup, CrmTplEmit emit, void *ctx,
								   size_t *err_pos, size_t *err_len);

/*
 * The variables crm knows: the table below, in this order (the order of the
 * error hint that lists them), then {$attrs.KEY} for any key of the client's
 * attrs (letters, digits, '_' and '-').
 */
typedef enum CrmTplVariable
{
	CRM_TPL_NAME,
	CRM_TPL_PHONE,
	CRM_TPL_EMAIL,
	CRM_TPL_MANAGER_NAME,
	CRM_TPL_INVOICE_NUMBER,
	CRM_TPL_AMOUNT,
	CRM_TPL_NVARIABLES,
	CRM_TPL_ATTR = CRM_TPL_NVARIABLES	/* {$attrs.KEY} */
} CrmTplVariable;

extern const char *const crm_tpl_variables[CRM_TPL_NVARIABLES];

#define CRM_TPL_ATTRS_PREFIX "attrs."
#define CRM_TPL_ATTRS_PREFIX_LEN (sizeof(CRM_TPL_ATTRS_PREFIX) - 1)

/* The variable name/len is (a CrmTplVariable), or -1 when crm does not know it. */
extern int	crm_tpl_variable(const char *name, size_t len);

#endif							/* CRM_TEMPLATES_CORE_H */
