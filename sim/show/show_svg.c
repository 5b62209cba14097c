/* sim/show/show_svg.c: the space-time SVG of sim/show/show.h, drawn from a model and
 * its layout (show_internal.h). Self-contained: no script, no external font,
 * stylesheet or image; every message arrow and mark carries a <title> that a
 * viewer shows on hover.
 */
#define _GNU_SOURCE /* open_memstream */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "show_internal.h"

#define SV_RED       "#d00000"
#define SV_CAPTION_H 17.0 /* px per caption line */
#define SV_ROW_H     15.0 /* px per row of fault labels */
#define SV_AXIS_H    46.0
#define SV_LEGEND_H  24.0
#define SV_CHAR_W    6.6 /* px per character of 12 px text, for wrapping and placing labels */

struct sv {
    const struct show_model *m;
    struct show_layout *l;
    FILE *f;
    double width, top, lane_h, lanes_bottom, height;
    unsigned fault_rows;
    bool orders_used[8];
    bool span_used[SHOW_SPAN_KINDS], crash_used, view_used, net_used;
    char caption[48][400];
    char caption_style[48]; /* 't' title, 'r' red, 'e' evidence, 'n' note */
    unsigned n_caption;
    double *label_end; /* by lane: x where its last view label ends */
};

/* ---- orders and colours ---- */

static const struct {
    const char *order, *colour;
} sv_orders[] = {
    {"fifo", "#0072b2"},      {"cbcast", "#009e73"}, {"abcast", "#e69f00"},
    {"diffusion", "#cc79a7"}, {"p2p", "#56b4e9"},    {NULL, "#666666"},
};
#define SV_N_ORDERS (sizeof sv_orders / sizeof sv_orders[0])

static unsigned order_index(const struct show_model *m, uint32_t order)
{
    const char *name = order < m->orders.n ? m->orders.names[order] : "";
    unsigned k = 0;
    while (sv_orders[k].order && strcmp(sv_orders[k].order, name))
        k++;
    return k;
}

static const char *const span_names[SHOW_SPAN_KINDS] = {"flush", "view change", "state transfer"};
static const char *const span_colours[SHOW_SPAN_KINDS] = {"#7e57c2", "#fb8c00", "#1e88e5"};

/* ---- text ---- */

/* "1.020102352" (trailing zeros trimmed) into buf. */
static const char *fmt_t(char *buf, size_t cap, double t)
{
    int n = snprintf(buf, cap, "%.9f", t);
    while (n > 1 && buf[n - 1] == '0' && buf[n - 2] != '.')
        buf[--n] = '\0';
    return buf;
}

