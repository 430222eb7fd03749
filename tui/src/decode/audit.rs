//! NETLINK_AUDIT: message type names, audit_status, and the record text.

use super::names::lookup;
use super::nla::{escape, hex, member, members, Cx, Kind, Member};
use super::printable::{as_text, cut};
use super::{Body, Field, Msg};

const TYPES: &[(u16, &str)] = &[
    (1000, "AUDIT_GET"),
    (1001, "AUDIT_SET"),
    (1002, "AUDIT_LIST"),
    (1003, "AUDIT_ADD"),
    (1004, "AUDIT_DEL"),
    (1005, "AUDIT_USER"),
    (1006, "AUDIT_LOGIN"),
    (1007, "AUDIT_WATCH_INS"),
    (1008, "AUDIT_WATCH_REM"),
    (1009, "AUDIT_WATCH_LIST"),
    (1010, "AUDIT_SIGNAL_INFO"),
    (1011, "AUDIT_ADD_RULE"),
    (1012, "AUDIT_DEL_RULE"),
    (1013, "AUDIT_LIST_RULES"),
    (1014, "AUDIT_TRIM"),
    (1015, "AUDIT_MAKE_EQUIV"),
    (1016, "AUDIT_TTY_GET"),
    (1017, "AUDIT_TTY_SET"),
    (1018, "AUDIT_SET_FEATURE"),
    (1019, "AUDIT_GET_FEATURE"),
    (1100, "AUDIT_USER_AUTH"),
    (1101, "AUDIT_USER_ACCT"),
    (1102, "AUDIT_USER_MGMT"),
    (1103, "AUDIT_CRED_ACQ"),
    (1104, "AUDIT_CRED_DISP"),
    (1105, "AUDIT_USER_START"),
    (1106, "AUDIT_USER_END"),
    (1107, "AUDIT_USER_AVC"),
    (1108, "AUDIT_USER_CHAUTHTOK"),
    (1109, "AUDIT_USER_ERR"),
    (1110, "AUDIT_CRED_REFR"),
    (1111, "AUDIT_USYS_CONFIG"),
    (1112, "AUDIT_USER_LOGIN"),
    (1113, "AUDIT_USER_LOGOUT"),
    (1114, "AUDIT_ADD_USER"),
    (1115, "AUDIT_DEL_USER"),
    (1116, "AUDIT_ADD_GROUP"),
    (1117, "AUDIT_DEL_GROUP"),
    (1124, "AUDIT_USER_TTY"),
    (1130, "AUDIT_SERVICE_START"),
    (1131, "AUDIT_SERVICE_STOP"),
    (1300, "AUDIT_SYSCALL"),
    (1302, "AUDIT_PATH"),
    (1303, "AUDIT_IPC"),
    (1304, "AUDIT_SOCKETCALL"),
    (1305, "AUDIT_CONFIG_CHANGE"),
    (1306, "AUDIT_SOCKADDR"),
    (1307, "AUDIT_CWD"),
    (1309, "AUDIT_EXECVE"),
    (1311, "AUDIT_IPC_SET_PERM"),
    (1312, "AUDIT_MQ_OPEN"),
    (1313, "AUDIT_MQ_SENDRECV"),
    (1314, "AUDIT_MQ_NOTIFY"),
    (1315, "AUDIT_MQ_GETSETATTR"),
    (1316, "AUDIT_KERNEL_OTHER"),
    (1317, "AUDIT_FD_PAIR"),
    (1318, "AUDIT_OBJ_PID"),
    (1319, "AUDIT_TTY"),
    (1320, "AUDIT_EOE"),
    (1321, "AUDIT_BPRM_FCAPS"),
    (1322, "AUDIT_CAPSET"),
    (1323, "AUDIT_MMAP"),
    (1324, "AUDIT_NETFILTER_PKT"),
    (1325, "AUDIT_NETFILTER_CFG"),
    (1326, "AUDIT_SECCOMP"),
    (1327, "AUDIT_PROCTITLE"),
    (1328, "AUDIT_FEATURE_CHANGE"),
    (1329, "AUDIT_REPLACE"),
    (1330, "AUDIT_KERN_MODULE"),
    (1331, "AUDIT_FANOTIFY"),
    (1332, "AUDIT_TIME_INJOFFSET"),
    (1333, "AUDIT_TIME_ADJNTPVAL"),
    (1334, "AUDIT_BPF"),
    (1335, "AUDIT_EVENT_LISTENER"),
    (1336, "AUDIT_URINGOP"),
    (1337, "AUDIT_OPENAT2"),
    (1338, "AUDIT_DM_CTRL"),
    (1339, "AUDIT_DM_EVENT"),
    (1400, "AUDIT_AVC"),
    (1401, "AUDIT_SELINUX_ERR"),
    (1402, "AUDIT_AVC_PATH"),
    (1403, "AUDIT_MAC_POLICY_LOAD"),
    (1404, "AUDIT_MAC_STATUS"),
    (1405, "AUDIT_MAC_CONFIG_CHANGE"),
    (1406, "AUDIT_MAC_UNLBL_ALLOW"),
    (1415, "AUDIT_MAC_CALIPSO_ADD"),
    (1700, "AUDIT_ANOM_PROMISCUOUS"),
    (1701, "AUDIT_ANOM_ABEND"),
    (1702, "AUDIT_ANOM_LINK"),
    (1703, "AUDIT_ANOM_CREAT"),
    (1800, "AUDIT_INTEGRITY_DATA"),
    (2000, "AUDIT_KERNEL"),
];

