/* h2k: ask qemu-img about images (read-only). */
#ifndef H2K_QEMU_IMG_H
#define H2K_QEMU_IMG_H

#include <json-c/json.h>

#include "run.h"

enum {
  H2K_INFO_CHAIN = 1,           /* --backing-chain: an array, top first */
};

/* The resource limits of every qemu-img info run (the image may be
 * crafted to exhaust the host, as in CVE-2015-5162): 1 GiB of address
 * space, 30 s of CPU time.  Tests lower them.
 */
extern struct h2k_run_limits h2k_probe_limits;

/* Run `qemu-img info --output=json [-f FORMAT] [--backing-chain] -U PATH`
 * under h2k_probe_limits and return its parsed JSON (an object, or an
 * array with H2K_INFO_CHAIN).  FORMAT NULL lets qemu-img probe.  Caller
 * owns the result; NULL reported ("PATH: qemu-img info: ...", or "PATH:
 * qemu-img info: the probe exceeded its CPU time limit (30 s)").
 */
json_object *h2k_qemu_img_info (const char *path, const char *format,
                                unsigned flags);

/* The qemu-img format name for one of ours ("vhd" is qemu's "vpc"), and
 * back.  Return NULL for an unknown name.
 */
const char *h2k_qemu_format (const char *h2k_format);
const char *h2k_format_from_qemu (const char *qemu_format);

#endif
