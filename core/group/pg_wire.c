/* core/group/pg_wire.c: the bounds-checked codec of pg messages. See pg.h.
 *
 * Layout (little-endian, varints are LEB128 of at most 10 bytes):
 *   u8 magic 0xB5, u8 type, varint view_id, then by type:
 *   DATA     u8 rank, varint n, n x (u8 rank, varint value) ascending ranks, [AB], payload
 *   FWD      u8 rank, varint n, n x varint, [AB], payload
 *   AB       (DATA/FWD whose type byte has bit 0x80: the abcast extension)
 *            u8 flags (enum pg_ab_flag, not 0), then if ORDER: varint start,
 *            u8 n, n x (u8 rank, varint seq); then if TOKEN: u8 rank; then if
 *            SAFE: varint safe_pos (>= 1);
 *            a NOAPP message has no payload
 *   DOM      (DATA/FWD whose type byte has bit 0x40: cross-group timestamps, after AB)
 *            varint len, len bytes in pg_domain.c's record format (pg_dom_valid)
 *   P2P      varint domain, varint seq (>= 1), varint len, len bytes of records, payload
 *   STABLE   u8 full (0: delivered vector, 1: stable vector), varint n, n x varint
 *   FLUSH    varint attempt, u8 coord, varint nm, nm x u32, varint nc, nc x u32, [LEFT]
 *   FLUSH_OK varint attempt, u8 coord, rset mask
 *   ACK      varint attempt, u8 coord, u8 full (0..2), varint n_old, varint nm, nm x u32,
 *            varint nc, nc x u32, [LEFT]
 *   LEFT     (FLUSH/ACK whose type byte has bit 0x20) u32 pid, not 0 and not among the
 *            members: the member the proposal removes at its own request (pg_leave, pg_del)
 * A rank set (rset) is varint nw (<= PG_RSET_WORDS, trailing zero words
 * omitted), then nw varints, rank r being bit r%64 of word r/64.
 *   NEED     varint attempt, u8 coord
 *   REQ      u8 op (enum pg_req_op), u32 pid
 *   OUT      (nothing: view_id is the view that does not list the receiver)
 *   STATE    u8 status, varint total, varint offset, chunk (the rest); a chunk
 *            lies within total (<= PG_MAX_STATE_CAP); a status other than 0
 *            (a negated PG_E_* code) has total, offset and chunk 0
 *   CVIEW    u8 flags (enum pg_cv_flag), varint nm, nm x u32
 *   CACK     u8 hello (0|1), varint cseq
 *   CMSG     varint cseq (>= 1), payload
 *   CHELLO   u32 failed contact (0: none), varint vmin, varint dview
 *   CDIFF    u8 rank, varint seq (>= 1), u32 sender, payload
 * A list of ids (nm x u32) holds distinct ids, none 0.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pg_wire.h"

#define PGW_MAGIC 0xB5u
#define PGW_AB    0x80u /* type-byte bit: DATA/FWD with the abcast extension */
#define PGW_DOM   0x40u /* type-byte bit: DATA/FWD with cross-group timestamps */
#define PGW_LEFT  0x20u /* type-byte bit: FLUSH/ACK naming the member removed by request */

static void out_u32(struct pgw_out *o, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        pgw_out_u8(o, (v >> (8 * i)) & 0xFFu);
}

static uint32_t in_u32(struct pgw_in *in)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= pgw_in_u8(in) << (8 * i);
    return v;
}

static void out_ids(struct pgw_out *o, const pg_node_id *ids, uint32_t n)
{
    pgw_out_var(o, n);
    for (uint32_t i = 0; i < n; i++)
        out_u32(o, ids[i]);
}

static int id_cmp(const void *a, const void *b)
{
    pg_node_id x = *(const pg_node_id *)a, y = *(const pg_node_id *)b;
    return (x > y) - (x < y);
}

/* Whether ids[0..n) holds a repeated id: pairwise for short lists, else on
 * a sorted copy (a client list has up to PG_MAX_CLIENTS_CAP ids). */
