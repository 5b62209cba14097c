/* core/node.c: the node object; routes inputs to layers. See node.h. */
#include "node.h"

#include <assert.h>
#include <stdlib.h>

struct pg_node {
    const struct pg_env *env;
    pg_node_id self;
    struct phys *phys;
};

struct pg_node *pg_node_new(const struct pg_env *env, pg_node_id self,
                            const struct phys_config *cfg)
{
    assert(env && self != PG_NODE_NONE && cfg);
    struct pg_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->env = env;
    n->self = self;
    n->phys = phys_new(env, self, cfg);
    if (!n->phys) {
        free(n);
        return NULL;
    }
    return n;
}

void pg_node_free(struct pg_node *n)
{
    if (!n)
        return;
    phys_free(n->phys);
    free(n);
}

void pg_node_on_datagram(struct pg_node *n, pg_node_id from, const uint8_t *buf, size_t len)
{
    assert(n && (buf || len == 0));
    phys_on_datagram(n->phys, from, buf, len);
}

void pg_node_on_timer(struct pg_node *n, unsigned slot)
{
    assert(n && slot < PG_TIMER_SLOTS);
    switch (slot) {
    case PG_TIMER_PHYS:
        phys_on_timer(n->phys);
        break;
    default: /* reserved for the process-group layer */
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
