//! The decoder on real clients' traffic, recorded in the guest by the
//! real-clients scenario (iproute2, iw on mac80211_hwsim, ethtool, wg, nft,
//! conntrack, auditctl, ... on Debian's 6.12): everything is named, and
//! nl80211 at least as well as tshark names it. The guest test checks the
//! same on a fresh recording.

#[path = "support/naming.rs"]
mod naming;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/real-clients.pcapng"
);

#[test]
fn real_clients_traffic_is_named() {
    naming::real_clients_are_named(std::path::Path::new(FIXTURE));
}