static void caption_add(struct sv *s, char style, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void caption_add(struct sv *s, char style, const char *fmt, ...)
{
    if (s->n_caption == sizeof s->caption / sizeof s->caption[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->caption[s->n_caption], sizeof s->caption[0], fmt, ap);
    va_end(ap);
    s->caption_style[s->n_caption++] = style;
}

/* Adds text wrapped at the picture's width, as caption lines of one style. */
static void caption_wrap(struct sv *s, char style, const char *text)
{
    double char_w = style == 'r' ? 7.6 : style == 'e' ? 7.3 : SV_CHAR_W; /* bold, mono */
    size_t cols = (size_t)((s->width - 24) / char_w);
    cols = cols < 40 ? 40 : cols;
    while (*text) {
        size_t n = strlen(text);
        if (n > cols) {
            n = cols;
            while (n > cols / 2 && text[n] != ' ')
                n--;
            if (text[n] != ' ')
                n = cols;
        }
        caption_add(s, style, "%.*s", (int)n, text);
        text += n;
        while (*text == ' ')
            text++;
    }
}

/* ---- the picture's parts ---- */

static void sv_defs(struct sv *s)
{
    FILE *f = s->f;
    fprintf(f, "<defs>\n");
    for (unsigned k = 0; k < SV_N_ORDERS; k++)
        fprintf(f,
                "<marker id=\"ah%u\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
                "markerUnits=\"userSpaceOnUse\" markerWidth=\"8\" markerHeight=\"8\" "
                "orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"%s\"/></marker>\n",
                k, sv_orders[k].colour);
    fprintf(f, "<marker id=\"ahred\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
               "markerUnits=\"userSpaceOnUse\" markerWidth=\"11\" markerHeight=\"11\" "
               "orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"" SV_RED "\"/></marker>\n");
    fprintf(f, "<pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
               "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#eeeeee\"/>"
               "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#bdbdbd\" "
               "stroke-width=\"3\"/></pattern>\n");
    fprintf(f,
            "<clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
            "</clipPath>\n</defs>\n",
            s->l->x0 - 1, s->top - s->fault_rows * SV_ROW_H - 4, s->l->plot_w + 2,
            s->lanes_bottom - s->top + s->fault_rows * SV_ROW_H + 8);
}

static void sv_caption_lines(struct sv *s)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    char a[32], b[32], text[1024];
    caption_add(s, 't', "%s, seed %llu: simulated time %s s to %s s, %u incarnation%s%s%s",
                m->scenario, (unsigned long long)m->seed, fmt_t(a, sizeof a, l->from),
                fmt_t(b, sizeof b, l->to), l->n_lanes, l->n_lanes == 1 ? "" : "s",
                l->group != SHOW_NONE ? ", group " : "",
                l->group != SHOW_NONE ? m->groups.names[l->group] : "");
    if (m->rule < 0) {
        caption_add(s, 'n', "Every rule holds in this trace.");
    } else {
        enum chk_rule r = (enum chk_rule)m->rule;
        int num = chk_rule_number(r);
        snprintf(text, sizeof text, "FAIL %s: %s", chk_rule_name(r),
                 m->vio_message ? m->vio_message : "");
        caption_wrap(s, 'r', text);
        if (m->rule != m->first_rule) {
            snprintf(text, sizeof text,
                     "(The scenario expects this violation; the first one in the trace is of "
                     "%s: pgroup check lists every rule.)",
                     chk_rule_name((enum chk_rule)m->first_rule));
            caption_wrap(s, 'n', text);
        }
        char rule[32] = "Project rule";
        if (num)
            snprintf(rule, sizeof rule, "Rule %d", num);
        snprintf(text, sizeof text, "%s (%s): %s Evidence, drawn in red:", rule, chk_rule_name(r),
                 chk_rule_sentence(r));
        caption_wrap(s, 'r', text);
    }
    for (uint32_t k = 0; k < m->n_evidence; k++) {
        uint32_t i = m->evidence_ev[k];
        bool seen = i != SHOW_NONE && i >= l->i_lo && i < l->i_hi &&
                    (m->ev[i].node == SHOW_NONE || l->lane_of[m->ev[i].node] != SHOW_NONE);
        snprintf(text, sizeof text, "line %llu: %s%s", (unsigned long long)m->evidence[k].line,
                 m->evidence[k].text, seen ? "" : "   (outside this picture)");
        caption_wrap(s, 'e', text);
    }
}

static void sv_caption_notes(struct sv *s)
{
    const struct show_layout *l = s->l;
    char text[1024];
    if (l->thin_k > 1) {
        snprintf(text, sizeof text,
                 "Thinned: %u of the %u message arrows of this window are drawn (about one "
                 "message in %u%s); pass --from/--to, --nodes or --group to see them all.",
                 l->arrows, l->arrows_all, l->thin_k,
                 s->m->n_evidence ? ", and every message the evidence names" : "");
        caption_wrap(s, 'n', text);
    }
    if (l->n_bp)
        caption_wrap(s, 'n',
                     "x is simulated time, stretched where one lane has events closer than a few "
                     "pixels so that each node's order stays visible; the axis follows the "
                     "stretch. Hover an arrow or a mark for its details.");
    else
        caption_wrap(s, 'n', "x is simulated time. Hover an arrow or a mark for its details.");
}

static void sv_caption(struct sv *s)
{
    FILE *f = s->f;
    double y = 20;
    for (unsigned k = 0; k < s->n_caption; k++, y += SV_CAPTION_H) {
        char st = s->caption_style[k];
        fprintf(f, "<text x=\"12\" y=\"%.1f\" font-size=\"%s\"%s%s fill=\"%s\">", y,
                st == 't' ? "14" : "12", st == 't' || st == 'r' ? " font-weight=\"bold\"" : "",
                st == 'e' ? " font-family=\"DejaVu Sans Mono, monospace\"" : "",
                st == 'r' || st == 'e' ? SV_RED
                : st == 'n'            ? "#444444"
                                       : "#000000");
        show_xml_text(f, s->caption[k]);
        fprintf(f, "</text>\n");
    }
}

static double lane_y(const struct sv *s, uint32_t node)
{
    uint32_t lane = s->l->lane_of[node];
    assert(lane != SHOW_NONE);
    return s->top + (lane + 0.5) * s->lane_h;
}

/* Every other lane on a light band, under everything else. */
static void sv_lane_bands(struct sv *s)
{
    const struct show_layout *l = s->l;
    for (uint32_t k = 0; k < l->n_lanes; k += 2)
        fprintf(s->f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f3f5f8\"/>\n",
                l->x0, s->top + k * s->lane_h, l->plot_w, s->lane_h);
}

static void sv_lanes(struct sv *s)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    for (uint32_t k = 0; k < l->n_lanes; k++) {
        uint32_t node = l->lanes[k];
        double y = lane_y(s, node);
        double x1 = show_x_of_t(l, fmax(m->nodev[node].t0, l->from));
        double x2 = show_x_of_t(l, fmin(m->nodev[node].t1, l->to));
        fprintf(s->f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8a8a8a\" "
                "stroke-width=\"1.2\"/>\n",
                x1, y, x2, y);
        fprintf(s->f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\" "
                "dominant-baseline=\"middle\">",
                l->x0 - 10, y);
        show_xml_text(s->f, show_node_name(m, node));
        fprintf(s->f, "</text>\n");
    }
}

