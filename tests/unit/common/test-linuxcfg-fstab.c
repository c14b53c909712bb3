/* Unit tests: fstab and crypttab parsers, block device spec classes. */

#include <json-c/json.h>

#include "linuxcfg-test.h"

TEST (fstab_basic)
{
  json_object *a = PARSE (h2k_linuxcfg_fstab,
    "# comment\n"
    "\n"
    "UUID=\"d3a8-f7\"  /  ext4  errors=remount-ro 0 1\n"
    "  /dev/sda2\tnone swap sw\n"
    "LABEL=my\\040disk /mnt/my\\040dir xfs defaults,nofail\n"
    "tmpfs /tmp tmpfs\n"
    "server:/export /mnt/nfs nfs rw 0 0\r\n"
    "/dev/sdb1 /data ext4 defaults 0 2 # data disk\n"
    "/dev/sdc1 /srv #no type\n");
  json_object *e;

  CHECK (a != NULL);
  CHECK_INT (lct_len (a), 7);
  e = lct_idx (a, 0);
  CHECK_INT (json_object_get_int (lct_get (e, "line")), 3);
  CHECK_STR (lct_s (lct_get (e, "spec")), "UUID=\"d3a8-f7\"");
  CHECK_STR (lct_s (lct_get (e, "spec_kind")), "uuid");
  CHECK_STR (lct_s (lct_get (e, "spec_value")), "d3a8-f7");
  CHECK_STR (lct_s (lct_get (e, "file")), "/");
  CHECK_STR (lct_s (lct_get (e, "vfstype")), "ext4");
  CHECK_STR (lct_s (lct_get (e, "options")), "errors=remount-ro");
  CHECK_INT (json_object_get_int (lct_get (e, "passno")), 1);
  e = lct_idx (a, 1);
  CHECK_INT (json_object_get_int (lct_get (e, "line")), 4);
  CHECK_STR (lct_s (lct_get (e, "spec_kind")), "device");
  CHECK_STR (lct_s (lct_get (e, "device_type")), "sd");
  CHECK_INT (json_object_get_int (lct_get (e, "freq")), 0);
  e = lct_idx (a, 2);
  CHECK_STR (lct_s (lct_get (e, "spec")), "LABEL=my disk");
  CHECK_STR (lct_s (lct_get (e, "spec_value")), "my disk");
  CHECK_STR (lct_s (lct_get (e, "file")), "/mnt/my dir");
  e = lct_idx (a, 3);
  CHECK_STR (lct_s (lct_get (e, "options")), "defaults");
  CHECK_STR (lct_s (lct_get (e, "spec_kind")), "other");
  CHECK (lct_get (e, "spec_value") == NULL);
  e = lct_idx (a, 4);
  CHECK_STR (lct_s (lct_get (e, "options")), "rw");
  CHECK_STR (lct_s (lct_get (e, "spec_kind")), "other");
  e = lct_idx (a, 5);
  CHECK_INT (json_object_get_int (lct_get (e, "passno")), 2);
  e = lct_idx (a, 6);
  CHECK_STR (lct_s (lct_get (e, "file")), "/srv");
  CHECK_STR (lct_s (lct_get (e, "vfstype")), "auto");
  json_object_put (a);
}

TEST (classify)
{
  static const struct { const char *spec, *kind, *value, *dtype; } t[] = {
    { "/dev/sda1", "device", NULL, "sd" },
    { "/dev/hda3", "device", NULL, "hd" },
    { "/dev/vdb", "device", NULL, "vd" },
    { "/dev/xvda1", "device", NULL, "xvd" },
    { "/dev/nvme0n1p2", "device", NULL, "nvme" },
    { "/dev/mapper/vg-root", "device", NULL, "mapper" },
    { "/dev/vg0/lv_home", "device", NULL, "lvm" },
    { "/dev/md0", "device", NULL, "md" },
    { "/dev/cdrom", "device", NULL, "other" },
    { "UUID=abc", "uuid", "abc", NULL },
    { "uuid='abc'", "uuid", "abc", NULL },
    { "PARTUUID=1234-01", "partuuid", "1234-01", NULL },
    { "LABEL=\"root fs\"", "label", "root fs", NULL },
    { "PARTLABEL=EFI", "partlabel", "EFI", NULL },
    { "/dev/disk/by-uuid/1-2", "by-uuid", "1-2", NULL },
    { "/dev/disk/by-id/ata-X_123-part1", "by-id", "ata-X_123-part1", NULL },
    { "/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:0:0", "by-path",
      "pci-0000:00:10.0-scsi-0:0:0:0", NULL },
    { "/dev/disk/by-label/x", "by-label", "x", NULL },
    { "/dev/disk/by-partuuid/y", "by-partuuid", "y", NULL },
    { "none", "other", NULL, NULL },
    { "//srv/share", "other", NULL, NULL },
  };
  size_t i;

  for (i = 0; i < sizeof t / sizeof t[0]; ++i) {
    char *value = NULL;
    const char *dtype = NULL;
    const char *kind = h2k_linuxcfg_classify_spec (t[i].spec, &value, &dtype);

    CHECK_STR (kind, t[i].kind);
    if (t[i].value)
      CHECK_STR (value, t[i].value);
    else
      CHECK (value == NULL);
    if (t[i].dtype)
      CHECK_STR (dtype, t[i].dtype);
    else
      CHECK (dtype == NULL);
    free (value);
  }
}

