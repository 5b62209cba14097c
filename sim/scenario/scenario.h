/* sim/scenario/scenario.h: the scenario file format, parsed into one plain struct.
 *
 * Owns: the parser of scenarios/NAME.scn (documented keyword by keyword in
 * scenarios/README.md) and the resolved scenario it produces. Knows nothing of
 * SimGrid or of core/: the driver (sim/driver.c) turns a `struct scn` into a
 * simulation.
 *
 * Errors: scn_parse() reports the first error as `FILE:LINE:COL: message` and
 * returns 2, having allocated nothing that the caller must free.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scn_settings.h"

/* Limits. A scenario over any of them is an error at the offending token.
 * SCN_MAX_MEMBERS is the process-group layer's PG_MAX_MEMBERS_CAP (core/include/group/pg.h),
 * and holds for link-level groups too: a link-level group of n members sends
 * n(n-1) heartbeats per period, and 257 members took 18 s of wall time to
 * simulate 2 s of one sender at 10/s. */
#define SCN_NAME_MAX    48   /* bytes of a process, group, host name (with NUL) */
#define SCN_PATH_MAX    512  /* bytes of a platform path */
#define SCN_MAX_PROCS   8192 /* processes */
#define SCN_MAX_GROUPS  4096 /* groups */
#define SCN_MAX_MEMBERS 256  /* members of one group, either kind (see above) */
#define SCN_MAX_CLIENTS                                                                            \
    1024 /* clients of one group: PG_MAX_CLIENTS_CAP of core/include/group/pg.h */
#define SCN_MAX_WORKLOADS 4096        /* send lines */
#define SCN_MAX_FAULTS    4096        /* timeline events */
#define SCN_MAX_BLOCKS    64          /* blocks of one partition */
#define SCN_LINE_MAX      4096        /* bytes of one line */
#define SCN_PLATFORM_MAX  (16u << 20) /* bytes of a platform file */
/* What SimGrid 3.32 can simulate, with a wide margin (it aborts with "The Impossible
 * Did Happen" from a 50000 s latency, or a 4 bps bandwidth): the built-in cluster's
 * range, and what sim/driver/platform.h checks in a platform file. */
#define SCN_MAX_LATENCY_NS 1000000000000ll /* 1000 s */
#define SCN_MIN_BANDWIDTH  125.0           /* bytes per second (1kbps) */

#define SCN_MAX_DOMAINS 4096       /* causality domains, "default" included */
#define SCN_MAX_RELAYS  4096       /* relay lines */
#define SCN_MAX_HOPS    64         /* hops of one relay chain */
#define SCN_NO_GROUP    UINT32_MAX /* a p2p workload's group */
#define SCN_MAX_BOUNDS  16         /* `bound` lines */

/* Message orderings a workload may ask for. Only FIFO exists in the link-level
 * harness; the group layer adds the others. */
enum scn_order {
    SCN_ORDER_FIFO = 0,
    SCN_ORDER_CBCAST = 1,
    SCN_ORDER_ABCAST = 2,
    SCN_ORDER_P2P = 3,       /* point-to-point cbcast (`send P to Q`) */
    SCN_ORDER_DIFFUSION = 4, /* pg_diffuse: from a member to every member and client */
};
#define SCN_ORDER_N 5
const char *scn_order_name(enum scn_order o);

enum scn_fault_kind {
    SCN_F_CRASH,     /* proc stops for good */
    SCN_F_RESTART,   /* proc comes back as a new incarnation (p3#2, p3#3, ...) */
    SCN_F_PARTITION, /* blocks: traffic between two different blocks is dropped;
                        procs listed in no block keep talking to everyone (a bridge) */
    SCN_F_CUT,       /* a directed drop: `to` drops traffic from `from` (both if bidir) */
    SCN_F_ISOLATE,   /* proc drops all traffic to and from everyone */
    SCN_F_HEAL,      /* clears every partition, cut and isolation */
    SCN_F_LOSS,      /* sets the loss probability of every link (0 clears) */
    SCN_F_DUPLICATE, /* sets the duplication probability of every link */
    SCN_F_DELAY,     /* sets the extra delay and jitter of every link */
    SCN_F_GARBLE,    /* sets the probability that a datagram has one byte corrupted in flight */
    SCN_F_SABOTAGE,  /* test-only: corrupt the delivery stream at one proc (see below) */
    SCN_F_JOIN,      /* proc's live incarnation asks to join group (process groups only) */
    SCN_F_LEAVE,     /* proc's live incarnation leaves group (process groups only) */
    SCN_F_FLUSH,     /* proc's live incarnation calls pg_flush on group (process groups only) */
    SCN_F_HIER_MOVE, /* the root moves key range `from` of the hierarchical group to subgroup
                        `to` (a group index) */
    SCN_F_HIER_REBALANCE, /* the root moves clients from the most to the least loaded subgroups */
};

