/* Unit tests: the network interpreter over parsed guest files. */

#include <json-c/json.h>

#include "linuxcfg-test.h"

/* Add DOC (owned) as INPUT[KIND][PATH]. */
static void
put (json_object *input, const char *kind, const char *path, json_object *doc)
{
  json_object *k;

  if (!json_object_object_get_ex (input, kind, &k)) {
    k = json_object_new_object ();
    json_object_object_add (input, kind, k);
  }
  json_object_object_add (k, path, doc);
}

static void
put_text (json_object *input, const char *kind, const char *path,
          lct_parser parse, const char *text)
{
  json_object *doc = parse (text, strlen (text), path);

  CHECK (doc != NULL);
  put (input, kind, path, doc);
}

static void
put_corpus (json_object *input, const char *kind, const char *path,
            lct_parser parse, const char *rel)
{
  size_t len;
  char *text = lct_read (rel, &len);
  json_object *doc = text ? parse (text, len, path) : NULL;

  CHECK (doc != NULL);
  put (input, kind, path, doc);
  free (text);
}

static json_object *
field (json_object *out, size_t i, const char *key)
{
  return lct_get (lct_idx (out, i), key);
}

#define F(i, key) lct_s (field (out, (i), (key)))

TEST (netmask)
{
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("255.255.255.0"), 24);
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("255.255.252.0"), 22);
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("255.255.255.255"), 32);
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("0.0.0.0"), 0);
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("255.0.255.0"), -1);
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("64"), 64);
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("129"), -1);
  CHECK_INT (h2k_linuxcfg_netmask_prefix ("x"), -1);
  CHECK_INT (h2k_linuxcfg_netmask_prefix (""), -1);
}

TEST (ifupdown)
{
  json_object *in = json_object_new_object (), *out;

  put_text (in, "ifupdown", "/etc/network/interfaces", h2k_linuxcfg_ifupdown,
    "auto lo\niface lo inet loopback\n"
    "allow-hotplug ens192\n"
    "iface ens192 inet static\n"
    "  address 192.168.10.5\n"
    "  netmask 255.255.255.0\n"
    "  gateway 192.168.10.1\n"
    "  dns-nameservers 1.1.1.1 8.8.8.8\n"
    "  up ip route add 10.0.0.0/8 via 192.168.10.254\n"
    "  post-up route add -net 172.16.0.0 netmask 255.240.0.0 gw 192.168.10.253\n"
    "iface ens192 inet6 static\n"
    "  address 2001:db8::5\n"
    "  netmask 64\n"
    "  gateway 2001:db8::1\n"
    "iface ens224 inet dhcp\n"
    "iface ens256 inet manual\n");
  put_text (in, "ifupdown", "/etc/network/interfaces.d/eth9",
            h2k_linuxcfg_ifupdown, "iface eth9 inet static\n"
            "  address 10.9.9.9/16\n");
  out = h2k_linuxcfg_network (in);

  CHECK_INT (lct_len (out), 4);
  CHECK_STR (F (0, "name"), "ens192");
  CHECK_STR (F (0, "backend"), "ifupdown");
  CHECK_STR (F (0, "file"), "/etc/network/interfaces");
  CHECK_INT (json_object_get_int (field (out, 0, "line")), 4);
  CHECK_STR (F (0, "method"), "static");
  CHECK_INT (lct_len (field (out, 0, "addresses")), 2);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 0)), "192.168.10.5/24");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 1)), "2001:db8::5/64");
  CHECK_STR (F (0, "gateway"), "192.168.10.1");
  CHECK_STR (F (0, "gateway6"), "2001:db8::1");
  CHECK_INT (lct_len (field (out, 0, "dns")), 2);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "dns"), 1)), "8.8.8.8");
  CHECK_INT (lct_len (field (out, 0, "routes")), 2);
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 0, "routes"), 0), "to")),
             "10.0.0.0/8");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 0, "routes"), 0), "via")),
             "192.168.10.254");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 0, "routes"), 1), "to")),
             "172.16.0.0/12");
  CHECK (field (out, 0, "mac_pin") == NULL);
  CHECK_STR (F (1, "name"), "ens224");
  CHECK_STR (F (1, "method"), "dhcp");
  CHECK_INT (lct_len (field (out, 1, "addresses")), 0);
  CHECK_STR (F (2, "method"), "manual");
  CHECK_STR (F (3, "file"), "/etc/network/interfaces.d/eth9");
  CHECK_STR (lct_s (lct_idx (field (out, 3, "addresses"), 0)), "10.9.9.9/16");
  json_object_put (out);
  json_object_put (in);
}

