//! Running statistics over every ingested message (evicted ones included):
//! rates per second of capture time, per protocol, top senders, errors, and
//! the ports and multicast groups seen in traffic. Every table is capped.
//!
//! A multicast no socket was subscribed to (the kernel answers `-ESRCH`) is
//! not an error: it is counted apart, as `no_listener`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::store::Stored;

/// Seconds of history kept for rate sparklines.
pub const HISTORY_SECONDS: usize = 120;
/// Distinct (pid, comm) senders tracked; later ones are counted as `other`.
pub const MAX_SENDERS: usize = 4096;
/// Distinct (protocol, port) pairs tracked.
pub const MAX_PORTS: usize = 16_384;
/// Distinct (protocol, group) pairs tracked.
pub const MAX_GROUPS: usize = 4096;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProtocolStats {
    pub messages: u64,
    pub bytes: u64,
    pub errors: u64,
    /// Multicasts nobody listened to.
    pub no_listener: u64,
    /// (second, count) of the two newest seconds seen on this protocol.
    current: (u64, u64),
    previous: (u64, u64),
}

impl ProtocolStats {
    /// Messages in the newest complete second (or the only one so far).
    pub fn rate(&self, now_second: u64) -> u64 {
        rate_from(self.current, self.previous, now_second)
    }
}

fn rate_from(current: (u64, u64), previous: (u64, u64), now: u64) -> u64 {
    if current.0 + 1 == now || (current.0 == now && previous == (0, 0)) {
        current.1
    } else if current.0 == now && previous.0 + 1 == now {
        previous.1
    } else {
        0
    }
}

/// A port seen in traffic: who used it and how much.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortSeen {
    pub pid: u32,
    pub comm: String,
    pub sent: u64,
    pub received: u64,
    pub last_wall_ns: u64,
}

/// A multicast group seen in traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupSeen {
    pub messages: u64,
    pub bytes: u64,
    pub last_comm: String,
    pub last_pid: u32,
    pub last_wall_ns: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total: u64,
    pub bytes: u64,
    /// Failed deliveries and NLMSG_ERRORs with an error code, multicasts
    /// nobody listened to left out.
    pub errors: u64,
    /// Multicasts no socket was subscribed to (delivered to nobody, `-ESRCH`).
    pub no_listener: u64,
    /// Messages of which only the first bytes were captured.
    pub cut: u64,
    pub per_protocol: BTreeMap<u32, ProtocolStats>,
    pub senders: HashMap<(u32, String), u64>,
    /// Messages from senders beyond [`MAX_SENDERS`].
    pub other_senders: u64,
    /// Errors by errno (delivery failures and NLMSG_ERROR codes, positive;
    /// not the multicasts nobody listened to).
    pub errnos: BTreeMap<i64, u64>,
    /// (second of CLOCK_MONOTONIC, messages), oldest first, at most HISTORY_SECONDS.
    pub seconds: VecDeque<(u64, u64)>,
    /// Keyed by (protocol, port); port 0 is the kernel.
    pub ports: HashMap<(u32, u32), PortSeen>,
    /// Keyed by (protocol, group).
    pub groups: BTreeMap<(u32, u32), GroupSeen>,
}

/// True for a multicast no socket was subscribed to: the kernel's broadcast
/// found no listener (`-ESRCH`). Nothing went wrong; nobody heard it.
pub fn no_listener(event: &Stored) -> bool {
    let m = &event.message;
    m.dst_group != 0 && m.result == Some(-i64::from(libc::ESRCH)) && event.errno.is_none()
}

impl Stats {
    pub fn record(&mut self, event: &Stored) {
        let m = &event.message;
        let second = m.ts_mono_ns / 1_000_000_000;
        self.total += 1;
        self.bytes += u64::from(m.len);
        self.cut += u64::from(m.is_truncated());
        let unheard = no_listener(event);
        self.no_listener += u64::from(unheard);
        let error = event.is_error() && !unheard;
        if error {
            self.errors += 1;
            let errno = match m.result {
                Some(r) if r < 0 => -r,
                _ => event.errno.unwrap_or(0),
            };
            *self.errnos.entry(errno).or_default() += 1;
        }

        let p = self.per_protocol.entry(m.protocol).or_default();
        p.messages += 1;
        p.bytes += u64::from(m.len);
        p.errors += u64::from(error);
        p.no_listener += u64::from(unheard);
        if p.current.0 == second && p.current.1 > 0 {
            p.current.1 += 1;
        } else if second > p.current.0 || p.current.1 == 0 {
            p.previous = p.current;
            p.current = (second, 1);
        } else if p.previous.0 == second {
            p.previous.1 += 1;
        }

        match self.seconds.back_mut() {
            Some((s, n)) if *s == second => *n += 1,
            Some((s, _)) if *s > second => {
                if let Some(slot) = self.seconds.iter_mut().rev().find(|(s, _)| *s == second) {
                    slot.1 += 1;
                }
            }
            _ => {
                self.seconds.push_back((second, 1));
                while self.seconds.len() > HISTORY_SECONDS {
                    self.seconds.pop_front();
                }
            }
        }

        let key = (m.pid, m.comm.to_string());
        if let Some(n) = self.senders.get_mut(&key) {
            *n += 1;
        } else if self.senders.len() < MAX_SENDERS {
            self.senders.insert(key, 1);
        } else {
            self.other_senders += 1;
        }

        // A port the capture does not give (another tool's file) is left out:
        // counting it as port 0 would credit the kernel.
        if let Some(src_port) = m.src_port {
            if let Some(port) = self.port_entry((m.protocol, src_port)) {
                port.sent += 1;
                port.last_wall_ns = m.ts_wall_ns;
                if src_port != 0 {
                    port.pid = m.pid;
                    m.comm.as_str().clone_into(&mut port.comm);
                }
            }
        }
        if m.dst_group == 0 {
            if let Some(port) = m
                .dst_port
                .and_then(|dst_port| self.port_entry((m.protocol, dst_port)))
            {
                port.received += 1;
                port.last_wall_ns = m.ts_wall_ns;
            }
        } else {
            let key = (m.protocol, m.dst_group);
            if self.groups.len() < MAX_GROUPS || self.groups.contains_key(&key) {
                let group = self.groups.entry(key).or_default();
                group.messages += 1;
                group.bytes += u64::from(m.len);
                group.last_pid = m.pid;
                m.comm.as_str().clone_into(&mut group.last_comm);
                group.last_wall_ns = m.ts_wall_ns;
            }
        }
    }

