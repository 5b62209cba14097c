/* core/include/group/pg.h: the process-group layer, the paper's Table 1 (sections 3.1, 3.2, 5).
 *
 * Owns: virtually synchronous process groups of one node: views (member and
 * client lists, view ids), atomic view changes run by the coordinator (the
 * lowest-ranked member this node does not suspect) with a flush, cbcast with
 * compressed vector timestamps [BSS91], failure atomicity (messages of a
 * failed sender are forwarded by survivors during the flush), stability
 * (acknowledgement vectors ride on traffic; a standalone STABLE message only
 * when idle) and pg_flush, the primary-partition rule (a view change needs a
 * majority of the current view) and fail-stop conversion (a suspected member
 * is excluded for real); clients (pg_client: a client's messages enter the
 * group through a contact member, diffusions reach the clients) and
 * diffusion multicast (pg_diffuse). Reply collection is a tool above this
 * layer (reply.h).
 *
 * All state of one node's group layer hangs off one `struct pg`, above the
 * node's `struct phys`: one phys group per pg group (phys gid = pg gid, phys
 * members = view members). Every pg message travels as a phys_mcast payload,
 * encoded by pg's own bounds-checked codec (pg_encode/pg_decode); a malformed
 * one is counted and dropped. Inputs: the phys entry/monitor upcalls (pg
 * registers them itself), pg_on_timer() (timer slot PG_TIMER_PG) and the calls
 * below. Outputs: phys_mcast, env->timer_set(PG_TIMER_PG), env->trace
 * (PG_TR_SOMETIMES for interesting situations), and the application upcalls.
 *
 * Upcalls (entry, monitor, flush-done) run inside a pg input; they may call
 * cbcast, pg_getview and pg_flush, which take effect at once (a message sent
 * from an upcall is delivered locally right after the upcall returns). Calls
 * that change membership (pg_create, pg_join, pg_leave, pg_add, pg_del) and
 * pg_free must not be made from an upcall.
 *
 * Protocol summary (the view change, section 5: "a distinguished member
 * initiates these calls, ensuring that only one such operation is done at a
 * time"):
 *  1. The coordinator multicasts FLUSH(v, attempt, proposal). A member accepts
 *     the highest attempt of v it has seen (ties: lower coordinator rank),
 *     stops sending in v (application sends are held for v+1), stops listening
 *     to members outside the proposal, forwards every retained message of v
 *     whose sender is outside the proposal, then multicasts FLUSH_OK.
 *  2. With FLUSH_OK from every proposed member of v, and if they are a
 *     majority of v, the coordinator multicasts the decision (ACK(v, attempt,
 *     proposal) from the coordinator, also called NEW_VIEW).
 *  3. A member that has the decision and every FLUSH_OK of that attempt (so it
 *     holds every message of v any proposed member held) commits: it
 *     multicasts its own ACK. It installs v+1 once a majority of v has
 *     committed: it delivers every deliverable message of v in causal order,
 *     discards (identically everywhere) what can never be delivered, installs,
 *     then sends the application messages it held.
 *  4. A committed member that sees a later attempt re-forwards every message
 *     of v it holds and sends a "full" ACK: whoever receives it holds every
 *     message of v and commits too. So a decision that a majority committed
 *     survives a coordinator crash, and a takeover coordinator completes it
 *     instead of deciding anew. A member left behind (it lacks the FLUSH_OK
 *     of a failed member, or hears v+1 traffic before it committed) asks ONE
 *     member that committed or installed (a NEED, point to point), which
 *     answers it alone: one answer per lagging member, not one per member.
 *     Attempt numbers are learned from FLUSH, FLUSH_OK and ACK alike, and a
 *     coordinator whose attempt is outranked by a promise it learns of starts
 *     again above it (a takeover whose predecessor's FLUSH never reached it).
 *  5. State transfer (sections 2.3, 4; pg_state below, pg_state.c): at the
 *     install of a view adding a joiner, the old members snapshot the
 *     application state (every message of the old view applied, none of the
 *     new) and one sends it to the joiner, which installs after decoding it.
 *  6. Leaving (pg_leave, pg_del): the proposal names the member it removes
 *     at its request (FLUSH/ACK `left`). That member takes part in the flush
 *     like the proposed ones (its FLUSH_OK is awaited unless it fails), so it
 *     delivers every message of v that the survivors deliver, then leaves
 *     instead of installing v+1.
 *  7. Fail-stop conversion (section 5; [RB90]): a member removed as failed is
 *     out for good, even if it is alive. At the install of v+1 every member
 *     tells each member v+1 removed as failed, and that it does not deem
 *     faulty, that it is out (an OUT notice, point to point): a falsely
 *     suspected member, the far side of a bridge or of an asymmetric cut
 *     would otherwise wait in v for ever. A member that suspects another and
 *     is not the coordinator reports it to the coordinator (REQ FAILED); the
 *     coordinator removes the reported member when it suspects it too, and
 *     otherwise, after cfg.report_wait_ns, the reporter (fail-stop conversion
 *     removes one of the two; removing the reporter keeps a member whose
 *     incoming links fail from removing everyone else). A member excluded as
 *     failed tells the others (REQ FAILED naming itself), so that they stop
 *     waiting for it in a flush.
 *  8. Exclusion and causality (TRACE.md rule 6 makes no exemption for an
 *     excluded member): a member excluded as failed from group A may lack
 *     messages of its last view of A that the survivors delivered. It goes on
 *     in its other groups, but a message of group B whose cross-group
 *     timestamp names such a message (a later view of A, or an entry of its
 *     last view beyond what it delivered) can never be delivered there: it
 *     leaves B as failed too (pg_domain.c). A member that left at its request
 *     took part in the flush and owes nothing more.
 */
#ifndef PG_PG_H
#define PG_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "err.h"
#include "phys.h"

