/* core/group/pg_abcast.c: causal abcast over cbcast (paper section 3.2: "such a
 * causal abcast protocol can be built over cbcast"). See abcast() in pg.h.
 *
 * Owns: per group and view, the application-delivery queue that sits between
 * causal delivery to the pg layer (pg_cbcast.c) and the entry upcall, the
 * abcast token and the ORDER records.
 *
 * Every message the pg layer delivers causally enters the queue (a plain
 * cbcast skips it when the queue is empty). An entry is handed to the
 * application when (1) it is causally ready with respect to what the
 * application already got (app_vt, the cbcast rule applied a second time)
 * and (2) if it is an abcast, its position is the next one. So the
 * application sees causal order across cbcast and abcast, and abcasts in
 * position order; the positions extend causality because the holder gives
 * them in its own causal delivery order.
 *
 * Positions: 1, 2, ... per view. The holder gives the next position to each
 * abcast it delivers causally (and to its own abcast when it sends it, inside
 * the message itself) and multicasts them, contiguously, in ORDER records
 * carried by its next DATA message: a cbcast, an abcast, or a standalone
 * carrier (PG_AB_NOAPP) sent at the end of the delivery pass. Records are
 * cbcast messages: they are causally after the abcasts they name, stored,
 * forwarded in a flush and delivered identically by virtual synchrony. The
 * holder hands a position to its application only once the record holding it
 * is multicast ("published"). A TOKEN record names the next holder; the
 * positions after it are that member's to give. Every member follows the
 * holder from the records it delivers (causal order makes the chain of
 * records and passes one sequence).
 *
 * Token rule (cfg.abcast_token_follow): the holder counts the abcasts it
 * orders; a run of cfg.abcast_token_streak consecutive abcasts of one other
 * member, with no abcast of anyone else in between (its own included), makes
 * it pass the token to that member. A holder that sends an abcast itself
 * cancels a pass not yet sent. Interleaved senders never build a run: the
 * token stays put, no ping-pong; at most one pass per streak-length abcasts.
 *
 * View change: pg_ab_finish_view runs at the install of v+1 after the last
 * causal deliveries of v. Positions a holder gave but never published are
 * void; the positioned abcasts keep their positions; the rest get the next
 * positions by a deterministic topological sort (an abcast whose causal
 * predecessors among them are placed, smallest sender rank first). Survivors
 * hold the same messages and records of v, so they compute the same order.
 * Everything queued is then handed over in v.
 *
 * Safety (rule 7 holds for members that crash too): an abcast is handed to
 * the application only once its position is safe, i.e. a majority of the
 * view delivered the record that holds it. A view change needs a majority,
 * so a survivor holds that record and the flush gives it to every survivor:
 * nobody, the holder included, acts on an order the survivors do not repeat.
 * Without this, a holder that delivered its own abcasts at once, or
 * positioned others' and delivered them, then crashed with its record lost
 * everywhere, had an order the survivors contradicted (explore seed 8396,
 * scenarios/abcast-holder-crash.scn).
 *
 * How it is known: the holder counts (ab->counted) from its acknowledgement
 * rows (pg_cb_majority_has: VTs on traffic, STABLE advertisements); a member
 * that delivered a record and sent nothing after it in that delivery pass
 * acknowledges to the holder at once. The holder multicasts the counted
 * prefix as a SAFE mark (PG_AB_SAFE, on a carrier or its next message) and
 * hands over only after the mark left; every other member hands over when
 * it delivers the mark (ab->safe). So every hand-over follows, at its
 * member, a cbcast message it delivered or sent: a later send names that
 * message in its timestamps, in this group (VT) and in the others of the
 * domain (pg_domain.c), and whoever delivers the later send has handed the
 * abcast over before (rule 6 across groups; a member that counted a
 * majority itself and handed over would break it). The cost: about two
 * hops more than the record alone.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_abcast.h"

#define AB_NONE UINT32_MAX

/* One message delivered causally and not yet handed to the application. */
struct pg_ab_ent {
    struct pg_ab_ent *next; /* per-sender list, ascending seq */
    uint32_t seq;
    uint32_t pos; /* abcast position in the view, 0 while unknown */
    uint8_t rank;
    uint8_t ab;       /* enum pg_ab_flag of the message */
    uint64_t arrival; /* causal delivery number here */
    int64_t t_ns;     /* causal delivery time */
    uint32_t len;
    uint32_t *vt;
    uint8_t *payload;
};