    /// The entry of port `key` (protocol, port), unless the table is full
    /// and the port is new.
    fn port_entry(&mut self, key: (u32, u32)) -> Option<&mut PortSeen> {
        if self.ports.len() < MAX_PORTS || self.ports.contains_key(&key) {
            Some(self.ports.entry(key).or_default())
        } else {
            None
        }
    }

    /// The newest second seen (CLOCK_MONOTONIC seconds).
    pub fn newest_second(&self) -> Option<u64> {
        self.seconds.back().map(|(s, _)| *s)
    }

    /// Messages per second: the newest complete second, or the only one so far.
    pub fn rate(&self) -> u64 {
        match self.seconds.len() {
            0 => 0,
            1 => self.seconds[0].1,
            n => {
                let (last, _) = self.seconds[n - 1];
                let (before, count) = self.seconds[n - 2];
                if before + 1 == last {
                    count
                } else {
                    0
                }
            }
        }
    }

    /// Messages in each of the last `n` seconds, oldest first, gaps as zeros.
    pub fn history(&self, n: usize) -> Vec<u64> {
        let Some(newest) = self.newest_second() else {
            return vec![0; n];
        };
        let mut out = vec![0u64; n];
        for (second, count) in &self.seconds {
            let age = newest - second;
            if (age as usize) < n {
                out[n - 1 - age as usize] = *count;
            }
        }
        out
    }

    /// Messages per second on `protocol`, like [`Stats::rate`].
    pub fn protocol_rate(&self, protocol: u32) -> u64 {
        let now = self.newest_second().unwrap_or(0);
        self.per_protocol
            .get(&protocol)
            .map(|p| p.rate(now))
            .unwrap_or(0)
    }

    /// The `n` busiest senders, busiest first (ties by pid).
    pub fn top_senders(&self, n: usize) -> Vec<(u32, String, u64)> {
        let mut all: Vec<(u32, String, u64)> = self
            .senders
            .iter()
            .map(|((pid, comm), count)| (*pid, comm.clone(), *count))
            .collect();
        all.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        all.truncate(n);
        all
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{corpus, Store};

    #[test]
    fn stats_count_protocols_senders_and_errors() {
        let mut store = Store::new(100);
        store.ingest(corpus::messages());
        let stats = store.stats();
        assert_eq!(stats.total, 10);
        assert_eq!(stats.per_protocol[&0].messages, 5);
        assert_eq!(stats.per_protocol[&30].messages, 2);
        assert_eq!(stats.errors, 2);
        assert_eq!(stats.errnos.get(&19), Some(&1));
        assert_eq!(stats.errnos.get(&111), Some(&1));
        let top = stats.top_senders(2);
        assert_eq!(top[0], (1234, "ip".to_string(), 3));
        assert_eq!(stats.groups[&(0, 1)].messages, 1);
        assert_eq!(stats.ports[&(30, 4242)].comm, "nl_client");
        assert_eq!(stats.ports[&(30, 4242)].sent, 1);
        assert_eq!(stats.ports[&(30, 4242)].received, 1);
        assert_eq!(stats.cut, 0);
        store.ingest([corpus::cut_message()]);
        assert_eq!(store.stats().cut, 1);
    }

    #[test]
    fn a_multicast_nobody_heard_is_counted_apart_not_as_an_error() {
        let link = corpus::nlmsg(16, 0, 0, 0, &corpus::link_body(7, 0, "dummy7", 1500));
        let esrch = -i64::from(libc::ESRCH);
        let mut store = Store::new(100);
        store.ingest([
            // A link multicast to a group no socket is in.
            corpus::message(10, 0, "ip", 0, 0, 0, 1, link.clone(), Some(esrch)),
            // The same error on a unicast is one (no such process).
            corpus::message(20, 9, "x", 0, 9, 77, 0, link.clone(), Some(esrch)),
            corpus::message(30, 0, "ip", 0, 0, 0, 1, link, Some(52)),
        ]);
        let stats = store.stats();
        assert_eq!((stats.no_listener, stats.errors), (1, 1));
        assert_eq!(stats.errnos.get(&3), Some(&1), "only the unicast");
        let route = &stats.per_protocol[&0];
        assert_eq!((route.no_listener, route.errors), (1, 1));
        let kinds: Vec<bool> = store.iter().map(|e| super::no_listener(&e)).collect();
        assert_eq!(kinds, [true, false, false]);
    }

    #[test]
    fn rates_use_capture_time() {
        let mut store = Store::new(100);
        // 50,000 messages per second of capture time, over 3 seconds.
        store.ingest(corpus::stream(150_000));
        let stats = store.stats();
        assert_eq!(stats.rate(), 50_000);
        let history = stats.history(5);
        assert_eq!(history, vec![0, 0, 50_000, 50_000, 50_000]);
        assert_eq!(stats.protocol_rate(30), 10_000);
    }
}
