/* core/hier_internal.h: the state of one process's hierarchical-group tool,
 * shared by hier.c (roles, client stub, root) and hier_sub.c (subgroups).
 * Not a public header.
 *
 * Owns: the wire records (every hier message is HIER_MAGIC then records,
 * each u8 type, u16 length, body; several records ride in one pg message),
 * the bounded outbox, the cached views, the root's replicated map and
 * client table, a member's ranges and wait queue, the client's binding.
 */
#ifndef PG_HIER_INTERNAL_H
#define PG_HIER_INTERNAL_H

#include "hier.h"

#define HIER_MAGIC    0x48u /* 'H' */
#define HIER_MSG_MAX  4000u /* bytes of one hier message (records batched up to it) */
#define HIER_VIEW_MAX 32u   /* members of a cached view kept */
#define HIER_DD_MOVE  200u  /* dedup entries a moved range carries (the rest: PG_E_TOOBIG) */
#define HIER_NONE     UINT32_MAX

enum hier_rec {
    HR_BIND = 1,    /* client -> gateway: client, gateway */
    HR_BINDQ = 2,   /* gateway -> root: client, gateway */
    HR_LOAD = 3,    /* subgroup -> root: sub */
    HR_GM = 4,      /* member -> root: origin, mseq, kind */
    HR_MOVED = 5,   /* new primary -> root: range, epoch */
    HR_BOUND = 6,   /* root diffusion: client, sub, via */
    HR_MAP = 7,     /* root diffusion: range, sub, epoch, kind */
    HR_DEAD = 8,    /* root diffusion: sub */
    HR_GSEQ = 9,    /* root diffusion: g, origin, mseq, kind */
    HR_DONE = 10,   /* root diffusion: range, epoch (a move completed) */
    HR_REQ = 11,    /* client -> bound, bound -> primary: request */
    HR_ORD = 12,    /* abcast in the primary: the request, in apply order */
    HR_FREPLY = 13, /* primary -> bound subgroup: answer */
    HR_REPLY = 14,  /* bound subgroup diffusion: reply-collection reply */
    HR_BOUNDR = 15, /* subgroup diffusion: a binding relayed to a client */
    HR_FREEZE = 16, /* abcast in the old primary: range, new epoch, new owner */
    HR_STATE = 17,  /* old -> new primary: range, epoch, values, dedup table */
    HR_ADOPT = 18,  /* abcast in the new primary: range, epoch, lost flag */
    HR_LGM = 19,    /* abcast in a subgroup: locally ordered full-set multicast */
};

enum hier_mode { HM_CB = 1, HM_AB = 2, HM_DF = 3 };

struct hier_out {
    uint8_t mode;
    pg_gid gid;
    uint16_t len;
    uint8_t *buf; /* HIER_MSG_MAX */
};

struct hier_view {
    bool have, excluded;
    uint32_t view_id, n;
    pg_node_id m[HIER_VIEW_MAX];
};

struct hier_req {
    pg_node_id client;
    uint32_t seq, key;
    uint16_t via;
    uint8_t rep[REP_HDR_B];
};

struct hier_dd {
    pg_node_id client;
    uint32_t last;
    uint64_t val;
};

/* The map as the root decided it (root members) or as a member learned it. */
struct hier_map_ent {
    uint32_t owner, epoch;
    bool moving, lost;
};

/* A member's copy of one range's data. */
struct hier_rdata {
    bool held, frozen, freeze_sent, adopt_sent;
    uint32_t epoch;     /* held: the epoch it applies under; frozen: the next epoch */
    uint32_t to;        /* frozen: the new owner */
    int64_t st_sent_ns; /* frozen: last STATE sent */
    uint64_t val[HIER_MAX_KEYS_PR];
    struct hier_dd *dd;
    uint32_t n_dd, cap_dd;
    /* a state received for an epoch not yet adopted */
    bool st_have;
    uint32_t st_epoch;
    uint64_t st_val[HIER_MAX_KEYS_PR];
    struct hier_dd *st_dd;
    uint32_t st_n;
};

