/* h2k-validate: what to boot, and how. */

#include <string.h>
#include <unistd.h>

#include "h2k.h"
#include "validate.h"

/* The choices are the configuration schema's (config-schema.c). */
int
validate_bus_ok (const char *bus)
{
  return h2k_config_is_choice ("validate", "bus", bus);
}

int
validate_check_opts (const struct validate_opts *o, const char **why)
{
  regex_t re;

  if (!validate_bus_ok (o->bus))
    *why = "--bus: expected virtio-blk, virtio-scsi or sata";
  else if (!h2k_config_is_choice ("validate", "machine", o->machine))
    *why = "--machine: expected q35 or pc";
  else if (!h2k_config_is_choice ("validate", "signal", o->signal))
    *why = "--signal: expected beacon or login";
  else if (o->memory_cap < 64 || o->memory_cap > 1024 * 1024)
    *why = "--memory: expected MiB between 64 and 1048576";
  else if (o->timeout < 0 || o->net_timeout < 0)
    *why = "--timeout/--net-timeout: expected a positive number of seconds";
  else if ((o->initrd || o->append) && o->kernel == NULL)
    *why = "--initrd and --append need --kernel";
  else if (regcomp (&re, o->expect, REG_EXTENDED | REG_NOSUB) != 0)
    *why = "--expect: not a valid extended regular expression";
  else {
    regfree (&re);
    return 0;
  }
  return -1;
}

/* The image of disk I to boot: the converted output, else the flattened
 * overlay, else the current image.
 */
int
plan_disk (json_object *disk, size_t i, const char *name, struct qemu_disk *d)
{
  static const char *const keys[] = { "output", "overlay", "current" };
  json_object *img = NULL;
  const char *key = NULL;

  for (size_t k = 0; k < 3 && img == NULL; ++k)
    if ((img = h2k_json_get_object (disk, keys[k])) != NULL)
      key = keys[k];
  d->id = h2k_json_get_string (disk, "id");
  d->path = h2k_json_get_string (img, "path");
  d->format = h2k_json_get_string (img, "format");
  if (d->path == NULL || d->format == NULL) {
    h2k_error ("%s: /disks/%zu: no image to boot (output, overlay or current)",
               name, i);
    return -1;
  }
  if (h2k_qemu_format (d->format) == NULL) {
    h2k_error ("%s: /disks/%zu/%s/format: \"%s\" is not a format qemu reads",
               name, i, key, d->format);
    return -1;
  }
  if (access (d->path, R_OK) == -1) {
    h2k_error ("%s: /disks/%zu/%s/path: %s: %m", name, i, key, d->path);
    return -1;
  }
  /* qemu follows the image's extents, backing and data files itself. */
  return h2k_confine_disk (disk, i, key);
}
