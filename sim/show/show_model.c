/* sim/show/show_model.c: one trace in memory for the writers of sim/show/show.h (see
 * show_internal.h): interning, events, incarnations, messages, the checker's
 * first violation. Spans and network periods are in show_spans.c.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "show_internal.h"

/* ---- arena: owned copies of strings ---- */

#define SHOW_CHUNK (64u << 10)

struct show_arena {
    struct show_arena *next;
    size_t used, cap;
    char data[];
};

const char *show_dup(struct show_model *m, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    struct show_arena *a = m->arena;
    if (!a || a->cap - a->used < n) {
        size_t cap = n > SHOW_CHUNK ? n : SHOW_CHUNK;
        a = malloc(sizeof *a + cap);
        if (!a)
            return NULL;
        *a = (struct show_arena){.next = m->arena, .cap = cap};
        m->arena = a;
    }
    char *p = a->data + a->used;
    memcpy(p, s, n);
    a->used += n;
    return p;
}

/* Doubles the capacity of *p (elements of `size` bytes); false when out of memory. */
bool show_grow(void **p, uint32_t *cap, size_t size)
{
    uint32_t n = *cap ? *cap * 2 : 1024;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* ---- interning ---- */

static uint32_t tab_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

uint32_t show_tab_find(const struct show_tab *t, const char *s)
{
    if (!t->n_slots || !s)
        return SHOW_NONE;
    for (uint32_t i = tab_hash(s) & (t->n_slots - 1);; i = (i + 1) & (t->n_slots - 1)) {
        uint32_t id = t->slots[i];
        if (id == 0)
            return SHOW_NONE;
        if (!strcmp(t->names[id - 1], s))
            return id - 1;
    }
}

static bool tab_grow(struct show_tab *t)
{
    uint32_t n = t->n_slots ? t->n_slots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    char **names = realloc(t->names, (size_t)(n / 2) * sizeof *names);
    if (!slots || !names) {
        free(slots);
        if (names)
            t->names = names;
        return false;
    }
    t->names = names;
    t->names_cap = n / 2;
    for (uint32_t id = 0; id < t->n; id++) {
        uint32_t i = tab_hash(t->names[id]) & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = id + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->n_slots = n;
    return true;
}

/* The id of s, added if absent; SHOW_NONE for NULL, or when full. */
uint32_t show_tab_intern(struct show_model *m, struct show_tab *t, const char *s)
{
    if (!s)
        return SHOW_NONE;
    uint32_t id = show_tab_find(t, s);
    if (id != SHOW_NONE)
        return id;
    if (t->n == SHOW_NAMES_MAX || (t->n >= t->names_cap && !tab_grow(t))) {
        m->full = true;
        return SHOW_NONE;
    }
    const char *copy = show_dup(m, s);
    if (!copy) {
        m->full = true;
        return SHOW_NONE;
    }
    t->names[t->n] = (char *)copy;
    uint32_t i = tab_hash(s) & (t->n_slots - 1);
    while (t->slots[i])
        i = (i + 1) & (t->n_slots - 1);
    t->slots[i] = ++t->n;
    assert(show_tab_find(t, s) == t->n - 1);
    return t->n - 1;
}

static void tab_free(struct show_tab *t)
{
    free(t->names);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- names ---- */

const char *show_node_name(const struct show_model *m, uint32_t node)
{
    return node < m->nodes.n ? m->nodes.names[node] : "?";
}

/* Whether `name` is `item` (len bytes) or its incarnation (`item#k`). */
static bool names_item(const char *name, const char *item, size_t len)
{
    return len && !strncmp(name, item, len) && (name[len] == '\0' || name[len] == '#');
}

bool show_node_listed(const struct show_model *m, uint32_t node, const char *list)
{
    if (!list)
        return true;
    const char *name = show_node_name(m, node);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (names_item(name, p, len))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

int show_node_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (*a == '#') ? -1 : (*b == '#') ? 1 : (unsigned char)*a - (unsigned char)*b;
        a++;
        b++;
    }
    return (*a != '\0') - (*b != '\0');
}

uint32_t show_event_at_line(const struct show_model *m, uint64_t line)
{
    uint32_t lo = 0, hi = m->n_ev;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->ev[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_ev && m->ev[lo].line == line ? lo : SHOW_NONE;
}

/* ---- loading ---- */

struct show_loader {
    struct show_model *m;
    char text[1024];
};

static bool ld_header(void *ctx, const struct chk_header *h)
{
    struct show_loader *ld = ctx;
    struct show_model *m = ld->m;
    m->scenario = strdup(h->scenario ? h->scenario : "");
    m->seed = h->seed;
    m->end_s = h->end_s;
    m->chk = chk_new(h);
    m->expect = chk_rule_parse(h->expect);
    return m->scenario && m->chk;
}

/* The members of a view as one space-separated string. */
static const char *members_text(struct show_loader *ld, const struct chk_event *e)
{
    size_t at = 0;
    for (size_t i = 0; i < e->n_members && at + 8 < sizeof ld->text; i++) {
        int n = snprintf(ld->text + at, sizeof ld->text - at, "%s%s", i ? " " : "", e->members[i]);
        at += n > 0 ? (size_t)n : 0;
    }
    if (at >= sizeof ld->text - 8)
        snprintf(ld->text + sizeof ld->text - 8, 8, " ...");
    ld->text[at < sizeof ld->text ? at : sizeof ld->text - 1] = '\0';
    return show_dup(ld->m, ld->text);
}

static void ld_event(void *ctx, const struct chk_event *e)
{
    struct show_loader *ld = ctx;
    struct show_model *m = ld->m;
    chk_feed(m->chk, e);
    if (m->full)
        return;
    if (m->n_ev == SHOW_EVENTS_MAX ||
        (m->n_ev == m->ev_cap && !show_grow((void **)&m->ev, &m->ev_cap, sizeof *m->ev))) {
        m->full = true;
        return;
    }
    struct show_ev *v = &m->ev[m->n_ev++];
    *v = (struct show_ev){.t = e->t, .line = e->line, .ev = e->ev, .view = e->view};
    v->node = show_tab_intern(m, &m->nodes, e->node);
    v->group = show_tab_intern(m, &m->groups, e->group);
    v->msg = show_tab_intern(m, &m->msgs, e->msg);
    v->order = show_tab_intern(m, &m->orders, e->order);
    v->peer = show_tab_intern(m, &m->nodes,
                              e->peer                ? e->peer
                              : e->ev == CHK_EV_SEND ? e->to
                                                     : e->from);
    if (e->ev == CHK_EV_VIEW)
        v->text = members_text(ld, e);
    else if (e->ev == CHK_EV_FAULT)
        show_fault_describe(m, e, v);
    else if (e->ev == CHK_EV_OTHER) {
        v->name = show_dup(m, e->ev_name);
        v->text = show_dup(m, e->detail);
    }
}

/* Groups the deliveries by msg (a counting sort over event order). */
static bool index_msgs(struct show_model *m)
{
    uint32_t n = m->msgs.n;
    m->msgv = calloc(n ? n : 1, sizeof *m->msgv);
    if (!m->msgv)
        return false;
    for (uint32_t i = 0; i < n; i++)
        m->msgv[i] = (struct show_msg){.send = SHOW_NONE,
                                       .sender = SHOW_NONE,
                                       .group = SHOW_NONE,
                                       .to = SHOW_NONE,
                                       .order = SHOW_NONE,
                                       .view = -1};
    for (uint32_t i = 0; i < m->n_ev; i++) {
        const struct show_ev *v = &m->ev[i];
        if (v->msg == SHOW_NONE)
            continue;
        struct show_msg *g = &m->msgv[v->msg];
        if (v->ev == CHK_EV_DELIVER) {
            m->n_dlv++;
            g->n_dlv++;
        }
        if (v->ev == CHK_EV_SEND && g->send == SHOW_NONE) {
            *g = (struct show_msg){.send = i,
                                   .sender = v->node,
                                   .group = v->group,
                                   .to = v->peer,
                                   .order = v->order,
                                   .view = v->view,
                                   .n_dlv = g->n_dlv};
        } else if (v->ev == CHK_EV_DELIVER && g->sender == SHOW_NONE) {
            g->sender = v->peer; /* never sent: its deliveries name the sender */
            g->group = v->group;
            g->order = v->order;
            g->view = v->view;
        }
    }
    m->dlv = malloc((m->n_dlv ? m->n_dlv : 1) * sizeof *m->dlv);
    if (!m->dlv)
        return false;
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        m->msgv[i].dlv0 = at;
        at += m->msgv[i].n_dlv;
        m->msgv[i].n_dlv = 0;
    }
    for (uint32_t i = 0; i < m->n_ev; i++)
        if (m->ev[i].ev == CHK_EV_DELIVER && m->ev[i].msg != SHOW_NONE) {
            struct show_msg *g = &m->msgv[m->ev[i].msg];
            m->dlv[g->dlv0 + g->n_dlv++] = i;
        }
    return true;
}

/* Each node's life: its first event (or start) to its crash, else the run's end. */
static bool index_nodes(struct show_model *m)
{
    m->nodev = calloc(m->nodes.n ? m->nodes.n : 1, sizeof *m->nodev);
    if (!m->nodev)
        return false;
    for (uint32_t i = 0; i < m->nodes.n; i++)
        m->nodev[i] = (struct show_node){.start = SHOW_NONE, .crash = SHOW_NONE, .t0 = -1};
    double end = m->n_ev && m->ev[m->n_ev - 1].t > m->end_s ? m->ev[m->n_ev - 1].t : m->end_s;
    for (uint32_t i = 0; i < m->n_ev; i++) {
        const struct show_ev *v = &m->ev[i];
        if (v->node == SHOW_NONE)
            continue;
        struct show_node *n = &m->nodev[v->node];
        if (n->t0 < 0)
            n->t0 = v->t;
        if (v->ev == CHK_EV_START && n->start == SHOW_NONE)
            n->start = i;
        if (v->ev == CHK_EV_CRASH && n->crash == SHOW_NONE)
            n->crash = i;
    }
    for (uint32_t i = 0; i < m->nodes.n; i++) {
        struct show_node *n = &m->nodev[i];
        n->t0 = n->t0 < 0 ? 0 : n->t0;
        n->t1 = n->crash != SHOW_NONE ? m->ev[n->crash].t : end;
    }
    return true;
}

/* The violation to draw (the one the scenario expects when it happened,
 * else the first in the trace) and its evidence, mapped to events. */
static void index_violation(struct show_model *m)
{
    m->first_rule = chk_first_failed(m->chk);
    bool expected = m->expect >= 0 && chk_rule_failed(m->chk, (enum chk_rule)m->expect);
    m->rule = expected ? m->expect : m->first_rule;
    if (m->rule < 0)
        return;
    m->vio_message = chk_violation_message(m->chk, (enum chk_rule)m->rule);
    size_t n =
        chk_violation_evidence(m->chk, (enum chk_rule)m->rule, m->evidence, CHK_EVIDENCE_REFS_MAX);
    m->n_evidence = n < CHK_EVIDENCE_REFS_MAX ? (uint32_t)n : CHK_EVIDENCE_REFS_MAX;
    for (uint32_t i = 0; i < m->n_evidence; i++)
        m->evidence_ev[i] = show_event_at_line(m, m->evidence[i].line);
}

int show_model_load_buf(struct show_model *m, const char *name, const char *buf, size_t len,
                        FILE *err)
{
    *m = (struct show_model){.rule = -1, .first_rule = -1, .expect = -1};
    struct show_loader ld = {.m = m};
    struct chk_trace_sink sink = {.on_header = ld_header, .on_event = ld_event, .ctx = &ld};
    if (!chk_parse_trace_buf(name, buf, len, err, &sink))
        return SHOW_E_TRACE;
    chk_finish(m->chk);
    if (m->full || !index_msgs(m) || !index_nodes(m)) {
        if (err)
            fprintf(err, "%s: too large to show (a table limit was reached or memory ran out)\n",
                    name);
        return SHOW_E_LIMIT;
    }
    index_violation(m);
    if (!show_spans_build(m)) {
        if (err)
            fprintf(err, "%s: too many spans to show\n", name);
        return SHOW_E_LIMIT;
    }
    return SHOW_OK;
}

int show_model_load(struct show_model *m, const char *path, FILE *err)
{
    *m = (struct show_model){.rule = -1, .first_rule = -1, .expect = -1};
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err)
            fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
        return SHOW_E_TRACE;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap && cap < SHOW_FILE_MAX) {
            char *b = realloc(buf, cap * 2);
            if (!b)
                break;
            buf = b;
            cap *= 2;
        } else if (len == cap) {
            break;
        }
    }
    bool bad = !buf || ferror(f) || len == cap;
    fclose(f);
    if (bad) {
        if (err)
            fprintf(err, "%s: cannot read it whole (larger than %zu MiB, or a read error)\n", path,
                    SHOW_FILE_MAX >> 20);
        free(buf);
        return SHOW_E_LIMIT;
    }
    int rc = show_model_load_buf(m, path, buf, len, err);
    free(buf);
    return rc;
}