#define AB_CARRIERS 64u /* published records whose safety is awaited (more: the oldest wait) */

/* A published ORDER record: positions up to `last` ride in message (rank, seq). */
struct pg_ab_carrier {
    uint32_t last, seq;
    uint8_t rank;
};

struct pg_ab {
    uint32_t n;         /* view size */
    uint32_t holder;    /* rank of the token holder */
    uint32_t assigned;  /* last position given (holder) or learned from a record */
    uint32_t published; /* last position multicast (holder) or learned */
    uint32_t counted;   /* last position whose record a majority delivered, as counted
                           by the holder (a non-holder: the last SAFE mark) */
    uint32_t announced; /* holder: last position multicast in a SAFE mark */
    uint32_t safe;      /* last position that may be handed over: the holder's
                           announced, a non-holder's last SAFE mark */
    struct pg_ab_carrier carriers[AB_CARRIERS]; /* published, not yet counted, oldest first */
    uint32_t n_carriers;
    bool ack_due;       /* delivered a record and multicast nothing since: tell the holder */
    uint32_t delivered; /* last position handed to the application */
    uint32_t pass_to;   /* holder: a decided pass not yet sent, AB_NONE if none */
    uint32_t streak_rank, streak;
    uint32_t app_vt[PG_CAP]; /* entries handed over (or passed through) per sender rank */
    struct pg_ab_ent *head[PG_CAP], *tail[PG_CAP];
    uint32_t count;       /* entries queued */
    uint32_t own_abcasts; /* own abcasts queued */
    uint64_t arrivals;
};

/* ---- the wire extension in the message store ---- */

uint32_t pg_ab_ext_words(const struct pg_wmsg *m)
{
    if (!m->ab)
        return 0;
    return 4 + ((m->ab & PG_AB_ORDER) ? 2 * m->n_ord : 0);
}

void pg_ab_ext_save(struct pg_msg *pm, const struct pg_wmsg *m)
{
    pm->ab = m->ab;
    if (!m->ab)
        return;
    uint32_t *x = pm->ab_x, n = (m->ab & PG_AB_ORDER) ? m->n_ord : 0;
    x[0] = m->token_to;
    x[1] = m->ord_start;
    x[2] = n;
    x[3] = m->safe_pos;
    for (uint32_t i = 0; i < n; i++) {
        x[4 + 2 * i] = m->ord_rank[i];
        x[5 + 2 * i] = m->ord_seq[i];
    }
}

void pg_ab_ext_load(struct pg_wmsg *w, const struct pg_msg *pm)
{
    w->ab = pm->ab;
    if (!pm->ab)
        return;
    const uint32_t *x = pm->ab_x;
    w->token_to = x[0];
    w->ord_start = x[1];
    w->n_ord = x[2];
    w->safe_pos = x[3];
    assert(w->n_ord <= PG_ORDER_MAX);
    assert((w->n_ord > 0) == ((pm->ab & PG_AB_ORDER) != 0));
    assert((w->safe_pos > 0) == ((pm->ab & PG_AB_SAFE) != 0));
    for (uint32_t i = 0; i < w->n_ord; i++) {
        w->ord_rank[i] = (uint8_t)x[4 + 2 * i];
        w->ord_seq[i] = x[5 + 2 * i];
    }
}

