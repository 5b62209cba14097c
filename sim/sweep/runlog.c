/* sim/sweep/runlog.c: reading a run's printed summary. See runlog.h. */
#define _GNU_SOURCE
#include "runlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `  FAIL RULE (N violations)` */
static void rlog_rule_line(struct rlog *r, const char *line)
{
    char name[64];
    if (sscanf(line, "  FAIL %63s", name) != 1)
        return;
    int k = chk_rule_parse(name);
    if (k >= 0)
        r->failed |= 1u << k;
}

/* `  first violation of RULE: words` */
static void rlog_why_line(struct rlog *r, const char *line)
{
    const char *p = line + strlen("  first violation of ");
    const char *colon = strstr(p, ": ");
    if (!colon || colon - p >= 64)
        return;
    char name[64];
    memcpy(name, p, (size_t)(colon - p));
    name[colon - p] = '\0';
    int k = chk_rule_parse(name);
    if (k >= 0)
        snprintf(r->why[k], RLOG_WHY_MAX, "%s", colon + 2);
}

/* `sometimes: NAME (reached at N nodes)` */
static void rlog_sometimes_line(struct rlog *r, const char *line)
{
    const char *p = line + strlen("sometimes: ");
    const char *end = strstr(p, " (reached at ");
    if (!end || r->n_sometimes == RLOG_MAX_SOMETIMES)
        return;
    size_t n = (size_t)(end - p) < RLOG_NAME_MAX - 1 ? (size_t)(end - p) : RLOG_NAME_MAX - 1;
    memcpy(r->sometimes[r->n_sometimes], p, n);
    r->sometimes[r->n_sometimes++][n] = '\0';
}

bool rlog_read(const char *path, struct rlog *r)
{
    memset(r, 0, sizeof *r);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        unsigned long long ev;
        if (!strncmp(line, "summary: simulated ", 19) &&
            sscanf(line, "summary: simulated %lf s in %lf s wall; %llu events", &r->sim_s,
                   &r->wall_s, &ev) == 3)
            r->events = ev;
        else if (!strncmp(line, "  FAIL ", 7))
            rlog_rule_line(r, line);
        else if (!strncmp(line, "  first violation of ", 21))
            rlog_why_line(r, line);
        else if (!strncmp(line, "sometimes: ", 11))
            rlog_sometimes_line(r, line);
        else if (!strncmp(line, "verdict: ", 9))
            r->ended = true;
    }
    free(line);
    fclose(f);
    return true;
}

int rlog_first_rule(uint32_t mask)
{
    for (int k = 0; k < CHK_R_COUNT; k++)
        if (mask & (1u << k))
            return k;
    return -1;
}
