/* checkers/chk.h: the trace checker, one library used online and offline.
 *
 * Owns: the trace format of checkers/TRACE.md (writing one event as a JSON
 * line, reading a JSON Lines file with cJSON, the reader's limits) and the
 * rules every run is held to. It never includes core/ headers: it judges from trace events alone.
 *
 * Online, the simulation builds a `struct chk_event`, writes it with
 * chk_event_write() and feeds it with chk_feed(). Offline, chk_read_trace()
 * parses each line back into a `struct chk_event` and feeds the same
 * function, so both paths reach the same verdict on the same trace.
 */
#ifndef CHK_H
#define CHK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Limits of a trace (TRACE.md, "Limits"); the reader refuses more, and the
 * writer asserts it never writes more. */
#define CHK_LINE_MAX (1u << 20) /* bytes of one line, without its '\n' */
#define CHK_NAME_MAX 255u       /* bytes of a name (node, group, msg, order, ...) */

enum chk_ev {
    CHK_EV_START,
    CHK_EV_CRASH,
    CHK_EV_DOMAIN,
    CHK_EV_VIEW,
    CHK_EV_EXCLUDED,
    CHK_EV_SEND,
    CHK_EV_DELIVER,
    CHK_EV_FLUSH_CALL,
    CHK_EV_FLUSH_DONE,
    CHK_EV_STATE,
    CHK_EV_FAULT,
    /* hierarchical groups (core/include/tools/hier.h; TRACE.md rules 11-15) */
    CHK_EV_HIER_MAP, /* a root member's map: key range LO-HI (key) -> subgroup (to), epoch (view) */
    CHK_EV_HIER_CLIENT,  /* node became a client of the hierarchical group */
    CHK_EV_HIER_BIND,    /* client node is now bound to subgroup `to` */
    CHK_EV_HIER_UNBIND,  /* client node is no longer bound to subgroup `to` */
    CHK_EV_HIER_REQUEST, /* client node issued request msg on key */
    CHK_EV_HIER_APPLY, /* member node of subgroup `to` applied msg of client `from` on key, epoch */
    CHK_EV_HIER_REPLY, /* client node got the answer to msg */
    CHK_EV_HIER_GSEND, /* member node sent full-set multicast msg, kind local|global */
    CHK_EV_HIER_GDELIVER, /* member node of subgroup `to` delivered full-set multicast msg */
    CHK_EV_OTHER,         /* any other `ev` (diagnostics such as "suspect"): kept, not judged */
};

/* Whether `ev` names an event of TRACE.md: a judged kind, or one of the
 * diagnostics the checkers keep without judging ("suspect", "garbled",
 * "dropped", "sometimes", "core"). The reader counts the others and reports
 * them on stderr; the simulator asserts it writes none. */
bool chk_ev_documented(const char *ev);
/* The `ev` string of a kind ("deliver"); NULL for CHK_EV_OTHER, whose events
 * carry their own (chk_event.ev_name). */
const char *chk_ev_name(enum chk_ev ev);

/* One trace event. Strings are borrowed for the duration of the call. Fields
 * an event does not have are NULL / 0. */
struct chk_event {
    enum chk_ev ev;
    const char *ev_name; /* the JSON "ev" string (required for CHK_EV_OTHER) */
    double t;            /* simulated seconds */
    uint64_t lamport;    /* the writer's Lamport clock (pgroup live, pgroup node); 0 when absent */
    uint64_t line;       /* line in the trace file (header is line 1); online: the same count */
    const char *node;
    const char *msg;
    const char *order; /* "fifo", "cbcast", "abcast", "p2p" */
    const char *group;
    const char *to;
    const char *from;
    const char *domain;
    const char *digest;
    const char *kind;   /* fault kind */
    const char *peer;   /* diagnostics */
    const char *detail; /* diagnostics */
    const char *key;    /* hier events: a key, or a key range LO-HI (hier_map) */
    int64_t view;       /* -1 when absent */
    const char *const *members;
    size_t n_members;
    const char *const *clients;
    size_t n_clients;
    const char *extra_json; /* fault: raw `"key":value,...` fields written verbatim, or NULL */
};

/* Line 1 of a trace. */
struct chk_header {
    const char *scenario;
    uint64_t seed;
    double end_s;        /* simulated time at which the run ended */
    double quiet_from_s; /* start of the declared quiet period, or -1 if none */
    const char *expect;  /* name of the rule the scenario expects to fail
                            (`expect violation RULE`), or NULL for `expect pass` */
};

/* The rules. TRACE.md numbers them 1-10; `fifo` is the project's own. */
enum chk_rule {
    CHK_R_INTEGRITY,      /* 1 */
    CHK_R_VIEW_AGREEMENT, /* 2 */
    CHK_R_SENDING_VIEW,   /* 3 */
    CHK_R_VSYNC,          /* 4 */
    CHK_R_FAILURE_ATOMIC, /* 5 */
    CHK_R_CAUSAL,         /* 6 */
    CHK_R_TOTAL,          /* 7 */
    CHK_R_FLUSH,          /* 8 */
    CHK_R_STATE,          /* 9 */
    CHK_R_LIVENESS,       /* 10 */
    CHK_R_FIFO,           /* project rule: per sender, per group, FIFO and gap free */
    CHK_R_HIER_BIND,      /* 11: a client is bound to at most one subgroup */
    CHK_R_HIER_ONCE,      /* 12: a request is applied once, by its key's primary */
    CHK_R_HIER_ORDER,     /* 13: a subgroup's members apply its requests in one order */
    CHK_R_HIER_LIVENESS,  /* 14: after quiet: clients bound to live subgroups, answered */
    CHK_R_HIER_GLOBAL,    /* 15: a globally ordered full-set multicast: one order */
    CHK_R_COUNT,
};

