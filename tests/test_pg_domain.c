/* tests/test_pg_domain.c: causality across groups, causality domains and p2p
 * cbcast (core/group/pg_domain.c; set_dflt_domain in core/include/group/pg.h) on the fake
 * network.
 *
 * Chains are built with a delivery hook that relays: when node i delivers a
 * message of group A from another node, it cbcasts in group B. The order of
 * deliveries is read from the pgnet records (one global order); each group
 * is also judged by checkers/ (support_pgnet.c pgnet_judge).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pg.h"
#include "phys.h"
#include "support_fakenet.h"
#include "support_pgnet.h"

#define MS 1000000LL

/* A relay: node `at` delivering in `from` sends in `to`. */
struct relay {
    unsigned at;
    pg_gid from, to;
};

struct chain {
    const struct relay *r;
    size_t n;
    uint64_t tags[16]; /* tags the relays sent, in order */
    size_t n_tags;
};

static void relay_hook(void *ctx, struct pgnet *pn, unsigned node, pg_gid gid, uint64_t tag,
                       pg_node_id from)
{
    (void)tag;
    struct chain *c = ctx;
    if (from == pgnet_id(pn, node))
        return;
    for (size_t i = 0; i < c->n; i++) {
        if (c->r[i].at != node || c->r[i].from != gid)
            continue;
        uint64_t t;
        assert_int_equal(pgnet_cbcast(pn, node, c->r[i].to, 16, &t), PG_OK);
        assert_true(c->n_tags < 16);
        c->tags[c->n_tags++] = t;
    }
}

/* Index of node's delivery of tag in the records, or -1. */
static long deliver_at(struct pgnet *pn, pg_node_id node, uint64_t tag)
{
    size_t n;
    const struct pgnet_rec *r = pgnet_recs(pn, &n);
    for (size_t i = 0; i < n; i++)
        if (r[i].kind == PGNET_DELIVER && r[i].node == node && r[i].tag == tag)
            return (long)i;
    return -1;
}

static void check_group(struct pgnet *pn, pg_gid gid, bool quiet)
{
    char why[256];
    bool ok = pgnet_judge(pn, quiet, why, sizeof why);
    if (!ok)
        print_error("group %u: %s\n", gid, why);
    assert_true(ok);
}

/* Creates gid over nodes idx[0..k) in domain did (set_dflt_domain at each). */
static void create_in(struct pgnet *pn, pg_gid gid, const unsigned *idx, size_t k, uint32_t did)
{
    for (size_t i = 0; i < k; i++)
        (void)set_dflt_domain(pgnet_pg(pn, idx[i]), did);
    assert_int_equal(pgnet_create(pn, gid, idx, k), PG_OK);
    for (size_t i = 0; i < k; i++) {
        uint32_t d = 99;
        assert_int_equal(pg_domain_of(pgnet_pg(pn, idx[i]), gid, &d), PG_OK);
        assert_int_equal(d, did);
    }
}

/* The paper's Figure 4: m1 in g1 (by node 1) relayed through g2..g5 by
 * nodes outside g1, back to node 0 in g6. dom6: g6's domain. */
static const struct relay fig4_relays[] = {
    {2, 1, 2}, {3, 2, 3}, {4, 3, 4}, {5, 4, 5}, {6, 5, 6},
};

static struct pgnet *fig4(uint64_t seed, uint32_t dom6, struct chain *c, uint64_t *m1)
{
    struct pgnet *pn = pgnet_new(7, seed, NULL);
    static const unsigned g1[] = {0, 1, 2}, g2[] = {2, 3}, g3[] = {3, 4}, g4[] = {4, 5},
                          g5[] = {5, 6}, g6[] = {6, 0};
    create_in(pn, 1, g1, 3, 0);
    create_in(pn, 2, g2, 2, 0);
    create_in(pn, 3, g3, 2, 0);
    create_in(pn, 4, g4, 2, 0);
    create_in(pn, 5, g5, 2, 0);
    create_in(pn, 6, g6, 2, dom6);
    *c = (struct chain){.r = fig4_relays, .n = 5};
    pgnet_set_hook(pn, relay_hook, c);
    /* adversarial latencies: m1 is slow to node 0, the chain is fast */
    fakenet_set_latency(pgnet_fakenet(pn), 1, 0, 40 * MS);
    assert_int_equal(pgnet_cbcast(pn, 1, 1, 16, m1), PG_OK);
    pgnet_run_for(pn, 200 * MS);
    return pn;
}