TEST (netplan)
{
  json_object *in = json_object_new_object (), *out;

  put_corpus (in, "netplan", "/etc/netplan/vlan.yaml", h2k_linuxcfg_yaml,
              "linux-guest-config/netplan/vlan.yaml");
  put_text (in, "netplan", "/etc/netplan/50-cloud-init.yaml",
            h2k_linuxcfg_yaml,
            "network:\n"
            "  version: 2\n"
            "  ethernets:\n"
            "    eth0:\n"
            "      dhcp4: true\n"
            "      match:\n"
            "        macaddress: 0A:1B:2C:3D:4E:5F\n"
            "      set-name: eth0\n"
            "    ens3:\n"
            "      addresses:\n"
            "        - 10.1.1.5/24\n"
            "        - \"fd00::5/64\": {lifetime: 0}\n"
            "      gateway4: 10.1.1.1\n"
            "      routes: [{to: 192.168.0.0/16, via: 10.1.1.254}]\n"
            "    lo:\n"
            "      addresses: [127.0.0.1/8]\n");
  out = h2k_linuxcfg_network (in);

  CHECK_INT (lct_len (out), 5);
  CHECK_STR (F (0, "name"), "mainif");
  CHECK_STR (F (0, "backend"), "netplan");
  CHECK_STR (F (0, "set_name"), "mainif");
  CHECK_STR (F (0, "mac_pin"), "de:ad:be:ef:ca:fe");
  CHECK_STR (F (0, "mac_pin_source"), "config");
  CHECK_STR (F (0, "method"), "static");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 0)), "10.3.0.5/23");
  CHECK_STR (F (0, "gateway"), "10.3.0.1");
  CHECK_INT (lct_len (field (out, 0, "routes")), 0);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "dns"), 1)), "8.8.4.4");
  CHECK_STR (F (1, "name"), "vlan15");
  CHECK_STR (F (3, "name"), "eth0");
  CHECK_STR (F (3, "method"), "dhcp");
  CHECK_STR (F (3, "mac_pin"), "0a:1b:2c:3d:4e:5f");
  CHECK_STR (F (4, "name"), "ens3");
  CHECK_STR (lct_s (lct_idx (field (out, 4, "addresses"), 1)), "fd00::5/64");
  CHECK_STR (F (4, "gateway"), "10.1.1.1");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 4, "routes"), 0), "via")),
             "10.1.1.254");
  json_object_put (out);
  json_object_put (in);
}

TEST (netplan_array)
{
  json_object *in = json_object_new_object (), *arr = json_object_new_array ();
  json_object *out;

  json_object_array_add (arr, PARSE (h2k_linuxcfg_yaml,
                                     "network: {ethernets: {e1: {dhcp4: yes}}}"));
  json_object_object_add (in, "netplan", arr);
  out = h2k_linuxcfg_network (in);
  CHECK_INT (lct_len (out), 1);
  CHECK_STR (F (0, "file"), "netplan[0]");
  CHECK_STR (F (0, "name"), "e1");
  CHECK_STR (F (0, "method"), "dhcp");
  json_object_put (out);
  json_object_put (in);
}

#define NS "linux-guest-config/rhel-ifcfg/network-scripts/"
#define ETC "/etc/sysconfig/network-scripts/"