bool pg_ab_valid(const struct pg_group *g, const struct pg_wmsg *m)
{
    uint32_t n = g->view.n_members;
    if ((m->ab & PG_AB_TOKEN) && m->token_to >= n)
        return false;
    for (uint32_t i = 0; (m->ab & PG_AB_ORDER) && i < m->n_ord; i++)
        if (m->ord_rank[i] >= n)
            return false;
    return true;
}

/* ---- state ---- */

static void ab_clear(struct pg_ab *ab)
{
    for (uint32_t k = 0; k < PG_CAP; k++) {
        while (ab->head[k]) {
            struct pg_ab_ent *e = ab->head[k];
            ab->head[k] = e->next;
            free(e);
        }
    }
}

bool pg_ab_alloc(struct pg_group *g)
{
    assert(!g->ab);
    g->ab = calloc(1, sizeof *g->ab);
    return g->ab != NULL;
}

void pg_ab_free(struct pg_group *g)
{
    if (!g->ab)
        return;
    ab_clear(g->ab);
    free(g->ab);
    g->ab = NULL;
}

void pg_ab_reset(struct pg *pg, struct pg_group *g)
{
    (void)pg;
    struct pg_ab *ab = g->ab;
    assert(ab);
    assert(g->view.n_members >= 1);
    assert(g->view.n_members <= PG_CAP);
    ab_clear(ab);
    memset(ab, 0, sizeof *ab);
    ab->n = g->view.n_members;
    ab->holder = 0; /* the coordinator */
    ab->pass_to = AB_NONE;
    ab->streak_rank = AB_NONE;
}

pg_node_id pg_ab_holder(const struct pg_group *g)
{
    const struct pg_ab *ab = g->ab;
    return ab && ab->holder < g->view.n_members ? g->view.members[ab->holder] : PG_NODE_NONE;
}

static struct pg_ab_ent *ab_find(const struct pg_ab *ab, uint32_t rank, uint32_t seq)
{
    for (struct pg_ab_ent *e = ab->head[rank]; e && e->seq <= seq; e = e->next)
        if (e->seq == seq)
            return e;
    return NULL;
}

/* Safety of positions (rule 7 with crashes): a member hands an abcast to its
 * application only once a majority of the view delivered the record that
 * positions it. A view change needs a majority of the view, so at least one
 * survivor holds that record and the flush gives it to every survivor: no
 * member, the holder included, can have handed over an order that the
 * survivors do not repeat (a holder that crashed right after positioning,
 * its record lost everywhere, used to). */
static void ab_carrier_push(struct pg_ab *ab, uint32_t last, uint32_t rank, uint32_t seq)
{
    assert(last > ab->counted);
    assert(rank < ab->n);
    if (ab->n_carriers == AB_CARRIERS) { /* full: the newest replaces the last one (a
                                            majority that delivered it delivered the last) */
        ab->carriers[AB_CARRIERS - 1] = (struct pg_ab_carrier){last, seq, (uint8_t)rank};
        return;
    }
    ab->carriers[ab->n_carriers++] = (struct pg_ab_carrier){last, seq, (uint8_t)rank};
}

/* A non-holder delivered the holder's SAFE mark pos: the carriers up to it
 * are done (a later holder counts from there). */
static void ab_safe_to(struct pg_ab *ab, uint32_t pos)
{
    assert(pos > ab->safe);
    assert(pos <= ab->published);
    uint32_t k = 0;
    while (k < ab->n_carriers && ab->carriers[k].last <= pos)
        k++;
    memmove(ab->carriers, ab->carriers + k, (ab->n_carriers - k) * sizeof *ab->carriers);
    ab->n_carriers -= k;
    ab->safe = pos;
    ab->counted = pos > ab->counted ? pos : ab->counted;
}

/* The holder advances ab->counted over the carriers a majority delivered
 * (as its acknowledgement rows tell); true if it moved. */