/* A fault label placed in the first free row above the lanes. */
struct sv_label {
    double x;
    const char *text;
    char title[600];
    bool net;
};

static unsigned place_row(double *row_end, unsigned rows, double x, double w)
{
    for (unsigned r = 0; r < rows; r++)
        if (row_end[r] + 6 <= x) {
            row_end[r] = x + w;
            return r;
        }
    return rows - 1;
}

#define SV_FAULT_ROWS_MAX 4

/* The faults of the window (network periods and the harness's other faults),
 * with a row each; sets s->fault_rows. Returns the number of labels. */
static uint32_t sv_fault_labels(struct sv *s, struct sv_label *lab, unsigned *row, uint32_t cap)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    uint32_t n = 0;
    char a[32], b[32];
    for (uint32_t i = 0; i < m->n_nets && n < cap; i++) {
        const struct show_net *w = &m->nets[i];
        if (w->t1 < l->from || w->t0 > l->to)
            continue;
        lab[n] = (struct sv_label){
            .x = show_x_of_t(l, fmax(w->t0, l->from)), .text = w->label, .net = true};
        snprintf(lab[n++].title, sizeof lab[0].title, "%s from %s s %s %s s", w->label,
                 fmt_t(a, sizeof a, w->t0),
                 w->open ? "to the end, never healed, at" : "to the heal at",
                 fmt_t(b, sizeof b, w->t1));
    }
    for (uint32_t i = l->i_lo; i < l->i_hi && n < cap; i++) {
        const struct show_ev *v = &m->ev[i];
        if (v->ev != CHK_EV_FAULT || !v->name || !strcmp(v->name, "partition") ||
            !strcmp(v->name, "isolate") || !strcmp(v->name, "cut"))
            continue;
        lab[n] = (struct sv_label){.x = show_x_of_t(l, v->t), .text = v->text};
        snprintf(lab[n++].title, sizeof lab[0].title, "fault at %s s (line %llu): %s",
                 fmt_t(a, sizeof a, v->t), (unsigned long long)v->line, v->text);
    }
    double row_end[SV_FAULT_ROWS_MAX];
    for (unsigned r = 0; r < SV_FAULT_ROWS_MAX; r++)
        row_end[r] = -INFINITY;
    s->fault_rows = 0;
    for (uint32_t k = 0; k < n; k++) {
        row[k] = place_row(row_end, SV_FAULT_ROWS_MAX, lab[k].x,
                           strlen(lab[k].text) * SV_CHAR_W * 10 / 12 + 10);
        s->fault_rows = row[k] + 1 > s->fault_rows ? row[k] + 1 : s->fault_rows;
    }
    return n;
}