TEST (ifcfg)
{
  json_object *in = json_object_new_object (), *out;

  put_corpus (in, "ifcfg", ETC "ifcfg-test-wired-static",
              h2k_linuxcfg_shellvars, NS "ifcfg-test-wired-static");
  put_corpus (in, "ifcfg", ETC "ifcfg-test-wired-static-no-prefix-8",
              h2k_linuxcfg_shellvars, NS "ifcfg-test-wired-static-no-prefix-8");
  put_corpus (in, "ifcfg", ETC "ifcfg-test-wired-static-routes",
              h2k_linuxcfg_shellvars, NS "ifcfg-test-wired-static-routes");
  put_corpus (in, "ifcfg", ETC "route-test-wired-static-routes",
              h2k_linuxcfg_shellvars, NS "route-test-wired-static-routes");
  put_corpus (in, "ifcfg", ETC "ifcfg-test-wired-dhcp",
              h2k_linuxcfg_shellvars, NS "ifcfg-test-wired-dhcp");
  put_corpus (in, "ifcfg", ETC "ifcfg-test-static-routes-legacy",
              h2k_linuxcfg_shellvars, NS "ifcfg-test-static-routes-legacy");
  put_corpus (in, "ifcfg", ETC "route-test-static-routes-legacy",
              h2k_linuxcfg_shellvars, NS "route-test-static-routes-legacy");
  put_text (in, "ifcfg", ETC "ifcfg-lo", h2k_linuxcfg_shellvars,
            "DEVICE=lo\nIPADDR=127.0.0.1\n");
  out = h2k_linuxcfg_network (in);

  CHECK_INT (lct_len (out), 5);
  /* ifcfg-test-wired-static */
  CHECK_STR (F (0, "name"), "eth0");
  CHECK_STR (F (0, "backend"), "ifcfg");
  CHECK_INT (json_object_get_int (field (out, 0, "line")), 3);
  CHECK_STR (F (0, "mac_pin"), "00:11:22:33:44:ee");
  CHECK_STR (F (0, "method"), "static");
  CHECK_INT (lct_len (field (out, 0, "addresses")), 3);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 0)), "192.168.1.5/24");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 1)), "dead:beaf::1/64");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 2)), "dead:beaf::2/56");
  CHECK_STR (F (0, "gateway"), "192.168.1.1");
  CHECK_INT (lct_len (field (out, 0, "dns")), 4);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "dns"), 3)), "1:2:3:4::b");
  /* no prefix: classful /8 */
  CHECK_STR (lct_s (lct_idx (field (out, 1, "addresses"), 0)), "10.11.12.13/8");
  /* route-test-wired-static-routes goes with its ifcfg file (DEVICE eth0) */
  CHECK_INT (lct_len (field (out, 2, "routes")), 4);
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 2, "routes"), 0), "to")),
             "11.22.33.0/24");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 2, "routes"), 0), "via")),
             "192.168.1.5");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 2, "routes"), 3), "to")),
             "1.2.3.4/32");
  CHECK (lct_get (lct_idx (field (out, 2, "routes"), 3), "via") == NULL);
  CHECK_INT (lct_len (field (out, 1, "routes")), 0);
  /* dhcp */
  CHECK_STR (F (3, "method"), "dhcp");
  /* legacy "ip route" lines */
  CHECK_INT (lct_len (field (out, 4, "routes")), 4);
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 4, "routes"), 1), "to")),
             "3.2.1.0/24");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 4, "routes"), 1), "via")),
             "202.254.171.190");
  json_object_put (out);
  json_object_put (in);
}

TEST (wicked)
{
  json_object *in = json_object_new_object (), *out;

  put_corpus (in, "wicked", "/etc/sysconfig/network/ifcfg-eth0",
              h2k_linuxcfg_shellvars, "linux-guest-config/suse-wicked/suse/"
              "host1/ifcfg-eth0");
  put_corpus (in, "wicked", "/etc/sysconfig/network/ifcfg-lo",
              h2k_linuxcfg_shellvars, "linux-guest-config/suse-wicked/suse/"
              "host1/ifcfg-lo");
  put_corpus (in, "wicked", "/etc/sysconfig/network/routes",
              h2k_linuxcfg_shellvars, "linux-guest-config/suse-wicked/suse/"
              "host1/routes");
  put_text (in, "wicked", "/etc/sysconfig/network/ifcfg-eth1",
            h2k_linuxcfg_shellvars, "BOOTPROTO='dhcp'\nSTARTMODE='auto'\n");
  out = h2k_linuxcfg_network (in);

  CHECK_INT (lct_len (out), 2);
  CHECK_STR (F (0, "name"), "eth0");
  CHECK_STR (F (0, "backend"), "wicked");
  CHECK_STR (F (0, "method"), "static");
  CHECK_INT (lct_len (field (out, 0, "addresses")), 3);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 0)), "192.168.5.8/24");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 1)),
             "192.168.178.8/24");
  CHECK_STR (F (0, "gateway"), "192.168.178.1");
  CHECK_STR (F (1, "name"), "eth1");
  CHECK_STR (F (1, "method"), "dhcp");
  CHECK (field (out, 1, "gateway") == NULL);
  json_object_put (out);
  json_object_put (in);
}

#define KF "linux-guest-config/networkmanager-keyfile/"
#define NMDIR "/etc/NetworkManager/system-connections/"

