/* h2k-fetch: the OVF parser (ovf_parse), which only reads the descriptor.
 *
 * The package around it (the referenced files, the .mf, decompression and
 * the manifest) is in ovf-package.c.
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "cleanup.h"
#include "error.h"
#include "fetch.h"
#include "ovf.h"
#include "util.h"

#define NS_OVF1  "http://schemas.dmtf.org/ovf/envelope/1"
#define NS_OVF2  "http://schemas.dmtf.org/ovf/envelope/2"
#define NS_OVF09 "http://www.vmware.com/schema/ovf/1/envelope"
#define NS_VMW   "http://www.vmware.com/schema/ovf"
#define NS_VBOX  "http://www.virtualbox.org/ovf/machine"
#define NS_XSI   "http://www.w3.org/2001/XMLSchema-instance"
#define NS_VSSD  "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"

/* CIM ResourceType values (DSP1041). */
enum {
  RT_CPU = 3, RT_MEMORY = 4, RT_IDE = 5, RT_SCSI = 6, RT_ETHERNET = 10,
  RT_DISK = 17, RT_OTHER_STORAGE = 20,
};

/* One hardware Item (or OVF 2.0 StorageItem / EthernetPortItem). */
struct item {
  xmlNode *node;
  long line;
  int type;
  char *subtype, *instance, *parent, *address, *aop, *host, *connection;
  char *quantity, *units, *automatic, *cores;
};

/* A disk controller, found by its InstanceID. */
struct controller {
  const char *instance;
  const char *bus;
  char model[32];
  unsigned index;               /* N in scsiN */
};

struct ctx {
  const char *name;
  xmlDoc *doc;
  xmlXPathContext *xp;
  const char *ns;               /* the envelope's namespace */
  char *config;                 /* default DeploymentOption, or NULL */
  struct item *items;
  size_t nitems;
  struct controller *ctrls;
  size_t nctrls;
};

static void
free_item (struct item *it)
{
  free (it->subtype); free (it->instance); free (it->parent);
  free (it->address); free (it->aop); free (it->host);
  free (it->connection); free (it->quantity); free (it->units);
  free (it->automatic); free (it->cores);
}

static void
ctx_free (struct ctx *c)
{
  for (size_t i = 0; i < c->nitems; ++i)
    free_item (&c->items[i]);
  free (c->items);
  free (c->ctrls);
  free (c->config);
  xmlXPathFreeContext (c->xp);
  xmlFreeDoc (c->doc);
}

void
ovf_free (struct ovf_vm *vm)
{
  if (vm == NULL)
    return;
  for (size_t i = 0; i < vm->ndisks; ++i) {
    struct ovf_disk *d = &vm->disks[i];
    free (d->href); free (d->file_id); free (d->disk_id);
    free (d->compression); free (d->format); free (d->bus);
    free (d->controller); free (d->address);
  }
  for (size_t i = 0; i < vm->nnics; ++i) {
    free (vm->nics[i].model); free (vm->nics[i].network);
    free (vm->nics[i].mac);
  }
  free (vm->disks);
  free (vm->nics);
  free (vm->ovf_version);
  free (vm->name);
  free (vm->hardware_version);
  free (vm->guest_os_hint);
  h2k_free_strv (vm->files);
  free (vm->file_sizes);
  free (vm);
}

H2K_DEFINE_CLEANUP (xmlXPathObject, xmlXPathFreeObject)
#define CLEANUP_XPATH H2K_CLEANUP (xmlXPathFreeObject)

/* ---- small helpers ---- */

static int
oom (const struct ctx *c)
{
  h2k_error ("%s: %m", c->name);
  return -1;
}

/* Keep a copy of the trimmed string S (which the caller frees) in *OUT,
 * checking its length.  FIELD and LINE are for the message.
 */
static int
take_text (const struct ctx *c, const char *s, const char *field, long line,
           char **out)
{
  CLEANUP_FREE char *copy = strdup (s);
  char *t;

  if (copy == NULL)
    return oom (c);
  t = h2k_trim (copy);
  if (strlen (t) > OVF_MAX_TEXT) {
    h2k_error ("%s: line %ld: %s: value longer than %d bytes", c->name, line,
               field, OVF_MAX_TEXT);
    return -1;
  }
  *out = strdup (t);
  if (*out == NULL)
    return oom (c);
  return 0;
}

/* Attribute NAME of N in namespace NS (or, for the envelope's attributes,
 * without a namespace, as some exporters write them).  *OUT is NULL when
 * absent.
 */
static int
get_attr (const struct ctx *c, xmlNode *n, const char *ns, const char *name,
          const char *field, char **out)
{
  xmlChar *v = xmlGetNsProp (n, BAD_CAST name, BAD_CAST ns);
  int r;

  *out = NULL;
  if (v == NULL && strcmp (ns, c->ns) == 0)
    v = xmlGetNoNsProp (n, BAD_CAST name);
  if (v == NULL)
    return 0;
  r = take_text (c, (const char *) v, field, xmlGetLineNo (n), out);
  xmlFree (v);
  return r;
}

static int
get_ovf_attr (const struct ctx *c, xmlNode *n, const char *name,
              const char *field, char **out)
{
  return get_attr (c, n, c->ns, name, field, out);
}

static int
get_content (const struct ctx *c, xmlNode *n, const char *field, char **out)
{
  xmlChar *v = xmlNodeGetContent (n);
  int r;

  *out = NULL;
  if (v == NULL)
    return 0;
  r = take_text (c, (const char *) v, field, xmlGetLineNo (n), out);
  xmlFree (v);
  return r;
}

static int
is_element (xmlNode *n, const char *local)
{
  return n->type == XML_ELEMENT_NODE &&
    strcmp ((const char *) n->name, local) == 0;
}

/* Evaluate the XPath EXPR (at NODE, or the document if NULL).  The result
 * is NULL only on error, reported.
 */
