/* tests/show_check.c: checks the exports of `pgroup show` against the trace
 * they came from, independently of sim/show*.c (it reads the trace with the
 * checker's reader and the exports with POSIX regex and cJSON).
 *
 *   show_check shiviz TRACE LOG     the ShiViz log: its regex line parses every
 *       event line; the delimiter line is empty; each host's own clock entry
 *       counts 1, 2, ...; every trace event that names a node is in the log once,
 *       on its node's host; and the happens-before relation rebuilt from the
 *       vector clocks (e1 -> e2 iff VC(e1) <= VC(e2), e1 != e2) is exactly the
 *       trace's (local order plus send before every delivery, transitively).
 *   show_check perfetto TRACE JSON  the Chrome Trace Event JSON parses; its
 *       named thread tracks are exactly the trace's incarnations, one each;
 *       every event sits on a named track or is global; every remote delivery
 *       has a flow_in whose bind_id a send's flow_out opened; slices nest.
 *
 * Prints `ok: ...` lines, or `FAIL: ...` and exits 1.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chk.h"

#define MAX_HOSTS 256

static int fails;

static void fail(const char *fmt, const char *a, long long b)
{
    printf("FAIL: ");
    printf(fmt, a, b);
    printf("\n");
    fails++;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        char *more = (n += got) == cap ? realloc(buf, (cap *= 2) + 1) : buf;
        if (!more)
            free(buf);
        buf = more;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- the trace: events that name a node ---- */

struct tev {
    uint64_t line;
    int host; /* index into hosts */
    bool deliver;
    int send; /* deliver: index of the send event, or -1 */
    char msg[128];
    bool is_send;
};

struct trace {
    struct tev *ev;
    size_t n, cap;
    char hosts[MAX_HOSTS][64];
    int n_hosts;
    bool full;
};

static int host_id(struct trace *t, const char *name, bool add)
{
    for (int h = 0; h < t->n_hosts; h++)
        if (!strcmp(t->hosts[h], name))
            return h;
    if (!add || t->n_hosts == MAX_HOSTS) {
        t->full |= add;
        return -1;
    }
    snprintf(t->hosts[t->n_hosts], sizeof t->hosts[0], "%s", name);
    return t->n_hosts++;
}

static bool tr_header(void *ctx, const struct chk_header *h)
{
    (void)ctx;
    (void)h;
    return true;
}

static void tr_event(void *ctx, const struct chk_event *e)
{
    struct trace *t = ctx;
    if (!e->node)
        return;
    if (t->n == t->cap &&
        !(t->ev = realloc(t->ev, (t->cap = t->cap ? 2 * t->cap : 4096) * sizeof *t->ev))) {
        t->full = true;
        return;
    }
    struct tev *v = &t->ev[t->n];
    *v = (struct tev){.line = e->line, .host = host_id(t, e->node, true), .send = -1};
    v->is_send = e->ev == CHK_EV_SEND;
    v->deliver = e->ev == CHK_EV_DELIVER;
    snprintf(v->msg, sizeof v->msg, "%s", e->msg ? e->msg : "");
    for (size_t i = t->n; v->deliver && i-- > 0;) /* the latest send of msg before it */
        if (t->ev[i].is_send && !strcmp(t->ev[i].msg, v->msg)) {
            v->send = (int)i;
            break;
        }
    t->n++;
}

static bool read_trace(const char *path, struct trace *t)
{
    size_t len;
    char *buf = slurp(path, &len);
    struct chk_trace_sink sink = {.on_header = tr_header, .on_event = tr_event, .ctx = t};
    bool ok = buf && chk_parse_trace_buf(path, buf, len, stderr, &sink) && !t->full;
    free(buf);
    return ok;
}

/* ---- ShiViz ---- */

/* The log's regex, as ShiViz uses it (anchored), with its JavaScript named
 * groups made POSIX: "(?<host>" becomes "(", names kept in order. */