static bool ids_repeat(const pg_node_id *ids, uint32_t n)
{
    if (n <= 16) {
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t j = 0; j < i; j++)
                if (ids[j] == ids[i])
                    return true;
        return false;
    }
    pg_node_id
        sorted[PG_MAX_CLIENTS_CAP > PG_MAX_MEMBERS_CAP ? PG_MAX_CLIENTS_CAP : PG_MAX_MEMBERS_CAP];
    assert(n <= sizeof sorted / sizeof sorted[0]);
    memcpy(sorted, ids, n * sizeof *ids);
    qsort(sorted, n, sizeof *sorted, id_cmp);
    for (uint32_t i = 1; i < n; i++)
        if (sorted[i] == sorted[i - 1])
            return true;
    return false;
}

/* Reads a list of distinct, non-NONE node ids of at most `max`. */
static uint32_t in_ids(struct pgw_in *in, pg_node_id *ids, uint32_t max)
{
    uint32_t n = pgw_in_var32(in);
    if (n > max) {
        in->ok = false;
        return 0;
    }
    for (uint32_t i = 0; i < n && in->ok; i++) {
        ids[i] = in_u32(in);
        if (ids[i] == PG_NODE_NONE)
            in->ok = false;
    }
    if (in->ok && ids_repeat(ids, n))
        in->ok = false;
    return in->ok ? n : 0;
}

static void out_rset(struct pgw_out *o, const struct pg_rset *s)
{
    uint32_t nw = PG_RSET_WORDS;
    while (nw > 0 && s->w[nw - 1] == 0)
        nw--;
    pgw_out_var(o, nw);
    for (uint32_t i = 0; i < nw; i++)
        pgw_out_var(o, s->w[i]);
}

static void in_rset(struct pgw_in *in, struct pg_rset *s)
{
    *s = pg_rs_none();
    uint32_t nw = pgw_in_var32(in);
    if (nw > PG_RSET_WORDS) {
        in->ok = false;
        return;
    }
    for (uint32_t i = 0; i < nw && in->ok; i++)
        s->w[i] = pgw_in_var(in);
}

static void out_blob(struct pgw_out *o, const uint8_t *p, size_t len)
{
    pgw_out_var(o, len);
    if (o->len + len > o->cap) {
        o->ok = false;
        return;
    }
    if (len)
        memcpy(o->p + o->len, p, len);
    o->len += len;
}

/* Reads a blob of pg_domain.c's record format; points into the buffer. */
static void in_blob(struct pgw_in *in, const uint8_t **p, size_t *len)
{
    uint64_t n = pgw_in_var(in);
    if (!in->ok || n > in->len - in->pos || !pg_dom_valid(in->p + in->pos, (size_t)n)) {
        in->ok = false;
        return;
    }
    *p = in->p + in->pos;
    *len = (size_t)n;
    in->pos += (size_t)n;
}

/* The messages between members and clients. */
static void enc_client(const struct pg_wmsg *m, struct pgw_out *o)
{
    switch (m->type) {
    case PG_MT_CVIEW:
        assert(m->cflags <= PG_CV_ALL);
        assert(m->n_members >= 1);
        pgw_out_u8(o, m->cflags);
        out_ids(o, m->members, m->n_members);
        break;
    case PG_MT_CACK:
        assert(m->cflags <= 1);
        pgw_out_u8(o, m->cflags);
        pgw_out_var(o, m->cseq);
        break;
    case PG_MT_CMSG:
        assert(m->cseq >= 1);
        pgw_out_var(o, m->cseq);
        break;
    case PG_MT_CHELLO:
        out_u32(o, m->pid);
        pgw_out_var(o, m->vmin);
        pgw_out_var(o, m->dview);
        break;
    case PG_MT_CDIFF:
        assert(m->cseq >= 1);
        assert(m->pid != PG_NODE_NONE);
        pgw_out_u8(o, m->rank);
        pgw_out_var(o, m->cseq);
        out_u32(o, m->pid);
        break;
    default:
        assert(!"pg_encode: unknown type");
    }
}

static bool has_payload(enum pg_msg_type t)
{
    return t == PG_MT_DATA || t == PG_MT_FWD || t == PG_MT_CMSG || t == PG_MT_CDIFF ||
           t == PG_MT_P2P || t == PG_MT_STATE;
}

