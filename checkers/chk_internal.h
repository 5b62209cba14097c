/* checkers/chk_internal.h: state shared by the checker's modules; not a public header.
 *
 * Owns: the interning table (names -> small dense ids), the pair map, the
 * core bookkeeping every rule reads (nodes, (node, group) membership, views,
 * sends, deliveries), the per-event context handed to rule modules, the
 * violation records and the rule-module interface.
 *
 * Flow of one chk_feed(): chk.c resolves the event (interns its names, finds
 * the records it touches) into a `struct chk_cur`, hands it to every rule
 * module's on_event, then updates the bookkeeping. Rule modules therefore see
 * the state as it was just before the event. At chk_finish every module's
 * on_finish runs.
 */
#ifndef CHK_INTERNAL_H
#define CHK_INTERNAL_H

#include <stdarg.h>

#include "chk.h"

#define CHK_NONE    UINT32_MAX
#define CHK_TAB_MAX (1u << 28) /* names per table, entries per map, records per vector */
#define CHK_EVIDENCE_MAX                                                                           \
    CHK_EVIDENCE_REFS_MAX  /* evidence events kept for a rule's first violation */
#define CHK_RENDER_MAX 384 /* bytes of one rendered evidence event */

/* ---- tables (chk_table.c) ---- */

struct chk_chunk;

#define CHK_STR_RECENT 256 /* names interned last, by hash: a deliver finds the msg just sent */

/* Interns strings: each distinct string gets the next id, 0, 1, 2, ...
 * Open addressing, linear probing, load <= 1/2. A small direct-mapped cache
 * of the names interned or found by intern last is checked first (the slots
 * of a big table are a cache miss per lookup). */
struct chk_strtab {
    uint32_t *slots; /* id, or CHK_NONE when empty */
    size_t cap;      /* power of two, or 0 */
    uint32_t n;
    const char **names; /* by id; owned copies in the arena */
    uint32_t *hashes;   /* by id */
    size_t names_cap;
    struct chk_chunk *arena;
    uint32_t recent[CHK_STR_RECENT]; /* id + 1 by hash % CHK_STR_RECENT; 0: none */
    /* the caller's pointer of the last lookup and its id + 1 (0: none): a
     * feeder passes the same node, group and order strings again and again,
     * so a match skips the hash (the content is still compared) */
    const char *last_s;
    uint32_t last_id;
};

/* Returns the id of `s`, inserting it if absent; CHK_NONE when the table is full. */
uint32_t chk_strtab_intern(struct chk_strtab *t, const char *s);
/* Returns the id of `s`, or CHK_NONE when absent. */
uint32_t chk_strtab_find(const struct chk_strtab *t, const char *s);
void chk_strtab_free(struct chk_strtab *t);

/* Maps a pair of ids (a, b) to a 64-bit value. a must not be UINT64_MAX. */
struct chk_map_slot {
    uint64_t a, b, v;
};
struct chk_map {
    struct chk_map_slot *slots; /* stores a + 1; a == 0: empty */
    size_t cap, n;
    unsigned dense_bits; /* 0: hashed; else see chk_map_set_dense */
};

/* Returns the value of (a, b), or NULL when absent. */
/* splitmix64's finaliser of x + golden ratio: a hash of one word (the
 * checkers' hashes are written in chk_table.c alone; checkers/ depends on
 * nothing of the harness, whose generator is sim/common/rng.h). */
uint64_t chk_mix64(uint64_t x);
uint64_t *chk_map_get(const struct chk_map *m, uint64_t a, uint64_t b);
/* Returns the value of (a, b), inserting `init` if absent (*created says which);
 * NULL when the map is full. The pointer is valid until the next insertion. */
uint64_t *chk_map_upsert(struct chk_map *m, uint64_t a, uint64_t b, uint64_t init, bool *created);
void chk_map_free(struct chk_map *m);
/* Places (a, b) at slot (b << bits) + a instead of hashing, for maps whose b is
 * a dense id growing over time and whose a is mostly below 2^bits: the keys of
 * one b sit side by side and consecutive b are neighbours, so a burst of
 * lookups of recent b touches a few cache lines instead of one per key.
 * Rehashes; false (map unchanged) when out of memory. 0 < bits <= 32. */
bool chk_map_set_dense(struct chk_map *m, unsigned bits);

/* Makes room for `need` elements of `size` bytes in *p (capacity *cap). */
bool chk_vec_reserve(void **p, size_t *cap, size_t need, size_t size);

/* ---- core records (chk.c) ---- */

struct chk_node {
    bool started, crashed;
    uint64_t crash_line;
};

/* One view of one group as a node installed it. Records are shared by all
 * nodes that installed the same (group, view) with the same lists. */
struct chk_view {
    uint32_t group, node; /* node: the first node that wrote it */
    int64_t view;
    uint64_t line;               /* that node's view event */
    uint32_t members, n_members; /* offset and count in chk.pool */
    uint32_t clients, n_clients;
};

