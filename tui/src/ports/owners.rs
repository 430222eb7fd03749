//! Which processes hold a socket: every `/proc/PID/fd/N` link reading
//! `socket:[INODE]` (the same scan `ss -p` and `lsof` do).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

/// A process holding a socket open.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct Owner {
    pub pid: u32,
    pub comm: String,
    /// The descriptors it holds the socket under.
    pub fds: Vec<u32>,
}

/// Socket inode -> owners (sorted by pid), and how many processes could not
/// be inspected (no permission, or gone during the scan).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnerMap {
    pub by_inode: BTreeMap<u64, Vec<Owner>>,
    pub unreadable: usize,
    pub scanned: usize,
}

/// The inode in a `socket:[INODE]` link target.
pub fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// Scans `proc_root` (normally `/proc`).
pub fn scan(proc_root: &Path) -> std::io::Result<OwnerMap> {
    let mut map = OwnerMap::default();
    for entry in std::fs::read_dir(proc_root)? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        map.scanned += 1;
        let dir = entry.path();
        let fds = match std::fs::read_dir(dir.join("fd")) {
            Ok(fds) => fds,
            Err(_) => {
                map.unreadable += 1;
                continue;
            }
        };
        let mut held: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for fd in fds.flatten() {
            let Some(number) = fd.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if let Some(inode) = target.to_str().and_then(socket_inode) {
                held.entry(inode).or_default().push(number);
            }
        }
        if held.is_empty() {
            continue;
        }
        let comm = std::fs::read_to_string(dir.join("comm"))
            .map(|c| c.trim_end_matches('\n').to_owned())
            .unwrap_or_default();
        for (inode, mut fds) in held {
            fds.sort_unstable();
            map.by_inode.entry(inode).or_default().push(Owner {
                pid,
                comm: comm.clone(),
                fds,
            });
        }
    }
    for owners in map.by_inode.values_mut() {
        owners.sort();
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[12345]"), Some(12345));
        assert_eq!(socket_inode("socket:[]"), None);
        assert_eq!(socket_inode("pipe:[12345]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn ports_owner_scan_finds_own_socket() {
        // A socket of this process must show up under our pid.
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        use std::os::fd::AsRawFd;
        let fd = socket.as_raw_fd() as u32;
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        let inode = socket_inode(link.to_str().unwrap()).unwrap();
        let map = scan(Path::new("/proc")).unwrap();
        let owners = &map.by_inode[&inode];
        assert!(owners
            .iter()
            .any(|o| o.pid == std::process::id() && o.fds.contains(&fd)));
    }

    proptest! {
        #[test]
        fn link_parser_never_panics(text in "\\PC{0,40}") {
            let _ = socket_inode(&text);
        }
    }
}