/* Hard caps (the configuration may only lower them). Ranks travel as one
 * byte and membership sets are struct pg_rset bitsets indexed by rank, hence
 * PG_MAX_MEMBERS_CAP = 256. */
#define PG_MAX_MEMBERS_CAP 256u
/* Clients per view: a view with 1024 clients is 4 KB of ids on the wire
 * (FLUSH/ACK carry the lists; a client itself only ever receives members). */
#define PG_MAX_CLIENTS_CAP 1024u
/* worst-case DATA header: VT, plus the abcast flags, the sender's own ORDER entry and a SAFE */
#define PG_HDR_MAX     (16u + 6u * PG_MAX_MEMBERS_CAP + 21u)
#define PG_MAX_PAYLOAD (PHYS_MAX_PAYLOAD - PG_HDR_MAX)
#define PG_ORDER_MAX   32u /* entries of one ORDER record (it fits in the header room) */
/* bytes a client message (9) or a diffusion (1) takes from cfg.max_payload */
#define PG_CX_HDR_MAX 9u

/* State transfer: the cap of cfg.max_state_bytes, and the bytes of state per
 * STATE message (the rest of a phys payload is its header). */
#define PG_MAX_STATE_CAP (16u << 20)
#define PG_STATE_CHUNK   (PHYS_MAX_PAYLOAD - 32u)

typedef uint32_t pg_gid;

/* A set of ranks of one view (bit r = rank r). Value type; helpers below. */
#define PG_RSET_WORDS (PG_MAX_MEMBERS_CAP / 64u)
struct pg_rset {
    uint64_t w[PG_RSET_WORDS];
};

static inline struct pg_rset pg_rs_none(void)
{
    struct pg_rset s = {{0}};
    return s;
}

static inline bool pg_rs_has(const struct pg_rset *s, uint32_t r)
{
    return r < PG_MAX_MEMBERS_CAP && (s->w[r / 64u] >> (r % 64u) & 1u);
}

static inline void pg_rs_add(struct pg_rset *s, uint32_t r)
{
    s->w[r / 64u] |= (uint64_t)1 << (r % 64u); /* precondition: r < PG_MAX_MEMBERS_CAP */
}

/* Ranks 0..n-1. */
static inline struct pg_rset pg_rs_all(uint32_t n)
{
    struct pg_rset s = {{0}};
    for (uint32_t i = 0; i<PG_RSET_WORDS; i++, n = n> 64u ? n - 64u : 0u)
        s.w[i] = n >= 64u ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1u);
    return s;
}

static inline struct pg_rset pg_rs_and(struct pg_rset a, struct pg_rset b)
{
    for (uint32_t i = 0; i < PG_RSET_WORDS; i++)
        a.w[i] &= b.w[i];
    return a;
}

static inline struct pg_rset pg_rs_or(struct pg_rset a, struct pg_rset b)
{
    for (uint32_t i = 0; i < PG_RSET_WORDS; i++)
        a.w[i] |= b.w[i];
    return a;
}

/* a minus b */
static inline struct pg_rset pg_rs_minus(struct pg_rset a, struct pg_rset b)
{
    for (uint32_t i = 0; i < PG_RSET_WORDS; i++)
        a.w[i] &= ~b.w[i];
    return a;
}

static inline bool pg_rs_empty(struct pg_rset a)
{
    uint64_t x = 0;
    for (uint32_t i = 0; i < PG_RSET_WORDS; i++)
        x |= a.w[i];
    return x == 0;
}

static inline bool pg_rs_eq(struct pg_rset a, struct pg_rset b)
{
    return pg_rs_empty(pg_rs_minus(a, b)) && pg_rs_empty(pg_rs_minus(b, a));
}

static inline uint32_t pg_rs_count(struct pg_rset a)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < PG_RSET_WORDS; i++)
        c += (uint32_t)__builtin_popcountll(a.w[i]);
    return c;
}

/* Member or client, for pg_add / pg_del. */
enum pg_member_type {
    PG_MEMBER = 1,
    PG_CLIENT = 2,
};

struct pg_config {
    uint32_t max_groups;       /* groups per node */
    uint32_t max_members;      /* members per view (<= PG_MAX_MEMBERS_CAP) */
    uint32_t max_clients;      /* clients per view (<= PG_MAX_CLIENTS_CAP) */
    uint32_t max_msgs;         /* retained messages per group (delivered-unstable + delayed) */
    uint32_t max_unstable_own; /* own unstable messages per group before cbcast says PG_E_FULL */
    uint32_t max_held;         /* application sends held during a flush, per group */
    uint32_t max_future;       /* messages of the next view held until it is installed */
    uint32_t max_outbox;       /* pg messages waiting for a full phys window, per group */
    uint32_t max_requests;     /* pending join/leave/add/del requests, per group */
    uint32_t max_payload;      /* cbcast payload bytes (<= PG_MAX_PAYLOAD) */
    int64_t stable_delay_ns;   /* idle time before a standalone STABLE message */
    int64_t retry_ns;          /* retry period for a full phys window */
    int64_t join_timeout_ns;   /* a joiner that hears nothing of its group this long gives up */
    int64_t report_wait_ns;    /* coordinator: how long a member's report that it stopped
                                  hearing another may wait for the coordinator's own
                                  suspicion before the reporter is removed instead (more
                                  than the spread of suspicion times of one crash) */
    uint32_t
        max_abcast_unordered; /* own abcasts not yet delivered here before abcast says PG_E_FULL */
    bool abcast_token_follow; /* the abcast token moves to a sole active sender (else: fixed) */
    uint32_t
        abcast_token_streak; /* consecutive abcasts of one non-holder before it gets the token */
    bool vt_compress;        /* DATA carries only the VT entries that changed [BSS91] (default);
                                false: every entry, to measure what compression saves */