static void test_fig4_chain_delayed(void **state)
{
    (void)state;
    struct chain c;
    uint64_t m1;
    struct pgnet *pn = fig4(1, 0, &c, &m1);
    assert_int_equal(c.n_tags, 5); /* m2..m6 */
    uint64_t m6 = c.tags[4];
    pg_node_id p0 = pgnet_id(pn, 0);
    long d1 = deliver_at(pn, p0, m1), d6 = deliver_at(pn, p0, m6);
    assert_true(d1 >= 0 && d6 >= 0);
    assert_true(d1 < d6); /* m1 before m6 at node 0 (section 4) */
    const struct pg_stats *st = pg_stats(pgnet_pg(pn, 0));
    assert_true(st->dom_delayed >= 1); /* m6 arrived first and waited */
    assert_true(st->dom_delayed_max_ns > 30 * MS);
    /* nodes 3..6 never were in g1, yet carried its timestamp */
    assert_true(pg_stats(pgnet_pg(pn, 4))->dom_header_bytes > 0);
    for (pg_gid g = 1; g <= 6; g++)
        check_group(pn, g, true);
    pgnet_free(pn);
}

/* The same chain with g6 in another domain: nothing orders m6 after m1. */
static void test_domains_independent(void **state)
{
    (void)state;
    struct chain c;
    uint64_t m1;
    struct pgnet *pn = fig4(1, 5, &c, &m1);
    assert_int_equal(c.n_tags, 5);
    pg_node_id p0 = pgnet_id(pn, 0);
    long d1 = deliver_at(pn, p0, m1), d6 = deliver_at(pn, p0, c.tags[4]);
    assert_true(d1 >= 0 && d6 >= 0);
    assert_true(d6 < d1); /* m6 was not held back for m1 */
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->dom_delayed, 0);
    /* g5's senders carry no record of domain 0 into g6 (domain 5) */
    assert_int_equal(pg_stats(pgnet_pg(pn, 6))->dom_header_bytes, 0);
    pgnet_free(pn);
}

/* ---- p2p ---- */

struct p2p_log {
    struct pgnet *pn;
    unsigned node;
    size_t group_deliveries_seen[8]; /* node's deliveries in gid when each p2p arrived */
    size_t n;
    pg_gid gid;
};

static void p2p_record(void *ctx, pg_node_id from, uint32_t domain, const uint8_t *payload,
                       size_t len)
{
    (void)from, (void)domain, (void)payload, (void)len;
    struct p2p_log *l = ctx;
    assert_true(l->n < 8);
    l->group_deliveries_seen[l->n++] =
        pgnet_count(l->pn, PGNET_DELIVER, pgnet_id(l->pn, l->node), l->gid);
}

/* m1 (g1, node 0) -> node 2 delivers it -> p2p from node 2 to node 1, whose
 * link from node 0 is slow: node 1 delivers the p2p only after m1. */
static void test_p2p_after_group_message(void **state)
{
    (void)state;
    struct pgnet *pn = pgnet_new(3, 2, NULL);
    static const unsigned all[] = {0, 1, 2};
    create_in(pn, 1, all, 3, 0);
    fakenet_set_latency(pgnet_fakenet(pn), 0, 1, 30 * MS);
    struct p2p_log log = {.pn = pn, .node = 1, .gid = 1};
    pg_p2p_entry(pgnet_pg(pn, 1), p2p_record, &log);
    assert_int_equal(pgnet_cbcast(pn, 0, 1, 16, NULL), PG_OK);
    pgnet_run_for(pn, 2 * MS); /* node 2 delivered m1, node 1 not yet */
    assert_int_equal(pgnet_count(pn, PGNET_DELIVER, pgnet_id(pn, 1), 1), 0);
    uint64_t id = 0;
    const uint8_t msg[4] = {1, 2, 3, 4};
    assert_int_equal(pg_p2p(pgnet_pg(pn, 2), pgnet_id(pn, 1), msg, sizeof msg, &id), PG_OK);
    assert_true(id > 0);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.group_deliveries_seen[0], 1); /* m1 was delivered first */
    const struct pg_stats *st = pg_stats(pgnet_pg(pn, 1));
    assert_int_equal(st->p2p_delivered, 1);
    assert_true(st->dom_delayed >= 1);
    assert_int_equal(pg_stats(pgnet_pg(pn, 2))->p2p_sent, 1);
    check_group(pn, 1, true);
    pgnet_free(pn);
}

