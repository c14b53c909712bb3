/* h2k: helpers shared by the linuxcfg parsers (not a public API). */
#ifndef H2K_LINUXCFG_PRIV_H
#define H2K_LINUXCFG_PRIV_H

#include <stddef.h>

#include <json-c/json.h>

#include "manifest.h"

/* A file split into lines: one writable copy (BUF) with each '\n' (and a
 * '\r' before it) replaced by NUL; LINES[i] is physical line i+1.
 */
struct h2k_lc_text {
  char *buf;
  char **lines;
  size_t n;
  const char *name;
};

/* Check the limits (size, NUL bytes, line length, line count) and split.
 * Returns 0, or -1 reported.  Free with h2k_lc_text_free (zeroed struct OK).
 */
int h2k_lc_text_split (const char *text, size_t len, const char *name,
                   struct h2k_lc_text *t);
void h2k_lc_text_free (struct h2k_lc_text *t);

/* The logical line starting at physical line *I: lines ending with a
 * backslash are joined to the next one (the backslash is replaced by SEP,
 * or removed if SEP is 0).  Sets *LINENO to the first physical line
 * number and advances *I past the last.  Returns a string the caller frees,
 * or NULL reported (out of memory, too long).
 */
char *h2k_lc_logical_line (struct h2k_lc_text *t, size_t *i, int *lineno,
                           char sep);

/* Report "NAME: line N: message" (LINE 0: "NAME: message"). */
void h2k_lc_error (const char *name, int line, const char *fs, ...)
  __attribute__((format (printf, 3, 4)));

/* Skip blanks (space, tab, and \v \f \r). */
const char *h2k_lc_skip_blank (const char *p);
int h2k_lc_is_blank (int c);

/* Is the line (after blanks) empty or starting with one of COMMENTS? */
int h2k_lc_is_comment (const char *line, const char *comments);

/* One shell word from *P (blanks skipped first): quotes and escapes
 * removed, words glued (a"b"'c').  Returns 1 and sets *WORD (caller frees),
 * 0 at the end of the line or at a '#' starting a word (comment), -1 on an
 * unterminated quote (*REASON set to a static string).  *DYNAMIC is set to
 * 1 when the word holds an unexpanded $ or ` (they are kept literally,
 * with their $(...) / `...` / ${...} text).  STOP, if not NUL, is one more
 * character that ends a word when unquoted (for example ';' or '{').
 */
int h2k_lc_shell_word (const char **p, char **word, int *dynamic,
                   const char **reason, int stop);

/* json helpers: add a string / int member (return -1 on out of memory). */
int h2k_lc_add_str (json_object *o, const char *key, const char *val);
int h2k_lc_add_strn (json_object *o, const char *key, const char *val,
                     size_t n);
int h2k_lc_add_int (json_object *o, const char *key, int val);
int h2k_lc_add_bool (json_object *o, const char *key, int val);
/* Append to an array, taking ownership of V (freed on failure). */
int h2k_lc_array_add (json_object *a, json_object *v);
int h2k_lc_array_add_str (json_object *a, const char *val);
/* String member of O or NULL. */
const char *h2k_lc_get_str (json_object *o, const char *key);
/* Out-of-memory report. */
void h2k_lc_oom (const char *name);

/* The network interpreter: the model in linuxcfg-net.c, used by the
 * backends in linuxcfg-net-BACKEND.c.
 */

/* "yes", "true", "on", "1" or "y" (any case). */
int h2k_lc_truthy (const char *s);
/* The part of PATH after its last '/'. */
const char *h2k_lc_basename (const char *path);
/* Safe on anything: json-c asserts on the wrong type (the length is
 * manifest.h's h2k_json_array_len).
 */
json_object *h2k_lc_arr_get (json_object *a, size_t i);
int h2k_lc_is_obj (json_object *o);
/* String value of V, or "" (never NULL). */
const char *h2k_lc_str_or_empty (json_object *v);
/* Member KEY of O, or NULL (O may be anything). */
json_object *h2k_lc_member (json_object *o, const char *key);

/* The output records: 0, or -1 on out of memory (not reported). */
/* A new record appended to OUT, or NULL on out of memory. */
json_object *h2k_lc_new_iface (json_object *out, const char *backend,
                               const char *file, int line,
                               const char *ifname);
/* Add ADDR with PREFIX (-1: ADDR may carry its own "/N" or "/MASK"; if it
 * has none, DEFPREFIX is used unless it is -1).  Invalid addresses are
 * skipped.
 */
int h2k_lc_add_address (json_object *o, const char *addr, int prefix,
                        int defprefix);
/* Gateway: the first one of each family wins. */
int h2k_lc_set_gateway (json_object *o, const char *gw);
int h2k_lc_add_dns (json_object *o, const char *server);
/* Add every IP in a list separated by any of SEPS. */
int h2k_lc_add_dns_list (json_object *o, const char *list,
                         const char *seps);
/* A route; a default one (TO "default", "0.0.0.0/0", "::/0" or NULL)
 * becomes the gateway instead.
 */
int h2k_lc_add_route (json_object *o, const char *to, const char *via);
int h2k_lc_set_mac_pin (json_object *o, const char *mac,
                        const char *source);
/* "ip route add 10.0.0.0/8 via 1.2.3.4 ..." or "route add -net N netmask M
 * gw G" in an ifupdown up line, or "10.0.0.0/8 via 1.2.3.4 dev eth0" in a
 * route-NAME file.
 */
int h2k_lc_parse_route_cmd (json_object *o, const char *cmd);

/* The backends: each adds the records of its files to OUT.  0, or -1 on
 * out of memory (reported by the caller).
 */
int h2k_lc_net_ifupdown (json_object *out, const char *file,
                         json_object *doc);
int h2k_lc_net_netplan (json_object *out, const char *file,
                        json_object *doc);
/* SUSE: wicked's files instead of RHEL's ifcfg. */
int h2k_lc_net_ifcfg (json_object *out, json_object *files, int suse);
int h2k_lc_net_networkmanager (json_object *out, json_object *files);
int h2k_lc_net_networkd (json_object *out, json_object *files);
/* The record of interface IFNAME from BACKEND in OUT, or NULL (in
 * linuxcfg-net-ifcfg.c).
 */
json_object *h2k_lc_find_iface (json_object *out, const char *backend,
                                const char *ifname);

#endif