    /* state transfer (pg_state): the largest state (<= PG_MAX_STATE_CAP), and
     * how long a joiner waits without progress before it gives up */
    uint32_t max_state_bytes;
    int64_t state_timeout_ns;
    /* causality domains and p2p (pg_domain.c) */
    uint32_t max_domains;     /* causality domains this node knows */
    uint32_t max_dom_records; /* timestamp records (groups, p2p pairs) known per domain */
    uint32_t max_p2p;         /* p2p messages received and not yet deliverable */
    uint32_t max_p2p_peers;   /* processes this node exchanges p2p messages with */
    /* clients (pg_client.c) */
    uint32_t max_client_unacked; /* client: own messages not yet acknowledged (cbcast: PG_E_FULL) */
    uint32_t max_client_pending; /* member: accepted client messages waiting to be forwarded */
    uint32_t max_diffusion_history; /* member: diffusions kept to relay to (failed-over) clients */
    int64_t client_retry_ns;        /* client: resend period of unanswered requests and messages */
};

/* Fills `cfg` with defaults (64 members, 4096 retained messages, 20 ms stable
 * delay, abcast token follows a sole active sender after 8 abcasts, states up
 * to 64 KiB, a joiner waits 5 s at most for its state). */
void pg_config_default(struct pg_config *cfg);

/* A view, as returned by pg_getview and passed to the monitor upcall. */
struct pg_view {
    pg_gid gid;
    uint32_t view_id;
    uint32_t n_members;
    pg_node_id members[PG_MAX_MEMBERS_CAP]; /* rank order; members[0] is the coordinator */
    uint32_t n_clients;
    pg_node_id clients[PG_MAX_CLIENTS_CAP];
};

/* Counters, monotonic. */
struct pg_stats {
    uint64_t cbcasts;         /* accepted cbcast calls (sent or held) */
    uint64_t delivered;       /* entry upcalls */
    uint64_t delayed_causal;  /* messages that arrived out of causal order and waited */
    uint64_t held_flush;      /* application sends held during a flush */
    uint64_t forwarded;       /* copies forwarded during a flush */
    uint64_t discarded_flush; /* undeliverable messages discarded at a view install */
    uint64_t views_installed;
    uint64_t view_changes_started; /* flush attempts started as coordinator */
    uint64_t takeovers;            /* attempts started while another member's attempt was pending */
    uint64_t inflight_at_change;   /* installs with undelivered or unstable messages */
    uint64_t exclusions;           /* this node learned it is out of a group */
    uint64_t out_notices;          /* OUT notices sent to members a view change removed as failed */
    uint64_t
        failed_reports; /* REQ FAILED sent: a suspicion told the coordinator, or own exclusion */
    uint64_t joins_given_up;    /* joins given up: nothing heard of the group for join_timeout_ns */
    uint64_t flush_carriers;    /* pg_flush calls that outlived a view change: waited for an own
                                   message of the new view */
    uint64_t header_bytes;      /* pg header bytes of DATA messages sent (VT included) */
    uint64_t data_sent;         /* DATA messages multicast */
    uint64_t stable_msgs_sent;  /* standalone STABLE messages (multicast or to the coordinator) */
    uint64_t control_sent;      /* FLUSH, FLUSH_OK, ACK, NEED, REQ, JOIN */
    uint64_t malformed_dropped; /* failed pg_decode */
    uint64_t stale_dropped;     /* messages of an older view, or from a member we stopped hearing */
    uint64_t future_held;       /* messages of the next view held until installed */
    uint64_t outbox_queued;     /* pg messages queued because a phys window was full */
    uint64_t stable_released;   /* retained messages released as stable */
    /* abcast (pg_abcast.c) */
    uint64_t abcasts;              /* accepted abcast calls (sent or held) */
    uint64_t abcast_delivered;     /* abcasts handed to the application */
    uint64_t order_records_sent;   /* ORDER records multicast (riding on data or standalone) */
    uint64_t order_carriers;       /* standalone carriers of ORDER/token records (no payload) */
    uint64_t token_passes;         /* token passes this node sent */
    uint64_t abcast_flush_ordered; /* abcasts without an order at a view change, ordered there */
    uint64_t order_delay_total_ns; /* sum over abcast deliveries: causal delivery -> application */
    uint64_t order_delay_max_ns;

    /* how long the messages counted in delayed_causal waited (arrival to delivery) */
    uint64_t delayed_causal_ns, delayed_causal_max_ns; /* total, longest */
    /* state transfer (pg_state.c) */
    uint64_t state_snapshots; /* states encoded at the install of a view adding joiners */
    uint64_t state_sent;      /* transfers sent to a joiner (provider or backup) */
    uint64_t state_chunks;    /* STATE messages sent */
    uint64_t state_received;  /* states decoded here as a joiner */
    uint64_t state_failed;    /* transfers that failed here as a joiner */

    /* causality domains and p2p (pg_domain.c) */
    uint64_t dom_delayed; /* messages (group or p2p) that waited for a cross-group timestamp */
    uint64_t dom_delayed_ns, dom_delayed_max_ns; /* how long they waited: total, longest */
    uint64_t dom_header_bytes; /* bytes of cross-group timestamps sent (DATA and p2p) */
    uint64_t installs_held;    /* view installs postponed by a pending cross-group timestamp */
    uint64_t p2p_sent, p2p_delivered;
    uint64_t p2p_dropped; /* p2p messages dropped: pending table or peer table full */
    uint64_t dom_full;    /* groups excluded because a domain's timestamp table was full */

