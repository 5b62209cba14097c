/* tests/test_pg_client.c: clients and diffusion (core/group/pg_client.c) on the fake network.
 *
 * Split from test_pg.c so that the unit tests mirror the modules. Each run is
 * judged by checkers/ (support_pgnet.c pgnet_judge) plus what it is about.
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

static void test_clients(void **state)
{
    (void)state;
    struct pgnet *pn = group_of(3, 13);
    assert_int_equal(pg_add(pgnet_pg(pn, 1), GID, 4242, PG_CLIENT), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    struct pg_view v;
    assert_int_equal(view_of(pn, 2, &v), 2);
    assert_int_equal(v.n_clients, 1);
    assert_int_equal(v.clients[0], 4242);
    assert_int_equal(v.n_members, 3);
    assert_int_equal(pg_add(pgnet_pg(pn, 0), GID, 4242, PG_CLIENT), PG_E_EXISTS);
    assert_int_equal(pg_del(pgnet_pg(pn, 0), GID, 4242, PG_CLIENT), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(view_of(pn, 1, &v), 3);
    assert_int_equal(v.n_clients, 0);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* ---- clients and diffusion (pg_client.c) ---- */

/* Members 0..nm-1, clients nm..nm+nc-1 (client k through member k % nm). */
static struct pgnet *client_group(unsigned nm, unsigned nc, uint64_t seed,
                                  const struct pg_config *cfg)
{
    struct pgnet *pn = pgnet_new(nm + nc, seed, cfg);
    unsigned idx[16];
    assert_true(nm <= 16);
    for (unsigned i = 0; i < nm; i++)
        idx[i] = i;
    assert_int_equal(pgnet_create(pn, GID, idx, nm), PG_OK);
    for (unsigned k = 0; k < nc; k++)
        assert_int_equal(pgnet_client(pn, nm + k, GID, k % nm), PG_OK);
    pgnet_run_for(pn, 300 * MS);
    for (unsigned k = 0; k < nc; k++) {
        struct pg_view v;
        assert_int_equal(pg_getview(pgnet_pg(pn, nm + k), GID, &v), PG_OK);
        assert_int_equal(v.n_members, nm);
        assert_int_equal(v.n_clients, 1);
        assert_int_equal(v.clients[0], pgnet_id(pn, nm + k));
    }
    return pn;
}

/* A client's registration goes from its contact to the coordinator alone:
 * NC clients cost NC requests, not NC x (NM - 1) (every member told). The
 * members' datagrams during registration are the requests, the view changes
 * that add the clients (FLUSH, FLUSH_OK, ACK: O(NM^2) each, a few of them)
 * and each contact's welcome (CVIEW) to its clients. */
