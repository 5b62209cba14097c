/* tests/test_pg_state.c: state transfer to joiners (pg_state, core/group/pg_state.c)
 * on the fake network.
 *
 * Each node runs a small replicated object: a count and an order-independent
 * sum of the tags it delivered, plus `pad` bytes derived from them (to make a
 * state that needs many STATE chunks). The tests check that a joiner's state
 * is the one of its join instant (exactly the messages the old members
 * delivered in the old view), under traffic, with a large chunked state, when
 * the provider fails before the state arrives, and the failure paths (encode
 * error, timeout, decode error) with their error codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "le.h"
#include "pg.h"
#include "rng.h"
#include "support_fakenet.h"
#include "support_pgnet.h"

#define GID 7u
#define MS  1000000LL
#define N   5u

/* The replicated object of one node. */
struct tapp {
    uint64_t n, sum; /* deliveries applied, sum of mix(tag) */
    size_t pad;      /* extra state bytes, derived from (n, sum) */
    int enc_rc;      /* 0: encode normally, else return this error */
    bool corrupt;    /* decode fails: the pad does not match */
    unsigned enc_calls;
    uint64_t enc_n, enc_sum; /* the last snapshot encoded */
    int dec_status;          /* the last status decode saw (1: never called) */
    uint32_t dec_view;
    uint64_t dec_n, dec_sum;
    unsigned dec_calls;
};

static struct tapp apps[N];

static uint64_t mix(uint64_t x)
{
    return sim_rng_mix(x);
}

static uint8_t pad_byte(uint64_t sum, size_t k)
{
    return (uint8_t)mix(sum + k);
}

static void apply_hook(void *ctx, struct pgnet *pn, unsigned node, pg_gid gid, uint64_t tag,
                       pg_node_id from)
{
    (void)ctx, (void)pn, (void)gid, (void)from;
    apps[node].n++;
    apps[node].sum += mix(tag);
}

static int t_encode(void *ctx, pg_gid gid, uint8_t *buf, size_t cap)
{
    struct tapp *a = ctx;
    assert_int_equal(gid, GID);
    a->enc_calls++;
    if (a->enc_rc)
        return a->enc_rc;
    if (16 + a->pad > cap)
        return PG_E_TOOBIG;
    le_put64(buf, a->n);
    le_put64(buf + 8, a->sum);
    for (size_t k = 0; k < a->pad; k++)
        buf[16 + k] = pad_byte(a->sum, k);
    a->enc_n = a->n;
    a->enc_sum = a->sum;
    return (int)(16 + a->pad);
}

static int t_decode(void *ctx, pg_gid gid, uint32_t view_id, int status, const uint8_t *buf,
                    size_t len)
{
    struct tapp *a = ctx;
    assert_int_equal(gid, GID);
    a->dec_calls++;
    a->dec_status = status;
    a->dec_view = view_id;
    if (status != PG_OK) {
        assert_null(buf);
        assert_int_equal(len, 0);
        return PG_OK;
    }
    if (len != 16 + a->pad)
        return PG_E_MALFORMED;
    for (size_t k = 0; k < a->pad; k++)
        if (buf[16 + k] != (uint8_t)(pad_byte(le_get64(buf + 8), k) ^ a->corrupt))
            return PG_E_MALFORMED;
    a->n = a->dec_n = le_get64(buf);
    a->sum = a->dec_sum = le_get64(buf + 8);
    return PG_OK;
}

static void check_rules(struct pgnet *pn, bool quiet)
{
    char why[256];
    bool ok = pgnet_judge(pn, quiet, why, sizeof why);
    if (!ok)
        print_error("%s\n", why);
    assert_true(ok);
}

static uint32_t view_of(struct pgnet *pn, unsigned i, struct pg_view *v)
{
    struct pg_view tmp;
    struct pg_view *p = v ? v : &tmp;
    int rc = pg_getview(pgnet_pg(pn, i), GID, p);
    return rc == PG_OK ? p->view_id : 0;
}

/* Nodes 0..k-1 form the group with the object registered; node `j` is ready to join. */
static struct pgnet *setup(unsigned k, uint64_t seed, const struct pg_config *cfg, size_t pad)
{
    memset(apps, 0, sizeof apps);
    for (unsigned i = 0; i < N; i++) {
        apps[i].pad = pad;
        apps[i].dec_status = 1;
    }
    struct pgnet *pn = pgnet_new(N, seed, cfg);
    pgnet_set_hook(pn, apply_hook, NULL);
    unsigned idx[N] = {0, 1, 2, 3, 4};
    assert_int_equal(pgnet_create(pn, GID, idx, k), PG_OK);
    for (unsigned i = 0; i < k; i++)
        assert_int_equal(pg_state(pgnet_pg(pn, i), GID, t_encode, t_decode, &apps[i]), PG_OK);
    return pn;
}