static bool compile_regex(const char *js, regex_t *re, char names[8][16], int *n_names)
{
    char posix[1024] = "^";
    size_t at = 1;
    *n_names = 0;
    for (const char *p = js; *p && at < sizeof posix - 2; p++) {
        if (p[0] == '(' && p[1] == '?' && p[2] == '<') {
            const char *end = strchr(p, '>');
            if (!end || *n_names == 8)
                return false;
            snprintf(names[(*n_names)++], 16, "%.*s", (int)(end - p - 3), p + 3);
            posix[at++] = '(';
            p = end;
        } else {
            posix[at++] = *p;
        }
    }
    posix[at++] = '$';
    posix[at] = '\0';
    return regcomp(re, posix, REG_EXTENDED) == 0;
}

struct lev {
    int host;
    uint64_t line;
    uint32_t vc[MAX_HOSTS];
};

static int group_of(char names[8][16], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i + 1;
    return -1;
}

/* Parses one event line into e; false after a FAIL. */
static bool parse_line(struct trace *t, regex_t *re, char names[8][16], int n_names, char *line,
                       struct lev *e)
{
    regmatch_t g[9];
    if (regexec(re, line, 9, g, 0) != 0) {
        fail("the regex does not match the line '%s'%lld", line, 0);
        return false;
    }
    int gh = group_of(names, n_names, "host"), gc = group_of(names, n_names, "clock"),
        gl = group_of(names, n_names, "line");
    line[g[gh].rm_eo] = '\0';
    line[g[gc].rm_eo] = '\0';
    e->host = host_id(t, line + g[gh].rm_so, false);
    e->line = strtoull(line + g[gl].rm_so, NULL, 10);
    memset(e->vc, 0, sizeof e->vc);
    cJSON *clock = cJSON_Parse(line + g[gc].rm_so), *it;
    if (e->host < 0 || !cJSON_IsObject(clock)) {
        fail("host '%s' is not a node of the trace, or its clock is not a JSON object%lld",
             line + g[gh].rm_so, 0);
        cJSON_Delete(clock);
        return false;
    }
    cJSON_ArrayForEach(it, clock)
    {
        int h = host_id(t, it->string, false);
        if (h < 0 || !cJSON_IsNumber(it) || it->valuedouble < 1)
            fail("clock entry '%s' (line %lld) names no node or is not a count", it->string,
                 (long long)e->line);
        else
            e->vc[h] = (uint32_t)it->valuedouble;
    }
    cJSON_Delete(clock);
    return true;
}

/* Reads the log; events indexed like the trace's (by line). */
static struct lev *read_log(const char *path, struct trace *t)
{
    size_t len;
    char *buf = slurp(path, &len), *save = NULL;
    struct lev *evs = calloc(t->n ? t->n : 1, sizeof *evs);
    char *regex = buf ? strtok_r(buf, "\n", &save) : NULL;
    char names[8][16];
    int n_names;
    regex_t re;
    if (!evs || !regex || !compile_regex(regex, &re, names, &n_names)) {
        fail("%s: no log, or its first line is not a regex%lld", path, 0);
        free(buf);
        free(evs);
        return NULL;
    }
    if (regex[strlen(regex) + 1] != '\n') /* line 2, the delimiter, is empty */
        fail("%s: line 2 (the delimiter) is not empty%lld", path, 0);
    size_t n = 0, k = 0;
    uint32_t own[MAX_HOSTS] = {0};
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        struct lev e;
        if (!parse_line(t, &re, names, n_names, line, &e))
            break;
        while (k < t->n && t->ev[k].line < e.line)
            fail("trace line %s%lld has no event in the log", "", (long long)t->ev[k++].line);
        if (k == t->n || t->ev[k].line != e.line || t->ev[k].host != e.host)
            fail("log event %s%lld is not the trace's event at its line, on its node", "",
                 (long long)e.line);
        if (e.vc[e.host] != ++own[e.host])
            fail("host %s: own clock entry is not the count of its events (line %lld)",
                 t->hosts[e.host], (long long)e.line);
        if (k < t->n)
            evs[k++] = e;
    }
    if (k != t->n || n != t->n)
        fail("the log has %s%lld events, not one per trace event of a node", "", (long long)n);
    regfree(&re);
    free(buf);
    return evs;
}

