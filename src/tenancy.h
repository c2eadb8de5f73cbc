/*
 * tenancy.h
 *	  The session's account and employee, and the settings of an account that
 *	  phones, clients, linking and orders read (see tenancy.c).
 */
#ifndef CRM_TENANCY_H
#define CRM_TENANCY_H

#include "postgres.h"

/* The account of the session; raises 42501 with a hint when crm.account_id is unset. */
extern int64 crm_require_account(void);
/*
 * The account policies compare rows with (crm.session_account()), or *isnull;
 * on a Citus worker, raises 42501 for a crm_service member whose account did
 * not reach it.
 */
extern int64 crm_policy_account(bool *isnull);
/* The employee named by crm.employee_id, or *isnull. */
extern int64 crm_employee_or_null(bool *isnull);
/*
 * Raises 23503 for an account id that crm.accounts does not hold (a
 * crm_service member may select any id): what a row or a call refers to
 * does not exist, as a foreign key would say.
 */
extern void crm_error_no_account(int64 account_id) pg_attribute_noreturn();

/* The settings of an account that phones, clients, linking, orders, leads and chats read. */
typedef struct CrmAccountSettings
{
	int64		account_id;
	char		region[8];		/* default_region */
	char		client_link_mode[8];	/* off, suggest, auto */
	char		order_link_mode[8];
	bool		has_won_status;
	int64		order_won_status_id;
	char	   *order_number_template;	/* kept in the cache's own memory */
	char	   *timezone;
	char		lead_manager_mode[24];	/* first_writer, client_responsible */
	char		inbound_lead_mode[16];	/* off, new_client, no_open_lead */
} CrmAccountSettings;

/*
 * Kept per backend and read again once crm.accounts changes (as the owner;
 * connects to SPI itself); good until the next call.
 */
extern const CrmAccountSettings *crm_account_settings(int64 account_id);

#endif							/* CRM_TENANCY_H */
