/* sim/sweep/speclex.c: the spec line lexer. See speclex.h. */
#include "speclex.h"

#include <string.h>

static int slex_sep(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '#' || c < 0x20 || c == 0x7f;
}

int slex_split(const char *b, size_t n, char *buf, struct slex_tok *tok, uint32_t *bad_col,
               unsigned char *bad)
{
    int ntok = 0;
    memcpy(buf, b, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '#') {
            buf[i] = '\0';
            break;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            buf[i++] = '\0';
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            *bad_col = (uint32_t)i + 1;
            *bad = c;
            return -1;
        }
        size_t start = i;
        while (i < n && !slex_sep((unsigned char)buf[i]))
            i++;
        tok[ntok++] = (struct slex_tok){buf + start, (uint32_t)(i - start), (uint32_t)start + 1};
    }
    return ntok;
}