/* A p2p message precedes a group message: node 0 sends p2p to node 1 (slow
 * link), then cbcasts m2 in g2 = {0, 2}; node 2 relays it into g3 = {2, 1}.
 * Node 1 must deliver the p2p before the relayed message. */
static void test_p2p_before_group_message(void **state)
{
    (void)state;
    struct pgnet *pn = pgnet_new(3, 3, NULL);
    static const unsigned g1[] = {0, 1}, g2[] = {0, 2}, g3[] = {2, 1};
    create_in(pn, 1, g1, 2, 0); /* the p2p carrier */
    create_in(pn, 2, g2, 2, 0);
    create_in(pn, 3, g3, 2, 0);
    static const struct relay r[] = {{2, 2, 3}};
    struct chain c = {.r = r, .n = 1};
    pgnet_set_hook(pn, relay_hook, &c);
    fakenet_set_latency(pgnet_fakenet(pn), 0, 1, 30 * MS);
    struct p2p_log log = {.pn = pn, .node = 1, .gid = 3};
    pg_p2p_entry(pgnet_pg(pn, 1), p2p_record, &log);
    const uint8_t msg[4] = {9, 9, 9, 9};
    assert_int_equal(pg_p2p(pgnet_pg(pn, 0), pgnet_id(pn, 1), msg, sizeof msg, NULL), PG_OK);
    assert_int_equal(pgnet_cbcast(pn, 0, 2, 16, NULL), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(c.n_tags, 1);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.group_deliveries_seen[0], 0); /* the p2p came before g3's message */
    assert_int_equal(pgnet_count(pn, PGNET_DELIVER, pgnet_id(pn, 1), 3), 1);
    assert_true(pg_stats(pgnet_pg(pn, 1))->dom_delayed >= 1); /* g3's message waited */
    pgnet_free(pn);
}

/* p2p upcalls at one node: the first payload byte of each, in order, and
 * how many messages of group `gid` the node had delivered by then. */
struct p2p_seen {
    struct pgnet *pn;
    unsigned node;
    pg_gid gid;
    uint8_t first[8];
    size_t group_seen[8];
    size_t n;
};

static void p2p_seen_record(void *ctx, pg_node_id from, uint32_t domain, const uint8_t *payload,
                            size_t len)
{
    (void)from, (void)domain;
    struct p2p_seen *l = ctx;
    assert_true(l->n < 8 && len > 0);
    l->first[l->n] = payload[0];
    l->group_seen[l->n++] = pgnet_count(l->pn, PGNET_DELIVER, pgnet_id(l->pn, l->node), l->gid);
}

/* Two p2p messages from node 2 to node 1: A (domain 0) names m1 of g1,
 * which node 1 has not got yet (slow link from node 0), so A waits for a
 * cross-group timestamp; B (domain 5, sent after A) names nothing of domain
 * 0 and is ready by its records when it arrives. p2p messages of one sender
 * are delivered in its order (pg.h: "a p2p message from s is delivered in
 * s's order"): B waits behind A, and both come after m1. */
