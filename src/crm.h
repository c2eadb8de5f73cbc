/*
 * crm.h
 *	  Shared prototypes and small helpers of the crm extension.
 *
 * Map of the concepts (each has src/NAME.c and, where it defines SQL, src/NAME.sql):
 *	crm.c		module magic and _PG_init
 *	guc.c		every crm.* setting
 *	kit/		the shared kit: trigger protocol and rows, SPI, errors,
 *				per-transaction caches, crm's own writes
 *	tenancy.c	current account and employee, roles, row-level security of every table
 *	history.c	append-only guard for history and fact tables
 *	numbering.c	number templates ({N}, {N:5}, {YYYY}, {MM}) and gapless counters
 *	leads.c		lead defaults, status transitions, lead events
 *	phones.c	phone normalisation (phones_shim.cc wraps libphonenumber)
 *	clients.c	clients, client phones, the right to see customers
 *	linking.c	lead <-> client and order <-> lead matching
 *	lead_reports.c	kept-up lead counts behind the funnel and the campaign report
 *	invoices.c	offers, invoices, items, invoice events, auto-cancel
 *	invoice_actions.c	confirm, cancel, delete, auto-cancel time, autopay switch, reissue
 *	payments.c	payments, refunds, autopay charges
 *	calls.c		call outcomes, retry rules, call tasks, the call queue
 *	templates.c	message templates: the check and the rendering
 *				(templates_core.c: the table of variables and the parser)
 *	chats.c		conversations, messages, responsible manager, appointments
 *	alerts.c	failed-payment alert routing
 *	due.c		the registry of due handlers, crm.run_due and crm.next_due
 *	lead_deadlines.c	the lead deadline handler (overdue leads)
 *	worker.c	the background workers (launcher and per-database runs) and
 *				the trigger that wakes them
 */
#ifndef CRM_H
#define CRM_H

#include "postgres.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "kit/errors.h"
#include "kit/spi.h"
#include "kit/system_write.h"
#include "kit/trigger.h"
#include "kit/xact_cache.h"

/* Several rooms register due handlers (due.h) or render templates (templates.h). */
#include "due.h"
#include "templates.h"

/* ---- guc.c ---- */
extern void crm_guc_init(void);
extern bool crm_account_is_set;
extern int64 crm_account_value;
extern bool crm_employee_is_set;
extern int64 crm_employee_value;

/* ---- tenancy.c ---- */
/* The account of the session; raises 42501 with a hint when crm.account_id is unset. */
extern int64 crm_require_account(void);
/* The employee named by crm.employee_id, or *isnull. */
extern int64 crm_employee_or_null(bool *isnull);

/* ---- history.c ---- */
/* Appends a lead event; detail may be (Datum) 0 for none. */
extern void crm_lead_event(int64 account_id, int64 lead_id, const char *kind,
						   int64 from_status, bool from_null,
						   int64 to_status, bool to_null,
						   Datum detail_jsonb, bool detail_null);

/* ---- numbering.c ---- */
extern void crm_number_template_check(const char *tmpl, const char *what);
/* The next number of tmpl; connected to SPI, returned in the caller's memory. */
extern char *crm_number_next(int64 account_id, const char *tmpl, const char *timezone,
							 TimestampTz at, CrmPlan *max_plan,
							 int64 *sequence_id, int64 *seq);

/* ---- leads.c ---- */
/*
 * While set, a status change made by the system itself (linking an order)
 * skips the transition rules; the change is still recorded.
 */
extern bool crm_system_status_move;
extern const char *crm_pending_event_comment;

/* ---- phones.c ---- */
/* E.164 of raw in region (ISO alpha-2), or NULL when not a valid number. */
extern char *crm_phone_e164(const char *raw, const char *region);

/* The settings of an account that phones, clients and linking read. */
typedef struct CrmPhoneSettings
{
	int64		account_id;
	char		region[8];			/* default_region */
	char		client_link_mode[8];	/* off, suggest, auto */
	char		order_link_mode[8];
	bool		has_won_status;
	int64		order_won_status_id;
	char	   *order_number_template;	/* kept in the cache's own memory */
	char	   *timezone;
} CrmPhoneSettings;

/*
 * Read once per transaction (as the owner; connects to SPI itself) and
 * forgotten when this session updates crm.accounts.
 */
extern const CrmPhoneSettings *crm_phone_settings(int64 account_id);

/* ---- clients.c ---- */
/* The right of the current employee to see clients; true with no employee set. */
extern bool crm_can_see_customers(void);

/* ---- linking.c ---- */
/* Text of a column of a trigger tuple, or NULL; and NULL-aware text equality. */
extern char *crm_tuple_text(HeapTuple tuple, TupleDesc desc, const char *name);
extern bool crm_same_text(const char *a, const char *b);

/* ---- invoices.c ---- */
extern void crm_invoices_init(void);
/*
 * Why the system changes an invoice ("auto_cancel", "call_refused", ...):
 * set around an UPDATE of crm.invoices, recorded in the invoice event's
 * detail; NULL for a change by an employee.
 */
extern const char *crm_invoice_event_reason;

/*
 * Appends an invoice event by the current employee at the transaction time,
 * with crm_invoice_event_reason (when set) as "reason" in the detail plus the
 * given pairs.  Caller is connected to SPI and runs as owner.
 */
extern void crm_invoice_event(int64 account_id, int64 invoice_id, const char *kind,
							  const char *from_status, const char *to_status,
							  int npairs, const char **keys, const char **values);
/* Shared by invoices.c and payments.c. */
extern bool crm_invoice_by_scheduler;
extern Datum crm_invoice_col(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull);
extern void crm_invoice_not_found(int64 account_id, int64 invoice_id);
extern Datum crm_invoice_row(int64 account_id, int64 invoice_id);
extern Datum crm_invoice_move(int64 account_id, int64 invoice_id, const char *to,
							  const char *comment);
extern const char *crm_invoice_pending_comment(const char *comment);
extern bool crm_min_timestamp(CrmPlan *plan, TimestampTz *at);
/*
 * Runs a system write of crm.invoices with crm_invoice_event_reason set (and
 * no employee on its events when by_scheduler); restores both afterwards.
 */
extern uint64 crm_invoice_system_exec(CrmPlan *plan, Datum *args, const char *nulls,
									  const char *reason, bool by_scheduler);

/* ---- payments.c ---- */
extern void crm_payments_init(void);

#endif							/* CRM_H */