static xmlXPathObject *
xpath (const struct ctx *c, xmlNode *node, const char *expr)
{
  xmlXPathObject *r;

  r = node ? xmlXPathNodeEval (node, BAD_CAST expr, c->xp)
           : xmlXPathEvalExpression (BAD_CAST expr, c->xp);
  if (r == NULL || r->type != XPATH_NODESET) {
    xmlXPathFreeObject (r);
    h2k_error ("%s: XPath %s failed", c->name, expr);
    return NULL;
  }
  return r;
}

static size_t
nodeset_len (const xmlXPathObject *o)
{
  return o->nodesetval ? (size_t) o->nodesetval->nodeNr : 0;
}

static xmlNode *
nodeset_at (const xmlXPathObject *o, size_t i)
{
  return o->nodesetval->nodeTab[i];
}

/* Parse an unsigned decimal number (surrounding blanks allowed). */
static int
parse_u64 (const char *s, uint64_t *v)
{
  char *end;
  unsigned long long r;

  while (isspace ((unsigned char) *s))
    s++;
  if (!isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  r = strtoull (s, &end, 10);
  if (errno != 0)
    return -1;
  while (isspace ((unsigned char) *end))
    end++;
  if (*end != '\0')
    return -1;
  *v = r;
  return 0;
}

static int
mul_ok (uint64_t *v, uint64_t f)
{
  if (f != 0 && *v > UINT64_MAX / f)
    return -1;
  *v *= f;
  return 0;
}

/* The multiplier in bytes of a programmatic unit ("byte * 2^20",
 * "byte*1024*1024", "byte") or one of the names exporters use
 * ("MegaBytes", "GB", ...).  DEF is used when UNITS is NULL.
 */
static int
parse_units (const char *units, uint64_t def, uint64_t *mult)
{
  static const struct { const char *name; unsigned shift; } names[] = {
    { "bytes", 0 }, { "byte", 0 }, { "b", 0 },
    { "kilobytes", 10 }, { "kb", 10 }, { "kib", 10 },
    { "megabytes", 20 }, { "mb", 20 }, { "mib", 20 },
    { "gigabytes", 30 }, { "gb", 30 }, { "gib", 30 },
    { "terabytes", 40 }, { "tb", 40 }, { "tib", 40 },
  };
  char buf[64];
  size_t n = 0;
  char *p;
  uint64_t m = 1;

  if (units == NULL) {
    *mult = def;
    return 0;
  }
  /* Drop blanks; lowercase. */
  for (const char *s = units; *s; ++s) {
    if (isspace ((unsigned char) *s))
      continue;
    if (n + 1 >= sizeof buf)
      return -1;
    buf[n++] = tolower ((unsigned char) *s);
  }
  buf[n] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (strcmp (buf, names[i].name) == 0) {
      *mult = UINT64_C (1) << names[i].shift;
      return 0;
    }
  if (strncmp (buf, "byte", 4) != 0)
    return -1;
  p = buf + 4;
  if (*p == 's')
    p++;
  while (*p) {
    uint64_t base, exp = 1;
    char *end;

    if (*p++ != '*' || !isdigit ((unsigned char) *p))
      return -1;
    errno = 0;
    base = strtoull (p, &end, 10);
    if (errno || base == 0)
      return -1;
    p = end;
    if (*p == '^') {
      p++;
      if (!isdigit ((unsigned char) *p))
        return -1;
      exp = strtoull (p, &end, 10);
      if (errno || exp > 64)
        return -1;
      p = end;
    }
    for (uint64_t i = 0; i < exp; ++i)
      if (mul_ok (&m, base) == -1)
        return -1;
  }
  *mult = m;
  return 0;
}

/* QUANTITY * UNITS in bytes; FIELD names the quantity in messages. */
static int
quantity_bytes (const struct ctx *c, long line, const char *field,
                const char *quantity, const char *units_field,
                const char *units, uint64_t def, uint64_t *bytes)
{
  uint64_t q, m;

  if (parse_u64 (quantity, &q) == -1) {
    h2k_error ("%s: line %ld: %s: '%.64s' is not a number (or too large)",
               c->name, line, field, quantity);
    return -1;
  }
  if (parse_units (units, def, &m) == -1) {
    h2k_error ("%s: line %ld: %s: unknown unit '%.64s'", c->name, line,
               units_field, units);
    return -1;
  }
  if (mul_ok (&q, m) == -1 || q > INT64_MAX) {
    h2k_error ("%s: line %ld: %s: %.64s %.64s is too large", c->name, line,
               field, quantity, units ? units : "");
    return -1;
  }
  *bytes = q;
  return 0;
}

/* "aa:bb:cc:dd:ee:ff" from any of "AA:BB:..", "aa-bb-..", "AABBCC..". */
static char *
normalize_mac (const char *s)
{
  char hex[13];
  size_t n = 0;
  char *r;

  for (; *s; ++s) {
    if (*s == ':' || *s == '-')
      continue;
    if (!isxdigit ((unsigned char) *s) || n >= 12)
      return NULL;
    hex[n++] = tolower ((unsigned char) *s);
  }
  if (n != 12)
    return NULL;
  if (asprintf (&r, "%.2s:%.2s:%.2s:%.2s:%.2s:%.2s", hex, hex + 2, hex + 4,
                hex + 6, hex + 8, hex + 10) == -1)
    return NULL;
  return r;
}

static void
lowercase (char *s)
{
  for (; *s; ++s)
    *s = tolower ((unsigned char) *s);
}

/* ---- the document ---- */

int
ovf_safe_href (const char *href)
{
  const char *p = href;

  if (href[0] == '\0' || href[0] == '/' || strstr (href, "://") ||
      strlen (href) > OVF_MAX_TEXT)
    return 0;
  for (const char *s = href; *s; ++s)
    if ((unsigned char) *s < 0x20 || *s == 0x7f || *s == '\\')
      return 0;
  while (*p) {
    size_t n = strcspn (p, "/");
    if (n == 0 || (n == 2 && strncmp (p, "..", 2) == 0))
      return 0;
    p += n;
    if (*p == '/')
      p++;
  }
  return 1;
}

static int
is_ovf_ns (const xmlChar *href)
{
  return href && (strcmp ((const char *) href, NS_OVF1) == 0 ||
                  strcmp ((const char *) href, NS_OVF2) == 0 ||
                  strcmp ((const char *) href, NS_OVF09) == 0);
}

/* The OVF namespace of the Envelope: its own, or, for an unqualified
 * Envelope, the OVF namespace it declares.
 */
static xmlNs *
envelope_ns (xmlNode *root)
{
  if (root->ns)
    return is_ovf_ns (root->ns->href) ? root->ns : NULL;
  for (xmlNs *d = root->nsDef; d; d = d->next)
    if (is_ovf_ns (d->href))
      return d;
  return NULL;
}

/* Put the elements that have no namespace into NS (declared on the root,
 * so in scope everywhere).
 */
static void
adopt_unqualified (xmlNode *n, xmlNs *ns)
{
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE)
      continue;
    if (n->ns == NULL)
      xmlSetNs (n, ns);
    adopt_unqualified (n->children, ns);
  }
}

