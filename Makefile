# Makefile — builds and tests the auditlog extension with PGXS.
EXTENSION = auditlog
MODULE_big = auditlog
OBJS = \
	src/auditlog.o \
	src/outcome.o \
	src/labels.o \
	src/event.o \
	src/registry.o \
	src/trigger.o \
	src/summary.o \
	src/search.o \
	src/display.o

DATA = sql/auditlog--0.1.0.sql
HEADERS =

# pg_regress: inputs in sql/, expected outputs in expected/.
REGRESS = outcome log_event search display register trigger
REGRESS_OPTS = --load-extension=auditlog

# isolation tests (pg_isolation_regress, run by installcheck after REGRESS):
# specs in specs/, expected outputs in expected/, results in output_iso/.
ISOLATION = summary_late_commit
ISOLATION_OPTS = --load-extension=auditlog

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The extra warnings CI insists on (make WERROR=1).
ifdef WERROR
override CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
endif