    /* clients and diffusion (pg_client.c) */
    uint64_t client_sent;      /* client: cbcast calls accepted as a client */
    uint64_t client_resent;    /* client: messages sent again (stale view, failover, timeout) */
    uint64_t client_failovers; /* client: contact changes after a contact failure */
    uint64_t client_diff_delivered; /* client: diffusions delivered */
    uint64_t client_forwarded;      /* contact: client messages multicast on the client's behalf */
    uint64_t client_stale_rejected; /* contact: client messages with a stale view id rejected */
    uint64_t client_dup_dropped;    /* member: client message copies not delivered twice */
    uint64_t diffusions;            /* diffusion calls accepted */
    uint64_t diffusion_relayed;     /* diffusion copies sent to clients */
    uint64_t diffusion_gaps;        /* a failed-over client asked for diffusions no longer kept */
};

struct pg;

/* Upcall: a cbcast or abcast of `from` was delivered in `view_id` of `gid`.
 * `payload` is valid only during the call. */
typedef void (*pg_entry_fn)(void *ctx, pg_gid gid, uint32_t view_id, pg_node_id from,
                            const uint8_t *payload, size_t len);
/* Upcall: `view` was installed (excluded false), or this node learned it is
 * no longer a member (excluded true; `view` is the last view it installed,
 * view_id 0 if none). */
typedef void (*pg_monitor_fn)(void *ctx, const struct pg_view *view, bool excluded);
/* Upcall: a pg_flush of `gid` completed. */
typedef void (*pg_flush_fn)(void *ctx, pg_gid gid);

/* Allocates the group layer of node `self` over `ph` (both must outlive it).
 * Precondition: cfg within the caps, self != PG_NODE_NONE. NULL only if
 * allocation fails. */
struct pg *pg_new(const struct env *env, struct phys *ph, pg_node_id self,
                  const struct pg_config *cfg);
void pg_free(struct pg *pg);

/* Table 1: pg_create(view). Every initial member calls it with the same list
 * (rank order); that list is view 1. Self must be in it. View 1 is installed
 * inside this call, before pg_monitor can be registered: read it with
 * pg_getview (no monitor upcall reports it). Errors: PG_E_INVAL
 * (gid 0, n == 0 or > max_members, duplicate or NONE member, self absent),
 * PG_E_EXISTS (gid known here), PG_E_FULL (group table; or the default
 * domain's: cfg.max_domains, cfg.max_dom_records), or phys_create's. */
int pg_create(struct pg *pg, pg_gid gid, const pg_node_id *members, size_t n);

/* pg_create with clients listed in view 1 (a view names the clients too,
 * paper section 4): every initial member calls it with the same two lists. A
 * listed client still calls pg_client; its contact serves it at once, with
 * no view change to add it. For starting large groups: registering 1,000
 * clients takes view changes whose flush is O(members^2) datagrams each.
 * Errors: as pg_create, and PG_E_INVAL for more than cfg.max_clients
 * clients, or an id that is NONE or appears twice among members and clients. */
int pg_create_with_clients(struct pg *pg, pg_gid gid, const pg_node_id *members, size_t n,
                           const pg_node_id *clients, size_t n_clients);

/* Table 1: pg_add / pg_del(gid, pid, type). Asks the coordinator for a view
 * change; returns once the request is multicast. A process added as a member
 * must be waiting for the group (pg_join); a process added as a client
 * learns it when it calls pg_client. Client list changes are batched: one
 * view change applies every pending client request (and at most one member
 * request). Errors: PG_E_NOGROUP,
 * PG_E_NOTMEMBER (caller not a member; pg_del of a non-member), PG_E_EXISTS
 * (pg_add of a present pid), PG_E_CRASHED, PG_E_INVAL (type, pid NONE),
 * PG_E_FULL (request table or phys window). */
int pg_add(struct pg *pg, pg_gid gid, pg_node_id pid, enum pg_member_type type);
int pg_del(struct pg *pg, pg_gid gid, pg_node_id pid, enum pg_member_type type);

/* Asks member `contact` to add this node; the monitor upcall reports the
 * view in which it joined. To receive the group's state, register pg_state
 * right after this call (before the next input, like pg_monitor and
 * pg_entry). Errors: PG_E_INVAL (contact NONE or self), PG_E_EXISTS,
 * PG_E_FULL, or phys's. */
int pg_join(struct pg *pg, pg_gid gid, pg_node_id contact);
/* Asks the coordinator to remove this node. The view change that removes it
 * flushes v with it (protocol item 6): it delivers every message of v that
 * the survivors deliver (pg_flush first makes sure they have delivered its
 * own), then the monitor upcall reports it excluded. Errors as pg_del. */
int pg_leave(struct pg *pg, pg_gid gid);

/* Clients (paper sections 2.3 and 4: "in Isis clients identify themselves
 * through the pg client system call"; "only members need an accurate copy of
 * this list; clients cache estimates of the membership, refreshing stale
 * views as needed"). pg_client makes this node a client of `gid` through
 * member `contact` (pg_add(gid, self, PG_CLIENT) on the client's behalf):
 * the contact asks for the view change and, once the view lists the client,
 * sends it that view. The monitor upcall reports each view the client caches
 * (its members; its client list names the client alone), and excluded=true
 * when the client was removed or no member can serve it any more. Then:
 *  - cbcast from a client goes to the members: the client sends it to its
 *    contact with the view id it cached; the contact rejects a stale id and
 *    answers with its view (the client caches it and sends again), else
 *    multicasts it as a cbcast on the client's behalf, so it is delivered
 *    with the guarantees of any cbcast of the contact (virtual synchrony,
 *    causal order). The entry upcall at members names the client as `from`.
 *    The client keeps each message until the contact reports it stable
 *    (delivered by every member) or flushed by a view change. If the contact
 *    fails, the client asks the most senior member of its cached view, which
 *    waits until the failed contact is out of its view (its messages flushed)
 *    and answers with the highest client sequence number delivered; the
 *    client sends the rest again. Members also drop a second copy of a client
 *    message at delivery (client id + client sequence number).
 *  - pg_diffuse from a member reaches every member (as a cbcast) and every
 *    client: each member relays a diffusion to the clients it serves once
 *    the diffusion is stable, so a client never depends on a message some
 *    member may lack. The entry upcall at a client gives the diffusion's
 *    view and its sender.
 * A client does not call pg_flush, abcast or membership operations.
 * Errors: PG_E_INVAL (gid 0 or with bit 31, contact NONE or self),
 * PG_E_EXISTS, PG_E_FULL, or phys's. */
