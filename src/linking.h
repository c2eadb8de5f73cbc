/*
 * linking.h
 *	  The link between an order and a lead (order_lead_link.c), and the lead a
 *	  new order is given in auto mode (linking.c).
 */
#ifndef CRM_LINKING_H
#define CRM_LINKING_H

#include "postgres.h"

typedef enum CrmLinkBy
{
	LINK_BY_HAND,				/* crm.link_order: as the caller, errors raised */
	LINK_BY_WRITE,				/* orders.lead_id written: errors raised */
	LINK_AUTO					/* auto mode: nothing raised, false when not possible */
} CrmLinkBy;

/*
 * Links order and lead both ways and moves the lead to the account's order
 * status.  Caller is connected to SPI.  Returns false only for LINK_AUTO.
 * An import's link (CRM_WRITE_IMPORT) is history: the lead may be closed and
 * keeps its status.
 */
extern bool crm_link_order_lead(int64 account_id, int64 order_id, int64 lead_id, CrmLinkBy by);

/*
 * Locks the lead (FOR UPDATE, as the current user; connected to SPI): false
 * when there is no such lead; else *free (no order and open) and its client.
 */
extern bool crm_link_lock_lead(int64 account_id, int64 lead_id, bool *free, int64 *client,
							   bool *client_null);

/*
 * crm.link_order's link: order and lead both ways, the lead moved to the
 * account's order status; as the caller, every refusal raised.  Caller is
 * connected to SPI.
 */
extern void crm_link_order_by_hand(int64 account_id, int64 order_id, int64 lead_id);

/*
 * In order_link_mode auto, the lead a new order with phone e164 (and client,
 * unless client_null) is given before it is written: the one open lead
 * without an order with that phone and a compatible client, found under the
 * phone's lock (kit/locks.h), then locked and checked again.  false (and nothing
 * set) when there is none or the mode is not auto; else *lead_id and the
 * lead's client.  Caller is connected to SPI.
 */
extern bool crm_link_lead_for_new_order(int64 account_id, const char *e164,
										int64 client_id, bool client_null,
										int64 *lead_id, int64 *lead_client,
										bool *lead_client_null);

#endif							/* CRM_LINKING_H */
