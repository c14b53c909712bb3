/* h2k: declarations shared by the configuration files (config.c,
 * config-check.c, config-argv.c); not part of config.h's interface.
 */
#ifndef H2K_CONFIG_PRIV_H
#define H2K_CONFIG_PRIV_H

#include "config.h"

/* A plain scalar "true"/"false" (any of three spellings) into *B.
 * 0, or -1 (not reported) if V is not one.
 */
int h2k_config_parse_bool (const struct h2k_config_node *v, int *b);

/* A plain scalar decimal integer (optional sign) into *N.  0, or -1 (not
 * reported) if V is not one or is out of range.
 */
int h2k_config_parse_int (const struct h2k_config_node *v, long long *n);

#endif
