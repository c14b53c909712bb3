/* h2k-fix-linux: a UEFI guest gets the fallback loader.
 *
 * The source booted from an NVRAM entry pointing at the distro's loader
 * (EFI/debian/grubx64.efi); that entry does not come along, and OVMF's
 * fresh NVRAM only knows the removable-media path EFI/BOOT/BOOTX64.EFI.
 * So the distro's loader is copied there: shim when the guest boots
 * through shim (then grubx64.efi and mmx64.efi go beside it, where shim
 * looks for them), else grub itself together with its grub.cfg.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2k.h"
#include "fix-linux.h"

static int
add_copy (json_object *copies, const char *dir, const char *name, const char *to)
{
  CLEANUP_FREE char *from = NULL;
  json_object *c;

  if (asprintf (&from, "%s/%s", dir, name) == -1)
    return -1;
  c = json_object_new_object ();
  if (h2k_json_array_add (copies, c) == -1 ||
      h2k_json_set_string (c, "from", from) == -1 ||
      h2k_json_set_string (c, "to", to) == -1)
    return -1;
  return 0;
}

/* The directory of the distro's loader on the ESP, e.g. /boot/efi/EFI/debian. */
static char *
loader_dir (struct fix *f, const char **loader)
{
  static const char *const names[] = { "shimx64.efi", "grubx64.efi", NULL };

  for (size_t i = 0; names[i]; ++i) {
    CLEANUP_FREE char *pattern = NULL;
    CLEANUP_FREE_STRV char **found = NULL;

    if (asprintf (&pattern, "/boot/efi/EFI/*/%s", names[i]) == -1)
      return NULL;
    found = h2k_guest_glob (f->fx.g, pattern);
    for (size_t j = 0; found && found[j]; ++j) {
      if (strcasestr (found[j], "/EFI/BOOT/"))
        continue;
      *loader = names[i];
      return h2k_dirname (found[j]);
    }
  }
  return NULL;
}

int
plan_efi (struct fix *f)
{
  const char *kind = h2k_json_get_string (h2k_json_get_object (f->guest, "firmware"), "kind");
  const char *loader = NULL;
  CLEANUP_FREE char *dir = NULL, *cfg = NULL;
  json_object *d, *copies;

  if (kind == NULL || (strcmp (kind, "uefi") && strcmp (kind, "both")))
    return 0;
  if (h2k_guest_is_file (f->fx.g, "/boot/efi/EFI/BOOT/BOOTX64.EFI") ||
      h2k_guest_is_file (f->fx.g, "/boot/efi/EFI/boot/bootx64.efi"))
    return 0;
  dir = loader_dir (f, &loader);
  if (dir == NULL) {
    h2k_error ("/boot/efi: no EFI loader found to make the fallback loader from");
    return -1;
  }
  d = json_object_new_object ();
  copies = json_object_new_array ();
  if (d == NULL || copies == NULL || h2k_json_set (d, "copies", copies) == -1 ||
      add_copy (copies, dir, loader, "/boot/efi/EFI/BOOT/BOOTX64.EFI") == -1)
    goto fail;
  if (strcmp (loader, "shimx64.efi") == 0) {
    CLEANUP_FREE char *grub = NULL;
    if (asprintf (&grub, "%s/grubx64.efi", dir) == -1)
      goto fail;
    /* shim loads grubx64.efi from its own directory. */
    if (!h2k_guest_is_file (f->fx.g, grub)) {
      json_object_put (d);
      h2k_error ("%s: the guest boots through shim but has no grubx64.efi "
                 "beside it", dir);
      return -1;
    }
    if (add_copy (copies, dir, "grubx64.efi", "/boot/efi/EFI/BOOT/grubx64.efi") == -1)
      goto fail;
    CLEANUP_FREE char *mm = NULL;
    if (asprintf (&mm, "%s/mmx64.efi", dir) == -1)
      goto fail;
    if (h2k_guest_is_file (f->fx.g, mm) &&
        add_copy (copies, dir, "mmx64.efi", "/boot/efi/EFI/BOOT/mmx64.efi") == -1)
      goto fail;
  }
  if (asprintf (&cfg, "%s/grub.cfg", dir) == -1)
    goto fail;
  if (h2k_guest_is_file (f->fx.g, cfg) &&
      add_copy (copies, dir, "grub.cfg", "/boot/efi/EFI/BOOT/grub.cfg") == -1)
    goto fail;
  return h2k_fixer_plan (&f->fx, "copy-file", "/boot/efi/EFI/BOOT/BOOTX64.EFI", d,
                         "no fallback loader: copy %s/%s to EFI/BOOT/BOOTX64.EFI, "
                         "the path OVMF boots without an NVRAM entry", dir, loader) ? 0 : -1;
 fail:
  json_object_put (d);
  h2k_error ("out of memory");
  return -1;
}
