/* checkers/rules_state.c: rule 9 of TRACE.md, state transfer (paper sections
 * 2.3 and 4: a joiner gets the application state of its join instant).
 *
 * All `state` digests written for one (group, view) are equal: the members
 * write theirs right after installing the view, a joiner right after its
 * state transfer (with the join view's number), so a joiner whose state is
 * not the one of the join instant, or members whose states diverged, differ
 * from the first digest written for that (group, view), the reference. One
 * violation per differing `state` event; evidence: the reference event and
 * the differing one. The digest is an opaque string (compared byte for byte).
 *
 * Cost: O(1) per `state` event (two hash lookups); memory one entry per
 * (group, view) with a state, plus each distinct reference digest once.
 */
#include <stdlib.h>

#include "chk_internal.h"

struct st_st {
    struct chk_strtab digests; /* reference digests */
    struct chk_map ref;        /* (group, view) -> digest id << 32 | node */
    struct chk_map ref_line;   /* (group, view) -> line of the reference event */
};

static void *st_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct st_st));
}

static void st_fini(void *st)
{
    struct st_st *s = st;
    chk_strtab_free(&s->digests);
    chk_map_free(&s->ref);
    chk_map_free(&s->ref_line);
    free(s);
}

static void st_differ(struct chk *c, const struct st_st *s, const struct chk_cur *cur, uint64_t ref)
{
    const struct chk_event *e = cur->e;
    uint32_t node = (uint32_t)ref, dig = (uint32_t)(ref >> 32);
    const char *ref_node = chk_node_name(c, node), *ref_dig = s->digests.names[dig];
    struct chk_vio *v =
        chk_violation(c, CHK_R_STATE, "%s wrote state %s for view %lld of %s but %s wrote %s",
                      e->node, e->digest, (long long)e->view, e->group, ref_node, ref_dig);
    const uint64_t *line = chk_map_get(&s->ref_line, cur->group, (uint64_t)e->view);
    chk_vio_text(v, line ? *line : 0, "state node=%s group=%s view=%lld digest=%s", ref_node,
                 e->group, (long long)e->view, ref_dig);
    chk_vio_event(v, e);
}

/* Judges one `state` event. False when a table is full. */
static bool st_state(struct chk *c, struct st_st *s, const struct chk_cur *cur)
{
    const struct chk_event *e = cur->e;
    uint64_t view = (uint64_t)e->view;
    const uint64_t *ref = chk_map_get(&s->ref, cur->group, view);
    if (ref) {
        uint32_t dig = chk_strtab_find(&s->digests, e->digest);
        if (dig != (uint32_t)(*ref >> 32))
            st_differ(c, s, cur, *ref);
        return true;
    }
    uint32_t dig = chk_strtab_intern(&s->digests, e->digest);
    bool created;
    if (dig == CHK_NONE ||
        !chk_map_upsert(&s->ref, cur->group, view, (uint64_t)dig << 32 | cur->node, &created))
        return false;
    return chk_map_upsert(&s->ref_line, cur->group, view, e->line, &created) != NULL;
}

static void st_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    switch (cur->e->ev) {
    case CHK_EV_STATE:
        if (cur->group == CHK_NONE || cur->node == CHK_NONE)
            return; /* written after a crash: judged by integrity */
        if (!st_state(c, st, cur))
            chk_set_full(c, "state-transfer: a table limit was reached or memory ran out");
        break;
    default: /* only state events are judged */
        break;
    }
}

const struct chk_module chk_mod_state = {
    .rule = CHK_R_STATE,
    .init = st_init,
    .fini = st_fini,
    .on_event = st_on_event,
};
