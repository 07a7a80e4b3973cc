// A connection's life (conn_life.cpp, and conn_path.cpp's forward) on a connection core built without the
// daemon: made for a SYN on a local port, bound to its real server's counters, moved through the TCP states
// with the timer re-armed for each, and released by its timer with everything given back.

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include "dataplane_test_util.hpp"

using namespace fulcrum::ipvs;
using namespace fulcrum::ipvs::dptest;
using Access = fulcrum::ipvs::DataplaneTestAccess;

namespace {

Spec from_client(const Endpoints& e, uint8_t proto, uint8_t flags) {
  Spec s = client_to_vip(e, proto);
  s.flags = flags;
  if (proto == IPPROTO_TCP && (flags & kTcpSyn)) s.tcp_opts = linux_syn_opts();
  return s;
}

Spec from_server(const Endpoints& e, uint8_t proto, uint8_t flags) {
  Spec s = server_to_laddr(e, proto);
  s.flags = flags;
  return s;
}

// Ticks until `c` expires (its timer may fire before, and re-arm for the rest).
uint32_t armed_for(const Core& core, const Conn& c) {
  REQUIRE(c.timer.armed());
  return core.dp->ticks_left(core.L, c);
}

// A TCP connection of `e` to `svc` opened by the client's SYN (and, when `established`, its ACK).
Conn* open_tcp(Core& core, WorkerService& svc, const Endpoints& e, bool established) {
  Pkt syn = packet(from_client(e, IPPROTO_TCP, kTcpSyn));
  Conn* c = Access::create(*core.dp, core.L, svc, 0, syn.k, syn.m.get());
  REQUIRE(c != nullptr);
  REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, syn.m.get(), syn.v));
  if (established) {
    Pkt ack = packet(from_client(e, IPPROTO_TCP, kTcpAck));
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, ack.m.get(), ack.v));
  }
  return c;
}

}  // namespace

TEST_CASE("conn life: a SYN to a FullNAT service makes a connection on one of the worker's local ports") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    Core core;
    Endpoints e = endpoints(family);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    Pkt syn = packet(from_client(e, IPPROTO_TCP, kTcpSyn));
    Conn* c = Access::create(*core.dp, core.L, svc, 0, syn.k, syn.m.get());
    REQUIRE(c != nullptr);
    CHECK(std::memcmp(c->caddr, e.caddr.data(), 16) == 0);
    CHECK(std::memcmp(c->vaddr, e.vaddr.data(), 16) == 0);
    CHECK(std::memcmp(c->daddr, e.daddr.data(), 16) == 0);
    CHECK(std::memcmp(c->laddr, e.laddr.data(), 16) == 0);
    CHECK(c->cport == htons(e.cport));
    CHECK(c->vport == htons(e.vport));
    CHECK(c->dport == htons(e.dport));
    const uint16_t lport = ntohs(c->lport);  // network order in the connection
    CHECK(lport >= 2000);
    CHECK(lport <= 2003);
    CHECK(c->family == family);
    CHECK(c->proto == IPPROTO_TCP);
    CHECK(c->state == static_cast<uint8_t>(TcpState::none));
    CHECK(c->flags == kConnBound);
    CHECK(c->service == svc.slot);
    CHECK(c->svc_uid == svc.uid);
    CHECK(c->dest == 0);
    CHECK(c->dest_uid == 901);
    CHECK(c->laddr_id == core.laddr_id());
    CHECK(c->forward == static_cast<uint8_t>(ForwardMethod::fullnat));
    // Found by either direction's key: the client's packets, and the real server's replies to lport.
    ConnDir dir;
    CHECK(core.L.conns->lookup(syn.k, &dir) == c);
    CHECK(dir == ConnDir::in);
    e.lport = lport;
    Pkt rep = packet(from_server(e, IPPROTO_TCP, kTcpSyn | kTcpAck));
    CHECK(core.L.conns->lookup(rep.k, &dir) == c);
    CHECK(dir == ConnDir::out);
    // Bound: the port taken, the dest's inactive count and the service's connection count up.
    CHECK(core.ports.free_ports(core.laddr_id()) == 3);
    CHECK(svc.dests[0].inactconns == 1);
    CHECK(svc.dests[0].activeconns == 0);
    CHECK(svc.stats.conns.load() == 1);
    CHECK(svc.extra[0].stats.conns.load() == 1);
    CHECK(ctr(core.L, DpCtr::conn_created) == 1);
  }
}

