//! Snapshot tests of every view at two sizes, and state tests driven by key
//! and mouse events. Fed from the synthetic corpus (`store::corpus`).

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;

use crate::event::Direction;
use crate::format::jsonl::read_jsonl;
use crate::ports::names::GroupNames;
use crate::ports::owners::Owner;
use crate::ports::{NamedGroup, PortEntry, PortTable};
use crate::store::{corpus, Store};
use crate::ui::app::{Action, App, Mode, Pane, SourceStatus, View};
use crate::ui::app::{PortsOrigin, PortsUpdate};
use crate::ui::data::{GroupRow, PortRow};
use crate::ui::keys;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn file_status() -> SourceStatus {
    SourceStatus {
        kind: "file".into(),
        detail: "corpus.jsonl".into(),
        ended: Some("end of file".into()),
    }
}

/// The real guest capture (pcapng) the capture-paths scenario recorded.
fn fixture_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/guest-capture-paths.pcapng")
}

/// An app that opened the guest fixture as `nlscope open` does: the family
/// records first (as the file source sends them), then every message.
fn fixture_app() -> App {
    let read = crate::format::read_capture(fixture_path());
    assert!(read.error.is_none(), "{:?}", read.error);
    let mut app = App::new(
        Store::new(10_000),
        SourceStatus {
            kind: "file".into(),
            detail: "guest-capture-paths.pcapng".into(),
            ended: Some("end of file".into()),
        },
    );
    app.sockets.origin = PortsOrigin::Traffic("the file guest-capture-paths.pcapng".into());
    // As the file source sends them: the families the file names first.
    app.update(Action::Families(
        read.genl_families
            .iter()
            .map(|(id, name)| crate::netlink::nlctrl::Family {
                id: *id,
                name: name.clone(),
                ..Default::default()
            })
            .collect(),
    ));
    app.ingest(read.messages);
    app
}

/// A socket table as `PortTable::read` returns it, for a machine with
/// NetworkManager, systemd-udevd and an `ip monitor`.
fn machine_table() -> PortTable {
    let names = GroupNames::default();
    let socket =
        |protocol: u32, port: u32, inode: u64, groups: &[u32], owner: Option<(u32, &str)>| {
            PortEntry {
                protocol,
                protocol_name: crate::netlink::names::protocol_name(protocol),
                port,
                kernel: port == 0,
                sock_type: Some("raw".into()),
                state: Some("unconnected".into()),
                dst_port: 0,
                dst_group: 0,
                groups: groups
                    .iter()
                    .map(|&group| NamedGroup {
                        group,
                        name: names.name(protocol, group),
                    })
                    .collect(),
                rmem: u64::from(port % 7) * 256,
                rcvbuf: Some(212_992),
                wmem: Some(0),
                drops: Some(u64::from(port % 3)),
                dump_running: Some(false),
                inode,
                owners: owner
                    .map(|(pid, comm)| {
                        vec![Owner {
                            pid,
                            comm: comm.into(),
                            fds: vec![3],
                        }]
                    })
                    .unwrap_or_default(),
                sources: vec!["netlink_diag".into(), "proc".into()],
            }
        };
    PortTable {
        sockets: vec![
            socket(0, 0, 10, &[], None),
            socket(0, 812, 11, &[1, 5, 11], Some((812, "NetworkManager"))),
            socket(0, 1234, 12, &[], Some((1234, "ip"))),
            socket(0, 1300, 16, &[1], Some((1300, "ip"))),
            socket(30, 4242, 13, &[], Some((4242, "nl_client"))),
            socket(15, 300, 14, &[2], Some((300, "systemd-udevd"))),
            socket(30, 0, 15, &[], None),
        ],
        notes: vec!["3 of 120 processes could not be inspected".into()],
        names,
    }
}

fn app() -> App {
    let mut app = App::new(Store::new(1000), file_status());
    app.ingest(corpus::messages());
    app
}