TEST (fstab_errors)
{
  json_object *a;

  lct_quiet ();
  a = PARSE (h2k_linuxcfg_fstab, "/dev/sda1 / ext4 defaults 0 1\nbug\n");
  CHECK (a == NULL);
  CHECK_STR (h2k_first_error (), "test: line 2: expected 2 to 6 fields, found 1");
  h2k_clear_error ();
  a = PARSE (h2k_linuxcfg_fstab, "a b c d e f g\n");
  CHECK_STR (h2k_first_error (), "test: line 1: expected 2 to 6 fields, found more");
  h2k_clear_error ();
  a = PARSE (h2k_linuxcfg_fstab, "\n\n/dev/sda1 / ext4 defaults x 1\n");
  CHECK_STR (h2k_first_error (), "test: line 3: freq field 'x' is not a number");
  h2k_clear_error ();
  a = h2k_linuxcfg_fstab ("a b\0c d\n", 8, "nul");
  CHECK (a == NULL);
  CHECK_STR (h2k_first_error (), "nul: line 1: NUL byte: not a text file");
  h2k_clear_error ();
  {
    size_t big = LINUXCFG_MAX_FILE + 1;
    char *t = malloc (big);
    memset (t, '#', big);
    a = h2k_linuxcfg_fstab (t, big, "big");
    CHECK (a == NULL);
    CHECK (lct_has (h2k_first_error (), "big: file too large"));
    h2k_clear_error ();
    memset (t, 'x', LINUXCFG_MAX_LINE + 1);
    a = h2k_linuxcfg_fstab (t, LINUXCFG_MAX_LINE + 1, "long");
    CHECK (a == NULL);
    CHECK (lct_has (h2k_first_error (), "long: line 1: line too long"));
    h2k_clear_error ();
    /* 10001 entries: over the limit. */
    {
      size_t i, off = 0;
      for (i = 0; i <= LINUXCFG_MAX_ENTRIES; ++i) {
        memcpy (t + off, "a /b\n", 5);
        off += 5;
      }
      a = h2k_linuxcfg_fstab (t, off, "many");
      CHECK (a == NULL);
      CHECK (lct_has (h2k_first_error (), "many: line 10001: too many entries"));
      h2k_clear_error ();
    }
    free (t);
  }
  lct_loud ();
}

TEST (crypttab_basic)
{
  json_object *a = PARSE (h2k_linuxcfg_crypttab,
    "# <target name> <source device> <key file> <options>\n"
    "sda5_crypt UUID=2f3c-11 none luks,discard\n"
    "swap /dev/sdb2 /dev/urandom swap,cipher=aes-xts-plain64\n"
    "home /dev/disk/by-id/ata-DISK-part3\n");
  json_object *e;

  CHECK_INT (lct_len (a), 3);
  e = lct_idx (a, 0);
  CHECK_INT (json_object_get_int (lct_get (e, "line")), 2);
  CHECK_STR (lct_s (lct_get (e, "target")), "sda5_crypt");
  CHECK_STR (lct_s (lct_get (e, "source")), "UUID=2f3c-11");
  CHECK_STR (lct_s (lct_get (e, "spec_kind")), "uuid");
  CHECK_STR (lct_s (lct_get (e, "spec_value")), "2f3c-11");
  CHECK_STR (lct_s (lct_get (e, "keyfile")), "none");
  CHECK_STR (lct_s (lct_get (e, "options")), "luks,discard");
  e = lct_idx (a, 1);
  CHECK_STR (lct_s (lct_get (e, "device_type")), "sd");
  e = lct_idx (a, 2);
  CHECK_STR (lct_s (lct_get (e, "spec_kind")), "by-id");
  CHECK (lct_get (e, "keyfile") == NULL);
  json_object_put (a);

  lct_quiet ();
  a = PARSE (h2k_linuxcfg_crypttab, "a b c d e\n");
  CHECK (a == NULL);
  CHECK_STR (h2k_first_error (), "test: line 1: expected 2 to 4 fields, found more");
  lct_loud ();
  h2k_clear_error ();
}

