//! The port table against the running kernel: sockets this test opens must
//! show up with the right protocol, port, groups and owner, and the whole
//! table must agree with `ss -f netlink` and `/proc/net/netlink`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use netlink_sys::protocols::{
    NETLINK_GENERIC, NETLINK_KOBJECT_UEVENT, NETLINK_ROUTE, NETLINK_USERSOCK,
};
use netlink_sys::{Socket, SocketAddr};
use nlscope::netlink::groups::groups_from_mask32;
use nlscope::ports::{genl, proc_net, GroupModel, PortEntry, PortTable};

fn own_comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .unwrap()
        .trim_end()
        .to_owned()
}

fn group_names(entry: &PortEntry) -> Vec<&str> {
    entry.groups.iter().map(|g| g.name.as_str()).collect()
}

fn owned_by_us(entry: &PortEntry) -> bool {
    entry
        .owners
        .iter()
        .any(|o| o.pid == std::process::id() && o.comm == own_comm())
}

/// Binds a usersock socket to a port id of our choosing (retrying on the
/// rare collision).
fn usersock_with_chosen_port() -> (Socket, u32) {
    let mut socket = Socket::new(NETLINK_USERSOCK).unwrap();
    let base = 0x4e00_0000 | (std::process::id() & 0x00ff_ffff);
    for offset in 0..64 {
        let port = base + offset * 0x0100_0000 % 0x3000_0000;
        if socket.bind(&SocketAddr::new(port, 0)).is_ok() {
            return (socket, port);
        }
    }
    panic!("no free usersock port id near {base:#x}");
}

#[test]
fn ports_table_lists_own_sockets() {
    // Route: groups 1 and 5 through bind's 32-bit mask, 33 (above 32, only
    // netlink_diag can show it) through NETLINK_ADD_MEMBERSHIP.
    let mut route = Socket::new(NETLINK_ROUTE).unwrap();
    route
        .bind(&SocketAddr::new(0, (1 << 0) | (1 << 4)))
        .unwrap();
    route.add_membership(33).unwrap();
    let mut route_addr = SocketAddr::new(0, 0);
    route.get_address(&mut route_addr).unwrap();
    let route_port = route_addr.port_number();

    let (usersock, user_port) = usersock_with_chosen_port();
    usersock.add_membership(3).unwrap();

    // Generic: subscribed to nlctrl's "notify" group, whose id nlctrl tells.
    let genl_groups = genl::resolve_groups().unwrap();
    let (&notify_id, _) = genl_groups
        .iter()
        .find(|(_, g)| g.family == "nlctrl" && g.name == "notify")
        .expect("nlctrl has a notify group");
    let mut generic = Socket::new(NETLINK_GENERIC).unwrap();
    let generic_addr = generic.bind_auto().unwrap();
    generic.add_membership(notify_id).unwrap();

    let table = PortTable::read().unwrap();
    eprintln!("{}", table.render());
    for note in &table.notes {
        eprintln!("note: {note}");
    }

    let row = table.by_port(0, route_port).expect("route socket listed");
    assert_eq!(row.protocol_name, "route");
    assert_eq!(
        group_names(row),
        ["RTNLGRP_LINK", "RTNLGRP_IPV4_IFADDR", "RTNLGRP_BRVLAN"]
    );
    assert!(owned_by_us(row), "{row:?}");
    assert_eq!(row.sources, ["netlink_diag", "proc"]);

    let row = table.by_port(2, user_port).expect("usersock socket listed");
    assert_eq!(row.protocol_name, "usersock");
    assert_eq!(row.port_label(), user_port.to_string());
    assert_eq!(group_names(row), ["3"]);
    assert!(owned_by_us(row), "{row:?}");

    let row = table
        .by_port(16, generic_addr.port_number())
        .expect("generic socket listed");
    assert_eq!(row.protocol_name, "generic");
    assert_eq!(group_names(row), ["nlctrl/notify"]);
    assert!(owned_by_us(row), "{row:?}");

    // Kernel sockets: port 0, no owner, shown as kernel.
    let kernel = table.by_port(0, 0).expect("the kernel's route socket");
    assert!(kernel.kernel && kernel.owners.is_empty());
    assert_eq!(kernel.port_label(), "kernel");

    // The group model sees the same subscriptions.
    let model = GroupModel::from_table(&table);
    let link = model.get(0, 1).unwrap();
    assert!(link.subscribers.iter().any(|s| s.port == route_port));
    assert!(link.processes().contains(&(std::process::id(), own_comm())));
    assert_eq!(model.get(16, notify_id).unwrap().name, "nlctrl/notify");

    // The text table names them too.
    let text = table.render();
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(route_port.to_string().as_str()))
        .unwrap();
    assert!(
        line.contains("RTNLGRP_LINK,RTNLGRP_IPV4_IFADDR,RTNLGRP_BRVLAN"),
        "{line}"
    );
    assert!(
        line.contains(&format!("{}/{}", std::process::id(), own_comm())),
        "{line}"
    );
    drop((route, usersock, generic));
}

