/* h2k-validate: planning and judging the network proof. */

#include <string.h>

#include "test.h"
#include "h2k.h"
#include "../../../tools/h2k-validate/frame.h"
#include "../../../tools/h2k-validate/validate.h"

#define IP(a, b, c, d) ((uint32_t) (a) << 24 | (b) << 16 | (c) << 8 | (d))

static const uint8_t guest0[6] = { 0x00, 0x50, 0x56, 0x3a, 0x5c, 0x01 };

static json_object *
manifest (const char *text)
{
  return json_tokener_parse (text);
}

static const char one_nic[] =
  "{\"vm\": {\"name\": \"x\", \"nics\": ["
  "  {\"id\": \"ethernet0\", \"mac\": \"00:50:56:3A:5C:01\"},"
  "  {\"id\": \"ethernet1\", \"mac\": null}]},"
  " \"guest\": {\"network\": {\"interfaces\": ["
  "  {\"name\": \"ens192\", \"mac_pin\": \"00:50:56:3a:5c:01\", \"method\": \"static\","
  "   \"addresses\": [\"192.168.122.50/24\", \"fd00::5/64\"]},"
  "  {\"name\": \"eth9\", \"method\": \"dhcp\"},"
  "  {\"name\": \"ens224\", \"mac_pin\": \"00:50:56:00:00:99\", \"method\": \"static\","
  "   \"addresses\": [\"10.0.0.5/8\"]}]}}}";

struct sent {
  uint8_t buf[8][FRAME_MAX];
  size_t len[8], n;
};

static void
collect (struct net_nic *nic, const uint8_t *buf, size_t len, void *opaque)
{
  struct sent *s = opaque;

  (void) nic;
  if (s->n < 8) {
    memcpy (s->buf[s->n], buf, len);
    s->len[s->n++] = len;
  }
}

TEST (plan)
{
  CLEANUP_JSON json_object *m = manifest (one_nic);
  struct net_plan p;

  CHECK_INT (net_plan_build (m, "<test>", &p), 0);
  CHECK_INT (p.n_nics, 2);
  CHECK_STR (p.nics[0].mac_text, "00:50:56:3a:5c:01");
  CHECK_INT (p.nics[0].n_addrs, 1);
  CHECK_STR (p.nics[0].addrs[0].text, "192.168.122.50/24");
  CHECK_INT (p.nics[0].addrs[0].pinned, 1);
  CHECK_INT (p.nics[0].addrs[0].sender, IP (192, 168, 122, 254));
  CHECK_INT (p.nics[1].mac_generated, 1);
  CHECK_STR (p.nics[1].mac_text, "52:54:00:68:6b:01");
  CHECK_INT (p.nics[1].n_addrs, 0);
  /* eth9 has no pin: DHCP on any NIC. */
  CHECK_INT (p.dhcp_any, 1);
  CHECK_INT (json_object_array_length (p.not_checked), 1);
  CHECK_INT (json_object_array_length (p.unpinned), 1);
  /* ens224's MAC is on no NIC. */
  CHECK_INT (json_object_array_length (p.warnings), 1);
  CHECK (strstr (json_object_get_string (json_object_array_get_idx (p.warnings, 0)),
                 "00:50:56:00:00:99") != NULL);
  net_plan_free (&p);
}

TEST (bad_mac)
{
  CLEANUP_JSON json_object *m =
    manifest ("{\"vm\": {\"nics\": [{\"id\": \"e0\", \"mac\": \"00:50:56\"}]}}");
  struct net_plan p;

  CHECK_INT (net_plan_build (m, "<test>", &p), -1);
  CHECK (strstr (h2k_first_error (), "/vm/nics/0/mac") != NULL);
  h2k_clear_error ();
  net_plan_free (&p);
}

