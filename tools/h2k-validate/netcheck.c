/* h2k-validate: the network proof.
 *
 * Every NIC of the VM is attached to a socket we own, so every frame the
 * guest sends reaches us and ours reach it.  For each static IPv4 address
 * the inspection found for a NIC (tied to it by a MAC pin), we ask "who
 * has ADDRESS?" from a made-up MAC and address in the same subnet, and
 * require the answer from the NIC's own MAC; then we ping it.  A NIC
 * configured for DHCP proves itself by sending a DHCPDISCOVER (or a
 * DHCPREQUEST) with its MAC.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2k.h"
#include "frame.h"
#include "validate.h"

#define ECHO_ID 0x6832          /* "h2" */
#define ECHO_TRIES 3

static int
add_warning (struct net_plan *plan, const char *fs, ...)
  __attribute__((format (printf, 2, 3)));

static int
add_warning (struct net_plan *plan, const char *fs, ...)
{
  CLEANUP_FREE char *s = NULL;
  va_list ap;
  int r;

  va_start (ap, fs);
  r = vasprintf (&s, fs, ap);
  va_end (ap);
  if (r == -1) {
    h2k_error ("%m");
    return -1;
  }
  return h2k_json_array_add_string (plan->warnings, s);
}

static int
read_nics (json_object *m, const char *name, struct net_plan *plan)
{
  json_object *nics = h2k_json_get_array (h2k_json_get_object (m, "vm"), "nics");
  size_t n = nics ? json_object_array_length (nics) : 0;

  plan->nics = calloc (n ? n : 1, sizeof *plan->nics);
  if (plan->nics == NULL) {
    h2k_error ("%m");
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    json_object *jn = json_object_array_get_idx (nics, i);
    struct net_nic *nic = &plan->nics[i];
    const char *mac = h2k_json_get_string (jn, "mac");

    nic->fd = -1;
    snprintf (nic->id, sizeof nic->id, "%s", h2k_json_get_string (jn, "id"));
    if (mac == NULL) {
      /* The source generated one at power-on: make one up. */
      const uint8_t gen[6] = { 0x52, 0x54, 0x00, 0x68, 0x6b, (uint8_t) i };
      memcpy (nic->mac, gen, 6);
      nic->mac_generated = 1;
    }
    else if (frame_parse_mac (mac, nic->mac) == -1 || (nic->mac[0] & 1)) {
      h2k_error ("%s: /vm/nics/%zu/mac: \"%.64s\" is not a unicast MAC address",
                 name, i, mac);
      return -1;
    }
    frame_format_mac (nic->mac, nic->mac_text);
    {
      const uint8_t probe[6] = { 0x02, 0x68, 0x32, 0x6b, 0x00, (uint8_t) i };
      memcpy (nic->probe_mac, probe, 6);
    }
    if ((nic->configs = json_object_new_array ()) == NULL) {
      h2k_error ("%m");
      return -1;
    }
    plan->n_nics++;
  }
  return 0;
}

static struct net_nic *
nic_by_mac (struct net_plan *plan, const uint8_t mac[6])
{
  for (size_t i = 0; i < plan->n_nics; ++i)
    if (memcmp (plan->nics[i].mac, mac, 6) == 0)
      return &plan->nics[i];
  return NULL;
}

static int
add_addr (struct net_nic *nic, const char *text, uint32_t addr, int prefix,
          int pinned)
{
  struct net_addr *a;

  for (size_t i = 0; i < nic->n_addrs; ++i)
    if (nic->addrs[i].addr == addr)
      return 0;
  if (nic->n_addrs >= NET_MAX_ADDRS)
    return 0;
  a = &nic->addrs[nic->n_addrs++];
  memset (a, 0, sizeof *a);
  snprintf (a->text, sizeof a->text, "%s", text);
  a->addr = addr;
  a->prefix = prefix;
  a->pinned = pinned;
  return 0;
}

static int
add_config (json_object *configs, const char *ifname, const char *method,
            int pinned)
{
  json_object *c = json_object_new_object ();

  if (h2k_json_array_add (configs, c) == -1)
    return -1;
  if ((ifname && h2k_json_set_string (c, "name", ifname) == -1) ||
      (method && h2k_json_set_string (c, "method", method) == -1) ||
      h2k_json_set_bool (c, "pinned", pinned) == -1)
    return -1;
  return 0;
}