static void test_p2p_later_ready_waits_for_earlier(void **state)
{
    (void)state;
    struct pgnet *pn = pgnet_new(3, 8, NULL);
    static const unsigned all[] = {0, 1, 2};
    create_in(pn, 1, all, 3, 0);
    fakenet_set_latency(pgnet_fakenet(pn), 0, 1, 30 * MS);
    struct p2p_seen log = {.pn = pn, .node = 1, .gid = 1};
    pg_p2p_entry(pgnet_pg(pn, 1), p2p_seen_record, &log);
    uint64_t m1;
    assert_int_equal(pgnet_cbcast(pn, 0, 1, 16, &m1), PG_OK);
    pgnet_run_for(pn, 2 * MS); /* node 2 delivered m1, node 1 not yet */
    assert_true(pgnet_delivered(pn, pgnet_id(pn, 2), 1, m1));
    assert_false(pgnet_delivered(pn, pgnet_id(pn, 1), 1, m1));
    struct pg *p2 = pgnet_pg(pn, 2);
    const uint8_t a = 'A', b = 'B';
    assert_int_equal(pg_p2p(p2, pgnet_id(pn, 1), &a, 1, NULL), PG_OK);
    assert_int_equal(set_dflt_domain(p2, 5), 0);
    assert_int_equal(pg_p2p(p2, pgnet_id(pn, 1), &b, 1, NULL), PG_OK);
    pgnet_run_for(pn, 5 * MS); /* both arrived; A waits for m1, B for A */
    assert_int_equal(log.n, 0);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(log.n, 2);
    assert_int_equal(log.first[0], 'A');
    assert_int_equal(log.first[1], 'B');
    assert_int_equal(log.group_seen[0], 1); /* m1 first */
    const struct pg_stats *st = pg_stats(pgnet_pg(pn, 1));
    assert_int_equal(st->p2p_delivered, 2);
    assert_true(st->dom_delayed >= 1);
    check_group(pn, 1, true);
    pgnet_free(pn);
}

/* ---- view changes of a foreign group ---- */

/* g1 = {0, 1, 2}, g2 = {2, 3}, g3 = {3, 0}. Node 1's m1 never reaches node 0
 * directly (cut) and node 1 crashes; m3 (g3) waits at node 0 for m1. The
 * view change of g1 (a foreign group for g3) forwards m1 from node 2: node 0
 * delivers m1 in view 1, then m3. Nothing waits forever. */
static void test_foreign_view_change_releases(void **state)
{
    (void)state;
    struct pgnet *pn = pgnet_new(4, 4, NULL);
    static const unsigned g1[] = {0, 1, 2}, g2[] = {2, 3}, g3[] = {3, 0};
    create_in(pn, 1, g1, 3, 0);
    create_in(pn, 2, g2, 2, 0);
    create_in(pn, 3, g3, 2, 0);
    static const struct relay r[] = {{2, 1, 2}, {3, 2, 3}};
    struct chain c = {.r = r, .n = 2};
    pgnet_set_hook(pn, relay_hook, &c);
    fakenet_cut(pgnet_fakenet(pn), 1, 0, true);
    uint64_t m1;
    assert_int_equal(pgnet_cbcast(pn, 1, 1, 16, &m1), PG_OK);
    pgnet_run_for(pn, 10 * MS);
    assert_int_equal(c.n_tags, 2);
    pg_node_id p0 = pgnet_id(pn, 0);
    assert_true(deliver_at(pn, p0, c.tags[1]) < 0); /* m3 waits */
    pgnet_crash(pn, 1);
    pgnet_run_for(pn, 5000 * MS);
    long d1 = deliver_at(pn, p0, m1), d3 = deliver_at(pn, p0, c.tags[1]);
    assert_true(d1 >= 0 && d3 >= 0 && d1 < d3);
    struct pg_view v;
    assert_int_equal(pg_getview(pgnet_pg(pn, 0), 1, &v), PG_OK);
    assert_int_equal(v.view_id, 2);
    assert_true(pg_stats(pgnet_pg(pn, 0))->dom_delayed >= 1);
    for (pg_gid g = 1; g <= 3; g++)
        check_group(pn, g, true);
    pgnet_free(pn);
}

/* A view change of g1 = {0, 1, 2} (node 2 leaves) while mA, a message of
 * g1, waits at node 0 for the record of a slow group g2 = {3, 1, 0}: node 3's
 * m2 reaches node 1 at once (node 1 relays mA after it) but node 0 only 200
 * ms later. The others deliver mA in view 1 of g1; so must node 0 (rule 4):
 * it commits but postpones its install until m2 arrives, delivers mA in view
 * 1, then installs view 2 (pg.h: "q postpones installing the next view of
 * B while a message of B that is otherwise deliverable waits for a
 * record"). */
