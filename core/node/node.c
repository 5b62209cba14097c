/* core/node/node.c: the node object; routes inputs to layers. See node.h. */
#include "node.h"

#include <assert.h>
#include <stdlib.h>

struct pg_node {
    const struct env *env;
    pg_node_id self;
    struct phys *phys;
    struct pg *pg;
};

struct pg_node *pg_node_new(const struct env *env, pg_node_id self, const struct phys_config *cfg)
{
    return pg_node_new_pg(env, self, cfg, NULL);
}

struct pg_node *pg_node_new_pg(const struct env *env, pg_node_id self,
                               const struct phys_config *cfg, const struct pg_config *pg_cfg)
{
    assert(env);
    assert(self != PG_NODE_NONE);
    assert(cfg);
    struct pg_config dflt;
    if (!pg_cfg) {
        pg_config_default(&dflt);
        pg_cfg = &dflt;
    }
    struct pg_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->env = env;
    n->self = self;
    n->phys = phys_new(env, self, cfg);
    n->pg = n->phys ? pg_new(env, n->phys, self, pg_cfg) : NULL;
    if (!n->pg) {
        pg_node_free(n);
        return NULL;
    }
    return n;
}

void pg_node_free(struct pg_node *n)
{
    if (!n)
        return;
    pg_free(n->pg); /* before the link layer it sits on */
    phys_free(n->phys);
    free(n);
}

void pg_node_on_datagram(struct pg_node *n, pg_node_id from, const uint8_t *buf, size_t len)
{
    assert(n);
    assert((buf || len == 0));
    phys_on_datagram(n->phys, from, buf, len);
}

void pg_node_on_timer(struct pg_node *n, unsigned slot)
{
    assert(n);
    assert(slot < PG_TIMER_SLOTS);
    switch (slot) {
    case PG_TIMER_PHYS:
        phys_on_timer(n->phys);
        break;
    case PG_TIMER_PG:
        pg_on_timer(n->pg);
        break;
    default: /* reserved */
        break;
    }
}

struct phys *pg_node_phys(struct pg_node *n)
{
    assert(n);
    return n->phys;
}

pg_node_id pg_node_self(const struct pg_node *n)
{
    assert(n);
    return n->self;
}

struct pg *pg_node_pg(struct pg_node *n)
{
    assert(n);
    return n->pg;
}