/* Node j asks contact c to add it and registers its upcalls. */
static void join(struct pgnet *pn, unsigned j, unsigned c)
{
    assert_int_equal(pg_join(pgnet_pg(pn, j), GID, pgnet_id(pn, c)), PG_OK);
    assert_int_equal(pgnet_record(pn, j, GID), PG_OK);
    assert_int_equal(pg_state(pgnet_pg(pn, j), GID, t_encode, t_decode, &apps[j]), PG_OK);
}

/* The object of the messages node i delivered in views before `view`. */
static void object_before(struct pgnet *pn, unsigned i, uint32_t view, uint64_t *n, uint64_t *sum)
{
    size_t nr;
    const struct pgnet_rec *r = pgnet_recs(pn, &nr);
    *n = *sum = 0;
    for (size_t k = 0; k < nr; k++)
        if (r[k].kind == PGNET_DELIVER && r[k].node == pgnet_id(pn, i) && r[k].gid == GID &&
            r[k].view < view) {
            ++*n;
            *sum += mix(r[k].tag);
        }
}

/* The joiner j decoded the state of join view `view`: exactly what old member
 * i delivered before it, and what i encoded. */
static void assert_join_state(struct pgnet *pn, unsigned j, unsigned i, uint32_t view)
{
    uint64_t n, sum;
    object_before(pn, i, view, &n, &sum);
    assert_int_equal(apps[j].dec_status, PG_OK);
    assert_int_equal(apps[j].dec_view, view);
    assert_int_equal(apps[j].dec_n, n);
    assert_int_equal(apps[j].dec_sum, sum);
    assert_true(n > 0);
}

/* Joins under traffic: cbcasts, or abcasts (some of which wait for their
 * position until the install of the join view orders them: the snapshot
 * must come after). */
static void join_instant(uint64_t seed, bool ab)
{
    struct pgnet *pn = setup(3, seed, NULL, 0);
    join(pn, 3, 2);
    for (int k = 0; k < 30; k++) {
        unsigned from = ab ? 1 + (unsigned)k % 2 : (unsigned)k % 3;
        int rc = ab ? pgnet_abcast(pn, from, GID, 16, NULL) : pgnet_cbcast(pn, from, GID, 16, NULL);
        assert_int_equal(rc, PG_OK);
        pgnet_run_for(pn, ab ? MS / 4 : MS);
    }
    pgnet_run_for(pn, 200 * MS);
    assert_int_equal(view_of(pn, 3, NULL), 2);
    for (unsigned i = 0; i < 3; i++) {
        assert_join_state(pn, 3, i, 2);
        assert_int_equal(apps[i].enc_calls, 1); /* every old member snapshots */
        assert_int_equal(apps[i].enc_n, apps[3].dec_n);
        assert_int_equal(apps[i].enc_sum, apps[3].dec_sum);
    }
    assert_int_equal(apps[3].dec_calls, 1);
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->state_sent, 1); /* the provider: rank 0 */
    assert_int_equal(pg_stats(pgnet_pg(pn, 1))->state_sent, 0);
    assert_int_equal(pg_stats(pgnet_pg(pn, 3))->state_received, 1);
    /* the joiner went on from that state: everyone ends with the same object */
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(pgnet_cbcast(pn, i, GID, 16, NULL), PG_OK);
    pgnet_run_for(pn, 200 * MS);
    for (unsigned i = 1; i < 4; i++) {
        assert_int_equal(apps[i].n, apps[0].n);
        assert_int_equal(apps[i].sum, apps[0].sum);
    }
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_state_join_instant(void **state)
{
    (void)state;
    join_instant(21, false);
    for (uint64_t seed = 1; seed <= 8; seed++)
        join_instant(seed, true);
}