static void enc_body(const struct pg_wmsg *m, struct pgw_out *o)
{
    switch (m->type) {
    case PG_MT_DATA:
        pgw_out_u8(o, m->rank);
        pgw_out_var(o, m->n_vt);
        for (uint32_t i = 0; i < m->n_vt; i++) {
            assert(i == 0 || m->vt_rank[i] > m->vt_rank[i - 1]);
            pgw_out_u8(o, m->vt_rank[i]);
            pgw_out_var(o, m->vt[i]);
        }
        break;
    case PG_MT_FWD:
        pgw_out_u8(o, m->rank);
        pgw_out_var(o, m->n_vt);
        for (uint32_t i = 0; i < m->n_vt; i++)
            pgw_out_var(o, m->vt[i]);
        break;
    case PG_MT_STABLE:
        pgw_out_u8(o, m->full);
        pgw_out_var(o, m->n_vt);
        for (uint32_t i = 0; i < m->n_vt; i++)
            pgw_out_var(o, m->vt[i]);
        break;
    case PG_MT_FLUSH:
    case PG_MT_ACK:
        pgw_out_var(o, m->attempt);
        pgw_out_u8(o, m->rank);
        if (m->type == PG_MT_ACK) {
            pgw_out_u8(o, m->full);
            pgw_out_var(o, m->n_old);
        }
        out_ids(o, m->members, m->n_members);
        out_ids(o, m->clients, m->n_clients);
        if (m->pid != PG_NODE_NONE)
            out_u32(o, m->pid);
        break;
    case PG_MT_FLUSH_OK:
        pgw_out_var(o, m->attempt);
        pgw_out_u8(o, m->rank);
        out_rset(o, &m->mask);
        break;
    case PG_MT_NEED:
        pgw_out_var(o, m->attempt);
        pgw_out_u8(o, m->rank);
        break;
    case PG_MT_REQ:
        pgw_out_u8(o, m->op);
        out_u32(o, m->pid);
        break;
    case PG_MT_OUT:
        break;
    case PG_MT_STATE:
        assert(m->st_off <= m->st_total);
        assert(m->len <= m->st_total - m->st_off);
        pgw_out_u8(o, m->st_status);
        pgw_out_var(o, m->st_total);
        pgw_out_var(o, m->st_off);
        break;
    case PG_MT_P2P:
        assert(m->p2p_seq >= 1);
        pgw_out_var(o, m->p2p_domain);
        pgw_out_var(o, m->p2p_seq);
        out_blob(o, m->dep, m->dep_len);
        break;
    default:
        enc_client(m, o);
        break;
    }
}

/* The abcast extension (see the layout above). */
static void enc_ab(const struct pg_wmsg *m, struct pgw_out *o)
{
    assert(m->ab <= PG_AB_ALL);
    assert(!((m->ab & PG_AB_ABCAST) && (m->ab & PG_AB_NOAPP)));
    assert(!(m->ab & PG_AB_NOAPP) || m->len == 0);
    assert(!(m->ab & PG_AB_CX) || !(m->ab & (PG_AB_ABCAST | PG_AB_NOAPP)));
    pgw_out_u8(o, m->ab);
    if (m->ab & PG_AB_ORDER) {
        assert(m->ord_start >= 1);
        assert(m->n_ord >= 1);
        assert(m->n_ord <= PG_ORDER_MAX);
        pgw_out_var(o, m->ord_start);
        pgw_out_u8(o, m->n_ord);
        for (uint32_t i = 0; i < m->n_ord; i++) {
            pgw_out_u8(o, m->ord_rank[i]);
            pgw_out_var(o, m->ord_seq[i]);
        }
    }
    if (m->ab & PG_AB_TOKEN)
        pgw_out_u8(o, m->token_to);
    if (m->ab & PG_AB_SAFE) {
        assert(m->safe_pos >= 1);
        pgw_out_var(o, m->safe_pos);
    }
}

