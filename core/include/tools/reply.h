/* core/include/tools/reply.h: reply collection, a tool above the process-group layer.
 *
 * Owns: the bounded table of one process's outstanding requests and, for
 * each, the replies received so far. The paper keeps this out of the core
 * (section 4: "mechanisms such as the causal abcast and the collection of
 * replies to multicasts are left to tools executing in the user address
 * space"), so this module uses nothing but pg.h's types and sends nothing
 * itself: the application multicasts the request (cbcast, from a member or a
 * client) starting with the header rep_start writes; a server recognises it
 * with rep_parse_request and answers with a payload starting with
 * rep_reply_header (a cbcast reaches a member requester; a diffusion also
 * reaches a client requester); the requester hands every delivered payload
 * to rep_on_deliver and every pg_monitor upcall to rep_on_view.
 *
 * A request waits for one reply (REP_ONE), k replies (REP_K) or a reply from
 * every server (REP_ALL) among the members of the view given to rep_start.
 * A server that leaves the view (it failed, or left) is no longer waited
 * for: REP_ALL then completes with the replies of the servers still there;
 * REP_ONE/REP_K complete with PG_E_SUSPECTED as soon as the servers left
 * cannot make up the count. So a collector never hangs on a failed server,
 * as long as its view learns of the failure (a member's always does; a
 * client's cached view is refreshed when its own traffic finds it stale).
 * Exclusion of the requester completes everything with PG_E_CRASHED.
 *
 * Wire: request header  u8 0xA7, u8 1, u32 requester, u64 request id (14 bytes);
 *       reply header    u8 0xA7, u8 2, u32 requester, u64 request id (14 bytes).
 */
#ifndef PG_REPLY_H
#define PG_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg.h"

#define REP_HDR_B 14u

struct rep_config {
    uint32_t max_pending;   /* outstanding requests (rep_start: PG_E_FULL beyond) */
    uint32_t max_reply_len; /* bytes of one reply kept (a longer one: PG_E_TOOBIG at done) */
};

/* Fills `cfg` with defaults (64 requests, 1 KiB replies). */
void rep_config_default(struct rep_config *cfg);

enum rep_want {
    REP_ONE = 1,
    REP_K = 2,
    REP_ALL = 3,
};

/* One reply, valid during the done upcall. */
struct rep_reply {
    pg_node_id from;
    const uint8_t *payload; /* after the header */
    size_t len;
};

/* Upcall: request `id` completed with `status` (PG_OK: enough replies;
 * PG_E_SUSPECTED: too many servers left the view; PG_E_CRASHED: the
 * requester was excluded; PG_E_TOOBIG: a reply was longer than
 * max_reply_len), with the `n` replies received (at most the count wanted)
 * and the number of servers that left the view before replying. */
typedef void (*rep_done_fn)(void *ctx, uint64_t id, int status, const struct rep_reply *replies,
                            uint32_t n, uint32_t servers_left);

/* A request as a server sees it. */
struct rep_request {
    pg_node_id requester;
    uint64_t id;
    const uint8_t *body; /* after the header */
    size_t len;
};

struct rep;

/* Allocates the collector of process `self`. NULL only if out of memory.
 * Precondition: cfg values above 0, self != PG_NODE_NONE. */
struct rep *rep_new(const struct rep_config *cfg, pg_node_id self);
void rep_free(struct rep *r);

/* Starts collecting replies to a new request sent to the members of
 * `servers` (the view the request goes to: pg_getview). Writes the request
 * header into hdr[0..REP_HDR_B) and the request id into *id. `k` is used by
 * REP_K only (1 <= k <= members). fn runs at completion (possibly inside a
 * later rep_on_deliver / rep_on_view call, never inside rep_start). Errors:
 * PG_E_INVAL (want, k, no member, fn NULL), PG_E_FULL (max_pending). */
int rep_start(struct rep *r, const struct pg_view *servers, enum rep_want want, uint32_t k,
              rep_done_fn fn, void *ctx, uint8_t hdr[REP_HDR_B], uint64_t *id);

/* Server side: whether p is a request (then *req describes it). */
bool rep_parse_request(const uint8_t *p, size_t len, struct rep_request *req);
/* Server side: the header of a reply to req, into hdr[0..REP_HDR_B). */
void rep_reply_header(const struct rep_request *req, uint8_t hdr[REP_HDR_B]);

/* Requester side: a payload delivered from `from`. True if it was a reply to
 * this process (consumed: the application may ignore it), false otherwise
 * (not a reply, another requester's, or a request no longer pending). */
bool rep_on_deliver(struct rep *r, pg_node_id from, const uint8_t *p, size_t len);
/* Requester side: the pg_monitor upcall of the group the requests went to. */
void rep_on_view(struct rep *r, const struct pg_view *view, bool excluded);

/* Forgets request id without calling its upcall. PG_E_INVAL if not pending. */
int rep_cancel(struct rep *r, uint64_t id);
/* Outstanding requests. */
uint32_t rep_pending(const struct rep *r);

#endif
