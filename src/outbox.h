/*
 * outbox.h
 *	  The outbox: messages crm queues in crm.outbox, in the transaction that
 *	  decides to send them, for a delivery worker outside the database
 *	  (outbox_delivery.c).
 */
#ifndef CRM_OUTBOX_H
#define CRM_OUTBOX_H

#include "postgres.h"

typedef struct CrmOutboxEmail
{
	const char *recipient;
	const char *cc;				/* NULL: none */
	const char *subject;
	const char *body;
	const char *dedup_key;		/* queued once per account and key; NULL: none */
	Datum		payload;		/* the row's payload: jsonb, typed as the events are */
} CrmOutboxEmail;

/*
 * Queues an email for account_id.  Returns the new row's id, or 0 when its
 * dedup_key was queued before.  Connected to SPI, as the owner.
 */
extern int64 crm_outbox_email(int64 account_id, const CrmOutboxEmail *email);


/* crm.outbox_max_attempts (guc.c): attempts before a row is given up. */
extern int	crm_outbox_max_attempts;

#endif							/* CRM_OUTBOX_H */