TEST_CASE("conn life: the handshake makes it active, FIN inactive, and each state arms its own timeout") {
  for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
    INFO("family " << int(family));
    Core core;
    Endpoints e = endpoints(family);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    Pkt syn = packet(from_client(e, IPPROTO_TCP, kTcpSyn));
    Conn* c = Access::create(*core.dp, core.L, svc, 0, syn.k, syn.m.get());
    REQUIRE(c != nullptr);
    e.lport = ntohs(c->lport);
    const uint32_t syn_len = syn.m->pkt_len;
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, syn.m.get(), syn.v));
    CHECK(c->state == static_cast<uint8_t>(TcpState::syn_recv));
    CHECK(armed_for(core, *c) == core.dp->ticks(60));
    // The packet left as FullNAT sends it, TOA included.
    const Decoded d = decode(bytes_of(syn.m.get()));
    CHECK(d.dst == e.daddr);
    CHECK(d.sport == e.lport);
    CHECK(find_option(d.tcp_opts, 254).size() == (family == 4 ? 8u : 20u));
    CHECK(d.csum == d.ref_csum);
    // Bytes count as they arrived.
    CHECK(svc.stats.inbytes.load() == syn_len);

    Pkt synack = packet(from_server(e, IPPROTO_TCP, kTcpSyn | kTcpAck));
    synack.v.tcp_flags = kTcpSyn | kTcpAck;
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::out, synack.m.get(), synack.v));
    CHECK(c->state == static_cast<uint8_t>(TcpState::syn_recv));
    CHECK(svc.stats.outpkts.load() == 1);

    Pkt ack = packet(from_client(e, IPPROTO_TCP, kTcpAck));
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, ack.m.get(), ack.v));
    CHECK(c->state == static_cast<uint8_t>(TcpState::established));
    CHECK((c->flags & kConnActive) != 0);
    CHECK(svc.dests[0].activeconns == 1);
    CHECK(svc.dests[0].inactconns == 0);
    CHECK(armed_for(core, *c) == core.dp->ticks(core.settings.tcp_s()));

    // ipvsadm --set applies to the next packet.
    REQUIRE(core.settings.set_timeouts({100, 0, 0}).ok());
    Pkt data = packet(from_client(e, IPPROTO_TCP, kTcpAck | 0x08));
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, data.m.get(), data.v));
    CHECK(armed_for(core, *c) == core.dp->ticks(100));

    Pkt fin = packet(from_client(e, IPPROTO_TCP, kTcpFin | kTcpAck));
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, fin.m.get(), fin.v));
    CHECK(c->state == static_cast<uint8_t>(TcpState::close_wait));
    CHECK((c->flags & kConnActive) == 0);
    CHECK(svc.dests[0].activeconns == 0);
    CHECK(svc.dests[0].inactconns == 1);
    CHECK(armed_for(core, *c) == core.dp->ticks(60));

    Pkt fin2 = packet(from_server(e, IPPROTO_TCP, kTcpFin | kTcpAck));
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::out, fin2.m.get(), fin2.v));
    CHECK(c->state == static_cast<uint8_t>(TcpState::time_wait));
    CHECK(armed_for(core, *c) == core.dp->ticks(120));
    CHECK(svc.stats.inpkts.load() == 4);
    CHECK(svc.stats.outpkts.load() == 2);
  }
}