static bool ab_count(const struct pg_group *g, struct pg_ab *ab)
{
    assert(ab->holder == g->my_rank);
    uint32_t k = 0;
    while (k < ab->n_carriers && pg_cb_majority_has(g, ab->carriers[k].rank, ab->carriers[k].seq))
        ab->counted = ab->carriers[k++].last;
    if (k == 0)
        return false;
    memmove(ab->carriers, ab->carriers + k, (ab->n_carriers - k) * sizeof *ab->carriers);
    ab->n_carriers -= k;
    assert(ab->counted <= ab->published);
    assert(ab->counted > ab->announced);
    return true;
}

/* ---- the holder ---- */

/* The holder gives e the next position and follows the token rule. */
static void ab_assign(struct pg *pg, struct pg_group *g, struct pg_ab_ent *e)
{
    struct pg_ab *ab = g->ab;
    assert(ab->holder == g->my_rank);
    assert(e->pos == 0);
    assert((e->ab & PG_AB_ABCAST));
    e->pos = ++ab->assigned;
    if (e->rank == g->my_rank) {
        ab->streak = 0;
        ab->streak_rank = AB_NONE;
        ab->pass_to = AB_NONE;
        return;
    }
    if (e->rank != ab->streak_rank) {
        ab->streak_rank = e->rank;
        ab->streak = 0;
    }
    ab->streak++;
    if (pg->cfg.abcast_token_follow && ab->streak >= pg->cfg.abcast_token_streak &&
        ab->pass_to == AB_NONE)
        ab->pass_to = e->rank;
}

/* The first queued abcast of rank k without a position. */
static struct pg_ab_ent *ab_first_unpos(const struct pg_ab *ab, uint32_t k)
{
    struct pg_ab_ent *e = ab->head[k];
    while (e && (e->pos != 0 || !(e->ab & PG_AB_ABCAST)))
        e = e->next;
    return e;
}

/* This node just became the holder: it orders what waits, in its causal
 * delivery order (per sender FIFO, merged by arrival). */
static void ab_take_token(struct pg *pg, struct pg_group *g)
{
    struct pg_ab *ab = g->ab;
    for (;;) {
        struct pg_ab_ent *best = NULL;
        for (uint32_t k = 0; k < ab->n; k++) {
            struct pg_ab_ent *e = ab_first_unpos(ab, k);
            if (e && (!best || e->arrival < best->arrival))
                best = e;
        }
        if (!best)
            return;
        ab_assign(pg, g, best);
    }
}

/* Fills the ORDER record (and a TOKEN pass) of an own DATA message m. */
void pg_ab_build(const struct pg *pg, const struct pg_group *g, struct pg_wmsg *m)
{
    (void)pg;
    const struct pg_ab *ab = g->ab;
    if (ab->holder != g->my_rank)
        return;
    bool own = (m->ab & PG_AB_ABCAST) != 0;
    uint32_t unpub = ab->assigned - ab->published, room = PG_ORDER_MAX - (own ? 1u : 0u);
    if (unpub > room && own)
        return; /* no room for its own entry: it is ordered when delivered here */
    uint32_t k = unpub < room ? unpub : room;
    for (uint32_t r = 0; r < ab->n && k > 0; r++) {
        for (const struct pg_ab_ent *e = ab->head[r]; e; e = e->next) {
            if (e->pos > ab->published && e->pos <= ab->published + k) {
                m->ord_rank[e->pos - ab->published - 1] = e->rank;
                m->ord_seq[e->pos - ab->published - 1] = e->seq;
            }
        }
    }
    if (own) {
        m->ord_rank[k] = (uint8_t)g->my_rank;
        m->ord_seq[k++] = g->cb.my_seq + 1;
    }
    if (k > 0) {
        m->ab |= PG_AB_ORDER;
        m->ord_start = ab->published + 1;
        m->n_ord = k;
    }
    if (ab->counted > ab->announced) {
        m->ab |= PG_AB_SAFE;
        m->safe_pos = ab->counted;
    }
    if (ab->pass_to != AB_NONE && !own && ab->published + k == ab->assigned) {
        m->ab |= PG_AB_TOKEN;
        m->token_to = ab->pass_to;
    }
}

