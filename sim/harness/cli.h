/* sim/harness/cli.h: the command line of the pgroup subcommands.
 *
 * Owns: one small option parser that every subcommand shares, driven by a
 * table of its options. An option is `--name VALUE`, `--name=VALUE`, or a
 * bare `--name` (a flag, which takes no value); each is given at most once.
 * `--` ends the options. `--help`, `-h` and `help` print the usage. Every
 * error names the command and the option, and is followed by the usage
 * synopsis; the command then exits 2. Also: strict decimal option values,
 * and shell quoting for the commands a run prints (the reproduce line).
 *
 * Adopting it in a subcommand: declare `struct cli_opt opts[] = {{"--seed",
 * "N", NULL}, {"--brief", NULL, NULL}, {NULL, NULL, NULL}}`, fill a `struct
 * cli`, call cli_parse, read each value with cli_value (NULL: not given; ""
 * for a flag given), convert numbers with cli_uint.
 */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_POS 256 /* positional arguments a command may take */

struct cli_opt {
    const char *name;  /* "--seed" */
    const char *arg;   /* the value's placeholder in messages ("N", "FILE"); NULL: a flag */
    const char *value; /* out: the value; "" for a flag given; NULL when not given */
};

struct cli {
    const char *cmd;              /* "pgroup run", for messages */
    const char *usage;            /* --help prints it all; an error prints its first paragraph */
    struct cli_opt *opts;         /* ends with {NULL} */
    int max_pos;                  /* positional arguments allowed (<= CLI_MAX_POS) */
    const char *pos_name;         /* what a positional argument is ("scenario"), for messages */
    const char *pos[CLI_MAX_POS]; /* out */
    int n_pos;                    /* out */
};

enum { CLI_OK = 0, CLI_HELP = 1, CLI_ERROR = 2 };

/* Parses argv[0..argc) (the arguments after the command word). Returns
 * CLI_OK; CLI_HELP after printing the usage on stdout (exit 0); or CLI_ERROR
 * after a message and the synopsis on stderr (exit 2). */
int cli_parse(struct cli *c, int argc, char **argv);

/* The value of option `name` (as in the table), or NULL when not given. */
const char *cli_value(const struct cli *c, const char *name);

/* A decimal integer in [lo, hi]: ASCII digits only (no sign, space, or
 * `0x`), at most 20 of them. Returns 0, or CLI_ERROR after `CMD: NAME takes
 * a decimal integer from LO to HI, not 'S'` on stderr. */
int cli_uint(const struct cli *c, const char *name, const char *s, uint64_t lo, uint64_t hi,
             uint64_t *out);

/* Prints `arg` so that a POSIX shell reads it back as one word: as is when
 * it is made of letters, digits and `_-./:=@%+,`, else in single quotes. */
void cli_quote(FILE *out, const char *arg);

#endif
