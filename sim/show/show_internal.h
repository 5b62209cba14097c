/* sim/show/show_internal.h: the trace model shared by the writers of sim/show/show.h;
 * not a public header.
 *
 * Owns: `struct show_model`, one trace in memory: its events in trace order
 * with names interned to dense ids, the incarnations (lanes) and their lives,
 * the messages with their deliveries, the spans derived from the events
 * (flush, view change, state transfer), the network faults as periods, and
 * the checker's first violation with its evidence mapped to event indices.
 *
 * Derived spans, from trace events alone:
 *  - flush: a node's flush_call to its flush_done of the same group;
 *  - view change: from the first trigger of a group's next view (a member's
 *    `suspect` of another member, or a `join`/`leave` fault of the group)
 *    to each member's install of that view;
 *  - state transfer: from a `join` fault of process P to group g to the
 *    `state` event of P's incarnation for g (written after the transfer).
 */
#ifndef SIM_SHOW_INTERNAL_H
#define SIM_SHOW_INTERNAL_H

#include <stdint.h>

#include "chk.h"
#include "show.h"

#define SHOW_NONE       UINT32_MAX
#define SHOW_EVENTS_MAX (1u << 25) /* events of one trace */
#define SHOW_NAMES_MAX  (1u << 24) /* names of one table (nodes, groups, msgs, orders) */
#define SHOW_SPANS_MAX  (1u << 20) /* derived spans, network periods */
#define SHOW_FILE_MAX   ((size_t)1 << 31)

/* Interned names: id -> name, name -> id. */
struct show_tab {
    char **names;
    uint32_t n, names_cap;
    uint32_t *slots; /* id + 1, 0 when empty */
    uint32_t n_slots;
};

struct show_ev {
    double t;
    uint64_t line;
    enum chk_ev ev;
    uint32_t node, group, msg, order; /* ids, or SHOW_NONE */
    uint32_t peer;    /* a suspect's peer, a p2p send's `to`, a deliver's `from`, or SHOW_NONE */
    int64_t view;     /* -1 when absent */
    const char *name; /* CHK_EV_OTHER: its `ev`; fault: its kind */
    const char *text; /* view: members (space separated); fault: a label; other: detail */
    const char *arg;  /* fault: the processes it names (join, leave, isolate, sabotage: one;
                         cut: "src,dst"), comma-separated, or NULL */
};

struct show_msg {
    uint32_t send; /* event index, or SHOW_NONE (delivered but never sent) */
    uint32_t sender, group, to, order;
    int64_t view;
    uint32_t dlv0, n_dlv; /* its deliveries: show_model.dlv[dlv0 .. dlv0 + n_dlv) */
};

struct show_node {
    uint32_t start, crash; /* event indices, or SHOW_NONE */
    double t0, t1;         /* life: its first event (or start) to its crash or the run's end */
};

enum show_span_kind { SHOW_SPAN_FLUSH, SHOW_SPAN_VIEW_CHANGE, SHOW_SPAN_STATE, SHOW_SPAN_KINDS };

struct show_span {
    enum show_span_kind kind;
    uint32_t node, group;
    double t0, t1;
    int64_t view; /* view change: the view installed at t1 */
    bool open;    /* never ended: t1 is the node's end */
};

/* A network fault (partition, isolate, cut) from its fault event to the next
 * heal. A partition involves every process; an isolation or a cut only the
 * processes it names. */
struct show_net {
    double t0, t1;
    bool open;
    const char *label;
    const char *procs; /* comma-separated process names, or NULL: all */
};

struct show_arena;

struct show_model {
    char *scenario;
    uint64_t seed;
    double end_s;
    struct show_ev *ev;
    uint32_t n_ev, ev_cap;
    struct show_tab nodes, groups, msgs, orders;
    struct show_node *nodev; /* by node id */
    struct show_msg *msgv;   /* by msg id */
    uint32_t *dlv;           /* deliver event indices grouped by msg */
    uint32_t n_dlv;
    struct show_span *spans;
    uint32_t n_spans, spans_cap;
    struct show_net *nets;
    uint32_t n_nets, nets_cap;
    struct chk *chk;
    int expect;     /* the rule the header expects to fail (`expect`), or -1 */
    int first_rule; /* the rule whose violation came first in the trace, or -1 */
    int rule;       /* the violation drawn: the expected rule's when it failed, else the first */
    const char *vio_message;
    struct chk_evidence_ref evidence[CHK_EVIDENCE_REFS_MAX];
    uint32_t evidence_ev[CHK_EVIDENCE_REFS_MAX]; /* event index of each, or SHOW_NONE */
    uint32_t n_evidence;
    struct show_arena *arena;
    bool full; /* a limit was reached while loading */
};

/* Loads the trace at path (or held in buf) and judges it. 0, or a SHOW_E_*
 * after a message on err. show_model_free is safe after a failed load. */
int show_model_load(struct show_model *m, const char *path, FILE *err);
int show_model_load_buf(struct show_model *m, const char *name, const char *buf, size_t len,
                        FILE *err);
void show_model_free(struct show_model *m);