static long
line_of (const char *buf, size_t len, const char *at)
{
  long line = 1;

  for (const char *p = buf; p < at && p < buf + len; ++p)
    if (*p == '\n')
      line++;
  return line;
}

struct first_error {
  int line;
  char msg[256];
};

static void
first_xml_error (void *data, xmlErrorPtr e)
{
  xmlParserCtxt *pc = data;
  struct first_error *f = pc ? pc->_private : NULL;

  if (f && e && f->line == 0 && e->level >= XML_ERR_ERROR) {
    f->line = e->line > 0 ? e->line : 1;
    snprintf (f->msg, sizeof f->msg, "%s", e->message ? e->message : "");
  }
}

static int
read_document (struct ctx *c, const char *buf, size_t len)
{
  xmlParserCtxt *pc;
  const char *dt = memmem (buf, len, "<!DOCTYPE", 9);
  xmlNode *root;
  xmlNs *ns;
  struct first_error first = { 0 };

  if (dt) {
    h2k_error ("%s: line %ld: a DTD (<!DOCTYPE>) is not allowed in an OVF",
               c->name, line_of (buf, len, dt));
    return -1;
  }
  if (len > INT32_MAX || (pc = xmlNewParserCtxt ()) == NULL)
    return oom (c);
  /* Report the first error, where the document went wrong. */
  pc->_private = &first;
  pc->sax->serror = first_xml_error;
  c->doc = xmlCtxtReadMemory (pc, buf, (int) len, NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
                              XML_PARSE_BIG_LINES);
  if (c->doc == NULL || !pc->wellFormed) {
    const xmlError *e = xmlCtxtGetLastError (pc);

    if (first.line == 0 && e) {
      first.line = e->line;
      snprintf (first.msg, sizeof first.msg, "%s", e->message ? e->message : "");
    }
    h2k_error ("%s: line %d: XML error: %s", c->name, first.line,
               first.msg[0] ? h2k_trim (first.msg) : "parse failed");
    xmlFreeParserCtxt (pc);
    return -1;
  }
  xmlFreeParserCtxt (pc);
  if (c->doc->intSubset || c->doc->extSubset) {
    h2k_error ("%s: a DTD is not allowed in an OVF", c->name);
    return -1;
  }
  root = xmlDocGetRootElement (c->doc);
  ns = root && is_element (root, "Envelope") ? envelope_ns (root) : NULL;
  if (ns == NULL) {
    h2k_error ("%s: not an OVF descriptor (the root element is not an "
               "OVF 0.9, 1.x or 2.0 Envelope)", c->name);
    return -1;
  }
  /* Some early exporters leave OVF elements without a namespace. */
  adopt_unqualified (root, ns);
  c->ns = (const char *) ns->href;
  c->xp = xmlXPathNewContext (c->doc);
  if (c->xp == NULL ||
      xmlXPathRegisterNs (c->xp, BAD_CAST "ovf", BAD_CAST c->ns) != 0 ||
      xmlXPathRegisterNs (c->xp, BAD_CAST "vmw", BAD_CAST NS_VMW) != 0 ||
      xmlXPathRegisterNs (c->xp, BAD_CAST "vbox", BAD_CAST NS_VBOX) != 0 ||
      xmlXPathRegisterNs (c->xp, BAD_CAST "xsi", BAD_CAST NS_XSI) != 0 ||
      xmlXPathRegisterNs (c->xp, BAD_CAST "vssd", BAD_CAST NS_VSSD) != 0)
    return oom (c);
  return 0;
}

/* An XPath step matching the OVF section S, as 1.x/2.0 (ovf:S) and 0.9
 * (ovf:Section xsi:type="ovf:S_Type") name it.
 */
#define SECTION(s)                                                      \
  "ovf:" s " | ovf:Section[@xsi:type='" s "_Type' or "                  \
  "substring-after(@xsi:type, ':')='" s "_Type']"

/* The default DeploymentOption: ovf:default="true", else the first. */
static int
find_default_config (struct ctx *c)
{
  CLEANUP_XPATH xmlXPathObject *o =
    xpath (c, NULL, "/ovf:Envelope/ovf:DeploymentOptionSection/ovf:Configuration");

  if (o == NULL)
    return -1;
  for (size_t i = 0; i < nodeset_len (o); ++i) {
    CLEANUP_FREE char *def = NULL;
    CLEANUP_FREE char *id = NULL;

    if (get_ovf_attr (c, nodeset_at (o, i), "default", "Configuration/@ovf:default", &def) == -1 ||
        get_ovf_attr (c, nodeset_at (o, i), "id", "Configuration/@ovf:id", &id) == -1)
      return -1;
    if (id && (c->config == NULL || (def && strcasecmp (def, "true") == 0))) {
      free (c->config);
      c->config = id;
      id = NULL;
      if (def && strcasecmp (def, "true") == 0)
        break;
    }
  }
  return 0;
}

