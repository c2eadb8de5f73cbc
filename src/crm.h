/*
 * crm.h
 *	  What every room of the crm extension needs: the kit, the settings, and
 *	  the few concepts that many rooms call.
 *
 * Map of the concepts (each has src/NAME.c and, where it defines SQL, src/NAME.sql;
 * a concept that others call exports through its own header):
 *	crm.c		module magic and _PG_init
 *	guc.c		every crm.* setting
 *	kit/		the shared kit: trigger protocol and rows, SPI, errors,
 *				per-transaction caches, per-backend caches (invalidated when
 *				their tables change, caches.sql), crm's own writes, the
 *				restore signal, what crm runs outside a trigger on a Citus
 *				node (kit/citus.h), crm's own rows written without a
 *				statement (kit/direct_insert.h, kit/direct_update.h)
 *	tenancy.c	current account and employee, account settings, roles,
 *				row-level security of every table (tenancy.h)
 *	identity.c	who is acting: bound logins, crm_service, the owner (identity.h)
 *				identity_reach.c: on a Citus coordinator, the account and employee
 *				of a crm_service member must reach the worker nodes
 *	search_path_guard.c	on a Citus coordinator, no search_path that reaches the
 *				workers names a schema before pg_catalog
 *	actor.c		the employee is the actor: rows that record who acted name the
 *				session's employee; sane times for what a login does (actor.h)
 *	history.c	append-only guard for history and fact tables, lead events (history.h)
 *	numbering.c	number templates ({N}, {N:5}, {YYYY}, {MM}), gapless counters and
 *				the numbers writers give from outside (numbering.h)
 *	leads.c		lead defaults, status transitions, lead events
 *	lead_rules.c	an account's lead types, statuses and transition rules,
 *				kept per backend (lead_rules.h)
 *	lead_managers.c	the manager a lead created without one gets: the first
 *				employee to write to its client, or the client's responsible
 *				manager (lead_managers.h)
 *	phones.c	phone normalisation (phones_shim.cc wraps libphonenumber), derived
 *				E.164 columns (phones.h)
 *	clients.c	clients, client phones, the right to see customers (clients.h)
 *	client_place.c	where a client is and its time there: the country and area
 *				of its first phone, its time zone (client_place.h;
 *				country_zones.c, generated: the countries with one zone)
 *	customers.c	customer data on every path: the policies and the write guard
 *				that hold an employee without the right (customers.h)
 *	kept_columns.c	the columns crm keeps that no INSERT may name: their first
 *				value by a trigger, not a DEFAULT (Citus)
 *	orders.c	orders: numbers (given or made), status, fixed columns, derived phone
 *	linking.c	lead <-> client and order <-> lead matching (linking.h);
 *				order_lead_link.c: the link itself (locks, checks, both writes);
 *				linking_by_hand.c: candidates and links made by hand
 *	references.c	accounts.order_won_status_id, checked instead of a foreign key
 *				(no two tables refer to each other: a dump restores in order)
 *	distribution.c	crm on Citus: crm.distribute() (every table by account,
 *				colocated) and every node's id range
 *	insert_select.c	a crm role's INSERT ... SELECT on the Citus coordinator: sent
 *				to the shards as INSERTs, not as a COPY row security refuses
 *	lead_reports.c	kept-up lead counts behind the funnel and the campaign report
 *	invoices/	offers, invoices, items, invoice events, auto-cancel, actions and
 *				reissues, payments, refunds, autopay's schedule and charges, the
 *				partner report (map in invoices/invoices.h;
 *				other rooms use invoices/public.h)
 *	calls.c		call outcomes and retry rules
 *	call_queue.c	call tasks and the call queue (both in calls.sql)
 *	outbox.c	the outbox: emails queued for delivery and their NOTIFY (outbox.h)
 *	notifications.c	notification rules for lead events: who is told of what, by
 *				email or in-app notice, through the outbox
 *	events.c	the event stream: what becomes an event, crm.events_since
 *				(events.h); events_write.c: a transaction's events numbered
 *				per account in commit order, written, NOTIFY crm_events_<account>;
 *				events_relay.c: those notifications relayed by the Citus
 *				coordinator to its listeners (crm.relay_events)
 *	templates.c	message templates: the check and the rendering (templates.h;
 *				templates_core.c: the table of variables and the parser;
 *				template_cache.c: an account's templates kept per backend)
 *	chats.c		conversations, messages, responsible manager
 *	appointments.c	appointments: their moves, the undo of a mis-click, history
 *	inbound.c	first contact: crm.receive_message finds or makes the client,
 *				its conversation and, by the account's mode, a lead
 *	alerts.c	failed-payment alert routing
 *	due.c		the registry of due handlers, crm.run_due and crm.next_due (due.h)
 *	due_failures.c	due items set aside in crm.due_failures (due.h)
 *	lead_deadlines.c	the lead deadline handler (overdue leads)
 *	worker.c	the background workers' launcher, its slots, and the trigger
 *				that wakes it (worker.h); worker_run.c: what one run of a
 *				database worker does (batches of due work, the relay)
 *	values.c	the values crm stores: business times, amounts, forward
 *				intervals (values.h; the <table>_values triggers in value_checks.sql)
 *	vocabularies.c	the vocabularies of columns (statuses' kinds, call outcomes, ...)
 *				read from their CHECK constraints, as lookup views for PostGraphile
 *	drop_guard.c	DROP EXTENSION keeps the data: the event trigger that refuses
 *				to drop crm while its tables hold rows (drop_guard.h)
 *	import/		the import from another CRM: staging tables, crm.import_run,
 *				its checks and its report of rejected rows (map in
 *				import/import.h)
 */
#ifndef CRM_H
#define CRM_H

#include "postgres.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "kit/backend_cache.h"
#include "kit/citus.h"
#include "kit/errors.h"
#include "kit/spi.h"
#include "kit/system_write.h"
#include "kit/trigger.h"
#include "kit/xact_cache.h"

/*
 * What other rooms call of tenancy, history, numbering and clients, and the
 * due-handler registry (due.h) and template rendering (templates.h); each
 * concept's header declares its own.
 */
#include "clients.h"
#include "due.h"
#include "history.h"
#include "numbering.h"
#include "templates.h"
#include "tenancy.h"

/* ---- guc.c ---- */
extern void crm_guc_init(void);

/* ---- invoices/ ---- */
/* Each registers its due handler: auto-cancel, then autopay charges. */
extern void crm_invoices_init(void);
extern void crm_autopay_init(void);

/* insert_select.c: a crm role's INSERT ... SELECT on the Citus coordinator, as INSERTs on the shards. */
extern void crm_insert_select_init(void);

#endif							/* CRM_H */
