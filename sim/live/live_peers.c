/* sim/live/live_peers.c: the peers file of `pgroup node`. See live_peers.h. */
#include "live_peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LP_LINE_MAX 1024

/* HOST:PORT at `text` into *a; NULL, or what is wrong with it. */
static const char *lp_address(const char *text, struct sockaddr_in *a)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return "expected HOST:PORT";
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 1 || port > 65535)
        return "the port must be a number from 1 to 65535";
    char host[256];
    if ((size_t)(colon - text) >= sizeof host)
        return "host name too long";
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return "the host does not resolve to an IPv4 address";
    *a = *(const struct sockaddr_in *)res->ai_addr;
    a->sin_port = htons((uint16_t)port);
    freeaddrinfo(res);
    return NULL;
}

static int lp_error(FILE *err, const char *path, unsigned ln, const char *line, const char *at,
                    const char *what, const char *why)
{
    fprintf(err, "%s:%u:%u: %s: %s\n", path, ln, (unsigned)(at - line) + 1, what, why);
    return 2;
}

/* One line `NAME HOST:PORT`: 0, or 2 after a message. */
static int lp_line(const char *path, unsigned ln, char *line, const struct scn *s,
                   struct sockaddr_in *addrs, bool *seen, FILE *err)
{
    line[strcspn(line, "#\r\n")] = '\0';
    char *name = line + strspn(line, " \t\r\n");
    if (!*name)
        return 0;
    char *name_end = name + strcspn(name, " \t\r\n");
    char *addr = name_end + strspn(name_end, " \t\r\n");
    char *addr_end = addr + strcspn(addr, " \t\r\n");
    char *tail = addr_end + strspn(addr_end, " \t\r\n");
    char saved = *name_end;
    *name_end = '\0';
    int p = scn_find_proc(s, name);
    if (p < 0 || seen[p])
        return lp_error(err, path, ln, line, name, name,
                        p < 0 ? "not a process of the scenario" : "listed twice");
    *name_end = saved;
    if (!*addr)
        return lp_error(err, path, ln, line, addr, name, "expected HOST:PORT after the name");
    if (*tail)
        return lp_error(err, path, ln, line, tail, tail, "unexpected text after HOST:PORT");
    *addr_end = '\0';
    const char *why = lp_address(addr, &addrs[p]);
    if (why)
        return lp_error(err, path, ln, line, addr, addr, why);
    seen[p] = true;
    return 0;
}

int live_peers_parse(const char *path, const struct scn *s, struct sockaddr_in *addrs, FILE *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
        return 2;
    }
    bool *seen = calloc(s->n_procs + 1, sizeof *seen);
    char line[LP_LINE_MAX];
    unsigned ln = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        if (!strchr(line, '\n') && !feof(f)) {
            fprintf(err, "%s:%u:1: line longer than %d bytes\n", path, ln, LP_LINE_MAX - 2);
            rc = 2;
            break;
        }
        rc = lp_line(path, ln, line, s, addrs, seen, err);
    }
    for (uint32_t p = 0; rc == 0 && p < s->n_procs; p++)
        if (!seen[p]) {
            fprintf(err, "%s:%u:1: process %s of the scenario has no address\n", path, ln + 1,
                    s->procs[p].name);
            rc = 2;
        }
    free(seen);
    fclose(f);
    return rc;
}
