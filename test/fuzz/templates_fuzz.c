/*
 * templates_fuzz.c
 *	  libFuzzer harness over the template renderer's pure C core.
 *
 * The input is split at the first NUL byte: the part before is the template,
 * the part after is the value every variable looks up to.  Checked on every
 * input: the renderer never reads outside the body (AddressSanitizer), an
 * error position lies inside the body, and on success the output is exactly
 * the body with each variable replaced by the value, so a value is never
 * expanded again: rendering the same body with an empty value and counting
 * gives the output length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "templates_core.h"

typedef struct Out
{
	char	   *buf;
	size_t		len;
	size_t		cap;
	const char *value;
	size_t		value_len;
	size_t		lookups;
} Out;

static int
lookup(void *ctx, const char *name, size_t len, const char **value, size_t *value_len)
{
	Out		   *o = (Out *) ctx;

	(void) name;
	(void) len;
	o->lookups++;
	*value = o->value;
	*value_len = o->value_len;
	return 1;
}

static void
emit(void *ctx, const char *text, size_t len)
{
	Out		   *o = (Out *) ctx;

	if (o->len + len > o->cap)
	{
		o->cap = (o->len + len) * 2 + 16;
		o->buf = realloc(o->buf, o->cap);
		if (o->buf == NULL)
			abort();
	}
	memcpy(o->buf + o->len, text, len);
	o->len += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *) data;
	const char *nul = memchr(data, 0, size);
	size_t		body_len = nul ? (size_t) (nul - body) : size;
	Out			a = {0},
				b = {0};
	size_t		pos = 0,
				len = 0;
	CrmTplStatus st;

	/* exact-size copy so ASan catches any read past the body */
	char	   *copy = malloc(body_len ? body_len : 1);

	memcpy(copy, body, body_len);
	a.value = nul ? nul + 1 : "";
	a.value_len = nul ? size - body_len - 1 : 0;
	st = crm_tpl_render(copy, body_len, lookup, emit, &a, &pos, &len);
	if (st != CRM_TPL_OK)
	{
		if (pos >= body_len || pos + len > body_len)
			abort();
	}
	else
	{
		b.value = "";
		b.value_len = 0;
		if (crm_tpl_render(copy, body_len, lookup, emit, &b, &pos, &len) != CRM_TPL_OK)
			abort();
		if (a.lookups != b.lookups || a.len != b.len + a.lookups * a.value_len)
			abort();
		/* with no variables the text comes back unchanged */
		if (a.lookups == 0 && (a.len != body_len || (body_len && memcmp(a.buf, copy, body_len) != 0)))
			abort();
	}
	free(a.buf);
	free(b.buf);
	free(copy);
	return 0;
}