static void test_client_registration_linear(void **state)
{
    (void)state;
    enum { NM = 12, NC = 48 };
    struct pgnet *pn = client_group(NM, NC, 41, NULL);
    uint64_t data = data_sent_total(pn, NM);
    uint64_t changes = pg_stats(pgnet_pg(pn, 0))->view_changes_started;
    /* per change: FLUSH and the decision from the coordinator, FLUSH_OK and
     * ACK from every member to every other; per client: its request and its
     * welcome; plus a round of stability advertisements */
    uint64_t per_change = 2 * (NM - 1) + 2 * NM * (NM - 1);
    assert_true(changes >= 1 && changes <= 8);
    assert_true(data >= 2 * NC - NC / NM);
    assert_true(data <=
                2 * NC + changes * per_change + 4 * NM); /* requests told to all: + NC x 11 */
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Each member delivered each client message once, and each client each diffusion once. */
static void check_client_traffic(struct pgnet *pn, unsigned nm, unsigned nc, const bool *alive)
{
    size_t n;
    const struct pgnet_rec *r = pgnet_recs(pn, &n);
    for (size_t k = 0; k < n; k++) {
        if (r[k].kind != PGNET_SEND || (!r[k].client && !r[k].diffusion))
            continue;
        unsigned lo = r[k].client ? 0 : nm, hi = r[k].client ? nm : nm + nc;
        for (unsigned q = lo; q < hi; q++) {
            if (alive && !alive[q])
                continue;
            size_t got = 0;
            for (size_t j = 0; j < n; j++)
                got += r[j].kind == PGNET_DELIVER && r[j].node == pgnet_id(pn, q) &&
                       r[j].tag == r[k].tag;
            if (got != 1)
                print_error("node %u delivered %llx %zu times\n", q, (unsigned long long)r[k].tag,
                            got);
            assert_int_equal(got, 1);
        }
    }
}

static void test_client_basic(void **state)
{
    (void)state;
    struct pgnet *pn = client_group(3, 4, 31, NULL);
    struct pg_view v;
    uint32_t vid = view_of(pn, 0, &v); /* client requests are batched: fewer changes than clients */
    assert_true(vid >= 2 && vid <= 4);
    assert_int_equal(v.n_clients, 4);
    for (unsigned j = 0; j < 5; j++) {
        for (unsigned k = 3; k < 7; k++)
            assert_int_equal(pgnet_cbcast(pn, k, GID, 24, NULL), PG_OK);
        assert_int_equal(pgnet_diffuse(pn, j % 3, GID, 20, NULL), PG_OK);
        pgnet_run_for(pn, 5 * MS);
    }
    pgnet_run_for(pn, 500 * MS);
    check_client_traffic(pn, 3, 4, NULL);
    assert_int_equal(pgnet_count(pn, PGNET_DELIVER, PG_NODE_NONE, GID), 5 * 4 * 3 + 5 * 7);
    uint64_t fwd = 0, relayed = 0;
    for (unsigned i = 0; i < 3; i++) {
        fwd += pg_stats(pgnet_pg(pn, i))->client_forwarded;
        relayed += pg_stats(pgnet_pg(pn, i))->diffusion_relayed;
    }
    assert_int_equal(fwd, 20);
    assert_int_equal(relayed, 20);
    for (unsigned k = 3; k < 7; k++)
        assert_int_equal(pg_stats(pgnet_pg(pn, k))->client_diff_delivered, 5);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* Clients listed in view 1 (pg_create_with_clients): their contacts serve
 * them at once, no view change adds them, and the traffic is as with
 * registered clients. Bad lists are refused. */
static void test_clients_in_view(void **state)
{
    (void)state;
    enum { NM = 3, NC = 4 };
    struct pgnet *pn = pgnet_new(NM + NC, 43, NULL);
    unsigned idx[NM] = {0, 1, 2}, cidx[NC] = {3, 4, 5, 6};
    assert_int_equal(pgnet_create_with_clients(pn, GID, idx, NM, cidx, NC), PG_OK);
    for (unsigned k = 0; k < NC; k++)
        assert_int_equal(pgnet_client(pn, NM + k, GID, k % NM), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    struct pg_view v;
    for (unsigned i = 0; i < NM + NC; i++) {
        assert_int_equal(view_of(pn, i, &v), 1); /* no view change */
        assert_int_equal(v.n_members, NM);
        assert_int_equal(v.n_clients, i < NM ? NC : 1);
    }
    assert_int_equal(pg_stats(pgnet_pg(pn, 0))->view_changes_started, 0);
    for (unsigned j = 0; j < 5; j++) {
        for (unsigned k = NM; k < NM + NC; k++)
            assert_int_equal(pgnet_cbcast(pn, k, GID, 24, NULL), PG_OK);
        assert_int_equal(pgnet_diffuse(pn, j % NM, GID, 20, NULL), PG_OK);
        pgnet_run_for(pn, 5 * MS);
    }
    pgnet_run_for(pn, 500 * MS);
    check_client_traffic(pn, NM, NC, NULL);
    check_rules(pn, true);
    /* refused: a client twice, a client that is a member, NONE, too many */
    struct pg *p0 = pgnet_pg(pn, 0);
    pg_node_id m[2] = {pgnet_id(pn, 0), pgnet_id(pn, 1)};
    pg_node_id twice[2] = {900, 900}, member[1] = {pgnet_id(pn, 1)}, none[1] = {PG_NODE_NONE};
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, twice, 2), PG_E_INVAL);
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, member, 1), PG_E_INVAL);
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, none, 1), PG_E_INVAL);
    static pg_node_id many[PG_MAX_CLIENTS_CAP + 1];
    for (unsigned k = 0; k <= PG_MAX_CLIENTS_CAP; k++)
        many[k] = 1000 + k;
    assert_int_equal(pg_create_with_clients(p0, GID + 1, m, 2, many, PG_MAX_CLIENTS_CAP + 1),
                     PG_E_INVAL);
    pgnet_free(pn);
}

