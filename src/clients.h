/*
 * clients.h
 *	  The right to see customers (see clients.c).
 */
#ifndef CRM_CLIENTS_H
#define CRM_CLIENTS_H

#include "postgres.h"

/* The right of the current employee to see clients; true with no employee set. */
extern bool crm_can_see_customers(void);

#endif							/* CRM_CLIENTS_H */
