/* Unit tests: shell-variable files (ifcfg, /etc/default/grub, os-release). */

#include <json-c/json.h>

#include "linuxcfg-test.h"

static const char *
var (json_object *d, const char *key)
{
  return lct_s (lct_get (lct_get (d, "vars"), key));
}

static int
line_of (json_object *d, const char *key)
{
  return json_object_get_int (lct_get (lct_get (d, "lines"), key));
}

TEST (quoting)
{
  json_object *d = PARSE (h2k_linuxcfg_shellvars,
    "# comment\n"
    "A=plain\n"
    "B='single $X \"q\" \\n'\n"
    "C=\"double \\\"q\\\" \\$HOME \\\\ \\x\"\n"
    "D=a\"b c\"'d e'f\n"
    "export E=exported\n"
    "  F=\"indented\"   # trailing comment\n"
    "G=\n"
    "H=$'tab\\there\\x41\\101'\n"
    "I=unquoted\\ space\n"
    "J=\"${OTHER}/x\"\n"
    "K=`uname -r`\n"
    "L=\"$(sed 's, release .*$,,g' /etc/system-release)\"\n"
    "A=again\n"
    "M=x#notacomment\n"
    "N=\"a;b\"\n");

  CHECK (d != NULL);
  CHECK_STR (var (d, "A"), "again");
  CHECK_INT (line_of (d, "A"), 14);
  CHECK_STR (var (d, "B"), "single $X \"q\" \\n");
  CHECK_STR (var (d, "C"), "double \"q\" $HOME \\ \\x");
  CHECK_STR (var (d, "D"), "ab cd ef");
  CHECK_STR (var (d, "E"), "exported");
  CHECK_STR (var (d, "F"), "indented");
  CHECK_INT (line_of (d, "F"), 7);
  CHECK_STR (var (d, "G"), "");
  CHECK_STR (var (d, "H"), "tab\thereAA");
  CHECK_STR (var (d, "I"), "unquoted space");
  CHECK_STR (var (d, "J"), "${OTHER}/x");
  CHECK_STR (var (d, "K"), "`uname -r`");
  CHECK_STR (var (d, "L"), "$(sed 's, release .*$,,g' /etc/system-release)");
  CHECK_STR (var (d, "M"), "x#notacomment");
  CHECK_STR (var (d, "N"), "a;b");
  CHECK_INT (lct_len (lct_get (d, "dynamic")), 3);
  CHECK_STR (lct_s (lct_idx (lct_get (d, "dynamic"), 0)), "J");
  CHECK_INT (lct_len (lct_get (d, "ignored")), 0);
  json_object_put (d);
}

TEST (append)
{
  json_object *d = PARSE (h2k_linuxcfg_shellvars,
    "# /etc/dracut.conf.d/xen.conf\n"
    "add_drivers+=\" xen-netfront xen-blkfront \"\n"
    "add_drivers+=\" virtio_blk \"\n"
    "new+=x\n");

  CHECK_STR (var (d, "add_drivers"),
             " xen-netfront xen-blkfront  virtio_blk ");
  CHECK_INT (line_of (d, "add_drivers"), 3);
  CHECK_STR (var (d, "new"), "x");
  json_object_put (d);
}

TEST (ignored)
{
  json_object *d = PARSE (h2k_linuxcfg_shellvars,
    "if [ -f /x ]; then\n"
    "A=1 B=2\n"
    "C='open\n"
    "D=\"open\n"
    "E=ok; rm -rf /\n"
    "9X=bad\n"
    "F=fine\n");
  json_object *ign = lct_get (d, "ignored");

  CHECK (d != NULL);
  CHECK_INT (lct_len (ign), 6);
  CHECK_INT (json_object_get_int (lct_get (lct_idx (ign, 0), "line")), 1);
  CHECK_STR (lct_s (lct_get (lct_idx (ign, 0), "reason")), "not an assignment");
  CHECK_STR (lct_s (lct_get (lct_idx (ign, 1), "reason")),
             "not a single assignment (more words or commands follow)");
  CHECK_STR (lct_s (lct_get (lct_idx (ign, 2), "reason")),
             "unterminated single quote");
  CHECK_STR (lct_s (lct_get (lct_idx (ign, 3), "text")), "D=\"open");
  CHECK_STR (lct_s (lct_get (lct_idx (ign, 3), "reason")),
             "unterminated double quote");
  CHECK_STR (lct_s (lct_get (lct_idx (ign, 4), "text")), "E=ok; rm -rf /");
  CHECK_STR (var (d, "F"), "fine");
  CHECK (var (d, "E") == NULL);
  CHECK (var (d, "A") == NULL);
  json_object_put (d);
}

static void
corpus_fn (const char *rel, const char *base, void *opaque)
{
  if (lct_ends (base, ".xml") || strcmp (base, "README") == 0)
    return;
  if (lct_has (rel, "/rhel-ifcfg/") || lct_has (rel, "/suse-wicked/") ||
      lct_has (rel, "/grub-default/") || strncmp (base, "ifcfg-", 6) == 0 ||
      strcmp (base, "grub") == 0 || strcmp (base, "os-release") == 0 ||
      strcmp (base, "kernel") == 0 || strcmp (base, "network") == 0 ||
      lct_has (rel, "/sysconfig/") || lct_has (rel, "/default/grub") ||
      (lct_has (rel, "/grub.d/") && lct_ends (base, ".cfg")) ||
      (lct_has (rel, "/dracut.conf.d/") && lct_ends (base, ".conf")))
    json_object_put (lct_try (h2k_linuxcfg_shellvars, rel, opaque));
}