fn render(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    app.update(Action::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    terminal
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    render(app, width, height).backend().to_string()
}

fn press_key(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    let event = Event::Key(KeyEvent::new(code, modifiers));
    if let Some(action) = keys::action_for(app.mode, &event) {
        app.update(action);
    }
}

fn press(app: &mut App, code: KeyCode) {
    press_key(app, code, KeyModifiers::NONE);
}

fn chars(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn snapshot_all(name: &str, mut setup: impl FnMut(&mut App)) {
    for (width, height) in SIZES {
        let mut app = app();
        setup(&mut app);
        // Twice: the first frame records the layout some actions use.
        render(&mut app, width, height);
        insta::assert_snapshot!(
            format!("{name}_{width}x{height}"),
            screen(&mut app, width, height)
        );
    }
}

#[test]
fn snapshot_traffic() {
    snapshot_all("traffic", |_| {});
}

#[test]
fn snapshot_traffic_detail_focused_on_a_field() {
    snapshot_all("traffic_detail", |app| {
        // The first message, its detail pane, the cursor on the header's `len`.
        press(app, KeyCode::Char('g'));
        press(app, KeyCode::Tab);
        for _ in 0..11 {
            press(app, KeyCode::Down);
        }
    });
}

#[test]
fn snapshot_a_cut_message_in_the_list_and_the_detail() {
    snapshot_all("traffic_cut", |app| {
        // 64 of its 252 bytes captured: marked in its row, counted in the
        // header, and said in the hex title and the detail, whose cursor
        // is on the capture's `cut` line.
        app.ingest(vec![corpus::cut_message()]);
        press(app, KeyCode::Char('G'));
        press(app, KeyCode::Tab);
        for _ in 0..8 {
            press(app, KeyCode::Down);
        }
    });
}

#[test]
fn snapshot_traffic_filtered_and_collapsed() {
    snapshot_all("traffic_filtered", |app| {
        app.apply_filter("proto:route").unwrap();
        press(app, KeyCode::Tab);
        press(app, KeyCode::Enter);
    });
}

#[test]
fn snapshot_filter_prompt_with_error() {
    snapshot_all("filter_error", |app| {
        chars(app, "/proto:route dir:sideways");
    });
}

#[test]
fn snapshot_ports() {
    snapshot_all("ports", |app| press(app, KeyCode::Char('2')));
}

#[test]
fn snapshot_ports_from_plain_rows() {
    snapshot_all("ports_rows", |app| {
        app.sockets.ports = Some(vec![
            PortRow {
                protocol: "route".into(),
                port: 0,
                pid: 0,
                comm: "(kernel)".into(),
                groups: "-".into(),
                rmem: Some(0),
                drops: Some(0),
                sent: 120,
                received: 64,
                last_seen: "05:00:00.020".into(),
            },
            PortRow {
                protocol: "route".into(),
                port: 812,
                pid: 812,
                comm: "NetworkManager".into(),
                groups: "link,ipv4_ifaddr,ipv6_route".into(),
                rmem: Some(2304),
                drops: Some(7),
                sent: 3,
                received: 51,
                last_seen: "05:00:00.020".into(),
            },
        ]);
        press(app, KeyCode::Char('2'));
    });
}

#[test]
fn snapshot_groups() {
    snapshot_all("groups", |app| press(app, KeyCode::Char('3')));
}

#[test]
fn snapshot_groups_from_plain_rows() {
    snapshot_all("groups_rows", |app| {
        app.sockets.groups = Some(vec![GroupRow {
            protocol: "route".into(),
            group: "link".into(),
            number: 1,
            members: Some(3),
            processes: "NetworkManager[812],systemd-network[300]".into(),
            messages: 17,
            bytes: 1904,
            last_sender: "ip[1300]".into(),
            last_seen: "05:00:00.020".into(),
            last_summary: "RTM_NEWLINK dummy0".into(),
        }]);
        press(app, KeyCode::Char('3'));
    });
}

#[test]
fn snapshot_stats() {
    snapshot_all("stats", |app| press(app, KeyCode::Char('4')));
}

#[test]
fn snapshot_help() {
    snapshot_all("help", |app| press(app, KeyCode::Char('?')));
}

#[test]
fn snapshot_no_live_capture_banner() {
    for (width, height) in SIZES {
        let mut app = App::new(
            Store::new(1000),
            SourceStatus {
                kind: "none".into(),
                detail: "(live capture unavailable)".into(),
                ended: None,
            },
        );
        app.banner = Some(format!(
            "Live capture is unavailable: the kernel refused the fentry program for netlink_unicast: \
             Invalid argument (os error 22).\n{}",
            crate::ui::LIVE_HINT
        ));
        insta::assert_snapshot!(
            format!("no_live_{width}x{height}"),
            screen(&mut app, width, height)
        );
        press(&mut app, KeyCode::Char('4'));
        insta::assert_snapshot!(
            format!("no_live_stats_{width}x{height}"),
            screen(&mut app, width, height)
        );
    }
}

#[test]
fn the_list_follows_the_newest_until_scrolled() {
    let mut app = app();
    assert!(app.traffic.list.follow);
    assert_eq!(app.traffic.list.selected, Some(9));
    press(&mut app, KeyCode::Char('k'));
    assert!(!app.traffic.list.follow);
    assert_eq!(app.traffic.list.selected, Some(8));
    app.ingest(corpus::messages());
    assert_eq!(
        app.traffic.list.selected,
        Some(8),
        "a scrolled list stays put"
    );
    press(&mut app, KeyCode::Char('G'));
    assert!(app.traffic.list.follow);
    assert_eq!(app.traffic.list.selected, Some(19));
    app.ingest(corpus::messages());
    assert_eq!(app.traffic.list.selected, Some(29));
    press(&mut app, KeyCode::Char('f'));
    assert!(!app.traffic.list.follow);
    app.ingest(corpus::messages());
    assert_eq!(app.traffic.list.selected, Some(29));
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.traffic.list.selected, Some(39));
}

#[test]
fn navigation_keys_move_the_selection() {
    let mut app = app();
    render(&mut app, 80, 24);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.traffic.list.selected, Some(0));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.traffic.list.selected, Some(2));
    press(&mut app, KeyCode::PageDown);
    assert!(app.traffic.list.selected.unwrap() > 2);
    press(&mut app, KeyCode::PageUp);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.traffic.list.selected, Some(0));
    press(&mut app, KeyCode::Up);
    assert_eq!(app.traffic.list.selected, Some(0), "the top is the top");
}

#[test]
fn pause_holds_messages_until_resumed() {
    let mut app = app();
    press(&mut app, KeyCode::Char(' '));
    assert!(app.paused);
    app.ingest(corpus::messages());
    assert_eq!(app.store.len(), 10);
    assert_eq!(app.pending(), 10);
    assert!(screen(&mut app, 80, 24).contains("PAUSED (10 waiting)"));
    press(&mut app, KeyCode::Char(' '));
    assert!(!app.paused);
    assert_eq!(app.store.len(), 20);
    assert_eq!(app.pending(), 0);
    assert_eq!(app.traffic.list.selected, Some(19));
}

#[test]
fn pausing_stays_bounded() {
    let mut app = App::new(Store::new(5), file_status());
    press(&mut app, KeyCode::Char(' '));
    app.ingest(corpus::messages());
    assert_eq!(app.pending(), 5);
    assert_eq!(app.store.evicted(), 5);
}

#[test]
fn pausing_a_store_that_keeps_everything_loses_nothing() {
    let mut app = App::new(Store::new(usize::MAX), file_status());
    press(&mut app, KeyCode::Char(' '));
    let total = crate::ui::app::MAX_WAITING + 1_000;
    app.ingest(corpus::stream(total).collect::<Vec<_>>());
    // The oldest past the limit went into the store; none is evicted.
    assert_eq!(app.pending(), crate::ui::app::MAX_WAITING);
    assert_eq!(app.store.len(), 1_000);
    assert_eq!(app.store.evicted(), 0);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!((app.store.len(), app.pending()), (total, 0));
}

#[test]
fn the_filter_prompt_validates_live_and_applies_on_enter() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode, Mode::Filter);
    chars(&mut app, "proto:rout");
    let error = app.filter.error.clone().expect("`rout` is not a protocol");
    assert_eq!(error.column, 6);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Filter, "an invalid filter is not applied");
    chars(&mut app, "e dir:u2k");
    assert!(app.filter.error.is_none());
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.store.matching_len(), 1);
    assert_eq!(app.selected_event().unwrap().message.pid, 1234);

    // Esc in the prompt keeps the old filter; Esc outside clears it.
    press(&mut app, KeyCode::Char('/'));
    chars(&mut app, " pid:1");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.store.filter().source, "proto:route dir:u2k");
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.store.matching_len(), 10);
}

#[test]
fn quick_filters_narrow_to_the_selection() {
    let mut app = app();
    // The `ip link` dump reply (seq 3).
    press(&mut app, KeyCode::Char('g'));
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.traffic.list.selected, Some(3));
    press(&mut app, KeyCode::Char('P'));
    assert_eq!(app.store.filter().source, "pid:1234 comm:ip");
    assert_eq!(app.store.matching_len(), 3);
    press(&mut app, KeyCode::Esc);

    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.store.filter().source, "proto:nlscope-demo port:4242");
    assert_eq!(app.store.matching_len(), 2);
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(
        app.status.as_deref(),
        Some("the selected message went to no multicast group")
    );
    press(&mut app, KeyCode::Esc);

    // The link multicast (seq 5).
    press(&mut app, KeyCode::Char('g'));
    for _ in 0..5 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(app.store.filter().source, "proto:route group:1");
    assert_eq!(app.store.matching_len(), 1);
    assert_eq!(
        app.selected_event().unwrap().message.direction(),
        Direction::KernelToUser,
        "a kernel multicast goes to user listeners"
    );
}