static int
note (json_object *arr, const char *key, const char *value, const char *ifname)
{
  json_object *o = json_object_new_object ();

  if (h2k_json_array_add (arr, o) == -1)
    return -1;
  if (h2k_json_set_string (o, key, value) == -1 ||
      (ifname && h2k_json_set_string (o, "interface", ifname) == -1))
    return -1;
  return 0;
}

/* One address of interface IFNAME: to NIC, or to every NIC if NULL. */
static int
plan_address (struct net_plan *plan, struct net_nic *nic, const char *ifname,
              const char *text)
{
  uint32_t addr;
  int prefix, r = frame_parse_cidr (text, &addr, &prefix);

  if (r != 0)
    return note (plan->not_checked, "address", text, ifname);
  if (nic)
    return add_addr (nic, text, addr, prefix, 1);
  if (note (plan->unpinned, "address", text, ifname) == -1)
    return -1;
  for (size_t i = 0; i < plan->n_nics; ++i)
    if (add_addr (&plan->nics[i], text, addr, prefix, 0) == -1)
      return -1;
  return 0;
}

static int
plan_interface (struct net_plan *plan, json_object *jif)
{
  const char *ifname = h2k_json_get_string (jif, "name");
  const char *pin = h2k_json_get_string (jif, "mac_pin");
  const char *method = h2k_json_get_string (jif, "method");
  json_object *addrs = h2k_json_get_array (jif, "addresses");
  struct net_nic *nic = NULL;
  uint8_t mac[6];
  const char *label = ifname ? ifname : "(unnamed)";

  if (pin && frame_parse_mac (pin, mac) == 0) {
    nic = nic_by_mac (plan, mac);
    if (nic == NULL)
      return add_warning (plan, "interface %s is pinned to MAC %s, which no "
                          "NIC of the VM has: not checked", label, pin);
    if (add_config (nic->configs, ifname, method, 1) == -1)
      return -1;
  }
  else {
    if (addrs && json_object_array_length (addrs) > 0 && plan->n_nics > 0 &&
        add_warning (plan, "interface %s is not tied to a NIC by a MAC pin: "
                     "its addresses are tried on every NIC", label) == -1)
      return -1;
    for (size_t i = 0; i < plan->n_nics; ++i)
      if (add_config (plan->nics[i].configs, ifname, method, 0) == -1)
        return -1;
  }
  for (size_t i = 0; addrs && i < json_object_array_length (addrs); ++i) {
    const char *a = json_object_get_string (json_object_array_get_idx (addrs, i));
    if (a && plan_address (plan, nic, ifname, a) == -1)
      return -1;
  }
  if (method && strcmp (method, "dhcp") == 0) {
    if (nic)
      nic->dhcp_expected = 1;
    else if (plan->n_nics > 0) {
      plan->dhcp_any = 1;
      if (note (plan->unpinned, "method", "dhcp", ifname) == -1)
        return -1;
    }
  }
  return 0;
}

/* Our probe address for each address: unused by any address we expect. */
static void
choose_senders (struct net_plan *plan)
{
  uint32_t avoid[256];
  size_t n = 0;

  for (size_t i = 0; i < plan->n_nics; ++i)
    for (size_t j = 0; j < plan->nics[i].n_addrs && n < 256; ++j)
      avoid[n++] = plan->nics[i].addrs[j].addr;
  for (size_t i = 0; i < plan->n_nics; ++i)
    for (size_t j = 0; j < plan->nics[i].n_addrs; ++j) {
      struct net_addr *a = &plan->nics[i].addrs[j];
      a->sender = frame_probe_sender (a->addr, a->prefix, avoid, n);
    }
}

int
net_plan_build (json_object *m, const char *name, struct net_plan *plan)
{
  json_object *net = h2k_json_get_object (h2k_json_get_object (m, "guest"),
                                          "network");
  json_object *ifaces = h2k_json_get_array (net, "interfaces");

  memset (plan, 0, sizeof *plan);
  plan->unpinned = json_object_new_array ();
  plan->not_checked = json_object_new_array ();
  plan->warnings = json_object_new_array ();
  if (!plan->unpinned || !plan->not_checked || !plan->warnings) {
    h2k_error ("%m");
    return -1;
  }
  if (read_nics (m, name, plan) == -1)
    return -1;
  for (size_t i = 0; ifaces && i < json_object_array_length (ifaces); ++i) {
    json_object *jif = json_object_array_get_idx (ifaces, i);
    if (json_object_is_type (jif, json_type_object) &&
        plan_interface (plan, jif) == -1)
      return -1;
  }
  choose_senders (plan);
  return 0;
}