void pg_ab_sent(struct pg *pg, struct pg_group *g, const struct pg_wmsg *m)
{
    struct pg_ab *ab = g->ab;
    ab->ack_due = false; /* the message carries this node's delivered VT */
    if (m->ab & PG_AB_SAFE) {
        assert(ab->holder == g->my_rank);
        assert(m->safe_pos > ab->announced);
        assert(m->safe_pos <= ab->counted);
        assert(ab->safe <= ab->announced);
        ab->announced = m->safe_pos; /* handed over after the send (pg_ab_publish) */
    }
    if (m->ab & PG_AB_ORDER) {
        assert(ab->holder == g->my_rank);
        assert(m->ord_start == ab->published + 1);
        ab->published += m->n_ord;
        if (ab->published > ab->assigned) /* the sender's own entry */
            ab->assigned = ab->published;
        ab_carrier_push(ab, ab->published, g->my_rank, g->cb.my_seq);
        pg->stats.order_records_sent++;
    }
    if (m->ab & PG_AB_NOAPP)
        pg->stats.order_carriers++;
    if ((m->ab & PG_AB_ABCAST) && ab->holder == g->my_rank) {
        ab->streak = 0; /* the holder is an active sender itself */
        ab->streak_rank = AB_NONE;
        ab->pass_to = AB_NONE;
    }
    if (m->ab & PG_AB_TOKEN) {
        assert(ab->published == ab->assigned);
        assert(m->token_to != g->my_rank);
        ab->holder = m->token_to;
        ab->pass_to = AB_NONE;
        ab->streak = 0;
        ab->streak_rank = AB_NONE;
        pg->stats.token_passes++;
        pg_sometimes(pg, g->gid, PG_ST_AB_TOKEN, "abcast token passed");
    }
}

static void ab_release(struct pg *pg, struct pg_group *g);

void pg_ab_publish(struct pg *pg, struct pg_group *g)
{
    struct pg_ab *ab = g->ab;
    if (pg_view_flushing(g))
        return; /* a flush orders what is unpublished (pg_ab_finish_view) */
    while (
        g->st == PG_GS_MEMBER && ab->holder == g->my_rank &&
        (ab->assigned > ab->published || ab->pass_to != AB_NONE || ab->counted > ab->announced)) {
        uint32_t before = ab->published, before_mark = ab->announced;
        if (pg_cb_send_ex(pg, g, NULL, 0, true, PG_AB_NOAPP) != PG_OK)
            return;
        assert(ab->published > before || ab->announced > before_mark || ab->holder != g->my_rank);
    }
    if (g->st != PG_GS_MEMBER)
        return;
    if (ab->announced > ab->safe) { /* the mark is out: the holder hands over too */
        assert(ab->announced <= ab->counted);
        ab->safe = ab->announced;
        if (ab->count > 0)
            ab_release(pg, g);
    } else if (ab->ack_due && ab->holder != g->my_rank) {
        ab->ack_due = false; /* the end of a delivery pass: the holder counts a majority */
        pg_cb_ack_to(pg, g, g->view.members[ab->holder]);
    }
}

int pg_ab_send(struct pg *pg, struct pg_group *g, const uint8_t *p, size_t len)
{
    if (g->ab->own_abcasts >= pg->cfg.max_abcast_unordered ||
        pg_cb_unstable_own(g) >= pg->cfg.max_unstable_own)
        return PG_E_FULL;
    return pg_cb_send_ex(pg, g, p, len, false, PG_AB_ABCAST);
}

int pg_ab_send_held(struct pg *pg, struct pg_group *g, const struct pg_blob *b)
{
    assert(b->kind == 0 || b->kind == PG_AB_ABCAST || b->kind == PG_AB_CX);
    return pg_cb_send_ex(pg, g, b->buf, b->len, true, b->kind); /* kind: the flags */
}

