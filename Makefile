# crm — PGXS build.  `make && make install`, then `scripts/test.sh` runs every suite.

EXTENSION  = crm
EXTVERSION = 0.2.0
MODULE_big = crm
ifneq ($(EXTVERSION),$(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(dir $(lastword $(MAKEFILE_LIST)))crm.control))
$(error EXTVERSION $(EXTVERSION) is not default_version of crm.control)
endif

# One C file per concept; see src/crm.h for the map.
OBJS = \
	src/crm.o \
	src/guc.o \
	src/kit/backend_cache.o \
	src/kit/by_key.o \
	src/kit/citus.o \
	src/kit/delegate.o \
	src/kit/direct_insert.o \
	src/kit/direct_update.o \
	src/kit/errors.o \
	src/kit/locks.o \
	src/kit/relcache.o \
	src/kit/restore.o \
	src/kit/spi.o \
	src/kit/system_write.o \
	src/kit/trigger.o \
	src/kit/xact_cache.o \
	src/tenancy.o \
	src/identity.o \
	src/identity_reach.o \
	src/search_path_guard.o \
	src/actor.o \
	src/history.o \
	src/numbering.o \
	src/leads.o \
	src/lead_rules.o \
	src/lead_managers.o \
	src/phones.o \
	src/phones_shim.o \
	src/client_place.o \
	src/country_zones.o \
	src/clients.o \
	src/customers.o \
	src/kept_columns.o \
	src/orders.o \
	src/linking.o \
	src/linking_by_hand.o \
	src/order_lead_link.o \
	src/references.o \
	src/distribution.o \
	src/insert_select.o \
	src/lead_reports.o \
	src/invoices/invoices.o \
	src/invoices/events.o \
	src/invoices/items.o \
	src/invoices/auto_cancel.o \
	src/invoices/actions.o \
	src/invoices/partner_report.o \
	src/invoices/payments.o \
	src/invoices/autopay.o \
	src/outbox.o \
	src/outbox_delivery.o \
	src/notifications.o \
	src/events.o \
	src/events_write.o \
	src/events_relay.o \
	src/calls.o \
	src/call_queue.o \
	src/template_cache.o \
	src/templates.o \
	src/templates_core.o \
	src/chats.o \
	src/appointments.o \
	src/inbound.o \
	src/alerts.o \
	src/due.o \
	src/due_failures.o \
	src/lead_deadlines.o \
	src/worker.o \
	src/worker_run.o \
	src/values.o \
	src/vocabularies.o \
	src/drop_guard.o \
	src/import/run.o \
	src/import/rows.o \
	src/import/checks.o \
	src/import/names.o \
	src/import/clients.o \
	src/import/leads.o \
	src/import/orders.o \
	src/import/invoices.o \
	src/import/payments.o

# The SQL comes in three kinds, each concept's in its own file:
#  SQL_FIRST   re-runnable: the roles and the functions the tables' defaults and CHECKs call;
#  SQL_SCHEMA  install-once (src/schema/): tables, indexes, constraints; an installed
#              database changes them only through an update script's hand-written part;
#  SQL_CODE    re-runnable: functions, triggers, views, policies, grants, comments.
# An install runs FIRST + SCHEMA + CODE.  An update from a released version runs FIRST,
# then the hand-written src/upgrades/FROM--TO.sql (the schema changes), then CODE again;
# so a change to code needs no hand-written update.  Released install scripts are frozen
# in releases/ and never rebuilt.
SQL_FIRST = \
	src/setup.sql \
	src/values.sql

SQL_SCHEMA = \
	src/schema/tenancy.sql \
	src/schema/identity.sql \
	src/schema/locks.sql \
	src/schema/numbering.sql \
	src/schema/clients.sql \
	src/schema/leads.sql \
	src/schema/orders.sql \
	src/schema/lead_reports.sql \
	src/schema/outbox.sql \
	src/schema/notifications.sql \
	src/schema/templates.sql \
	src/schema/invoices/invoices.sql \
	src/schema/invoices/payments.sql \
	src/schema/calls.sql \
	src/schema/chats.sql \
	src/schema/alerts.sql \
	src/schema/due.sql \
	src/schema/events.sql \
	src/schema/import.sql