static void sv_faults(struct sv *s, const struct sv_label *lab, const unsigned *row, uint32_t n)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    fprintf(s->f, "<g clip-path=\"url(#plot)\">\n");
    for (uint32_t i = 0; i < m->n_nets; i++) {
        const struct show_net *w = &m->nets[i];
        if (w->t1 < l->from || w->t0 > l->to)
            continue;
        double x1 = show_x_of_t(l, w->t0), x2 = show_x_of_t(l, w->t1);
        for (uint32_t k = 0; k < l->n_lanes; k++) /* the lanes of the processes it cuts off */
            if (!w->procs || show_node_listed(m, l->lanes[k], w->procs))
                fprintf(s->f,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"url(#hatch)\" opacity=\"0.8\"/>\n",
                        x1, s->top + k * s->lane_h, fmax(x2 - x1, 1.5), s->lane_h);
        s->net_used = true;
    }
    fprintf(s->f, "</g>\n");
    for (uint32_t k = 0; k < n; k++) {
        double y = s->top - 6 - row[k] * SV_ROW_H;
        fprintf(s->f, "<g><title>");
        show_xml_text(s->f, lab[k].title);
        fprintf(s->f,
                "</title><path d=\"M%.1f,%.1f l-4,-7 l8,0 z\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333333\">",
                lab[k].x, y + 2, lab[k].net ? "#757575" : "#424242", lab[k].x + 6, y);
        show_xml_text(s->f, lab[k].text);
        fprintf(s->f, "</text></g>\n");
    }
}

static void sv_spans(struct sv *s)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    char a[32], b[32];
    fprintf(s->f, "<g clip-path=\"url(#plot)\">\n");
    for (uint32_t i = 0; i < m->n_spans; i++) {
        const struct show_span *p = &m->spans[i];
        if (l->lane_of[p->node] == SHOW_NONE || p->t1 < l->from || p->t0 > l->to ||
            (l->group != SHOW_NONE && p->group != l->group))
            continue;
        s->span_used[p->kind] = true;
        double x1 = show_x_of_t(l, p->t0), x2 = show_x_of_t(l, p->t1);
        double h = s->lane_h * (p->kind == SHOW_SPAN_VIEW_CHANGE ? 0.56 : 0.4);
        fprintf(s->f, "<g><title>%s of %s at %s: %s s to %s s (%.3f ms)%s", span_names[p->kind],
                m->groups.names[p->group], show_node_name(m, p->node), fmt_t(a, sizeof a, p->t0),
                fmt_t(b, sizeof b, p->t1), (p->t1 - p->t0) * 1e3, p->open ? ", never ended" : "");
        if (p->kind == SHOW_SPAN_VIEW_CHANGE)
            fprintf(s->f,
                    ", to view %lld: from the first suspicion or join/leave request to "
                    "this node's install",
                    (long long)p->view);
        fprintf(s->f,
                "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                "fill-opacity=\"0.22\" stroke=\"%s\" stroke-width=\"1\"/></g>\n",
                x1, lane_y(s, p->node) - h / 2, fmax(x2 - x1, 2), h, span_colours[p->kind],
                span_colours[p->kind]);
    }
    fprintf(s->f, "</g>\n");
}

/* The hover text of the arrow of delivery d. */
static void arrow_title(struct sv *s, uint32_t d, const char *extra)
{
    const struct show_model *m = s->m;
    const struct show_ev *v = &m->ev[d];
    const struct show_msg *g = &m->msgv[v->msg];
    char a[32], b[32];
    fprintf(s->f, "<title>");
    show_xml_text(s->f, m->msgs.names[v->msg]);
    fprintf(s->f, " (%s, ", g->order < m->orders.n ? m->orders.names[g->order] : "?");
    if (g->group != SHOW_NONE) {
        fprintf(s->f, "group ");
        show_xml_text(s->f, m->groups.names[g->group]);
    } else {
        fprintf(s->f, "to ");
        show_xml_text(s->f, show_node_name(m, g->to));
    }
    if (v->view >= 0)
        fprintf(s->f, ", view %lld", (long long)v->view);
    fprintf(s->f, "): sent by ");
    show_xml_text(s->f, show_node_name(m, g->sender));
    fprintf(s->f, " at %s s (line %llu), delivered at ", fmt_t(a, sizeof a, m->ev[g->send].t),
            (unsigned long long)m->ev[g->send].line);
    show_xml_text(s->f, show_node_name(m, v->node));
    fprintf(s->f, " at %s s (line %llu)%s</title>", fmt_t(b, sizeof b, v->t),
            (unsigned long long)v->line, extra);
}

