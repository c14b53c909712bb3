/* h2k-validate: the beacon, a one-shot script injected into the throwaway
 * overlay that prints a per-run token and the guest's addresses on the
 * serial console and powers the guest off; and the reading of what it
 * printed.  Pure: no libguestfs, no I/O but getrandom.
 *
 * On the console, every line of the beacon carries the tag and the token:
 *   H2K-BEACON <token> BEGIN waited=<s> format=<ip-br|ip|ifconfig>
 *   H2K-BEACON <token> | <one line of `ip -br addr`>
 *   H2K-BEACON <token> END
 * so that other console output interleaved with it does no harm, and
 * nothing the guest prints by itself can pass for it.
 */

#include <sys/random.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "validate.h"
#include "windows.h"

int
beacon_token (char token[BEACON_TOKEN_LEN + 1])
{
  unsigned char raw[BEACON_TOKEN_LEN / 2];
  ssize_t n = getrandom (raw, sizeof raw, 0);

  if (n != (ssize_t) sizeof raw) {
    h2k_error ("getrandom: %m");
    return -1;
  }
  for (size_t i = 0; i < sizeof raw; ++i)
    snprintf (token + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

/* The script.  It waits up to WAIT seconds for an IPv4 address other
 * than loopback (or any global IPv6 one), prints the block in one write,
 * holds HOLD seconds for the network proof, and powers off.
 */
static const char script_fmt[] =
  "#!/bin/sh\n"
  "# h2k-validate boot beacon: exists only in a throwaway overlay of the\n"
  "# validation boot, never in the converted image.\n"
  "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
  "T=%s\n"
  "W=%d\n"
  "H=%d\n"
  "C=/dev/ttyS0\n"
  "up () {\n"
  "  if command -v ip >/dev/null 2>&1; then\n"
  "    ip -o addr show scope global 2>/dev/null | grep -q inet\n"
  "  else\n"
  "    ifconfig 2>/dev/null | grep 'inet ' | grep -vq '127\\.0\\.0\\.1'\n"
  "  fi\n"
  "}\n"
  "i=0\n"
  "while [ \"$i\" -lt \"$W\" ] && ! up; do sleep 1; i=$((i + 1)); done\n"
  "if ip -br addr >/dev/null 2>&1; then f=ip-br; out=$(ip -br addr 2>&1)\n"
  "elif command -v ip >/dev/null 2>&1; then f=ip; out=$(ip addr 2>&1)\n"
  "else f=ifconfig; out=$(ifconfig -a 2>&1)\n"
  "fi\n"
  "msg=$(printf 'H2K-BEACON %%s BEGIN waited=%%s format=%%s\\n' \"$T\" \"$i\" \"$f\"\n"
  "  printf '%%s\\n' \"$out\" | while IFS= read -r l; do\n"
  "    printf 'H2K-BEACON %%s | %%s\\n' \"$T\" \"$l\"; done\n"
  "  printf 'H2K-BEACON %%s END' \"$T\")\n"
  "printf '\\n%%s\\n' \"$msg\" >\"$C\" 2>/dev/null || printf '\\n%%s\\n' \"$msg\" >/dev/console\n"
  "sleep \"$H\"\n"
  "systemctl poweroff 2>/dev/null || poweroff 2>/dev/null || halt -p\n";

char *
beacon_script (const char *token, int wait_s, int hold_s)
{
  char *s;

  if (asprintf (&s, script_fmt, token, wait_s, hold_s) == -1) {
    h2k_error ("%m");
    return NULL;
  }
  return s;
}

void
beacon_init (struct beacon *b, const char *token)
{
  memset (b, 0, sizeof *b);
  snprintf (b->prefix, sizeof b->prefix, "%s %s ", BEACON_TAG, token);
}

void
beacon_free (struct beacon *b)
{
  h2k_free_strv (b->lines);
  b->lines = NULL;
  b->n_lines = 0;
}

static int
add_line (struct beacon *b, const char *text)
{
  char **v;

  if (b->n_lines >= BEACON_MAX_LINES)
    return 0;
  v = realloc (b->lines, (b->n_lines + 2) * sizeof *v);
  if (v == NULL)
    goto nomem;
  b->lines = v;
  if ((v[b->n_lines] = strdup (text)) == NULL)
    goto nomem;
  v[++b->n_lines] = NULL;
  return 0;
 nomem:
  h2k_error ("%m");
  return -1;
}

/* "waited=12 format=ip-br" */
static void
parse_begin (struct beacon *b, const char *rest)
{
  const char *w = strstr (rest, "waited=");
  const char *f = strstr (rest, "format=");

  if (w)
    b->waited = atoi (w + strlen ("waited="));
  if (f) {
    f += strlen ("format=");
    snprintf (b->format, sizeof b->format, "%.*s", (int) strcspn (f, " \t"), f);
  }
}

int
beacon_feed_line (struct beacon *b, const char *line)
{
  const char *p = strstr (line, b->prefix);

  if (p == NULL || b->prefix[0] == '\0' || b->state == BEACON_ENDED)
    return b->state;
  p += strlen (b->prefix);
  if (strncmp (p, "BEGIN", 5) == 0 && (p[5] == ' ' || p[5] == '\0')) {
    beacon_free (b);
    b->state = BEACON_BEGUN;
    parse_begin (b, p + 5);
  }
  else if (b->state == BEACON_BEGUN && p[0] == '|' &&
           (p[1] == ' ' || p[1] == '\0')) {
    if (add_line (b, p[1] ? p + 2 : "") == -1)
      return -1;
  }
  else if (b->state == BEACON_BEGUN && strcmp (p, "END") == 0)
    b->state = BEACON_ENDED;
  return b->state;
}

/* Reported interfaces ---------------------------------------------------- */

json_object *
beacon_new_iface (json_object *arr, const char *name, const char *state)
{
  json_object *o = json_object_new_object ();

  if (h2k_json_array_add (arr, o) == -1)
    return NULL;
  if (h2k_json_set_string (o, "name", name) == -1 ||
      (state && h2k_json_set_string (o, "state", state) == -1) ||
      h2k_json_ensure_array (o, "addresses") == NULL)
    return NULL;
  return o;
}

int
beacon_add_address (json_object *iface, const char *addr)
{
  json_object *a = h2k_json_get_array (iface, "addresses");

  if (a == NULL)
    return -1;
  return h2k_json_array_add_string (a, addr);
}

/* One word of LINE after *POS, in BUF (cut to its size); 0 at the end. */
static int
word (const char *line, size_t *pos, char *buf, size_t size)
{
  size_t i = *pos, n;

  while (line[i] == ' ' || line[i] == '\t')
    i++;
  n = strcspn (line + i, " \t");
  if (n == 0)
    return 0;
  snprintf (buf, size, "%.*s", (int) n, line + i);
  *pos = i + n;
  return 1;
}

int
beacon_parse_ip_br_line (const char *line, json_object *arr)
{
  char name[64], state[32], addr[128];
  size_t pos = 0;
  json_object *iface;

  if (!word (line, &pos, name, sizeof name))
    return 0;                   /* a blank line */
  if (!word (line, &pos, state, sizeof state))
    state[0] = '\0';
  iface = beacon_new_iface (arr, name, state[0] ? state : NULL);
  if (iface == NULL)
    return -1;
  while (word (line, &pos, addr, sizeof addr))
    if (beacon_add_address (iface, addr) == -1)
      return -1;
  return 0;
}

/* `ip addr`:
 *   2: ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ... state UP ...
 *       inet 192.168.122.50/24 brd 192.168.122.255 scope global ens192
 */
static int
parse_ip_addr (char **lines, json_object *arr)
{
  json_object *iface = NULL;

  for (size_t i = 0; lines && lines[i]; ++i) {
    const char *l = lines[i];
    char w1[64], w2[128];
    size_t pos = 0;

    if (!word (l, &pos, w1, sizeof w1))
      continue;
    if (l[0] != ' ' && l[0] != '\t' && w1[strlen (w1) - 1] == ':' &&
        word (l, &pos, w2, sizeof w2)) {
      const char *st = strstr (l, " state ");
      char state[32] = "";
      char *at;
      size_t sp = 0;

      if (w2[strlen (w2) - 1] == ':')
        w2[strlen (w2) - 1] = '\0';
      if ((at = strchr (w2, '@')) != NULL)
        *at = '\0';
      if (st) {
        sp = (size_t) (st - l) + strlen (" state ");
        if (!word (l, &sp, state, sizeof state))
          state[0] = '\0';
      }
      iface = beacon_new_iface (arr, w2, state[0] ? state : NULL);
      if (iface == NULL)
        return -1;
    }
    else if (iface && (strcmp (w1, "inet") == 0 || strcmp (w1, "inet6") == 0) &&
             word (l, &pos, w2, sizeof w2) &&
             beacon_add_address (iface, w2) == -1)
      return -1;
  }
  return 0;
}

/* The prefix length of a dotted netmask, or -1. */
int
beacon_mask_prefix (const char *mask)
{
  unsigned a, b, c, d;
  unsigned long m;
  int n = 0;

  if (sscanf (mask, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 ||
      a > 255 || b > 255 || c > 255 || d > 255)
    return -1;
  m = ((unsigned long) a << 24) | (b << 16) | (c << 8) | d;
  while (m & 0x80000000UL) {
    n++;
    m = (m << 1) & 0xffffffffUL;
  }
  return m ? -1 : n;
}

/* ifconfig, both styles:
 *   ens192: flags=4163<UP,...>  mtu 1500        (net-tools 2.x)
 *           inet 192.168.122.50  netmask 255.255.255.0  broadcast ...
 *   eth0      Link encap:Ethernet  HWaddr ...    (net-tools 1.x, busybox)
 *             inet addr:10.0.2.15  Bcast:...  Mask:255.255.255.0
 */
static int
parse_ifconfig (char **lines, json_object *arr)
{
  json_object *iface = NULL;

  for (size_t i = 0; lines && lines[i]; ++i) {
    const char *l = lines[i];
    char w[128], addr[128] = "", mask[128] = "";
    size_t pos = 0;

    if (!word (l, &pos, w, sizeof w))
      continue;
    if (l[0] != ' ' && l[0] != '\t') {
      if (w[strlen (w) - 1] == ':')
        w[strlen (w) - 1] = '\0';
      iface = beacon_new_iface (arr, w, strstr (l, "UP") ? "UP" : NULL);
      if (iface == NULL)
        return -1;
      continue;
    }
    if (iface == NULL || strcmp (w, "inet") != 0 || !word (l, &pos, w, sizeof w))
      continue;
    snprintf (addr, sizeof addr, "%s",
              strncmp (w, "addr:", 5) == 0 ? w + 5 : w);
    while (word (l, &pos, w, sizeof w)) {
      if (strncmp (w, "Mask:", 5) == 0)
        snprintf (mask, sizeof mask, "%s", w + 5);
      else if (strcmp (w, "netmask") == 0 && word (l, &pos, w, sizeof w))
        snprintf (mask, sizeof mask, "%s", w);
    }
    if (beacon_mask_prefix (mask) >= 0) {
      char full[160];
      snprintf (full, sizeof full, "%s/%d", addr, beacon_mask_prefix (mask));
      if (beacon_add_address (iface, full) == -1)
        return -1;
    }
    else if (beacon_add_address (iface, addr) == -1)
      return -1;
  }
  return 0;
}

json_object *
beacon_reported (const struct beacon *b)
{
  json_object *arr = json_object_new_array ();
  int r = 0;

  if (arr == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  if (strcmp (b->format, "ip") == 0)
    r = parse_ip_addr (b->lines, arr);
  else if (strcmp (b->format, "ifconfig") == 0)
    r = parse_ifconfig (b->lines, arr);
  else if (strcmp (b->format, "ipconfig") == 0)
    r = win_parse_ipconfig (b->lines, arr);
  else
    for (size_t i = 0; r == 0 && b->lines && b->lines[i]; ++i)
      r = beacon_parse_ip_br_line (b->lines[i], arr);
  if (r == -1) {
    json_object_put (arr);
    h2k_error ("%m");
    return NULL;
  }
  return arr;
}