/* What one node knows of one group. */
struct chk_ng {
    uint32_t node, group;
    uint32_t view;          /* index into chk.views of the latest view it wrote, or CHK_NONE */
    uint64_t view_line;     /* line of that view event */
    uint64_t excluded_line; /* its `excluded` event, 0 if none */
    bool member;            /* it is in the members list of its latest view */
    /* Logs of msg ids in trace order, over all its views: the msgs of the
     * group it delivered (first deliveries) and the msgs it sent to the group.
     * The current view's entries start at dlog_view / slog_view. */
    uint32_t *dlog, *slog;
    size_t n_dlog, dlog_cap, n_slog, slog_cap;
    size_t dlog_view, slog_view;
};

/* One send. The record's index is the msg id. */
struct chk_msg {
    uint32_t sender, group, to, order; /* group or to is CHK_NONE */
    int64_t view;                      /* as written, -1 if absent */
    uint64_t line;
    uint32_t sender_view; /* index into chk.views of the sender's view of group when it sent */
    bool by_member;       /* the sender was a member of group when it sent */
    int64_t dl_view;      /* the latest view a member delivered it in, -1 before one */
    uint32_t dom;         /* its causality domain (chk_domain_of) */
};

/* One event as the rule modules see it: ids resolved, records found. */
struct chk_cur {
    const struct chk_event *e;
    uint32_t node, group, order; /* CHK_NONE when the event has none */
    uint32_t msg;                /* send: the msg id; deliver: the sent msg's id or CHK_NONE */
    struct chk_node *n;          /* the writing node, or NULL */
    struct chk_ng *ng;           /* (node, group), or NULL */
    const struct chk_msg *m;     /* deliver: the send; send: the earlier send of this msg id */
    uint64_t first_delivery;     /* deliver: line of node's earlier delivery of msg, or 0 */
};

/* ---- violations (chk_vio.c) ---- */

struct chk_evidence {
    uint64_t line;
    char text[CHK_RENDER_MAX];
};

struct chk_vio {
    char *message;
    struct chk_evidence ev[CHK_EVIDENCE_MAX];
    size_t n_ev;
    uint64_t found_at; /* events fed when it was found; UINT64_MAX: found by chk_finish */
};

/* ---- rule modules ---- */

struct chk_module {
    enum chk_rule rule;
    void *(*init)(struct chk *c); /* module state, NULL on allocation failure */
    void (*fini)(void *st);
    void (*on_event)(struct chk *c, void *st, const struct chk_cur *cur);
    void (*on_finish)(struct chk *c, void *st);
};

extern const struct chk_module chk_mod_integrity;
extern const struct chk_module chk_mod_fifo;
extern const struct chk_module chk_mod_liveness;
extern const struct chk_module chk_mod_views;
extern const struct chk_module chk_mod_sending_view;
extern const struct chk_module chk_mod_vsync;
extern const struct chk_module chk_mod_fatomic;
extern const struct chk_module chk_mod_causal;
extern const struct chk_module chk_mod_total;
extern const struct chk_module chk_mod_flush;
extern const struct chk_module chk_mod_state;
extern const struct chk_module chk_mod_hier_bind;
extern const struct chk_module chk_mod_hier_once;
extern const struct chk_module chk_mod_hier_order;
extern const struct chk_module chk_mod_hier_liveness;
extern const struct chk_module chk_mod_hier_global;

#define CHK_MODULES_MAX 16

struct chk {
    struct chk_header h;
    char *scenario;
    char *expect;
    struct chk_counts counts;
    uint64_t n_vio[CHK_R_COUNT];
    struct chk_vio first[CHK_R_COUNT];
    uint64_t total_vio;
    double last_t;
    bool finished;
    const char *full; /* why judging stopped (a table limit or no memory), or NULL */
    uint64_t full_line;

    struct chk_strtab nodes, groups, msgs, orders;
    struct chk_strtab doms; /* causality domains; "default" is 0 */
    uint32_t *gdom;         /* by group id: its domain id + 1 (`domain` events), 0: "default" */
    size_t gdom_cap;
    uint32_t order_fifo, order_p2p, order_diffusion;

    struct chk_node *nodev; /* by node id */
    size_t nodev_cap;
    struct chk_ng *ngv;
    size_t n_ng, ngv_cap;
    struct chk_map ng_map; /* (node, group) -> index into ngv */
    struct chk_view *views;
    size_t n_views, views_cap;
    struct chk_map view_map; /* (group, view) -> index into views of its first record */
    uint32_t *pool;          /* member and client node ids of views */
    size_t n_pool, pool_cap;
    struct chk_msg *msgv; /* by msg id */
    size_t msgv_cap;
    struct chk_map delivered; /* (node, msg) -> line of the node's first delivery */
    struct chk_map suspected; /* (node, peer) -> line of node's first `suspect` of peer */

    size_t n_mods;
    const struct chk_module *mods[CHK_MODULES_MAX];
    void *mod_state[CHK_MODULES_MAX];
};