enum scn_sabotage {
    SCN_SAB_DROP,         /* skip the proc's next delivery */
    SCN_SAB_DUPLICATE,    /* hand the proc's next delivery to the application twice */
    SCN_SAB_REORDER,      /* swap the proc's next two deliveries */
    SCN_SAB_MISATTRIBUTE, /* report the next delivery as coming from another sender */
    SCN_SAB_LATE,         /* hold the next delivery until the proc installs its next view */
    SCN_SAB_FORGE_VIEW,   /* report the proc's next installed view without its last member */
    SCN_SAB_SWAP_ABCAST,  /* swap the proc's next two consecutive abcast deliveries from
                             different senders */
    SCN_SAB_EARLY_FLUSH,  /* report the proc's next pg_flush as done at once, without waiting */
    SCN_SAB_BAD_STATE,    /* flip one bit of the next state the proc receives by transfer */
    /* hierarchical groups (sim/app_hier.c) */
    SCN_SAB_DOUBLE_BIND, /* the client reports a binding to a second subgroup, unbound from none */
    SCN_SAB_APPLY_TWICE, /* the member reports its next applied request twice */
    SCN_SAB_SWAP_APPLY,  /* the member reports its next two applied requests swapped */
    SCN_SAB_DROP_REPLY,  /* the client ignores the next answer to one of its requests */
    SCN_SAB_SWAP_GLOBAL, /* the member reports its next two global full-set multicasts swapped */
};

/* Edit distance between two words, for "did you mean"; words longer than 31
 * bytes are far (99) from everything. */
unsigned scn_edit_distance(const char *a, const char *b);

/* The keyword of a sabotage kind ("drop", ..., "forge-view"). */
const char *scn_sabotage_name(enum scn_sabotage k);

struct scn_fault {
    int64_t at_ns;
    enum scn_fault_kind kind;
    uint32_t proc;       /* crash, restart, isolate, sabotage, join, leave: index into procs */
    uint32_t group;      /* join, leave: index into groups */
    uint32_t from, to;   /* cut */
    bool bidir;          /* cut */
    uint32_t n_blocks;   /* partition */
    uint32_t *block_len; /* partition: n_blocks lengths */
    uint32_t **blocks;   /* partition: proc indices */
    double prob;         /* loss, duplicate: 0..1 */
    int64_t delay_ns;    /* delay */
    int64_t jitter_ns;   /* delay: uniform extra 0..jitter (reorders) */
    enum scn_sabotage sabotage;
    uint32_t line; /* line in the scenario file, for messages */
};

struct scn_group {
    char name[SCN_NAME_MAX];
    uint32_t line, col; /* of the name in `group NAME ...`, for messages */
    bool pg;            /* runs the process-group layer: some non-fifo traffic, clients, a
                           relay, a domain, a join, leave or flush (else the link layer) */
    uint32_t n_members;
    uint32_t *members; /* proc indices, in rank order */
    uint32_t domain;   /* causality domain: index into scn.domains (0 = "default") */
    uint32_t n_clients;
    uint32_t *clients;    /* proc indices (`clients` part of `group`), or NULL */
    bool clients_in_view; /* `clients-in-view`: listed in view 1 (pg_create_with_clients) */
};

/* `send` lines: every proc in `senders` multicasts to `group` from start to
 * stop, or (order p2p) sends point-to-point to `to`. */
struct scn_workload {
    uint32_t n_senders;
    uint32_t *senders; /* proc indices */
    uint32_t group;    /* index into groups; SCN_NO_GROUP for p2p */
    uint32_t to;       /* p2p: proc index of the receiver */
    uint32_t domain;   /* p2p: the senders' default causality domain (index into domains) */
    enum scn_order order;
    double rate_per_s;   /* messages per second per sender, evenly spaced */
    uint32_t size_bytes; /* payload size */
    int64_t start_ns, stop_ns;
    uint32_t line;
};

/* `relay` lines: when `proc` delivers a message of `from` (a group, or any p2p
 * message), it sends one message to `to` (a group, or a process: p2p), if the
 * delivered message is fewer than `hops` relays from its origin. */
struct scn_relay {
    uint32_t proc;
    uint32_t from; /* index into groups, or SCN_NO_GROUP: p2p deliveries */
    uint32_t to;   /* index into groups, or (to_proc) into procs */
    bool to_proc;
    enum scn_order order; /* cbcast or abcast to a group; p2p to a process */
    uint32_t size_bytes;
    uint32_t hops;
    uint32_t line;
};