/* Does ITEM belong to the default configuration? */
static int
in_config (const struct ctx *c, xmlNode *item, int *yes)
{
  CLEANUP_FREE char *conf = NULL;
  char *tok, *save;

  *yes = 1;
  if (get_ovf_attr (c, item, "configuration", "Item/@ovf:configuration", &conf) == -1)
    return -1;
  if (conf == NULL || c->config == NULL)
    return 0;
  *yes = 0;
  for (tok = strtok_r (conf, " \t\n", &save); tok;
       tok = strtok_r (NULL, " \t\n", &save))
    if (strcmp (tok, c->config) == 0)
      *yes = 1;
  return 0;
}

static int
read_item (const struct ctx *c, xmlNode *n, struct item *it)
{
  static const struct { const char *local; size_t off; } props[] = {
    { "ResourceSubType", offsetof (struct item, subtype) },
    { "InstanceID", offsetof (struct item, instance) },
    { "Parent", offsetof (struct item, parent) },
    { "Address", offsetof (struct item, address) },
    { "AddressOnParent", offsetof (struct item, aop) },
    { "HostResource", offsetof (struct item, host) },
    { "Connection", offsetof (struct item, connection) },
    { "VirtualQuantity", offsetof (struct item, quantity) },
    { "AllocationUnits", offsetof (struct item, units) },
    { "AutomaticAllocation", offsetof (struct item, automatic) },
    { "CoresPerSocket", offsetof (struct item, cores) },
  };
  CLEANUP_FREE char *type = NULL;

  it->node = n;
  it->line = xmlGetLineNo (n);
  it->type = -1;
  for (xmlNode *p = n->children; p; p = p->next) {
    if (p->type != XML_ELEMENT_NODE)
      continue;
    if (strcmp ((const char *) p->name, "ResourceType") == 0) {
      if (type == NULL && get_content (c, p, "rasd:ResourceType", &type) == -1)
        return -1;
      continue;
    }
    for (size_t i = 0; i < sizeof props / sizeof props[0]; ++i) {
      char **field = (char **) ((char *) it + props[i].off);
      if (strcasecmp ((const char *) p->name, props[i].local) == 0 &&
          *field == NULL) {
        char what[64];
        snprintf (what, sizeof what, "rasd:%s", props[i].local);
        if (get_content (c, p, what, field) == -1)
          return -1;
      }
    }
  }
  if (type) {
    uint64_t t;
    if (parse_u64 (type, &t) == -1 || t > 65535) {
      h2k_error ("%s: line %ld: rasd:ResourceType: '%.64s' is not a "
                 "resource type", c->name, it->line, type);
      return -1;
    }
    it->type = (int) t;
  }
  return 0;
}

static int
read_items (struct ctx *c, xmlNode *hw)
{
  for (xmlNode *n = hw->children; n; n = n->next) {
    struct item *p;
    int yes;

    if (!is_element (n, "Item") && !is_element (n, "StorageItem") &&
        !is_element (n, "EthernetPortItem"))
      continue;
    if (in_config (c, n, &yes) == -1)
      return -1;
    if (!yes)
      continue;
    if (c->nitems >= OVF_MAX_ITEMS) {
      h2k_error ("%s: line %ld: more than %d hardware items", c->name,
                 xmlGetLineNo (n), OVF_MAX_ITEMS);
      return -1;
    }
    p = realloc (c->items, (c->nitems + 1) * sizeof *p);
    if (p == NULL)
      return oom (c);
    c->items = p;
    memset (&c->items[c->nitems], 0, sizeof *p);
    c->nitems++;
    if (read_item (c, n, &c->items[c->nitems - 1]) == -1)
      return -1;
  }
  return 0;
}

/* SUBTYPE is a blank- or comma-separated list (COT writes "virtio
 * lsilogic" for several hypervisors).  The value of the first entry of
 * TABLE (in TABLE's order of preference) that is in the list; else NULL.
 */
struct alias { const char *name, *value; };

static const char *
lookup_subtype (const char *subtype, const struct alias *table, size_t n)
{
  for (size_t i = 0; subtype && i < n; ++i) {
    CLEANUP_FREE char *copy = strdup (subtype);
    char *tok, *save;

    if (copy == NULL)
      return NULL;
    for (tok = strtok_r (copy, " ,\t\n", &save); tok;
         tok = strtok_r (NULL, " ,\t\n", &save))
      if (strcasecmp (tok, table[i].name) == 0)
        return table[i].value;
  }
  return NULL;
}

static const struct alias scsi_models[] = {
  { "VirtualSCSI", "pvscsi" }, { "lsilogic", "lsilogic" },
  { "lsilogicsas", "lsisas1068" }, { "buslogic", "buslogic" },
  { "virtio", "virtio-scsi" },
};

static const struct alias other_storage[] = {
  { "vmware.sata.ahci", "ahci" }, { "AHCI", "ahci" },
  { "vmware.nvme.controller", "nvme" }, { "NVMe", "nvme" },
};

static const struct alias ide_models[] = {
  { "PIIX3", "piix3" }, { "PIIX4", "piix4" }, { "ICH6", "ich6" },
};

static const struct alias nic_models[] = {
  { "VmxNet3", "vmxnet3" }, { "VmxNet2", "vmxnet2" }, { "VmxNet", "vmxnet" },
  { "E1000e", "e1000e" }, { "E1000", "e1000" }, { "PCNet32", "pcnet32" },
  { "virtio", "virtio" }, { "SriovEthernetCard", "sriov" },
  { "Flexible", "flexible" },
};

#define LOOKUP(s, t) lookup_subtype ((s), (t), sizeof (t) / sizeof (t)[0])

