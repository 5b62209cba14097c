/* core/include/tools/hier.h: hierarchical process groups (paper section 2.3), a tool above
 * the process-group layer, like reply collection (reply.h).
 *
 * Owns: one process's part of a hierarchical group: a root group that maps
 * clients to subgroups and key ranges to primary subgroups, S subgroups that
 * hold the partitioned data, and the client stub. It uses nothing but pg.h's
 * public calls and reply.h; the root and every subgroup are ordinary process
 * groups created by the application (the tool registers their entry and
 * monitor upcalls through the application, which hands them on with
 * hier_on_entry / hier_on_view). It never sends from an upcall: work found in
 * an upcall is queued (bounded) and done in hier_run, which the application
 * calls when hier_next_ns says (section 5: such structures are user-space
 * tools).
 *
 * Roles (from the directory in struct hier_config): a root member, a member
 * of subgroup s, or a client (hier_client_start).
 *
 * Channels, all from pg.h:
 *  - every subgroup member is a pg_client of the root: it reports (LOAD, the
 *    forwarded BIND of a client, a full-set multicast) by client cbcast, and
 *    hears the root's decisions, which the root coordinator multicasts by
 *    pg_diffuse (one batch per hier_run): root members apply them in the
 *    root's cbcast order (the root's replicated map), subgroup members act on
 *    them;
 *  - a client is a pg_client of its gateway subgroup (hash of its id; the
 *    next live one when it fails) and of its bound subgroup;
 *  - a subgroup member that forwards to subgroup t becomes a pg_client of t
 *    (lazily); t answers it by client cbcast the other way.
 *
 * Binding: the client sends BIND to its gateway, whose sequencer (rank 0)
 * forwards it to the root. The root coordinator decides with the policy
 * (least-loaded: fewest bound clients among live subgroups; hash: id mod S,
 * next live on a dead one), at most cfg.bind_batch decisions per
 * cfg.tick_ns (a binding storm waits in a bounded queue, cfg.max_queue;
 * beyond it BIND is dropped and the client retries after cfg.retry_ns), and
 * diffuses BOUND records; the subgroup the client listens on relays them to
 * its clients by diffusion. Re-binding: when the client's bound subgroup has
 * no member left (its pg monitor reports it excluded) the client binds again
 * through another gateway; hier_rebalance moves clients from the most to the
 * least loaded subgroup (BOUND again).
 *
 * Requests: key k in [0, n_keys) lies in range k * n_ranges / n_keys; the
 * root's map gives each range one primary subgroup and an epoch (bumped by
 * each change). The stub sends each request (one outstanding per client;
 * request ids are the client's sequence numbers) with a reply-collection
 * header to its bound subgroup; the bound subgroup's sequencer forwards it to
 * the primary per its copy of the map (redirecting a request for a moved
 * key). The primary's sequencer abcasts it in its subgroup; at the abcast's
 * delivery every member applies it (same order everywhere in the subgroup)
 * unless its (client, id) was applied already (per-range dedup table: the
 * client's last applied id and its answer), and the sequencer answers
 * (through the bound subgroup, which diffuses the reply: reply collection
 * takes it from a member of the view the request went to). A request or an
 * answer lost with a crashed sequencer is retried by the client after
 * cfg.retry_ns: never lost, never applied twice.
 *
 * Moving a range (hier_move at the root coordinator): the root diffuses the
 * new map entry (epoch e+1). The old primary's sequencer abcasts FREEZE: from
 * that point of its order its members apply nothing of the range, and the
 * sequencer sends the range's state (values and dedup table, a snapshot at
 * that consistent cut, like pg_state's snapshot at a view install) to the new
 * primary by client cbcast, again every cfg.retry_ns until the root reports
 * the move done. The new primary's sequencer abcasts ADOPT; from that point
 * it applies the range under epoch e+1, and tells the root (MOVED). Requests
 * for the range wait (bounded) at the sequencers meanwhile.
 *
 * A subgroup that sends no LOAD for cfg.dead_ns is dead for the root: its
 * ranges move to the least-loaded live subgroup with an empty state (map
 * kind LOST: the data had no replica and is reported lost), its clients
 * re-bind.
 *
 * Full-set multicast (hier_mcast from a subgroup member): through the root,
 * whose coordinator numbers them. HIER_MC_GLOBAL: every member of every
 * subgroup delivers them in the root's number order (one order everywhere:
 * sequenced through the root). HIER_MC_LOCAL: each subgroup's sequencer
 * abcasts it in its subgroup: one order within a subgroup, none across.
 *
 * Errors: PG_E_* codes of err.h; full queues say PG_E_FULL.
 */
#ifndef PG_HIER_H
#define PG_HIER_H

#include <stdbool.h>
#include <stdint.h>

#include "pg.h"
#include "reply.h"

