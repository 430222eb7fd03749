//! The inject dialog, driven by keys: snapshots of each stage, the
//! confirmation, read-only mode, and a real send to a NETLINK_USERSOCK socket.

use netlink_sys::{protocols::NETLINK_USERSOCK, Socket, SocketAddr};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use super::*;
use crate::store::Store;
use crate::ui::app::{Action, App, Mode, SourceStatus};
use crate::ui::keys;

fn app() -> App {
    let mut app = App::new(
        Store::new(100),
        SourceStatus {
            kind: "file".into(),
            detail: "empty.jsonl".into(),
            ended: Some("end of file".into()),
        },
    );
    app.inject.injection = Injection::Local;
    app
}

fn press(app: &mut App, code: KeyCode) {
    let event = Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    if let Some(action) = keys::action_for(app.mode, &event) {
        app.update(action);
    }
}

fn chars(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.update(Action::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    terminal.backend().to_string()
}

fn dialog(app: &App) -> &InjectDialog {
    app.inject.dialog.as_ref().expect("the dialog is open")
}

#[test]
fn i_opens_the_dialog_and_esc_closes_it() {
    let mut app = app();
    press(&mut app, KeyCode::Char('i'));
    assert_eq!(app.mode, Mode::Inject);
    // Keys go to the dialog now, not to the dashboard ('q' does not quit).
    chars(&mut app, "--template hello q");
    assert_eq!(dialog(&app).input, "--template hello q");
    assert!(!app.should_quit);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    assert_eq!(dialog(&app).input, "--template hello");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
    // Reopening keeps what was typed.
    press(&mut app, KeyCode::Char('i'));
    assert_eq!(dialog(&app).input, "--template hello");
}

#[test]
fn snapshot_the_dialog_while_editing() {
    let mut app = app();
    press(&mut app, KeyCode::Char('i'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    assert_eq!(dialog(&app).input, "--template echo --text ping");
    insta::assert_snapshot!("inject_editing_80x24", screen(&mut app, 80, 24));
}

#[test]
fn a_bad_argument_is_one_line_in_the_dialog() {
    let mut app = app();
    press(&mut app, KeyCode::Char('i'));
    chars(&mut app, "--template nope");
    press(&mut app, KeyCode::Enter);
    match &dialog(&app).stage {
        Stage::Editing { error: Some(error) } => {
            assert!(error.contains("unknown template"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    insta::assert_snapshot!("inject_error_80x24", screen(&mut app, 80, 24));
    chars(&mut app, " \"unclosed");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        dialog(&app).stage,
        Stage::Editing {
            error: Some("a quote is not closed".into())
        }
    );
}

#[test]
fn a_state_changing_message_asks_first_and_n_does_not_send() {
    let mut app = app();
    press(&mut app, KeyCode::Char('i'));
    chars(
        &mut app,
        "--protocol route --type RTM_DELLINK --flags request,ack",
    );
    press(&mut app, KeyCode::Enter);
    assert!(
        matches!(&dialog(&app).stage, Stage::Confirm { reason, .. } if reason.contains("RTM_DELLINK")),
        "{:?}",
        dialog(&app).stage
    );
    insta::assert_snapshot!("inject_confirm_80x24", screen(&mut app, 80, 24));
    // Other keys wait for the answer.
    press(&mut app, KeyCode::Char('x'));
    assert!(matches!(dialog(&app).stage, Stage::Confirm { .. }));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(
        dialog(&app).stage,
        Stage::Editing {
            error: Some("not sent".into())
        }
    );
    assert_eq!(app.mode, Mode::Inject);
}

#[test]
fn injection_off_keeps_the_dialog_closed_and_says_why() {
    // --read-only, and an agent that takes no sends: `i` says which.
    for (why, text) in [
        (READ_ONLY, "injection is disabled (--read-only)"),
        (
            crate::agent::SENDS_OFF,
            "the agent does not allow sends (start it with --allow-send)",
        ),
    ] {
        assert_eq!(why, text);
        let mut app = app();
        app.inject.injection = Injection::Off(why.into());
        press(&mut app, KeyCode::Char('i'));
        assert_eq!(app.mode, Mode::Normal);
        assert!(app.inject.dialog.is_none());
        assert_eq!(app.status.as_deref(), Some(why));
        let screen = screen(&mut app, 80, 24);
        assert!(screen.contains(why), "{screen}");
        assert!(!screen.contains(" inject "), "{screen}");
    }
}

#[test]
fn enter_sends_and_the_outcome_fills_the_dialog() {
    let mut receiver = Socket::new(NETLINK_USERSOCK).unwrap();
    receiver.bind(&SocketAddr::new(0, 0)).unwrap();
    let mut address = SocketAddr::new(0, 0);
    receiver.get_address(&mut address).unwrap();
    let port = address.port_number();

    let mut app = app();
    press(&mut app, KeyCode::Char('i'));
    chars(
        &mut app,
        &format!("--protocol usersock --to port:{port} --text 'hi there' --wait 10"),
    );
    press(&mut app, KeyCode::Enter);
    assert_eq!(dialog(&app).stage, Stage::Sending);
    app.settle();
    match &dialog(&app).stage {
        Stage::Done { ok: true, output } => {
            assert!(output.contains(&format!("to port {port}")), "{output}");
            assert!(output.contains("sent 24 bytes"), "{output}");
        }
        other => panic!("{other:?}"),
    }
    let screen = screen(&mut app, 100, 30);
    assert!(screen.contains("done (any key"), "{screen}");
    assert!(screen.contains("sent 24 bytes"), "{screen}");

    let mut buffer: Vec<u8> = Vec::with_capacity(256);
    receiver.recv_from(&mut buffer, 0).unwrap();
    assert_eq!(&buffer[16..], b"hi there");

    // Any key edits again, with the same arguments.
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(dialog(&app).stage, Stage::Editing { error: None });
}

#[test]
fn a_refused_send_says_why() {
    let mut app = app();
    press(&mut app, KeyCode::Char('i'));
    chars(
        &mut app,
        "--protocol usersock --to port:3999999998 --text x",
    );
    press(&mut app, KeyCode::Enter);
    app.settle();
    match &dialog(&app).stage {
        Stage::Done { ok: false, output } => {
            assert!(
                output.contains("no socket is bound to port 3999999998"),
                "{output}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn arguments_split_like_a_shell() {
    assert_eq!(
        split_args(r#"--text "a b" --hex '00 ff'  x"#).unwrap(),
        ["--text", "a b", "--hex", "00 ff", "x"]
    );
    assert_eq!(split_args("--text ''").unwrap(), ["--text", ""]);
    assert!(split_args("'open").is_err());
}

/// The dialog attached to an agent on this host (serving the guest
/// fixture, taking sends): the App, the agent and the attached source.
fn agent_app() -> (
    App,
    crate::agent::tests::Running,
    crate::agent::tests::Attached,
) {
    use crate::agent::tests::{attached_sender, sending, start_agent_on, FIXTURE};
    let agent = start_agent_on(
        Box::new(crate::capture::file::FileSource::new(FIXTURE)),
        None,
        sending(),
    );
    let (sender, attached) = attached_sender(&agent.address);
    let mut app = app();
    app.inject.injection = Injection::Agent(sender);
    (app, agent, attached)
}

#[test]
fn attached_to_an_agent_the_dialog_sends_through_it() {
    let (mut app, agent, attached) = agent_app();
    let mut receiver = crate::agent::tests::UserSocket::bind();
    press(&mut app, KeyCode::Char('i'));
    chars(
        &mut app,
        &format!(
            "--protocol usersock --to port:{} --text 'via agent' --wait 10",
            receiver.1
        ),
    );
    let title = format!(" inject through the agent at {} ", agent.address);
    assert!(screen(&mut app, 100, 30).contains(&title));
    press(&mut app, KeyCode::Enter);
    assert_eq!(dialog(&app).stage, Stage::Sending);
    app.settle();
    match &dialog(&app).stage {
        Stage::Done { ok: true, output } => {
            assert!(
                output.starts_with(&format!("through the agent at {}\n", agent.address)),
                "{output}"
            );
            assert!(output.contains("sent 25 bytes"), "{output}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        receiver
            .received(std::time::Duration::from_secs(5))
            .unwrap(),
        b"via agent"
    );
    drop(attached);
    agent.finish();
}

#[test]
fn a_confirmed_state_changing_send_reaches_the_agent_with_yes() {
    let (mut app, agent, attached) = agent_app();
    press(&mut app, KeyCode::Char('i'));
    // Not known to be read-only, and harmless here: nobody registered protocol 31.
    chars(&mut app, "--protocol 31 --type 0x10 --wait 10");
    press(&mut app, KeyCode::Enter);
    assert!(matches!(dialog(&app).stage, Stage::Confirm { .. }));
    press(&mut app, KeyCode::Char('y'));
    app.settle();
    match &dialog(&app).stage {
        // The agent took the confirmation and sent: the kernel's answer.
        Stage::Done { ok: false, output } => {
            assert!(output.contains("protocol 31 is not registered"), "{output}");
            assert!(!output.contains("--yes"), "{output}");
        }
        other => panic!("{other:?}"),
    }
    drop(attached);
    agent.finish();
}

#[test]
fn the_dialog_plans_spec_sends_here_and_leaves_them_to_an_agent_there() {
    let here = Planner::Here(crate::ynl::Specs::builtin());
    let (outgoing, _) = parse_line("--family rt-link --dump getlink", &here).unwrap();
    assert_eq!((outgoing.plan.protocol, outgoing.plan.kind), (0, 18));
    assert_eq!(outgoing.plan.risk, None);
    let (outgoing, _) = parse_line(
        r#"--family rt-link --do dellink --json '{"ifname": "d1"}'"#,
        &here,
    )
    .unwrap();
    assert!(outgoing.plan.risk.is_some(), "a dellink asks first");
    let error = parse_line("--family rt-link --do getlink --json '{\"x\": 1}'", &here).unwrap_err();
    assert!(error.contains("no attribute `x`"), "{error}");
    // For an agent: no spec needed here (the agent's has the family), the
    // arguments go as typed, and a state-changing operation still asks.
    let (outgoing, _) = parse_line(
        "--family nlscope_demo --do set --json '{\"index\": 1, \"value\": 2}'",
        &Planner::ForAgent,
    )
    .unwrap();
    assert!(outgoing.plan.risk.unwrap().contains("nlscope_demo set"));
    assert_eq!(outgoing.args[..2], ["--family", "nlscope_demo"]);
}
