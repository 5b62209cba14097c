/* sim/driver/progress.c: the progress line of a long `pgroup run`. See progress.h. */
#include "progress.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_DELAY_S  1.0 /* nothing is drawn for a run shorter than this */
#define PROGRESS_PERIOD_S 0.5 /* between two redraws */

struct sim_progress {
    int64_t end_ns;
    double t0_s, next_s; /* wall clock: start, next redraw */
    uint32_t calls;
    bool drawn;
};

static double progress_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sim_progress *sim_progress_new(int64_t end_ns)
{
    if (!isatty(STDERR_FILENO))
        return NULL;
    struct sim_progress *p = calloc(1, sizeof *p);
    assert(p);
    p->end_ns = end_ns > 0 ? end_ns : 1;
    p->t0_s = progress_wall_s();
    p->next_s = p->t0_s + PROGRESS_DELAY_S;
    return p;
}

static void progress_hms(char *buf, size_t cap, double s)
{
    unsigned t = s < 0 ? 0 : s > 359999 ? 359999 : (unsigned)(s + 0.5);
    snprintf(buf, cap, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
}

void sim_progress_tick(struct sim_progress *p, int64_t now_ns)
{
    if ((++p->calls & 1023u) != 0)
        return;
    double wall = progress_wall_s();
    if (wall < p->next_s)
        return;
    p->next_s = wall + PROGRESS_PERIOD_S;
    double sim_s = (double)now_ns / 1e9, end_s = (double)p->end_ns / 1e9;
    double speed = sim_s / (wall - p->t0_s);
    char left[32] = "?";
    if (speed > 0)
        progress_hms(left, sizeof left, (end_s - sim_s) / speed);
    fprintf(stderr,
            "\r\033[Kpgroup run: simulated %.3f s of %.3f s (%.0f%%), %.3g simulated s per wall "
            "s, about %s left",
            sim_s, end_s, 100.0 * sim_s / end_s, speed, left);
    fflush(stderr);
    p->drawn = true;
}

void sim_progress_end(struct sim_progress *p)
{
    if (p && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    free(p);
}