static void sv_arrow(struct sv *s, uint32_t d, bool red)
{
    const struct show_model *m = s->m;
    const struct show_ev *v = &m->ev[d];
    const struct show_msg *g = &m->msgv[v->msg];
    unsigned k = order_index(m, g->order);
    double x1 = show_x_of_ev(s->l, m, g->send), y1 = lane_y(s, g->sender);
    double x2 = show_x_of_ev(s->l, m, d), y2 = lane_y(s, v->node);
    char marker[16];
    snprintf(marker, sizeof marker, red ? "ahred" : "ah%u", k);
    fprintf(s->f, "<g%s>", red ? " class=\"violation\"" : "");
    arrow_title(s, d, red ? "; evidence of the violation" : "");
    fprintf(s->f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"%s\" marker-end=\"url(#%s)\"/>",
            x1, y1, x2, y2, red ? SV_RED : sv_orders[k].colour, red ? "2.6" : "1.2", marker);
    fprintf(s->f, "</g>\n");
    if (!red)
        s->orders_used[k] = true;
}

static bool is_evidence(const struct show_model *m, uint32_t i)
{
    for (uint32_t k = 0; k < m->n_evidence; k++)
        if (m->evidence_ev[k] == i)
            return true;
    return false;
}

static void sv_arrows(struct sv *s)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    fprintf(s->f, "<g clip-path=\"url(#plot)\">\n");
    for (uint32_t msg = 0; msg < m->msgs.n; msg++) {
        const struct show_msg *g = &m->msgv[msg];
        if (!l->msg_drawn[msg] || g->send == SHOW_NONE || g->sender == SHOW_NONE ||
            l->lane_of[g->sender] == SHOW_NONE)
            continue;
        for (uint32_t k = 0; k < g->n_dlv; k++) {
            uint32_t d = m->dlv[g->dlv0 + k];
            const struct show_ev *v = &m->ev[d];
            if (v->node != g->sender && l->lane_of[v->node] != SHOW_NONE && !is_evidence(m, d) &&
                v->t >= l->from && m->ev[g->send].t <= l->to)
                sv_arrow(s, d, false);
        }
        fprintf(s->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>\n",
                show_x_of_ev(l, m, g->send), lane_y(s, g->sender),
                sv_orders[order_index(m, g->order)].colour);
    }
    fprintf(s->f, "</g>\n");
}

static void sv_view_mark(struct sv *s, uint32_t i)
{
    const struct show_model *m = s->m;
    const struct show_ev *v = &m->ev[i];
    double x = show_x_of_ev(s->l, m, i), y = lane_y(s, v->node), h = s->lane_h * 0.36;
    char a[32], label[96];
    uint32_t lane = s->l->lane_of[v->node];
    bool one_group = s->l->group != SHOW_NONE || m->groups.n == 1;
    const char *g = m->groups.names[v->group];
    if (v->ev == CHK_EV_VIEW)
        snprintf(label, sizeof label, "%s%sv%lld", one_group ? "" : g, one_group ? "" : " ",
                 (long long)v->view);
    else
        snprintf(label, sizeof label, "excluded%s%s", one_group ? "" : " from ",
                 one_group ? "" : g);
    fprintf(s->f, "<g><title>");
    show_xml_text(s->f, show_node_name(m, v->node));
    if (v->ev == CHK_EV_VIEW) {
        fprintf(s->f, " installed view %lld of ", (long long)v->view);
        show_xml_text(s->f, g);
        fprintf(s->f, " at %s s (line %llu): members ", fmt_t(a, sizeof a, v->t),
                (unsigned long long)v->line);
        show_xml_text(s->f, v->text ? v->text : "");
    } else {
        fprintf(s->f, " was excluded from ");
        show_xml_text(s->f, g);
        fprintf(s->f, " at %s s (line %llu)", fmt_t(a, sizeof a, v->t),
                (unsigned long long)v->line);
    }
    fprintf(s->f,
            "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#212121\" "
            "stroke-width=\"2.4\"/>",
            x, y - h, x, y + h);
    /* the label above the mark, pushed right past the lane's previous label; none
     * when that is too far (the title has it) */
    double w = strlen(label) * SV_CHAR_W * 10 / 12 + 4, *end = &s->label_end[lane];
    double lx = fmax(x + 2, *end + 3);
    if (lx - x < 90) {
        *end = lx + w;
        fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#212121\">", lx,
                y - h - 2);
        show_xml_text(s->f, label);
        fprintf(s->f, "</text>");
    }
    fprintf(s->f, "</g>\n");
    s->view_used = true;
}

