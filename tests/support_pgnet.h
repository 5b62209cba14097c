/* tests/support_pgnet.h: process groups over the fake network, for tests.
 *
 * Owns: access to each fakenet node's group layer (pg_node_pg), a record of every application-level
 * event (start, crash, send, deliver, view, excluded, flush call/done) in one global order, and
 * their judgement by checkers/ (pgnet_judge: the records become checkers/TRACE.md events fed to
 * chk_feed; the rules live in checkers/ alone). A message is named by the 8-byte tag its payload
 * starts with.
 */
#ifndef PG_SUPPORT_PGNET_H
#define PG_SUPPORT_PGNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg.h"
#include "support_fakenet.h"

#define PGNET_MAX_RECS (1u << 17)
#define PGNET_MAX_GID  1024u /* gids a test uses: 1..PGNET_MAX_GID-1 */

enum pgnet_kind {
    PGNET_SEND,
    PGNET_DELIVER,
    PGNET_VIEW,
    PGNET_EXCLUDED,
    PGNET_FLUSH_CALL,
    PGNET_FLUSH_DONE,
    PGNET_CRASH,
    PGNET_START, /* an incarnation starts (pgnet_new, pgnet_restart) */
};

struct pgnet_rec {
    enum pgnet_kind kind;
    int64_t t_ns;    /* the fake network's clock */
    pg_node_id node; /* incarnation */
    pg_gid gid;
    uint32_t view;
    uint64_t tag;       /* SEND/DELIVER */
    bool abcast;        /* SEND: an abcast (else a cbcast) */
    bool diffusion;     /* SEND: a diffusion (pg_diffuse) */
    bool client;        /* SEND by a client; VIEW cached by a client (it is not a member) */
    pg_node_id from;    /* DELIVER */
    uint32_t n_clients; /* VIEW: its client list, at clients_at in the network's pool */
    uint32_t clients_at;
    uint32_t n_members;
    pg_node_id members[PG_MAX_MEMBERS_CAP];
};

struct pgnet;

/* Delivery hook (after recording): e.g. to cbcast a reply from the upcall. */
typedef void (*pgnet_deliver_hook)(void *ctx, struct pgnet *pn, unsigned node, pg_gid gid,
                                   uint64_t tag, pg_node_id from);

/* n nodes, default phys and pg configurations (or `pcfg`, NULL for default). */
struct pgnet *pgnet_new(unsigned n, uint64_t seed, const struct pg_config *pcfg);
void pgnet_free(struct pgnet *pn);

struct fakenet *pgnet_fakenet(struct pgnet *pn);
struct pg *pgnet_pg(struct pgnet *pn, unsigned i);
pg_node_id pgnet_id(struct pgnet *pn, unsigned i);
void pgnet_set_hook(struct pgnet *pn, pgnet_deliver_hook hook, void *ctx);

/* Runs the network and pg timers until t_ns (absolute) / for dt_ns. */
void pgnet_run_until(struct pgnet *pn, int64_t t_ns);
void pgnet_run_for(struct pgnet *pn, int64_t dt_ns);
int64_t pgnet_now(struct pgnet *pn);

/* pg_create(gid, ids of idx[0..k)) at each of those nodes, with recording upcalls. */
int pgnet_create(struct pgnet *pn, pg_gid gid, const unsigned *idx, size_t k);
/* pgnet_create with the nodes cidx[0..kc) listed as clients in view 1
 * (pg_create_with_clients); they still call pgnet_client. */
int pgnet_create_with_clients(struct pgnet *pn, pg_gid gid, const unsigned *idx, size_t k,
                              const unsigned *cidx, size_t kc);
/* Registers the recording upcalls at node i for gid (after pg_join). */
int pgnet_record(struct pgnet *pn, unsigned i, pg_gid gid);
/* cbcast of a fresh tag (len >= 8 bytes of payload) from node i; records the
 * send. Returns cbcast's code; *tag gets the tag (may be NULL). */
int pgnet_cbcast(struct pgnet *pn, unsigned i, pg_gid gid, size_t len, uint64_t *tag);
/* The same with abcast. */
int pgnet_abcast(struct pgnet *pn, unsigned i, pg_gid gid, size_t len, uint64_t *tag);
/* The same with pg_diffuse. */
int pgnet_diffuse(struct pgnet *pn, unsigned i, pg_gid gid, size_t len, uint64_t *tag);
/* pg_client(gid, contact = node `contact`) at node i, with recording upcalls.
 * A client's pgnet_cbcast is a client multicast. */
int pgnet_client(struct pgnet *pn, unsigned i, pg_gid gid, unsigned contact);
/* pg_flush from node i, recording flush_call and flush_done. */
int pgnet_flush(struct pgnet *pn, unsigned i, pg_gid gid);
size_t pgnet_flush_done_count(struct pgnet *pn, unsigned i);

void pgnet_crash(struct pgnet *pn, unsigned i);
/* A new incarnation at slot i with a fresh pg (no groups). Returns its id. */
pg_node_id pgnet_restart(struct pgnet *pn, unsigned i);

const struct pgnet_rec *pgnet_recs(struct pgnet *pn, size_t *n);
/* Counts records of `kind` at incarnation `node` (PG_NODE_NONE: any) in gid. */
size_t pgnet_count(struct pgnet *pn, enum pgnet_kind kind, pg_node_id node, pg_gid gid);
/* The last view recorded at node i for gid (view id 0 if none). */
uint32_t pgnet_last_view(struct pgnet *pn, unsigned i, pg_gid gid, struct pgnet_rec *out);
bool pgnet_delivered(struct pgnet *pn, pg_node_id node, pg_gid gid, uint64_t tag);

/* Judges every record with checkers/ (chk_feed, then chk_finish): incarnation
 * ids are nodes "nID", gids groups "gGID" (each in the domain "dDID" it was
 * created in), a tag is msg "nID/SEQ". With `quiet`, rule 10 (liveness) too,
 * from the last record on. Returns true if every rule holds; else writes the
 * first failed rule and its violation to why[0..cap). Every group is judged,
 * every rule of checkers/ (TRACE.md rules 1-10 and fifo). */
bool pgnet_judge(struct pgnet *pn, bool quiet, char *why, size_t cap);

#endif