/// One socket as `ss -f netlink -a -e -p` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SsRow {
    recv_q: u64,
    /// First 32 group bits (`groups=0x...`).
    groups: u32,
    /// `comm/pid` when ss resolved the port id to a process, `kernel`, or the number.
    name: String,
    /// `users:(("comm",pid=N,fd=M),...)` from `-p`, when this ss prints it.
    users: BTreeSet<(u32, String)>,
}

/// The (pid, comm) pairs of an ss `users:((...))` field.
fn parse_users(line: &str) -> BTreeSet<(u32, String)> {
    let Some(start) = line.find("users:((") else {
        return BTreeSet::new();
    };
    line[start + 8..]
        .split("),(")
        .filter_map(|user| {
            let mut parts = user.split(',');
            let comm = parts.next()?.trim_matches('"').to_owned();
            let pid = parts.find_map(|p| p.strip_prefix("pid="))?;
            Some((pid.parse().ok()?, comm))
        })
        .collect()
}

/// Runs ss twice: numeric (protocol and port numbers, groups) and resolved
/// (the port as `comm/pid`, which is ss's only owner information for
/// netlink sockets: iproute2 6.1's `-p` prints nothing for them).
fn ss_snapshot() -> BTreeMap<(u32, u32), SsRow> {
    let run = |args: &[&str]| -> (String, u32) {
        let child = Command::new("ss")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("ss runs");
        let pid = child.id();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "ss {args:?}: {output:?}");
        (String::from_utf8(output.stdout).unwrap(), pid)
    };
    let (numeric, ss_pid) = run(&["-f", "netlink", "-a", "-n", "-e", "-p"]);
    let (resolved, _) = run(&["-f", "netlink", "-a"]);
    let mut rows = BTreeMap::new();
    // The two listings are separate dumps in hash order, so they are joined
    // by port: ss only names a port `comm/pid` when the pid equals it.
    let mut names: BTreeMap<u32, String> = BTreeMap::new();
    let mut kernel_rows = 0;
    for line in resolved.lines().skip(1) {
        let local = line.split_whitespace().nth(3).unwrap();
        let name = local.split_once(':').unwrap().1;
        if name == "kernel" {
            kernel_rows += 1;
        } else if let Some((_, pid)) = name.rsplit_once('/') {
            names.insert(pid.parse().unwrap(), name.to_owned());
        }
    }
    let numeric_kernel_rows = numeric
        .lines()
        .skip(1)
        .filter(|l| {
            l.split_whitespace()
                .nth(3)
                .is_some_and(|a| a.ends_with(":0"))
        })
        .count();
    for line in numeric.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (proto, port) = fields[3].split_once(':').unwrap();
        let port: u32 = port.parse().unwrap();
        let key = (proto.parse().unwrap(), port);
        if key == (4, ss_pid) {
            // ss's own sock_diag socket.
            continue;
        }
        let groups = fields
            .iter()
            .find_map(|f| f.strip_prefix("groups=0x"))
            .map(|h| u32::from_str_radix(h, 16).unwrap())
            .unwrap();
        let name = if port == 0 && kernel_rows == numeric_kernel_rows {
            "kernel".to_owned()
        } else {
            names
                .get(&port)
                .cloned()
                .unwrap_or_else(|| port.to_string())
        };
        rows.insert(
            key,
            SsRow {
                recv_q: fields[1].parse().unwrap(),
                groups,
                name,
                users: parse_users(line),
            },
        );
    }
    rows
}

fn mask32(entry: &PortEntry) -> u32 {
    entry
        .groups
        .iter()
        .filter(|g| (1..=32).contains(&g.group))
        .fold(0, |m, g| m | 1 << (g.group - 1))
}

