//! A real authoritative DNS server on loopback for tests (hickory-server over UDP and TCP): one
//! zone whose TXT records a test sets and changes while the server runs.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hickory_server::proto::rr::rdata::{SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordType, RrKey};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};
use hickory_server::Server;

/// A running DNS server authoritative for one zone.
pub struct DnsStub {
    /// Where it listens (UDP and TCP on the same port).
    pub addr: SocketAddr,
    zone: Arc<InMemoryZoneHandler>,
    _server: Server<Catalog>,
}

fn name(s: &str) -> Name {
    Name::from_str(&format!("{}.", s.trim_end_matches('.'))).expect("a valid DNS name")
}

impl DnsStub {
    /// Starts a server for `zone` (e.g. `ledger.example`) on a free loopback port.
    pub async fn start(zone: &str) -> DnsStub {
        let origin = name(zone);
        let mut handler =
            InMemoryZoneHandler::empty(origin.clone(), ZoneType::Primary, AxfrPolicy::Deny);
        let soa = SOA::new(
            name(&format!("ns.{zone}")),
            name(&format!("hostmaster.{zone}")),
            1,
            3600,
            600,
            86_400,
            60,
        );
        handler.upsert_mut(Record::from_rdata(origin.clone(), 60, RData::SOA(soa)), 1);
        let handler = Arc::new(handler);
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&origin), vec![handler.clone()]);
        // The resolver asks over UDP and falls back to TCP on the same port; a free UDP port
        // may be taken for TCP by another test, so look until one is free for both.
        let (udp, tcp, addr) = 'free: {
            for _ in 0..64 {
                let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
                    .await
                    .expect("bind UDP");
                let addr = udp.local_addr().expect("local address");
                if let Ok(tcp) = tokio::net::TcpListener::bind(addr).await {
                    break 'free (udp, tcp, addr);
                }
            }
            panic!("no loopback port free for both UDP and TCP");
        };
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 8);
        DnsStub {
            addr,
            zone: handler,
            _server: server,
        }
    }

    /// The `mail.dns_resolver` value that points at this server.
    pub fn resolver(&self) -> String {
        self.addr.to_string()
    }

    /// Replaces the TXT records at `owner` (a full name) with `values`; none removes them.
    pub async fn set_txt(&self, owner: &str, values: &[&str]) {
        let owner = name(owner);
        self.zone
            .records_mut()
            .await
            .remove(&RrKey::new(LowerName::new(&owner), RecordType::TXT));
        for value in values {
            // A TXT character-string holds 255 bytes; long values (DKIM keys) are split, as
            // DNS providers do.
            let parts = value
                .as_bytes()
                .chunks(255)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let record = Record::from_rdata(owner.clone(), 60, RData::TXT(TXT::new(parts)));
            assert!(self.zone.upsert(record, 1).await, "TXT record stored");
        }
    }
}