void
net_plan_free (struct net_plan *plan)
{
  for (size_t i = 0; plan->nics && i < plan->n_nics; ++i)
    json_object_put (plan->nics[i].configs);
  free (plan->nics);
  json_object_put (plan->unpinned);
  json_object_put (plan->not_checked);
  json_object_put (plan->warnings);
  memset (plan, 0, sizeof *plan);
}

size_t
net_handle_frame (struct net_nic *nic, const uint8_t *buf, size_t len,
                  uint8_t *out)
{
  struct frame_info fi;
  int from_nic;

  if (frame_parse (buf, len, &fi) == -1)
    return 0;
  nic->frames++;
  from_nic = memcmp (fi.src, nic->mac, 6) == 0;
  nic->frames_from_mac += from_nic;
  switch (fi.kind) {
  case FRAME_ARP_REQUEST:
  case FRAME_ARP_REPLY:
    if (!from_nic || memcmp (fi.sha, nic->mac, 6) != 0)
      return 0;
    /* The NIC's MAC speaking for an address proves it is configured
     * there, whether it answers us or asks for someone.
     */
    for (size_t i = 0; i < nic->n_addrs; ++i)
      if (fi.sip == nic->addrs[i].addr)
        nic->addrs[i].answered = 1;
    if (fi.kind == FRAME_ARP_REQUEST)
      for (size_t i = 0; i < nic->n_addrs; ++i)
        if (nic->addrs[i].sender && fi.tip == nic->addrs[i].sender)
          return frame_arp_reply (out, nic->probe_mac, fi.tip, fi.sha, fi.sip);
    return 0;
  case FRAME_ICMP_ECHO_REPLY:
    if (!from_nic || fi.icmp_id != ECHO_ID)
      return 0;
    for (size_t i = 0; i < nic->n_addrs; ++i)
      if (fi.sip == nic->addrs[i].addr && fi.tip == nic->addrs[i].sender)
        nic->addrs[i].pinged = 1;
    return 0;
  case FRAME_DHCP:
    if (!from_nic && memcmp (fi.chaddr, nic->mac, 6) != 0)
      return 0;
    if (fi.dhcp_type == 1)
      nic->dhcp_discover = 1;
    else if (fi.dhcp_type == 3)
      nic->dhcp_request = 1;
    return 0;
  default:
    return 0;
  }
}

size_t
net_probe (struct net_nic *nic, net_send_fn send, void *opaque)
{
  uint8_t buf[FRAME_MAX];
  size_t n = 0, len;

  for (size_t i = 0; i < nic->n_addrs; ++i) {
    struct net_addr *a = &nic->addrs[i];
    if (!a->answered)
      len = frame_arp_request (buf, nic->probe_mac, a->sender, a->addr);
    else if (!a->pinged && a->sender && a->echo_tries < ECHO_TRIES) {
      a->echo_tries++;
      len = frame_icmp_echo (buf, nic->probe_mac, nic->mac, a->sender,
                             a->addr, ECHO_ID, (uint16_t) (i + 1));
    }
    else
      continue;
    send (nic, buf, len, opaque);
    n++;
  }
  return n;
}

/* Did some NIC answer for address ADDR? */
static int
answered_anywhere (const struct net_plan *plan, uint32_t addr)
{
  for (size_t i = 0; i < plan->n_nics; ++i)
    for (size_t j = 0; j < plan->nics[i].n_addrs; ++j)
      if (plan->nics[i].addrs[j].addr == addr && plan->nics[i].addrs[j].answered)
        return 1;
  return 0;
}

static int
dhcp_seen (const struct net_nic *nic)
{
  return nic->dhcp_discover || nic->dhcp_request;
}

static int
dhcp_anywhere (const struct net_plan *plan)
{
  for (size_t i = 0; i < plan->n_nics; ++i)
    if (dhcp_seen (&plan->nics[i]))
      return 1;
  return 0;
}