/* A client's cached view goes stale (another client is added, which it is
 * not told): its next messages are rejected, it caches the contact's view and
 * sends them again; each is delivered once. */
static void test_client_stale_view_retry(void **state)
{
    (void)state;
    struct pgnet *pn = client_group(3, 1, 32, NULL);
    struct pg_view cv;
    assert_int_equal(pg_getview(pgnet_pg(pn, 3), GID, &cv), PG_OK);
    assert_int_equal(pg_add(pgnet_pg(pn, 2), GID, 4242, PG_CLIENT), PG_OK);
    pgnet_run_for(pn, 100 * MS);
    assert_int_equal(view_of(pn, 0, NULL), cv.view_id + 1);
    for (unsigned j = 0; j < 6; j++)
        assert_int_equal(pgnet_cbcast(pn, 3, GID, 16, NULL), PG_OK);
    pgnet_run_for(pn, 300 * MS);
    const struct pg_stats *cs = pg_stats(pgnet_pg(pn, 3));
    assert_true(pg_stats(pgnet_pg(pn, 0))->client_stale_rejected >= 1); /* node 3's contact */
    assert_true(cs->client_resent >= 6);
    struct pg_view now;
    assert_int_equal(pg_getview(pgnet_pg(pn, 3), GID, &now), PG_OK);
    assert_int_equal(now.view_id, cv.view_id + 1); /* refreshed */
    check_client_traffic(pn, 3, 1, NULL);
    check_rules(pn, true);
    pgnet_free(pn);
}

/* The contact of a client crashes while the client streams messages: the
 * client fails over to the most senior survivor and sends what is not known
 * delivered; survivors deliver each message exactly once. */
static void test_client_contact_crash(void **state)
{
    (void)state;
    for (uint64_t seed = 40; seed < 46; seed++) {
        struct pgnet *pn = client_group(4, 2, seed, NULL); /* clients 4, 5: contacts 0, 1 */
        for (unsigned j = 0; j < 40; j++) {
            assert_int_equal(pgnet_cbcast(pn, 5, GID, 16, NULL), PG_OK);
            assert_int_equal(pgnet_cbcast(pn, 4, GID, 16, NULL), PG_OK);
            if (j % 4 == 0)
                assert_int_equal(pgnet_diffuse(pn, 2, GID, 16, NULL), PG_OK);
            if (j == 20 + seed % 7)
                pgnet_crash(pn, 1);
            pgnet_run_for(pn, (int64_t)(seed % 3 + 1) * MS / 2);
        }
        pgnet_run_for(pn, 3000 * MS);
        bool alive[6] = {true, false, true, true, true, true};
        check_client_traffic(pn, 4, 2, alive);
        const struct pg_stats *cs = pg_stats(pgnet_pg(pn, 5));
        assert_int_equal(cs->client_failovers, 1);
        struct pg_view v;
        assert_int_equal(pg_getview(pgnet_pg(pn, 5), GID, &v), PG_OK);
        assert_int_equal(v.n_members, 3);
        check_rules(pn, true);
        pgnet_free(pn);
    }
}

