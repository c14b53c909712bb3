/* h2k: the common library's public headers, all of them (libh2k.a).
 * linuxcfg-priv.h is private to the linuxcfg-*.c parsers.
 */
#ifndef H2K_H
#define H2K_H

#include "accel.h"
#include "byteorder.h"
#include "change.h"
#include "cleanup.h"
#include "config.h"
#include "confine.h"
#include "digest.h"
#include "error.h"
#include "guest.h"
#include "linuxcfg.h"
#include "manifest-schema.h"
#include "manifest.h"
#include "publish.h"
#include "qemu-img.h"
#include "report.h"
#include "run.h"
#include "size.h"
#include "tool.h"
#include "util.h"
#include "version.h"
#include "vhd.h"
#include "vmdk.h"
#include "winreg.h"

#endif