/* ---- records ---- */

/* Applies the ORDER/TOKEN records of m (from rank j), delivered causally.
 * False (the group is then excluded) if they contradict this node's state. */
static bool ab_apply(struct pg *pg, struct pg_group *g, uint32_t j, const struct pg_msg *m)
{
    struct pg_ab *ab = g->ab;
    const uint32_t *x = m->ab_x;
    uint32_t start = x[1], n = x[2];
    if (j == g->my_rank) { /* own records: positions reserved when sent */
        for (uint32_t i = 0; i < n; i++) {
            struct pg_ab_ent *e = ab_find(ab, x[4 + 2 * i], x[5 + 2 * i]);
            assert(!e || e->pos == 0 || e->pos == start + i);
            if (e)
                e->pos = start + i;
        }
        return true;
    }
    if (j != ab->holder || (n > 0 && start != ab->published + 1))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        struct pg_ab_ent *e = ab_find(ab, x[4 + 2 * i], x[5 + 2 * i]);
        if (!e || e->pos != 0 || !(e->ab & PG_AB_ABCAST))
            return false;
        e->pos = start + i;
    }
    assert(ab->assigned == ab->published);
    ab->published = ab->assigned = ab->published + n;
    if (n > 0) {
        ab_carrier_push(ab, ab->published, j, m->seq);
        ab->ack_due = true;
    }
    if (m->ab & PG_AB_SAFE) { /* the holder counted a majority (x[3] <= what it published) */
        if (x[3] > ab->published)
            return false;
        if (x[3] > ab->safe)
            ab_safe_to(ab, x[3]);
    }
    if (m->ab & PG_AB_TOKEN) {
        ab->holder = x[0];
        ab->announced = ab->safe; /* the new holder marks from what the old one marked */
        if (ab->holder == g->my_rank) {
            ab_take_token(pg, g);
            (void)ab_count(g, ab);
        } else if (ab->n_carriers > 0) {
            ab->ack_due = true; /* the new holder counts the majority of what waits */
        }
    }
    return true;
}

/* ---- handing over to the application ---- */

static bool ab_ready(const struct pg_ab *ab, const struct pg_ab_ent *e)
{
    assert(e->seq == ab->app_vt[e->rank] + 1); /* per-sender FIFO */
    for (uint32_t k = 0; k < ab->n; k++)
        if (k != e->rank && e->vt[k] > ab->app_vt[k])
            return false;
    if (!(e->ab & PG_AB_ABCAST))
        return true;
    return e->pos != 0 && e->pos == ab->delivered + 1 && e->pos <= ab->safe;
}

static void ab_upcall(struct pg *pg, struct pg_group *g, uint32_t j, uint32_t seq, uint8_t ab_flags,
                      const uint8_t *payload, uint32_t len)
{
    g->ab->app_vt[j]++;
    assert(g->ab->app_vt[j] == seq);
    if (ab_flags & PG_AB_CX) { /* a diffusion or a client's message (pg_client.c) */
        if (pg->ab_cx)
            pg->ab_cx(pg, g, j, seq, payload, len);
    } else if (!(ab_flags & PG_AB_NOAPP) && g->entry)
        g->entry(g->entry_ctx, g->gid, g->view.view_id, g->view.members[j], payload, len);
    if (j == g->my_rank && g->cb.fpending && g->st == PG_GS_MEMBER)
        pg_cb_check_flush(pg, g); /* a pg_flush waits for its own messages here first */
}

uint32_t pg_ab_n(const struct pg_group *g)
{
    return g->ab ? g->ab->n : 0;
}

uint32_t pg_ab_app_count(const struct pg_group *g, uint32_t rank)
{
    assert(rank < g->ab->n);
    return g->ab->app_vt[rank];
}

