/* sim/harness/cli.c: the option parser of the pgroup subcommands. See cli.h. */
#include "cli.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "scenario.h" /* scn_edit_distance, for "did you mean" */

static bool cli_is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help");
}

/* The usage's first paragraph (up to its first blank line), on stderr. */
static int cli_fail(const struct cli *c)
{
    const char *end = strstr(c->usage, "\n\n");
    int n = end ? (int)(end - c->usage) + 1 : (int)strlen(c->usage);
    fprintf(stderr, "%.*s(`%s --help` tells more)\n", n, c->usage, c->cmd);
    return CLI_ERROR;
}

static struct cli_opt *cli_find(struct cli *c, const char *name, size_t len)
{
    for (struct cli_opt *o = c->opts; o->name; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len))
            return o;
    return NULL;
}

static int cli_unknown(struct cli *c, const char *a, size_t len)
{
    char word[40];
    snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1), a);
    const char *best = NULL;
    unsigned best_d = 3; /* a suggestion at most two edits away */
    for (const struct cli_opt *o = c->opts; o->name; o++) {
        unsigned d = scn_edit_distance(word, o->name);
        if (d < best_d) {
            best = o->name;
            best_d = d;
        }
    }
    if (best)
        fprintf(stderr, "%s: unknown option '%.*s' (did you mean %s?)\n", c->cmd, (int)len, a,
                best);
    else
        fprintf(stderr, "%s: unknown option '%.*s'\n", c->cmd, (int)len, a);
    return cli_fail(c);
}

/* Option argv[*i], with its value from `=` or from the next argument. */
static int cli_option(struct cli *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    struct cli_opt *o = cli_find(c, a, len);
    if (!o)
        return cli_unknown(c, a, len);
    const char *v = "";
    if (o->arg && eq) {
        v = eq + 1;
    } else if (o->arg) {
        v = *i + 1 < argc && strncmp(argv[*i + 1], "--", 2) ? argv[++*i] : "";
    } else if (eq) {
        fprintf(stderr, "%s: %s takes no value, not '%s'\n", c->cmd, o->name, eq + 1);
        return cli_fail(c);
    }
    if (o->arg && !v[0]) {
        fprintf(stderr, "%s: %s needs a value (%s %s, or %s=%s)\n", c->cmd, o->name, o->name,
                o->arg, o->name, o->arg);
        return cli_fail(c);
    }
    if (o->value) {
        if (o->arg)
            fprintf(stderr, "%s: %s given twice ('%s', then '%s')\n", c->cmd, o->name, o->value, v);
        else
            fprintf(stderr, "%s: %s given twice\n", c->cmd, o->name);
        return cli_fail(c);
    }
    o->value = v;
    return CLI_OK;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
    assert(c && c->cmd && c->usage && c->opts && c->max_pos <= CLI_MAX_POS);
    c->n_pos = 0;
    for (struct cli_opt *o = c->opts; o->name; o++)
        o->value = NULL;
    bool opts_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && cli_is_help(a)) {
            fputs(c->usage, stdout);
            return CLI_HELP;
        }
        if (!opts_done && !strcmp(a, "--")) {
            opts_done = true;
            continue;
        }
        if (!opts_done && a[0] == '-' && a[1]) {
            if (cli_option(c, argc, argv, &i) != CLI_OK)
                return CLI_ERROR;
            continue;
        }
        if (c->n_pos == c->max_pos) {
            if (c->max_pos == 0)
                fprintf(stderr, "%s: unexpected argument '%s'\n", c->cmd, a);
            else
                fprintf(stderr, "%s: unexpected argument '%s' (the %s is '%s')\n", c->cmd, a,
                        c->pos_name, c->pos[0]);
            return cli_fail(c);
        }
        c->pos[c->n_pos++] = a;
    }
    return CLI_OK;
}

const char *cli_value(const struct cli *c, const char *name)
{
    for (const struct cli_opt *o = c->opts; o->name; o++)
        if (!strcmp(o->name, name))
            return o->value;
    assert(!"option not in the table");
    return NULL;
}

int cli_uint(const struct cli *c, const char *name, const char *s, uint64_t lo, uint64_t hi,
             uint64_t *out)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    bool ok = n > 0 && n <= 20;
    for (size_t k = 0; ok && k < n; k++) {
        uint64_t d = (uint64_t)(s[k] - '0');
        ok = s[k] >= '0' && s[k] <= '9' && v <= (UINT64_MAX - d) / 10;
        v = v * 10 + d;
    }
    if (ok && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    fprintf(stderr, "%s: %s takes a decimal integer from %llu to %llu, not '%s'\n", c->cmd, name,
            (unsigned long long)lo, (unsigned long long)hi, s);
    return cli_fail(c);
}

void cli_quote(FILE *out, const char *arg)
{
    bool plain = arg[0] != '\0';
    for (const char *p = arg; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("_-./:=@%+,", *p);
    if (plain) {
        fputs(arg, out);
        return;
    }
    fputc('\'', out);
    for (const char *p = arg; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", out);
        else
            fputc(*p, out);
    }
    fputc('\'', out);
}