/// `nlscope open` on an `ip link show` that nlmon + tcpdump recorded: what
/// the file does not say (process, ports) shows as `?`, the direction comes
/// from the cooked header, and the filters and statistics follow it.
#[test]
fn an_nlmon_capture_shows_unknown_ends_and_its_stated_directions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nlmon.pcap");
    std::fs::write(&path, corpus::nlmon_getlink_pcap()).unwrap();
    let read = crate::format::read_capture(&path);
    assert_eq!(read.error, None);
    let mut app = App::new(Store::new(100), file_status());
    app.ingest(read.messages);

    let text = screen(&mut app, 160, 48);
    let rows: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("\"┃") && line.contains(" route "))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert!(
        rows[0].contains("u2k") && rows[0].contains("?->kernel"),
        "{text}"
    );
    for reply in &rows[1..] {
        assert!(reply.contains("k2u") && reply.contains("?->?"), "{text}");
    }
    assert!(!text.contains("k2k"), "{text}");
    assert!(
        !text.contains("[0]"),
        "no process is shown as pid 0: {text}"
    );

    app.apply_filter("dir:u2k").unwrap();
    assert_eq!(app.store.matching_len(), 1);
    app.apply_filter("dir:k2u").unwrap();
    assert_eq!(app.store.matching_len(), 2);
    app.apply_filter("port:0").unwrap();
    assert_eq!(
        app.store.matching_len(),
        1,
        "only the request is known to touch the kernel"
    );
    app.apply_filter("").unwrap();

    // The kernel received one message; no unknown port is counted as its.
    let ports: Vec<_> = app.store.stats().ports.iter().collect();
    assert_eq!(ports.len(), 1);
    assert_eq!(*ports[0].0, (0, 0));
    assert_eq!((ports[0].1.sent, ports[0].1.received), (0, 1));

    // The quick port filter has no port to take from a reply.
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(
        app.status.as_deref(),
        Some("the capture gives no port for the selected message")
    );
}

#[test]
fn detail_fields_expand_collapse_and_highlight_bytes() {
    let mut app = app();
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.traffic.pane,
        Pane::Detail,
        "Enter on the list opens the detail pane"
    );
    let all = app.traffic.detail.rows().len();
    press(&mut app, KeyCode::Enter);
    let collapsed = app.traffic.detail.rows().len();
    assert!(collapsed < all, "{collapsed} < {all}");
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.traffic.detail.rows().len(), all);
    press(&mut app, KeyCode::Char('h'));
    assert_eq!(app.traffic.detail.rows().len(), collapsed);
    press(&mut app, KeyCode::Enter);
    // Down to the first decoded field with bytes: those are what the hex
    // pane highlights.
    while app.traffic.detail.highlighted().is_none() {
        let before = app.traffic.detail.cursor;
        press(&mut app, KeyCode::Down);
        assert_ne!(app.traffic.detail.cursor, before, "no field with bytes");
    }
    let rows = app.traffic.detail.rows();
    let row = &rows[app.traffic.detail.cursor];
    assert_eq!(app.traffic.detail.highlighted(), row.field.bytes.clone());
    drop(rows);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.traffic.pane, Pane::Hex);
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.traffic.pane, Pane::List);
}

#[test]
fn views_switch_with_number_keys() {
    let mut app = app();
    for (key, view) in [
        ('2', View::Ports),
        ('3', View::Groups),
        ('4', View::Stats),
        ('1', View::Traffic),
    ] {
        press(&mut app, KeyCode::Char(key));
        assert_eq!(app.view, view);
    }
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Help);
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
    let mut app = self::app();
    press_key(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(app.should_quit);
}

