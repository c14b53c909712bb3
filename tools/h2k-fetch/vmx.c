/* h2k-fetch: VMware .vmx files.
 *
 * vmx_parse and vmx_describe are pure (see vmx.h); fetch_vmx turns the
 * description into the manifest and hands every disk to fetch_add_disk.
 */

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "h2k.h"
#include "fetch.h"
#include "vmx.h"

struct vmx_entry {
  char *key;                    /* lowercase */
  char *value;                  /* unescaped */
  unsigned line;
};

struct vmx {
  struct vmx_entry *e;
  size_t n;
};

/* A copy of S fit for a one-line message: control characters become
 * '?', and long strings are cut.
 */
static const char *
printable (const char *s, char *buf, size_t size)
{
  size_t i;

  for (i = 0; s[i] && i + 4 < size; ++i)
    buf[i] = iscntrl ((unsigned char) s[i]) ? '?' : s[i];
  if (s[i])
    strcpy (&buf[i], "...");
  else
    buf[i] = '\0';
  return buf;
}

static int
hexval (int c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decode VMware's "|XX" escapes from S (LEN bytes) into a new string.
 * A '|' not followed by two hex digits stays as it is (as VMware and
 * virt-v2v do).  NULL reported.
 */
static char *
unescape (const char *s, size_t len, const char *name, unsigned line)
{
  char *r = malloc (len + 1);
  size_t j = 0;

  if (r == NULL) {
    h2k_error ("%s: line %u: %m", name, line);
    return NULL;
  }
  for (size_t i = 0; i < len; ++i) {
    int hi, lo;
    if (s[i] == '|' && i + 2 < len &&
        (hi = hexval (s[i + 1])) >= 0 && (lo = hexval (s[i + 2])) >= 0) {
      r[j] = (char) (hi * 16 + lo);
      if (r[j] == '\0') {
        free (r);
        h2k_error ("%s: line %u: value contains a NUL byte (|00)", name, line);
        return NULL;
      }
      j++;
      i += 2;
    }
    else
      r[j++] = s[i];
  }
  r[j] = '\0';
  return r;
}

static int
key_char_ok (int c)
{
  return c > ' ' && c < 127 && c != '=' && c != '"' && c != '#';
}

/* Parse one line (without its newline).  Sets *key and *value (both
 * allocated) for a key = value line, leaves them NULL for a blank or
 * comment line.  -1 reported.
 */
static int
parse_line (const char *p, size_t len, const char *name, unsigned line,
            char **key, char **value)
{
  const char *end = p + len, *k, *v;
  size_t klen, vlen;

  *key = *value = NULL;
  if (len > 0 && end[-1] == '\r')
    end--;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  if (p == end || *p == '#')
    return 0;

  k = p;
  while (p < end && key_char_ok ((unsigned char) *p))
    p++;
  klen = p - k;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  if (klen == 0 || p == end || *p != '=') {
    h2k_error ("%s: line %u: expected 'key = \"value\"'", name, line);
    return -1;
  }
  if (klen > VMX_MAX_KEY) {
    h2k_error ("%s: line %u: key too long (more than %d bytes)",
               name, line, VMX_MAX_KEY);
    return -1;
  }
  p++;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;

  if (p < end && *p == '"') {
    v = ++p;
    while (p < end && *p != '"')
      p++;
    vlen = p - v;
    if (vlen > VMX_MAX_VALUE) {
      h2k_error ("%s: line %u: value too long (more than %d bytes)",
                 name, line, VMX_MAX_VALUE);
      return -1;
    }
    if (p == end) {
      h2k_error ("%s: line %u: unterminated quoted value", name, line);
      return -1;
    }
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    if (p < end && *p != '#') {
      h2k_error ("%s: line %u: unexpected text after the quoted value",
                 name, line);
      return -1;
    }
  }
  else {
    /* Unquoted (packer writes some): the rest of the line, trimmed. */
    v = p;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    vlen = end - v;
    if (vlen > VMX_MAX_VALUE) {
      h2k_error ("%s: line %u: value too long (more than %d bytes)",
                 name, line, VMX_MAX_VALUE);
      return -1;
    }
    if (memchr (v, '"', vlen)) {
      h2k_error ("%s: line %u: stray '\"' in an unquoted value", name, line);
      return -1;
    }
  }

  *key = strndup (k, klen);
  if (*key == NULL) {
    h2k_error ("%s: line %u: %m", name, line);
    return -1;
  }
  for (char *c = *key; *c; ++c)
    *c = tolower ((unsigned char) *c);
  *value = unescape (v, vlen, name, line);
  if (*value == NULL) {
    free (*key);
    *key = NULL;
    return -1;
  }
  return 0;
}

static int
compare_entries (const void *a, const void *b)
{
  const struct vmx_entry *x = a, *y = b;
  int r = strcmp (x->key, y->key);

  if (r)
    return r;
  return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort by key; of duplicate keys keep the last one set. */
static void
sort_and_dedup (struct vmx *vmx)
{
  size_t j = 0;

  if (vmx->n == 0)
    return;
  qsort (vmx->e, vmx->n, sizeof vmx->e[0], compare_entries);
  for (size_t i = 0; i < vmx->n; ++i) {
    if (i + 1 < vmx->n && strcmp (vmx->e[i].key, vmx->e[i + 1].key) == 0) {
      free (vmx->e[i].key);
      free (vmx->e[i].value);
      continue;
    }
    vmx->e[j++] = vmx->e[i];
  }
  vmx->n = j;
}

void
vmx_free (struct vmx *vmx)
{
  if (vmx == NULL)
    return;
  for (size_t i = 0; i < vmx->n; ++i) {
    free (vmx->e[i].key);
    free (vmx->e[i].value);
  }
  free (vmx->e);
  free (vmx);
}

static void
cleanup_vmx (void *ptr)
{
  vmx_free (*(struct vmx **) ptr);
}
#define CLEANUP_VMX __attribute__((cleanup (cleanup_vmx)))

static int
is_vmdk (const char *buf, size_t len)
{
  return (len >= 4 && (memcmp (buf, "KDMV", 4) == 0 ||
                       memcmp (buf, "COWD", 4) == 0)) ||
    strncmp (buf, "# Disk DescriptorFile", 21) == 0;
}

/* Convert S (NUL-terminated) with CD into a new string.  NULL reported. */
static char *
convert (iconv_t cd, const char *s, const char *name, const char *key)
{
  size_t inleft = strlen (s), outsize = inleft * 4 + 1, outleft = outsize - 1;
  char *r = malloc (outsize), *in = (char *) s, *out = r;

  if (r == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  iconv (cd, NULL, NULL, NULL, NULL);
  if (iconv (cd, &in, &inleft, &out, &outleft) == (size_t) -1 ||
      iconv (cd, NULL, NULL, &out, &outleft) == (size_t) -1) {
    free (r);
    h2k_error ("%s: %s: not valid in the file's .encoding: %m", name, key);
    return NULL;
  }
  *out = '\0';
  return r;
}

static int
valid_utf8 (const unsigned char *s)
{
  while (*s) {
    size_t n;
    uint32_t c;

    if (*s < 0x80) { s++; continue; }
    if ((*s & 0xe0) == 0xc0) { n = 1; c = *s & 0x1f; }
    else if ((*s & 0xf0) == 0xe0) { n = 2; c = *s & 0x0f; }
    else if ((*s & 0xf8) == 0xf0) { n = 3; c = *s & 0x07; }
    else return 0;
    for (size_t i = 1; i <= n; ++i) {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      c = c << 6 | (s[i] & 0x3f);
    }
    if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
        (n == 3 && c < 0x10000) || c > 0x10ffff ||
        (c >= 0xd800 && c <= 0xdfff))
      return 0;
    s += n + 1;
  }
  return 1;
}

/* VMware records the character set of the values in ".encoding"
 * (UTF-8 nowadays; windows-1252, Shift_JIS, ... in older files).
 * Convert every value to UTF-8.
 */
static int
convert_encoding (struct vmx *vmx, const char *name)
{
  const char *enc = vmx_get (vmx, ".encoding");
  iconv_t cd;
  char buf[72];
  int r = 0;

  if (enc && (strcasecmp (enc, "UTF-8") == 0 || strcasecmp (enc, "UTF8") == 0))
    return 0;
  if (enc == NULL) {
    /* Old files have no .encoding: if they are not UTF-8, they are most
     * likely in a Western Windows code page.
     */
    size_t i;
    for (i = 0; i < vmx->n; ++i)
      if (!valid_utf8 ((const unsigned char *) vmx->e[i].value))
        break;
    if (i == vmx->n)
      return 0;
    h2k_warning ("%s: no .encoding and text that is not UTF-8 (line %u): "
                 "reading it as ISO-8859-1", name, vmx->e[i].line);
    enc = "ISO-8859-1";
  }
  cd = iconv_open ("UTF-8", enc);
  if (cd == (iconv_t) -1) {
    h2k_error ("%s: .encoding: \"%s\" is not an encoding we know", name,
               printable (enc, buf, sizeof buf));
    return -1;
  }
  for (size_t i = 0; i < vmx->n && r == 0; ++i) {
    char *v = convert (cd, vmx->e[i].value, name, vmx->e[i].key);
    if (v == NULL)
      r = -1;
    else {
      free (vmx->e[i].value);
      vmx->e[i].value = v;
    }
  }
  iconv_close (cd);
  return r;
}

struct vmx *
vmx_parse (const char *buf, size_t len, const char *name)
{
  CLEANUP_VMX struct vmx *vmx = calloc (1, sizeof *vmx);
  size_t cap = 0;
  unsigned line = 0;
  const char *p = buf, *end = buf + len;

  if (vmx == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  if (is_vmdk (buf, len)) {
    h2k_error ("%s: this is a VMDK disk image, not a VMX file", name);
    return NULL;
  }
  if (strlen (buf) != len) {
    h2k_error ("%s: contains NUL bytes: not a VMX file", name);
    return NULL;
  }
  while (p < end) {
    const char *nl = memchr (p, '\n', end - p);
    size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
    char *key, *value;

    line++;
    if (parse_line (p, n, name, line, &key, &value) == -1)
      return NULL;
    p += n + (nl != NULL);
    if (key == NULL)
      continue;
    if (vmx->n >= VMX_MAX_KEYS) {
      free (key);
      free (value);
      h2k_error ("%s: line %u: too many keys (more than %d)",
                 name, line, VMX_MAX_KEYS);
      return NULL;
    }
    if (vmx->n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      struct vmx_entry *e = realloc (vmx->e, ncap * sizeof *e);
      if (e == NULL) {
        free (key);
        free (value);
        h2k_error ("%s: %m", name);
        return NULL;
      }
      vmx->e = e;
      cap = ncap;
    }
    vmx->e[vmx->n++] = (struct vmx_entry) { key, value, line };
  }
  sort_and_dedup (vmx);
  if (convert_encoding (vmx, name) == -1)
    return NULL;

  struct vmx *r = vmx;
  vmx = NULL;
  return r;
}

struct vmx *
vmx_parse_file (const char *path)
{
  CLEANUP_FREE char *buf = NULL;
  size_t len;

  buf = h2k_read_file (path, VMX_MAX_FILE, &len);
  if (buf == NULL)
    return NULL;
  return vmx_parse (buf, len, path);
}

static const struct vmx_entry *
find (const struct vmx *vmx, const char *key)
{
  char lower[VMX_MAX_KEY + 1];
  size_t lo = 0, hi = vmx->n, i;

  for (i = 0; key[i] && i < VMX_MAX_KEY; ++i)
    lower[i] = tolower ((unsigned char) key[i]);
  if (key[i])
    return NULL;
  lower[i] = '\0';
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp (lower, vmx->e[mid].key);
    if (r == 0)
      return &vmx->e[mid];
    if (r < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

const char *
vmx_get (const struct vmx *vmx, const char *key)
{
  const struct vmx_entry *e = find (vmx, key);

  return e ? e->value : NULL;
}

size_t
vmx_count (const struct vmx *vmx)
{
  return vmx->n;
}

unsigned
vmx_line (const struct vmx *vmx, const char *key)
{
  const struct vmx_entry *e = find (vmx, key);

  return e ? e->line : 0;
}

/* "NS.FIELD" */
static const char *
get_ns (const struct vmx *vmx, const char *ns, const char *field)
{
  char key[VMX_MAX_KEY + 1];

  if ((size_t) snprintf (key, sizeof key, "%s.%s", ns, field) >= sizeof key)
    return NULL;
  return vmx_get (vmx, key);
}

/* Booleans as VMware writes them: TRUE, true, True, FALSE... 1 or 0;
 * -1 if not a boolean.
 */
static int
parse_bool (const char *s)
{
  if (strcasecmp (s, "true") == 0 || strcasecmp (s, "yes") == 0 ||
      strcmp (s, "1") == 0)
    return 1;
  if (strcasecmp (s, "false") == 0 || strcasecmp (s, "no") == 0 ||
      strcmp (s, "0") == 0)
    return 0;
  return -1;
}

/* Is NS (e.g. "scsi0", "ethernet1") present?  Only an explicit FALSE
 * hides it, as in virt-v2v.
 */
static int
present (const struct vmx *vmx, const char *ns)
{
  const char *v = get_ns (vmx, ns, "present");

  return v == NULL || parse_bool (v) != 0;
}

/* A decimal integer in [MIN, MAX], or -1 reported as "NAME: KEY: ...". */
static int
get_int (const struct vmx *vmx, const char *name, const char *key,
         int64_t min, int64_t max, int64_t *out)
{
  const char *v = vmx_get (vmx, key);
  char *end;
  char buf[72];
  long long i;

  if (v == NULL)
    return 0;
  errno = 0;
  i = strtoll (v, &end, 10);
  while (*end == ' ' || *end == '\t')
    end++;
  if (errno || end == v || *end || i < min || i > max) {
    h2k_error ("%s: %s: \"%s\" is not an integer in [%" PRId64 ", %" PRId64 "]",
               name, key, printable (v, buf, sizeof buf), min, max);
    return -1;
  }
  *out = i;
  return 1;
}

static const char *const bus_names[] = { "scsi", "sata", "nvme", "ide" };

/* Parse "scsi0:1" (the namespace of KEY "scsi0:1.filename") into bus,
 * controller and unit.  0 if KEY is not a disk's fileName.
 */
static int
disk_address (const char *key, struct vmx_disk *d)
{
  for (size_t b = 0; b < sizeof bus_names / sizeof bus_names[0]; ++b) {
    size_t n = strlen (bus_names[b]);
    unsigned c, u;
    int end = 0;

    if (strncmp (key, bus_names[b], n) != 0 || !isdigit ((unsigned char) key[n]))
      continue;
    const char *colon = strchr (key + n, ':');
    if (colon == NULL || !isdigit ((unsigned char) colon[1]) ||
        sscanf (key + n, "%3u:%3u.filename%n", &c, &u, &end) != 2 ||
        end == 0 || key[n + end] != '\0')
      return 0;
    d->bus = (enum vmx_bus) b;
    d->bus_name = bus_names[b];
    d->controller = c;
    d->unit = u;
    snprintf (d->address, sizeof d->address, "%s%u:%u", bus_names[b], c, u);
    return 1;
  }
  return 0;
}

/* deviceType values that are hard disks.  Without a deviceType, a
 * fileName ending in .vmdk is a disk (VMware's default for hard disks).
 */
static int
is_hard_disk (const char *device_type, const char *file)
{
  static const char *const types[] = {
    "disk", "plaindisk", "rawdisk", "scsi-harddisk", "ata-harddisk",
    "sata-harddisk", "nvme-harddisk",
  };

  if (device_type == NULL)
    return h2k_ends_with_ci (file, ".vmdk");
  for (size_t i = 0; i < sizeof types / sizeof types[0]; ++i)
    if (strcasecmp (device_type, types[i]) == 0)
      return 1;
  return 0;
}

static void
lowercase_copy (char *dst, size_t size, const char *src)
{
  size_t i;

  for (i = 0; src[i] && i + 1 < size; ++i)
    dst[i] = tolower ((unsigned char) src[i]);
  dst[i] = '\0';
}

static void
controller_model (const struct vmx *vmx, struct vmx_disk *d)
{
  char ns[32];
  const char *v;

  switch (d->bus) {
  case VMX_BUS_SCSI:
    snprintf (ns, sizeof ns, "scsi%u", d->controller);
    v = get_ns (vmx, ns, "virtualDev");
    lowercase_copy (d->controller_model, sizeof d->controller_model,
                    v && *v ? v : "lsilogic");
    break;
  case VMX_BUS_SATA:
    strcpy (d->controller_model, "ahci");
    break;
  case VMX_BUS_NVME:
    strcpy (d->controller_model, "nvme");
    break;
  case VMX_BUS_IDE:
    strcpy (d->controller_model, "ide");
    break;
  }
}

static int
compare_disks (const void *a, const void *b)
{
  const struct vmx_disk *x = a, *y = b;

  if (x->bus != y->bus)
    return x->bus < y->bus ? -1 : 1;
  if (x->controller != y->controller)
    return x->controller < y->controller ? -1 : 1;
  return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static int
find_disks (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  for (size_t i = 0; i < vmx->n; ++i) {
    struct vmx_disk d = { 0 };
    char ctl[32];

    if (!disk_address (vmx->e[i].key, &d))
      continue;
    d.file = vmx->e[i].value;
    snprintf (ctl, sizeof ctl, "%s%u", d.bus_name, d.controller);
    if (!present (vmx, d.address) || !present (vmx, ctl)) {
      h2k_debug ("%s: %s not present, skipped", name, d.address);
      continue;
    }
    if (!is_hard_disk (get_ns (vmx, d.address, "deviceType"), d.file)) {
      h2k_debug ("%s: %s is not a hard disk, skipped", name, d.address);
      continue;
    }
    if (d.file[0] == '\0') {
      h2k_error ("%s: %s.fileName: empty file name", name, d.address);
      return -1;
    }
    if (vm->ndisks >= VMX_MAX_DISKS) {
      h2k_error ("%s: %s: too many disks (more than %d)",
                 name, d.address, VMX_MAX_DISKS);
      return -1;
    }
    controller_model (vmx, &d);
    vm->disks[vm->ndisks++] = d;
  }
  qsort (vm->disks, vm->ndisks, sizeof vm->disks[0], compare_disks);
  return 0;
}

/* "00:50:56:AB:cd:0f" -> lowercase into MAC; 0 if malformed or zero. */
static int
parse_mac (const char *s, char mac[18])
{
  unsigned b[6];
  int n = 0;

  if (strlen (s) != 17 ||
      sscanf (s, "%2x:%2x:%2x:%2x:%2x:%2x%n",
              &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) != 6 || n != 17)
    return 0;
  for (int i = 2; i < 17; i += 3)
    if (s[i] != ':')
      return 0;
  if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
    return 0;
  snprintf (mac, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
            b[0], b[1], b[2], b[3], b[4], b[5]);
  return 1;
}

/* Which ethernetN appear at all (any key "ethernetN.something")? */
static int
nic_index (const char *key, unsigned *index)
{
  int end = 0;

  if (strncmp (key, "ethernet", 8) != 0 || !isdigit ((unsigned char) key[8]))
    return 0;
  if (sscanf (key + 8, "%3u%n", index, &end) != 1 || key[8 + end] != '.')
    return 0;
  return 1;
}

static int
describe_nic (const struct vmx *vmx, const char *name, struct vmx_nic *nic)
{
  const char *type = get_ns (vmx, nic->id, "addressType");
  const char *addr = get_ns (vmx, nic->id, "address");
  const char *gen = get_ns (vmx, nic->id, "generatedAddress");
  const char *dev = get_ns (vmx, nic->id, "virtualDev");
  const char *sc = get_ns (vmx, nic->id, "startConnected");
  const char *mac;
  char buf[72];

  /* addressType static: "address"; generated or vpx: "generatedAddress". */
  if (type && strcasecmp (type, "static") == 0)
    mac = addr ? addr : gen;
  else
    mac = gen ? gen : addr;
  if (mac && !parse_mac (mac, nic->mac)) {
    /* 00:00:00:00:00:00: not assigned yet (NSX assigns it at power on). */
    if (strcmp (mac, "00:00:00:00:00:00") == 0)
      h2k_debug ("%s: %s: no MAC address assigned", name, nic->id);
    else
      h2k_warning ("%s: %s: MAC address \"%s\" ignored", name, nic->id,
                   printable (mac, buf, sizeof buf));
  }
  if (dev && *dev)
    lowercase_copy (nic->model, sizeof nic->model, dev);
  nic->network = get_ns (vmx, nic->id, "networkName");
  nic->connection_type = get_ns (vmx, nic->id, "connectionType");
  nic->connected = 1;
  if (sc && parse_bool (sc) == 0)
    nic->connected = 0;
  return 0;
}

static int
find_nics (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  unsigned last = UINT32_MAX;

  /* Keys are sorted, but "ethernet10." sorts before "ethernet2.": collect
   * the distinct indexes, then sort them.
   */
  for (size_t i = 0; i < vmx->n; ++i) {
    unsigned index;
    int seen = 0;

    if (!nic_index (vmx->e[i].key, &index) || index == last)
      continue;
    last = index;
    for (size_t j = 0; j < vm->nnics; ++j)
      seen |= vm->nics[j].index == index;
    if (seen)
      continue;
    if (vm->nnics >= VMX_MAX_NICS) {
      h2k_error ("%s: ethernet%u: too many network interfaces (more than %d)",
                 name, index, VMX_MAX_NICS);
      return -1;
    }
    struct vmx_nic *nic = &vm->nics[vm->nnics];
    memset (nic, 0, sizeof *nic);
    nic->index = index;
    snprintf (nic->id, sizeof nic->id, "ethernet%u", index);
    if (!present (vmx, nic->id))
      continue;
    if (describe_nic (vmx, name, nic) == -1)
      return -1;
    vm->nnics++;
  }
  for (size_t i = 1; i < vm->nnics; ++i)       /* few: insertion sort */
    for (size_t j = i; j > 0 && vm->nics[j - 1].index > vm->nics[j].index; --j) {
      struct vmx_nic t = vm->nics[j];
      vm->nics[j] = vm->nics[j - 1];
      vm->nics[j - 1] = t;
    }
  return 0;
}

static int
describe_cpu_memory (const struct vmx *vmx, const char *name,
                     struct vmx_vm *vm)
{
  int64_t i;
  int r;

  vm->memory_mb = 32;           /* VMware's default, as virt-v2v notes */
  vm->memory_default = 1;
  if ((r = get_int (vmx, name, "memsize", 1, INT64_C (1) << 32, &i)) == -1)
    return -1;
  if (r) {
    vm->memory_mb = i;
    vm->memory_default = 0;
  }
  vm->cpus = 1;
  if ((r = get_int (vmx, name, "numvcpus", 1, 4096, &i)) == -1)
    return -1;
  if (r)
    vm->cpus = (int) i;
  if ((r = get_int (vmx, name, "cpuid.coresPerSocket", 1, 4096, &i)) == -1)
    return -1;
  if (r)
    vm->cores_per_socket = (int) i;
  return 0;
}

static int
describe_firmware (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  const char *fw = vmx_get (vmx, "firmware");
  const char *sb = vmx_get (vmx, "uefi.secureBoot.enabled");
  char buf[72];

  vm->firmware = "bios";
  if (fw && strcasecmp (fw, "efi") == 0)
    vm->firmware = "uefi";
  else if (fw && *fw && strcasecmp (fw, "bios") != 0)
    h2k_warning ("%s: firmware: unknown value \"%s\", assuming BIOS",
                 name, printable (fw, buf, sizeof buf));
  vm->secure_boot = -1;
  if (sb) {
    vm->secure_boot = parse_bool (sb);
    if (vm->secure_boot == -1) {
      h2k_error ("%s: uefi.secureBoot.enabled: \"%s\" is not TRUE or FALSE",
                 name, printable (sb, buf, sizeof buf));
      return -1;
    }
  }
  return 0;
}

void
vmx_vm_free (struct vmx_vm *vm)
{
  free (vm->disks);
  free (vm->nics);
  vm->disks = NULL;
  vm->nics = NULL;
  vm->ndisks = vm->nnics = 0;
}

int
vmx_describe (const struct vmx *vmx, const char *name, struct vmx_vm *vm)
{
  memset (vm, 0, sizeof *vm);
  vm->disks = calloc (VMX_MAX_DISKS, sizeof vm->disks[0]);
  vm->nics = calloc (VMX_MAX_NICS, sizeof vm->nics[0]);
  if (vm->disks == NULL || vm->nics == NULL) {
    h2k_error ("%s: %m", name);
    goto fail;
  }
  vm->name = vmx_get (vmx, "displayName");
  if (vm->name && vm->name[0] == '\0')
    vm->name = NULL;
  vm->hardware_version = vmx_get (vmx, "virtualHW.version");
  vm->guest_os = vmx_get (vmx, "guestOS");
  if (describe_cpu_memory (vmx, name, vm) == -1 ||
      describe_firmware (vmx, name, vm) == -1 ||
      find_disks (vmx, name, vm) == -1 ||
      find_nics (vmx, name, vm) == -1)
    goto fail;
  return 0;
 fail:
  vmx_vm_free (vm);
  return -1;
}

/* ---------------------------------------------------------------- */
/* fetch_vmx: the manifest from a VMX. */

static void
cleanup_vm (void *ptr)
{
  vmx_vm_free (ptr);
}
#define CLEANUP_VM __attribute__((cleanup (cleanup_vm)))

/* The VM's name from the VMX (for main, which needs it before the
 * workdir exists): displayName, or NULL.  Caller frees.  *ERR is set
 * to -1 (reported) if the VMX cannot be parsed.
 */
char *
fetch_vmx_name (const char *path, int *err)
{
  CLEANUP_VMX struct vmx *vmx = vmx_parse_file (path);
  const char *n;
  char *r = NULL;

  *err = 0;
  if (vmx == NULL) {
    *err = -1;
    return NULL;
  }
  n = vmx_get (vmx, "displayName");
  if (n && *n && (r = strdup (n)) == NULL) {
    h2k_error ("%s: %m", path);
    *err = -1;
  }
  return r;
}

static int
set_vm_fields (json_object *jvm, const struct vmx_vm *vm, const char *path)
{
  char hw[32] = "";

  if (vm->hardware_version &&
      fetch_vmx_hw_version (vm->hardware_version, hw, sizeof hw) == -1) {
    h2k_warning ("%s: virtualHW.version \"%.16s\" is not a version number: "
                 "not recorded", path, vm->hardware_version);
    hw[0] = '\0';
  }
  if (h2k_json_set_string (jvm, "firmware", vm->firmware) == -1 ||
      (vm->secure_boot >= 0 &&
       h2k_json_set_bool (jvm, "secure_boot", vm->secure_boot) == -1) ||
      h2k_json_set_int (jvm, "cpus", vm->cpus) == -1 ||
      (vm->cores_per_socket &&
       h2k_json_set_int (jvm, "cores_per_socket", vm->cores_per_socket) == -1) ||
      h2k_json_set_int (jvm, "memory_mb", vm->memory_mb) == -1 ||
      (hw[0] && h2k_json_set_string (jvm, "hardware_version", hw) == -1) ||
      (vm->guest_os &&
       h2k_json_set_string (jvm, "guest_os_hint", vm->guest_os) == -1))
    return -1;
  return 0;
}

static int
set_nics (json_object *jvm, const struct vmx_vm *vm)
{
  json_object *nics = h2k_json_ensure_array (jvm, "nics");

  if (nics == NULL)
    return -1;
  for (size_t i = 0; i < vm->nnics; ++i) {
    const struct vmx_nic *n = &vm->nics[i];
    json_object *o = json_object_new_object ();

    if (o == NULL || json_object_array_add (nics, o) != 0) {
      json_object_put (o);
      h2k_error ("nics: %m");
      return -1;
    }
    if (h2k_json_set_string (o, "id", n->id) == -1 ||
        (n->mac[0] ? h2k_json_set_string (o, "mac", n->mac)
         : h2k_json_set_null (o, "mac")) == -1 ||
        (n->model[0] && h2k_json_set_string (o, "model", n->model) == -1) ||
        (n->network && h2k_json_set_string (o, "network", n->network) == -1) ||
        h2k_json_set_bool (o, "connected", n->connected) == -1)
      return -1;
  }
  return 0;
}

/* Resolve every disk's file against the VMX's directory and check that
 * it exists, before anything is probed or copied.  PATHS gets one
 * allocated string per disk.
 */
static int
resolve_disks (const char *path, const char *dir, const struct vmx_vm *vm,
               char **paths)
{
  for (size_t i = 0; i < vm->ndisks; ++i) {
    struct stat st;
    CLEANUP_FREE char *joined = h2k_path_join (dir, vm->disks[i].file);

    if (joined == NULL)
      return -1;
    paths[i] = h2k_absolute_path (joined);
    if (paths[i] == NULL)
      return -1;
    if (stat (paths[i], &st) == -1) {
      h2k_error ("%s: %s.fileName: %s: %m", path, vm->disks[i].address,
                 paths[i]);
      return -1;
    }
    if (!S_ISREG (st.st_mode)) {
      h2k_error ("%s: %s.fileName: %s: not a regular file", path,
                 vm->disks[i].address, paths[i]);
      return -1;
    }
    for (size_t j = 0; j < i; ++j)
      if (strcmp (paths[i], paths[j]) == 0) {
        h2k_error ("%s: %s.fileName: the same file as %s.fileName", path,
                   vm->disks[i].address, vm->disks[j].address);
        return -1;
      }
  }
  return 0;
}

static int
add_disks (json_object *m, const char *path, const struct vmx_vm *vm,
           const struct fetch_opts *o)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (path);
  CLEANUP_FREE char *dir = abs ? h2k_dirname (abs) : NULL;
  CLEANUP_FREE_STRV char **paths = calloc (vm->ndisks + 1, sizeof (char *));

  if (dir == NULL || paths == NULL) {
    if (paths == NULL)
      h2k_error ("%s: %m", path);
    return -1;
  }
  if (resolve_disks (path, dir, vm, paths) == -1)
    return -1;
  for (size_t i = 0; i < vm->ndisks; ++i) {
    const struct fetch_disk_attach at = {
      .bus = vm->disks[i].bus_name,
      .controller = vm->disks[i].controller_model,
      .address = vm->disks[i].address,
    };
    if (fetch_add_disk (m, paths[i], NULL, &at, o) == -1)
      return -1;
  }
  return 0;
}

static int
set_source (json_object *jvm, const char *path)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (path);
  json_object *src;
  char sha[65];

  if (abs == NULL || h2k_sha256_file (path, sha) == -1)
    return -1;
  src = h2k_json_ensure_object (jvm, "source");
  if (src == NULL ||
      h2k_json_set_string (src, "kind", "vmx") == -1 ||
      h2k_json_set_string (src, "path", abs) == -1 ||
      h2k_json_set_string (src, "sha256", sha) == -1)
    return -1;
  return 0;
}

int
fetch_vmx (const char *path, const struct fetch_opts *o, json_object *m)
{
  CLEANUP_VMX struct vmx *vmx = vmx_parse_file (path);
  CLEANUP_VM struct vmx_vm vm = { 0 };
  json_object *jvm = h2k_json_get_object (m, "vm");

  if (vmx == NULL || vmx_describe (vmx, path, &vm) == -1)
    return -1;
  h2k_debug ("%s: %zu keys, %zu disks, %zu NICs", path, vmx_count (vmx),
             vm.ndisks, vm.nnics);
  if (vm.memory_default)
    h2k_warning ("%s: no memsize, assuming VMware's default of 32 MiB", path);
  if (vm.ndisks == 0)
    h2k_warning ("%s: no hard disk found", path);
  if (jvm == NULL) {
    h2k_error ("%s: manifest has no vm object", path);
    return -1;
  }
  if ((o->name == NULL && vm.name &&
       h2k_json_set_string (jvm, "name", vm.name) == -1) ||
      set_source (jvm, path) == -1 ||
      set_vm_fields (jvm, &vm, path) == -1 ||
      set_nics (jvm, &vm) == -1)
    return -1;
  return add_disks (m, path, &vm, o);
}
