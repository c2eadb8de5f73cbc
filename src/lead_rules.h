/*
 * lead_rules.h
 *	  An account's lead types, statuses and transition rules, kept per
 *	  backend (see lead_rules.c).
 */
#ifndef CRM_LEAD_RULES_H
#define CRM_LEAD_RULES_H

#include "postgres.h"

#include "kit/backend_cache.h"

typedef struct CrmLeadType
{
	int64		id;
	int64		initial_status_id;
	bool		is_default;
	char	   *number_template;
} CrmLeadType;

typedef struct CrmStatus
{
	int64		id;
	char	   *name;
	char		kind[8];		/* open, won, lost */
} CrmStatus;

typedef struct CrmTransition
{
	bool		any_type;		/* lead_type_id NULL: a rule of every type */
	int64		lead_type_id;
	int64		from_status_id;
	int64		to_status_id;
} CrmTransition;

typedef struct CrmLeadRules
{
	CrmBackendCacheEntry head;	/* the account */
	int			ntypes;
	CrmLeadType *types;
	int			nstatuses;
	CrmStatus  *statuses;		/* in the board's order: position, id */
	int			ntransitions;
	CrmTransition *transitions;
} CrmLeadRules;

/*
 * The account's rules, read once per backend and again once one of their
 * tables changes (as the owner; connects to SPI itself); good until the next
 * call.
 */
extern const CrmLeadRules *crm_lead_rules(int64 account_id);

/* The type or status of that id, the account's default type; NULL when none. */
extern const CrmLeadType *crm_lead_type(const CrmLeadRules *rules, int64 type_id);
extern const CrmLeadType *crm_lead_default_type(const CrmLeadRules *rules);
extern const CrmStatus *crm_lead_status(const CrmLeadRules *rules, int64 status_id);

/*
 * Whether a lead of type_id may move from from_status to to_status: any move
 * when no rule of the type starts at from_status, else the rules' targets.
 */
extern bool crm_lead_move_allowed(const CrmLeadRules *rules, int64 type_id,
								  int64 from_status, int64 to_status);

#endif							/* CRM_LEAD_RULES_H */