static void ab_hand_over(struct pg *pg, struct pg_group *g, struct pg_ab_ent *e)
{
    struct pg_ab *ab = g->ab;
    if (e->ab & PG_AB_ABCAST) {
        assert(e->pos == ab->delivered + 1);
        ab->delivered++;
        int64_t d = pg_now(pg) - e->t_ns;
        assert(d >= 0);
        pg->stats.abcast_delivered++;
        pg->stats.order_delay_total_ns += (uint64_t)d;
        if ((uint64_t)d > pg->stats.order_delay_max_ns)
            pg->stats.order_delay_max_ns = (uint64_t)d;
        if (e->rank == g->my_rank)
            ab->own_abcasts--;
    }
    ab_upcall(pg, g, e->rank, e->seq, e->ab, e->payload, e->len);
}

/* Hands over every entry that is ready, until none is. */
static void ab_release(struct pg *pg, struct pg_group *g)
{
    struct pg_ab *ab = g->ab;
    uint32_t view_id = g->view.view_id;
    bool progress = true;
    while (progress && ab->count > 0) {
        progress = false;
        for (uint32_t j = 0; j < ab->n; j++) {
            struct pg_ab_ent *e = ab->head[j];
            if (!e || !ab_ready(ab, e))
                continue;
            ab->head[j] = e->next;
            if (!e->next)
                ab->tail[j] = NULL;
            ab->count--;
            ab_hand_over(pg, g, e);
            free(e);
            if (g->st != PG_GS_MEMBER || g->view.view_id != view_id)
                return;
            progress = true;
        }
    }
}

static struct pg_ab_ent *ab_push(struct pg *pg, struct pg_group *g, const struct pg_msg *m)
{
    struct pg_ab *ab = g->ab;
    if (ab->count >= pg->cfg.max_msgs) {
        pg_view_exclude(pg, g, "abcast delivery queue full");
        return NULL;
    }
    uint32_t n = ab->n;
    struct pg_ab_ent *e = malloc(sizeof *e + n * sizeof(uint32_t) + m->len);
    if (!e) {
        pg_view_exclude(pg, g, "out of memory");
        return NULL;
    }
    *e = (struct pg_ab_ent){.seq = m->seq, .rank = m->sender, .ab = m->ab, .len = m->len};
    e->vt = (uint32_t *)(e + 1);
    e->payload = (uint8_t *)(e->vt + n);
    memcpy(e->vt, m->vt, n * sizeof(uint32_t));
    if (m->len)
        memcpy(e->payload, m->payload, m->len);
    e->arrival = ++ab->arrivals;
    e->t_ns = pg_now(pg);
    uint32_t j = m->sender;
    assert(!ab->tail[j] || ab->tail[j]->seq + 1 == e->seq);
    if (ab->tail[j])
        ab->tail[j]->next = e;
    else
        ab->head[j] = e;
    ab->tail[j] = e;
    ab->count++;
    if (j == g->my_rank && (e->ab & PG_AB_ABCAST))
        ab->own_abcasts++;
    return e;
}

void pg_ab_on_deliver(struct pg *pg, struct pg_group *g, const struct pg_msg *m)
{
    struct pg_ab *ab = g->ab;
    uint32_t j = m->sender;
    assert(ab->n == g->view.n_members);
    assert(j < ab->n);
    if (ab->count == 0 && !(m->ab & PG_AB_ABCAST)) { /* nothing waits: straight through */
        if ((m->ab & (PG_AB_ORDER | PG_AB_TOKEN | PG_AB_SAFE)) && !ab_apply(pg, g, j, m)) {
            pg->stats.malformed_dropped++;
            pg_view_exclude(pg, g, "abcast record contradicts the known order");
            return;
        }
        ab_upcall(pg, g, j, m->seq, m->ab, m->payload, m->len);
        return;
    }
    struct pg_ab_ent *e = ab_push(pg, g, m);
    if (!e)
        return;
    if ((m->ab & (PG_AB_ORDER | PG_AB_TOKEN | PG_AB_SAFE)) && !ab_apply(pg, g, j, m)) {
        pg->stats.malformed_dropped++;
        pg_view_exclude(pg, g, "abcast record contradicts the known order");
        return;
    }
    if ((e->ab & PG_AB_ABCAST) && e->pos == 0 && ab->holder == g->my_rank)
        ab_assign(pg, g, e);
    if (ab->holder == g->my_rank && ab->n_carriers > 0)
        (void)ab_count(g, ab); /* the mark goes out at the end of the pass (pg_ab_publish) */
    ab_release(pg, g);
}

