# Makefile — builds and tests the auditlog extension with PGXS.
EXTENSION = auditlog
MODULE_big = auditlog
OBJS = \
	src/auditlog.o \
	src/catalog.o \
	src/owner.o \
	src/spi_util.o \
	src/validate.o \
	src/outcome.o \
	src/labels.o \
	src/event_form.o \
	src/partition.o \
	src/event_store.o \
	src/event_queue.o \
	src/event_api.o \
	src/writer_client.o \
	src/writer.o \
	src/guard.o \
	src/table_info.o \
	src/row_json.o \
	src/registry.o \
	src/registry_checks.o \
	src/ddl.o \
	src/ddl_guard.o \
	src/ddl_watch.o \
	src/audit_state.o \
	src/restore.o \
	src/trigger.o \
	src/search_filters.o \
	src/summary.o \
	src/summary_count.o \
	src/day_counts.o \
	src/horizon.o \
	src/sha256.o \
	src/seal_format.o \
	src/seal.o \
	src/verify_read.o \
	src/verify.o \
	src/purge.o \
	src/retention.o \
	src/drop_guard.o \
	src/worker.o \
	src/maintenance.o \
	src/search.o \
	src/display.o \
	src/tenant.o \
	src/options.o \
	src/export_format.o \
	src/export.o

DATA = sql/auditlog--0.1.0.sql sql/auditlog--0.2.0.sql sql/auditlog--0.1.0--0.2.0.sql

# pg_regress: inputs in test/sql, expected outputs in test/expected,
# results in test/results.
REGRESS = outcome log_event search display register trigger settings
REGRESS_OPTS = --inputdir=test --outputdir=test --load-extension=auditlog

# isolation tests (pg_isolation_regress, run by installcheck after REGRESS):
# specs in test/specs, expected outputs in test/expected, results in
# test/output_iso.
ISOLATION = restore_live_log summary_late_commit summarize_concurrent label_first_use autonomous seal_late_commit export_feed create_partitions registered_as purge_hold
ISOLATION_OPTS = --inputdir=test --outputdir=test/output_iso --load-extension=auditlog

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# src/sha256.c calls OpenSSL itself when PostgreSQL was built with it.
ifneq ($(filter openssl,$(with_ssl))$(filter yes,$(with_openssl)),)
SHLIB_LINK += -lcrypto
endif

# The extra warnings CI insists on (make WERROR=1).
ifdef WERROR
override CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
endif

# pgTAP files (test/tap/*.sql), run by pg_prove against the server of the
# PG* environment variables, in a database of their own with both
# extensions: make taptest (PGTAP_TESTS=test/tap/x.sql for a subset).
PGTAP_TESTS ?= $(sort $(wildcard test/tap/*.sql))
PGTAP_DB ?= auditlog_tap
.PHONY: taptest
taptest:
	psql -qX -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS $(PGTAP_DB)' -c 'CREATE DATABASE $(PGTAP_DB)' >/dev/null
	psql -qX -v ON_ERROR_STOP=1 -d $(PGTAP_DB) -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION auditlog' >/dev/null
	pg_prove -d $(PGTAP_DB) --failures $(PGTAP_TESTS)

EXTRA_CLEAN = test/results test/regression.diffs test/regression.out test/output_iso