static void sv_crash(struct sv *s, uint32_t i)
{
    const struct show_model *m = s->m;
    double x = show_x_of_ev(s->l, m, i), y = lane_y(s, m->ev[i].node), r = 6;
    char a[32];
    fprintf(s->f, "<g><title>");
    show_xml_text(s->f, show_node_name(m, m->ev[i].node));
    fprintf(s->f,
            " crashed at %s s (line %llu)</title><path d=\"M%.1f,%.1f l%.1f,%.1f M%.1f,%.1f "
            "l%.1f,%.1f\" stroke=\"#000000\" stroke-width=\"2.6\"/></g>\n",
            fmt_t(a, sizeof a, m->ev[i].t), (unsigned long long)m->ev[i].line, x - r, y - r, 2 * r,
            2 * r, x - r, y + r, 2 * r, -2 * r);
    s->crash_used = true;
}

static void sv_marks(struct sv *s)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    for (uint32_t k = 0; k < l->n_lanes; k++)
        s->label_end[k] = -INFINITY;
    for (uint32_t i = l->i_lo; i < l->i_hi; i++) {
        if (!show_positioned(l, m, i))
            continue;
        enum chk_ev ev = m->ev[i].ev;
        if (ev == CHK_EV_VIEW || ev == CHK_EV_EXCLUDED)
            sv_view_mark(s, i);
        else if (ev == CHK_EV_CRASH)
            sv_crash(s, i);
    }
}

/* The evidence of the first violation: the arrow of an evidence delivery, a
 * ring on every evidence event, each labelled with its trace line. */
static void sv_evidence(struct sv *s)
{
    const struct show_model *m = s->m;
    const struct show_layout *l = s->l;
    for (uint32_t k = 0; k < m->n_evidence; k++) {
        uint32_t i = m->evidence_ev[k];
        if (i == SHOW_NONE || i < l->i_lo || i >= l->i_hi)
            continue;
        const struct show_ev *v = &m->ev[i];
        bool lane = v->node != SHOW_NONE && l->lane_of[v->node] != SHOW_NONE;
        if (v->ev == CHK_EV_DELIVER && v->msg != SHOW_NONE && lane) {
            const struct show_msg *g = &m->msgv[v->msg];
            if (g->send != SHOW_NONE && g->sender != SHOW_NONE && g->sender != v->node &&
                l->lane_of[g->sender] != SHOW_NONE)
                sv_arrow(s, i, true);
        }
        double x = show_x_of_ev(l, m, i), y = lane ? lane_y(s, v->node) : s->lanes_bottom;
        fprintf(s->f, "<g class=\"violation\"><title>evidence, line %llu: ",
                (unsigned long long)m->evidence[k].line);
        show_xml_text(s->f, m->evidence[k].text);
        fprintf(s->f,
                "</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"6.5\" fill=\"none\" stroke=\"" SV_RED
                "\" stroke-width=\"2.2\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
                "font-weight=\"bold\" fill=\"" SV_RED "\">line %llu</text></g>\n",
                x, y, x + 4, y + 17 + (k % 2) * 10.0, (unsigned long long)m->evidence[k].line);
    }
}