static void flush_nop(void *ctx, pg_gid gid)
{
    (void)ctx, (void)gid;
}

static void test_client_errors(void **state)
{
    (void)state;
    struct pg_config cfg;
    pg_config_default(&cfg);
    cfg.max_client_unacked = 3;
    struct pgnet *pn = client_group(2, 1, 33, &cfg);
    struct pg *c = pgnet_pg(pn, 2), *m = pgnet_pg(pn, 0);
    pg_node_id m0 = pgnet_id(pn, 0);
    uint8_t buf[PG_MAX_PAYLOAD] = {0};
    uint64_t id;
    uint32_t vid;
    assert_int_equal(pg_client(c, GID, m0), PG_E_EXISTS);
    assert_int_equal(pg_client(c, 0, m0), PG_E_INVAL);
    assert_int_equal(pg_client(c, GID | PG_CL_PHYS_BIT, m0), PG_E_INVAL);
    assert_int_equal(pg_client(c, GID + 1, PG_NODE_NONE), PG_E_INVAL);
    assert_int_equal(pg_client(c, GID + 1, pgnet_id(pn, 2)), PG_E_INVAL); /* self */
    assert_int_equal(pg_client(m, GID, pgnet_id(pn, 1)), PG_E_EXISTS);    /* a member */
    assert_true(pg_is_client(c, GID) && !pg_is_client(m, GID));
    assert_int_equal(pg_diffuse(c, GID, buf, 8, &id, &vid), PG_E_NOTMEMBER);
    assert_int_equal(abcast(c, GID, buf, 8, &id, &vid), PG_E_NOTMEMBER);
    assert_int_equal(pg_flush(c, GID, flush_nop, NULL), PG_E_NOTMEMBER);
    assert_int_equal(pg_add(c, GID, 99, PG_MEMBER), PG_E_NOTMEMBER);
    assert_int_equal(cbcast(c, GID, buf, cfg.max_payload, &id, &vid), PG_E_TOOBIG);
    assert_int_equal(pg_diffuse(m, GID, buf, cfg.max_payload, &id, &vid), PG_E_TOOBIG);
    assert_int_equal(cbcast(c, GID + 1, buf, 8, &id, &vid), PG_E_NOGROUP);
    /* a fresh client has no view yet */
    assert_int_equal(pg_client(pgnet_pg(pn, 1), GID + 1, m0), PG_OK);
    assert_int_equal(cbcast(pgnet_pg(pn, 1), GID + 1, buf, 8, &id, &vid), PG_E_NOTMEMBER);
    assert_int_equal(pg_send_view(pgnet_pg(pn, 1), GID + 1, &vid), PG_E_NOTMEMBER);
    /* unacked messages are bounded: the contact is gone, nothing is acknowledged */
    pgnet_crash(pn, 0);
    pgnet_crash(pn, 1);
    for (unsigned j = 0; j < 3; j++)
        assert_int_equal(cbcast(c, GID, buf, 8, &id, &vid), PG_OK);
    assert_int_equal(cbcast(c, GID, buf, 8, &id, &vid), PG_E_FULL);
    pgnet_run_for(pn, 3000 * MS); /* no member left to fail over to */
    assert_true(pg_excluded(c, GID));
    assert_int_equal(cbcast(c, GID, buf, 8, &id, &vid), PG_E_CRASHED);
    pgnet_free(pn);
}