/* The trace's happens-before as ancestor bitsets: trace order is a
 * topological order (a send precedes its deliveries, a node's events are in
 * its order), so each event's ancestors are its predecessor's and, for a
 * delivery, its send's, plus those two events. */
static uint64_t *ancestors(const struct trace *t, size_t words)
{
    uint64_t *anc = calloc(t->n * words + 1, sizeof *anc);
    int last[MAX_HOSTS];
    for (int h = 0; h < MAX_HOSTS; h++)
        last[h] = -1;
    for (size_t i = 0; anc && i < t->n; i++) {
        uint64_t *a = &anc[i * words];
        int from[2] = {last[t->ev[i].host], t->ev[i].deliver ? t->ev[i].send : -1};
        for (int k = 0; k < 2; k++) {
            if (from[k] < 0)
                continue;
            const uint64_t *b = &anc[(size_t)from[k] * words];
            for (size_t w = 0; w < words; w++)
                a[w] |= b[w];
            a[from[k] / 64] |= 1ull << (from[k] % 64);
        }
        last[t->ev[i].host] = (int)i;
    }
    return anc;
}

static bool vc_leq(const struct lev *a, const struct lev *b, int n_hosts)
{
    for (int h = 0; h < n_hosts; h++)
        if (a->vc[h] > b->vc[h])
            return false;
    return true;
}

static int check_shiviz(const char *trace_path, const char *log_path)
{
    struct trace t = {0};
    if (!read_trace(trace_path, &t)) {
        fail("%s: cannot read the trace%lld", trace_path, 0);
        return 1;
    }
    struct lev *evs = read_log(log_path, &t);
    size_t words = (t.n + 63) / 64;
    uint64_t *anc = evs && !fails ? ancestors(&t, words) : NULL;
    uint64_t pairs = 0, edges = 0, wrong = 0;
    for (size_t j = 0; anc && j < t.n; j++)
        for (size_t i = 0; i < t.n; i++) {
            if (i == j)
                continue;
            bool hb = (anc[j * words + i / 64] >> (i % 64)) & 1;
            bool vc = vc_leq(&evs[i], &evs[j], t.n_hosts);
            pairs++;
            edges += hb;
            if (hb != vc && wrong++ < 5)
                printf("FAIL: trace lines %llu and %llu: the trace says %s, the vector clocks "
                       "say %s\n",
                       (unsigned long long)t.ev[i].line, (unsigned long long)t.ev[j].line,
                       hb ? "before" : "not before", vc ? "before" : "not before");
        }
    if (anc && !wrong)
        printf("ok: %s: %zu events on %d hosts; happens-before from the vector clocks equals the "
               "trace's over %llu ordered pairs (%llu related)\n",
               log_path, t.n, t.n_hosts, (unsigned long long)pairs, (unsigned long long)edges);
    if (wrong)
        printf("FAIL: %llu ordered pairs differ\n", (unsigned long long)wrong);
    free(anc);
    free(evs);
    free(t.ev);
    return fails || wrong ? 1 : 0;
}

/* ---- Perfetto ---- */

struct track {
    double tid;
    char name[64];
    double open[64]; /* ends of the slices open on it */
    int depth;
};

static struct track *track_of(struct track *tr, int n, double tid)
{
    for (int k = 0; k < n; k++)
        if (tr[k].tid == tid)
            return &tr[k];
    return NULL;
}