/* A tick step of 1, 2 or 5 times a power of ten giving about `want` ticks. */
static double nice_step(double span, double want)
{
    double raw = span / want, p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void sv_axis(struct sv *s)
{
    const struct show_layout *l = s->l;
    double y = s->lanes_bottom + 4, span = l->to - l->from;
    double step = nice_step(span, 8);
    double unit = step >= 0.5 ? 1 : step >= 5e-4 ? 1e-3 : 1e-6;
    const char *uname = unit == 1 ? "s" : unit == 1e-3 ? "ms" : "\xc2\xb5s";
    int dec = (int)fmax(0, -floor(log10(step / unit) + 1e-9));
    fprintf(s->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\"/>\n",
            l->x0, y, l->x0 + l->plot_w, y);
    for (double t = ceil(l->from / step - 1e-9) * step; t <= l->to + step * 1e-9; t += step) {
        double x = show_x_of_t(l, t);
        fprintf(s->f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%.*f</text>\n",
                x, y, x, y + 5, x, y + 17, dec, fabs(t / unit) < step / unit * 1e-6 ? 0 : t / unit);
    }
    fprintf(s->f,
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">simulated time "
            "(%s)</text>\n",
            l->x0 + l->plot_w / 2, y + 34, uname);
}

/* Where the next legend item goes: the sample at (x, y), its name after it. */
struct sv_pen {
    double x, y;
};

/* Starts a legend item whose name is `name`: a new row when it would not fit. */
static struct sv_pen *legend_at(struct sv *s, struct sv_pen *p, const char *name)
{
    double w = 26 + strlen(name) * SV_CHAR_W * 11 / 12 + 18;
    if (p->x + w > s->width - 10 && p->x > s->l->x0) {
        p->x = s->l->x0;
        p->y += SV_LEGEND_H;
    }
    return p;
}

/* Ends a legend item: its name after the sample. */
static void legend_name(struct sv *s, struct sv_pen *p, const char *name)
{
    fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" dominant-baseline=\"middle\">",
            p->x + 26, p->y);
    show_xml_text(s->f, name);
    fprintf(s->f, "</text>\n");
    p->x += 26 + strlen(name) * SV_CHAR_W * 11 / 12 + 18;
}

static void legend_orders(struct sv *s, struct sv_pen *p)
{
    for (unsigned k = 0; k < SV_N_ORDERS; k++) {
        if (!s->orders_used[k])
            continue;
        const char *name = sv_orders[k].order ? sv_orders[k].order : "other order";
        legend_at(s, p, name);
        fprintf(s->f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"1.6\" marker-end=\"url(#ah%u)\"/>",
                p->x, p->y, p->x + 22, p->y, sv_orders[k].colour, k);
        legend_name(s, p, name);
    }
}

static void legend_marks(struct sv *s, struct sv_pen *p)
{
    if (s->view_used) {
        legend_at(s, p, "view install (vN)");
        fprintf(s->f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#212121\" "
                "stroke-width=\"2.4\"/>",
                p->x + 11, p->y - 7, p->x + 11, p->y + 7);
        legend_name(s, p, "view install (vN)");
    }
    if (s->crash_used) {
        legend_at(s, p, "crash");
        fprintf(s->f,
                "<path d=\"M%.1f,%.1f l10,10 M%.1f,%.1f l10,-10\" stroke=\"#000000\" "
                "stroke-width=\"2.4\"/>",
                p->x + 6, p->y - 5, p->x + 6, p->y + 5);
        legend_name(s, p, "crash");
    }
    for (unsigned k = 0; k < SHOW_SPAN_KINDS; k++) {
        if (!s->span_used[k])
            continue;
        legend_at(s, p, span_names[k]);
        fprintf(s->f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"10\" fill=\"%s\" "
                "fill-opacity=\"0.22\" stroke=\"%s\"/>",
                p->x, p->y - 5, span_colours[k], span_colours[k]);
        legend_name(s, p, span_names[k]);
    }
    if (s->net_used) {
        legend_at(s, p, "partition or cut");
        fprintf(s->f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"12\" fill=\"url(#hatch)\"/>",
                p->x, p->y - 6);
        legend_name(s, p, "partition or cut");
    }
}

/* Returns the y of the legend's last row. */
static double sv_legend(struct sv *s)
{
    struct sv_pen p = {.x = s->l->x0, .y = s->lanes_bottom + SV_AXIS_H + 12};
    legend_orders(s, &p);
    legend_marks(s, &p);
    if (s->m->rule >= 0) {
        legend_at(s, &p, "evidence of the violation");
        fprintf(s->f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" SV_RED
                "\" stroke-width=\"2.6\" marker-end=\"url(#ahred)\"/>",
                p.x, p.y, p.x + 22, p.y);
        legend_name(s, &p, "evidence of the violation");
    }
    return p.y;
}

/* ---- the picture ---- */

#define SV_LABELS_MAX 256

