/*
 * templates.h
 *	  Rendering message templates for other rooms (templates.c).
 */
#ifndef CRM_TEMPLATES_H
#define CRM_TEMPLATES_H

#include "postgres.h"

/*
 * Renders body for a client (and invoice, unless invoice_null); connected to
 * SPI.  *manager_email (optional) gets the email of the invoice's manager or
 * else the client's responsible employee, *client_email the client's.
 */
extern char *crm_template_render(int64 account_id, const char *body, int64 client_id,
								 int64 invoice_id, bool invoice_null,
								 char **client_email, char **manager_email);

/*
 * The subject and body of the account's message template template_id, from
 * this backend's cache of the account's templates (template_cache.c, read
 * again once crm.message_templates changes); false when the account has no
 * such template.  Connected to SPI, as the owner.  The texts stay good until
 * the end of the transaction at least.
 */
extern bool crm_message_template(int64 account_id, int64 template_id,
								 const char **subject, const char **body);

#endif							/* CRM_TEMPLATES_H */
