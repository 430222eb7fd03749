//! Checks that turn "permission denied" deep inside a BPF syscall into a
//! one-line explanation before anything is attempted.

/// Capability bits (linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Effective capabilities of this process, from /proc/self/status.
pub fn effective_capabilities() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_cap_eff(&status)
}

fn parse_cap_eff(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("CapEff:"))?;
    u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
}

fn has(caps: u64, bit: u32) -> bool {
    caps & (1u64 << bit) != 0
}

/// Ok when the process may load tracing BPF programs: root's CAP_SYS_ADMIN, or
/// CAP_BPF together with CAP_PERFMON.
pub fn check_capture_privileges() -> Result<(), String> {
    let caps = effective_capabilities().unwrap_or(0);
    if has(caps, CAP_SYS_ADMIN) || (has(caps, CAP_BPF) && has(caps, CAP_PERFMON)) {
        Ok(())
    } else {
        Err("live capture needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN): run nlscope with sudo".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_eff_is_parsed_from_proc_status() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        let caps = parse_cap_eff(status).unwrap();
        assert!(has(caps, CAP_BPF) && has(caps, CAP_SYS_ADMIN));
        assert_eq!(parse_cap_eff("CapEff:\t0000000000000000\n"), Some(0));
        assert_eq!(parse_cap_eff("nothing here"), None);
    }
}