int pg_client(struct pg *pg, pg_gid gid, pg_node_id contact);

/* Diffusion multicast (section 2.3: "a single message is sent by a server to
 * the full set of clients and servers"). A member only; as cbcast otherwise
 * (the payload may be 1 byte shorter than a cbcast's, and a client's cbcast
 * PG_CX_HDR_MAX bytes shorter). Errors as cbcast. */
int pg_diffuse(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len, uint64_t *id,
               uint32_t *view_id);

/* Whether this node is a client of `gid` (pg_client called, not excluded). */
bool pg_is_client(const struct pg *pg, pg_gid gid);

/* Table 1: pg_monitor / pg_entry: register the upcalls of `gid` (one of
 * each; a second call replaces the first). PG_E_NOGROUP. */
int pg_monitor(struct pg *pg, pg_gid gid, pg_monitor_fn fn, void *ctx);
int pg_entry(struct pg *pg, pg_gid gid, pg_entry_fn fn, void *ctx);

/* State transfer (paper sections 2.3, 4): a process that joins gets the
 * application state from an existing member.
 *
 * Upcall `encode`: writes the application state of `gid` into buf[0..cap)
 * (cap = cfg.max_state_bytes) and returns its length, or a negative PG_E_*
 * code (PG_E_TOOBIG when it does not fit). It runs at every old member that
 * stays in the view v+1 adding a joiner, at the install of v+1: after every
 * message of v was delivered and before any message of v+1 is, so the state
 * is the one of the join instant. It must not call into pg.
 *
 * Upcall `decode`: at the joiner, with status PG_OK and the encoded state:
 * installs it and returns PG_OK (or an error code: the transfer fails). The
 * join view `view_id` is installed (monitor upcall) right after it returns
 * PG_OK; no message of view_id is delivered before. With another status the
 * transfer failed (buf NULL, len 0; information only): PG_E_TOOBIG or the
 * member's encode error, PG_E_TIMEOUT (no state for cfg.state_timeout_ns),
 * or decode's own error. The joiner then multicasts a request to remove
 * itself and is excluded (monitor upcall with excluded true). Limitation: a
 * view change already under way that counts on the joiner waits for it (it
 * answers no FLUSH); the timeout only fires after cfg.state_timeout_ns
 * without progress, by when a provider's failure was normally handled.
 *
 * Protocol: the lowest-ranked old member of v+1 (the provider) sends the
 * state to the joiner point to point, in STATE chunks of PG_STATE_CHUNK
 * bytes; the joiner holds the messages of v+1 that arrive meanwhile (the
 * future queue, cfg.max_future) and installs v+1 once it has a majority of
 * the old view's decisions and the whole state. Every old member keeps its
 * encoded snapshot until its next view install: if the provider fails
 * before the joiner is heard in v+1, the next lowest-ranked old member this
 * node still hears sends its copy (the joiner restarts from offset 0).
 *
 * Every member must register both upcalls for a group that uses it: a
 * member without encode provides nothing, a joiner without decode installs
 * at once and starts with no state. NULL upcalls unregister. Errors:
 * PG_E_NOGROUP, PG_E_CRASHED (excluded), PG_E_FULL (no memory). */
typedef int (*pg_state_encode_fn)(void *ctx, pg_gid gid, uint8_t *buf, size_t cap);
typedef int (*pg_state_decode_fn)(void *ctx, pg_gid gid, uint32_t view_id, int status,
                                  const uint8_t *buf, size_t len);
int pg_state(struct pg *pg, pg_gid gid, pg_state_encode_fn encode, pg_state_decode_fn decode,
             void *ctx);

/* Table 1: pg_getview. PG_E_NOGROUP, PG_E_NOTMEMBER (joining, no view yet),
 * PG_E_CRASHED (excluded: *view still gets the last view). */
int pg_getview(const struct pg *pg, pg_gid gid, struct pg_view *view);

/* Table 1: cbcast. Multicasts `payload` to the members of `gid` in causal
 * order; the sender delivers it before cbcast returns (unless called from an
 * upcall: right after the upcall; or unless it causally follows an abcast
 * still waiting for its position: right after that one). *cbid is a per-node message number,
 * *view_id the view in which the message is (or, held during a flush, will
 * be) multicast. Errors: PG_E_NOGROUP, PG_E_NOTMEMBER, PG_E_CRASHED,
 * PG_E_TOOBIG, PG_E_FULL (held queue, own unstable messages, phys window),
 * PG_E_BUSY (a message to another group of the domain is held for a flush:
 * see set_dflt_domain). */
int pg_cbcast(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len, uint64_t *cbid,
              uint32_t *view_id);
/* Table 1's name for pg_cbcast. */
static inline int cbcast(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len,
                         uint64_t *cbid, uint32_t *view_id)
{
    return pg_cbcast(pg, gid, payload, len, cbid, view_id);
}

