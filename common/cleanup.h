/* h2k: cleanup attributes.
 *
 *   CLEANUP_FREE char *s = NULL;          free (s)
 *   CLEANUP_FREE_STRV char **v = NULL;    free each string, then v
 *   CLEANUP_FCLOSE FILE *fp = NULL;       fclose (fp)
 *   CLEANUP_CLOSE int fd = -1;            close (fd)
 *   CLEANUP_JSON json_object *o = NULL;   json_object_put (o)
 *   CLEANUP_UNLINK_FREE char *p = NULL;   unlink (p), then free (p)
 *   CLEANUP_ARCHIVE struct archive *a = NULL;   archive_read_free (a)
 *
 * A tool's own types get theirs from two macros, so that no file writes
 * its own cleanup function: the type's header defines it beside the free
 * function (which must accept NULL), the code uses it.
 *
 *   H2K_DEFINE_CLEANUP (struct mf, mf_free)       in mf.h
 *   H2K_CLEANUP (mf_free) struct mf *mf = NULL;   mf_free (mf)
 *
 *   H2K_DEFINE_CLEANUP_STRUCT (struct vm, vm_clear)     for a struct
 *   H2K_CLEANUP (vm_clear) struct vm vm = { 0 };       held by value:
 *                                                        vm_clear (&vm)
 *
 * Every cleanup function accepts NULL (or -1).  To keep a value, set the
 * variable to NULL (or -1) after handing it over.
 */
#ifndef H2K_CLEANUP_H
#define H2K_CLEANUP_H

#include <stdio.h>

void h2k_cleanup_free (void *ptr);
void h2k_cleanup_free_strv (void *ptr);
void h2k_cleanup_fclose (void *ptr);
void h2k_cleanup_close (void *ptr);
void h2k_cleanup_json (void *ptr);
void h2k_cleanup_unlink_free (void *ptr);
void h2k_cleanup_archive (void *ptr);

#define CLEANUP_FREE        __attribute__((cleanup (h2k_cleanup_free)))
#define CLEANUP_FREE_STRV   __attribute__((cleanup (h2k_cleanup_free_strv)))
#define CLEANUP_FCLOSE      __attribute__((cleanup (h2k_cleanup_fclose)))
#define CLEANUP_CLOSE       __attribute__((cleanup (h2k_cleanup_close)))
#define CLEANUP_JSON        __attribute__((cleanup (h2k_cleanup_json)))
#define CLEANUP_UNLINK_FREE __attribute__((cleanup (h2k_cleanup_unlink_free)))
#define CLEANUP_ARCHIVE     __attribute__((cleanup (h2k_cleanup_archive)))

#define H2K_DEFINE_CLEANUP(type, fn)                                      \
  static inline void fn##_cleanup (type **p) { fn (*p); }
#define H2K_DEFINE_CLEANUP_STRUCT(type, fn)                               \
  static inline void fn##_cleanup (type *p) { fn (p); }
#define H2K_CLEANUP(fn) __attribute__((cleanup (fn##_cleanup)))

/* Free a NULL-terminated vector of strings (NULL is fine). */
void h2k_free_strv (char **v);

#endif
