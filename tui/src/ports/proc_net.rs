//! `/proc/net/netlink`: one line per netlink socket of the reader's network
//! namespace.
//!
//! The kernel prints (net/netlink/af_netlink.c, `netlink_seq_show`):
//! `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode`, that is the socket
//! address (zero for readers without CAP_SYSLOG), protocol, port id, the first
//! 32 group bits in hex, receive and send memory, whether a dump is running,
//! the reference count, dropped messages and the socket inode.

use serde::Serialize;

pub const PROC_NET_NETLINK: &str = "/proc/net/netlink";

/// One line of `/proc/net/netlink`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcEntry {
    pub sk: u64,
    pub protocol: u32,
    pub portid: u32,
    /// Groups 1 to 32 only (bit n-1 = group n).
    pub groups32: u32,
    pub rmem: i64,
    pub wmem: i64,
    pub dump: i64,
    pub locks: i64,
    pub drops: u64,
    pub inode: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcLineError {
    #[error("expected 10 columns, found {0}")]
    Columns(usize),
    #[error("column {column}: {value:?} is not a valid number")]
    Number { column: &'static str, value: String },
}

const COLUMNS: [&str; 10] = [
    "sk", "Eth", "Pid", "Groups", "Rmem", "Wmem", "Dump", "Locks", "Drops", "Inode",
];

/// Parses one data line (not the header).
pub fn parse_line(line: &str) -> Result<ProcEntry, ProcLineError> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() != COLUMNS.len() {
        return Err(ProcLineError::Columns(fields.len()));
    }
    fn bad(column: usize, value: &str) -> ProcLineError {
        ProcLineError::Number {
            column: COLUMNS[column],
            value: value.chars().take(32).collect(),
        }
    }
    let hex64 = |i: usize| u64::from_str_radix(fields[i], 16).map_err(|_| bad(i, fields[i]));
    let hex32 = |i: usize| u32::from_str_radix(fields[i], 16).map_err(|_| bad(i, fields[i]));
    let dec_u32 = |i: usize| fields[i].parse::<u32>().map_err(|_| bad(i, fields[i]));
    let dec_i64 = |i: usize| fields[i].parse::<i64>().map_err(|_| bad(i, fields[i]));
    let dec_u64 = |i: usize| fields[i].parse::<u64>().map_err(|_| bad(i, fields[i]));
    Ok(ProcEntry {
        sk: hex64(0)?,
        protocol: dec_u32(1)?,
        portid: dec_u32(2)?,
        groups32: hex32(3)?,
        rmem: dec_i64(4)?,
        wmem: dec_i64(5)?,
        dump: dec_i64(6)?,
        locks: dec_i64(7)?,
        drops: dec_u64(8)?,
        inode: dec_u64(9)?,
    })
}

/// Parses the whole file: entries, plus one message per line that could not
/// be read (line number and reason) so nothing is silently lost.
pub fn parse(text: &str) -> (Vec<ProcEntry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || (number == 0 && trimmed.starts_with("sk")) {
            continue;
        }
        match parse_line(trimmed) {
            Ok(entry) => entries.push(entry),
            Err(error) => problems.push(format!("{PROC_NET_NETLINK} line {}: {error}", number + 1)),
        }
    }
    (entries, problems)
}

/// Reads and parses `/proc/net/netlink`.
pub fn read() -> anyhow::Result<(Vec<ProcEntry>, Vec<String>)> {
    let text = std::fs::read_to_string(PROC_NET_NETLINK)
        .map_err(|e| anyhow::anyhow!("cannot read {PROC_NET_NETLINK}: {e}"))?;
    Ok(parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "\
sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
0000000083a0ad30 0   0          00000000 0        0        0     2        0        4       
00000000a06faed2 4   4189       00000011 832      0        1     2        7        565     
0000000000000000 16  2147483647 80000000 0        0        0     2        0        18446744073709551615
";

    #[test]
    fn parses_kernel_and_user_lines() {
        let (entries, problems) = parse(SAMPLE);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].sk, 0x83a0ad30);
        assert_eq!(entries[0].portid, 0);
        assert_eq!(entries[0].inode, 4);
        let user = &entries[1];
        assert_eq!(
            (
                user.protocol,
                user.portid,
                user.groups32,
                user.rmem,
                user.dump,
                user.drops
            ),
            (4, 4189, 0x11, 832, 1, 7)
        );
        assert_eq!(entries[2].groups32, 0x8000_0000);
        assert_eq!(entries[2].inode, u64::MAX);
    }

    #[test]
    fn reports_bad_lines_and_keeps_the_rest() {
        let text = "sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode\n\
                    garbage\n\
                    0 0 1 zz 0 0 0 2 0 9\n\
                    0 0 1 0 0 0 0 2 0 9\n";
        let (entries, problems) = parse(text);
        assert_eq!(entries.len(), 1);
        assert_eq!(problems.len(), 2);
        assert!(problems[0].contains("line 2"), "{problems:?}");
        assert!(problems[1].contains("Groups"), "{problems:?}");
    }

    proptest! {
        #[test]
        fn malformed_text_never_panics(text in "\\PC{0,400}") {
            let (entries, problems) = parse(&text);
            prop_assert!(entries.len() + problems.len() <= text.lines().count());
        }

        #[test]
        fn numeric_garbage_never_panics(fields in proptest::collection::vec("[0-9a-fx+-]{0,24}", 0..14)) {
            let _ = parse_line(&fields.join(" "));
        }

        #[test]
        fn printed_lines_parse_back(sk in any::<u64>(), protocol in 0u32..32, portid in any::<u32>(),
                                    groups in any::<u32>(), rmem in 0i64..1<<31, drops in any::<u32>(),
                                    inode in any::<u64>()) {
            let line = format!("{sk:016x} {protocol:<3} {portid:<10} {groups:08x} {rmem:<8} 0        0     2        {drops:<8} {inode:<8}");
            let entry = parse_line(&line).unwrap();
            prop_assert_eq!((entry.sk, entry.protocol, entry.portid, entry.groups32, entry.rmem, entry.drops, entry.inode),
                            (sk, protocol, portid, groups, rmem, u64::from(drops), inode));
        }
    }
}