static double num(const cJSON *e, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* The thread tracks the metadata names; one per incarnation of the trace. */
static int perfetto_tracks(const cJSON *events, struct trace *t, struct track *tr)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(e, "ph");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!cJSON_IsString(ph) || strcmp(ph->valuestring, "M") || !cJSON_IsString(name) ||
            strcmp(name->valuestring, "thread_name"))
            continue;
        const cJSON *tn =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "args"), "name");
        if (!cJSON_IsString(tn) || n == MAX_HOSTS || track_of(tr, n, num(e, "tid", -1))) {
            fail("a thread_name event without a name, or a second one for tid %s%lld", "",
                 (long long)num(e, "tid", -1));
            continue;
        }
        tr[n] = (struct track){.tid = num(e, "tid", -1)};
        snprintf(tr[n].name, sizeof tr[n].name, "%s", tn->valuestring);
        if (host_id(t, tn->valuestring, false) < 0)
            fail("track '%s' is not an incarnation of the trace%lld", tn->valuestring, 0);
        for (int k = 0; k < n; k++)
            if (!strcmp(tr[k].name, tr[n].name))
                fail("two tracks named '%s'%lld", tr[n].name, 0);
        n++;
    }
    if (n != t->n_hosts)
        fail("%s%lld named tracks, not one per incarnation", "", (long long)n);
    return n;
}

/* A slice on its track: it must nest in the slices open there. */
static void perfetto_slice(struct track *k, double ts, double dur)
{
    while (k->depth && k->open[k->depth - 1] <= ts)
        k->depth--;
    if (k->depth && ts + dur > k->open[k->depth - 1] + 1e-3)
        fail("a slice on track %s at ts %lld overlaps another without nesting", k->name,
             (long long)ts);
    if (dur > 0 && k->depth < 64)
        k->open[k->depth++] = ts + dur;
}

static int check_perfetto(const char *trace_path, const char *json_path)
{
    struct trace t = {0};
    size_t len;
    char *buf = slurp(json_path, &len);
    cJSON *root = buf ? cJSON_Parse(buf) : NULL;
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(root, "traceEvents");
    if (!read_trace(trace_path, &t) || !cJSON_IsArray(events)) {
        fail("%s: not a trace, or %s does not parse as Trace Event JSON", trace_path, 0);
        return 1;
    }
    struct track *tr = calloc(MAX_HOSTS, sizeof *tr);
    int n_tracks = perfetto_tracks(events, &t, tr);
    long long outs = 0, ins = 0, unmatched = 0, remote = 0;
    char *opened = calloc(t.n + 2, 1); /* by bind_id: a flow_out was seen */
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *ph = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "ph"));
        const char *scope = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "s"));
        if (!ph || !strcmp(ph, "M") || (!strcmp(ph, "i") && scope && !strcmp(scope, "g")))
            continue;
        struct track *k = track_of(tr, n_tracks, num(e, "tid", -1));
        if (!k) {
            fail("an event (ph %s, tid %lld) is on no named track", ph,
                 (long long)num(e, "tid", -1));
            continue;
        }
        if (!strcmp(ph, "X"))
            perfetto_slice(k, num(e, "ts", 0), num(e, "dur", -1));
        long long id = (long long)num(e, "bind_id", -1);
        bool out = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "flow_out"));
        bool in = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "flow_in"));
        if (out && id > 0 && (size_t)id <= t.n + 1)
            opened[id] = 1, outs++;
        if (in)
            ins++, unmatched += !(id > 0 && (size_t)id <= t.n + 1 && opened[id]);
    }
    for (size_t i = 0; i < t.n; i++)
        remote += t.ev[i].deliver && t.ev[i].send >= 0 && t.ev[t.ev[i].send].host != t.ev[i].host;
    if (ins != remote || unmatched)
        fail("flows: %s%lld flow_in events (or some without a flow_out), not one per remote "
             "delivery",
             "", ins);
    if (!fails)
        printf("ok: %s: %d tracks, one per incarnation; %lld sends open flows, %lld remote "
               "deliveries close them; slices nest\n",
               json_path, n_tracks, outs, ins);
    free(opened);
    free(tr);
    cJSON_Delete(root);
    free(buf);
    free(t.ev);
    return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "shiviz"))
        return check_shiviz(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "perfetto"))
        return check_perfetto(argv[2], argv[3]);
    fprintf(stderr, "usage: show_check shiviz TRACE LOG | show_check perfetto TRACE JSON\n");
    return 2;
}