/// Differences between our table and ss + /proc for one snapshot; sockets
/// that came or went during the snapshot (not identical in `before` and
/// `after`) are not compared.
fn differences(
    before: &PortTable,
    ss: &BTreeMap<(u32, u32), SsRow>,
    procs: &[proc_net::ProcEntry],
    after: &PortTable,
) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut compared = 0;
    let key = |e: &PortEntry| (e.protocol, e.port);
    let after_rows: BTreeMap<_, _> = after.sockets.iter().map(|e| (key(e), e)).collect();
    let proc_rows: BTreeMap<_, _> = procs.iter().map(|p| ((p.protocol, p.portid), p)).collect();
    let me = std::process::id();
    for row in &before.sockets {
        let Some(again) = after_rows.get(&key(row)) else {
            continue;
        };
        if again.inode != row.inode || again.groups != row.groups || again.owners != row.owners {
            continue;
        }
        compared += 1;
        match ss.get(&key(row)) {
            None => problems.push(format!("{:?} missing from ss", key(row))),
            Some(s) => {
                if s.groups != mask32(row) {
                    problems.push(format!(
                        "{:?}: ss groups {:#x}, table {:#x}",
                        key(row),
                        s.groups,
                        mask32(row)
                    ));
                }
                // Queues move; compare them when the table saw no change.
                if row.rmem == again.rmem && s.recv_q != row.rmem {
                    problems.push(format!(
                        "{:?}: ss Recv-Q {}, table rmem {}",
                        key(row),
                        s.recv_q,
                        row.rmem
                    ));
                }
                if row.kernel && s.name != "kernel" {
                    problems.push(format!("{:?}: ss says {}, not kernel", key(row), s.name));
                }
                let owners: BTreeSet<_> =
                    row.owners.iter().map(|o| (o.pid, o.comm.clone())).collect();
                if !s.users.is_empty() && s.users != owners {
                    problems.push(format!(
                        "{:?}: ss users {:?}, table {owners:?}",
                        key(row),
                        s.users
                    ));
                }
                // ss names a port after the process whose pid equals it.
                if let Some(owner) = row.owners.iter().find(|o| o.pid == row.port) {
                    let expected = format!("{}/{}", owner.comm, owner.pid);
                    if s.name != expected && s.name != row.port.to_string() {
                        problems.push(format!(
                            "{:?}: ss names it {}, table {expected}",
                            key(row),
                            s.name
                        ));
                    }
                }
            }
        }
        match proc_rows.get(&key(row)) {
            None => problems.push(format!("{:?} missing from /proc/net/netlink", key(row))),
            Some(p) => {
                if p.inode != row.inode || p.groups32 != mask32(row) {
                    problems.push(format!(
                        "{:?}: /proc inode {} groups {:#x}, table inode {} groups {:#x}",
                        key(row),
                        p.inode,
                        p.groups32,
                        row.inode,
                        mask32(row)
                    ));
                }
            }
        }
    }
    // The other way round: everything ss and /proc list is in the table,
    // except ss's own query socket and sockets of this test process that
    // other threads open and close meanwhile.
    let ours: BTreeSet<_> = before
        .sockets
        .iter()
        .chain(after.sockets.iter())
        .map(key)
        .collect();
    for (k, s) in ss {
        let transient = s.name.starts_with("ss/") || s.name.ends_with(&format!("/{me}"));
        if !ours.contains(k) && !transient {
            problems.push(format!("{k:?} ({}) in ss, not in the table", s.name));
        }
    }
    for k in proc_rows.keys() {
        if !ours.contains(k)
            && !ss
                .get(k)
                .is_some_and(|s| s.name.ends_with(&format!("/{me}")))
        {
            problems.push(format!("{k:?} in /proc/net/netlink, not in the table"));
        }
    }
    (problems, compared)
}