static int
add_controller (struct ctx *c, const struct item *it)
{
  struct controller *k, *p;
  const char *model = NULL;
  uint64_t addr;

  p = realloc (c->ctrls, (c->nctrls + 1) * sizeof *p);
  if (p == NULL)
    return oom (c);
  c->ctrls = p;
  k = &c->ctrls[c->nctrls];
  memset (k, 0, sizeof *k);
  k->instance = it->instance;
  switch (it->type) {
  case RT_IDE:
    k->bus = "ide";
    model = LOOKUP (it->subtype, ide_models);
    if (model == NULL)
      model = "ide";
    break;
  case RT_SCSI:
    k->bus = "scsi";
    model = LOOKUP (it->subtype, scsi_models);
    break;
  default:
    model = LOOKUP (it->subtype, other_storage);
    k->bus = model == NULL ? "unknown" : strcmp (model, "nvme") == 0 ? "nvme" : "sata";
  }
  if (model)
    snprintf (k->model, sizeof k->model, "%s", model);
  /* The bus number: rasd:Address if it is one, else the count of the
   * controllers of this bus before it.
   */
  if (it->address && parse_u64 (it->address, &addr) == 0 && addr < 64)
    k->index = (unsigned) addr;
  else {
    k->index = 0;
    for (size_t i = 0; i < c->nctrls; ++i)
      if (strcmp (c->ctrls[i].bus, k->bus) == 0)
        k->index++;
  }
  c->nctrls++;
  return 0;
}

static const struct controller *
find_controller (const struct ctx *c, const char *instance)
{
  for (size_t i = 0; instance && i < c->nctrls; ++i)
    if (c->ctrls[i].instance && strcmp (c->ctrls[i].instance, instance) == 0)
      return &c->ctrls[i];
  return NULL;
}

/* References/File: every file of the package. */
static xmlNode *
find_file (const struct ctx *c, const xmlXPathObject *files, const char *id)
{
  for (size_t i = 0; i < nodeset_len (files); ++i) {
    xmlNode *n = nodeset_at (files, i);
    CLEANUP_FREE char *fid = NULL;

    if (get_ovf_attr (c, n, "id", "File/@ovf:id", &fid) == 0 && fid &&
        strcmp (fid, id) == 0)
      return n;
  }
  return NULL;
}

static int
read_file_refs (const struct ctx *c, const xmlXPathObject *files,
                struct ovf_vm *vm)
{
  size_t n = nodeset_len (files);

  vm->files = calloc (n + 1, sizeof (char *));
  vm->file_sizes = calloc (n + 1, sizeof (int64_t));
  if (vm->files == NULL || vm->file_sizes == NULL)
    return oom (c);
  for (size_t i = 0; i < n; ++i) {
    xmlNode *f = nodeset_at (files, i);
    CLEANUP_FREE char *size = NULL;
    uint64_t bytes;
    char *href;

    if (get_ovf_attr (c, f, "href", "File/@ovf:href", &href) == -1)
      return -1;
    if (href == NULL) {
      h2k_error ("%s: line %ld: File/@ovf:href: missing", c->name,
                 xmlGetLineNo (f));
      return -1;
    }
    vm->files[i] = href;                /* freed with VM from here on */
    vm->file_sizes[i] = -1;
    if (get_ovf_attr (c, f, "size", "File/@ovf:size", &size) == -1)
      return -1;
    if (size && quantity_bytes (c, xmlGetLineNo (f), "File/@ovf:size", size,
                                NULL, NULL, 1, &bytes) == -1)
      return -1;
    if (size)
      vm->file_sizes[i] = (int64_t) bytes;
    if (!ovf_safe_href (href)) {
      h2k_error ("%s: line %ld: File/@ovf:href: '%.256s' is not a file "
                 "inside the package (absolute path, '..', URL or control "
                 "characters)", c->name, xmlGetLineNo (f), href);
      return -1;
    }
  }
  return 0;
}

/* Fill D's file part from the File element F. */
static int
read_file (const struct ctx *c, xmlNode *f, struct ovf_disk *d)
{
  CLEANUP_FREE char *chunk = NULL;
  long line = xmlGetLineNo (f);

  /* ovf:size: read_file_refs, for every File. */
  if (get_ovf_attr (c, f, "href", "File/@ovf:href", &d->href) == -1 ||
      get_ovf_attr (c, f, "compression", "File/@ovf:compression", &d->compression) == -1 ||
      get_ovf_attr (c, f, "chunkSize", "File/@ovf:chunkSize", &chunk) == -1)
    return -1;
  if (d->href == NULL) {
    h2k_error ("%s: line %ld: File/@ovf:href: missing", c->name, line);
    return -1;
  }
  if (d->compression && (strcmp (d->compression, "identity") == 0 ||
                         d->compression[0] == '\0')) {
    free (d->compression);
    d->compression = NULL;
  }
  if (d->compression && strcmp (d->compression, "gzip") != 0) {
    h2k_error ("%s: line %ld: File/@ovf:compression: '%.64s' is not "
               "supported (only gzip)", c->name, line, d->compression);
    return -1;
  }
  if (chunk) {
    h2k_error ("%s: line %ld: File/@ovf:chunkSize: files split in chunks "
               "are not supported", c->name, line);
    return -1;
  }
  return 0;
}

/* Fill D from the DiskSection's Disk with ovf:diskId ID. */
static int
read_disk (const struct ctx *c, const xmlXPathObject *disks,
           const xmlXPathObject *files, const char *id, long line,
           struct ovf_disk *d)
{
  xmlNode *disk = NULL, *file;
  CLEANUP_FREE char *ref = NULL;
  CLEANUP_FREE char *cap = NULL;
  CLEANUP_FREE char *units = NULL;
  CLEANUP_FREE char *parent = NULL;

