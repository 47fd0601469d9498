# shellcheck shell=bash disable=SC2034  # sourced: the scripts that source it use these
# bench/targets.sh — the performance targets of DESIGN.md ("Performance targets"), the one
# place the benchmarks read them from. Sourced by write.sh, read.sh and throughput.sh; change a
# figure here only together with DESIGN.md.
#
# Ratios are taken in one run on one machine. A missed target is printed as OVER TARGET; it
# changes the exit status only under BENCH_STRICT=1 (see bench/README.md).

# Write path (write.sh): cost audited / bare, warm and cold.
TARGET_WRITE_INSERT=2.0         # 100k-row INSERT, one statement
TARGET_WRITE_UPDATE=2.5         # 100k-row UPDATE, one statement
TARGET_WRITE_DELETE=7           # 100k-row DELETE, one statement
TARGET_WRITE_TXN_C1=1.10        # single-row transactions, pgbench, 1 client (bare tps / tps)
TARGET_WRITE_TXN_C4=1.15        # the same at 4 clients
TARGET_WRITE_COLD=1.15          # cold ratio / warm ratio: cold within 15% of warm

# Read path (read.sh): plain / search for the same filter set, events spread over a year.
TARGET_READ_SET_MIN=1           # no filter set below this
TARGET_READ_MEDIAN_1M=5         # median of the per-set ratios at 1M events
TARGET_READ_MEDIAN_10M=20       # ... at 10M events
TARGET_READ_WORST_1M=5          # slowest plain query / slowest search, at 1M
TARGET_READ_WORST_10M=20        # ... at 10M
TARGET_READ_SCALING=1.5         # search time at 10M / at 1M, at most
TARGET_STORAGE=0.5              # bytes per event, auditlog (tables+indexes+summaries) / plain table
TARGET_WORKER_CATCHUP=30        # seconds for the maintenance worker to summarize a fresh 1M import

# Throughput (throughput.sh), events per second from one session.
TARGET_TP_LOG_EVENT=100000      # auditlog.log_event
TARGET_TP_IMPORT_EVENT=100000   # auditlog.import_event
TARGET_TP_SUMMARIZE=300000      # auditlog.summarize()
