use super::*;

fn diag_entry(protocol: u32, portid: u32, inode: u32, groups: Vec<u32>) -> DiagEntry {
    DiagEntry {
        protocol,
        sock_type: 3,
        state: 7,
        portid,
        inode,
        groups,
        meminfo: Some(vec![832, 212992, 0, 212992, 0, 0, 0, 0, 4]),
        ..DiagEntry::default()
    }
}

fn proc_entry(protocol: u32, portid: u32, inode: u64, groups32: u32) -> ProcEntry {
    ProcEntry {
        sk: 0,
        protocol,
        portid,
        groups32,
        rmem: 64,
        wmem: 0,
        dump: 1,
        locks: 2,
        drops: 9,
        inode,
    }
}

#[test]
fn ports_merge_prefers_diag_and_keeps_proc_only_rows() {
    let mut owners = OwnerMap::default();
    owners.by_inode.insert(
        11,
        vec![Owner {
            pid: 42,
            comm: "daemon".into(),
            fds: vec![3],
        }],
    );
    let diag = [
        diag_entry(0, 0, 10, vec![]),
        diag_entry(0, 42, 11, vec![1, 5, 33]),
    ];
    let procs = [
        proc_entry(0, 0, 10, 0),
        proc_entry(0, 42, 11, 0x11),
        proc_entry(15, 7, 12, 0x2),
    ];
    let rows = merge(&diag, &procs, &owners, &GroupNames::default());
    assert_eq!(rows.len(), 3);
    let kernel = &rows[0];
    assert!(kernel.kernel);
    assert_eq!(kernel.port_label(), "kernel");
    let user = &rows[1];
    assert_eq!(user.port, 42);
    // netlink_diag's bitmap wins: it has group 33, which /proc cannot show.
    let names: Vec<&str> = user.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["RTNLGRP_LINK", "RTNLGRP_IPV4_IFADDR", "RTNLGRP_BRVLAN"]
    );
    assert_eq!((user.rmem, user.drops), (832, Some(4)));
    assert_eq!(user.dump_running, Some(true));
    assert_eq!(user.owners[0].comm, "daemon");
    assert_eq!(user.sources, ["netlink_diag", "proc"]);
    let proc_only = &rows[2];
    assert_eq!(proc_only.protocol_name, "kobject_uevent");
    assert_eq!(proc_only.groups[0].name, "udev");
    assert_eq!((proc_only.rmem, proc_only.drops), (64, Some(9)));
    assert_eq!(proc_only.sources, ["proc"]);
}

#[test]
fn ports_render_aligns_columns() {
    let mut owners = OwnerMap::default();
    owners.by_inode.insert(
        11,
        vec![Owner {
            pid: 42,
            comm: "daemon".into(),
            fds: vec![3],
        }],
    );
    let rows = merge(
        &[
            diag_entry(0, 0, 10, vec![]),
            diag_entry(0, 42, 11, vec![1]),
            diag_entry(30, 7, 12, vec![]),
        ],
        &[],
        &owners,
        &GroupNames::default(),
    );
    let table = PortTable {
        sockets: rows,
        notes: vec![],
        names: GroupNames::default(),
    };
    let text = table.render();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("PROTO"), "{text}");
    assert!(lines[1].starts_with("route         kernel  -"), "{text}");
    assert!(lines[2].contains("42/daemon  RTNLGRP_LINK"), "{text}");
    assert!(lines[3].starts_with("nlscope-demo  7"), "{text}");
    // The INODE column is right-aligned: every line has the same width.
    let width = lines[0].len();
    assert!(lines.iter().all(|l| l.len() == width), "{text}");
    let json = serde_json::to_value(&table).unwrap();
    assert_eq!(json["sockets"][1]["groups"][0]["name"], "RTNLGRP_LINK");
    assert_eq!(json["sockets"][1]["owners"][0]["pid"], 42);
}
