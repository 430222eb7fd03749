//! The examples that end each command's long help (`--help`, and the man
//! pages, which are generated from it), written as the README's are: the
//! command line, then what it does after `#`. A test parses every example
//! line as nlscope would, so an example cannot name an option its command
//! does not have, and holds each within 80 columns (clap would wrap a
//! longer one on a narrow terminal).

/// `nlscope` without a subcommand: the dashboard on live capture.
pub const DASHBOARD: &str = "\
Examples:
  nlscope                                   # live capture (as root)
  nlscope --protocol route -w route.pcapng  # rtnetlink only, all kept in a file
  nlscope --connect unix:/run/nlscope.sock  # an agent's stream";

pub const RECORD: &str = "\
Examples:
  nlscope record -w capture.pcapng               # pcapng for Wireshark
  nlscope record --count 100 --duration 10 -o -  # 100 messages or 10 s
  nlscope record --protocol route --pid 1234 -w route.pcapng";

pub const PORTS: &str = "\
Examples:
  nlscope ports          # every netlink socket, as a table
  nlscope ports --json   # the same as JSON, with the notes";

pub const OPEN: &str = "\
Examples:
  nlscope open capture.pcapng                    # a file in the dashboard
  nlscope open capture.jsonl --max-events 50000  # keep 50,000 at most
  nlscope open huge.pcapng --memory 256M         # more of the index in memory";

pub const AGENT: &str = "\
Examples:
  nlscope agent                              # on unix:/run/nlscope.sock
  nlscope agent --listen tcp:127.0.0.1:7700  # on a loopback TCP port
  nlscope agent --allow-send                 # clients may send from here";

pub const DECODE: &str = "\
Examples:
  nlscope decode capture.pcapng                 # as tshark -V prints packets
  nlscope decode capture.pcapng --json          # one JSON object a message
  nlscope decode capture.pcapng --transactions --spec-dir kmod/";

pub const SEND: &str = "\
Examples:
  nlscope send --template getlink               # an rtnetlink link dump
  nlscope send --family rt-link --dump getlink  # the same, from its YNL spec
  nlscope send --connect unix:/run/nlscope.sock --template hello";

pub const SPECS: &str = "\
Examples:
  nlscope specs                          # every family, and where from
  nlscope specs --spec-dir kmod/ --json  # with the demo module's spec";

pub const COMPLETIONS: &str = "\
Examples:
  nlscope completions bash > /etc/bash_completion.d/nlscope
  nlscope completions zsh > /usr/local/share/zsh/site-functions/_nlscope
  nlscope completions fish > ~/.config/fish/completions/nlscope.fish";