/* Causal abcast (paper section 3.2: "a causal abcast protocol can be built
 * over cbcast"). Multicasts `payload` to the members of `gid`; every member
 * delivers the abcasts of one view in the same order, and that order is
 * consistent with causality across cbcast and abcast (a message is handed to
 * the application only after everything that causally precedes it).
 *
 * How: the abcast travels as a cbcast (so the pg layer receives it in causal
 * order) and waits there until its position is known. One member, the token
 * holder, decides positions: it gives the next position to each abcast as it
 * receives it (causal order, so the total order extends causality) and
 * multicasts the positions as ORDER records BY CBCAST, riding on its own next
 * message or in a standalone carrier, so every member receives the messages
 * before the record that names them. The holder's own abcasts carry their
 * own position in the message itself. Safety (rule 7 across crashes): no
 * member, the holder included, hands an abcast to its application before a
 * majority of the view delivered the record that positions it; a member that
 * delivered a record acknowledges it to the holder (a STABLE advertisement,
 * unless its own next message already carried its VT), and the holder tells
 * the view with a SAFE mark on its next message or a carrier. A view change
 * needs a majority, so some survivor holds every record that was acted on.
 * The price is a round trip: about two more hops than the record alone
 * (section 3.2's causal abcast, made uniform). The token starts at the
 * coordinator (rank 0) in every view. With cfg.abcast_token_follow, the
 * holder passes it (a TOKEN record, itself ordered by cbcast) to a member
 * whose abcasts it ordered cfg.abcast_token_streak times in a row with no
 * abcast of anyone else in between (neither its own): a sole active sender
 * gets it, several interleaved senders never build a streak (no ping-pong,
 * and at most one pass per streak-length abcasts). A non-holder's abcasts are
 * its request for the token.
 *
 * View change (section 3.1): at the install of v+1, every abcast of v still
 * without a position is ordered identically at every survivor (they hold the
 * same messages and records of v by virtual synchrony): the positioned ones
 * first, then the rest by a deterministic topological sort (causal order,
 * ties by sender rank then sequence number); all are delivered in v.
 *
 * *id is a per-node message number (shared with cbcast), *view_id the view
 * of the message (as cbcast). The sender delivers its own abcast when its
 * position is safe (never at once, even if it holds the token). Errors: PG_E_NOGROUP,
 * PG_E_NOTMEMBER, PG_E_CRASHED, PG_E_TOOBIG, PG_E_FULL (own abcasts not yet
 * delivered >= cfg.max_abcast_unordered, held queue, own unstable messages,
 * phys window). */
int pg_abcast(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len, uint64_t *id,
              uint32_t *view_id);
/* Table 1's name for pg_abcast. */
static inline int abcast(struct pg *pg, pg_gid gid, const uint8_t *payload, size_t len,
                         uint64_t *id, uint32_t *view_id)
{
    return pg_abcast(pg, gid, payload, len, id, view_id);
}

/* The member that holds the abcast token of `gid` as this node knows it
 * (PG_NODE_NONE while a pass is in flight to another member). Errors as
 * pg_getview. */
int pg_token_holder(const struct pg *pg, pg_gid gid, pg_node_id *holder);

/* The view in which the next cbcast to `gid` would be multicast (current, or
 * current + 1 during a flush), so that a caller can record its `send` event
 * before cbcast delivers the message locally. Errors as pg_getview. */
int pg_send_view(const struct pg *pg, pg_gid gid, uint32_t *view_id);

/* Table 1: pg_flush (section 3.2). Asynchronous: done_fn runs when every
 * message this node sent to gid before the call is delivered by every member
 * of its view (TRACE.md rule 8). A view change flushes them, but each member
 * delivers them at its own install: a flush that outlives a view change
 * waits for the stability of an own message of the new view (the messages
 * held during the flush, else a carrier without payload). For an abcast, "delivered"
 * means delivered causally to the pg layer: its position may still be on the
 * way (not yet: waiting for its application delivery everywhere). If nothing is outstanding it
 * runs before pg_flush returns. Errors: PG_E_NOGROUP, PG_E_NOTMEMBER,
 * PG_E_CRASHED, PG_E_BUSY (one pending), PG_E_INVAL (done_fn NULL). */
int pg_flush(struct pg *pg, pg_gid gid, pg_flush_fn done_fn, void *ctx);

/* Table 1: set_dflt_domain (paper section 4, "causality domains"). Sets the
 * default causality domain of this node and returns the previous one (0, the
 * default domain, initially). Groups created or joined afterwards belong to
 * `did` (each group has one domain for its whole life at this node; every
 * member must place it in the same domain), and so do the p2p messages sent
 * afterwards. Causality is enforced only between the groups (and p2p
 * messages) of one domain: see pg_domain.c's protocol below. */
uint32_t pg_set_dflt_domain(struct pg *pg, uint32_t did);
/* Table 1's name for pg_set_dflt_domain. */
static inline uint32_t set_dflt_domain(struct pg *pg, uint32_t did)
{
    return pg_set_dflt_domain(pg, did);
}

/* The causality domain of `gid` at this node. PG_E_NOGROUP. */
int pg_domain_of(const struct pg *pg, pg_gid gid, uint32_t *did);