/* The client messages, and a view change that carries 1024 clients (4 KB of ids). */
static void test_codec_client(void **state)
{
    (void)state;
    static struct pg_wmsg m, d;
    static uint8_t buf[PHYS_MAX_PAYLOAD];
    memset(&m, 0, sizeof m);
    m.type = PG_MT_ACK;
    m.view_id = 9;
    m.attempt = 2;
    m.n_old = 256;
    m.n_members = PG_MAX_MEMBERS_CAP;
    for (uint32_t i = 0; i < m.n_members; i++)
        m.members[i] = 1 + i;
    m.n_clients = PG_MAX_CLIENTS_CAP;
    for (uint32_t i = 0; i < m.n_clients; i++)
        m.clients[i] = 100000 + 7 * i;
    size_t n = pg_encode(&m, buf, sizeof buf);
    assert_true(n > 4 * (PG_MAX_MEMBERS_CAP + PG_MAX_CLIENTS_CAP) && n <= PG_MAX_PAYLOAD + 1);
    assert_int_equal(pg_decode(buf, n, &d), PG_OK);
    assert_int_equal(d.n_clients, PG_MAX_CLIENTS_CAP);
    assert_memory_equal(d.clients, m.clients, sizeof m.clients);
    m.clients[900] = m.clients[3]; /* a repeated client id (the sorted check) */
    n = pg_encode(&m, buf, sizeof buf);
    assert_int_equal(pg_decode(buf, n, &d), PG_E_MALFORMED);

    const enum pg_msg_type types[] = {PG_MT_CVIEW, PG_MT_CACK, PG_MT_CMSG, PG_MT_CHELLO,
                                      PG_MT_CDIFF};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        memset(&m, 0, sizeof m);
        m.type = types[t];
        m.view_id = 4;
        m.cflags = m.type == PG_MT_CVIEW ? PG_CV_STALE | PG_CV_CONTACT : m.type == PG_MT_CACK;
        m.n_members = m.type == PG_MT_CVIEW ? 3 : 0;
        m.members[0] = 5, m.members[1] = 6, m.members[2] = 7;
        m.cseq = 77;
        m.rank = m.type == PG_MT_CDIFF ? 2 : 0;
        m.pid = m.type == PG_MT_CHELLO || m.type == PG_MT_CDIFF ? 6 : 0;
        m.vmin = m.type == PG_MT_CHELLO ? 3 : 0;
        m.dview = m.type == PG_MT_CHELLO ? 4 : 0;
        bool pl = m.type == PG_MT_CMSG || m.type == PG_MT_CDIFF;
        m.payload = (const uint8_t *)"hello";
        m.len = pl ? 5 : 0;
        n = pg_encode(&m, buf, sizeof buf);
        assert_true(n > 0);
        assert_int_equal(pg_decode(buf, n, &d), PG_OK);
        assert_int_equal(d.type, m.type);
        assert_int_equal(d.view_id, 4);
        assert_int_equal(d.cflags, m.cflags);
        assert_int_equal(d.n_members, m.n_members);
        assert_int_equal(d.cseq, m.type == PG_MT_CVIEW || m.type == PG_MT_CHELLO ? 0 : 77);
        assert_int_equal(d.pid, m.pid);
        assert_int_equal(d.vmin, m.vmin);
        assert_int_equal(d.dview, m.dview);
        assert_int_equal(d.len, m.len);
        assert_int_equal(pg_decode(buf, n - 1, &d), pl ? PG_OK : PG_E_MALFORMED);
    }
    /* out of range: CVIEW flags, CMSG cseq 0, CDIFF sender 0, CVIEW without members */
    const uint8_t bad[][8] = {{0xB5, 9, 1, 16, 1, 5, 0, 0},
                              {0xB5, 11, 1, 0},
                              {0xB5, 13, 1, 0, 1, 0, 0, 0},
                              {0xB5, 9, 1, 1, 0}};
    const size_t bad_len[] = {8, 4, 8, 5};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(pg_decode(bad[i], bad_len[i], &d), PG_E_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clients),
        cmocka_unit_test(test_client_registration_linear),
        cmocka_unit_test(test_client_basic),
        cmocka_unit_test(test_clients_in_view),
        cmocka_unit_test(test_client_stale_view_retry),
        cmocka_unit_test(test_client_contact_crash),
        cmocka_unit_test(test_client_errors),
        cmocka_unit_test(test_codec_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
