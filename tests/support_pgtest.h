/* tests/support_pgtest.h: helpers of the group layer's unit tests (test_pg*.c, test_reply.c).
 *
 * Owns: nothing; a group GID of n fake-network nodes (group_of), a burst of
 * cbcasts, a node's view, the judgement of a run by checkers/ (check_rules:
 * support_pgnet.c pgnet_judge), the data datagrams sent. Include after
 * <cmocka.h>.
 */
#ifndef PG_SUPPORT_PGTEST_H
#define PG_SUPPORT_PGTEST_H

#include "pg.h"
#include "support_fakenet.h"
#include "support_pgnet.h"

#define GID 7u
#define MS  1000000LL

static inline void check_rules(struct pgnet *pn, bool quiet)
{
    char why[256];
    bool ok = pgnet_judge(pn, quiet, why, sizeof why);
    if (!ok)
        print_error("%s\n", why);
    assert_true(ok);
}

static inline struct pgnet *group_of(unsigned n, uint64_t seed)
{
    struct pgnet *pn = pgnet_new(n, seed, NULL);
    unsigned idx[PG_MAX_MEMBERS_CAP];
    assert_true(n <= PG_MAX_MEMBERS_CAP);
    for (unsigned i = 0; i < n; i++)
        idx[i] = i;
    assert_int_equal(pgnet_create(pn, GID, idx, n), PG_OK);
    return pn;
}

static inline void burst(struct pgnet *pn, unsigned i, unsigned k)
{
    for (unsigned j = 0; j < k; j++)
        assert_int_equal(pgnet_cbcast(pn, i, GID, 16, NULL), PG_OK);
}

static inline uint32_t view_of(struct pgnet *pn, unsigned i, struct pg_view *v)
{
    struct pg_view tmp;
    struct pg_view *p = v ? v : &tmp;
    int rc = pg_getview(pgnet_pg(pn, i), GID, p);
    return rc == PG_OK ? p->view_id : 0;
}

/* Sum of the link-level data datagrams sent by nodes [0, n). */
static inline uint64_t data_sent_total(struct pgnet *pn, unsigned n)
{
    uint64_t data = 0;
    for (unsigned i = 0; i < n; i++)
        data += phys_stats(fakenet_phys(pgnet_fakenet(pn), i))->data_sent;
    return data;
}

#endif
