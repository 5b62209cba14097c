/* sim/sweep/speclex.h: the line lexer that sweep specs and explore specs share.
 *
 * Owns: splitting one line into tokens by the lexical rules of scenarios
 * (scenarios/README.md): tokens separated by spaces, tabs or `\r`, `#`
 * starting a comment, control bytes refused. (The scenario parser keeps its
 * own lexer: there `|` is a token of its own.)
 */
#ifndef SIM_SPECLEX_H
#define SIM_SPECLEX_H

#include <stddef.h>
#include <stdint.h>

struct slex_tok {
    const char *s; /* NUL-terminated, in the caller's buffer */
    uint32_t len;
    uint32_t col; /* 1-based byte column */
};

/* Splits line b[0..n) (without its '\n') into tok[], copying the tokens into
 * buf (at least n + 1 bytes; tok[] at least n / 2 + 1 entries). Returns the
 * number of tokens, or -1 with *bad_col (1-based) and *bad set to the first
 * control byte (below 0x20 other than tab and CR, or 0x7f). */
int slex_split(const char *b, size_t n, char *buf, struct slex_tok *tok, uint32_t *bad_col,
               unsigned char *bad);

#endif
