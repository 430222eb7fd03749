//! What a scenario's `expect.json` may say, and checking it against a run.
//!
//! ```json
//! {
//!   "exit_code": 0,
//!   "timeout_secs": 120,
//!   "contains": { "client.out": ["recv 15: Hello userspace"] },
//!   "absent": { "dmesg.txt": ["malformed"] },
//!   "captures": [{
//!     "file": "capture.jsonl",
//!     "exact": true,
//!     "messages": [
//!       { "protocol": 30, "src_port": "$PORT", "dst_port": 0, "payload_contains": "Hello kernel" }
//!     ]
//!   }]
//! }
//! ```
//! `$NAME` values come from `/results/vars.env` (`NAME=value` lines) that the
//! scenario writes. A capture's expected messages match captured JSON objects
//! in order; with `exact`, nothing else may have been captured. A list as a
//! field's value (`"hook": ["netlink_broadcast", "netlink_broadcast_filtered"]`)
//! accepts any of its values.

use std::collections::{BTreeMap, HashMap};
use std::fs;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;

use crate::{workspace_root, GuestRun};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Results file -> substrings that must appear in it.
    #[serde(default)]
    pub contains: BTreeMap<String, Vec<String>>,
    /// Results file -> substrings that must not appear in it.
    #[serde(default)]
    pub absent: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub captures: Vec<CaptureExpectation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureExpectation {
    pub file: String,
    #[serde(default)]
    pub exact: bool,
    /// Messages that must appear, in this order.
    #[serde(default)]
    pub messages: Vec<serde_json::Map<String, Value>>,
    /// How many messages (or multicast deliveries) must match a pattern.
    #[serde(default)]
    pub counts: Vec<CountExpectation>,
}

/// `{"where": {...}, "count": N}` counts messages matching `where`;
/// `{"deliveries_where": {"port": P, "result": R}, "count": N}` counts
/// multicast deliveries (across all messages) with those fields. `count` may
/// be a number or a `$VAR`; `at_least` turns it into a lower bound.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountExpectation {
    #[serde(default, rename = "where")]
    pub message_where: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub deliveries_where: Option<serde_json::Map<String, Value>>,
    pub count: Value,
    #[serde(default)]
    pub at_least: bool,
    /// Shown when the count is wrong.
    #[serde(default)]
    pub what: String,
}

