/* h2k-validate: what a Windows beacon reported, from `ipconfig /all`
 * (English output; other languages give adapters without addresses):
 *
 *   Ethernet adapter Local Area Connection 2:
 *      Media State . . . . . . . . . . . : Media disconnected
 *      Physical Address. . . . . . . . . : 52-54-00-12-34-56
 *      IPv4 Address. . . . . . . . . . . : 192.168.122.50(Preferred)
 *      Subnet Mask . . . . . . . . . . . : 255.255.255.0
 *      Link-local IPv6 Address . . . . . : fe80::5054:ff:fe12:3456%11(Preferred)
 *
 * Each adapter becomes {name, state, mac, addresses}.  Pure.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "validate.h"
#include "windows.h"

/* "Key . . . . : value": the key (dots and blanks stripped) and value
 * into KEY and VAL; 0 when LINE has no " : ".
 */
static int
split_line (const char *line, char *key, size_t ks, char *val, size_t vs)
{
  const char *colon = strstr (line, " : ");
  size_t n;

  if (colon == NULL)
    return 0;
  while (*line == ' ' || *line == '\t')
    line++;
  n = (size_t) (colon - line);
  while (n > 0 && (line[n - 1] == '.' || line[n - 1] == ' '))
    n--;
  snprintf (key, ks, "%.*s", (int) n, line);
  snprintf (val, vs, "%s", colon + 3);
  /* "10.0.2.15(Preferred)", "fe80::1%11(Preferred)" */
  val[strcspn (val, "(%")] = '\0';
  h2k_trim (val);
  return 1;
}

/* The Subnet Mask line follows its address: complete the last one. */
static int
apply_mask (json_object *iface, const char *mask)
{
  json_object *a = h2k_json_get_array (iface, "addresses");
  size_t n = a ? json_object_array_length (a) : 0;
  const char *last = n ? json_object_get_string (json_object_array_get_idx (a, n - 1)) : NULL;
  int prefix = beacon_mask_prefix (mask);
  char buf[96];

  if (last == NULL || prefix < 0 || strchr (last, '/') || strchr (last, ':'))
    return 0;
  snprintf (buf, sizeof buf, "%s/%d", last, prefix);
  return json_object_array_put_idx (a, n - 1, json_object_new_string (buf)) == 0 ? 0 : -1;
}

static json_object *
new_adapter (json_object *arr, const char *line)
{
  const char *p = strstr (line, " adapter ");
  char name[256];
  size_t n;

  p = p ? p + strlen (" adapter ") : line;
  n = strlen (p);
  while (n > 0 && (p[n - 1] == ':' || p[n - 1] == ' '))
    n--;
  snprintf (name, sizeof name, "%.*s", (int) n, p);
  return beacon_new_iface (arr, name, "UP");
}

static int
adapter_line (json_object *iface, const char *key, const char *val)
{
  if (strcmp (key, "Media State") == 0 && strstr (val, "disconnected"))
    return h2k_json_set_string (iface, "state", "DOWN");
  if (strcmp (key, "Physical Address") == 0 && strlen (val) == 17) {
    char mac[18];
    memcpy (mac, val, sizeof mac);      /* 17 characters and the NUL */
    for (char *p = mac; *p; ++p)
      *p = *p == '-' ? ':' : (char) (*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    return h2k_json_set_string (iface, "mac", mac);
  }
  if (strcmp (key, "Subnet Mask") == 0)
    return apply_mask (iface, val);
  if (*val && (strstr (key, "IPv4 Address") || strcmp (key, "IP Address") == 0 ||
               strstr (key, "IPv6 Address")))
    return beacon_add_address (iface, val);
  return 0;
}

int
win_parse_ipconfig (char **lines, json_object *arr)
{
  json_object *iface = NULL;

  for (size_t i = 0; lines && lines[i]; ++i) {
    const char *l = lines[i];
    char key[128], val[256];

    if (l[0] != ' ' && l[0] != '\t' && *l) {
      /* A section header: an adapter, or "Windows IP Configuration". */
      iface = NULL;
      if (strstr (l, " adapter ") && (iface = new_adapter (arr, l)) == NULL)
        return -1;
      continue;
    }
    if (iface && split_line (l, key, sizeof key, val, sizeof val) &&
        adapter_line (iface, key, val) == -1)
      return -1;
  }
  return 0;
}
