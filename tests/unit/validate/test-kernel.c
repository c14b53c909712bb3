/* h2k-validate: which grub.cfg entry boots by default. */

#include <string.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-validate/validate.h"

/* Debian's layout: one entry, then a submenu with two, then another. */
static const char grub_cfg[] =
  "set default=\"0\"\n"
  "menuentry 'Debian GNU/Linux' --class debian {\n"
  "  linux /boot/vmlinuz-6.1.0-50-amd64 root=UUID=1 ro quiet\n"
  "  initrd /boot/initrd.img-6.1.0-50-amd64\n"
  "}\n"
  "submenu 'Advanced options for Debian GNU/Linux' {\n"
  "  menuentry 'Debian GNU/Linux, with Linux 6.1.0-50-amd64' {\n"
  "    linux /boot/vmlinuz-6.1.0-50-amd64 root=UUID=1 ro quiet\n"
  "  }\n"
  "  menuentry 'Debian GNU/Linux, with Linux 6.1.0-40-amd64' {\n"
  "    linux /boot/vmlinuz-6.1.0-40-amd64 root=UUID=1 ro quiet\n"
  "  }\n"
  "}\n"
  "menuentry 'Other' {\n"
  "  linux /vmlinuz-other root=/dev/sda1\n"
  "  initrd /microcode.img /initrd-other\n"
  "}\n";

static const char *
pick (json_object *entries, const char *def)
{
  return h2k_json_get_string (kernel_pick_grub_entry (entries, def), "linux");
}

TEST (default_entry)
{
  CLEANUP_JSON json_object *doc = h2k_linuxcfg_grub_cfg (grub_cfg, strlen (grub_cfg), "grub.cfg");
  json_object *e = h2k_json_get_array (doc, "entries");

  CHECK (e != NULL);
  CHECK_INT ((int) json_object_array_length (e), 4);
  CHECK_STR (pick (e, "0"), "/boot/vmlinuz-6.1.0-50-amd64");
  CHECK_STR (pick (e, NULL), "/boot/vmlinuz-6.1.0-50-amd64");
  /* The submenu is item 1: its first entry. */
  CHECK_STR (pick (e, "1"), "/boot/vmlinuz-6.1.0-50-amd64");
  CHECK_STR (pick (e, "2"), "/vmlinuz-other");
  /* Out of range: the first. */
  CHECK_STR (pick (e, "7"), "/boot/vmlinuz-6.1.0-50-amd64");
  /* By title, and "submenu>title" as grub-reboot writes it. */
  CHECK_STR (pick (e, "Other"), "/vmlinuz-other");
  CHECK_STR (pick (e, "Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-40-amd64"),
             "/boot/vmlinuz-6.1.0-40-amd64");
  CHECK_STR (pick (e, "no such title"), "/boot/vmlinuz-6.1.0-50-amd64");
}

TEST (no_entries)
{
  CLEANUP_JSON json_object *e = json_object_new_array ();

  CHECK (kernel_pick_grub_entry (e, "0") == NULL);
}

int
main (void)
{
  RUN (default_entry);
  RUN (no_entries);
  return test_done ();
}