/* The id of `s` in t, or SHOW_NONE. */
uint32_t show_tab_find(const struct show_tab *t, const char *s);
/* The id of `s`, added if absent; SHOW_NONE for NULL, or when full (m->full is set). */
uint32_t show_tab_intern(struct show_model *m, struct show_tab *t, const char *s);
/* An owned copy of s (NULL for NULL, or when out of memory), freed with the model. */
const char *show_dup(struct show_model *m, const char *s);
/* Doubles the capacity of *p (elements of `size` bytes); false when out of memory. */
bool show_grow(void **p, uint32_t *cap, size_t size);

/* show_spans.c: a fault event's label (ev->text), kind (ev->name), process
 * (ev->arg) and group (ev->group), from its fields. */
void show_fault_describe(struct show_model *m, const struct chk_event *e, struct show_ev *ev);
/* show_spans.c: derives m->spans and m->nets from the events; false when a
 * limit is reached. */
bool show_spans_build(struct show_model *m);
/* Name of a node ("?" for SHOW_NONE). */
const char *show_node_name(const struct show_model *m, uint32_t node);
/* Whether `node` is named by the comma-separated list (its name, or the
 * process name before '#'). A NULL list names every node. */
bool show_node_listed(const struct show_model *m, uint32_t node, const char *list);
/* Natural order of node names: p2 < p10, p3 < p3#2 < p4. */
int show_node_cmp(const char *a, const char *b);
/* Index of the event at trace line `line`, or SHOW_NONE. */
uint32_t show_event_at_line(const struct show_model *m, uint64_t line);

/* ---- the layout of the SVG picture (show_layout.c) ---- */

#define SHOW_SHORT_EVENTS 200 /* a run this short is drawn whole, violation or not */
#define SHOW_CONTEXT_EVENTS                                                                        \
    8 /* events per lane drawn before and after the evidence of a violation */
#define SHOW_ARROWS_MAX  400    /* arrows drawn at most; more are thinned (evidence never) */
#define SHOW_PLOT_W      1000.0 /* px of the time axis before stretches */
#define SHOW_MIN_GAP     6.0    /* px between two events of one lane */
#define SHOW_STRETCH_MAX 0.25   /* of the axis at most; beyond, the gap shrinks */

/* Where everything goes: the window, the lanes, which messages are drawn and
 * each drawn event's x. x is simulated time, stretched where one lane has
 * two events closer than the minimum gap, so every node's order stays visible
 * (the stretch moves everything after it to the right: x stays monotone in
 * time, and the axis's ticks are placed by the same mapping). */
struct show_layout {
    double from, to;
    uint32_t group;    /* --group's id, or SHOW_NONE */
    uint32_t *lane_of; /* by node: lane index, or SHOW_NONE when not drawn */
    uint32_t *lanes;   /* node id by lane */
    uint32_t n_lanes;
    uint32_t i_lo, i_hi; /* events in the window: [i_lo, i_hi) */
    bool *msg_drawn;     /* by msg */
    bool *msg_evidence;  /* by msg: named by an evidence event */
    uint32_t thin_k;     /* 1: every message; k: about one message in k */
    unsigned arrows, arrows_all;
    double x0, scale, gap; /* x(t) = x0 + (t - from) * scale + stretch before t */
    double *bp_t, *bp_s;   /* stretch breakpoints: from bp_t[i] on, the stretch is bp_s[i] */
    uint32_t n_bp;
    double *xs;    /* by event index - i_lo: x of a positioned event, else NAN */
    double plot_w; /* px from x0 to x(to) */
};

/* Picks the window, the lanes and the drawn messages, and places the events.
 * SHOW_OK, or SHOW_E_USAGE / SHOW_E_LIMIT after a message on err. */
int show_layout_build(struct show_layout *l, const struct show_model *m, const struct show_opts *o,
                      FILE *err);
void show_layout_free(struct show_layout *l);
/* x of simulated time t (left of x0 before the window, right of the plot after it). */
double show_x_of_t(const struct show_layout *l, double t);
/* x of event i: its placed x, else show_x_of_t of its time. */
double show_x_of_ev(const struct show_layout *l, const struct show_model *m, uint32_t i);
/* Whether event i is drawn as a mark on a lane (and so has a place). */
bool show_positioned(const struct show_layout *l, const struct show_model *m, uint32_t i);

/* Event i in a few words ("deliver p1/52 cbcast g1 view 1 from p1") into buf. */
const char *show_ev_describe(const struct show_model *m, uint32_t i, char *buf, size_t cap);

/* Opens an output file for writing; NULL after a message on err. */
FILE *show_out_open(const char *path, FILE *err);
/* Closes it: SHOW_E_OUTPUT after a message when writing failed and rc was
 * SHOW_OK, else rc. */
int show_out_close(FILE *f, const char *path, FILE *err, int rc);

/* Writes text to f with the characters XML reserves escaped. */
void show_xml_text(FILE *f, const char *s);
/* Writes s as a JSON string (quoted, escaped). */
void show_json_str(FILE *f, const char *s);

#endif
