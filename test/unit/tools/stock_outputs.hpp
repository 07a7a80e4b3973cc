#pragma once
// What stock ipvsadm 1.31 (Debian 12's /usr/sbin/ipvsadm) printed for the tables built in
// ipvsadm_states.hpp: captured by running it with a test-only stand-in for the kernel's IPVS sockopts and
// /proc/net/ip_vs_conn that held the same services, real servers, counters and connections. Trailing blanks
// are part of the output (stock pads the last column).
//
// kStockFlagsLn/kStockFlagsSave hold one real server with forwarding method 5 (FullNAT), which stock
// prints as "(null)"; the tests replace it with Fulcrum's "FullNat" / "-b" (see doc/ipvsadm.md).

namespace fulcrum::ipvsadm::test {

constexpr const char* kStockLn = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.0.100:80 rr
  -> 198.18.1.2:80                Masq    5      3          7         
  -> 198.18.1.3:8080              Route   1      0          0         
TCP  200.0.0.1:443 mh
TCP  10.0.0.1:443 sh (sh-fallback,sh-port) persistent 300
UDP  198.18.0.101:53 wlc persistent 360 mask 255.255.255.0
  -> 198.18.1.4:53                Tunnel  0      0          0         
FWM  7 lc
)";
constexpr const char* kStockStats = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  198.18.0.100:80                    12     3456      789  123456K    9876M
  -> 198.18.1.2:80                      10     2000     1500  100000K  999999K
  -> 198.18.1.3:8080                     0        0        0        0        0
TCP  200.0.0.1:443                       0        0        0        0        0
TCP  10.0.0.1:443                        0        0        0        0        0
UDP  198.18.0.101:53                     0        0        0        0        0
  -> 198.18.1.4:53                       0        0        0        0        0
FWM  7                                   0        0        0        0        0
)";
constexpr const char* kStockRate = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS
  -> RemoteAddress:Port
TCP  198.18.0.100:80                     5       60       70     8000    90000
  -> 198.18.1.2:80                       1        2        3  4000000  705032K
  -> 198.18.1.3:8080                     0        0        0        0        0
TCP  200.0.0.1:443                       0        0        0        0        0
TCP  10.0.0.1:443                        0        0        0        0        0
UDP  198.18.0.101:53                     0        0        0        0        0
  -> 198.18.1.4:53                       0        0        0        0        0
FWM  7                                   0        0        0        0        0
)";
constexpr const char* kStockExact = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  198.18.0.100:80                    12     3456      789 123456789 9876543210
  -> 198.18.1.2:80                      10     2000     1500 100000000 999999999
  -> 198.18.1.3:8080                     0        0        0        0        0
TCP  200.0.0.1:443                       0        0        0        0        0
TCP  10.0.0.1:443                        0        0        0        0        0
UDP  198.18.0.101:53                     0        0        0        0        0
  -> 198.18.1.4:53                       0        0        0        0        0
FWM  7                                   0        0        0        0        0
)";
constexpr const char* kStockThresholds = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  198.18.0.100:80 rr
  -> 198.18.1.2:80                0          0          3          7         
  -> 198.18.1.3:8080              100        50         0          0         
TCP  200.0.0.1:443 mh
TCP  10.0.0.1:443 sh (sh-fallback,sh-port) persistent 300
UDP  198.18.0.101:53 wlc persistent 360 mask 255.255.255.0
  -> 198.18.1.4:53                0          0          0          0         
FWM  7 lc
)";
constexpr const char* kStockPersistentConn = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn 
  -> RemoteAddress:Port
TCP  198.18.0.100:80 rr
  -> 198.18.1.2:80                5         0           3          7         
  -> 198.18.1.3:8080              1         0           0          0         
TCP  200.0.0.1:443 mh
TCP  10.0.0.1:443 sh (sh-fallback,sh-port) persistent 300
UDP  198.18.0.101:53 wlc persistent 360 mask 255.255.255.0
  -> 198.18.1.4:53                0         2           0          0         
FWM  7 lc
)";
constexpr const char* kStockSave = R"(-A -t 198.18.0.100:80 -s rr
-a -t 198.18.0.100:80 -r 198.18.1.2:80 -m -w 5
-a -t 198.18.0.100:80 -r 198.18.1.3:8080 -g -w 1
-A -t 200.0.0.1:443 -s mh
-A -t 10.0.0.1:443 -s sh -p 300 -b sh-fallback,sh-port
-A -u 198.18.0.101:53 -s wlc -p 360 -M 255.255.255.0
-a -u 198.18.0.101:53 -r 198.18.1.4:53 -i -w 0 --tun-type ipip
-A -f 7 -s lc
)";
constexpr const char* kStockNosort = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.0.100:80 rr
  -> 198.18.1.2:80                Masq    5      3          7         
  -> 198.18.1.3:8080              Route   1      0          0         