#[test]
fn ports_table_agrees_with_ss_and_proc() {
    // A socket only this test opens, autobound (so its port is our pid when
    // free) and subscribed to uevent group 1.
    let mut uevent = Socket::new(NETLINK_KOBJECT_UEVENT).unwrap();
    uevent.bind(&SocketAddr::new(0, 1)).unwrap();
    let mut addr = SocketAddr::new(0, 0);
    uevent.get_address(&mut addr).unwrap();
    let uevent_port = addr.port_number();

    let mut last = Vec::new();
    // Other tests (and engineers) open and close sockets meanwhile: retry a
    // few times until one snapshot is consistent.
    for attempt in 1..=5 {
        let before = PortTable::read().unwrap();
        let ss = ss_snapshot();
        let (procs, proc_problems) = proc_net::read().unwrap();
        assert!(proc_problems.is_empty(), "{proc_problems:?}");
        let after = PortTable::read().unwrap();
        let (problems, compared) = differences(&before, &ss, &procs, &after);

        let row = before
            .by_port(15, uevent_port)
            .expect("uevent socket listed");
        assert_eq!(
            row.groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>(),
            ["kernel"]
        );
        assert_eq!(groups_from_mask32(ss[&(15, uevent_port)].groups), [1]);
        if uevent_port == std::process::id() {
            assert_eq!(
                ss[&(15, uevent_port)].name,
                format!("{}/{}", own_comm(), uevent_port)
            );
        }
        if problems.is_empty() {
            eprintln!(
                "attempt {attempt}: {compared} sockets agree with ss ({} rows) and /proc/net/netlink ({} rows)",
                ss.len(),
                procs.len()
            );
            assert!(compared >= 2, "too few sockets compared: {compared}");
            return;
        }
        eprintln!("attempt {attempt}: sockets changed meanwhile: {problems:?}");
        last = problems;
    }
    panic!("the table disagrees with ss or /proc/net/netlink: {last:#?}");
}

#[test]
fn ports_ss_users_field_parses() {
    let line = r#"UNCONN 0 0 0:42 * users:(("NetworkManager",pid=42,fd=9),("nm dispatcher",pid=77,fd=3)) sk=0"#;
    let users = parse_users(line);
    assert_eq!(
        users.into_iter().collect::<Vec<_>>(),
        [
            (42, "NetworkManager".to_owned()),
            (77, "nm dispatcher".to_owned())
        ]
    );
    assert!(parse_users("UNCONN 0 0 0:0 * sk=0").is_empty());
}

/// Runs the built binary, as an unprivileged user (nobody) when we are root.
fn run_nlscope(args: &[&str], unprivileged: bool) -> std::process::Output {
    let binary = env!("CARGO_BIN_EXE_nlscope");
    let mut command = if unprivileged {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
        c
    } else {
        Command::new(binary)
    };
    command.args(args).output().expect("nlscope runs")
}

#[test]
fn ports_command_prints_table_and_json() {
    let mut route = Socket::new(NETLINK_ROUTE).unwrap();
    route.bind(&SocketAddr::new(0, 1 << 6)).unwrap(); // RTNLGRP_IPV4_ROUTE
    let mut addr = SocketAddr::new(0, 0);
    route.get_address(&mut addr).unwrap();
    let port = addr.port_number();

    let output = run_nlscope(&["ports", "--json"], false);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let row = json["sockets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["protocol"] == 0 && s["port"] == port)
        .expect("our socket in the JSON");
    assert_eq!(row["protocol_name"], "route");
    assert_eq!(row["groups"][0]["name"], "RTNLGRP_IPV4_ROUTE");
    assert_eq!(row["groups"][0]["group"], 7);
    assert_eq!(row["owners"][0]["pid"], std::process::id());

    let output = run_nlscope(&["ports"], false);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["PROTO", "PORT", "PID/COMM", "GROUPS", "RMEM", "DROPS", "INODE"]
    );
    assert!(text
        .lines()
        .any(|l| l.starts_with("route") && l.contains("kernel")));

    // Without privilege (when the test runs as root and setpriv exists):
    // every socket and its groups are still listed, owners are not, and a
    // note on stderr says why.
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if root && Command::new("setpriv").arg("--version").output().is_ok() {
        let output = run_nlscope(&["ports"], true);
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(port.to_string().as_str()))
            .expect("our socket listed without privilege");
        assert!(line.contains("RTNLGRP_IPV4_ROUTE"), "{line}");
        assert_eq!(line.split_whitespace().nth(2), Some("?"), "{line}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("could not be inspected"), "{stderr}");
    }
    drop(route);
}

/// nlctrl on this machine's own kernel (an integration test: it depends on
/// the machine, which the library's unit tests do not).
#[test]
fn this_machines_kernel_lists_nlctrl() {
    let families = nlscope::netlink::nlctrl::family_names().expect("querying nlctrl");
    assert_eq!(
        families
            .get(&nlscope::netlink::GENL_ID_CTRL)
            .map(String::as_str),
        Some("nlctrl")
    );
}