TEST (networkmanager)
{
  json_object *in = json_object_new_object (), *out;

  put_corpus (in, "networkmanager", NMDIR "wired.nmconnection",
              h2k_linuxcfg_ini, KF "Test_Wired_Connection");
  put_corpus (in, "networkmanager", NMDIR "old.nmconnection",
              h2k_linuxcfg_ini, KF "Test_MAC_Old_Format");
  put_text (in, "networkmanager", NMDIR "dhcp.nmconnection", h2k_linuxcfg_ini,
            "[connection]\nid=Wired 1\ntype=ethernet\n"
            "interface-name=ens18\n\n[ethernet]\n"
            "mac-address=00;22;170;187;204;254;\n\n[ipv4]\nmethod=auto\n");
  out = h2k_linuxcfg_network (in);

  CHECK_INT (lct_len (out), 3);
  CHECK (field (out, 0, "name") == NULL);
  CHECK_STR (F (0, "backend"), "networkmanager");
  CHECK_INT (json_object_get_int (field (out, 0, "line")), 2);
  CHECK_STR (F (0, "mac_pin"), "00:11:22:33:44:55");
  CHECK_STR (F (0, "method"), "static");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 0)), "192.168.0.5/24");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 1)), "1.2.3.4/16");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 2)), "2.3.4.5/24");
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 5)), "5.6.7.8/8");
  CHECK_STR (F (0, "gateway"), "192.168.0.1");
  CHECK_STR (F (0, "gateway6"), "2:3:4:5:1:2:3:4");
  CHECK_INT (lct_len (field (out, 0, "dns")), 4);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "dns"), 1)), "4.2.2.2");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 0, "routes"), 0), "to")),
             "1.2.3.0/24");
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 0, "routes"), 0), "via")),
             "2.3.4.8");
  CHECK_STR (F (1, "mac_pin"), "00:11:aa:bb:cc:55");
  CHECK_STR (F (1, "method"), "manual");
  CHECK_STR (F (2, "name"), "ens18");
  CHECK_STR (F (2, "mac_pin"), "00:16:aa:bb:cc:fe");
  CHECK_STR (F (2, "method"), "dhcp");
  json_object_put (out);
  json_object_put (in);
}

TEST (networkd_and_udev)
{
  json_object *in = json_object_new_object (), *out;

  put_corpus (in, "networkd", "/etc/systemd/network/12-dummy.network",
              h2k_linuxcfg_ini, "linux-guest-config/systemd-networkd/systemd/"
              "12-dummy-match-mac-01.network");
  put_corpus (in, "networkd", "/etc/systemd/network/25-dhcp.network",
              h2k_linuxcfg_ini, "linux-guest-config/systemd-networkd/systemd/"
              "25-dhcp-client-simple.network");
  put_text (in, "networkd", "/etc/systemd/network/10-lan.link",
            h2k_linuxcfg_ini, "[Match]\nMACAddress=52:54:00:AA:00:01\n"
            "[Link]\nName=client\n");
  put_text (in, "networkd", "/etc/systemd/network/30-static.network",
            h2k_linuxcfg_ini, "[Match]\nName=eth7 eth8\n[Network]\n"
            "Gateway=10.7.0.1\nDNS=10.7.0.2 10.7.0.3\n[Address]\n"
            "Address=10.7.0.5/24\n[Route]\nDestination=10.8.0.0/16\n"
            "Gateway=10.7.0.254\n");
  put_text (in, "ifupdown", "/etc/network/interfaces", h2k_linuxcfg_ifupdown,
            "iface eth1 inet dhcp\n");
  put_text (in, "udev_net", "/etc/udev/rules.d/70-persistent-net.rules",
            h2k_linuxcfg_udev_net,
            "SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:AA:BB:01\", "
            "NAME=\"eth1\"\n"
            "SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:AA:BB:07\", "
            "NAME=\"eth7\"\n");
  out = h2k_linuxcfg_network (in);

  CHECK_INT (lct_len (out), 4);
  CHECK_STR (F (0, "name"), "eth1");
  CHECK_STR (F (0, "mac_pin"), "00:50:56:aa:bb:01");
  CHECK_STR (F (0, "mac_pin_source"), "udev");
  CHECK_STR (F (1, "name"), "dummy98");
  CHECK_STR (F (1, "backend"), "networkd");
  CHECK_STR (F (1, "mac_pin"), "12:34:56:78:9a:01");
  CHECK_STR (F (1, "method"), "static");
  CHECK_STR (lct_s (lct_idx (field (out, 1, "addresses"), 0)), "10.0.0.1/16");
  CHECK_STR (F (2, "name"), "client");
  CHECK_STR (F (2, "method"), "dhcp");
  CHECK_STR (F (2, "set_name"), "client");
  CHECK_STR (F (2, "mac_pin"), "52:54:00:aa:00:01");
  CHECK_STR (F (3, "name"), "eth7");
  CHECK_STR (F (3, "gateway"), "10.7.0.1");
  CHECK_INT (lct_len (field (out, 3, "dns")), 2);
  CHECK_STR (lct_s (lct_get (lct_idx (field (out, 3, "routes"), 0), "to")),
             "10.8.0.0/16");
  CHECK_STR (F (3, "mac_pin"), "00:50:56:aa:bb:07");
  json_object_put (out);
  json_object_put (in);
}

