/*
 * customers.h
 *	  Customer data on every path: what an employee without can_see_customers
 *	  reads and writes (customers.c, customers.sql).
 */
#ifndef CRM_CUSTOMERS_H
#define CRM_CUSTOMERS_H

#include "postgres.h"

/*
 * Whether the session is an employee without can_see_customers whom the
 * policies hold to (not the owner, not a role that bypasses row-level
 * security).  crm's own writes, which run as the owner, ask it before they
 * act on a row the session could not see.
 */
extern bool crm_customers_hidden(void);

#endif							/* CRM_CUSTOMERS_H */