#[test]
fn the_mouse_scrolls_and_selects() {
    let mut app = app();
    render(&mut app, 160, 48);
    let list = app.areas.list;
    let mouse = |kind, row| {
        Event::Mouse(MouseEvent {
            kind,
            column: list.x + 5,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Click the third data row (border, header, rows...).
    let action = keys::action_for(
        app.mode,
        &mouse(MouseEventKind::Down(MouseButton::Left), list.y + 4),
    );
    app.update(action.unwrap());
    assert_eq!(app.traffic.list.selected, Some(2));
    assert!(!app.traffic.list.follow);
    let action = keys::action_for(app.mode, &mouse(MouseEventKind::ScrollDown, list.y + 4));
    app.update(action.unwrap());
    assert_eq!(app.traffic.list.selected, Some(5));
    app.update(Action::ScrollUp {
        column: list.x + 5,
        row: list.y + 4,
    });
    assert_eq!(app.traffic.list.selected, Some(2));
}

#[test]
fn export_writes_the_filtered_view_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("route.jsonl");
    let mut app = App::new(Store::new(100_000), file_status());
    app.ingest(corpus::stream(12_000).collect());
    app.apply_filter("proto:route").unwrap();
    let expected: Vec<_> = app
        .store
        .iter()
        .filter(|e| e.message.protocol == 0)
        .map(|e| app.store.message(&e).unwrap())
        .collect();
    assert_eq!(expected.len(), 6_000);

    press(&mut app, KeyCode::Char('e'));
    assert_eq!(app.mode, Mode::ExportPath);
    while !app.export_prompt.input.is_empty() {
        press(&mut app, KeyCode::Backspace);
    }
    chars(&mut app, path.to_str().unwrap());
    press(&mut app, KeyCode::Enter);
    let progress = app.export_progress().expect("running");
    assert_eq!((progress.done, progress.total), (0, 6_000));
    app.tick();
    assert_eq!(
        app.export_progress().unwrap().done,
        crate::ui::app::EXPORT_CHUNK
    );
    assert!(screen(&mut app, 80, 24).contains("exporting 5,000/6,000"));
    app.tick();
    // The writer runs in the background: wait for its report.
    app.settle();
    assert!(app.export_progress().is_none());
    assert_eq!(
        app.status.as_deref(),
        Some(format!("exported 6000 messages to {} (JSON Lines)", path.display()).as_str())
    );
    let written = read_jsonl(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(written, expected);
}

#[test]
fn export_to_an_impossible_path_says_why() {
    let mut app = app();
    press(&mut app, KeyCode::Char('e'));
    while !app.export_prompt.input.is_empty() {
        press(&mut app, KeyCode::Backspace);
    }
    chars(&mut app, "/nonexistent-dir/x.jsonl");
    press(&mut app, KeyCode::Enter);
    assert!(app
        .status
        .as_deref()
        .unwrap()
        .starts_with("export: cannot create /nonexistent-dir/x.jsonl"));
}

#[test]
fn eviction_keeps_the_selection_valid() {
    let mut app = App::new(Store::new(8), file_status());
    app.ingest(corpus::messages());
    press(&mut app, KeyCode::Char('g'));
    let first = app.traffic.list.selected.unwrap();
    assert_eq!(first, 2);
    app.ingest(corpus::messages());
    // The selected message was evicted: the selection moves to the oldest kept.
    let event = app.selected_event().unwrap();
    assert_eq!(event.seq, 12);
    screen(&mut app, 80, 24);
}

#[test]
fn the_hex_pane_highlights_the_selected_fields_bytes() {
    let mut app = app();
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Tab);
    // A field that starts inside the first row of the dump, not at byte 0.
    let range = loop {
        if let Some(range) = app
            .traffic
            .detail
            .highlighted()
            .filter(|r| r.start > 0 && r.start < 15 && !r.is_empty())
        {
            break range;
        }
        let before = app.traffic.detail.cursor;
        press(&mut app, KeyCode::Down);
        assert_ne!(
            app.traffic.detail.cursor, before,
            "no field inside the first 16 bytes"
        );
    };
    let terminal = render(&mut app, 160, 48);
    let buffer = terminal.backend().buffer();
    let hex = app.areas.hex;
    // Row 0 of the dump: "0000  1c 00 00 00 10 00 ...", 3 columns a byte
    // (one more after the 8th).
    let row = hex.y + 1;
    let byte_x = |i: usize| hex.x + 1 + 6 + (i * 3) as u16 + u16::from(i >= 8);
    let marked = |i: usize| buffer[(byte_x(i), row)].bg == ratatui::style::Color::Yellow;
    assert!(marked(range.start), "byte {} of {range:?}", range.start);
    assert!(!marked(range.start - 1), "byte before {range:?}");
    if range.end < 16 {
        assert!(!marked(range.end), "byte after {range:?}");
    }
}

#[test]
fn the_command_line_opens_the_dashboard() {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from(["nlscope", "open", "f.jsonl", "--max-events", "5"])
        .unwrap();
    assert!(matches!(cli.command, Some(crate::cli::Command::Open(ref a))
            if a.file.to_str() == Some("f.jsonl") && a.dashboard.max_events == Some(5)));
    let cli = crate::cli::Cli::try_parse_from(["nlscope"]).unwrap();
    assert!(cli.command.is_none(), "no subcommand: the live dashboard");
    assert_eq!(
        cli.dashboard.max_events, None,
        "unset: every message is kept"
    );
    assert!(crate::cli::Cli::try_parse_from(["nlscope", "--max-events", "0"]).is_err());
}

#[test]
fn snapshot_ports_and_groups_of_this_machine() {
    // The machine's port table, then the view behind `key`.
    let machine_view = |key: char| {
        move |app: &mut App| {
            app.sockets.origin = PortsOrigin::Machine;
            app.update_ports(PortsUpdate {
                table: Ok(machine_table()),
                genl_families: Default::default(),
            });
            press(app, KeyCode::Char(key));
        }
    };
    snapshot_all("ports_machine", machine_view('2'));
    snapshot_all("groups_machine", machine_view('3'));
}

#[test]
fn the_group_model_joins_the_socket_table_and_the_traffic() {
    let mut app = App::new(Store::new(1000), file_status());
    app.sockets.origin = PortsOrigin::Machine;
    // Traffic before the first table: counted, subscribers unknown.
    app.ingest(corpus::messages());
    let rows = app.group_rows();
    let link = rows.iter().find(|r| r.protocol == "route" && r.number == 1);
    let link = link.expect("the link multicast was seen");
    assert_eq!((link.messages, link.members), (1, None));
    assert_eq!(link.group, "link");

    app.update_ports(PortsUpdate {
        table: Ok(machine_table()),
        genl_families: Default::default(),
    });
    let rows = app.group_rows();
    let link = rows
        .iter()
        .find(|r| r.protocol == "route" && r.number == 1)
        .unwrap();
    assert_eq!(link.members, Some(2));
    assert_eq!(link.processes, "NetworkManager[812],ip[1300]");
    assert_eq!(link.messages, 1, "counts survive a table update");
    assert!(link.last_summary.contains("RTM_NEWLINK"), "{link:?}");
    // A group with subscribers and no traffic is listed too.
    let v6 = rows.iter().find(|r| r.group == "ipv6_route").unwrap();
    assert_eq!((v6.members, v6.messages), (Some(1), 0));

    // Ports: every socket of the table, with the traffic seen on its port.
    let ports = app.port_rows();
    assert_eq!(ports.len(), 7);
    let client = ports.iter().find(|r| r.port == 4242).unwrap();
    assert_eq!(client.comm, "nl_client");
    assert_eq!(client.protocol, "nlscope-demo");
    assert_eq!((client.sent, client.received), (1, 1));
    let nm = ports.iter().find(|r| r.port == 812).unwrap();
    assert_eq!(nm.groups, "link,ipv4_ifaddr,ipv6_route");
    assert_eq!(nm.drops, Some(2));

    // A failed re-read keeps the last table and says why.
    app.update_ports(PortsUpdate {
        table: Err("netlink_diag: Permission denied".into()),
        genl_families: Default::default(),
    });
    assert_eq!(app.port_rows().len(), 7);
    assert!(app.sockets.error.is_some());
}

#[test]
fn the_ports_reader_lists_this_machines_sockets_off_the_ui_thread() {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut updates = crate::ui::spawn_ports_reader(stop.clone(), crate::ui::PORTS_REFRESH);
    let update = updates.blocking_recv().expect("a first read");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let table = update
        .table
        .clone()
        .expect("this host lists its netlink sockets");
    assert!(
        table.sockets.iter().any(|s| s.protocol == 0 && s.kernel),
        "the kernel's rtnetlink socket: {:?}",
        table.sockets
    );
    let mut app = App::new(Store::new(100), file_status());
    app.sockets.origin = PortsOrigin::Machine;
    app.update_ports(update);
    press(&mut app, KeyCode::Char('2'));
    let screen = screen(&mut app, 160, 48);
    assert!(
        screen.contains("netlink sockets on this machine"),
        "{screen}"
    );
    press(&mut app, KeyCode::Char('3'));
    assert!(!app.group_rows().is_empty() || table.sockets.iter().all(|s| s.groups.is_empty()));
}

#[test]
fn snapshot_the_guest_capture() {
    for (width, height) in SIZES {
        let mut app = fixture_app();
        for (name, key) in [("traffic", '1'), ("ports", '2'), ("groups", '3')] {
            press(&mut app, KeyCode::Char(key));
            render(&mut app, width, height);
            insta::assert_snapshot!(
                format!("guest_{name}_{width}x{height}"),
                screen(&mut app, width, height)
            );
        }
    }
}

fn export_via_prompt(app: &mut App, path: &std::path::Path) {
    press(app, KeyCode::Char('e'));
    while !app.export_prompt.input.is_empty() {
        press(app, KeyCode::Backspace);
    }
    chars(app, path.to_str().unwrap());
    press(app, KeyCode::Enter);
}

#[test]
fn export_to_pcapng_by_extension_keeps_the_guest_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("route.pcapng");
    let mut app = fixture_app();
    app.apply_filter("proto:route").unwrap();
    let expected: Vec<_> = app
        .store
        .iter()
        .filter(|e| e.message.protocol == 0)
        .map(|e| app.store.message(&e).unwrap())
        .collect();
    assert!(expected.len() > 100, "{}", expected.len());

    export_via_prompt(&mut app, &path);
    let progress = app.export_progress().expect("running");
    assert_eq!((progress.done, progress.total), (0, expected.len()));
    assert!(screen(&mut app, 80, 24).contains("exporting 0/"));
    app.finish_export();
    let status = app.status.clone().unwrap();
    assert_eq!(
        status,
        format!(
            "exported {} messages to {} (pcapng)",
            expected.len(),
            path.display()
        )
    );

    let read = crate::format::read_capture(&path);
    assert!(read.error.is_none(), "{:?}", read.error);
    assert_eq!(
        read.format,
        Some(crate::format::read::CaptureFormat::Pcapng)
    );
    assert_eq!(read.messages, expected);
}

#[test]
fn a_pcapng_export_names_the_generic_netlink_families_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genl.pcapng");
    let mut app = fixture_app();
    // An nl80211 request (family id 28 on this imaginary kernel), as `iw` sends it.
    let mut payload = Vec::new();
    payload.extend_from_slice(&20u32.to_ne_bytes());
    payload.extend_from_slice(&28u16.to_ne_bytes());
    payload.extend_from_slice(&0x301u16.to_ne_bytes());
    payload.extend_from_slice(&7u32.to_ne_bytes());
    payload.extend_from_slice(&0u32.to_ne_bytes());
    payload.extend_from_slice(&[5, 0, 0, 0]);
    let request = crate::event::CapturedMessage {
        ts_mono_ns: 1,
        ts_wall_ns: 1_795_843_782_000_000_000,
        pid: 77,
        tid: 77,
        comm: "iw".into(),
        netns: 4026531840,
        protocol: 16,
        src_port: Some(77),
        dst_port: Some(0),
        stated_direction: None,
        dst_group: 0,
        len: 20,
        hook: "netlink_unicast".into(),
        result: Some(20),
        payload,
        deliveries: Vec::new(),
    };
    app.ingest(vec![request]);
    // What the live dashboard's background reader learns from the kernel.
    app.update_ports(PortsUpdate {
        table: Err("not read in this test".into()),
        genl_families: [(28u16, "nl80211".to_string())].into_iter().collect(),
    });
    app.apply_filter("proto:generic").unwrap();
    let expected: Vec<_> = app
        .store
        .iter()
        .filter(|e| e.message.protocol == 16)
        .map(|e| app.store.message(&e).unwrap())
        .collect();
    export_via_prompt(&mut app, &path);
    app.finish_export();
    let read = crate::format::read_capture(&path);
    assert!(read.error.is_none(), "{:?}", read.error);
    assert_eq!(read.messages, expected);
    assert_eq!(
        read.genl_families.get(&28).map(String::as_str),
        Some("nl80211"),
        "an nlctrl NEWFAMILY record precedes the first nl80211 message"
    );
}

