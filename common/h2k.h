/* h2k: the common library, all of it. */
#ifndef H2K_H
#define H2K_H

#include "accel.h"
#include "change.h"
#include "cleanup.h"
#include "config.h"
#include "confine.h"
#include "digest.h"
#include "error.h"
#include "guest.h"
#include "linuxcfg.h"
#include "manifest.h"
#include "publish.h"
#include "qemu-img.h"
#include "run.h"
#include "size.h"
#include "tool.h"
#include "util.h"
#include "winreg.h"

#endif