TEST_CASE("conn life: the timer releases the connection and gives back its port and counters") {
  for (bool established : {false, true}) {
    INFO((established ? "established" : "half open"));
    Core core;
    Endpoints e = endpoints(4);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    Conn* c = open_tcp(core, svc, e, established);
    const FlowKey key = c->key(ConnDir::in);
    if (established) REQUIRE(svc.dests[0].activeconns == 1);
    const uint32_t due = c->timer.expires;
    core.wheel.advance(due - 1);
    CHECK(core.L.conns->size() == 1);
    core.wheel.advance(due);
    CHECK(ctr(core.L, DpCtr::conn_expired) == 1);
    CHECK(core.L.conns->size() == 0);
    CHECK(core.wheel.size() == 0);
    CHECK(core.ports.free_ports(core.laddr_id()) == 4);
    CHECK(svc.dests[0].activeconns == 0);
    CHECK(svc.dests[0].inactconns == 0);
    ConnDir dir;
    CHECK(core.L.conns->lookup(key, &dir) == nullptr);
    // The port can be taken again, four times.
    for (uint16_t i = 0; i < 4; ++i) {
      Spec s = from_client(e, IPPROTO_TCP, kTcpSyn);
      s.sport = static_cast<uint16_t>(50000 + i);
      Pkt p = packet(s);
      CHECK(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) != nullptr);
    }
  }
}

TEST_CASE("conn life: a connection expires one timeout after its last packet, its timer moved only lazily") {
  Core core;
  Endpoints e = endpoints(4);
  WorkerService& svc = core.add_service(e, IPPROTO_TCP);
  Conn* c = open_tcp(core, svc, e, true);
  const uint32_t timeout = core.dp->ticks(core.settings.tcp_s());
  const uint32_t first_due = c->timer.expires;
  // Half a timeout later a packet comes: the deadline moves, the timer does not (no relinking per packet).
  core.wheel.advance(core.wheel.now() + timeout / 2);
  Pkt data = packet(from_client(e, IPPROTO_TCP, kTcpAck | 0x08));
  REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, data.m.get(), data.v));
  CHECK(c->timer.expires == first_due);
  const uint32_t last = core.wheel.now();
  CHECK(armed_for(core, *c) == timeout);
  // At the first deadline the timer fires, finds the packet, and re-arms for the rest.
  core.wheel.advance(first_due);
  CHECK(core.L.conns->size() == 1);
  CHECK(ctr(core.L, DpCtr::conn_expired) == 0);
  CHECK(c->timer.expires == last + timeout);
  core.wheel.advance(last + timeout - 1);
  CHECK(core.L.conns->size() == 1);
  core.wheel.advance(last + timeout);
  CHECK(core.L.conns->size() == 0);
  CHECK(ctr(core.L, DpCtr::conn_expired) == 1);
}

TEST_CASE("conn life: a UDP flow lives for the UDP timeout") {
  Core core;
  Endpoints e = endpoints(6);
  WorkerService& svc = core.add_service(e, IPPROTO_UDP);
  Pkt p = packet(from_client(e, IPPROTO_UDP, 0));
  Conn* c = Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get());
  REQUIRE(c != nullptr);
  REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, p.m.get(), p.v));
  CHECK(armed_for(core, *c) == core.dp->ticks(core.settings.udp_s()));
  const Decoded d = decode(bytes_of(p.m.get()));
  CHECK(d.dst == e.daddr);
  CHECK(d.csum == d.ref_csum);
}