/* Marks the checker unable to go on (table limit or memory); it stops judging. */
void chk_set_full(struct chk *c, const char *why);

/* Required field the event lacks (its JSON key), or NULL when it is well formed. */
const char *chk_event_missing(const struct chk_event *e);
/* The canonical `ev` string of a judged kind; e->ev_name for CHK_EV_OTHER. */
const char *chk_ev_string(const struct chk_event *e);
/* Kind of an `ev` string (CHK_EV_OTHER when unknown). */
enum chk_ev chk_ev_parse(const char *s);

/* Bookkeeping queries for rule modules. */
const char *chk_node_name(const struct chk *c, uint32_t node);
const char *chk_group_name(const struct chk *c, uint32_t group);
const char *chk_msg_name(const struct chk *c, uint32_t msg);
const char *chk_order_name(const struct chk *c, uint32_t order);
/* Whether ng says its node is a member now: it installed a view listing itself
 * and was not excluded since. */
bool chk_ng_member(const struct chk_ng *ng);
struct chk_ng *chk_ng_find(const struct chk *c, uint32_t node, uint32_t group);
/* Whether ng says its node is a client now: the client list of its latest
 * view lists it and it was not excluded since. */
bool chk_ng_client(const struct chk *c, const struct chk_ng *ng);
bool chk_node_live(const struct chk *c, uint32_t node);
/* The view record for (group, view), or NULL. */
const struct chk_view *chk_view_find(const struct chk *c, uint32_t group, int64_t view);
bool chk_view_has(const struct chk *c, const struct chk_view *v, uint32_t node);
bool chk_delivered(const struct chk *c, uint32_t node, uint32_t msg);
/* Whether cur is a `view` event by which its node moves from a view v of the
 * group it is a member of to view v + 1 (it installs both v and v + 1); the
 * msgs it delivered in v are then cur->ng->dlog[dlog_view .. n_dlog). */
bool chk_view_closes(const struct chk *c, const struct chk_cur *cur);
/* The causality domain of a send or a `domain` event: its `domain` field,
 * else its group's (from the `domain` events seen so far), else "default"
 * (0); CHK_NONE when the table is full. */
uint32_t chk_domain_of(struct chk *c, const struct chk_cur *cur);
/* The domain of group g (0, "default", unless a `domain` event named one). */
uint32_t chk_group_domain(const struct chk *c, uint32_t g);

/* Whether a or b wrote a `suspect` event naming the other (the link layer
 * deems a suspected peer faulty for good: fail-stop conversion). */
bool chk_suspected_pair(const struct chk *c, uint32_t a, uint32_t b);
/* Line of node's first delivery of msg, or 0 when it has not delivered it. */
uint64_t chk_delivered_line(const struct chk *c, uint32_t node, uint32_t msg);
/* The view record msg was sent in: the reference record of (group, send's
 * `view`), else the sender's view when it sent; NULL for p2p or when unknown.
 * A msg whose sender was not a member (a client's: its `view` is the view it
 * had cached, and its contact multicasts it in the contact's view) was sent
 * in the view its members deliver it in, once one did; in the latest such
 * view when a contact that failed multicast it to nobody but itself and the
 * client sent it again. */
const struct chk_view *chk_msg_view(const struct chk *c, const struct chk_msg *m);

/* Violations: counts one violation of `r`; when it is the rule's first,
 * formats the message and returns the record to add evidence to, else NULL. */
struct chk_vio *chk_violation(struct chk *c, enum chk_rule r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Evidence: the event being fed, and records of earlier events. v may be NULL (no-op). */
void chk_vio_event(struct chk_vio *v, const struct chk_event *e);
void chk_vio_send(const struct chk *c, struct chk_vio *v, uint32_t msg);
void chk_vio_view(const struct chk *c, struct chk_vio *v, const struct chk_ng *ng);
/* Evidence: node's view event at `line` installing the view record w. */
void chk_vio_view_rec(const struct chk *c, struct chk_vio *v, uint32_t node,
                      const struct chk_view *w, uint64_t line);
void chk_vio_text(struct chk_vio *v, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void chk_vio_free(struct chk_vio *v);
/* Renders e compactly (`deliver node=p3 msg=p1/7 ...`) into buf. */
void chk_render_event(const struct chk_event *e, char *buf, size_t cap);

/* Integrity's judgement of an event written by a node after it crashed
 * (such events are judged by nothing else and change no state). */
void chk_integrity_after_crash(struct chk *c, const struct chk_cur *cur);

/* chk_parse_trace_buf, with every event line through cJSON if `slow_only`
 * (else the writer's compact lines take trace_read.c's fast path): the tests
 * compare the two. *n_fast (if not NULL): the event lines the fast path took. */
bool chk_parse_trace_buf_path(const char *name, const char *buf, size_t len, FILE *err,
                              const struct chk_trace_sink *sink, bool slow_only, uint64_t *n_fast);

#endif