struct hier_cl_ent {
    pg_node_id id; /* 0: empty */
    uint16_t sub;  /* HIER_NONE & 0xffff: unbound */
    bool queued;
};

enum hier_role { HR_ROLE_NONE, HR_ROLE_ROOT, HR_ROLE_MEMBER, HR_ROLE_CLIENT };

struct hier_q {
    uint32_t client, gw;
};

struct hier {
    struct hier_config cfg;
    struct pg *pg;
    pg_node_id self;
    struct hier_upcalls up;
    void *ctx;
    enum hier_role role;
    uint32_t sub; /* member: its subgroup */
    struct hier_stats st;
    int64_t now_ns;
    bool urgent, started;
    int64_t wake_ns;

    struct hier_out *out; /* ring of cfg.max_queue */
    uint32_t out_head, out_n;

    struct hier_view *views; /* n_sub + 1: subgroups, then the root */
    bool *want_client;       /* n_sub + 1: pg_client to call */
    bool *client_dead;       /* n_sub + 1: excluded as a client: never again */
    uint32_t *contact_try;

    struct hier_map_ent map[HIER_MAX_RANGES];

    /* root */
    struct hier_cl_ent *cl; /* 2 * max_clients slots */
    uint32_t cl_cap, *load;
    bool *dead;
    int64_t *last_load_ns;
    struct hier_q *bq; /* bind queue ring */
    uint32_t bq_head, bq_n;
    int64_t next_bind_ns, next_check_ns;
    uint32_t gseq_assigned, gseq_delivered;

    /* member */
    struct hier_rdata *rd; /* n_ranges */
    struct hier_req *wq;   /* waiting requests (max_queue) */
    uint32_t wq_n;
    int64_t next_load_ns;
    uint32_t last_g;
    uint64_t next_mseq;

    /* client */
    struct rep *rep;
    int bound;
    uint32_t gw;
    int64_t bind_sent_ns;
    uint64_t next_id;
    uint32_t *rq_key; /* request queue (max_queue): keys; ids follow next_sent */
    uint32_t rq_head, rq_n;
    uint64_t rq_first_id; /* id of rq_key[rq_head] */
    bool outstanding, resend;
    uint64_t rep_id;
    int64_t sent_ns;
};

/* hier.c */
uint32_t hier_gidx(const struct hier *h, pg_gid gid); /* 0..n_sub-1, n_sub: root, else NONE */
bool hier_is_seq(const struct hier *h);               /* member: rank 0 of its subgroup */
bool hier_is_coord(const struct hier *h);             /* root: rank 0 of the root */
int hier_out_rec(struct hier *h, uint8_t mode, pg_gid gid, uint8_t type, const uint8_t *body,
                 size_t len);
void hier_put32(uint8_t *p, uint32_t v);
uint32_t hier_get32(const uint8_t *p);
void hier_put64(uint8_t *p, uint64_t v);
uint64_t hier_get64(const uint8_t *p);
void hier_need_client(struct hier *h, uint32_t gidx);
bool hier_client_ready(const struct hier *h, uint32_t gidx);

/* hier_sub.c: a subgroup member's records and work */
void hier_sub_init(struct hier *h);
void hier_sub_free(struct hier *h);
void hier_sub_rec(struct hier *h, uint32_t gidx, uint8_t type, const uint8_t *b, size_t len);
void hier_sub_run(struct hier *h);
void hier_sub_route(struct hier *h, const struct hier_req *q);
void hier_req_put(const struct hier_req *q, uint8_t *b); /* 30 bytes */
void hier_req_get(struct hier_req *q, const uint8_t *b);
#define HIER_REQ_B (4u + 4u + 4u + 2u + REP_HDR_B)

#endif