TEST_CASE("conn life: a connection whose real server or service went away counts nothing of another's") {
  for (bool same_service : {true, false}) {
    INFO((same_service ? "the dest replaced" : "the service re-created"));
    Core core;
    Endpoints e = endpoints(4);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    Pkt syn = packet(from_client(e, IPPROTO_TCP, kTcpSyn));
    Conn* c = Access::create(*core.dp, core.L, svc, 0, syn.k, syn.m.get());
    REQUIRE(c != nullptr);
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, syn.m.get(), syn.v));
    // A new copy in the same slot: index 0 is now another real server (another uid) with its own counters.
    auto next = std::make_unique<WorkerService>(1);
    next->key = svc.key;
    next->slot = svc.slot;
    next->uid = same_service ? svc.uid : svc.uid + 1;
    next->forward = svc.forward;
    next->laddr_ids = svc.laddr_ids;
    next->dests[0].id = svc.dests[0].id;
    next->dests[0].id.port = htons(9999);
    next->dests[0].inactconns = 5;
    next->dests[0].activeconns = 7;
    next->extra[0].forward = ForwardMethod::fullnat;
    next->extra[0].uid = 902;
    WorkerService* old = nullptr;
    REQUIRE(core.services.install(svc.slot, next.get(), &old));
    // A packet moves it to ESTABLISHED: nobody's counters move.
    Pkt ack = packet(from_client(e, IPPROTO_TCP, kTcpAck));
    REQUIRE(Access::forward(*core.dp, core.L, *c, ConnDir::in, ack.m.get(), ack.v));
    CHECK(next->dests[0].inactconns == 5);
    CHECK(next->dests[0].activeconns == 7);
    core.wheel.advance(c->timer.expires);
    CHECK(ctr(core.L, DpCtr::conn_expired) == 1);
    CHECK(next->dests[0].inactconns == 5);
    CHECK(next->dests[0].activeconns == 7);
    CHECK(core.ports.free_ports(core.laddr_id()) == 4);  // the port comes back all the same
    core.services.install(svc.slot, nullptr, &old);
  }
}

TEST_CASE("conn life: refusals give back what they took, and count why") {
  Endpoints e = endpoints(4);
  auto syn_from = [&](uint16_t port) {
    Spec s = from_client(e, IPPROTO_TCP, kTcpSyn);
    s.sport = port;
    return packet(s);
  };
  SECTION("no local address in the service's group") {
    Core core;
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    svc.laddr_ids.clear();
    Pkt p = syn_from(1);
    CHECK(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) == nullptr);
    CHECK(ctr(core.L, DpCtr::no_laddr) == 1);
    CHECK(core.L.conns->size() == 0);
  }
  SECTION("every local port in use") {
    Core core;
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    for (uint16_t i = 0; i < 4; ++i) {
      Pkt p = syn_from(static_cast<uint16_t>(100 + i));
      REQUIRE(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) != nullptr);
    }
    Pkt p = syn_from(200);
    CHECK(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) == nullptr);
    CHECK(ctr(core.L, DpCtr::laddr_exhausted) == 1);
    CHECK(core.L.conns->size() == 4);
  }
  SECTION("the connection table full") {
    Core core(/*conn_max=*/2);
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    for (uint16_t i = 0; i < 2; ++i) {
      Pkt p = syn_from(static_cast<uint16_t>(100 + i));
      REQUIRE(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) != nullptr);
    }
    Pkt p = syn_from(200);
    CHECK(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) == nullptr);
    CHECK(ctr(core.L, DpCtr::conn_table_full) == 1);
    CHECK(core.ports.free_ports(core.laddr_id()) == 2);  // the third port went back
    CHECK(svc.dests[0].inactconns == 2);
  }
  SECTION("the same flow twice") {
    Core core;
    WorkerService& svc = core.add_service(e, IPPROTO_TCP);
    Pkt p = syn_from(100);
    REQUIRE(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) != nullptr);
    CHECK(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) == nullptr);
    CHECK(ctr(core.L, DpCtr::conn_insert_failed) == 1);
    CHECK(core.ports.free_ports(core.laddr_id()) == 3);
    CHECK(core.L.conns->size() == 1);
    CHECK(svc.dests[0].inactconns == 1);
  }
  SECTION("a forwarding method without a module") {
    Core core;
    // Every ForwardMethod has its module now (issue 6): the kernel's LOCALNODE value (1) has none.
    WorkerService& svc = core.add_service(e, IPPROTO_TCP, true, static_cast<ForwardMethod>(1));
    Pkt p = syn_from(100);
    CHECK(Access::create(*core.dp, core.L, svc, 0, p.k, p.m.get()) == nullptr);
    CHECK(ctr(core.L, DpCtr::unsupported_forward) == 1);
    CHECK(core.ports.free_ports(core.laddr_id()) == 4);
  }
}