void pg_ab_acks_changed(struct pg *pg, struct pg_group *g)
{
    struct pg_ab *ab = g->ab;
    if (ab->holder != g->my_rank || ab->n_carriers == 0 || !ab_count(g, ab))
        return;
    pg_ab_publish(pg, g); /* the mark, then the holder's own hand-over */
}

/* ---- view change ---- */

/* The next abcast of the deterministic order: among the first unpositioned
 * abcast of each sender, those no other of them causally precedes; the
 * lowest rank. NULL when none is left. */
static struct pg_ab_ent *ab_next_det(const struct pg_ab *ab)
{
    struct pg_ab_ent *cand[PG_CAP];
    for (uint32_t k = 0; k < ab->n; k++)
        cand[k] = ab_first_unpos(ab, k);
    bool any = false;
    for (uint32_t j = 0; j < ab->n; j++) {
        if (!cand[j])
            continue;
        any = true;
        bool preceded = false;
        for (uint32_t k = 0; k < ab->n && !preceded; k++)
            preceded = k != j && cand[k] && cand[j]->vt[k] >= cand[k]->seq;
        if (!preceded)
            return cand[j];
    }
    assert(!any); /* causal precedence has no cycle */
    return NULL;
}

void pg_ab_finish_view(struct pg *pg, struct pg_group *g)
{
    struct pg_ab *ab = g->ab;
    if (ab->assigned > ab->published) { /* given but never published: void */
        for (uint32_t k = 0; k < ab->n; k++)
            for (struct pg_ab_ent *e = ab->head[k]; e; e = e->next)
                if (e->pos > ab->published)
                    e->pos = 0;
        ab->assigned = ab->published;
    }
    struct pg_ab_ent *e;
    while ((e = ab_next_det(ab)) != NULL) {
        e->pos = ++ab->assigned;
        pg->stats.abcast_flush_ordered++;
        pg_sometimes(pg, g->gid, PG_ST_AB_FLUSH, "abcast without an order at a view change");
        if (pg_rank_of(g->vw.dec.members, g->vw.dec.n_members, g->view.members[ab->holder]) < 0)
            pg_sometimes(pg, g->gid, PG_ST_AB_HOLDER, "token holder failed with unordered abcasts");
    }
    /* the flush gave every survivor the same */
    ab->published = ab->counted = ab->announced = ab->safe = ab->assigned;
    ab->n_carriers = 0;
    uint32_t view_id = g->view.view_id;
    ab_release(pg, g);
    assert(g->st != PG_GS_MEMBER || g->view.view_id != view_id || ab->count == 0);
}

/* ---- cbcast's hooks (pg_cbcast.c) ---- */

void pg_ab_register(struct pg *pg)
{
    struct pg_cb_hooks *h = &pg->cbh;
    assert(h->n_reset < PG_HOOKS_MAX);
    h->ext_words = pg_ab_ext_words;
    h->ext_save = pg_ab_ext_save;
    h->ext_load = pg_ab_ext_load;
    h->ext_valid = pg_ab_valid;
    h->reset[h->n_reset++] = pg_ab_reset;
    h->build = pg_ab_build;
    h->sent = pg_ab_sent;
    h->acks_changed = pg_ab_acks_changed;
    h->app_count = pg_ab_app_count;
    h->deliver = pg_ab_on_deliver;
    h->pass_end = pg_ab_publish;
    h->finish = pg_ab_finish_view;
}