static void test_install_waits_for_slow_group(void **state)
{
    (void)state;
    struct pgnet *pn = pgnet_new(4, 9, NULL);
    static const unsigned g1[] = {0, 1, 2}, g2[] = {3, 1, 0};
    create_in(pn, 1, g1, 3, 0);
    create_in(pn, 2, g2, 3, 0);
    static const struct relay r[] = {{1, 2, 1}};
    struct chain c = {.r = r, .n = 1};
    pgnet_set_hook(pn, relay_hook, &c);
    fakenet_set_latency(pgnet_fakenet(pn), 3, 0, 200 * MS);
    uint64_t m2;
    assert_int_equal(pgnet_cbcast(pn, 3, 2, 16, &m2), PG_OK);
    pgnet_run_for(pn, 1 * MS);
    assert_int_equal(c.n_tags, 1);
    uint64_t ma = c.tags[0];
    pg_node_id p0 = pgnet_id(pn, 0);
    assert_true(deliver_at(pn, pgnet_id(pn, 2), ma) >= 0);
    assert_true(deliver_at(pn, p0, ma) < 0); /* waits for m2 */
    assert_int_equal(pg_leave(pgnet_pg(pn, 2), 1), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    struct pg_view v;
    assert_int_equal(pg_getview(pgnet_pg(pn, 1), 1, &v), PG_OK);
    assert_int_equal(v.view_id, 2); /* the others installed */
    assert_int_equal(pg_getview(pgnet_pg(pn, 0), 1, &v), PG_OK);
    assert_int_equal(v.view_id, 1); /* node 0 holds its install */
    assert_true(pg_stats(pgnet_pg(pn, 0))->installs_held >= 1);
    pgnet_run_for(pn, 300 * MS);
    long d2 = deliver_at(pn, p0, m2), da = deliver_at(pn, p0, ma);
    assert_true(d2 >= 0 && da > d2);
    size_t n;
    const struct pgnet_rec *recs = pgnet_recs(pn, &n);
    assert_int_equal(recs[da].view, 1);
    assert_int_equal(pg_getview(pgnet_pg(pn, 0), 1, &v), PG_OK);
    assert_int_equal(v.view_id, 2);
    assert_int_equal(v.n_members, 2);
    check_group(pn, 1, true);
    check_group(pn, 2, true);
    pgnet_free(pn);
}

/* The paper's stability limit: every holder of m1 fails before g1's flush
 * (node 1 sent it, node 2 delivered and relayed it). g1's survivors never
 * deliver m1. Node 0, a member of m1's view, owes m1 (TRACE.md rule 6), so
 * it can never deliver m3, which waited for it: once its flush of g1 has
 * committed without m1 (the entry is lost), it leaves g3 as failed instead
 * of delivering m3 without its cause, and stays in g1. */
static void test_lost_predecessor_excludes(void **state)
{
    (void)state;
    struct pgnet *pn = pgnet_new(6, 5, NULL);
    static const unsigned g1[] = {0, 1, 2, 4, 5}, g2[] = {2, 3}, g3[] = {3, 0};
    create_in(pn, 1, g1, 5, 0);
    create_in(pn, 2, g2, 2, 0);
    create_in(pn, 3, g3, 2, 0);
    static const struct relay r[] = {{2, 1, 2}, {3, 2, 3}};
    struct chain c = {.r = r, .n = 2};
    pgnet_set_hook(pn, relay_hook, &c);
    struct fakenet *fn = pgnet_fakenet(pn);
    fakenet_cut(fn, 1, 0, true);
    fakenet_cut(fn, 1, 4, true);
    fakenet_cut(fn, 1, 5, true);
    fakenet_cut(fn, 2, 0, true); /* node 2 cannot forward m1 to node 0 ... */
    fakenet_cut(fn, 2, 4, true);
    fakenet_cut(fn, 2, 5, true);
    uint64_t m1;
    assert_int_equal(pgnet_cbcast(pn, 1, 1, 16, &m1), PG_OK);
    pgnet_run_for(pn, 10 * MS);
    assert_int_equal(c.n_tags, 2);
    pgnet_crash(pn, 1); /* ... and both holders fail */
    pgnet_crash(pn, 2);
    pgnet_run_for(pn, 5000 * MS);
    pg_node_id p0 = pgnet_id(pn, 0);
    assert_true(deliver_at(pn, p0, m1) < 0);
    assert_true(deliver_at(pn, p0, c.tags[1]) < 0); /* never without its cause */
    assert_true(pg_excluded(pgnet_pg(pn, 0), 3));
    struct pg_view v;
    assert_int_equal(pg_getview(pgnet_pg(pn, 0), 1, &v), PG_OK);
    assert_true(v.view_id >= 2);
    check_group(pn, 1, true);
    pgnet_free(pn);
}

/* ---- limits ---- */

static void test_limits(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_domains = 2;
    cfg.max_dom_records = 2;
    cfg.max_p2p_peers = 1;
    struct pgnet *pn = pgnet_new(3, 6, &cfg);
    struct pg *p0 = pgnet_pg(pn, 0);
    pg_node_id self = pgnet_id(pn, 0), n1 = pgnet_id(pn, 1), n2 = pgnet_id(pn, 2);
    pg_node_id ids[3] = {self, n1, n2};
    assert_int_equal(set_dflt_domain(p0, 1), 0);
    assert_int_equal(pg_create(p0, 1, ids, 3), PG_OK);
    assert_int_equal(pg_create(p0, 2, ids, 3), PG_OK);
    assert_int_equal(pg_create(p0, 3, ids, 3), PG_E_FULL); /* domain 1 holds 2 records */
    assert_int_equal(set_dflt_domain(p0, 2), 1);
    assert_int_equal(pg_create(p0, 3, ids, 3), PG_OK);
    (void)set_dflt_domain(p0, 0);
    assert_int_equal(pg_create(p0, 4, ids, 3), PG_E_FULL); /* 2 domains known: 1 and 2 */
    uint32_t d;
    assert_int_equal(pg_domain_of(p0, 99, &d), PG_E_NOGROUP);
    const uint8_t b[2] = {0};
    assert_int_equal(pg_p2p(p0, self, b, 2, NULL), PG_E_INVAL);
    assert_int_equal(pg_p2p(p0, PG_NODE_NONE, b, 2, NULL), PG_E_INVAL);
    assert_int_equal(pg_p2p(p0, 777, b, 2, NULL), PG_E_NOTMEMBER); /* shares no group */
    assert_int_equal(pg_p2p(p0, n1, b, 2, NULL), PG_E_FULL);       /* domain 0: a third domain */
    (void)set_dflt_domain(p0, 2);
    assert_int_equal(pg_p2p(p0, n1, b, 2, NULL), PG_OK);
    assert_int_equal(pg_p2p(p0, n2, b, 2, NULL), PG_E_FULL); /* one p2p peer */
    (void)set_dflt_domain(p0, 1);
    assert_int_equal(pg_p2p(p0, n1, b, 2, NULL), PG_E_FULL); /* domain 1's 2 records taken */
    assert_int_equal(pg_stats(p0)->p2p_sent, 1);
    pgnet_free(pn);
}

/* Hundreds of groups at each node; the group index finds each. */
static void test_many_groups(void **state)
{
    (void)state;
    enum { N = 400 };
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_groups = N;
    cfg.max_members = 4;
    cfg.max_dom_records = N + 8;
    struct pgnet *pn = pgnet_new(3, 7, &cfg);
    static const unsigned all[] = {0, 1, 2};
    for (pg_gid g = 1; g <= N; g++)
        assert_int_equal(pgnet_create(pn, g, all, 3), PG_OK);
    assert_int_equal(pgnet_create(pn, N + 1, all, 3), PG_E_FULL);
    for (pg_gid g = 1; g <= N; g += 7)
        assert_int_equal(pgnet_cbcast(pn, g % 3, g, 16, NULL), PG_OK);
    pgnet_run_for(pn, 200 * MS);
    for (pg_gid g = 1; g <= N; g += 7)
        for (unsigned i = 0; i < 3; i++)
            assert_int_equal(pgnet_count(pn, PGNET_DELIVER, pgnet_id(pn, i), g), 1);
    /* the first message to a group after traffic in others carries their records */
    assert_true(pg_stats(pgnet_pg(pn, 0))->dom_header_bytes > 0);
    check_group(pn, 8, true);
    pgnet_free(pn);
}

/* ---- codec ---- */

static void test_codec_domain(void **state)
{
    (void)state;
    /* records: count 2; group 5 view 3, entries (0: 7), (2: 300); p2p 9 -> 4 seq 2 */
    static const uint8_t dep[] = {2, 1, 5, 3, 2, 0, 7, 2, 0xAC, 0x02, 2, 9, 4, 2};
    assert_true(pg_dom_valid(dep, sizeof dep));
    assert_true(pg_dom_valid(NULL, 0));
    static const uint8_t bad_rank[] = {1, 1, 5, 3, 2, 2, 7, 1, 7}; /* ranks not ascending */
    static const uint8_t zero_val[] = {1, 1, 5, 3, 1, 0, 0};
    static const uint8_t bad_kind[] = {1, 3, 5, 3, 0};
    static const uint8_t trailing[] = {1, 2, 9, 4, 2, 0};
    assert_false(pg_dom_valid(bad_rank, sizeof bad_rank));
    assert_false(pg_dom_valid(zero_val, sizeof zero_val));
    assert_false(pg_dom_valid(bad_kind, sizeof bad_kind));
    assert_false(pg_dom_valid(trailing, sizeof trailing));
    for (size_t cut = 0; cut < sizeof dep; cut++)
        assert_false(pg_dom_valid(dep, cut) && cut != 0);

    struct pg_wmsg ms[2];
    memset(ms, 0, sizeof ms);
    ms[0] = (struct pg_wmsg){.type = PG_MT_DATA, .view_id = 4, .rank = 1, .n_vt = 1};
    ms[0].vt_rank[0] = 1;
    ms[0].vt[0] = 3;
    ms[0].dep = dep;
    ms[0].dep_len = sizeof dep;
    ms[0].payload = (const uint8_t *)"abc";
    ms[0].len = 3;
    ms[1] = (struct pg_wmsg){.type = PG_MT_P2P, .view_id = 2, .p2p_domain = 7, .p2p_seq = 11};
    ms[1].dep = dep;
    ms[1].dep_len = sizeof dep;
    ms[1].payload = (const uint8_t *)"xy";
    ms[1].len = 2;
    for (int i = 0; i < 2; i++) {
        uint8_t buf[256];
        size_t n = pg_encode(&ms[i], buf, sizeof buf);
        assert_true(n > 0);
        struct pg_wmsg d;
        assert_int_equal(pg_decode(buf, n, &d), PG_OK);
        assert_int_equal(d.type, ms[i].type);
        assert_int_equal(d.dep_len, sizeof dep);
        assert_memory_equal(d.dep, dep, sizeof dep);
        assert_int_equal(d.len, ms[i].len);
        assert_memory_equal(d.payload, ms[i].payload, d.len);
        assert_int_equal(d.p2p_domain, ms[i].p2p_domain);
        assert_int_equal(d.p2p_seq, ms[i].p2p_seq);
        for (size_t cut = 1; cut < n - ms[i].len; cut++)
            assert_int_equal(pg_decode(buf, cut, &d), PG_E_MALFORMED);
        buf[n - ms[i].len - 1] ^= 0x01; /* the last record byte: p2p seq 2 -> 3 stays valid */
        assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    }
    /* the DOM flag on a control message is malformed */
    uint8_t stable[] = {0xB5, PG_MT_STABLE | 0x40, 1, 0, 0};
    struct pg_wmsg d;
    assert_int_equal(pg_decode(stable, sizeof stable, &d), PG_E_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fig4_chain_delayed),
        cmocka_unit_test(test_domains_independent),
        cmocka_unit_test(test_p2p_after_group_message),
        cmocka_unit_test(test_p2p_before_group_message),
        cmocka_unit_test(test_p2p_later_ready_waits_for_earlier),
        cmocka_unit_test(test_foreign_view_change_releases),
        cmocka_unit_test(test_install_waits_for_slow_group),
        cmocka_unit_test(test_lost_predecessor_excludes),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_many_groups),
        cmocka_unit_test(test_codec_domain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