  for (size_t i = 0; disk == NULL && i < nodeset_len (disks); ++i) {
    CLEANUP_FREE char *did = NULL;
    if (get_ovf_attr (c, nodeset_at (disks, i), "diskId", "Disk/@ovf:diskId", &did) == -1)
      return -1;
    if (did && strcmp (did, id) == 0)
      disk = nodeset_at (disks, i);
  }
  if (disk == NULL) {
    h2k_error ("%s: line %ld: rasd:HostResource: no Disk with ovf:diskId "
               "'%.128s' in the DiskSection", c->name, line, id);
    return -1;
  }
  line = xmlGetLineNo (disk);
  if (get_ovf_attr (c, disk, "fileRef", "Disk/@ovf:fileRef", &ref) == -1 ||
      get_ovf_attr (c, disk, "capacity", "Disk/@ovf:capacity", &cap) == -1 ||
      get_ovf_attr (c, disk, "capacityAllocationUnits",
                    "Disk/@ovf:capacityAllocationUnits", &units) == -1 ||
      get_ovf_attr (c, disk, "parentRef", "Disk/@ovf:parentRef", &parent) == -1 ||
      get_ovf_attr (c, disk, "format", "Disk/@ovf:format", &d->format) == -1)
    return -1;
  if ((d->disk_id = strdup (id)) == NULL)
    return oom (c);
  if (parent) {
    h2k_error ("%s: line %ld: Disk/@ovf:parentRef: disk '%.128s' is a delta "
               "of '%.128s': delta disks are not supported", c->name, line,
               id, parent);
    return -1;
  }
  /* "${prop}": the capacity is chosen at deployment; not known here. */
  if (cap && cap[0] != '$' &&
      quantity_bytes (c, line, "Disk/@ovf:capacity", cap,
                      "Disk/@ovf:capacityAllocationUnits", units, 1,
                      &d->capacity) == -1)
    return -1;
  if (ref == NULL || ref[0] == '\0')
    return 0;                   /* an empty disk: no file */
  file = find_file (c, files, ref);
  if (file == NULL) {
    h2k_error ("%s: line %ld: Disk/@ovf:fileRef: no File with ovf:id "
               "'%.128s' in References", c->name, line, ref);
    return -1;
  }
  d->file_id = ref;
  ref = NULL;
  return read_file (c, file, d);
}

/* "ovf:/disk/ID", "ovf://disk/ID", "/disk/ID" or ".../file/ID". */
static int
split_host_resource (const char *host, int *is_file, const char **id)
{
  const char *p = host;

  if (strncmp (p, "ovf:", 4) == 0)
    p += 4;
  while (*p == '/')
    p++;
  if (strncmp (p, "disk/", 5) == 0)
    *is_file = 0;
  else if (strncmp (p, "file/", 5) == 0)
    *is_file = 1;
  else
    return -1;
  *id = p + 5;
  return **id ? 0 : -1;
}

static int
add_disk (const struct ctx *c, const struct item *it,
          const xmlXPathObject *disks, const xmlXPathObject *files,
          struct ovf_vm *vm)
{
  const struct controller *k = find_controller (c, it->parent);
  struct ovf_disk *d, *p;
  const char *id = NULL;
  int is_file = 0;
  uint64_t aop;

  if (it->host && split_host_resource (it->host, &is_file, &id) == -1) {
    h2k_error ("%s: line %ld: rasd:HostResource: '%.128s' is not "
               "ovf:/disk/ID or ovf:/file/ID", c->name, it->line, it->host);
    return -1;
  }
  if (vm->ndisks >= OVF_MAX_DISKS) {
    h2k_error ("%s: line %ld: more than %d disks", c->name, it->line,
               OVF_MAX_DISKS);
    return -1;
  }
  p = realloc (vm->disks, (vm->ndisks + 1) * sizeof *p);
  if (p == NULL)
    return oom (c);
  vm->disks = p;
  d = &vm->disks[vm->ndisks++];
  memset (d, 0, sizeof *d);
  if (it->host == NULL)
    ;                           /* a new, empty disk */
  else if (is_file) {
    xmlNode *f = find_file (c, files, id);
    if (f == NULL) {
      h2k_error ("%s: line %ld: rasd:HostResource: no File with ovf:id "
                 "'%.128s' in References", c->name, it->line, id);
      return -1;
    }
    if ((d->file_id = strdup (id)) == NULL)
      return oom (c);
    if (read_file (c, f, d) == -1)
      return -1;
  }
  else if (read_disk (c, disks, files, id, it->line, d) == -1)
    return -1;
  for (size_t i = 0; d->file_id && i + 1 < vm->ndisks; ++i)
    if (vm->disks[i].file_id && strcmp (vm->disks[i].file_id, d->file_id) == 0) {
      h2k_error ("%s: line %ld: rasd:HostResource: file '%.128s' is attached "
                 "twice", c->name, it->line, d->file_id);
      return -1;
    }
  if ((d->bus = strdup (k ? k->bus : "unknown")) == NULL ||
      (k && k->model[0] && (d->controller = strdup (k->model)) == NULL))
    return oom (c);
  if (k && it->aop && parse_u64 (it->aop, &aop) == 0 && aop < 65536 &&
      strcmp (k->bus, "unknown") != 0 &&
      asprintf (&d->address, "%s%u:%u", k->bus, k->index, (unsigned) aop) == -1)
    return oom (c);
  return 0;
}

static int
add_nic (const struct ctx *c, const struct item *it, struct ovf_vm *vm)
{
  struct ovf_nic *n, *p;
  const char *model = LOOKUP (it->subtype, nic_models);

  if (vm->nnics >= OVF_MAX_NICS) {
    h2k_error ("%s: line %ld: more than %d network adapters", c->name,
               it->line, OVF_MAX_NICS);
    return -1;
  }
  p = realloc (vm->nics, (vm->nnics + 1) * sizeof *p);
  if (p == NULL)
    return oom (c);
  vm->nics = p;
  n = &vm->nics[vm->nnics++];
  memset (n, 0, sizeof *n);
  n->connected = it->automatic == NULL || strcasecmp (it->automatic, "false") != 0;
  if (model == NULL && it->subtype && it->subtype[0]) {
    /* Unknown: keep the first token, lowercased. */
    if ((n->model = strndup (it->subtype, strcspn (it->subtype, " ,\t"))) == NULL)
      return oom (c);
    lowercase (n->model);
  }
  else if (model && (n->model = strdup (model)) == NULL)
    return oom (c);
  if (it->connection && it->connection[0] &&
      (n->network = strdup (it->connection)) == NULL)
    return oom (c);
  if (it->address)
    n->mac = normalize_mac (it->address);
  return 0;
}