size_t pg_encode(const struct pg_wmsg *m, uint8_t *buf, size_t cap)
{
    assert(m);
    assert(buf);
    assert(m->rank < PG_MAX_MEMBERS_CAP);
    assert(m->n_vt <= PG_MAX_MEMBERS_CAP);
    assert(m->n_members <= PG_MAX_MEMBERS_CAP);
    assert(m->n_clients <= PG_MAX_CLIENTS_CAP);
    struct pgw_out o = {.p = buf, .cap = cap, .ok = true};
    assert(m->ab == 0 || m->type == PG_MT_DATA || m->type == PG_MT_FWD);
    pgw_out_u8(&o, PGW_MAGIC);
    bool cast = m->type == PG_MT_DATA || m->type == PG_MT_FWD;
    bool dom = cast && m->dep_len > 0;
    bool left = (m->type == PG_MT_FLUSH || m->type == PG_MT_ACK) && m->pid != PG_NODE_NONE;
    assert(!left || pg_rank_of(m->members, m->n_members, m->pid) < 0);
    pgw_out_u8(&o, (uint32_t)m->type | (m->ab ? PGW_AB : 0u) | (dom ? PGW_DOM : 0u) |
                       (left ? PGW_LEFT : 0u));
    pgw_out_var(&o, m->view_id);
    enc_body(m, &o);
    if (m->ab)
        enc_ab(m, &o);
    if (dom)
        out_blob(&o, m->dep, m->dep_len);
    if (has_payload(m->type) && m->len) {
        if (o.len + m->len > o.cap)
            o.ok = false;
        else {
            memcpy(o.p + o.len, m->payload, m->len);
            o.len += m->len;
        }
    }
    return o.ok ? o.len : 0;
}

static uint32_t in_rank(struct pgw_in *in)
{
    uint32_t r = pgw_in_u8(in);
    if (r >= PG_MAX_MEMBERS_CAP)
        in->ok = false;
    return r;
}

/* One sparse entry (rank, value) where the input holds at least 3 more
 * bytes: no bounds check per byte. False if the value takes more than two
 * bytes (the caller falls back to the checked path) or the rank is invalid. */
static bool dec_vt_fast(struct pgw_in *in, struct pg_wmsg *m, uint32_t i)
{
    const uint8_t *p = in->p + in->pos;
    uint32_t r = p[0], b0 = p[1], b1 = p[2];
    if (r >= PG_MAX_MEMBERS_CAP || (i > 0 && r <= m->vt_rank[i - 1]))
        return false;
    if (b0 < 0x80u) {
        m->vt[i] = b0;
        in->pos += 2;
    } else if (b1 < 0x80u) {
        m->vt[i] = (b0 & 0x7Fu) | b1 << 7;
        in->pos += 3;
    } else {
        return false;
    }
    m->vt_rank[i] = (uint8_t)r;
    return true;
}

static void dec_vt(struct pgw_in *in, struct pg_wmsg *m, bool sparse)
{
    m->n_vt = pgw_in_var32(in);
    if (m->n_vt > PG_MAX_MEMBERS_CAP || (sparse && m->n_vt == 0)) {
        in->ok = false;
        return;
    }
    for (uint32_t i = 0; i < m->n_vt && in->ok; i++) {
        if (sparse && in->pos + 3 <= in->len && dec_vt_fast(in, m, i))
            continue;
        if (sparse) {
            m->vt_rank[i] = (uint8_t)in_rank(in);
            if (i > 0 && m->vt_rank[i] <= m->vt_rank[i - 1])
                in->ok = false;
        }
        m->vt[i] = pgw_in_var32(in);
    }
}

static void dec_client(struct pgw_in *in, struct pg_wmsg *m)
{
    switch (m->type) {
    case PG_MT_CVIEW:
        m->cflags = (uint8_t)pgw_in_u8(in);
        m->n_members = in_ids(in, m->members, PG_MAX_MEMBERS_CAP);
        if (m->cflags > PG_CV_ALL || m->n_members == 0)
            in->ok = false;
        break;
    case PG_MT_CACK:
        m->cflags = (uint8_t)pgw_in_u8(in);
        m->cseq = pgw_in_var32(in);
        if (m->cflags > 1)
            in->ok = false;
        break;
    case PG_MT_CMSG:
        m->cseq = pgw_in_var32(in);
        if (m->cseq == 0)
            in->ok = false;
        break;
    case PG_MT_CHELLO:
        m->pid = in_u32(in);
        m->vmin = pgw_in_var32(in);
        m->dview = pgw_in_var32(in);
        break;
    case PG_MT_CDIFF:
        m->rank = (uint8_t)in_rank(in);
        m->cseq = pgw_in_var32(in);
        m->pid = in_u32(in);
        if (m->cseq == 0 || m->pid == PG_NODE_NONE)
            in->ok = false;
        break;
    default:
        in->ok = false;
    }
}