/* Causality across groups and p2p messages (paper sections 3.2 and 4; the
 * multiple-group extension of [BSS91], "carry the timestamps of the other
 * groups"). Implemented in pg_domain.c.
 *
 * Knowledge. For each domain d a node keeps timestamp records: for a group G
 * of d, (G, view v, VT over the ranks of v) = the messages of G in view v
 * that are in this node's causal past within d; for a p2p message pair
 * (s -> r), the number of s's p2p messages to r in that past. For a group it
 * is a member of, the record is its own delivered VT (and own sends). A
 * delivered message merges the records it carries (a later view of a group
 * replaces an earlier one: the flush of v delivered everything of v).
 *
 * Sending. A DATA message to group B of domain d carries the records of d
 * other than B's own that changed since the sender's previous message to B
 * in the current view of B (the first of a view carries all of them): a
 * change epoch per record entry makes this O(records changed). Receivers
 * need not rebuild the full set: they delivered the sender's previous
 * message of the view first (cbcast FIFO), whose records they checked and
 * merged, and knowledge only grows. A FWD copy carries the original's
 * records. A p2p message carries every record of the sender's default
 * domain, and a sequence number per (sender, receiver).
 *
 * Delivery rule. Besides B's own VT rule, q delivers m only when every record
 * it carries about a group G of d that q is a member of is satisfied: q is in
 * a later view of G than the record's (that view's flush delivered everything
 * of the earlier one), or in the same view with VT_q(G) >= the record's
 * entries. Records about groups q is not in (or left, or is still joining),
 * or about p2p messages to other processes, impose nothing. A p2p message from
 * s is delivered in s's order and under the same rule.
 *
 * View changes. A message waiting for a record does not block forever: the
 * record is satisfied when q installs the next view of G. When q's flush of
 * G has committed (q holds every message of the view any survivor holds), an
 * entry whose next message q does not hold was lost with every process that
 * held it; a p2p entry whose sender q deems faulty, and whose message q does
 * not hold, likewise. q owes that message (TRACE.md rule 6), so the message
 * that names it can never be delivered at q: q leaves its group B as failed
 * (pg_view_exclude) rather than deliver an effect without its cause. So does
 * a record about a group q was excluded from as failed (protocol item 8),
 * and a record naming the join view (or later) of a group q is still
 * joining waits until q is a member. Conversely q postpones installing the
 * next view of B while a message of B that is otherwise deliverable waits for
 * a record (it must be delivered in B's current view, as at every member);
 * such a wait ends when G progresses, and waits cannot form a cycle since
 * causality is acyclic and a committed flush resolves its group's entries.
 *
 * Held messages. While this node holds an application message for the flush
 * of group A (it gets its place in A's next view only at the install), a
 * send of this node to another group of A's domain, or a p2p send in it,
 * could not name it in its timestamps and would overtake it: cbcast, abcast
 * and pg_p2p refuse it with PG_E_BUSY until A's view is installed. Likewise
 * while an own abcast of A (or an own message sent after one) waits here for
 * its position: the timestamps of a message to B name it at the pg layer,
 * where a member of A and B receives it before its position, and could hand
 * the message to B to its application first (the sender's own send order is
 * causal order, TRACE.md rule 6).
 *
 * Limit (the paper's stability problem, section 3.2): if every process that
 * delivered m1 in G fails before G's flush, m1 is lost; a message that
 * causally follows it in another group B is then delivered only by members
 * of B that did not owe m1, and the others leave B. pg_flush on G before
 * sending elsewhere avoids it (m1 is then stable).
 *
 * Cost: per DATA message, the changed records (a few bytes per changed entry;
 * none when the sender works in one group); per node and domain, one record
 * per known group (view-size entries) and per p2p pair, at most
 * cfg.max_dom_records: a merge that does not fit excludes the group whose
 * message brought it (counted in dom_full). */

/* Upcall: a p2p message of `from` in causality domain `domain`. */
typedef void (*pg_p2p_fn)(void *ctx, pg_node_id from, uint32_t domain, const uint8_t *payload,
                          size_t len);

/* Registers the p2p upcall of this node (one; a second call replaces it). */
void pg_p2p_entry(struct pg *pg, pg_p2p_fn fn, void *ctx);

/* A point-to-point cbcast (paper section 3.2, "a point-to-point cbcast")
 * to `to`, in this node's default domain: `to` delivers it after everything
 * of that domain that causally precedes it, and it causally precedes what
 * this node sends afterwards in that domain. It travels on the link channel
 * of a group of which both are members (any domain). *id as cbcast. Errors:
 * PG_E_INVAL (to NONE or self), PG_E_NOTMEMBER (no group shared with `to`),
 * PG_E_TOOBIG (payload plus timestamps), PG_E_FULL (peer table, phys
 * window), PG_E_SUSPECTED, PG_E_BUSY (as cbcast). */
int pg_p2p(struct pg *pg, pg_node_id to, const uint8_t *payload, size_t len, uint64_t *id);

/* Input: timer slot PG_TIMER_PG fired. */
void pg_on_timer(struct pg *pg);

/* Queries. */
const struct pg_stats *pg_stats(const struct pg *pg);
/* Messages retained (unstable or not yet deliverable) over all groups. */
size_t pg_retained(const struct pg *pg);
/* True if this node was excluded from `gid` (or left it). */
bool pg_excluded(const struct pg *pg, pg_gid gid);

/* ---- codec, exposed for the fuzz target and tests ---- */

enum pg_msg_type {
    PG_MT_DATA = 1,     /* cbcast: sender rank, compressed VT, payload */
    PG_MT_FWD = 2,      /* a copy forwarded during a flush: original sender, full VT */
    PG_MT_STABLE = 3,   /* delivered vector (to the coordinator), or stable vector (from it) */
    PG_MT_FLUSH = 4,    /* coordinator: attempt, proposal */
    PG_MT_FLUSH_OK = 5, /* member: attempt, members it stopped hearing */
    PG_MT_ACK = 6,      /* decision: attempt, proposal, old view size, full flag */
    PG_MT_NEED = 7,     /* a member has no decision yet or lacks messages */
    PG_MT_REQ = 8,      /* a membership request (join, leave, add, del) */
    PG_MT_STATE = 9,    /* state transfer to a joiner: status, total, offset, chunk */
    PG_MT_P2P = 10,     /* a p2p cbcast: domain, sequence number, timestamps, payload */
    /* between a member and a client (phys group gid | PG_CL_PHYS_BIT) */
    PG_MT_CVIEW = 11,  /* member -> client: a view's members, with enum pg_cv_flag */
    PG_MT_CACK = 12,   /* member -> client: client messages up to cseq are safe */
    PG_MT_CMSG = 13,   /* client -> contact: a client message (cached view id, cseq) */
    PG_MT_CHELLO = 14, /* client -> new contact: failed contact, oldest unacked view,
                          view of the last diffusion delivered */
    PG_MT_CDIFF = 15,  /* member -> client: a diffusion (its view, sender rank/id, seq) */
    PG_MT_OUT = 16,    /* member of view v -> a process v removed as failed: it is out */
};