/* The whole exchange: ARP probe, reply, echo, echo reply, DHCP. */
TEST (proof)
{
  CLEANUP_JSON json_object *m = manifest (one_nic);
  struct net_plan p;
  struct net_nic *nic;
  struct sent s = { .n = 0 };
  uint8_t buf[FRAME_MAX], out[FRAME_MAX];
  struct frame_info fi;
  const char *why;
  size_t n;

  CHECK_INT (net_plan_build (m, "<test>", &p), 0);
  nic = &p.nics[0];
  CHECK_INT (net_passed (&p, &why), 0);
  CHECK (strstr (why, "192.168.122.50/24 did not answer ARP") != NULL);

  CHECK_INT (net_probe (nic, collect, &s), 1);
  CHECK_INT (frame_parse (s.buf[0], s.len[0], &fi), 0);
  CHECK_INT (fi.kind, FRAME_ARP_REQUEST);
  CHECK_INT (fi.tip, IP (192, 168, 122, 50));
  CHECK_INT (fi.sip, IP (192, 168, 122, 254));

  /* A reply from another MAC proves nothing. */
  {
    const uint8_t other[6] = { 0x52, 0x54, 0, 0, 0, 9 };
    n = frame_arp_reply (buf, other, IP (192, 168, 122, 50), nic->probe_mac,
                         IP (192, 168, 122, 254));
    CHECK_INT (net_handle_frame (nic, buf, n, out), 0);
    CHECK_INT (nic->addrs[0].answered, 0);
  }
  n = frame_arp_reply (buf, guest0, IP (192, 168, 122, 50), nic->probe_mac,
                       IP (192, 168, 122, 254));
  CHECK_INT (net_handle_frame (nic, buf, n, out), 0);
  CHECK_INT (nic->addrs[0].answered, 1);
  CHECK_INT (nic->frames, 2);
  CHECK_INT (nic->frames_from_mac, 1);

  /* The guest asks who we are: we answer from the probe MAC. */
  n = frame_arp_request (buf, guest0, IP (192, 168, 122, 50), IP (192, 168, 122, 254));
  n = net_handle_frame (nic, buf, n, out);
  CHECK_INT (n, 60);
  CHECK_INT (frame_parse (out, n, &fi), 0);
  CHECK_INT (fi.kind, FRAME_ARP_REPLY);
  CHECK (memcmp (fi.sha, nic->probe_mac, 6) == 0);
  CHECK (memcmp (fi.dst, guest0, 6) == 0);

  /* Then an echo request, answered. */
  s.n = 0;
  CHECK_INT (net_probe (nic, collect, &s), 1);
  CHECK_INT (frame_parse (s.buf[0], s.len[0], &fi), 0);
  CHECK_INT (fi.kind, FRAME_ICMP_ECHO_REQUEST);
  CHECK (memcmp (fi.dst, guest0, 6) == 0);
  n = frame_icmp_echo (buf, guest0, nic->probe_mac, IP (192, 168, 122, 50),
                       IP (192, 168, 122, 254), fi.icmp_id, fi.icmp_seq);
  buf[34] = 0;                  /* echo reply */
  net_handle_frame (nic, buf, n, out);
  CHECK_INT (nic->addrs[0].pinged, 1);
  s.n = 0;
  CHECK_INT (net_probe (nic, collect, &s), 0);

  /* Addresses proven, but the unpinned DHCP config is not yet. */
  CHECK_INT (net_passed (&p, &why), 0);
  CHECK_STR (why, "no NIC sent a DHCP request");
  CHECK_INT (net_done (&p), 0);
  {
    /* A DHCPDISCOVER from ethernet1's generated MAC. */
    uint8_t d[400] = { 0 };
    uint8_t *ip = d + 14, *udp = ip + 20, *bootp = udp + 8;
    memset (d, 0xff, 6);
    memcpy (d + 6, p.nics[1].mac, 6);
    d[12] = 0x08;
    ip[0] = 0x45; ip[2] = 1; ip[3] = 0x10; ip[9] = 17;   /* 272 bytes */
    udp[1] = 68; udp[3] = 67;
    bootp[0] = 1; bootp[1] = 1; bootp[2] = 6;
    memcpy (bootp + 28, p.nics[1].mac, 6);
    memcpy (bootp + 236, "\x63\x82\x53\x63\x35\x01\x01\xff", 8);
    CHECK_INT (net_handle_frame (&p.nics[1], d, 14 + 272, out), 0);
    CHECK_INT (p.nics[1].dhcp_discover, 1);
  }
  CHECK_INT (net_passed (&p, &why), 1);
  CHECK_INT (net_done (&p), 1);
  {
    CLEANUP_JSON json_object *e = net_evidence (&p);
    json_object *e0 = json_object_array_get_idx (e, 0);
    CHECK_INT (json_object_array_length (e), 2);
    CHECK_STR (h2k_json_get_string (e0, "mac"), "00:50:56:3a:5c:01");
    CHECK_STR (json_object_get_string (json_object_array_get_idx (
                 h2k_json_get_array (e0, "addresses_answered"), 0)), "192.168.122.50/24");
    CHECK_INT (json_object_array_length (h2k_json_get_array (e0, "addresses_pinged")), 1);
    CHECK_INT (h2k_json_get_int (e0, "frames_seen", -1), 4);
    CHECK_INT (h2k_json_get_bool (e0, "proven", 0), 1);
    CHECK_INT (h2k_json_get_bool (json_object_array_get_idx (e, 1), "dhcp_discover", 0), 1);
  }
  net_plan_free (&p);
}

/* Unpinned addresses are tried on every NIC; one answer is enough. */
TEST (unpinned)
{
  CLEANUP_JSON json_object *m = manifest (
    "{\"vm\": {\"nics\": [{\"id\": \"a\", \"mac\": \"00:50:56:3a:5c:01\"},"
    " {\"id\": \"b\", \"mac\": \"00:50:56:3a:5c:02\"}]},"
    " \"guest\": {\"network\": {\"interfaces\": [{\"name\": \"eth0\","
    " \"method\": \"static\", \"addresses\": [\"10.1.2.3/30\"]}]}}}");
  struct net_plan p;
  uint8_t buf[FRAME_MAX], out[FRAME_MAX];
  const char *why;
  size_t n;

  CHECK_INT (net_plan_build (m, "<test>", &p), 0);
  CHECK_INT (p.nics[0].n_addrs, 1);
  CHECK_INT (p.nics[1].n_addrs, 1);
  CHECK_INT (p.nics[0].addrs[0].sender, IP (10, 1, 2, 2));
  CHECK_INT (net_passed (&p, &why), 0);
  CHECK (strstr (why, "on any NIC") != NULL);
  /* A gratuitous ARP from the first NIC is as good as a reply. */
  n = frame_arp_request (buf, guest0, IP (10, 1, 2, 3), IP (10, 1, 2, 3));
  net_handle_frame (&p.nics[0], buf, n, out);
  CHECK_INT (net_passed (&p, &why), 1);
  net_plan_free (&p);
}

int
main (void)
{
  RUN (plan);
  RUN (bad_mac);
  RUN (proof);
  RUN (unpinned);
  return test_done ();
}
