/* tests/test_reply.c: reply collection (core/include/tools/reply.h, a tool above pg.h) on the fake
 * network.
 *
 * Split from test_pg.c so that the unit tests mirror the modules; the group
 * helpers are tests/support_pgtest.h.
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
#include "reply.h"
#include "rng.h"
#include "support_fakenet.h"
#include "support_pgnet.h"
#include "support_pgtest.h"

/* ---- reply collection (core/include/tools/reply.h, a tool above pg.h) ---- */

struct rt {
    struct pgnet *pn;
    struct rep *rep; /* node 0's collector */
    bool mute[8];    /* servers that do not answer */
    int done, status;
    uint32_t n, left;
    char first[8];
};

struct rt_node {
    struct rt *t;
    unsigned i;
};

static void rt_entry(void *ctx, pg_gid gid, uint32_t view_id, pg_node_id from,
                     const uint8_t *payload, size_t len)
{
    struct rt_node *nd = ctx;
    struct rt *t = nd->t;
    (void)view_id;
    struct rep_request req;
    if (rep_parse_request(payload, len, &req) && !t->mute[nd->i]) { /* a server answers */
        uint8_t buf[REP_HDR_B + 2];
        rep_reply_header(&req, buf);
        buf[REP_HDR_B] = 'r';
        buf[REP_HDR_B + 1] = (uint8_t)('0' + nd->i);
        assert_int_equal(cbcast(pgnet_pg(t->pn, nd->i), gid, buf, sizeof buf, NULL, NULL), PG_OK);
    }
    if (nd->i == 0)
        (void)rep_on_deliver(t->rep, from, payload, len);
}

static void rt_monitor(void *ctx, const struct pg_view *v, bool excluded)
{
    struct rt_node *nd = ctx;
    if (nd->i == 0)
        rep_on_view(nd->t->rep, v, excluded);
}

static void rt_done(void *ctx, uint64_t id, int status, const struct rep_reply *r, uint32_t n,
                    uint32_t left)
{
    struct rt *t = ctx;
    (void)id;
    t->done++;
    t->status = status;
    t->n = n;
    t->left = left;
    memset(t->first, 0, sizeof t->first);
    if (n > 0 && r[0].len == 2)
        memcpy(t->first, r[0].payload, 2);
}

/* Node 0 multicasts a request and collects `want` replies. */
static uint64_t rt_request(struct rt *t, enum rep_want want, uint32_t k)
{
    struct pg_view v;
    assert_int_equal(pg_getview(pgnet_pg(t->pn, 0), GID, &v), PG_OK);
    uint8_t hdr[REP_HDR_B + 3];
    uint64_t id;
    assert_int_equal(rep_start(t->rep, &v, want, k, rt_done, t, hdr, &id), PG_OK);
    memcpy(hdr + REP_HDR_B, "req", 3);
    assert_int_equal(cbcast(pgnet_pg(t->pn, 0), GID, hdr, sizeof hdr, NULL, NULL), PG_OK);
    return id;
}

static void test_reply_collection(void **state)
{
    (void)state;
    struct rt t = {.pn = group_of(4, 61)};
    struct rep_config rc;
    rep_config_default(&rc);
    rc.max_pending = 2;
    t.rep = rep_new(&rc, pgnet_id(t.pn, 0));
    struct rt_node nodes[4];
    for (unsigned i = 0; i < 4; i++) {
        nodes[i] = (struct rt_node){.t = &t, .i = i};
        assert_int_equal(pg_entry(pgnet_pg(t.pn, i), GID, rt_entry, &nodes[i]), PG_OK);
        assert_int_equal(pg_monitor(pgnet_pg(t.pn, i), GID, rt_monitor, &nodes[i]), PG_OK);
    }
    /* one, k, all: node 0 answers its own request first (its cbcast is delivered at once) */
    rt_request(&t, REP_ONE, 0);
    pgnet_run_for(t.pn, 50 * MS);
    assert_int_equal(t.done, 1);
    assert_int_equal(t.status, PG_OK);
    assert_int_equal(t.n, 1);
    assert_memory_equal(t.first, "r0", 2);
    rt_request(&t, REP_K, 3);
    pgnet_run_for(t.pn, 50 * MS);
    assert_true(t.done == 2 && t.status == PG_OK && t.n == 3 && t.left == 0);
    rt_request(&t, REP_ALL, 0);
    pgnet_run_for(t.pn, 50 * MS);
    assert_true(t.done == 3 && t.status == PG_OK && t.n == 4);
    assert_int_equal(rep_pending(t.rep), 0);
    /* a silent server fails: all-reply completes without it once it leaves the view */
    t.mute[3] = true;
    rt_request(&t, REP_ALL, 0);
    pgnet_run_for(t.pn, 100 * MS);
    assert_int_equal(t.done, 3); /* waits for node 3 */
    assert_int_equal(rep_pending(t.rep), 1);
    pgnet_crash(t.pn, 3);
    pgnet_run_for(t.pn, 3000 * MS);
    assert_true(t.done == 4 && t.status == PG_OK && t.n == 3 && t.left == 1);
    /* k-reply that can no longer be satisfied: told, not left hanging */
    t.mute[2] = true;
    rt_request(&t, REP_K, 3);
    pgnet_run_for(t.pn, 100 * MS);
    assert_int_equal(t.done, 4);
    pgnet_crash(t.pn, 2);
    pgnet_run_for(t.pn, 3000 * MS);
    assert_true(t.done == 5 && t.status == PG_E_SUSPECTED && t.n == 2 && t.left == 1);
    /* errors and bounds */
    struct pg_view v;
    uint8_t hdr[REP_HDR_B];
    uint64_t id, id2;
    assert_int_equal(pg_getview(pgnet_pg(t.pn, 0), GID, &v), PG_OK);
    assert_int_equal(rep_start(t.rep, &v, REP_K, 0, rt_done, &t, hdr, &id), PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, REP_K, v.n_members + 1, rt_done, &t, hdr, &id),
                     PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, REP_ONE, 0, NULL, &t, hdr, &id), PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, (enum rep_want)9, 0, rt_done, &t, hdr, &id), PG_E_INVAL);
    assert_int_equal(rep_start(t.rep, &v, REP_ALL, 0, rt_done, &t, hdr, &id), PG_OK);
    assert_int_equal(rep_start(t.rep, &v, REP_ALL, 0, rt_done, &t, hdr, &id2), PG_OK);
    assert_int_equal(rep_start(t.rep, &v, REP_ALL, 0, rt_done, &t, hdr, &id2), PG_E_FULL);
    assert_int_equal(rep_cancel(t.rep, id), PG_OK);
    assert_int_equal(rep_cancel(t.rep, id), PG_E_INVAL);
    assert_false(rep_on_deliver(t.rep, pgnet_id(t.pn, 1), hdr, sizeof hdr)); /* a request */
    rep_on_view(t.rep, &v, true); /* the requester is excluded */
    assert_true(t.done == 6 && t.status == PG_E_CRASHED && rep_pending(t.rep) == 0);
    rep_free(t.rep);
    pgnet_free(t.pn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_collection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
