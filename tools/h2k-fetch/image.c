/* h2k-fetch: what a file is, by its content; a single disk image as
 * the source.
 *
 * We never let qemu-img guess: it would take any file it does not
 * recognise for a raw image.  A raw image needs --format raw.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "h2k.h"
#include "fetch.h"

#define SNIFF_LEN 4096

static int
starts_with (const char *buf, size_t len, const char *magic, size_t n)
{
  return len >= n && memcmp (buf, magic, n) == 0;
}

/* Does BUF (NUL-terminated text) look like a VMX: its first line that is
 * neither blank nor a comment is "key = ...", and a key that every VMX
 * has is there?
 */
static int
looks_like_vmx (const char *buf)
{
  const char *p = buf;

  for (;;) {
    p += strspn (p, " \t\r\n");
    if (*p != '#')
      break;
    p = strchr (p, '\n');
    if (p == NULL)
      return 0;
  }
  size_t k = strcspn (p, " \t=\r\n\"");
  if (k == 0)
    return 0;
  p += k;
  p += strspn (p, " \t");
  if (*p != '=')
    return 0;
  return strcasestr (buf, "config.version") != NULL ||
    strcasestr (buf, "virtualhw.version") != NULL ||
    strcasestr (buf, "displayname") != NULL;
}

static int
looks_like_ovf (const char *buf, size_t len)
{
  const char *p = buf;

  if (len >= 3 && memcmp (p, "\xef\xbb\xbf", 3) == 0)
    p += 3;
  p += strspn (p, " \t\r\n");
  return *p == '<' && strstr (p, "Envelope") != NULL;
}

static const char *
sniff_buffer (const char *buf, size_t len)
{
  const unsigned char *u = (const unsigned char *) buf;

  if (starts_with (buf, len, "KDMV", 4) || starts_with (buf, len, "COWD", 4) ||
      starts_with (buf, len, "# Disk DescriptorFile", 21))
    return "vmdk";
  if (starts_with (buf, len, "vhdxfile", 8))
    return "vhdx";
  if (starts_with (buf, len, "QFI\xfb", 4) && len >= 8 &&
      (h2k_be32 (u + 4) == 2 || h2k_be32 (u + 4) == 3))
    return "qcow2";
  if (len >= 68 && h2k_le32 (u + 64) == 0xbeda107f)
    return "vdi";
  if (starts_with (buf, len, "conectix", 8))
    return "vhd";
  if (len >= 262 && memcmp (buf + 257, "ustar", 5) == 0)
    return "ova";
  if (strlen (buf) == len) {            /* text */
    if (looks_like_ovf (buf, len))
      return "ovf";
    if (looks_like_vmx (buf))
      return "vmx";
  }
  return NULL;
}

int
fetch_sniff (const char *path, const char **kind)
{
  CLEANUP_CLOSE int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  char buf[SNIFF_LEN + 1];
  char footer[512];
  struct stat st;
  ssize_t n;

  *kind = NULL;
  if (fd == -1 || fstat (fd, &st) == -1) {
    h2k_error ("%s: %m", path);
    return -1;
  }
  n = pread (fd, buf, SNIFF_LEN, 0);
  if (n == -1) {
    h2k_error ("%s: read: %m", path);
    return -1;
  }
  buf[n] = '\0';
  *kind = sniff_buffer (buf, (size_t) n);
  /* A fixed VHD has only a footer, in the last 512 (or, made by old
   * Virtual PC versions, 511) bytes.
   */
  if (*kind == NULL && st.st_size >= 512 + 511) {
    n = pread (fd, footer, sizeof footer, st.st_size - 512);
    if (n == (ssize_t) sizeof footer &&
        (memcmp (footer, "conectix", 8) == 0 ||
         memcmp (footer + 1, "conectix", 8) == 0))
      *kind = "vhd";
  }
  h2k_debug ("%s: content looks like %s", path, *kind ? *kind : "nothing known");
  return 0;
}

int
fetch_image (const char *path, const struct fetch_opts *o, json_object *m)
{
  CLEANUP_FREE char *abs = h2k_absolute_path (path);
  json_object *vm = h2k_json_get_object (m, "vm");
  json_object *src;
  const char *fmt = o->format;

  if (abs == NULL)
    return -1;
  if (fmt == NULL && fetch_sniff (abs, &fmt) == -1)
    return -1;
  if (fmt == NULL || h2k_qemu_format (fmt) == NULL) {
    h2k_error ("%s: not a recognised disk image (VMDK, VHD, VHDX, qcow2, VDI); "
               "for a raw image use --format raw", path);
    return -1;
  }
  if (vm == NULL || (src = h2k_json_ensure_object (vm, "source")) == NULL ||
      h2k_json_set_string (src, "kind", fmt) == -1 ||
      h2k_json_set_string (src, "path", abs) == -1)
    return -1;
  return fetch_add_disk (m, abs, fmt, NULL, o);
}