/* Phys gid of the channels between the members and the clients of group
 * gid: gid | PG_CL_PHYS_BIT (a pg gid never has that bit). */
#define PG_CL_PHYS_BIT 0x80000000u

/* CVIEW flags. */
enum pg_cv_flag {
    PG_CV_CONTACT = 1,  /* the sender serves this client from now on */
    PG_CV_STALE = 2,    /* a client message with an older view id was rejected: send again */
    PG_CV_GONE = 4,     /* the client is not in this view's client list */
    PG_CV_REDIRECT = 8, /* ask another member (this one cannot serve the client) */
    PG_CV_ALL = 15,
};

enum pg_req_op {
    PG_REQ_ADD_MEMBER = 1,
    PG_REQ_DEL_MEMBER = 2,
    PG_REQ_ADD_CLIENT = 3,
    PG_REQ_DEL_CLIENT = 4,
    PG_REQ_FAILED = 5, /* pid failed: the sender stopped hearing it, or (pid = sender) is out */
};

/* The abcast extension of a DATA or FWD message (pg_wmsg.ab). */
enum pg_ab_flag {
    PG_AB_ABCAST = 1, /* the payload is an abcast */
    PG_AB_NOAPP = 2,  /* no application payload: a carrier of ORDER/TOKEN records */
    PG_AB_ORDER = 4,  /* an ORDER record: positions ord_start.. for (ord_rank, ord_seq) */
    PG_AB_TOKEN = 8,  /* a token pass to rank token_to, after the ORDER record if any */
    PG_AB_CX = 16,    /* a plain cbcast whose payload starts with a pg_client header
                         (a diffusion, or a client message forwarded by its contact) */
    PG_AB_SAFE = 32,  /* from the holder: positions up to safe_pos are safe (pg_abcast.c) */
    PG_AB_ALL = 63,
};

/* A decoded pg message. Arrays point into `entries` etc.; payload points into
 * the decoded buffer. */
struct pg_wmsg {
    enum pg_msg_type type;
    uint32_t view_id;
    uint8_t rank; /* DATA/FWD: sender rank; FLUSH/FLUSH_OK/ACK/NEED: coordinator rank */
    uint32_t attempt;
    uint32_t n_vt; /* DATA: compressed entries; FWD/STABLE: full vector length */
    uint8_t vt_rank[PG_MAX_MEMBERS_CAP];
    uint32_t vt[PG_MAX_MEMBERS_CAP];
    struct pg_rset mask; /* FLUSH_OK: ranks the sender stopped hearing */
    uint8_t full;        /* ACK: 1 full, 2 installed (pg_view.c enum ack_full); STABLE: 1 = the
                            coordinator's stable vector */
    uint16_t n_old;      /* ACK: size of view v */
    uint8_t op;          /* REQ */
    pg_node_id pid;      /* REQ; FLUSH/ACK: the member removed at its request (NONE: none) */
    uint32_t n_members;
    pg_node_id members[PG_MAX_MEMBERS_CAP];
    uint32_t n_clients;
    pg_node_id clients[PG_MAX_CLIENTS_CAP];
    const uint8_t *payload;
    size_t len;
    /* DATA/FWD: abcast extension (enum pg_ab_flag; 0 for a plain cbcast) */
    uint8_t ab;
    uint32_t token_to;  /* PG_AB_TOKEN */
    uint32_t safe_pos;  /* PG_AB_SAFE (>= 1) */
    uint32_t ord_start; /* PG_AB_ORDER: position of the first entry (>= 1) */
    uint32_t n_ord;     /* PG_AB_ORDER: 1..PG_ORDER_MAX */
    uint8_t ord_rank[PG_ORDER_MAX];
    uint32_t ord_seq[PG_ORDER_MAX];
    /* STATE: status (0, or a negated PG_E_* code of the provider), total state
     * bytes, offset of this chunk (payload, len) */
    uint8_t st_status;
    uint32_t st_total, st_off;
    /* DATA/FWD/P2P: cross-group timestamp records (pg_domain.c's format), may be empty */
    const uint8_t *dep;
    size_t dep_len;
    uint32_t p2p_domain, p2p_seq; /* P2P */
    /* client messages (PG_MT_CVIEW .. PG_MT_CDIFF) */
    uint8_t cflags; /* CVIEW: enum pg_cv_flag; CACK: 1 = answers a CHELLO */
    uint32_t cseq;  /* CACK, CMSG: client sequence number; CDIFF: the diffusion's seq */
    uint32_t vmin;  /* CHELLO: view id of the oldest unacked client message (0: none) */
    uint32_t dview; /* CHELLO: view of the last diffusion the client delivered (0: none) */
};

/* Encodes `m` into buf[0..cap). Returns the length, or 0 if it does not fit.
 * Precondition: m well-formed (asserted). */
size_t pg_encode(const struct pg_wmsg *m, uint8_t *buf, size_t cap);
/* Decodes buf[0..len) into *m. PG_OK or PG_E_MALFORMED (never reads past len). */
int pg_decode(const uint8_t *buf, size_t len, struct pg_wmsg *m);
/* Whether dep[0..len) is a well-formed list of timestamp records (pg_domain.c):
 * varint count, then per record u8 kind: 1 group (varint gid, varint view,
 * varint n, n x (u8 rank, varint value > 0), ranks ascending), 2 p2p
 * (varint sender, varint receiver, varint seq > 0). Empty is valid. */
bool pg_dom_valid(const uint8_t *dep, size_t len);

#endif
