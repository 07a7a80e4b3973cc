// The help text, laid out as stock ipvsadm's so that its readers find their way.

#include "usage.hpp"

#ifndef FULCRUM_VERSION
#define FULCRUM_VERSION "unknown"
#endif

namespace fulcrum::ipvsadm {

std::string version_text() {
  return "ipvsadm v1.31 (Fulcrum " FULCRUM_VERSION "; compiled with popt and IPVS v1.2.1)\n";
}

std::string usage_text(const std::string& p) {
  std::string s = version_text();
  s += "Usage:\n";
  for (const char* line :
       {" -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [-b sched-flags] [--fullnat] [--no-toa]",
        " -D virtual-service", " -C", " -R", " -S [-n]", " -a|e virtual-service -r server-address [options]",
        " -d virtual-service -r server-address", " -L|l [virtual-service] [options]", " -Z [virtual-service]",
        " --set tcp tcpfin udp", " --start-daemon {master|backup} [--mcast-interface interface] [--syncid sid]",
        " --stop-daemon {master|backup}", " -P|Q virtual-service -z local-address",
        " -G [virtual-service] [--per-worker]", " --counters [--per-worker]", " --list-bindings", " --list-snat", " -h"}) {
    s += "  " + p + line + "\n";
  }
  s += "\n"
       "Commands:\n"
       "Either long or short options are allowed.\n"
       "  --add-service     -A        add a virtual service\n"
       "  --edit-service    -E        change a virtual service (every setting: the ones not given go back to their "
       "defaults)\n"
       "  --delete-service  -D        delete a virtual service\n"
       "  --clear           -C        delete every virtual service\n"
       "  --restore         -R        run the commands on stdin (as -S writes them)\n"
       "  --save            -S        write the table to stdout as commands for -R\n"
       "  --add-server      -a        add a real server\n"
       "  --edit-server     -e        change a real server\n"
       "  --delete-server   -d        delete a real server\n"
       "  --list            -L|-l     list the table\n"
       "  --zero            -Z        zero the counters of one service or of all\n"
       "  --set tcp tcpfin udp        set the connection timeouts\n"
       "  --start-daemon              start the connection sync daemon\n"
       "  --stop-daemon               stop the connection sync daemon\n"
       "  --help            -h        this help\n"
       "\n"
       "virtual-service:\n"
       "  --tcp-service|-t  service-address   host[:port], [IPv6]:port\n"
       "  --udp-service|-u  service-address   host[:port], [IPv6]:port\n"
       "  --sctp-service    service-address   host[:port], [IPv6]:port\n"
       "  --fwmark-service|-f fwmark          read, then refused: fulcrumd has no fwmark services\n"
       "\n"
       "Options:\n"
       "  --scheduler    -s scheduler         rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh|twos|conhash|none,\n"
       "                                      wlc by default\n"
       "  --persistent   -p [timeout]         persistent service (360 s without a value)\n"
       "  --netmask      -M netmask           persistence granularity (IPv4 netmask, IPv6 prefix length)\n"
       "  --sched-flags  -b flags             scheduler flags, comma-separated (-A/-E): flag-1|flag-2|flag-3,\n"
       "                                      sh-fallback|sh-port with sh, mh-fallback|mh-port with mh\n"
       "  --ops          -o                   one-packet scheduling (UDP)\n"
       "  --real-server  -r server-address    host[:port] (the service's port without one)\n"
       "  --gatewaying   -g                   direct routing (the default)\n"
       "  --ipip         -i                   IPIP tunnelling (--tun-type ipip)\n"
       "  --masquerading -m                   NAT\n"
       "  --weight       -w weight            the real server's share of new connections (1)\n"
       "  --u-threshold  -x uthreshold        upper connection threshold\n"
       "  --l-threshold  -y lthreshold        lower connection threshold\n"
       "  --connection   -c                   list the connections\n"
       "  --timeout                           list the timeouts (tcp tcpfin udp)\n"
       "  --daemon                            list the sync daemons\n"
       "  --stats                             list with traffic counters\n"
       "  --rate                              list with rates\n"
       "  --exact                             numbers unscaled\n"
       "  --thresholds                        list with thresholds\n"
       "  --persistent-conn                   list with persistence templates\n"
       "  --tun-info                          list with tunnel types\n"
       "  --nosort                            list in the daemon's order\n"
       "  --sort                              does nothing (the default), for old scripts\n"
       "  --numeric      -n                   addresses and ports as numbers\n"
       "  --mcast-interface interface         sync daemon interface (eth0)\n"
       "  --syncid sid                        sync daemon id (0-255)\n"
       "\n"
       "Fulcrum's extensions:\n"
       "  --fullnat      -b                   -a/-e: FullNAT forwarding (no value);\n"
       "                                      -A/-E: the service's real servers that ask for NAT run FullNAT\n"
       "  --add-laddr    -P                   add a local address to a service's FullNAT group (-z)\n"
       "  --del-laddr    -Q                   delete a local address from it (-z)\n"
       "  --get-laddr    -G                   list the local-address groups and their ports\n"
       "  --laddr        -z local-address     the local address of -P/-Q (IPv4 or IPv6)\n"
       "  --no-toa                            -A/-E: FullNAT sends no TOA option (client address) to real servers\n"
       "  --fullnat-conn                      -L -c: add the local address column\n"
       "  --counters                          the dataplane's IPVS counters\n"
       "  --per-worker                        --counters, -G: each worker's share too\n"
       "  --list-bindings                     the VIP bindings ([[vip_binding]]) new services take\n"
       "  --list-snat                         the SNAT rules ([[snat]]) and their pools\n"
       "The control socket is $FULCRUM_CTRL_SOCKET, or /run/fulcrum/ctrl.sock.\n";
  return s;
}

}  // namespace fulcrum::ipvsadm
