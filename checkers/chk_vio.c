/* checkers/chk_vio.c: violation records, evidence rendering and chk_report. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chk_internal.h"

struct chk_rbuf {
    char *p;
    size_t cap, len; /* len < cap always; p[len] == '\0' */
};

static void chk_rb_put(struct chk_rbuf *b, const char *s)
{
    size_t n = strlen(s);
    size_t room = b->cap - 1 - b->len;
    bool cut = n > room;
    n = cut ? room : n;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    if (cut && b->cap >= 4) /* mark the cut */
        memcpy(b->p + b->cap - 4, "...", 3);
}

static void chk_rb_field(struct chk_rbuf *b, const char *key, const char *val)
{
    if (!val)
        return;
    chk_rb_put(b, " ");
    chk_rb_put(b, key);
    chk_rb_put(b, "=");
    chk_rb_put(b, val);
}

static void chk_rb_list(struct chk_rbuf *b, const char *key, const char *const *v, size_t n)
{
    if (!v)
        return;
    chk_rb_put(b, " ");
    chk_rb_put(b, key);
    chk_rb_put(b, "=[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            chk_rb_put(b, ",");
        chk_rb_put(b, v[i]);
    }
    chk_rb_put(b, "]");
}

void chk_render_event(const struct chk_event *e, char *buf, size_t cap)
{
    assert(cap >= 8);
    struct chk_rbuf b = {.p = buf, .cap = cap};
    buf[0] = '\0';
    const char *ev = chk_ev_string(e);
    chk_rb_put(&b, ev ? ev : "?");
    chk_rb_field(&b, "node", e->node);
    chk_rb_field(&b, "msg", e->msg);
    chk_rb_field(&b, "order", e->order);
    chk_rb_field(&b, "group", e->group);
    chk_rb_field(&b, "to", e->to);
    chk_rb_field(&b, "from", e->from);
    if (e->view >= 0) {
        char num[24];
        snprintf(num, sizeof num, "%lld", (long long)e->view);
        chk_rb_field(&b, "view", num);
    }
    chk_rb_field(&b, "domain", e->domain);
    chk_rb_list(&b, "members", e->members, e->n_members);
    if (e->n_clients) /* an empty list reads back as [] or absent alike: not shown */
        chk_rb_list(&b, "clients", e->clients, e->n_clients);
    chk_rb_field(&b, "digest", e->digest);
    chk_rb_field(&b, "kind", e->kind);
    chk_rb_field(&b, "peer", e->peer);
    chk_rb_field(&b, "detail", e->detail);
    chk_rb_field(&b, "key", e->key);
    if (e->extra_json) {
        chk_rb_put(&b, " ");
        chk_rb_put(&b, e->extra_json);
    }
}