#[test]
fn long_exports_show_progress_in_both_formats() {
    for name in ["all.jsonl", "all.pcapng"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let mut app = App::new(Store::new(100_000), file_status());
        app.ingest(corpus::stream(12_000).collect());
        app.export_prompt.input = path.to_str().unwrap().to_string();
        app.update(Action::OpenExport);
        app.update(Action::Submit);
        app.tick();
        let progress = app.export_progress().expect("still running");
        assert_eq!(
            (progress.done, progress.total),
            (crate::ui::app::EXPORT_CHUNK, 12_000)
        );
        let text = screen(&mut app, 80, 24);
        assert!(text.contains("exporting 5,000/12,000 (41%)"), "{text}");
        app.finish_export();
        let read = crate::format::read_capture(&path);
        assert!(read.error.is_none(), "{name}: {:?}", read.error);
        assert_eq!(read.messages.len(), 12_000, "{name}");
        let expected: Vec<_> = app
            .store
            .iter()
            .map(|e| app.store.message(&e).unwrap())
            .collect();
        if name.ends_with(".jsonl") {
            assert_eq!(read.messages, expected);
        } else {
            // pcapng keeps every field nlscope's comment carries.
            assert_eq!(read.messages[0], expected[0]);
            assert_eq!(read.messages[11_999], expected[11_999]);
        }
    }
}

#[test]
fn the_dashboard_takes_the_live_capture_options_of_record() {
    let cli = crate::cli::Cli::parse_args([
        "nlscope",
        "--protocol",
        "route",
        "--pid",
        "42",
        "--snaplen",
        "256",
        "--attach",
        "kprobe",
    ])
    .unwrap();
    assert!(cli.command.is_none());
    let options = cli.live.options();
    assert_eq!(options.snaplen, 256);
    assert_eq!(options.filters.protocol, 0);
    assert_eq!(options.filters.pid, 42);
    assert_eq!(options.attach, crate::capture::live::AttachMode::Kprobe);
    let cli = crate::cli::Cli::parse_args(["nlscope", "--protocol", "demo"]).unwrap();
    assert_eq!(cli.live.filters().protocol, 30);
    // Given before a subcommand they would be ignored: refused.
    let error = crate::cli::Cli::parse_args(["nlscope", "--protocol", "route", "record"])
        .err()
        .unwrap();
    assert!(
        error.to_string().contains("give it after the subcommand"),
        "{error}"
    );
    let cli = crate::cli::Cli::parse_args([
        "nlscope",
        "record",
        "--protocol",
        "route",
        "--snaplen",
        "64",
    ])
    .unwrap();
    match cli.command {
        Some(crate::cli::Command::Record(args)) => {
            assert_eq!(args.live.options().snaplen, 64);
            assert_eq!(args.live.filters().protocol, 0);
        }
        other => panic!("{other:?}"),
    }
    // --max-events is the dashboard's: after `open`, not before it.
    let cli = crate::cli::Cli::parse_args(["nlscope", "open", "f", "--max-events", "7"]).unwrap();
    match cli.command {
        Some(crate::cli::Command::Open(args)) => assert_eq!(args.dashboard.max_events, Some(7)),
        other => panic!("{other:?}"),
    }
    let error = crate::cli::Cli::parse_args(["nlscope", "--max-events", "7", "open", "f"])
        .err()
        .unwrap();
    assert!(
        error.to_string().contains("give it after the subcommand"),
        "{error}"
    );
}

#[test]
fn a_remote_agents_port_table_fills_the_ports_view() {
    let mut app = App::new(Store::new(1000), file_status());
    app.sockets.origin = PortsOrigin::Remote("the agent at unix:/run/nlscope.sock".into());
    assert!(app.sockets.table.is_none());
    let table = machine_table();
    let sockets = table.sockets.len();
    crate::ui::handle_source_event(
        &mut app,
        crate::capture::SourceEvent::Ports(Box::new(table)),
    );
    assert_eq!(app.port_rows().len(), sockets);
}

