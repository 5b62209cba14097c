/* sim/show/show.h: `pgroup show`: pictures and exports of one trace.
 *
 * Owns: drawing a trace (checkers/TRACE.md) as a self-contained space-time
 * SVG (one lane per process incarnation, messages as arrows coloured by
 * order, views, flush, view-change and state-transfer spans, crashes,
 * partitions, and the checker's evidence of the first violation in red), and
 * exporting it as a ShiViz log (Fidge/Mattern vector clocks) and as Chrome
 * Trace Event JSON for Perfetto UI or chrome://tracing.
 *
 * It reads traces with the checker's reader and judges them with the
 * checker's rules (checkers/chk.h), so the violation it draws is the one
 * `pgroup check` reports. Plain C, no SimGrid: another module (explore,
 * shrink, run --svg) calls these functions on a trace file it wrote.
 *
 * Errors: every function returns 0 on success, or SHOW_E_* after printing
 * one message (`PATH:LINE: ...` for a malformed trace) on `err`.
 */
#ifndef SIM_SHOW_H
#define SIM_SHOW_H

#include <stdbool.h>
#include <stdio.h>

enum show_err {
    SHOW_OK = 0,
    SHOW_E_TRACE = 2, /* the trace cannot be read or is malformed */
    SHOW_E_OUTPUT,    /* the output file cannot be written */
    SHOW_E_LIMIT,     /* the trace exceeds a limit of the module (events, names, clock entries) */
    SHOW_E_USAGE,     /* bad options (an unknown --group or node, an empty window) */
};

/* A window of the SVG picture. Negative from_s / to_s: not given. With
 * neither given, the window is picked: the whole run when it is short, else
 * the events around the violation drawn (the one the trace's header expects,
 * when it happened, else the first in the trace), else the whole run. */
struct show_opts {
    double from_s, to_s;
    const char *nodes; /* comma-separated node or process names (p3 names p3 and p3#2), or NULL */
    const char *group; /* only this group's messages, views and spans, or NULL */
};

/* The default options: no window, every node, every group. */
struct show_opts show_opts_default(void);

/* Writes the space-time diagram of the trace at trace_path to svg_path.
 * `err` may be NULL (no messages). Prints nothing else. */
int show_svg_file(const char *trace_path, const char *svg_path, const struct show_opts *o,
                  FILE *err);

/* What show_svg_file drew, for a one-line summary. */
struct show_svg_info {
    double from_s, to_s;
    unsigned lanes, arrows, arrows_in_window; /* arrows drawn / arrows the window holds */
    int rule; /* the violation drawn (chk_rule: the expected one, else the first), or -1 */
    bool evidence_in_window; /* every evidence event is in the window */
};
/* The same, filling *info (may be NULL). */
int show_svg_file_info(const char *trace_path, const char *svg_path, const struct show_opts *o,
                       FILE *err, struct show_svg_info *info);

/* Writes a ShiViz log of the whole trace: line 1 the parsing regex
 * (SHOW_SHIVIZ_REGEX), line 2 the multiple-executions delimiter (empty: one
 * execution), then one line per event that names a node:
 *   HOST {"HOST":N,...} LINE TIME EVENT TEXT
 * with the event's Fidge/Mattern vector clock: its own entry counts the
 * node's events (1, 2, ...); a delivery first merges the clock of the send. */
#define SHOW_SHIVIZ_REGEX                                                                          \
    "(?<host>[^ ]+) (?<clock>\\{[^}]*\\}) (?<line>[0-9]+) (?<time>[^ ]+) (?<event>.*)"
int show_shiviz_file(const char *trace_path, const char *out_path, FILE *err);

/* Writes Chrome Trace Event JSON: one thread track per process incarnation
 * (pid 1, tid = the incarnation's number), sends and deliveries as slices
 * joined by flow events (bind_id, flow_out / flow_in), flush, view change and
 * state transfer as slices, view installs and crashes as instant events, the
 * harness's faults as global instant events. */
int show_perfetto_file(const char *trace_path, const char *out_path, FILE *err);

#endif
