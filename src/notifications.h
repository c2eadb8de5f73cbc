/*
 * notifications.h
 *	  Notification rules for lead events (notifications.c).
 */
#ifndef CRM_NOTIFICATIONS_H
#define CRM_NOTIFICATIONS_H

#include "postgres.h"

#include "kit/trigger.h"

/*
 * The lead events of the row change behind trig (an AFTER INSERT or UPDATE
 * row trigger of crm.leads: the lead history trigger) and, for each event
 * the account has rules for, one crm.outbox row per recipient and channel.
 * The caller is connected to SPI and runs as the owner.
 */
extern void crm_notify_lead_write(CrmTrigger *trig);

#endif							/* CRM_NOTIFICATIONS_H */