enum scn_expect { SCN_EXPECT_PASS, SCN_EXPECT_VIOLATION };

/* `bound KEY N`: a counter of the run summary that must not exceed N (a cost
 * regression test: a protocol change that floods the network fails it). */
enum scn_bound_key {
    SCN_BOUND_DATAGRAMS,         /* every datagram put on the network */
    SCN_BOUND_LINK_RETAINED_MAX, /* most messages a node's link layer held unacked */
    SCN_BOUND_PG_RETAINED_MAX,   /* most messages a node's group layer retained */
    SCN_BOUND_FORWARDED,         /* copies forwarded in flushes */
    SCN_BOUND_CONTROL,           /* pg control messages */
    SCN_BOUND_N
};
extern const char *const scn_bound_names[SCN_BOUND_N];

struct scn_bound {
    enum scn_bound_key key;
    uint64_t max;
    uint32_t line;
};

/* A hierarchical group (paper section 2.3; core/include/tools/hier.h), at most one per
 * scenario: `hier`, `hier-clients`, `hier-requests`, `hier-mcast` lines. */
#define SCN_MAX_HIER_SUB   64 /* subgroups (HIER_MAX_SUB) */
#define SCN_MAX_HIER_DIR   16 /* members of the root and of each subgroup (HIER_MAX_DIR) */
#define SCN_MAX_HIER_MCAST 16 /* hier-mcast lines */
struct scn_hier_mcast {
    uint32_t n_senders;
    uint32_t *senders; /* proc indices, subgroup members */
    bool global;       /* order global (else local) */
    double rate_per_s;
    int64_t start_ns, stop_ns;
    uint32_t line;
};
struct scn_hier {
    bool on;
    char name[SCN_NAME_MAX];
    uint32_t line;
    uint32_t root; /* group index */
    uint32_t n_sub;
    uint32_t *subs;            /* group indices */
    uint32_t n_keys, n_ranges; /* default 64, 8 */
    bool hash_policy;          /* `policy hash` (default least-loaded) */
    uint32_t n_clients;
    uint32_t *clients;  /* proc indices */
    int64_t stagger_ns; /* client k starts at k * stagger / n_clients */
    bool requests;      /* a `hier-requests` line */
    double req_rate_per_s;
    int64_t req_start_ns, req_stop_ns;
    uint32_t n_mcast;
    struct scn_hier_mcast mcast[SCN_MAX_HIER_MCAST];
};

struct scn_proc {
    char name[SCN_NAME_MAX];
    char host[SCN_NAME_MAX];        /* "" = placed round-robin on the platform's hosts */
    uint32_t place_line, place_col; /* of HOST in `place P HOST` (0: not placed) */
};

struct scn {
    char file[SCN_PATH_MAX]; /* path as given to scn_parse */
    char name[SCN_NAME_MAX]; /* `name`, default: file's basename without .scn */
    uint64_t seed;           /* `seed`, default 1; --seed overrides */

    /* `platform cluster [latency T] [bandwidth B]` (default) or `platform file PATH` */
    char platform_file[SCN_PATH_MAX];     /* "" = built-in cluster; else resolved
                                             relative to the scenario's directory */
    uint32_t platform_line, platform_col; /* of PATH in `platform file PATH` */
    int64_t cluster_latency_ns;           /* default 50us */
    double cluster_bandwidth_Bps;         /* bytes/s, default 125e6 (1Gbps) */

    /* `set KEY VALUE`: link and group parameters (struct phys_config, struct
     * pg_config); keys, defaults and ranges in scn_settings.h */
    int64_t heartbeat_period_ns;
    int64_t suspect_timeout_ns;
    int64_t rto_initial_ns;
    int64_t rto_max_ns;
    int64_t ack_delay_ns;
    uint32_t window;
    bool abcast_token_fixed; /* the token stays with the coordinator (else it follows the
                                senders: see abcast() in core/include/group/pg.h) */
    bool vt_compress;        /* struct pg_config.vt_compress */

    int64_t run_ns;   /* `run T`: simulated duration (required) */
    int64_t quiet_ns; /* `quiet T`: the last T of the run has no faults and no sends; 0 = none */

    enum scn_expect expect; /* `expect pass` (default) | `expect violation RULE` */
    char expect_rule[SCN_NAME_MAX];
    uint32_t n_bounds;
    struct scn_bound bounds[SCN_MAX_BOUNDS];