struct chk_vio *chk_violation(struct chk *c, enum chk_rule r, const char *fmt, ...)
{
    assert(r >= 0 && r < CHK_R_COUNT && chk_rule_implemented(r));
    c->total_vio++;
    if (c->n_vio[r]++ > 0)
        return NULL;
    struct chk_vio *v = &c->first[r];
    v->found_at = c->finished ? UINT64_MAX : c->counts.events;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    v->message = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (v->message) {
        va_start(ap, fmt);
        vsnprintf(v->message, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return v;
}

/* Slot for evidence at `line`: evidence stays sorted by line, one entry per line. */
static struct chk_evidence *chk_vio_slot(struct chk_vio *v, uint64_t line)
{
    size_t i = 0;
    while (i < v->n_ev && v->ev[i].line < line)
        i++;
    if (i < v->n_ev && v->ev[i].line == line)
        return NULL; /* already there */
    if (v->n_ev == CHK_EVIDENCE_MAX)
        return NULL;
    memmove(&v->ev[i + 1], &v->ev[i], (v->n_ev - i) * sizeof v->ev[0]);
    v->n_ev++;
    v->ev[i].line = line;
    v->ev[i].text[0] = '\0';
    return &v->ev[i];
}

void chk_vio_event(struct chk_vio *v, const struct chk_event *e)
{
    struct chk_evidence *s = v ? chk_vio_slot(v, e->line) : NULL;
    if (s)
        chk_render_event(e, s->text, sizeof s->text);
}

void chk_vio_text(struct chk_vio *v, uint64_t line, const char *fmt, ...)
{
    struct chk_evidence *s = v ? chk_vio_slot(v, line) : NULL;
    if (!s)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->text, sizeof s->text, fmt, ap);
    va_end(ap);
}

void chk_vio_send(const struct chk *c, struct chk_vio *v, uint32_t msg)
{
    if (!v || msg >= c->msgs.n)
        return;
    const struct chk_msg *m = &c->msgv[msg];
    struct chk_event e = {.ev = CHK_EV_SEND, .line = m->line, .view = m->view};
    e.node = chk_node_name(c, m->sender);
    e.msg = chk_msg_name(c, msg);
    e.order = chk_order_name(c, m->order);
    e.group = m->group != CHK_NONE ? chk_group_name(c, m->group) : NULL;
    e.to = m->to != CHK_NONE ? chk_node_name(c, m->to) : NULL;
    chk_vio_event(v, &e);
}

void chk_vio_view(const struct chk *c, struct chk_vio *v, const struct chk_ng *ng)
{
    if (!v || !ng || ng->view == CHK_NONE)
        return;
    chk_vio_view_rec(c, v, ng->node, &c->views[ng->view], ng->view_line);
}

void chk_vio_view_rec(const struct chk *c, struct chk_vio *v, uint32_t node,
                      const struct chk_view *w, uint64_t line)
{
    if (!v || !w)
        return;
    const char *names[16];
    size_t n = w->n_members < 16 ? w->n_members : 16;
    for (size_t i = 0; i < n; i++)
        names[i] = chk_node_name(c, c->pool[w->members + i]);
    if (w->n_members > n)
        names[n - 1] = "...";
    struct chk_event e = {.ev = CHK_EV_VIEW, .line = line, .view = w->view};
    e.node = chk_node_name(c, node);
    e.group = chk_group_name(c, w->group);
    e.members = names;
    e.n_members = n;
    chk_vio_event(v, &e);
}

void chk_vio_free(struct chk_vio *v)
{
    free(v->message);
    memset(v, 0, sizeof *v);
}

void chk_report(const struct chk *c, FILE *out)
{
    for (int r = 0; r < CHK_R_COUNT; r++) {
        if (!chk_rule_implemented((enum chk_rule)r))
            continue;
        if (c->n_vio[r] == 0)
            fprintf(out, "  PASS %s\n", chk_rule_name((enum chk_rule)r));
        else
            fprintf(out, "  FAIL %s (%llu violation%s)\n", chk_rule_name((enum chk_rule)r),
                    (unsigned long long)c->n_vio[r], c->n_vio[r] == 1 ? "" : "s");
    }
    if (c->full)
        fprintf(out, "  ERROR the checker stopped judging at event %llu: %s\n",
                (unsigned long long)c->full_line, c->full);
    for (int r = 0; r < CHK_R_COUNT; r++) {
        const struct chk_vio *v = &c->first[r];
        if (c->n_vio[r] == 0)
            continue;
        fprintf(out, "  first violation of %s: %s\n", chk_rule_name((enum chk_rule)r),
                v->message ? v->message : "(no memory for the message)");
        for (size_t i = 0; i < v->n_ev; i++)
            fprintf(out, "    line %llu: %s\n", (unsigned long long)v->ev[i].line, v->ev[i].text);
    }
}

int chk_first_failed(const struct chk *c)
{
    int best = -1;
    for (int r = 0; r < CHK_R_COUNT; r++)
        if (c->n_vio[r] && (best < 0 || c->first[r].found_at < c->first[best].found_at))
            best = r;
    return best;
}

const char *chk_violation_message(const struct chk *c, enum chk_rule r)
{
    assert(r >= 0 && r < CHK_R_COUNT);
    if (c->n_vio[r] == 0)
        return NULL;
    return c->first[r].message ? c->first[r].message : "(no memory for the message)";
}

size_t chk_violation_evidence(const struct chk *c, enum chk_rule r, struct chk_evidence_ref *out,
                              size_t cap)
{
    assert(r >= 0 && r < CHK_R_COUNT && (out || cap == 0));
    const struct chk_vio *v = &c->first[r];
    size_t n = c->n_vio[r] ? v->n_ev : 0;
    for (size_t i = 0; i < n && i < cap; i++)
        out[i] = (struct chk_evidence_ref){.line = v->ev[i].line, .text = v->ev[i].text};
    return n;
}