/* Shaped like a cloud-init Debian/Ubuntu guest on DigitalOcean: an alias
 * stanza, dns on lo, and persistent-net rules pinning both NICs.
 */
TEST (cloud_init_eni)
{
  json_object *in = json_object_new_object (), *out;

  put_text (in, "ifupdown", "/etc/network/interfaces.d/50-cloud-init.cfg",
            h2k_linuxcfg_ifupdown,
            "# This file is generated from information provided by\n"
            "# the datasource.\n"
            "auto lo\n"
            "iface lo inet loopback\n"
            "    dns-nameservers 67.207.67.2 67.207.67.3\n"
            "\n"
            "auto eth0\n"
            "iface eth0 inet static\n"
            "    address 159.89.10.20/20\n"
            "    gateway 159.89.0.1\n"
            "\n"
            "# control-alias eth0\n"
            "iface eth0 inet static\n"
            "    address 10.17.0.5/16\n"
            "\n"
            "auto eth1\n"
            "iface eth1 inet static\n"
            "    address 10.132.11.2/16\n");
  put_text (in, "udev_net", "/etc/udev/rules.d/70-persistent-net.rules",
            h2k_linuxcfg_udev_net,
            "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
            "ATTR{address}==\"ba:5e:00:11:22:33\", NAME=\"eth0\"\n"
            "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", "
            "ATTR{address}==\"ba:5e:00:11:22:44\", NAME=\"eth1\"\n");
  out = h2k_linuxcfg_network (in);

  CHECK_INT (lct_len (out), 2);
  CHECK_STR (F (0, "name"), "eth0");
  CHECK_INT (json_object_get_int (field (out, 0, "line")), 8);
  CHECK_INT (lct_len (field (out, 0, "addresses")), 2);
  CHECK_STR (lct_s (lct_idx (field (out, 0, "addresses"), 1)), "10.17.0.5/16");
  CHECK_STR (F (0, "gateway"), "159.89.0.1");
  CHECK_STR (F (0, "mac_pin"), "ba:5e:00:11:22:33");
  CHECK_STR (F (0, "mac_pin_source"), "udev");
  CHECK_STR (F (1, "mac_pin"), "ba:5e:00:11:22:44");
  CHECK_INT (lct_len (field (out, 1, "dns")), 0);
  json_object_put (out);
  json_object_put (in);
}