static int
read_cpu (const struct ctx *c, const struct item *it, struct ovf_vm *vm)
{
  uint64_t v;

  if (vm->cpus || it->quantity == NULL)
    return 0;
  if (parse_u64 (it->quantity, &v) == -1 || v < 1 || v > 4096) {
    h2k_error ("%s: line %ld: rasd:VirtualQuantity: '%.64s' CPUs: expected "
               "1 to 4096", c->name, it->line, it->quantity);
    return -1;
  }
  vm->cpus = (int) v;
  if (it->cores) {
    if (parse_u64 (it->cores, &v) == -1 || v < 1 || v > 4096) {
      h2k_error ("%s: line %ld: vmw:CoresPerSocket: '%.64s': expected 1 to "
                 "4096", c->name, it->line, it->cores);
      return -1;
    }
    vm->cores_per_socket = (int) v;
  }
  return 0;
}

static int
read_memory (const struct ctx *c, const struct item *it, struct ovf_vm *vm)
{
  uint64_t bytes, mb;

  if (vm->memory_mb || it->quantity == NULL)
    return 0;
  /* Without AllocationUnits, VMware and VirtualBox mean MB. */
  if (quantity_bytes (c, it->line, "rasd:VirtualQuantity (memory)",
                      it->quantity, "rasd:AllocationUnits", it->units,
                      UINT64_C (1) << 20, &bytes) == -1)
    return -1;
  mb = bytes / (1 << 20) + (bytes % (1 << 20) != 0);
  if (mb < 1 || mb > (UINT64_C (1) << 32)) {
    h2k_error ("%s: line %ld: rasd:VirtualQuantity: memory of %" PRIu64
               " MiB is out of range", c->name, it->line, mb);
    return -1;
  }
  vm->memory_mb = (int64_t) mb;
  return 0;
}

/* VirtualSystemType, which may list several ("vmx-07 vmx-08"): one
 * value (fetch_hw_version).
 */
static int
read_system_type (const struct ctx *c, xmlNode *n, struct ovf_vm *vm)
{
  CLEANUP_FREE char *list = NULL;
  char one[OVF_MAX_TEXT + 1];

  if (get_content (c, n, "vssd:VirtualSystemType", &list) == -1)
    return -1;
  if (list == NULL || fetch_hw_version (list, one, sizeof one) == -1)
    return 0;
  if ((vm->hardware_version = strdup (one)) == NULL)
    return oom (c);
  return 0;
}

static int
read_hardware (struct ctx *c, xmlNode *hw, struct ovf_vm *vm)
{
  CLEANUP_XPATH xmlXPathObject *disks =
    xpath (c, NULL, "/ovf:Envelope/*/ovf:Disk");
  CLEANUP_XPATH xmlXPathObject *files =
    xpath (c, NULL, "/ovf:Envelope/ovf:References/ovf:File");
  CLEANUP_XPATH xmlXPathObject *type =
    xpath (c, hw, "ovf:System/vssd:VirtualSystemType");

  if (disks == NULL || files == NULL || type == NULL ||
      read_file_refs (c, files, vm) == -1 || read_items (c, hw) == -1)
    return -1;
  if (nodeset_len (type) > 0 && read_system_type (c, nodeset_at (type, 0), vm) == -1)
    return -1;
  /* Controllers first: disks may come before their controller. */
  for (size_t i = 0; i < c->nitems; ++i) {
    const struct item *it = &c->items[i];
    if ((it->type == RT_IDE || it->type == RT_SCSI ||
         it->type == RT_OTHER_STORAGE) && add_controller (c, it) == -1)
      return -1;
  }
  for (size_t i = 0; i < c->nitems; ++i) {
    const struct item *it = &c->items[i];
    int r = 0;

    switch (it->type) {
    case RT_CPU: r = read_cpu (c, it, vm); break;
    case RT_MEMORY: r = read_memory (c, it, vm); break;
    case RT_ETHERNET: r = add_nic (c, it, vm); break;
    case RT_DISK: r = add_disk (c, it, disks, files, vm); break;
    }
    if (r == -1)
      return -1;
  }
  return 0;
}

/* vmw:Config and vmw:ExtraConfig at the VirtualHardwareSection level. */
static int
read_vmw_config (const struct ctx *c, xmlNode *hw, struct ovf_vm *vm)
{
  CLEANUP_XPATH xmlXPathObject *o = xpath (c, hw, "vmw:Config | vmw:ExtraConfig");

  if (o == NULL)
    return -1;
  for (size_t i = 0; i < nodeset_len (o); ++i) {
    xmlNode *n = nodeset_at (o, i);
    CLEANUP_FREE char *key = NULL;
    CLEANUP_FREE char *value = NULL;

    if (get_attr (c, n, NS_VMW, "key", "vmw:Config/@vmw:key", &key) == -1 ||
        get_attr (c, n, NS_VMW, "value", "vmw:Config/@vmw:value", &value) == -1)
      return -1;
    if (key == NULL || value == NULL)
      continue;
    if (strcmp (key, "firmware") == 0) {
      if (strcasecmp (value, "efi") == 0)
        vm->firmware = "uefi";
      else if (strcasecmp (value, "bios") == 0)
        vm->firmware = "bios";
    }
    else if (strcmp (key, "bootOptions.efiSecureBootEnabled") == 0 ||
             strcmp (key, "uefi.secureBoot.enabled") == 0)
      vm->secure_boot = strcasecmp (value, "true") == 0;
  }
  return 0;
}