const AUDIT_STATUS: &[Member] = &[
    member("mask", 0, Kind::U32, 4),
    member("enabled", 4, Kind::U32, 4),
    member("failure", 8, Kind::U32, 4),
    member("pid", 12, Kind::U32, 4),
    member("rate_limit", 16, Kind::U32, 4),
    member("backlog_limit", 20, Kind::U32, 4),
    member("lost", 24, Kind::U32, 4),
    member("backlog", 28, Kind::U32, 4),
    member("feature_bitmap", 32, Kind::U32, 4),
    member("backlog_wait_time", 36, Kind::U32, 4),
    member("backlog_wait_time_actual", 40, Kind::U32, 4),
];

pub fn type_name(kind: u16) -> String {
    match lookup(TYPES, kind) {
        Some(name) => name.to_string(),
        None if (1100..=1199).contains(&kind) || (2100..=2999).contains(&kind) => {
            format!("AUDIT_USER type {kind}")
        }
        None => format!("AUDIT type {kind}"),
    }
}

pub fn decode(cx: &Cx, msg: &Msg) -> Body {
    let kind = msg.header.kind;
    let name = type_name(kind);
    let body = msg.body.clone();
    let data = cx.bytes(body.clone());
    let mut fields = Vec::new();
    let mut summary = name.clone();
    // AUDIT_GET replies and AUDIT_SET requests carry struct audit_status.
    if (kind == 1000 || kind == 1001) && data.len() >= 32 {
        fields.push(
            Field::new("audit_status", format!("{} bytes", data.len()))
                .at(body.clone())
                .with_children(members(cx, body.start, body.end, AUDIT_STATUS)),
        );
        if let Some(enabled) = cx.u32(body.start + 4) {
            summary.push_str(&format!(" enabled {enabled}"));
        }
    } else if let Some(text) = as_text(data) {
        fields.push(Field::new("text", format!("\"{}\"", escape(&text))).at(body.clone()));
        summary.push_str(&format!(" {}", cut(&text, 80)));
    } else if !data.is_empty() {
        fields.push(Field::new("data", hex(data)).at(body));
    }
    Body {
        type_name: name.into(),
        op: None,
        fields,
        summary,
    }
}