TEST (corpus)
{
  struct lct_stats st = { 0 };

  lct_walk (corpus_fn, &st);
  printf ("# shellvars corpus: %d parsed, %d refused\n", st.parsed, st.refused);
  CHECK (st.parsed >= 150);
  CHECK_INT (st.refused, 0);
  CHECK_INT (st.bad_messages, 0);
}

static json_object *
corpus_file (const char *rel)
{
  return lct_parse (h2k_linuxcfg_shellvars, rel);
}

TEST (corpus_values)
{
  json_object *d;

  d = corpus_file ("linux-guest-config/rhel-ifcfg/network-scripts/"
                   "ifcfg-test-wired-static");
  CHECK_STR (var (d, "HWADDR"), "00:11:22:33:44:ee");
  CHECK_STR (var (d, "IPADDR"), "192.168.1.5");
  CHECK_STR (var (d, "IPV6ADDR_SECONDARIES"), "dead:beaf::2/56");
  CHECK_INT (line_of (d, "GATEWAY"), 14);
  CHECK_INT (json_object_object_length (lct_get (d, "vars")), 21);
  json_object_put (d);

  d = corpus_file ("linux-guest-config/rhel-ifcfg/network-scripts/"
                   "ifcfg-test-vlan-trailing-spaces");
  CHECK_STR (var (d, "DEVICE"), "vlan201");
  CHECK_STR (var (d, "BOOTPROTO"), "none");
  CHECK_STR (var (d, "PHYSDEV"), "enccw0.0.fb00");
  json_object_put (d);

  d = corpus_file ("linux-guest-config/rhel-ifcfg/network-scripts/"
                   "ifcfg-test-variables-corner-cases-1");
  CHECK_STR (var (d, "HWADDR"), "00:16:41:11:22:33");
  CHECK (var (d, "NAME") == NULL);
  CHECK_INT (json_object_get_int (lct_get (lct_idx (lct_get (d, "ignored"), 1),
                                           "line")), 8);
  json_object_put (d);

  d = corpus_file ("linux-guest-config/suse-wicked/suse/host1/ifcfg-eth0");
  CHECK_STR (var (d, "BOOTPROTO"), "static");
  CHECK_STR (var (d, "NAME"), "82566DM-2 Gigabit Network Connection");
  CHECK_STR (var (d, "IPADDR_0"), "192.168.178.8/24");
  CHECK_STR (var (d, "MTU"), "");
  json_object_put (d);

  d = corpus_file ("linux-guest-config/grub-default/debian-package-default-grub");
  CHECK_STR (var (d, "GRUB_CMDLINE_LINUX_DEFAULT"), "quiet splash");
  CHECK_STR (var (d, "GRUB_CMDLINE_LINUX"), "");
  CHECK_STR (var (d, "GRUB_DISTRIBUTOR"),
             "`lsb_release -i -s 2> /dev/null || echo Debian`");
  CHECK_STR (var (d, "GRUB_RECORDFAIL_TIMEOUT"), "${GRUB_TIMEOUT}");
  CHECK (var (d, "GRUB_BADRAM") == NULL);
  json_object_put (d);

  d = corpus_file ("linux-guest-config/grub-default/fedora-guru25-default-grub");
  CHECK_STR (var (d, "GRUB_CMDLINE_LINUX"),
             "rhgb quiet radeon.cik_support=0 amdgpu.cik_support=1 "
             "ipv6.disable=1 lockdown=confidentiality");
  CHECK_STR (var (d, "GRUB_ENABLE_BLSCFG"), "false");
  CHECK_STR (lct_s (lct_idx (lct_get (d, "dynamic"), 0)), "GRUB_DISTRIBUTOR");
  json_object_put (d);
}

/* NetworkManager's .cexpected files are what NM writes: check that what
 * we read matches, where the quoting is meaningful.
 */
TEST (corpus_cexpected)
{
  json_object *d = corpus_file ("linux-guest-config/rhel-ifcfg/network-scripts/"
                                "ifcfg-Test_User_1.cexpected");

  CHECK_STR (var (d, "NAME"), "Test User 1");
  CHECK_STR (var (d, "NM_USER__M_Y__8_075_V"), "val=MY.8=V");
  CHECK_STR (var (d, "NM_USER_MY__VAL1"), "");
  CHECK_STR (var (d, "UUID"), "${UUID}");
  json_object_put (d);
}

TEST (fuzz)
{
  lct_fuzz (h2k_linuxcfg_shellvars,
            "A='x'\nB=\"y $(z \"q\") `w`\"\nexport C=$'\\x41\\101'\n"
            "D=${E}\\ f\n", 4, 4000);
  CHECK (1);
}

int
main (void)
{
  RUN (quoting);
  RUN (append);
  RUN (ignored);
  RUN_CORPUS (corpus);
  RUN_CORPUS (corpus_values);
  RUN_CORPUS (corpus_cexpected);
  RUN (fuzz);
  return test_done ();
}