/* Short names used in scenarios (`expect violation NAME`) and reports:
 * "integrity", "view-agreement", "sending-view", "virtual-synchrony",
 * "failure-atomicity", "causal-order", "total-order", "flush",
 * "state-transfer", "liveness", "fifo", "hier-bind", "hier-once", "hier-order",
 * "hier-liveness", "hier-global-order". */
const char *chk_rule_name(enum chk_rule r);
/* TRACE.md's number of the rule, or 0 for project rules. */
int chk_rule_number(enum chk_rule r);
/* Rule by name ("liveness") or number ("10"); -1 if unknown. */
int chk_rule_parse(const char *s);
/* Whether this build judges the rule (rules of later issues may not be implemented yet). */
bool chk_rule_implemented(enum chk_rule r);

struct chk;

struct chk *chk_new(const struct chk_header *h);
void chk_free(struct chk *c);

/* Feeds one event in trace order. Events must have non-decreasing t.
 * Returns the number of new violations it found (0 normally). */
int chk_feed(struct chk *c, const struct chk_event *e);

/* Ends the trace: judges the end-of-run rules (liveness after quiet). */
void chk_finish(struct chk *c);

/* Verdicts. A rule's first violation is kept in full (message and the
 * smallest set of events that shows it); later ones are counted. */
bool chk_rule_failed(const struct chk *c, enum chk_rule r);
uint64_t chk_violations(const struct chk *c, enum chk_rule r);
bool chk_passed(const struct chk *c); /* no rule failed */

/* The verdict, the same online and offline: with no expectation in the header
 * the trace passes when no rule failed; with `expect` it passes when that rule
 * failed. Prints one `verdict: ...` line to `out` and returns whether it passed. */
bool chk_verdict(const struct chk *c, FILE *out);

/* Prints one line per implemented rule (`  PASS integrity` / `  FAIL fifo (3 violations)`),
 * then for each failed rule its first violation in plain words with its
 * evidence events, one per line, each prefixed by its trace line number. */
void chk_report(const struct chk *c, FILE *out);

/* The first violation, for tools that draw it (pgroup show). The rule whose
 * first violation was found earliest in the trace (ties: the lower rule in
 * enum order; a violation found by chk_finish comes after every event), or -1
 * when no rule failed. */
int chk_first_failed(const struct chk *c);
/* A failed rule's first violation in plain words (the sentence chk_report
 * prints), or NULL when the rule did not fail. Valid until chk_free. */
const char *chk_violation_message(const struct chk *c, enum chk_rule r);
/* Its evidence events, sorted by trace line: copies up to `cap` of them into
 * out and returns how many there are (0 when the rule did not fail). The
 * texts are the renderings chk_report prints, valid until chk_free. */
struct chk_evidence_ref {
    uint64_t line; /* line in the trace file (the header is line 1) */
    const char *text;
};
#define CHK_EVIDENCE_REFS_MAX 8 /* a violation keeps at most this many evidence events */
size_t chk_violation_evidence(const struct chk *c, enum chk_rule r, struct chk_evidence_ref *out,
                              size_t cap);
/* One sentence stating the rule (TRACE.md's statement, shortened). */
const char *chk_rule_sentence(enum chk_rule r);

/* Counters for summaries. */
struct chk_counts {
    uint64_t events, sends, deliveries, views, crashes, faults;
};
const struct chk_counts *chk_counts(const struct chk *c);

/* Writing: formats `h` / `e` as one JSON line (with the trailing '\n') into
 * buf. Returns the length, or -1 if cap is too small. Numbers are formatted
 * so that the same event always gives the same bytes. */
int chk_header_write(const struct chk_header *h, char *buf, size_t cap);
int chk_event_write(const struct chk_event *e, char *buf, size_t cap);

/* Reading: parses `path` (JSON Lines) and feeds every event to a new checker
 * built from its header, then calls chk_finish. Malformed lines (including
 * one over a limit: CHK_LINE_MAX, CHK_NAME_MAX, a fault kind or value out of
 * range, an event after the header's `end`) are reported as `PATH:LINE:
 * message` on `err` and make it return NULL, having read at most one line
 * past the last good one: memory stays bounded by CHK_LINE_MAX plus what the
 * checker keeps. Events of undocumented kinds (chk_ev_documented) are kept,
 * not judged, and counted in one note on `err`. */
struct chk *chk_read_trace(const char *path, FILE *err);
/* The same for a trace held in memory (`len` bytes, no NUL needed); `name`
 * stands for PATH in messages. Both go through one line parser. */
struct chk *chk_read_trace_buf(const char *name, const char *buf, size_t len, FILE *err);

/* Lower level, for tools that want the events themselves: parses a trace
 * held in memory, calls on_header once, then on_event for each event in
 * order (strings are valid during the call only). Returns false after
 * reporting `NAME:LINE: message` on err, or when on_header returns false. */
struct chk_trace_sink {
    bool (*on_header)(void *ctx, const struct chk_header *h);
    void (*on_event)(void *ctx, const struct chk_event *e);
    void *ctx;
};
bool chk_parse_trace_buf(const char *name, const char *buf, size_t len, FILE *err,
                         const struct chk_trace_sink *sink);

#endif