int
net_passed (const struct net_plan *plan, const char **why)
{
  static char buf[256];

  for (size_t i = 0; i < plan->n_nics; ++i) {
    const struct net_nic *nic = &plan->nics[i];
    for (size_t j = 0; j < nic->n_addrs; ++j) {
      const struct net_addr *a = &nic->addrs[j];
      if (a->pinned ? a->answered : answered_anywhere (plan, a->addr))
        continue;
      snprintf (buf, sizeof buf, "%s (%s): %s did not answer ARP%s", nic->id,
                nic->mac_text, a->text, a->pinned ? "" : " on any NIC");
      goto fail;
    }
    if (nic->dhcp_expected && !dhcp_seen (nic)) {
      snprintf (buf, sizeof buf, "%s (%s): no DHCP request was seen",
                nic->id, nic->mac_text);
      goto fail;
    }
  }
  if (plan->dhcp_any && !dhcp_anywhere (plan)) {
    snprintf (buf, sizeof buf, "no NIC sent a DHCP request");
    goto fail;
  }
  *why = NULL;
  return 1;
 fail:
  *why = buf;
  return 0;
}

int
net_done (const struct net_plan *plan)
{
  const char *why;

  if (!net_passed (plan, &why))
    return 0;
  /* Passed; wait for the echo replies too, within their tries. */
  for (size_t i = 0; i < plan->n_nics; ++i)
    for (size_t j = 0; j < plan->nics[i].n_addrs; ++j) {
      const struct net_addr *a = &plan->nics[i].addrs[j];
      if (a->answered && a->sender && !a->pinged && a->echo_tries < ECHO_TRIES)
        return 0;
    }
  return 1;
}

static int
nic_proven (const struct net_nic *nic, const struct net_plan *plan)
{
  int any = 0;

  for (size_t j = 0; j < nic->n_addrs; ++j) {
    if (nic->addrs[j].answered)
      any = 1;
    else if (nic->addrs[j].pinned)
      return 0;
  }
  if (nic->dhcp_expected || plan->dhcp_any) {
    if (dhcp_seen (nic))
      any = 1;
    else if (nic->dhcp_expected)
      return 0;
  }
  return any;
}

/* The evidence for one NIC.  Caller owns; NULL reported. */
static json_object *
nic_evidence (const struct net_nic *nic, const struct net_plan *plan)
{
  json_object *o = json_object_new_object ();
  json_object *expected, *unpinned, *answered, *pinged;

  if (o == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  /* The setters report their errors. */
  if (h2k_json_set_string (o, "id", nic->id) == -1 ||
      h2k_json_set_string (o, "mac", nic->mac_text) == -1 ||
      (nic->mac_generated && h2k_json_set_bool (o, "mac_generated", 1) == -1) ||
      h2k_json_set_string (o, "model", "virtio-net-pci") == -1 ||
      h2k_json_set (o, "configs", json_object_get (nic->configs)) == -1 ||
      (expected = h2k_json_ensure_array (o, "addresses_expected")) == NULL ||
      (unpinned = h2k_json_ensure_array (o, "addresses_unpinned")) == NULL ||
      (answered = h2k_json_ensure_array (o, "addresses_answered")) == NULL ||
      (pinged = h2k_json_ensure_array (o, "addresses_pinged")) == NULL)
    goto fail;
  for (size_t j = 0; j < nic->n_addrs; ++j) {
    const struct net_addr *a = &nic->addrs[j];
    if (h2k_json_array_add_string (a->pinned ? expected : unpinned, a->text) == -1 ||
        (a->answered && h2k_json_array_add_string (answered, a->text) == -1) ||
        (a->pinged && h2k_json_array_add_string (pinged, a->text) == -1))
      goto fail;
  }
  if (h2k_json_set_int (o, "frames_seen", (int64_t) nic->frames) == -1 ||
      h2k_json_set_int (o, "frames_from_mac", (int64_t) nic->frames_from_mac) == -1 ||
      h2k_json_set_bool (o, "dhcp_expected", nic->dhcp_expected || plan->dhcp_any) == -1 ||
      h2k_json_set_bool (o, "dhcp_discover", nic->dhcp_discover) == -1 ||
      h2k_json_set_bool (o, "dhcp_request", nic->dhcp_request) == -1 ||
      h2k_json_set_bool (o, "proven", nic_proven (nic, plan)) == -1)
    goto fail;
  return o;
 fail:
  json_object_put (o);
  return NULL;
}

json_object *
net_evidence (const struct net_plan *plan)
{
  json_object *arr = json_object_new_array ();

  if (arr == NULL) {
    h2k_error ("%m");
    return NULL;
  }
  for (size_t i = 0; i < plan->n_nics; ++i) {
    json_object *e = nic_evidence (&plan->nics[i], plan);
    if (e == NULL || h2k_json_array_add (arr, e) == -1)
      goto fail;
  }
  return arr;
 fail:
  json_object_put (arr);
  return NULL;
}