UDP  198.18.0.101:53 wlc persistent 360 mask 255.255.255.0
  -> 198.18.1.4:53                Tunnel  0      0          0         
TCP  10.0.0.1:443 sh (sh-fallback,sh-port) persistent 300
TCP  200.0.0.1:443 mh
FWM  7 lc
)";
constexpr const char* kStockTunInfo = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn
TCP  198.18.0.100:80 rr
  -> 198.18.1.2:80                Masq    n/a           5      3          7         
  -> 198.18.1.3:8080              Route   n/a           1      0          0         
TCP  200.0.0.1:443 mh
TCP  10.0.0.1:443 sh (sh-fallback,sh-port) persistent 300
UDP  198.18.0.101:53 wlc persistent 360 mask 255.255.255.0
  -> 198.18.1.4:53                Tunnel  ipip          0      0          0         
FWM  7 lc
)";
constexpr const char* kStockOneService = R"(Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  198.18.0.100:80 rr
  -> 198.18.1.2:80                Masq    5      3          7         
  -> 198.18.1.3:8080              Route   1      0          0         
)";
constexpr const char* kStockFlagsLn = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  1.0.0.1:80 rr (flag-1,flag-2,flag-3)
TCP  1.0.0.2:80 sh (sh-fallback,sh-port)
TCP  1.0.0.3:80 mh (mh-fallback,mh-port) persistent 10
TCP  1.0.0.6:80 mh (mh-port)
TCP  1.0.0.7:0 wlc persistent 360
  -> 1.0.1.1:0                    Masq    65535  4294967295 0         
  -> 1.0.1.2:0                    Local   -1     0          0         
  -> 1.0.1.3:0                    (null)  1      0          0         
UDP  1.0.0.4:53 rr ops
UDP  1.0.0.5:53 rr persistent 20 mask 255.255.0.0 ops
)";
constexpr const char* kStockFlagsSave = R"(-A -t 1.0.0.1:80 -s rr -b flag-1,flag-2,flag-3
-A -t 1.0.0.2:80 -s sh -b sh-fallback,sh-port
-A -t 1.0.0.3:80 -s mh -p 10 -b mh-fallback,mh-port
-A -t 1.0.0.6:80 -s mh -b mh-port
-A -t 1.0.0.7:0 -s wlc -p 360
-a -t 1.0.0.7:0 -r 1.0.1.1:0 -m -w 65535
-a -t 1.0.0.7:0 -r 1.0.1.2:0 -g -w -1
-a -t 1.0.0.7:0 -r 1.0.1.3:0 (null) -w 1
-A -u 1.0.0.4:53 -s rr -o
-A -u 1.0.0.5:53 -s rr -p 20 -M 255.255.0.0 -o
)";
constexpr const char* kStockOpsLn = R"(IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  255.255.255.250:65535 wrr
  -> 255.255.255.251:65535        Masq    1      0          0         
UDP  1.0.0.4:53 rr (flag-1) persistent 30 mask 255.255.255.0 ops
  -> 1.0.1.1:53                   Tunnel  1      0          0         
)";
constexpr const char* kStockOpsSave = R"(-A -t 255.255.255.250:65535 -s wrr
-a -t 255.255.255.250:65535 -r 255.255.255.251:65535 -m -w 1
-A -u 1.0.0.4:53 -s rr -p 30 -M 255.255.255.0 -o -b flag-1
-a -u 1.0.0.4:53 -r 1.0.1.1:53 -i -w 1 --tun-type ipip
)";
constexpr const char* kStockConns = R"(IPVS connection entries
pro expire state       source             virtual            destination
TCP 14:59  ESTABLISHED 198.18.10.2:54321  198.18.0.100:80    198.18.1.2:80
UDP 04:59  UDP         198.18.10.2:53     198.18.0.101:53    198.18.1.4:53
TCP 00:59  SYN_RECV    10.0.0.1:8080      198.18.0.100:80    198.18.1.2:80
TCP 01:59  FIN_WAIT    [2001:db8::2]:54321 [2001:db8::100]:80 [2001:db8::1:2]:80
TCP 62:05  TIME_WAIT   198.18.10.2:54322  198.18.0.100:80    198.18.1.2:80
)";
constexpr const char* kStockConnsPersist = R"(IPVS connection entries
pro expire state       source             virtual            destination        pe name          pe_data
TCP 14:59  ESTABLISHED 198.18.10.2:54321  198.18.0.100:80    198.18.1.2:80
UDP 04:59  UDP         198.18.10.2:53     198.18.0.101:53    198.18.1.4:53
TCP 00:59  SYN_RECV    10.0.0.1:8080      198.18.0.100:80    198.18.1.2:80
TCP 01:59  FIN_WAIT    [2001:db8::2]:54321 [2001:db8::100]:80 [2001:db8::1:2]:80
TCP 62:05  TIME_WAIT   198.18.10.2:54322  198.18.0.100:80    198.18.1.2:80
)";

}  // namespace fulcrum::ipvsadm::test