    uint32_t n_procs;
    struct scn_proc *procs;
    uint32_t n_groups;
    struct scn_group *groups;
    uint32_t n_workloads;
    struct scn_workload *workloads;
    uint32_t n_faults; /* sorted by at_ns, stable in file order */
    struct scn_fault *faults;
    uint32_t n_domains;            /* >= 1: domains[0] is "default" */
    char (*domains)[SCN_NAME_MAX]; /* `domain NAME GROUPS...` */
    uint32_t n_relays;
    struct scn_relay *relays;
    struct scn_hier hier;
};

/* Parses `path`. On success fills *out and returns 0. On error prints
 * `FILE:LINE:COL: message` to `err` and returns 2 (*out left empty). */
int scn_parse(const char *path, struct scn *out, FILE *err);

/* Parses an in-memory text; `path` is used for messages and for resolving a
 * relative platform file. Same contract as scn_parse. */
int scn_parse_text(const char *path, const char *text, size_t len, struct scn *out, FILE *err);

void scn_free(struct scn *s);

/* Index of the proc or group named `name`, or -1. */
int scn_find_proc(const struct scn *s, const char *name);
int scn_find_group(const struct scn *s, const char *name);

/* Prints the resolved scenario (every setting with its unit) to `out`. */
void scn_print(const struct scn *s, FILE *out);

/* A duration as the format writes it: the largest unit that keeps it exact
 * ("1.305s", "250ms", "0s"). */
void scn_fmt_duration(char *buf, size_t cap, int64_t ns);

/* Prints process names idx[0..n-1], runs of 3 or more consecutive numbers as ranges (p1..p5). */
void scn_print_names(FILE *out, const struct scn *s, const uint32_t *idx, uint32_t n);

/* The value parsers of the format, for other formats that share its units
 * (explore specs). Each reads one NUL-terminated token and returns 0, or -1
 * with the message (without FILE:LINE:COL) in msg. Percentages are returned
 * as probabilities (10% = 0.1). */
int scn_value_duration(const char *s, int64_t *ns, char *msg, size_t cap);
int scn_value_percent(const char *s, double *prob, char *msg, size_t cap);
int scn_value_rate(const char *s, double *per_s, char *msg, size_t cap);
int scn_value_size(const char *s, uint32_t *bytes, char *msg, size_t cap);

/* The `set` keys (scn_settings.h), in the order scn_write writes them; bit k
 * of scn_edit.reset_sets is key k. */
enum scn_set_key {
#define SCN_X_ENUM(ID, ...) SCN_SET_##ID,
    SCN_SETTINGS(SCN_X_ENUM)
#undef SCN_X_ENUM
        SCN_SET_N
};

/* The row of key k (k < SCN_SET_N). */
const struct scn_setting *scn_setting_row(enum scn_set_key k);
/* Key k's value in s (a duration in ns, a count, or 0/1 for a switch). */
int64_t scn_setting_get(const struct scn *s, enum scn_set_key k);
/* Key k's value as a scenario writes it ("100ms", "1024", "fixed"). */
void scn_setting_text(const struct scn *s, enum scn_set_key k, char *buf, size_t cap);

/* What scn_write leaves out or changes (pgroup shrink). Every array is
 * indexed like the scenario's and may be NULL (nothing dropped). */
struct scn_edit {
    const bool *drop_proc;     /* n_procs: the process goes from every list and line naming it */
    const bool *drop_group;    /* n_groups: with its sends, relays, joins, leaves, flushes */
    const bool *drop_workload; /* n_workloads */
    const bool *drop_relay;    /* n_relays */
    const bool *drop_fault;    /* n_faults */
    const double *rate_scale;  /* n_workloads: rate multiplied by it (0 or 1: as is) */
    const uint32_t *size;      /* n_workloads: size replaced by it (0: as is) */
    uint32_t reset_sets;       /* bit k: `set` key k (enum scn_set_key) back to its default */
    bool drop_places;          /* every `place` line */
    int64_t run_ns, quiet_ns;  /* > 0: the new `run` and `quiet` (quiet_ns < 0: none);
                                  events from the new quiet start on are left out and
                                  sends stop there */
};

/* Writes s as scenario text, with the edits e (NULL: none) applied: one
 * command per line, names and values as the format writes them, settings
 * only where they differ from the defaults. Without edits, scn_parse_text of
 * the text gives the same scenario (the same run: byte-identical trace). With
 * edits, what would be invalid is left out too: a crash of a process already
 * crashed, a restart of a live one, a partition with fewer than 2 blocks, a
 * group without members, a send without senders or after its stop. Returns
 * a malloc'd NUL-terminated text (its length in *len if len is not NULL). */
char *scn_write(const struct scn *s, const struct scn_edit *e, size_t *len);

/* Lines of a scenario text that are not blank or comments. */
uint32_t scn_count_lines(const char *text);

#endif
