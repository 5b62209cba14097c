/* sim/scenario/scn_settings.h: the scenario's `set` keys, the one place their names,
 * defaults and ranges are written.
 *
 * Owns: the X-macro table SCN_SETTINGS. The parser (`set KEY VALUE`, its
 * error messages and list of valid keys), the defaults of a parsed scenario,
 * `pgroup run`'s config print, scn_write and pgroup shrink are generated from
 * it, and so is enum scn_set_key (scenario.h). Columns:
 *   X(ID, KEY, KIND, FIELD, DEFAULT, LO, HI, EXPECT, WORD0, WORD1, TRUE_WORD, WORDS_WHAT)
 *   KIND  SCN_SK_DURATION: FIELD is an int64_t in ns, a duration in [LO, HI] ns;
 *         SCN_SK_COUNT: FIELD is a uint32_t, a whole number in [LO, HI];
 *         SCN_SK_SWITCH: FIELD is a bool, one of the words WORD0, WORD1
 *         (TRUE_WORD: the index of the one that means true); WORDS_WHAT
 *         names the value in "unknown WORDS_WHAT" errors.
 *   EXPECT what the parser asks for when the value is missing.
 *
 * Defaults. The link's timings are core/link/phys.c's phys_config_default (a unit
 * test, test_scenario.c, holds the two together). The link window is not:
 * core's library default is 256 (unacked messages per channel: a bound on
 * the memory an embedder pays per peer), the scenarios' is 1024, so that
 * their bursts (up to 64 processes at 50 sends/s each, with loss) are not
 * refused at the sender ("sends refused (window full)"); every pinned trace
 * and summary (scenarios/NAME.expected) was made with 1024, and `set window`
 * gives a scenario the library's value.
 */
#ifndef SIM_SCN_SETTINGS_H
#define SIM_SCN_SETTINGS_H

#include <stdint.h>

enum scn_setting_kind { SCN_SK_DURATION, SCN_SK_COUNT, SCN_SK_SWITCH };

#define SCN_MAX_WINDOW 65536u /* `set window`: the largest */

/* clang-format off */
#define SCN_SETTINGS(X)                                                                            \
    X(HEARTBEAT, "heartbeat_period", SCN_SK_DURATION, heartbeat_period_ns, 100000000, 1,           \
      INT64_MAX, "a duration", NULL, NULL, 0, NULL)                                                \
    X(SUSPECT, "suspect_timeout", SCN_SK_DURATION, suspect_timeout_ns, 1000000000, 1, INT64_MAX,   \
      "a duration", NULL, NULL, 0, NULL)                                                           \
    X(RTO_INITIAL, "rto_initial", SCN_SK_DURATION, rto_initial_ns, 20000000, 1, INT64_MAX,         \
      "a duration", NULL, NULL, 0, NULL)                                                           \
    X(RTO_MAX, "rto_max", SCN_SK_DURATION, rto_max_ns, 400000000, 1, INT64_MAX, "a duration",      \
      NULL, NULL, 0, NULL)                                                                         \
    X(ACK_DELAY, "ack_delay", SCN_SK_DURATION, ack_delay_ns, 10000000, 1, INT64_MAX, "a duration",  \
      NULL, NULL, 0, NULL)                                                                         \
    X(WINDOW, "window", SCN_SK_COUNT, window, 1024, 1, SCN_MAX_WINDOW, "a whole number", NULL,     \
      NULL, 0, NULL)                                                                               \
    X(ABCAST_TOKEN, "abcast_token", SCN_SK_SWITCH, abcast_token_fixed, 0, 0, 1,                    \
      "`follow` or `fixed`", "follow", "fixed", 1, "abcast_token mode")                            \
    X(VT_COMPRESS, "vt_compress", SCN_SK_SWITCH, vt_compress, 1, 0, 1, "on or off", "on", "off",   \
      0, "value")
/* clang-format on */

/* One row of the table, for code that walks it (scn_setting). */
struct scn_setting {
    const char *key;
    enum scn_setting_kind kind;
    size_t offset; /* of FIELD in struct scn */
    int64_t dflt, lo, hi;
    const char *expect;
    const char *words[2];
    unsigned true_word;
    const char *words_what;
};

#endif