/* Every fstab-like file of the corpus parses (or is refused on a line). */
static void
corpus_fn (const char *rel, const char *base, void *opaque)
{
  struct lct_stats *st = opaque;
  json_object *r = NULL;

  if (lct_has (rel, "/expected/"))
    return;
  if (lct_has (base, "crypttab"))
    r = lct_try (h2k_linuxcfg_crypttab, rel, st);
  else if (strncmp (base, "fstab", 5) == 0 || lct_has (base, ".fstab") ||
           lct_ends (base, "fstab") ||
           strcmp (base, "mtab") == 0)
    r = lct_try (h2k_linuxcfg_fstab, rel, st);
  json_object_put (r);
}

TEST (corpus)
{
  struct lct_stats st = { 0 };

  lct_walk (corpus_fn, &st);
  printf ("# fstab corpus: %d parsed, %d refused\n", st.parsed, st.refused);
  CHECK (st.parsed >= 6);
  CHECK_INT (st.refused, 1);           /* fstab.broken */
  CHECK_INT (st.bad_messages, 0);
}

TEST (corpus_util_linux_fstab)
{
  size_t len;
  char *text;
  json_object *a, *e;

  text = lct_read ("linux-guest-config/fstab/util-linux/fstab", &len);
  a = h2k_linuxcfg_fstab (text, len, "fstab");
  CHECK_INT (lct_len (a), 11);
  e = lct_idx (a, 0);
  CHECK_STR (lct_s (lct_get (e, "spec_value")), "d3a8f783-df75-4dc8-9163-975a891052c0");
  CHECK_INT (json_object_get_int (lct_get (e, "freq")), 1);
  e = lct_idx (a, 7);                  /* /dev/mapper/foo, line 9 */
  CHECK_INT (json_object_get_int (lct_get (e, "line")), 9);
  CHECK_STR (lct_s (lct_get (e, "device_type")), "mapper");
  CHECK_STR (lct_s (lct_get (e, "file")), "/home/foo");
  e = lct_idx (a, 8);                  /* nfs, 4 fields */
  CHECK_STR (lct_s (lct_get (e, "spec")), "foo.com:/mnt/share");
  CHECK_STR (lct_s (lct_get (e, "options")), "noauto");
  CHECK_INT (json_object_get_int (lct_get (e, "passno")), 0);
  e = lct_idx (a, 10);
  CHECK_STR (lct_s (lct_get (e, "file")), "/any/foo/");
  CHECK_STR (lct_s (lct_get (e, "vfstype")), "auto");
  json_object_put (a);
  free (text);

  text = lct_read ("linux-guest-config/fstab/util-linux/fstab.broken", &len);
  lct_quiet ();
  a = h2k_linuxcfg_fstab (text, len, "fstab.broken");
  lct_loud ();
  CHECK (a == NULL);
  CHECK_STR (h2k_first_error (),
             "fstab.broken: line 1: expected 2 to 6 fields, found 1");
  h2k_clear_error ();
  free (text);
}

/* Compare with util-linux's own expected parse of the same file. */
TEST (corpus_util_linux_oracle)
{
  size_t len, elen;
  char *text, *exp, *line, *save = NULL;
  json_object *a;
  int n = -1, checked = 0;

  text = lct_read ("linux-guest-config/fstab/util-linux/fstab", &len);
  exp = lct_read ("linux-guest-config/fstab/util-linux/expected/"
                  "tabfiles-parse-fstab", &elen);
  a = h2k_linuxcfg_fstab (text, len, "fstab");
  for (line = strtok_r (exp, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save)) {
    static const struct { const char *prefix, *key; } map[] = {
      { "source: ", "spec" }, { "target: ", "file" },
      { "fstype: ", "vfstype" }, { "optstr: ", "options" },
    };
    size_t k;

    if (strncmp (line, "------ fs:", 10) == 0) {
      n++;
      continue;
    }
    for (k = 0; k < 4; ++k)
      if (strncmp (line, map[k].prefix, strlen (map[k].prefix)) == 0) {
        CHECK_STR (lct_s (lct_get (lct_idx (a, n), map[k].key)),
                   line + strlen (map[k].prefix));
        checked++;
      }
  }
  CHECK_INT (n + 1, lct_len (a));
  CHECK_INT (checked, 44);
  json_object_put (a);
  free (text);
  free (exp);
}

TEST (fuzz)
{
  lct_fuzz (h2k_linuxcfg_fstab,
            "UUID=\"x y\" / ext4 defaults 0 1\n/dev/sda\\0402 none swap sw\n",
            1, 3000);
  lct_fuzz (h2k_linuxcfg_crypttab, "a UUID=1 none luks\n", 2, 1000);
  CHECK (1);
}

int
main (void)
{
  RUN (fstab_basic);
  RUN (classify);
  RUN (fstab_errors);
  RUN (crypttab_basic);
  RUN_CORPUS (corpus);
  RUN_CORPUS (corpus_util_linux_fstab);
  RUN_CORPUS (corpus_util_linux_oracle);
  RUN (fuzz);
  return test_done ();
}
