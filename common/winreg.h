/* h2k: reading Windows registry hives with hivex.
 *
 * hivex guards against hostile hives (HIVEX_MAX_SUBKEYS, value length
 * limits) and converts UTF-16LE strings to UTF-8; these helpers only turn
 * "missing" and "of another type" into NULL/0 so callers stay short.
 *
 * Key paths are backslash-separated, relative to FROM (hivex_root (h)
 * for the root), matched case-insensitively as Windows does.  A FROM of
 * 0 (a key that was missing) gives 0.
 */
#ifndef H2K_WINREG_H
#define H2K_WINREG_H

#include <stdint.h>

#include <hivex.h>

/* Open the hive file PATH with hivex_open FLAGS (HIVEX_OPEN_WRITE,
 * HIVEX_OPEN_VERBOSE, ...); messages call it NAME (NULL: PATH).  NULL
 * reported.
 */
hive_h *h2k_winreg_open (const char *path, const char *name, int flags);
void h2k_winreg_close (hive_h *h);              /* NULL is fine */

/*   CLEANUP_HIVEX hive_h *h = NULL;       h2k_winreg_close (h) */
void h2k_cleanup_hivex (void *ptr);
#define CLEANUP_HIVEX __attribute__((cleanup (h2k_cleanup_hivex)))

/* The node at PATH under FROM, or 0 when it is missing ("": FROM). */
hive_node_h h2k_winreg_key (hive_h *h, hive_node_h from, const char *path);

/* The same, the keys that are missing added (H opened with
 * HIVEX_OPEN_WRITE); 0 when one cannot be (errno set by hivex).
 */
hive_node_h h2k_winreg_add_key (hive_h *h, hive_node_h from, const char *path);

/* Value NAME of NODE as UTF-8 (REG_SZ, REG_EXPAND_SZ, or the first string
 * of a REG_MULTI_SZ), or NULL when missing or of another type.  Caller
 * frees.
 */
char *h2k_winreg_get_string (hive_h *h, hive_node_h node, const char *name);

/* Value NAME as a list of strings: a REG_MULTI_SZ, or a REG_SZ split at
 * commas and blanks (NameServer is written both ways).  Empty strings are
 * dropped.  NULL when missing or of another type; caller frees
 * (h2k_free_strv).
 */
char **h2k_winreg_get_strings (hive_h *h, hive_node_h node, const char *name);

/* Value NAME as a DWORD into *V: 1 when found, 0 when missing or of
 * another type.
 */
int h2k_winreg_get_dword (hive_h *h, hive_node_h node, const char *name,
                          int64_t *v);

/* The names of the subkeys of NODE (caller frees with h2k_free_strv), or
 * NULL reported.
 */
char **h2k_winreg_subkeys (hive_h *h, hive_node_h node);

#endif