void show_model_free(struct show_model *m)
{
    free(m->scenario);
    free(m->ev);
    tab_free(&m->nodes);
    tab_free(&m->groups);
    tab_free(&m->msgs);
    tab_free(&m->orders);
    free(m->nodev);
    free(m->msgv);
    free(m->dlv);
    free(m->spans);
    free(m->nets);
    if (m->chk)
        chk_free(m->chk);
    while (m->arena) {
        struct show_arena *a = m->arena;
        m->arena = a->next;
        free(a);
    }
    memset(m, 0, sizeof *m);
    m->rule = m->first_rule = m->expect = -1;
}

void show_xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c < 0x20 && c != '\t' && c != '\n')
            fputc('?', f); /* not allowed in XML 1.0 */
        else
            fputc(c, f);
    }
}

void show_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static const char *ev_kind(const struct show_ev *v)
{
    if (v->ev == CHK_EV_OTHER || v->ev == CHK_EV_FAULT)
        return v->name ? v->name : "?";
    return chk_ev_name(v->ev);
}

const char *show_ev_describe(const struct show_model *m, uint32_t i, char *buf, size_t cap)
{
    const struct show_ev *v = &m->ev[i];
    if (v->ev == CHK_EV_FAULT) { /* its label says what it is: "cut p1 -> p5" */
        snprintf(buf, cap, "fault: %s", v->text ? v->text : ev_kind(v));
        return buf;
    }
    size_t at = (size_t)snprintf(buf, cap, "%s", ev_kind(v));
#define SHOW_PUT(...)                                                                              \
    do {                                                                                           \
        if (at < cap)                                                                              \
            at += (size_t)snprintf(buf + at, cap - at, __VA_ARGS__);                               \
    } while (0)
    if (v->msg != SHOW_NONE)
        SHOW_PUT(" %s", m->msgs.names[v->msg]);
    if (v->order != SHOW_NONE)
        SHOW_PUT(" %s", m->orders.names[v->order]);
    if (v->group != SHOW_NONE && v->ev != CHK_EV_FAULT)
        SHOW_PUT(" %s", m->groups.names[v->group]);
    if (v->view >= 0)
        SHOW_PUT(" view %lld", (long long)v->view);
    if (v->peer != SHOW_NONE)
        SHOW_PUT(" %s %s",
                 v->ev == CHK_EV_SEND      ? "to"
                 : v->ev == CHK_EV_DELIVER ? "from"
                                           : "peer",
                 m->nodes.names[v->peer]);
    if (v->text && v->ev == CHK_EV_VIEW)
        SHOW_PUT(" [%s]", v->text);
    else if (v->text)
        SHOW_PUT(" %s", v->text);
#undef SHOW_PUT
    return buf;
}

FILE *show_out_open(const char *path, FILE *err)
{
    FILE *f = fopen(path, "w");
    if (!f && err)
        fprintf(err, "%s: cannot write: %s\n", path, strerror(errno));
    return f;
}

int show_out_close(FILE *f, const char *path, FILE *err, int rc)
{
    bool bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad && rc == SHOW_OK) {
        if (err)
            fprintf(err, "%s: write error\n", path);
        return SHOW_E_OUTPUT;
    }
    return rc;
}