static void test_state_chunked_large(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_state_bytes = 100000;
    size_t pad = 60000;
    struct pgnet *pn = setup(3, 22, &cfg, pad);
    fakenet_set_loss(pgnet_fakenet(pn), 0.05);
    fakenet_set_jitter(pgnet_fakenet(pn), 300000);
    for (int k = 0; k < 9; k++)
        assert_int_equal(pgnet_cbcast(pn, (unsigned)k % 3, GID, 16, NULL), PG_OK);
    join(pn, 3, 1);
    for (int k = 0; k < 20; k++) {
        assert_int_equal(pgnet_cbcast(pn, (unsigned)k % 3, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 2 * MS);
    }
    pgnet_run_for(pn, 500 * MS);
    assert_int_equal(view_of(pn, 3, NULL), 2);
    assert_join_state(pn, 3, 0, 2); /* decode checked every pad byte */
    uint64_t chunks = (16 + pad + PG_STATE_CHUNK - 1) / PG_STATE_CHUNK;
    assert_true(chunks > 1);
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->state_chunks, chunks);
    check_rules(pn, true);
    pgnet_free(pn);

    /* the same state over a smaller max: the provider's encode says TOOBIG */
    cfg.max_state_bytes = 30000;
    pn = setup(3, 23, &cfg, pad);
    join(pn, 3, 1);
    pgnet_run_for(pn, 300 * MS);
    assert_int_equal(apps[3].dec_status, PG_E_TOOBIG);
    assert_true(pg_excluded(pgnet_pg(pn, 3), GID));
    pgnet_free(pn);
}

/* The provider (node 0) installs the join view but its STATE never reaches
 * the joiner, then crashes: the next old member (node 1) sends its copy. */
static void test_state_provider_crash(void **state)
{
    (void)state;
    struct pgnet *pn = setup(4, 24, NULL, 3000);
    for (int k = 0; k < 12; k++)
        assert_int_equal(pgnet_cbcast(pn, (unsigned)k % 4, GID, 16, NULL), PG_OK);
    fakenet_cut(pgnet_fakenet(pn), 0, 4, true);
    join(pn, 4, 1);
    for (int k = 0; k < 20; k++) {
        assert_int_equal(pgnet_cbcast(pn, 1 + (unsigned)k % 3, GID, 16, NULL), PG_OK);
        pgnet_run_for(pn, 2 * MS);
    }
    pgnet_run_for(pn, 50 * MS);
    assert_int_equal(view_of(pn, 0, NULL), 2); /* the provider installed and sent */
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->state_sent, 1);
    assert_int_equal(view_of(pn, 4, NULL), 0); /* the joiner waits for its state */
    assert_int_equal(apps[4].dec_calls, 0);
    assert_true(pg_stats(pgnet_pg(pn, 4))->future_held > 0); /* holding view 2's messages */
    pgnet_crash(pn, 0);
    pgnet_run_for(pn, 3000 * MS);
    assert_int_equal(pg_stats(pgnet_pg(pn, 1))->state_sent, 1); /* the backup */
    assert_int_equal(pg_stats(pgnet_pg(pn, 2))->state_sent, 0);
    assert_join_state(pn, 4, 1, 2);
    struct pg_view v;
    assert_int_equal(view_of(pn, 4, &v), 3);
    assert_int_equal(v.n_members, 4);
    for (unsigned i = 1; i < 5; i++)
        assert_int_equal(pgnet_cbcast(pn, i, GID, 16, NULL), PG_OK);
    pgnet_run_for(pn, 200 * MS);
    for (unsigned i = 2; i < 5; i++) {
        assert_int_equal(apps[i].n, apps[1].n);
        assert_int_equal(apps[i].sum, apps[1].sum);
    }
    check_rules(pn, true);
    pgnet_free(pn);
}

