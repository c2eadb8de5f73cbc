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

#endif							/* CRM_TEMPLATES_H */