/// A terminal event for a keymap key.
fn key_event(key: crate::ui::keymap::Key) -> Event {
    use crate::ui::keymap::Key;
    let (code, modifiers) = match key {
        Key::Char(c) => (KeyCode::Char(c), KeyModifiers::NONE),
        Key::Ctrl(c) => (KeyCode::Char(c), KeyModifiers::CONTROL),
        Key::Up => (KeyCode::Up, KeyModifiers::NONE),
        Key::Down => (KeyCode::Down, KeyModifiers::NONE),
        Key::Left => (KeyCode::Left, KeyModifiers::NONE),
        Key::Right => (KeyCode::Right, KeyModifiers::NONE),
        Key::PageUp => (KeyCode::PageUp, KeyModifiers::NONE),
        Key::PageDown => (KeyCode::PageDown, KeyModifiers::NONE),
        Key::Home => (KeyCode::Home, KeyModifiers::NONE),
        Key::End => (KeyCode::End, KeyModifiers::NONE),
        Key::Tab => (KeyCode::Tab, KeyModifiers::NONE),
        Key::BackTab => (KeyCode::BackTab, KeyModifiers::SHIFT),
        Key::Enter => (KeyCode::Enter, KeyModifiers::NONE),
        Key::Esc => (KeyCode::Esc, KeyModifiers::NONE),
        Key::Backspace => (KeyCode::Backspace, KeyModifiers::NONE),
        Key::Other => (KeyCode::F(5), KeyModifiers::NONE),
    };
    Event::Key(KeyEvent::new(code, modifiers))
}

/// The modes whose keys a context's bindings are.
fn modes_of(context: crate::ui::keymap::Context) -> Vec<Mode> {
    use crate::ui::keymap::Context;
    match context {
        Context::Global => vec![
            Mode::Normal,
            Mode::Filter,
            Mode::ExportPath,
            Mode::Help,
            Mode::Inject,
        ],
        Context::Normal => vec![Mode::Normal],
        Context::Help => vec![Mode::Help],
        Context::Filter => vec![Mode::Filter],
        Context::Export => vec![Mode::ExportPath],
        Context::Inject => vec![Mode::Inject],
    }
}