/* Horizontal and vertical places: margins, caption, fault rows, lanes. */
static void sv_frame(struct sv *s, struct sv_label *lab, unsigned *row, uint32_t *n_lab)
{
    const struct show_layout *l = s->l;
    size_t longest = 4;
    for (uint32_t k = 0; k < l->n_lanes; k++) {
        size_t n = strlen(show_node_name(s->m, l->lanes[k]));
        longest = n > longest ? n : longest;
    }
    s->l->x0 = 24 + longest * 7.4;
    s->width = s->l->x0 + l->plot_w + 36;
    sv_caption_lines(s);
    sv_caption_notes(s);
    *n_lab = sv_fault_labels(s, lab, row, SV_LABELS_MAX);
    s->lane_h = l->n_lanes ? fmin(44, fmax(24, 520.0 / l->n_lanes)) : 24;
    s->top = 20 + s->n_caption * SV_CAPTION_H + 10 + s->fault_rows * SV_ROW_H + 10;
    s->lanes_bottom = s->top + l->n_lanes * s->lane_h;
}

/* The body, after the caption: everything drawn on the lanes, the axis, the legend. */
static void sv_body(struct sv *s, const struct sv_label *lab, const unsigned *row, uint32_t n_lab)
{
    sv_lane_bands(s);
    sv_faults(s, lab, row, n_lab);
    sv_lanes(s);
    sv_spans(s);
    sv_arrows(s);
    sv_marks(s);
    sv_evidence(s);
    sv_axis(s);
    s->height = sv_legend(s) + 22;
}

static int sv_write(const struct show_model *m, struct show_layout *l, FILE *out)
{
    struct sv *s = calloc(1, sizeof *s);
    struct sv_label *lab = malloc(SV_LABELS_MAX * sizeof *lab);
    unsigned *row = malloc(SV_LABELS_MAX * sizeof *row);
    double *label_end = malloc((l->n_lanes + 1) * sizeof *label_end);
    char *body = NULL;
    size_t body_len = 0;
    FILE *mem = s && lab && row && label_end ? open_memstream(&body, &body_len) : NULL;
    if (!mem) {
        free(s);
        free(lab);
        free(row);
        free(label_end);
        return SHOW_E_LIMIT;
    }
    *s = (struct sv){.m = m, .l = l, .f = mem, .label_end = label_end};
    uint32_t n_lab;
    sv_frame(s, lab, row, &n_lab);
    sv_body(s, lab, row, n_lab);
    fclose(mem);
    s->f = out;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n<title>",
            s->width, s->height, s->width, s->height);
    show_xml_text(out, s->caption[0]);
    fprintf(out, "</title>\n");
    sv_defs(s);
    fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n");
    sv_caption(s);
    fwrite(body, 1, body_len, out);
    fprintf(out, "</svg>\n");
    free(body);
    free(s->label_end);
    free(s);
    free(lab);
    free(row);
    return SHOW_OK;
}

struct show_opts show_opts_default(void)
{
    return (struct show_opts){.from_s = -1, .to_s = -1};
}

int show_svg_file_info(const char *trace_path, const char *svg_path, const struct show_opts *o,
                       FILE *err, struct show_svg_info *info)
{
    struct show_opts dflt = show_opts_default();
    struct show_model m;
    struct show_layout l = {0};
    int rc = show_model_load(&m, trace_path, err);
    if (rc == SHOW_OK)
        rc = show_layout_build(&l, &m, o ? o : &dflt, err);
    FILE *out = rc == SHOW_OK ? show_out_open(svg_path, err) : NULL;
    if (rc == SHOW_OK && !out)
        rc = SHOW_E_OUTPUT;
    if (out)
        rc = show_out_close(out, svg_path, err, sv_write(&m, &l, out));
    if (rc == SHOW_OK && info) {
        *info = (struct show_svg_info){.from_s = l.from,
                                       .to_s = l.to,
                                       .lanes = l.n_lanes,
                                       .arrows = l.arrows,
                                       .arrows_in_window = l.arrows_all,
                                       .rule = m.rule,
                                       .evidence_in_window = true};
        for (uint32_t k = 0; k < m.n_evidence; k++) {
            uint32_t i = m.evidence_ev[k];
            info->evidence_in_window &= i != SHOW_NONE && i >= l.i_lo && i < l.i_hi;
        }
    }
    show_layout_free(&l);
    show_model_free(&m);
    return rc;
}

int show_svg_file(const char *trace_path, const char *svg_path, const struct show_opts *o,
                  FILE *err)
{
    return show_svg_file_info(trace_path, svg_path, o, err, NULL);
}
