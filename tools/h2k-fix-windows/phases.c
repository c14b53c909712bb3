/* h2k-fix-windows: windows_boot, the layout each boot phase needs: one
 * final phase on the virtio bus of --storage or, with the two-phase
 * strategy, first a phase from SATA with a small scratch disk on that
 * bus (so that Windows installs its driver) that ends powered off.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "fix-windows.h"

static json_object *
phase (int n, const char *name, const char *bus, const char *scratch_bus,
       const char *ends)
{
  json_object *p = json_object_new_object ();
  json_object *s = NULL;

  if (p == NULL || h2k_json_set_int (p, "phase", n) == -1 ||
      h2k_json_set_string (p, "name", name) == -1 ||
      h2k_json_set_string (p, "system_bus", bus) == -1 ||
      h2k_json_set_string (p, "nic", "virtio") == -1 ||
      (ends && h2k_json_set_string (p, "ends", ends) == -1))
    goto fail;
  if (scratch_bus) {
    s = h2k_json_ensure_object (p, "scratch_disk");
    if (s == NULL || h2k_json_set_string (s, "bus", scratch_bus) == -1 ||
        h2k_json_set_int (s, "size_mib", 64) == -1)
      goto fail;
  }
  return p;
 fail:
  json_object_put (p);
  return NULL;
}

int
record_boot (struct fw *f)
{
  const char *bus = strcmp (f->o->storage, "vioscsi") == 0 ? "virtio-scsi" : "virtio-blk";
  json_object *wb = json_object_new_object ();
  json_object *ph = json_object_new_array ();

  if (wb == NULL || ph == NULL || h2k_json_set (wb, "phases", ph) == -1) {
    json_object_put (ph);
    json_object_put (wb);
    return -1;
  }
  if (h2k_json_set (f->m, "windows_boot", wb) == -1 ||
      h2k_json_set_string (wb, "strategy", f->two_phase ? "two-phase" : "single") == -1 ||
      h2k_json_set_string (wb, "storage", f->o->storage) == -1)
    return -1;
  if (f->two_phase &&
      h2k_json_array_add (ph, phase (1, "install-drivers", "sata", bus, "poweroff")) == -1)
    return -1;
  return h2k_json_array_add (ph, phase (f->two_phase ? 2 : 1, "final", bus, NULL, NULL));
}