#[test]
fn key_handling_is_the_keymap() {
    use crate::ui::keymap::{Key, Mouse, Trigger, KEYMAP};
    let mut checked = 0;
    for binding in KEYMAP {
        for (trigger, action) in binding.triggers {
            for mode in modes_of(binding.context) {
                let (event, expected) = match *trigger {
                    Trigger::Key(key) => (key_event(key), action.clone()),
                    Trigger::AnyKey => (key_event(Key::Char('x')), action.clone()),
                    Trigger::Mouse(kind) => {
                        let kind = match kind {
                            Mouse::WheelUp => MouseEventKind::ScrollUp,
                            Mouse::WheelDown => MouseEventKind::ScrollDown,
                            Mouse::Click => MouseEventKind::Down(MouseButton::Left),
                        };
                        let event = Event::Mouse(MouseEvent {
                            kind,
                            column: 7,
                            row: 9,
                            modifiers: KeyModifiers::NONE,
                        });
                        let expected = match action {
                            Action::ScrollUp { .. } => Action::ScrollUp { column: 7, row: 9 },
                            Action::ScrollDown { .. } => Action::ScrollDown { column: 7, row: 9 },
                            Action::Click { .. } => Action::Click { column: 7, row: 9 },
                            other => panic!("a mouse binding sends {other:?}"),
                        };
                        (event, expected)
                    }
                };
                assert_eq!(
                    keys::action_for(mode, &event),
                    Some(expected),
                    "{} ({}) in {mode:?}",
                    binding.keys,
                    binding.help
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "{checked}");
    // What the table does not bind: typed in the prompts and the dialog,
    // nothing in the views; the dialog's fallback for other keys.
    let x = key_event(Key::Char('x'));
    assert_eq!(keys::action_for(Mode::Normal, &x), None);
    assert_eq!(keys::action_for(Mode::Filter, &x), Some(Action::Input('x')));
    assert_eq!(keys::action_for(Mode::Inject, &x), Some(Action::Input('x')));
    let f5 = key_event(Key::Other);
    assert_eq!(keys::action_for(Mode::Inject, &f5), Some(Action::OtherKey));
    assert_eq!(keys::action_for(Mode::Filter, &f5), None);
    let ctrl_x = key_event(Key::Ctrl('x'));
    assert_eq!(keys::action_for(Mode::Normal, &ctrl_x), None);
    assert_eq!(keys::action_for(Mode::Filter, &ctrl_x), None);
    // The wheel only scrolls the views.
    let wheel = Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 1,
        row: 1,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(keys::action_for(Mode::Filter, &wheel), None);
}

#[test]
fn the_help_lists_every_binding_of_the_keymap_and_the_footer_its_hints() {
    use crate::ui::keymap::{self, Context, KEYMAP};
    for (width, height) in [(80, 24), (200, 50)] {
        let mut app = app();
        press(&mut app, KeyCode::Char('?'));
        let help = screen(&mut app, width, height);
        for binding in KEYMAP {
            let shown = match binding.context {
                Context::Global | Context::Normal => {
                    help.contains(&format!("{:<16} {}", binding.keys, binding.help))
                }
                _ => help.contains(&format!("{} {}", binding.keys, binding.help)),
            };
            assert!(
                shown,
                "{} ({}) at {width}: {help}",
                binding.keys, binding.help
            );
        }
        assert!(help.contains("i                inject a message"), "{help}");
    }
    // Every hint of the views at 200 columns, `i` at 80 too.
    let mut app = app();
    let wide = screen(&mut app, 200, 50);
    let footer = wide.lines().last().unwrap_or_default();
    for hint in keymap::hints(Context::Normal) {
        let hint = format!("{} {}", hint.keys, hint.text);
        assert!(footer.contains(&hint), "{hint}: {footer}");
    }
    let narrow = screen(&mut app, 80, 24);
    assert!(
        narrow
            .lines()
            .last()
            .unwrap_or_default()
            .contains("i inject"),
        "{narrow}"
    );
    // The prompts' and the dialog's hints come from it too.
    press(&mut app, KeyCode::Char('/'));
    chars(&mut app, "proto:route");
    assert!(screen(&mut app, 120, 24).contains("Enter apply  Esc cancel  keys:"));
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('e'));
    assert!(screen(&mut app, 120, 24).contains("(Enter write, Esc cancel)"));
}

#[test]
fn components_render_from_shared_references() {
    use crate::ui::components::Component;
    // The type signatures say it: `render` takes `&self`, for the App and
    // for every component it draws.
    fn renders_shared<C: Component>(_: &C) {}
    let _: fn(&App, &mut ratatui::Frame<'_>) = App::render;
    let app = app();
    renders_shared(&app.traffic.list);
    renders_shared(&app.traffic.detail);
    renders_shared(&app.traffic.hex);
    renders_shared(&app.ports_table);
    renders_shared(&app.groups_table);
    renders_shared(&app.filter);
    renders_shared(&app.export_prompt);
    renders_shared(&crate::ui::inject::InjectDialog::default());
    renders_shared(&crate::ui::components::header::Header);
    renders_shared(&crate::ui::components::footer::Footer);
    renders_shared(&crate::ui::components::help::Help);
    renders_shared(&crate::ui::components::stats::StatsView);
    renders_shared(&crate::ui::components::Banner);
    // And drawing twice draws the same: nothing changed in between.
    let mut app = self::app();
    assert_eq!(screen(&mut app, 160, 48), screen(&mut app, 160, 48));
}

#[test]
fn snapshot_wide_columns_show_ten_digit_ports() {
    // 200 columns: the endpoints of the guest's ports (2964459027) are
    // whole, and the summary keeps the rest.
    let mut app = fixture_app();
    let text = screen(&mut app, 200, 40);
    assert!(text.contains(" kernel->2964459027 "), "{text}");
    assert!(text.contains(" 2964459027->kernel "), "{text}");
    assert!(text.contains(" kernel->@ipv6_netconf "), "{text}");
    insta::assert_snapshot!("guest_traffic_200x40", text);
}

#[test]
fn snapshot_the_type_column_names_generic_netlink_and_uevents() {
    // Every message of the corpus in view: nlctrl by family and command,
    // the uevent by its action, audit by its type's name; not the numbers
    // their first bytes make (16, 25647, 1300).
    let mut app = app();
    let text = screen(&mut app, 160, 30);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("\"┃05:00:"))
        .collect();
    assert_eq!(rows.len(), 10, "{text}");
    let row = |summary: &str| *rows.iter().find(|r| r.contains(summary)).unwrap();
    assert!(
        row("nlctrl GETFAMILY nl80211").contains(" nlctrl GETFAMILY "),
        "{text}"
    );
    assert!(row("uevent add@").contains(" uevent add "), "{text}");
    assert!(
        row("AUDIT_SYSCALL audit(").contains(" AUDIT_SYSCALL "),
        "{text}"
    );
    assert!(
        !text.contains(" 25647 ") && !text.contains(" 1300 "),
        "{text}"
    );
    insta::assert_snapshot!("type_names_160x30", text);
}

#[test]
fn snapshot_stats_count_multicasts_nobody_heard_apart_from_errors() {
    let mut app = fixture_app();
    press(&mut app, KeyCode::Char('4'));
    let stats = app.store.stats();
    assert!(stats.no_listener > 0);
    assert!(!stats.errnos.contains_key(&3), "{:?}", stats.errnos);
    let text = screen(&mut app, 160, 48);
    assert!(text.contains("no listener"), "{text}");
    insta::assert_snapshot!("guest_stats_160x48", text);
}

#[test]
fn read_only_is_configuration_passed_in() {
    let config = crate::ui::Config {
        injection: crate::ui::Injection::Off(crate::ui::inject::READ_ONLY.into()),
        ..Default::default()
    };
    let mut app = App::with_config(Store::new(10), file_status(), config);
    press(&mut app, KeyCode::Char('i'));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(
        app.status.as_deref(),
        Some("injection is disabled (--read-only)")
    );
    let mut app = App::with_config(Store::new(10), file_status(), Default::default());
    press(&mut app, KeyCode::Char('i'));
    assert_eq!(app.mode, Mode::Inject);
}

/// The `crate::ui` modules a file of `src/ui` uses (comments left out).
fn ui_imports(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::ui::") {
            rest = &rest[at + "crate::ui::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut parts = path.split("::").filter(|p| !p.is_empty());
            let Some(first) = parts.next() else {
                continue;
            };
            let module = match (first, parts.next()) {
                ("components", Some(sub)) if sub.chars().all(|c| c.is_lowercase() || c == '_') => {
                    format!("components::{sub}")
                }
                (first, _) => first.to_string(),
            };
            found.push(module);
        }
    }
    found
}

#[test]
fn ui_modules_import_no_module_that_imports_them_back() {
    use std::collections::{BTreeMap, BTreeSet};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![root.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if !relative.ends_with(".rs") || relative.ends_with("tests.rs") {
            continue;
        }
        let module = match relative.trim_end_matches(".rs") {
            "mod" => "ui".to_string(),
            "components/mod" => "components".to_string(),
            other => other.replace('/', "::"),
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let uses: BTreeSet<String> = ui_imports(&text)
            .into_iter()
            .filter(|m| *m != module)
            .collect();
        graph.insert(module, uses);
    }
    assert!(graph.len() > 20, "{graph:?}");
    // Components get the data they need: none of them knows the App.
    for (module, uses) in &graph {
        if module.starts_with("components") || module == "inject" {
            for app_side in ["app", "screen", "runtime", "ui"] {
                assert!(!uses.contains(app_side), "{module} imports {app_side}");
            }
        }
    }
    // No cycle: a depth-first walk never meets a module still on its path.
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(module) {
            return;
        }
        if let Some(at) = path.iter().position(|m| m == module) {
            panic!("import cycle: {} -> {module}", path[at..].join(" -> "));
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
        done.insert(module.to_string());
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        visit(module, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn snapshot_transactions() {
    snapshot_all("transactions", |app| press(app, KeyCode::Char('5')));
}

/// From the link dump's NLMSG_DONE (#4), `r` goes to its request (#2).
#[test]
fn snapshot_the_jump_from_a_reply_to_its_request() {
    snapshot_all("jump_to_request", |app| {
        for _ in 0..5 {
            press(app, KeyCode::Up);
        }
        assert_eq!(app.traffic.list.selected, Some(4));
        press(app, KeyCode::Char('r'));
        assert_eq!(app.traffic.list.selected, Some(2));
    });
}

#[test]
fn the_jump_key_goes_between_requests_and_replies_and_says_why_not() {
    let mut app = app();
    render(&mut app, 160, 48);
    let select = |app: &mut App, seq: u64| {
        app.traffic.list.selected = Some(seq);
        app.traffic.list.follow = false;
        app.update(Action::Tick);
    };
    // A request goes to its first reply, that reply back to its request.
    select(&mut app, 2);
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(app.traffic.list.selected, Some(3));
    assert_eq!(app.status.as_deref(), Some("#3: the first reply of #2"));
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(app.traffic.list.selected, Some(2));
    // A notification, an orphan and a request still waiting stay put, and
    // the footer says why.
    for (seq, why) in [
        (5, "#5 is a notification (a multicast), no reply"),
        (6, "#6 is a reply no request waited for"),
        (7, "#7 has no reply: waiting for a reply"),
        (8, "#8 is a reply no request waited for"),
    ] {
        select(&mut app, seq);
        press(&mut app, KeyCode::Char('r'));
        assert_eq!(app.traffic.list.selected, Some(seq));
        let status = app.status.clone().unwrap_or_default();
        assert!(status.starts_with(why), "{seq}: {status}");
    }
    // A target the filter hides is not selected behind the user's back.
    app.apply_filter("type:NLMSG_DONE").unwrap();
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(app.traffic.list.selected, Some(4));
    assert_eq!(
        app.status.as_deref(),
        Some("the request of #4 is #2, which the filter hides (Esc clears it)")
    );
    // The detail pane says what the message is to its transaction.
    app.apply_filter("").unwrap();
    select(&mut app, 4);
    let detail = screen(&mut app, 160, 48);
    assert!(
        detail.contains("transaction: reply to #2 (RTM_GETLINK dump)"),
        "{detail}"
    );
    select(&mut app, 2);
    let detail = screen(&mut app, 160, 48);
    assert!(
        detail.contains("transaction: answered by #3..#4 in 2.0 ms"),
        "{detail}"
    );
}

#[test]
fn the_transactions_view_lists_filters_and_jumps_to_requests() {
    let mut app = app();
    press(&mut app, KeyCode::Char('5'));
    render(&mut app, 160, 48);
    assert_eq!(Vec::from(app.transactions.ids().clone()), [1, 2, 3]);
    // Following: the newest request, the GETFAMILY still waiting.
    assert_eq!(app.transactions.selected, Some(3));
    press(&mut app, KeyCode::Up);
    assert_eq!(app.transactions.selected, Some(2));
    assert!(!app.transactions.follow);
    // Enter shows its request in the traffic view.
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Traffic);
    assert_eq!(app.traffic.list.selected, Some(2));
    // The traffic filter filters the requests.
    app.apply_filter("proto:route").unwrap();
    press(&mut app, KeyCode::Char('5'));
    assert_eq!(Vec::from(app.transactions.ids().clone()), [2]);
    let text = screen(&mut app, 160, 48);
    assert!(
        text.contains("Transactions 1/3, 1 waiting filter: proto:route"),
        "{text}"
    );
    app.apply_filter("").unwrap();
    assert_eq!(app.transactions.ids().len(), 3);
    // New requests are listed as they come, and followed again.
    press(&mut app, KeyCode::Char('G'));
    app.ingest(corpus::messages());
    assert_eq!(app.transactions.ids().len(), 6);
    assert_eq!(app.transactions.selected, Some(6));
}

#[test]
fn requests_close_as_no_reply_when_the_capture_is_quiet_or_ends() {
    use crate::pairing::{Outcome, Why, DEFAULT_TIMEOUT_NS};
    let live = SourceStatus {
        kind: "live".into(),
        detail: "fentry".into(),
        ended: None,
    };
    let mut app = App::new(Store::new(1000), live);
    app.ingest(corpus::messages());
    let waiting = |app: &App| app.store.transaction(3).unwrap().outcome.clone();
    assert_eq!(waiting(&app), Outcome::Pending);
    // Quiet for less than the timeout after the newest message: waiting.
    app.close_quiet_requests(1_000_000_000);
    assert_eq!(waiting(&app), Outcome::Pending);
    // The GETFAMILY was sent 1.11 s before the newest message.
    app.close_quiet_requests(DEFAULT_TIMEOUT_NS);
    assert_eq!(
        waiting(&app),
        Outcome::NoReply(Why::Timeout {
            after_ns: DEFAULT_TIMEOUT_NS
        })
    );
    // A file's end closes what still waits.
    let mut app = App::new(Store::new(1000), file_status());
    app.ingest(corpus::messages());
    app.update(Action::SourceEnded(crate::ui::app::SourceEnd::Finished {
        lost: 0,
    }));
    assert_eq!(waiting(&app), Outcome::NoReply(Why::CaptureEnded));
    press(&mut app, KeyCode::Char('5'));
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("no reply"), "{text}");
}

/// The transactions scenario's capture on Debian's 6.12 (tests/scenarios/
/// transactions), opened as `nlscope open --spec-dir kmod` does, to its end.
fn transactions_fixture_app() -> App {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = crate::format::read_capture(root.join("tests/fixtures/guest-transactions.jsonl"));
    assert!(read.error.is_none(), "{:?}", read.error);
    let mut specs = crate::ynl::Specs::with_builtin();
    assert!(specs.add_dir(&root.join("kmod")).is_empty());
    let context = crate::decode::DecodeContext::with_specs(std::sync::Arc::new(specs));
    let status = SourceStatus {
        kind: "file".into(),
        detail: "guest-transactions.jsonl".into(),
        ended: None,
    };
    let mut app = App::new(Store::with_context(10_000, context), status);
    app.ingest(read.messages);
    app.update(Action::SourceEnded(crate::ui::app::SourceEnd::Finished {
        lost: 0,
    }));
    app
}

#[test]
fn snapshot_the_guest_transactions_and_their_stats() {
    for (width, height) in SIZES {
        let mut app = transactions_fixture_app();
        for (name, key) in [("transactions", '5'), ("transactions_stats", '4')] {
            press(&mut app, KeyCode::Char(key));
            render(&mut app, width, height);
            insta::assert_snapshot!(
                format!("guest_{name}_{width}x{height}"),
                screen(&mut app, width, height)
            );
        }
    }
}

/// The RTM_NEWLINK whose IFLA_IFNAME is too long for the kernel's policy:
/// from its transaction to the request, where the detail pane's cursor is
/// on the rejected attribute and the hex pane highlights its bytes.
#[test]
fn a_rejected_requests_attribute_is_highlighted_in_its_hex() {
    let mut app = transactions_fixture_app();
    press(&mut app, KeyCode::Char('5'));
    render(&mut app, 160, 48);
    let tx = app
        .store
        .transactions()
        .unwrap()
        .iter()
        .find(|tx| tx.extack.as_deref() == Some("Attribute failed policy validation"))
        .map(|tx| (*tx).clone())
        .expect("the policy's rejection");
    let offending = tx.offending.clone().expect("an offset");
    assert_eq!(offending.field_text(), "attributes / IFLA_IFNAME");
    let bytes = offending.bytes.clone().expect("inside the request");
    // ifinfomsg after the header: the attribute starts at byte 32.
    assert_eq!(bytes.start, 32);
    while app.transactions.selected != Some(tx.id) {
        press(&mut app, KeyCode::Up);
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.traffic.list.selected, Some(tx.request));
    assert_eq!(app.traffic.detail.highlighted(), Some(bytes.clone()));
    let terminal = render(&mut app, 160, 48);
    let text = terminal.backend().to_string();
    insta::assert_snapshot!("guest_rejected_request_160x48", text);
    // The highlight: each byte's two hex digits and its character.
    let buffer = terminal.backend().buffer();
    let hex = app.areas.hex;
    let marked = (hex.top()..hex.bottom())
        .flat_map(|y| (hex.left()..hex.right()).map(move |x| (x, y)))
        .filter(|&(x, y)| buffer[(x, y)].bg == ratatui::style::Color::Yellow)
        .count();
    assert_eq!(marked, 3 * bytes.len());
}

/// `result:err` lists the failed requests: their replies match. Messages
/// one at a time (each request before its reply) list the same as the
/// whole file under a filter set after.
#[test]
fn a_matching_reply_lists_its_transaction_as_it_comes() {
    let whole = {
        let mut app = transactions_fixture_app();
        app.apply_filter("result:err").unwrap();
        Vec::from(app.transactions.ids().clone())
    };
    let failed: Vec<u64> = transactions_fixture_app()
        .store
        .transactions()
        .unwrap()
        .iter()
        .filter(|tx| matches!(tx.outcome, crate::pairing::Outcome::Error { .. }))
        .map(|tx| tx.id)
        .collect();
    assert_eq!(whole, failed);
    assert_eq!(whole.len(), 9);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = crate::format::read_capture(root.join("tests/fixtures/guest-transactions.jsonl"));
    let mut app = App::new(Store::new(10_000), file_status());
    app.apply_filter("result:err").unwrap();
    for message in read.messages {
        app.ingest(vec![message]);
    }
    assert_eq!(Vec::from(app.transactions.ids().clone()), whole);
}
