/*
 * lead_deadlines.h
 *	  Lead deadlines as due work (lead_deadlines.c).
 */
#ifndef CRM_LEAD_DEADLINES_H
#define CRM_LEAD_DEADLINES_H

/* Registers the "lead_overdue" due handler. */
extern void crm_lead_deadlines_init(void);

#endif							/* CRM_LEAD_DEADLINES_H */