impl Expectations {
    pub fn load(scenario: &str) -> Result<Expectations> {
        let path = workspace_root()
            .join("tests/scenarios")
            .join(scenario)
            .join("expect.json");
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn check(&self, run: &GuestRun) -> Result<()> {
        let vars = parse_vars(&run.file("vars.env"));
        let expected_exit = self.exit_code.unwrap_or(0);
        if run.exit_code != expected_exit {
            bail!(
                "scenario {}: run.sh exited {} (expected {expected_exit})",
                run.scenario,
                run.exit_code
            );
        }
        for (file, needles) in &self.contains {
            let text = run.file(file);
            for needle in needles {
                let needle = substitute(needle, &vars)?;
                if !text.contains(&needle) {
                    bail!(
                        "scenario {}: expected {file} to contain {needle:?}; it holds:\n{}",
                        run.scenario,
                        crate::tail(&text, 20)
                    );
                }
            }
        }
        for (file, needles) in &self.absent {
            let text = run.file(file);
            for needle in needles {
                if let Some(line) = text.lines().find(|line| line.contains(needle.as_str())) {
                    bail!(
                        "scenario {}: {file} must not contain {needle:?}, but has: {line}",
                        run.scenario
                    );
                }
            }
        }
        for capture in &self.captures {
            check_capture(run, capture, &vars)?;
        }
        Ok(())
    }
}

fn parse_vars(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn substitute(text: &str, vars: &HashMap<String, String>) -> Result<String> {
    match text.strip_prefix('$') {
        Some(name) => vars.get(name).cloned().ok_or_else(|| {
            anyhow!("expectation uses ${name}, which the scenario did not write to vars.env")
        }),
        None => Ok(text.to_string()),
    }
}

/// Resolves `$VAR` in an expected value; numbers stay numbers.
fn resolve(value: &Value, vars: &HashMap<String, String>) -> Result<Value> {
    match value {
        Value::String(text) if text.starts_with('$') => {
            let raw = substitute(text, vars)?;
            Ok(raw
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or(Value::String(raw)))
        }
        other => Ok(other.clone()),
    }
}

/// Why `actual` does not match `expected`, or None when it does.
fn mismatch(
    expected: &serde_json::Map<String, Value>,
    actual: &Value,
    vars: &HashMap<String, String>,
) -> Result<Option<String>> {
    for (key, want) in expected {
        let want = resolve(want, vars)?;
        if key == "delivered_to" {
            let port = want.as_u64();
            let delivered = actual
                .get("deliveries")
                .and_then(Value::as_array)
                .is_some_and(|list| {
                    list.iter().any(|d| {
                        d.get("port").and_then(Value::as_u64) == port
                            && d.get("result")
                                .and_then(Value::as_i64)
                                .is_some_and(|r| r >= 0)
                    })
                });
            if !delivered {
                return Ok(Some(format!("not delivered to port {want}")));
            }
            continue;
        }
        if key == "payload_contains" {
            let needle = want
                .as_str()
                .ok_or_else(|| anyhow!("payload_contains takes a string"))?;
            let payload = actual
                .get("payload")
                .and_then(Value::as_str)
                .and_then(|h| hex::decode(h).ok())
                .unwrap_or_default();
            if !payload
                .windows(needle.len().max(1))
                .any(|w| w == needle.as_bytes())
            {
                return Ok(Some(format!("payload does not contain {needle:?}")));
            }
            continue;
        }
        let got = actual.get(key).cloned().unwrap_or(Value::Null);
        // A list is a choice: the field must equal one of its values (a
        // kernel may take either of two paths for the same message).
        if let Value::Array(choices) = &want {
            let choices: Vec<Value> = choices
                .iter()
                .map(|choice| resolve(choice, vars))
                .collect::<Result<_>>()?;
            if !choices.contains(&got) {
                return Ok(Some(format!("{key} is {got}, expected one of {want}")));
            }
            continue;
        }
        if got != want {
            return Ok(Some(format!("{key} is {got}, expected {want}")));
        }
    }
    Ok(None)
}

fn check_capture(
    run: &GuestRun,
    capture: &CaptureExpectation,
    vars: &HashMap<String, String>,
) -> Result<()> {
    let text = run.file(&capture.file);
    let captured: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{} line {}: not JSON", capture.file, i + 1))
        })
        .collect::<Result<_>>()?;
    let listing = || {
        captured
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    if capture.exact && captured.len() != capture.messages.len() {
        bail!(
            "scenario {}: {} holds {} messages, expected exactly {}:\n{}",
            run.scenario,
            capture.file,
            captured.len(),
            capture.messages.len(),
            listing()
        );
    }
    for count in &capture.counts {
        let want = resolve(&count.count, vars)?
            .as_u64()
            .ok_or_else(|| anyhow!("count must be a number or a $VAR holding one"))?;
        let got = match (&count.message_where, &count.deliveries_where) {
            (Some(pattern), None) => {
                let mut n = 0u64;
                for message in &captured {
                    if mismatch(pattern, message, vars)?.is_none() {
                        n += 1;
                    }
                }
                n
            }
            (None, Some(pattern)) => {
                let mut n = 0u64;
                for message in &captured {
                    for delivery in message
                        .get("deliveries")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if mismatch(pattern, delivery, vars)?.is_none() {
                            n += 1;
                        }
                    }
                }
                n
            }
            _ => bail!("a count takes exactly one of where / deliveries_where"),
        };
        let ok = if count.at_least {
            got >= want
        } else {
            got == want
        };
        if !ok {
            bail!(
                "scenario {}: {}: {} matches {:?} {} times, expected {}{want}",
                run.scenario,
                count.what,
                capture.file,
                count
                    .message_where
                    .as_ref()
                    .or(count.deliveries_where.as_ref()),
                got,
                if count.at_least { "at least " } else { "" }
            );
        }
    }
    // Expected messages match captured ones in order (others may sit between
    // them unless `exact`).
    let mut next = 0usize;
    for (index, expected) in capture.messages.iter().enumerate() {
        let mut reasons = Vec::new();
        loop {
            let Some(actual) = captured.get(next) else {
                bail!(
                    "scenario {}: expected message #{} in {} not found ({}); captured:\n{}",
                    run.scenario,
                    index + 1,
                    capture.file,
                    reasons.join("; "),
                    listing()
                );
            };
            next += 1;
            match mismatch(expected, actual, vars)? {
                None => break,
                Some(reason) if capture.exact => {
                    bail!(
                        "scenario {}: message #{} in {}: {reason}; captured:\n{}",
                        run.scenario,
                        index + 1,
                        capture.file,
                        listing()
                    )
                }
                Some(reason) => reasons.push(reason),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variables_and_payloads_match() {
        let vars = parse_vars("PORT=4242\nCLIENT_PID=77\n");
        let expected = json!({"src_port": "$PORT", "pid": "$CLIENT_PID", "payload_contains": "Hi"});
        let actual = json!({"src_port": 4242, "pid": 77, "payload": hex::encode(b"xxHix")});
        assert_eq!(
            mismatch(expected.as_object().unwrap(), &actual, &vars).unwrap(),
            None
        );
        let wrong = json!({"src_port": 1, "pid": 77, "payload": hex::encode(b"Hi")});
        assert!(mismatch(expected.as_object().unwrap(), &wrong, &vars)
            .unwrap()
            .unwrap()
            .contains("src_port"));
    }

    #[test]
    fn an_unset_variable_is_an_error() {
        let expected = json!({"pid": "$NOPE"});
        assert!(mismatch(expected.as_object().unwrap(), &json!({}), &HashMap::new()).is_err());
    }
}
