/* h2k-convert: shared by libvirt.c and libvirt-xml.c (not part of
 * libvirt.h's interface).
 */
#ifndef H2K_CONVERT_LIBVIRT_PRIV_H
#define H2K_CONVERT_LIBVIRT_PRIV_H

#include <stddef.h>

#include <json-c/json.h>

#include "libvirt.h"

/* The domain's memory when the manifest has no /vm/memory_mb. */
#define LIBVIRT_DEFAULT_MEMORY_MB 1024

/* The document; without WITH_DISKS the disks are left out (for
 * libvirt_check, before they exist).  As libvirt_build_xml otherwise.
 */
int libvirt_build_doc (json_object *m, const struct libvirt_opts *o,
                       const struct libvirt_firmware *fw, const char *name,
                       int with_disks, char **xml, size_t *len);

#endif