/* VirtualBox's own description, vbox:Machine: firmware and MACs. */
static int
read_vbox_machine (const struct ctx *c, xmlNode *vs, struct ovf_vm *vm)
{
  CLEANUP_XPATH xmlXPathObject *fw = xpath (c, vs,
    "vbox:Machine//*[local-name()='Firmware'][@type]");
  CLEANUP_XPATH xmlXPathObject *nics = xpath (c, vs,
    "vbox:Machine/*[local-name()='Hardware']/*[local-name()='Network']"
    "/*[local-name()='Adapter'][@enabled='true']");
  size_t next = 0;

  if (fw == NULL || nics == NULL)
    return -1;
  if (nodeset_len (fw) > 0 && vm->firmware == NULL) {
    xmlChar *type = xmlGetNoNsProp (nodeset_at (fw, 0), BAD_CAST "type");
    if (type)
      vm->firmware = strncasecmp ((const char *) type, "EFI", 3) == 0 ? "uefi" :
                     strcasecmp ((const char *) type, "BIOS") == 0 ? "bios" : NULL;
    xmlFree (type);
  }
  /* The enabled adapters, in slot order, are the EthernetPortItems. */
  for (size_t i = 0; i < vm->nnics && next < nodeset_len (nics); ++i, ++next) {
    xmlChar *mac = xmlGetNoNsProp (nodeset_at (nics, next), BAD_CAST "MACAddress");
    if (mac && vm->nics[i].mac == NULL)
      vm->nics[i].mac = normalize_mac ((const char *) mac);
    xmlFree (mac);
  }
  return 0;
}

static int
read_os (const struct ctx *c, xmlNode *vs, struct ovf_vm *vm)
{
  CLEANUP_XPATH xmlXPathObject *os = xpath (c, vs, SECTION ("OperatingSystemSection"));
  CLEANUP_XPATH xmlXPathObject *vbox = NULL;
  CLEANUP_FREE char *id = NULL;
  xmlNode *n;

  if (os == NULL)
    return -1;
  if (nodeset_len (os) == 0)
    return 0;
  n = nodeset_at (os, 0);
  if (get_attr (c, n, NS_VMW, "osType", "OperatingSystemSection/@vmw:osType",
                &vm->guest_os_hint) == -1)
    return -1;
  if (vm->guest_os_hint)
    return 0;
  vbox = xpath (c, n, "vbox:OSType");
  if (vbox == NULL)
    return -1;
  if (nodeset_len (vbox) > 0)
    return get_content (c, nodeset_at (vbox, 0), "vbox:OSType", &vm->guest_os_hint);
  if (get_ovf_attr (c, n, "id", "OperatingSystemSection/@ovf:id", &id) == -1)
    return -1;
  if (id && asprintf (&vm->guest_os_hint, "ovf-os:%s", id) == -1)
    return oom (c);
  return 0;
}

static int
read_name (const struct ctx *c, xmlNode *vs, struct ovf_vm *vm)
{
  CLEANUP_XPATH xmlXPathObject *name = xpath (c, vs, "ovf:Name");

  if (name == NULL)
    return -1;
  if (nodeset_len (name) > 0 &&
      get_content (c, nodeset_at (name, 0), "Name", &vm->name) == -1)
    return -1;
  if ((vm->name == NULL || vm->name[0] == '\0')) {
    free (vm->name);
    if (get_ovf_attr (c, vs, "id", "VirtualSystem/@ovf:id", &vm->name) == -1)
      return -1;
  }
  if (vm->name && strlen (vm->name) > OVF_MAX_NAME) {
    h2k_error ("%s: line %ld: VirtualSystem name longer than %d bytes",
               c->name, xmlGetLineNo (vs), OVF_MAX_NAME);
    return -1;
  }
  if (vm->name && vm->name[0] == '\0') {
    free (vm->name);
    vm->name = NULL;
  }
  return 0;
}

static int
read_virtual_system (struct ctx *c, struct ovf_vm *vm)
{
  CLEANUP_XPATH xmlXPathObject *vss = xpath (c, NULL,
    "//ovf:VirtualSystem | //ovf:Content[@xsi:type='VirtualSystem_Type' or "
    "substring-after(@xsi:type, ':')='VirtualSystem_Type']");
  CLEANUP_XPATH xmlXPathObject *hw = NULL;
  xmlNode *vs;

  if (vss == NULL)
    return -1;
  if (nodeset_len (vss) != 1) {
    if (nodeset_len (vss) == 0)
      h2k_error ("%s: no VirtualSystem: nothing to fetch", c->name);
    else
      h2k_error ("%s: %zu VirtualSystems (a vApp): h2k-fetch takes one VM; "
                 "export each VM as its own OVF", c->name, nodeset_len (vss));
    return -1;
  }
  vs = nodeset_at (vss, 0);
  hw = xpath (c, vs, SECTION ("VirtualHardwareSection"));
  if (hw == NULL)
    return -1;
  if (nodeset_len (hw) == 0) {
    h2k_error ("%s: line %ld: VirtualSystem has no VirtualHardwareSection",
               c->name, xmlGetLineNo (vs));
    return -1;
  }
  if (read_name (c, vs, vm) == -1 || read_os (c, vs, vm) == -1 ||
      read_hardware (c, nodeset_at (hw, 0), vm) == -1 ||
      read_vmw_config (c, nodeset_at (hw, 0), vm) == -1 ||
      read_vbox_machine (c, vs, vm) == -1)
    return -1;
  return 0;
}

static int
set_version (const struct ctx *c, struct ovf_vm *vm)
{
  vm->ovf_version = strdup (strcmp (c->ns, NS_OVF09) == 0 ? "0.9" :
                           strcmp (c->ns, NS_OVF1) == 0 ? "1" : "2");
  return vm->ovf_version ? 0 : oom (c);
}

struct ovf_vm *
ovf_parse (const char *buf, size_t len, const char *name)
{
  H2K_CLEANUP (ovf_free) struct ovf_vm *vm = calloc (1, sizeof *vm);
  struct ctx c = { .name = name };
  struct ovf_vm *r = NULL;

  if (vm == NULL) {
    h2k_error ("%s: %m", name);
    return NULL;
  }
  vm->secure_boot = -1;
  if (read_document (&c, buf, len) == 0 && set_version (&c, vm) == 0 &&
      find_default_config (&c) == 0 && read_virtual_system (&c, vm) == 0) {
    r = vm;
    vm = NULL;
  }
  ctx_free (&c);
  return r;
}

struct ovf_vm *
ovf_parse_file (const char *path)
{
  size_t len;
  CLEANUP_FREE char *buf = h2k_read_file (path, OVF_MAX_FILE, &len);

  if (buf == NULL)
    return NULL;
  return ovf_parse (buf, len, path);
}
