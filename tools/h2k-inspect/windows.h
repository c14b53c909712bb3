/* h2k-inspect: Windows guests.
 *
 * windows.c pulls the SYSTEM and SOFTWARE hives out of the guest into a
 * private temporary directory, looks at files and volumes (hibernation,
 * BitLocker, BCD, fallback loader) and fills guest.windows;
 * windows-registry.c reads the hives with hivex (no appliance: the unit
 * tests run it on the corpus' real hives); windows-hive.c wraps hivex;
 * windows-risks.c derives the Windows risks from guest alone.
 */
#ifndef H2K_INSPECT_WINDOWS_H
#define H2K_INSPECT_WINDOWS_H

#include <stdint.h>

#include <hivex.h>
#include <json-c/json.h>

/* windows-hive.c.  Key paths are backslash-separated, relative to FROM
 * (hivex_root (h) for the root), matched case-insensitively as Windows
 * does.  A FROM of 0 (a key that was missing) gives 0.
 */
/* Open the hive file PATH read-only; messages call it NAME (NULL: PATH).
 * NULL reported.
 */
hive_h *win_hive_open (const char *path, const char *name);
void win_hive_close (hive_h *h);                /* NULL is fine */
#define CLEANUP_HIVE __attribute__((cleanup (win_cleanup_hive)))
void win_cleanup_hive (void *ptr);

/* The node at PATH under FROM, or 0 when it is missing ("": FROM). */
hive_node_h win_key (hive_h *h, hive_node_h from, const char *path);

/* Value NAME of NODE as UTF-8 (REG_SZ, REG_EXPAND_SZ, or the first string
 * of a REG_MULTI_SZ), or NULL when missing or of another type.  Caller
 * frees.
 */
char *win_get_string (hive_h *h, hive_node_h node, const char *name);

/* Value NAME as a list of strings: a REG_MULTI_SZ, or a REG_SZ split at
 * commas and blanks (NameServer is written both ways).  Empty strings are
 * dropped.  NULL when missing or of another type; caller frees
 * (h2k_free_strv).
 */
char **win_get_strings (hive_h *h, hive_node_h node, const char *name);

/* Value NAME as a DWORD into *V: 1 when found, 0 when missing or of
 * another type.
 */
int win_get_dword (hive_h *h, hive_node_h node, const char *name, int64_t *v);

/* The names of the subkeys of NODE (caller frees with h2k_free_strv), or
 * NULL reported.
 */
char **win_subkeys (hive_h *h, hive_node_h node);

/* windows-registry.c: fill WIN (guest.windows) from the SYSTEM hive and
 * from the SOFTWARE hive (either may be NULL: what it holds is then left
 * out).  -1 reported.
 */
int win_read_system (hive_h *sys, json_object *win);
int win_read_software (hive_h *sw, json_object *win);

/* windows-risks.c: append the Windows risks of GUEST to RISKS. */
int windows_risks (json_object *guest, json_object *risks);

#endif