static void dec_body(struct pgw_in *in, struct pg_wmsg *m)
{
    switch (m->type) {
    case PG_MT_DATA:
    case PG_MT_FWD:
        m->rank = (uint8_t)in_rank(in);
        dec_vt(in, m, m->type == PG_MT_DATA);
        break;
    case PG_MT_STABLE:
        m->full = (uint8_t)pgw_in_u8(in);
        if (m->full > 1)
            in->ok = false;
        dec_vt(in, m, false);
        break;
    case PG_MT_FLUSH:
    case PG_MT_ACK:
        m->attempt = pgw_in_var32(in);
        m->rank = (uint8_t)in_rank(in);
        if (m->type == PG_MT_ACK) {
            m->full = (uint8_t)pgw_in_u8(in);
            uint32_t n_old = pgw_in_var32(in);
            if (m->full > 2 || n_old == 0 || n_old > PG_MAX_MEMBERS_CAP)
                in->ok = false;
            m->n_old = (uint16_t)(in->ok ? n_old : 0);
        }
        m->n_members = in_ids(in, m->members, PG_MAX_MEMBERS_CAP);
        m->n_clients = in_ids(in, m->clients, PG_MAX_CLIENTS_CAP);
        if (m->n_members == 0)
            in->ok = false;
        break;
    case PG_MT_FLUSH_OK:
        m->attempt = pgw_in_var32(in);
        m->rank = (uint8_t)in_rank(in);
        in_rset(in, &m->mask);
        break;
    case PG_MT_NEED:
        m->attempt = pgw_in_var32(in);
        m->rank = (uint8_t)in_rank(in);
        break;
    case PG_MT_REQ:
        m->op = (uint8_t)pgw_in_u8(in);
        m->pid = in_u32(in);
        if (m->op < PG_REQ_ADD_MEMBER || m->op > PG_REQ_FAILED || m->pid == PG_NODE_NONE)
            in->ok = false;
        break;
    case PG_MT_OUT:
        break;
    case PG_MT_STATE:
        m->st_status = (uint8_t)pgw_in_u8(in);
        m->st_total = pgw_in_var32(in);
        m->st_off = pgw_in_var32(in);
        if (m->st_total > PG_MAX_STATE_CAP || m->st_off > m->st_total ||
            (m->st_status != 0 && (m->st_total != 0 || m->st_off != 0)))
            in->ok = false;
        break;
    case PG_MT_P2P:
        m->p2p_domain = pgw_in_var32(in);
        m->p2p_seq = pgw_in_var32(in);
        if (m->p2p_seq == 0)
            in->ok = false;
        in_blob(in, &m->dep, &m->dep_len);
        break;
    default:
        dec_client(in, m);
        break;
    }
}

static void dec_ab(struct pgw_in *in, struct pg_wmsg *m)
{
    m->ab = (uint8_t)pgw_in_u8(in);
    bool cx_bad = (m->ab & PG_AB_CX) && (m->ab & (PG_AB_ABCAST | PG_AB_NOAPP));
    if (m->ab == 0 || m->ab > PG_AB_ALL || ((m->ab & PG_AB_ABCAST) && (m->ab & PG_AB_NOAPP)) ||
        cx_bad) {
        in->ok = false;
        return;
    }
    if (m->ab & PG_AB_ORDER) {
        m->ord_start = pgw_in_var32(in);
        m->n_ord = pgw_in_u8(in);
        if (m->ord_start == 0 || m->n_ord == 0 || m->n_ord > PG_ORDER_MAX ||
            m->ord_start > UINT32_MAX - m->n_ord)
            in->ok = false;
        for (uint32_t i = 0; i < m->n_ord && in->ok; i++) {
            m->ord_rank[i] = (uint8_t)in_rank(in);
            m->ord_seq[i] = pgw_in_var32(in);
            if (m->ord_seq[i] == 0)
                in->ok = false;
        }
    }
    if (m->ab & PG_AB_TOKEN)
        m->token_to = in_rank(in);
    if (m->ab & PG_AB_SAFE) {
        m->safe_pos = pgw_in_var32(in);
        if (m->safe_pos == 0)
            in->ok = false;
    }
}