/* Wrong shapes never crash and never fail. */
TEST (hostile_input)
{
  static const char *inputs[] = {
    "{}",
    "{\"ifupdown\": 5, \"netplan\": [], \"ifcfg\": \"x\"}",
    "{\"ifupdown\": {\"f\": {\"interfaces\": [1, null, {\"name\": 3}, "
    "{\"name\": \"e\", \"stanzas\": [null, {\"options\": [], \"method\": "
    "\"static\"}, {\"options\": {\"address\": [1, null]}, \"method\": "
    "\"static\"}]}]}}}",
    "{\"netplan\": {\"f\": {\"network\": {\"ethernets\": {\"e\": "
    "{\"addresses\": {\"a\": 1}, \"routes\": [1], \"match\": [], "
    "\"nameservers\": {\"addresses\": [null, 1]}}}}}}}",
    "{\"ifcfg\": {\"/x/ifcfg-e\": {\"vars\": [1]}, \"/x/route-e\": 1, "
    "\"/x/ifcfg-f\": {\"vars\": {\"IPADDR\": 1, \"DEVICE\": 2}}}}",
    "{\"wicked\": {\"/x/routes\": {\"ignored\": [{\"text\": \"default\"}, 1]}}}",
    "{\"networkmanager\": {\"x\": {\"sections\": [1, {\"name\": 1}, "
    "{\"name\": \"ipv4\", \"entries\": 5}]}}}",
    "{\"networkd\": {\"a.network\": {\"sections\": [{\"name\": \"Match\", "
    "\"entries\": [{\"key\": \"Name\"}]}]}, \"b.link\": 3}}",
    "{\"udev_net\": {\"r\": [1, {\"name\": 2}]}, \"ifupdown\": {\"f\": "
    "{\"interfaces\": [{\"name\": \"e\", \"stanzas\": [{\"method\": "
    "\"dhcp\"}]}]}}}",
  };
  size_t i;

  for (i = 0; i < sizeof inputs / sizeof inputs[0]; ++i) {
    json_object *in = json_tokener_parse (inputs[i]), *out;

    CHECK (in != NULL);
    out = h2k_linuxcfg_network (in);
    CHECK (out != NULL);
    json_object_put (out);
    json_object_put (in);
  }
  lct_quiet ();
  CHECK (h2k_linuxcfg_network (NULL) == NULL);
  CHECK_STR (h2k_first_error (),
             "network configuration: interpreter input is not a JSON object");
  lct_loud ();
  h2k_clear_error ();
}

/* Every ifupdown, netplan and ifcfg file of the corpus goes through. */
static void
corpus_fn (const char *rel, const char *base, void *opaque)
{
  json_object *in = opaque, *doc = NULL;
  size_t len;
  char *text = lct_read (rel, &len);
  const char *kind = NULL;

  if (text == NULL)
    return;
  lct_quiet ();
  if (lct_has (rel, "/debian-interfaces/") || strcmp (base, "interfaces") == 0)
    kind = "ifupdown", doc = h2k_linuxcfg_ifupdown (text, len, rel);
  else if (lct_ends (base, ".yaml"))
    kind = "netplan", doc = h2k_linuxcfg_yaml (text, len, rel);
  else if (lct_has (rel, "/rhel-ifcfg/") && !lct_has (base, "expected"))
    kind = "ifcfg", doc = h2k_linuxcfg_shellvars (text, len, rel);
  else if (lct_has (rel, "/suse-wicked/suse/"))
    kind = "wicked", doc = h2k_linuxcfg_shellvars (text, len, rel);
  else if (lct_has (rel, "/networkmanager-keyfile/"))
    kind = "networkmanager", doc = h2k_linuxcfg_ini (text, len, rel);
  else if (lct_ends (base, ".network") || lct_ends (base, ".link"))
    kind = "networkd", doc = h2k_linuxcfg_ini (text, len, rel);
  else if (lct_ends (base, ".rules"))
    kind = "udev_net", doc = h2k_linuxcfg_udev_net (text, len, rel);
  lct_loud ();
  h2k_clear_error ();
  if (kind && doc)
    put (in, kind, rel, doc);
  free (text);
}

TEST (corpus)
{
  json_object *in = json_object_new_object (), *out;
  size_t i;
  int dhcp = 0, stat = 0, pinned = 0;

  lct_walk (corpus_fn, in);
  out = h2k_linuxcfg_network (in);
  CHECK (out != NULL);
  for (i = 0; i < (size_t) lct_len (out); ++i) {
    const char *m = F (i, "method");
    dhcp += strcmp (m, "dhcp") == 0;
    stat += strcmp (m, "static") == 0;
    pinned += field (out, i, "mac_pin") != NULL;
  }
  printf ("# network corpus: %ld interfaces, %d dhcp, %d static, "
          "%d MAC-pinned\n", lct_len (out), dhcp, stat, pinned);
  CHECK (lct_len (out) > 150);
  CHECK (dhcp > 30);
  CHECK (stat > 50);
  CHECK (pinned > 40);
  json_object_put (out);
  json_object_put (in);
}

int
main (void)
{
  RUN (netmask);
  RUN (ifupdown);
  RUN_CORPUS (netplan);
  RUN (netplan_array);
  RUN_CORPUS (ifcfg);
  RUN_CORPUS (wicked);
  RUN_CORPUS (networkmanager);
  RUN_CORPUS (networkd_and_udev);
  RUN (cloud_init_eni);
  RUN (hostile_input);
  RUN_CORPUS (corpus);
  return test_done ();
}