/* The joiner gave up: it is excluded and the members remove it. */
static void assert_gave_up(struct pgnet *pn, unsigned j, int status)
{
    assert_int_equal(apps[j].dec_status, status);
    assert_true(pg_excluded(pgnet_pg(pn, j), GID));
    assert_int_equal(pg_stats(pgnet_pg(pn, j))->state_failed, 1);
    assert_int_equal(pg_state(pgnet_pg(pn, j), GID, t_encode, t_decode, &apps[j]), PG_E_CRASHED);
    struct pg_view v;
    assert_int_equal(view_of(pn, 0, &v), 3);
    assert_int_equal(v.n_members, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_not_equal(v.members[i], pgnet_id(pn, j));
}

static void test_state_errors(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.state_timeout_ns = 300 * MS;

    /* API errors */
    struct pgnet *pn = setup(3, 25, &cfg, 0);
    assert_int_equal(pg_state(pgnet_pg(pn, 0), GID + 1, t_encode, t_decode, NULL), PG_E_NOGROUP);
    assert_int_equal(pg_state(pgnet_pg(pn, 3), GID, t_encode, t_decode, NULL), PG_E_NOGROUP);
    assert_int_equal(pg_state(pgnet_pg(pn, 0), GID, NULL, NULL, NULL), PG_OK); /* unregisters */
    assert_int_equal(pg_state(pgnet_pg(pn, 1), GID, NULL, NULL, NULL), PG_OK);
    assert_int_equal(pg_state(pgnet_pg(pn, 2), GID, NULL, NULL, NULL), PG_OK);
    assert_int_equal(pgnet_cbcast(pn, 0, GID, 16, NULL), PG_OK);
    /* no member provides: the joiner times out */
    join(pn, 3, 0);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(apps[3].dec_calls, 0);
    pgnet_run_for(pn, 900 * MS);
    assert_gave_up(pn, 3, PG_E_TIMEOUT);
    assert_true(pg_stats(pgnet_pg(pn, 3))->state_received == 0);
    check_rules(pn, true);
    pgnet_free(pn);

    /* the provider's encode fails: its error reaches the joiner */
    pn = setup(3, 26, &cfg, 0);
    apps[0].enc_rc = PG_E_FULL;
    join(pn, 3, 0);
    pgnet_run_for(pn, 200 * MS);
    assert_int_equal(apps[0].enc_calls, 1);
    assert_gave_up(pn, 3, PG_E_FULL);
    check_rules(pn, true);
    pgnet_free(pn);

    /* the joiner's decode refuses the state: decode is not called again */
    pn = setup(3, 27, &cfg, 100);
    apps[3].corrupt = true;
    join(pn, 3, 2);
    pgnet_run_for(pn, 200 * MS);
    assert_int_equal(apps[3].dec_calls, 1);
    assert_gave_up(pn, 3, PG_OK);
    check_rules(pn, true);
    pgnet_free(pn);

    /* a joiner without decode installs at once, with no state */
    pn = setup(3, 28, &cfg, 0);
    assert_int_equal(pgnet_cbcast(pn, 0, GID, 16, NULL), PG_OK);
    assert_int_equal(pg_join(pgnet_pg(pn, 3), GID, pgnet_id(pn, 0)), PG_OK);
    assert_int_equal(pgnet_record(pn, 3, GID), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(view_of(pn, 3, NULL), 2);
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->state_sent, 1);
    assert_true(pg_stats(pgnet_pg(pn, 3))->stale_dropped >= 1); /* the unwanted STATE */
    check_rules(pn, true);
    pgnet_free(pn);
}

static void test_codec_state(void **state)
{
    (void)state;
    uint8_t chunk[100], buf[256];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (uint8_t)i;
    struct pg_wmsg m;
    memset(&m, 0, sizeof m);
    m.type = PG_MT_STATE;
    m.view_id = 4;
    m.st_total = 70000;
    m.st_off = 69900;
    m.payload = chunk;
    m.len = sizeof chunk;
    size_t n = pg_encode(&m, buf, sizeof buf);
    assert_true(n > sizeof chunk);
    struct pg_wmsg d;
    assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    assert_int_equal(d.type, PG_MT_STATE);
    assert_int_equal(d.view_id, 4);
    assert_int_equal(d.st_total, 70000);
    assert_int_equal(d.st_off, 69900);
    assert_int_equal(d.len, sizeof chunk);
    assert_memory_equal(d.payload, chunk, sizeof chunk);
    /* one byte more overruns the state */
    buf[n] = 0;
    assert_int_equal(pg_decode(buf, n + 1, &d), PG_E_MALFORMED);
    /* an error status with a state is malformed; alone it is fine */
    m.st_status = (uint8_t)-PG_E_TOOBIG;
    m.st_total = m.st_off = 0;
    m.len = 0;
    n = pg_encode(&m, buf, sizeof buf);
    assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    assert_int_equal(d.st_status, (uint8_t)-PG_E_TOOBIG);
    buf[n - 2] = 5; /* total 5 */
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);
    /* beyond the cap */
    memset(&m, 0, sizeof m);
    m.type = PG_MT_STATE;
    m.st_total = PG_MAX_STATE_CAP + 1;
    n = pg_encode(&m, buf, sizeof buf);
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_join_instant),   cmocka_unit_test(test_state_chunked_large),
        cmocka_unit_test(test_state_provider_crash), cmocka_unit_test(test_state_errors),
        cmocka_unit_test(test_codec_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