int pg_decode(const uint8_t *buf, size_t len, struct pg_wmsg *m)
{
    assert(m);
    assert((buf || len == 0));
    m->view_id = m->attempt = m->n_vt = m->n_members = m->n_clients = 0;
    m->rank = m->full = m->n_old = m->op = 0;
    m->mask = pg_rs_none();
    m->pid = PG_NODE_NONE;
    m->payload = NULL;
    m->len = 0;
    m->ab = 0;
    m->token_to = m->ord_start = m->n_ord = m->safe_pos = 0;
    m->st_status = 0;
    m->st_total = m->st_off = 0;
    m->dep = NULL;
    m->dep_len = 0;
    m->p2p_domain = m->p2p_seq = 0;
    m->cflags = 0;
    m->cseq = m->vmin = m->dview = 0;
    struct pgw_in in = {.p = buf, .len = len, .ok = true};
    if (pgw_in_u8(&in) != PGW_MAGIC || !in.ok)
        return PG_E_MALFORMED;
    uint32_t t = pgw_in_u8(&in);
    m->type = (enum pg_msg_type)(t & ~(PGW_AB | PGW_DOM | PGW_LEFT));
    m->view_id = pgw_in_var32(&in);
    if (!in.ok)
        return PG_E_MALFORMED;
    bool cast = m->type == PG_MT_DATA || m->type == PG_MT_FWD;
    bool prop = m->type == PG_MT_FLUSH || m->type == PG_MT_ACK;
    if (((t & (PGW_AB | PGW_DOM)) && !cast) || ((t & PGW_LEFT) && !prop))
        return PG_E_MALFORMED;
    dec_body(&in, m);
    if ((t & PGW_LEFT) && in.ok) {
        m->pid = in_u32(&in);
        if (m->pid == PG_NODE_NONE || pg_rank_of(m->members, m->n_members, m->pid) >= 0)
            in.ok = false;
    }
    if ((t & PGW_AB) && in.ok)
        dec_ab(&in, m);
    if ((t & PGW_DOM) && in.ok) {
        in_blob(&in, &m->dep, &m->dep_len);
        if (m->dep_len == 0)
            in.ok = false; /* the flag says there are some */
    }
    if (!in.ok)
        return PG_E_MALFORMED;
    assert(in.pos <= len);
    if (has_payload(m->type)) {
        m->payload = buf + in.pos;
        m->len = len - in.pos;
        if ((m->ab & PG_AB_NOAPP) && m->len)
            return PG_E_MALFORMED;
        if (m->type == PG_MT_STATE && m->len > m->st_total - m->st_off)
            return PG_E_MALFORMED; /* the chunk overruns the state */
    } else if (in.pos != len) {
        return PG_E_MALFORMED; /* trailing bytes */
    }
    return PG_OK;
}

/* ---- the records of cross-group timestamps (pg_domain.c) ---- */

bool pg_dom_valid(const uint8_t *dep, size_t len)
{
    if (len == 0)
        return true;
    struct pgw_in r = {.p = dep, .len = len, .ok = true};
    uint32_t n = pgw_in_var32(&r);
    if (!r.ok || n > PGW_DREC_WIRE_MAX)
        return false;
    struct pgw_drec x;
    for (uint32_t i = 0; i < n; i++)
        if (!pgw_drec_decode(&r, &x))
            return false;
    return r.pos == len;
}

int pg_rank_of(const pg_node_id *members, uint32_t n, pg_node_id pid)
{
    for (uint32_t i = 0; i < n; i++)
        if (members[i] == pid)
            return (int)i;
    return -1;
}