#define HIER_MAX_SUB     64u  /* subgroups */
#define HIER_MAX_DIR     16u  /* directory entries per group (initial members) */
#define HIER_MAX_RANGES  256u /* key ranges */
#define HIER_MAX_KEYS_PR 64u  /* keys per range (the state moved) */

enum hier_policy { HIER_LEAST_LOADED = 0, HIER_HASH = 1 };
enum hier_map_kind { HIER_MAP_ASSIGN = 0, HIER_MAP_MOVE = 1, HIER_MAP_LOST = 2 };
enum hier_mc_kind { HIER_MC_LOCAL = 0, HIER_MC_GLOBAL = 1 };

struct hier_config {
    pg_gid root_gid;
    uint32_t n_root;
    pg_node_id root_dir[HIER_MAX_DIR];
    uint32_t n_sub;
    pg_gid sub_gid[HIER_MAX_SUB];
    uint32_t sub_n[HIER_MAX_SUB];
    pg_node_id sub_dir[HIER_MAX_SUB][HIER_MAX_DIR];
    uint32_t n_keys, n_ranges; /* n_keys / n_ranges <= HIER_MAX_KEYS_PR */
    enum hier_policy policy;
    uint32_t max_clients; /* root's client table; a member's dedup entries per range */
    uint32_t max_queue;   /* every queue: BINDs at the root, waiting requests, outboxes */
    uint32_t bind_batch;  /* binding decisions per tick at the root */
    int64_t tick_ns, retry_ns, load_ns, dead_ns;
};

/* Fills the timing and limits with defaults (tick 10 ms, retry 600 ms, LOAD
 * every 200 ms, dead after 3 s, 64 binds per tick, queues of 4096). */
void hier_config_default(struct hier_config *cfg);

/* Upcalls to the application (for its trace and sabotage layer). */
struct hier_upcalls {
    void (*bind)(void *ctx, uint32_t sub, bool bound);                   /* client */
    void (*reply)(void *ctx, uint64_t id, uint32_t key, uint64_t value); /* client */
    void (*apply)(void *ctx, uint32_t sub, pg_node_id client, uint64_t id, uint32_t key,
                  uint32_t epoch); /* member */
    void (*map)(void *ctx, uint32_t range, uint32_t sub, uint32_t epoch,
                enum hier_map_kind kind); /* root member */
    void (*mdeliver)(void *ctx, pg_node_id origin, uint64_t mseq, enum hier_mc_kind kind);
};

struct hier_stats {
    uint64_t binds_sent, binds_decided, binds_dropped, rebinds;
    uint64_t requests, retries, forwarded, applied, dups, replies;
    uint64_t moves, states_sent, lost_ranges, waits_dropped;
    uint64_t mcasts, mdelivered;
};

struct hier;

/* Allocates the tool for process `self` over `pg`. NULL on a bad config or
 * out of memory. The application must hand every entry and monitor upcall of
 * the root and subgroup gids to hier_on_entry / hier_on_view. */
struct hier *hier_new(const struct hier_config *cfg, struct pg *pg, pg_node_id self,
                      const struct hier_upcalls *up, void *ctx);
void hier_free(struct hier *h);

/* Makes this process a client of the hierarchical group (binding starts at
 * the next hier_run). PG_E_EXISTS if a member or already a client. */
int hier_client_start(struct hier *h);

/* Client: queues a request on `key`. *id is its request id. PG_E_INVAL
 * (key), PG_E_NOTMEMBER (not a client), PG_E_FULL (queue). */
int hier_request(struct hier *h, uint32_t key, uint64_t *id);

/* Subgroup member: a full-set multicast. PG_E_NOTMEMBER, PG_E_FULL. */
int hier_mcast(struct hier *h, enum hier_mc_kind kind, uint64_t *mseq);

/* Root coordinator: moves range to subgroup `to`; rebalances clients.
 * PG_E_NOTMEMBER (not the root coordinator), PG_E_INVAL, PG_E_BUSY (a move
 * of that range under way), PG_E_FULL. */
int hier_move(struct hier *h, uint32_t range, uint32_t to);
int hier_rebalance(struct hier *h);

/* Inputs from the application. */
void hier_on_entry(struct hier *h, pg_gid gid, pg_node_id from, const uint8_t *p, size_t len);
void hier_on_view(struct hier *h, const struct pg_view *v, bool excluded);
/* Does the work due at now_ns (sends, retries, root decisions). */
void hier_run(struct hier *h, int64_t now_ns);
/* When hier_run is next due (now when work is queued). */
int64_t hier_next_ns(const struct hier *h, int64_t now_ns);

/* Queries. */
bool hier_is_gid(const struct hier *h, pg_gid gid);
uint32_t hier_range_of(const struct hier *h, uint32_t key);
int hier_bound(const struct hier *h); /* client: bound subgroup or -1 */
const struct hier_stats *hier_stats(const struct hier *h);

#endif
