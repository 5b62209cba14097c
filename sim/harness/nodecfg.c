/* sim/harness/nodecfg.c: the core's configuration from a scenario. See nodecfg.h. */
#include "nodecfg.h"

#include <assert.h>
#include <stdlib.h>

/* The most groups one process is ever in: its static groups (as a member or
 * a client) plus its joins
 * (each node allocates its group table up front: max_groups slots). */
static uint32_t cfg_groups_per_proc(const struct scn *s)
{
    uint32_t *n = calloc(s->n_procs + 1, sizeof *n), most = 1;
    assert(n);
    for (uint32_t g = 0; g < s->n_groups; g++)
        for (uint32_t i = 0; i < s->groups[g].n_members; i++)
            n[s->groups[g].members[i]]++;
    for (uint32_t g = 0; g < s->n_groups; g++)
        for (uint32_t i = 0; i < s->groups[g].n_clients; i++)
            n[s->groups[g].clients[i]]++;
    for (uint32_t f = 0; f < s->n_faults; f++)
        n[s->faults[f].proc] += s->faults[f].kind == SCN_F_JOIN;
    for (uint32_t p = 0; p < s->n_procs; p++)
        most = n[p] > most ? n[p] : most;
    free(n);
    /* a hierarchical group's process may be a client of the root and of every subgroup */
    if (s->hier.on && most < s->hier.n_sub + 2)
        most = s->hier.n_sub + 2;
    return most;
}

void sim_phys_config(const struct scn *s, struct phys_config *cfg)
{
    phys_config_default(cfg);
    cfg->heartbeat_period_ns = s->heartbeat_period_ns;
    cfg->suspect_timeout_ns = s->suspect_timeout_ns;
    cfg->rto_initial_ns = s->rto_initial_ns;
    cfg->rto_max_ns = s->rto_max_ns;
    cfg->ack_delay_ns = s->ack_delay_ns;
    cfg->window = s->window;
    uint32_t groups = 2 * cfg_groups_per_proc(s) + 1; /* a process group has client channels too */
    cfg->max_groups = groups > cfg->max_groups ? groups : cfg->max_groups;
    /* a node may have a channel to every incarnation (a 256-member group
     * with 1000 clients: 255 members plus the clients a member serves, all
     * of them after failovers); the default covers the smaller scenarios */
    uint32_t incs = s->n_procs;
    for (uint32_t f = 0; f < s->n_faults; f++)
        incs += s->faults[f].kind == SCN_F_RESTART;
    cfg->max_peers = incs > cfg->max_peers ? incs : cfg->max_peers;
}

/* Sizes the group layer to the scenario: a view holds at most the largest
 * group's initial members plus every joiner (a new incarnation enters a group
 * only by joining), and the matrices of core/pg cost max_members^2 each. */
void sim_pg_config(const struct scn *s, struct pg_config *cfg)
{
    pg_config_default(cfg);
    uint32_t most = 1;
    for (uint32_t g = 0; g < s->n_groups; g++)
        most = s->groups[g].n_members > most ? s->groups[g].n_members : most;
    for (uint32_t f = 0; f < s->n_faults; f++)
        most += s->faults[f].kind == SCN_F_JOIN;
    cfg->max_members = most < PG_MAX_MEMBERS_CAP ? most : PG_MAX_MEMBERS_CAP;
    uint32_t per_proc = cfg_groups_per_proc(s);
    cfg->max_groups = per_proc > cfg->max_groups ? per_proc : cfg->max_groups;
    uint32_t clients = 0;
    for (uint32_t g = 0; g < s->n_groups; g++)
        clients = s->groups[g].n_clients > clients ? s->groups[g].n_clients : clients;
    if (s->hier.on) { /* the hierarchical group's clients and the other subgroups' members */
        uint32_t hc = s->hier.n_clients + 16;
        for (uint32_t k = 0; k < s->hier.n_sub; k++)
            hc += s->groups[s->hier.subs[k]].n_members;
        clients = hc > clients ? hc : clients;
    }
    cfg->max_clients = clients < PG_MAX_CLIENTS_CAP ? clients : PG_MAX_CLIENTS_CAP;
    /* every client may ask at once: one view change can then add them all */
    cfg->max_requests =
        cfg->max_clients + 8 > cfg->max_requests ? cfg->max_clients + 8 : cfg->max_requests;
    cfg->abcast_token_follow = !s->abcast_token_fixed;
    cfg->vt_compress = s->vt_compress;
    if (s->suspect_timeout_ns > cfg->state_timeout_ns / 4) /* providers fail over first */
        cfg->state_timeout_ns = 4 * s->suspect_timeout_ns;
    cfg->max_domains = s->n_domains;
    /* a crash is suspected everywhere within about a heartbeat period; a
     * report older than a whole suspect timeout means the coordinator still
     * hears the reported member */
    cfg->report_wait_ns = s->suspect_timeout_ns;
    /* a group that went silent on a joiner has failed or lost it: a view
     * change settles that within a few suspect timeouts */
    cfg->join_timeout_ns = 4 * s->suspect_timeout_ns;
}