SQL_CODE = \
	src/caches.sql \
	src/tenancy.sql \
	src/identity.sql \
	src/locks.sql \
	src/history.sql \
	src/numbering.sql \
	src/clients.sql \
	src/leads.sql \
	src/phones.sql \
	src/client_place.sql \
	src/orders.sql \
	src/linking.sql \
	src/references.sql \
	src/lead_reports.sql \
	src/outbox.sql \
	src/notifications.sql \
	src/templates.sql \
	src/invoices/invoices.sql \
	src/invoices/payments.sql \
	src/calls.sql \
	src/chats.sql \
	src/appointments.sql \
	src/alerts.sql \
	src/customers.sql \
	src/kept_columns.sql \
	src/due.sql \
	src/worker.sql \
	src/events.sql \
	src/drop_guard.sql \
	src/import.sql \
	src/distribution.sql \
	src/vocabularies.sql \
	src/relations.sql \
	src/value_checks.sql \
	src/finish.sql

SQL_PARTS = $(SQL_FIRST) $(SQL_SCHEMA) $(SQL_CODE)

# The released versions (frozen install scripts) and the update path between them.
RELEASED = 0.1.0
UPDATES  = crm--0.1.0--$(EXTVERSION).sql

DATA_built = crm--$(EXTVERSION).sql $(UPDATES)
DATA       = $(foreach v,$(RELEASED),releases/crm--$(v).sql)

# libgeocoding (libphonenumber's offline geocoder) takes an ICU locale.
SHLIB_LINK += -lgeocoding -lphonenumber -licuuc -lstdc++
PG_CPPFLAGS += -I$(srcdir)/src -DCRM_VERSION='"$(EXTVERSION)"'
PG_CXXFLAGS += -std=c++17

# Tests: every file on disk runs.  pg_regress: test/sql/*.sql against test/expected/;
# isolation: test/isolation/specs/*.spec against test/isolation/expected/.
REGRESS      = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --outputdir=test/output_regress --load-extension=crm
ISOLATION      = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/output_isolation --load-extension=crm

EXTRA_CLEAN = test/output_regress test/output_isolation

# No LLVM bitcode: the C++ shim has no .bc rule, and JIT inlining of crm buys nothing.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

crm--$(EXTVERSION).sql: $(SQL_PARTS) Makefile
	( echo '-- crm $(EXTVERSION): generated from src/**/*.sql by the Makefile; edit those files.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION crm" to load this file. \quit'; \
	  for f in $(SQL_PARTS); do echo; echo "-- ==== $$f"; cat $$f; done ) > $@

# crm--FROM--$(EXTVERSION).sql: the first code, the hand-written schema changes, the code.
crm--%--$(EXTVERSION).sql: src/upgrades/crm--%--$(EXTVERSION).sql $(SQL_FIRST) $(SQL_CODE) Makefile
	( echo '-- crm $* -> $(EXTVERSION): generated by the Makefile from src/upgrades/$@ and the code.'; \
	  printf '%s\n' '\echo Use "ALTER EXTENSION crm UPDATE" to load this file. \quit'; \
	  for f in $(SQL_FIRST) $< $(SQL_CODE); do echo; echo "-- ==== $$f"; cat $$f; done ) > $@

# Each kind of suite on its own, for scripts/test.sh.
installcheck-regress-only:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

installcheck-isolation-only:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)

.PHONY: installcheck-regress-only installcheck-isolation-only

# The benchmark: crm against a bare schema and against PL/pgSQL, in its own
# throwaway cluster.  `make bench BENCH_ARGS="--scale '0.01 0.1' --seconds 30"`;
# see "The benchmark" in README.md.
BENCH_ARGS ?=
bench:
	PG_CONFIG="$(PG_CONFIG)" test/bench/run.sh $(BENCH_ARGS)

.PHONY: bench
