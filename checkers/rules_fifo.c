/* checkers/rules_fifo.c: the project's fifo rule.
 *
 * Per (sender, group, view), each receiver delivers the sender's messages of
 * order "fifo" sent in that view in send order, gap free and once: a deliver
 * must be exactly the next message of the sender's fifo send sequence to that
 * group in that view after the last one of the sequence that receiver
 * delivered. The view is the send's `view`, else the sender's view when it
 * sent, else none (one sequence). A new view starts a new sequence, so a
 * receiver owes nothing across views (virtual synchrony and failure
 * atomicity judge what is lost at a view change). Every deliver that is not
 * exactly next is one violation (a gap, a message delivered late, or
 * delivered again); after a gap the receiver's position jumps to the
 * delivered message.
 */
#include <assert.h>
#include <stdlib.h>

#include "chk_internal.h"

/* Where a fifo msg sits in its sender's sequence: 1-based index, 0 = not a fifo msg. */
struct fifo_pos {
    uint32_t seq, idx;
};

/* What one receiver delivered of one sequence. */
struct fifo_rx {
    uint32_t last_idx; /* index of the last delivered msg, 0 = none */
    uint32_t last_msg;
    uint64_t last_line;
};

struct fifo_st {
    struct chk_map seq_map; /* (sender << 32 | group, view) -> sequence id */
    uint32_t *seq_len;      /* by sequence id: fifo msgs sent so far */
    size_t n_seq, seq_cap;
    struct chk_map seq_msg; /* (sequence id, idx) -> msg id */
    struct fifo_pos *pos;   /* by msg id */
    size_t pos_cap;
    struct chk_map rx_map; /* (receiver, sequence id) -> index into rx */
    struct fifo_rx *rx;
    size_t n_rx, rx_cap;
};

static void *fifo_init(struct chk *c)
{
    (void)c;
    return calloc(1, sizeof(struct fifo_st));
}

static void fifo_fini(void *st)
{
    struct fifo_st *f = st;
    chk_map_free(&f->seq_map);
    free(f->seq_len);
    chk_map_free(&f->seq_msg);
    free(f->pos);
    chk_map_free(&f->rx_map);
    free(f->rx);
    free(f);
}

/* The view a send belongs to: its `view`, else the sender's, else -1. */
static int64_t fifo_view(const struct chk *c, const struct chk_cur *cur)
{
    if (cur->e->view >= 0)
        return cur->e->view;
    return cur->ng && cur->ng->view != CHK_NONE ? c->views[cur->ng->view].view : -1;
}

static bool fifo_send(const struct chk *c, struct fifo_st *f, const struct chk_cur *cur,
                      bool is_fifo)
{
    if (!chk_vec_reserve((void **)&f->pos, &f->pos_cap, (size_t)cur->msg + 1, sizeof *f->pos))
        return false;
    f->pos[cur->msg] = (struct fifo_pos){.seq = CHK_NONE};
    if (!is_fifo)
        return true;
    bool created;
    uint64_t key = (uint64_t)cur->node << 32 | cur->group;
    uint64_t *seq =
        chk_map_upsert(&f->seq_map, key, (uint64_t)fifo_view(c, cur), f->n_seq, &created);
    if (!seq ||
        !chk_vec_reserve((void **)&f->seq_len, &f->seq_cap, f->n_seq + 1, sizeof *f->seq_len))
        return false;
    if (created)
        f->seq_len[f->n_seq++] = 0;
    uint32_t idx = ++f->seq_len[*seq];
    f->pos[cur->msg] = (struct fifo_pos){.seq = (uint32_t)*seq, .idx = idx};
    return chk_map_upsert(&f->seq_msg, *seq, idx, cur->msg, &created) != NULL;
}

static struct fifo_rx *fifo_rx_get(struct fifo_st *f, uint32_t node, uint32_t seq)
{
    bool created;
    uint64_t *at = chk_map_upsert(&f->rx_map, node, seq, f->n_rx, &created);
    if (!at || !chk_vec_reserve((void **)&f->rx, &f->rx_cap, f->n_rx + 1, sizeof *f->rx))
        return NULL;
    if (created)
        f->rx[f->n_rx++] = (struct fifo_rx){.last_msg = CHK_NONE};
    return &f->rx[*at];
}

/* Judges a deliver that is not exactly next (idx != last + 1). */
static void fifo_out_of_turn(struct chk *c, struct fifo_st *f, const struct chk_cur *cur,
                             const struct fifo_rx *rx, struct fifo_pos p)
{
    const struct chk_event *e = cur->e;
    struct chk_vio *v;
    if (p.idx > rx->last_idx + 1) {
        uint64_t *missing = chk_map_get(&f->seq_msg, p.seq, rx->last_idx + 1);
        assert(missing);
        const char *skipped = chk_msg_name(c, (uint32_t)*missing);
        v = chk_violation(c, CHK_R_FIFO, "%s delivered %s before %s (sent earlier by %s)", e->node,
                          e->msg, skipped, chk_node_name(c, cur->m->sender));
        chk_vio_send(c, v, (uint32_t)*missing);
    } else if (cur->first_delivery) {
        v = chk_violation(c, CHK_R_FIFO, "%s delivered %s twice", e->node, e->msg);
        chk_vio_text(v, cur->first_delivery, "deliver node=%s msg=%s", e->node, e->msg);
    } else {
        v = chk_violation(c, CHK_R_FIFO, "%s delivered %s after %s, which was sent later", e->node,
                          e->msg, chk_msg_name(c, rx->last_msg));
        chk_vio_send(c, v, cur->msg);
        chk_vio_text(v, rx->last_line, "deliver node=%s msg=%s", e->node,
                     chk_msg_name(c, rx->last_msg));
    }
    chk_vio_event(v, e);
}

static void fifo_deliver(struct chk *c, struct fifo_st *f, const struct chk_cur *cur)
{
    if (!cur->m || cur->msg >= f->pos_cap)
        return;
    struct fifo_pos p = f->pos[cur->msg];
    if (p.seq == CHK_NONE)
        return;
    struct fifo_rx *rx = fifo_rx_get(f, cur->node, p.seq);
    if (!rx) {
        chk_set_full(c, "fifo: too many (receiver, sequence) pairs");
        return;
    }
    if (p.idx != rx->last_idx + 1)
        fifo_out_of_turn(c, f, cur, rx, p);
    if (p.idx > rx->last_idx) {
        rx->last_idx = p.idx;
        rx->last_msg = cur->msg;
        rx->last_line = cur->e->line;
    }
}

static void fifo_on_event(struct chk *c, void *st, const struct chk_cur *cur)
{
    struct fifo_st *f = st;
    switch (cur->e->ev) {
    case CHK_EV_SEND:
        if (!cur->m && !fifo_send(c, f, cur, cur->order == c->order_fifo && cur->group != CHK_NONE))
            chk_set_full(c, "fifo: a table limit was reached or memory ran out");
        break;
    case CHK_EV_DELIVER:
        fifo_deliver(c, f, cur);
        break;
    default: /* no other event moves a fifo sequence */
        break;
    }
}

const struct chk_module chk_mod_fifo = {
    .rule = CHK_R_FIFO,
    .init = fifo_init,
    .fini = fifo_fini,
    .on_event = fifo_on_event,
};
