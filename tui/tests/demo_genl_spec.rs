//! The demo module's YNL spec (`kmod/nlscope_demo.yaml`) against the rules of
//! the kernel's genetlink schema (Documentation/netlink/genetlink.yaml: the
//! keys each part may have, the required ones, the attribute types), against
//! the numbers nlscope holds for the family (`nlscope::netlink::demo_genl`,
//! which a unit test checks against the C header), and against the module's
//! own policies in `kmod/nlscope_demo.c`: every request lists exactly the
//! attributes its command's policy accepts, with the same types and limits.
//!
//! The schema itself is not in this repository (nor in any package the build
//! uses), so its rules are written out here; a JSON-schema validation
//! against the kernel's file is for the day a package ships it.

use std::collections::{BTreeMap, BTreeSet};

use nlscope::netlink::*;
use serde_yaml::Value;

const SPEC: &str = include_str!("../../kmod/nlscope_demo.yaml");
const HEADER: &str = include_str!("../../kmod/nlscope_demo_abi.h");
const MODULE: &str = include_str!("../../kmod/nlscope_demo.c");

fn spec() -> Value {
    serde_yaml::from_str(SPEC).expect("kmod/nlscope_demo.yaml is YAML")
}

fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping()?.get(key)
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    get(value, key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{key} is a string in {value:?}"))
}

fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    get(value, key)
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("{key} is a list in {value:?}"))
}

fn names(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.as_str().expect("a name").to_string())
        .collect()
}

/// Fails unless `value` is a mapping with every key of `required` and none
/// outside `allowed` (the schema's `additionalProperties: False`).
fn keys(value: &Value, what: &str, required: &[&str], allowed: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(mapping) = value.as_mapping() else {
        return vec![format!("{what}: not a mapping")];
    };
    for key in mapping.keys() {
        let key = key.as_str().unwrap_or("<not a string>");
        if !allowed.contains(&key) && !required.contains(&key) {
            problems.push(format!("{what}: key {key:?} is not in the schema"));
        }
    }
    for key in required {
        if !mapping.contains_key(*key) {
            problems.push(format!("{what}: required key {key:?} is missing"));
        }
    }
    problems
}

/// The genetlink schema's rules, as far as this spec uses them.
fn schema_problems(spec: &Value) -> Vec<String> {
    const ATTR_TYPES: &[&str] = &[
        "unused",
        "pad",
        "flag",
        "binary",
        "uint",
        "sint",
        "u8",
        "u16",
        "u32",
        "u64",
        "s32",
        "s64",
        "string",
        "nest",
        "array-nest",
        "nest-type-value",
    ];
    let mut problems = keys(
        spec,
        "the spec",
        &["name", "doc", "attribute-sets", "operations"],
        &["protocol", "uapi-header", "definitions", "mcast-groups"],
    );
    if let Some(protocol) = get(spec, "protocol") {
        if protocol.as_str() != Some("genetlink") {
            problems.push(format!("protocol {protocol:?} is not genetlink"));
        }
    }
    for definition in get(spec, "definitions")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        problems.extend(keys(
            definition,
            "a definition",
            &["type", "name"],
            &[
                "header",
                "doc",
                "value",
                "value-start",
                "entries",
                "render-max",
            ],
        ));
        let kind = get(definition, "type").and_then(Value::as_str);
        if !matches!(kind, Some("const" | "enum" | "flags")) {
            problems.push(format!("definition type {kind:?}"));
        }
    }
    for set in list(spec, "attribute-sets") {
        problems.extend(keys(
            set,
            "an attribute set",
            &["name", "attributes"],
            &["name-prefix", "enum-name", "doc", "subset-of"],
        ));
        let subset = get(set, "subset-of").is_some();
        for attribute in list(set, "attributes") {
            let required: &[&str] = if subset { &["name"] } else { &["name", "type"] };
            problems.extend(keys(
                attribute,
                "an attribute",
                required,
                &[
                    "type",
                    "doc",
                    "value",
                    "type-value",
                    "byte-order",
                    "multi-attr",
                    "nested-attributes",
                    "enum",
                    "enum-as-flags",
                    "checks",
                    "sub-type",
                    "display-hint",
                ],
            ));
            let kind = get(attribute, "type").and_then(Value::as_str);
            if kind.is_some_and(|k| !ATTR_TYPES.contains(&k)) {
                problems.push(format!("attribute type {kind:?} is not in the schema"));
            }
            if let Some(checks) = get(attribute, "checks") {
                problems.extend(keys(
                    checks,
                    "checks",
                    &[],
                    &[
                        "flags-mask",
                        "min",
                        "max",
                        "min-len",
                        "max-len",
                        "exact-len",
                    ],
                ));
                for (key, value) in checks.as_mapping().into_iter().flatten() {
                    // A literal is a non-negative integer (the schema's uint).
                    if value.as_i64().is_some_and(|n| n < 0) {
                        problems.push(format!("checks {key:?} is negative"));
                    }
                }
            }
        }
    }
    let operations = get(spec, "operations").expect("operations");
    problems.extend(keys(
        operations,
        "operations",
        &["list"],
        &[
            "enum-model",
            "name-prefix",
            "enum-name",
            "async-prefix",
            "async-enum",
        ],
    ));
    for operation in list(operations, "list") {
        problems.extend(keys(
            operation,
            "an operation",
            &["name", "doc"],
            &[
                "value",
                "attribute-set",
                "flags",
                "dont-validate",
                "config-cond",
                "do",
                "dump",
                "notify",
                "event",
                "mcgrp",
            ],
        ));
        for part in ["do", "dump"] {
            if let Some(part) = get(operation, part) {
                problems.extend(keys(
                    part,
                    "do/dump",
                    &[],
                    &["request", "reply", "pre", "post"],
                ));
                for message in ["request", "reply"] {
                    if let Some(message) = get(part, message) {
                        problems.extend(keys(message, "request/reply", &[], &["attributes"]));
                    }
                }
            }
        }
        for flag in get(operation, "flags")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            if flag.as_str() != Some("admin-perm") {
                problems.push(format!("operation flag {flag:?}"));
            }
        }
    }
    if let Some(groups) = get(spec, "mcast-groups") {
        problems.extend(keys(groups, "mcast-groups", &["list"], &[]));
        for group in list(groups, "list") {
            problems.extend(keys(group, "a group", &["name"], &["flags"]));
        }
    }
    problems
}

/// Names and values in YNL's numbering: an explicit `value`, else one more
/// than the entry before (the first is 1: 0 is each enum's UNSPEC).
fn numbered(entries: &[Value]) -> Vec<(String, u64)> {
    let mut next = 1;
    entries
        .iter()
        .map(|entry| {
            let value = get(entry, "value").and_then(Value::as_u64).unwrap_or(next);
            next = value + 1;
            (text(entry, "name").to_string(), value)
        })
        .collect()
}

/// `nlscope-demo-genl-a-` + `set-ntf` -> `NLSCOPE_DEMO_GENL_A_SET_NTF`, as
/// YNL names the C enum member.
fn c_name(prefix: &str, name: &str) -> String {
    format!("{prefix}{name}").replace('-', "_").to_uppercase()
}

#[test]
fn the_spec_follows_the_genetlink_schema() {
    let problems = schema_problems(&spec());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_schema_rules_catch_a_broken_spec() {
    // The same checks on a spec with a misspelt key, a type the schema does
    // not have and an operation without its doc.
    let edit = |spec: String, from: &str, to: &str| {
        assert!(spec.contains(from), "the spec has {from:?}");
        spec.replace(from, to)
    };
    let broken = edit(
        SPEC.to_string(),
        "attribute-set: demo\n      flags:",
        "attribute-sets: demo\n      flags:",
    );
    let broken = edit(
        broken,
        "type: u32\n        doc: The slot's value.",
        "type: u31\n        doc: The slot's value.",
    );
    let broken = edit(
        broken,
        "      doc: A slot was set; the message carries its new contents.\n",
        "",
    );
    let problems = schema_problems(&serde_yaml::from_str(&broken).unwrap());
    let text = problems.join("\n");
    assert!(
        text.contains("\"attribute-sets\" is not in the schema"),
        "{text}"
    );
    assert!(text.contains("u31"), "{text}");
    assert!(text.contains("required key \"doc\" is missing"), "{text}");
}

#[test]
fn the_spec_names_the_family_nlscope_knows() {
    let spec = spec();
    assert_eq!(text(&spec, "name"), DEMO_FAMILY_NAME);
    let groups = names(
        &list(get(&spec, "mcast-groups").unwrap(), "list")
            .iter()
            .map(|g| get(g, "name").unwrap().clone())
            .collect::<Vec<_>>(),
    );
    assert_eq!(groups, [DEMO_MCGRP_EVENTS]);
    // The header the spec names is the one holding the family's numbers.
    assert!(HEADER.contains(&format!(
        "#define NLSCOPE_DEMO_FAMILY_NAME \"{DEMO_FAMILY_NAME}\""
    )));
    assert_eq!(text(&spec, "uapi-header"), "nlscope_demo_abi.h");
    let constants: BTreeMap<String, u64> = list(&spec, "definitions")
        .iter()
        .map(|d| {
            (
                text(d, "name").to_string(),
                get(d, "value").and_then(Value::as_u64).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        constants,
        BTreeMap::from([
            ("slots".to_string(), DEMO_SLOTS as u64),
            ("value-max".to_string(), DEMO_VALUE_MAX as u64),
            ("name-max".to_string(), DEMO_NAME_MAX as u64),
            ("text-max".to_string(), DEMO_TEXT_MAX as u64),
        ])
    );
    for name in constants.keys() {
        let define = c_name("nlscope-demo-", name);
        assert!(HEADER.contains(&format!("#define {define} ")), "{define}");
    }
}

/// `part` (the operations, or an attribute set) numbers its `entries` as
/// `expected` says, and the header has each C member its `name-prefix`
/// makes, in the enum its `enum-name` names.
fn numbered_as(part: &Value, entries: &str, expected: impl Iterator<Item = (u64, &'static str)>) {
    let found = numbered(list(part, entries));
    let expected: Vec<(String, u64)> = expected
        .map(|(value, name)| (name.to_string(), value))
        .collect();
    assert_eq!(found, expected);
    let prefix = text(part, "name-prefix");
    for (name, _) in &found {
        let member = c_name(prefix, name);
        assert!(HEADER.contains(&format!("\t{member},")), "{member}");
    }
    assert!(HEADER.contains(&format!("enum {} {{", text(part, "enum-name"))));
}

#[test]
fn commands_and_attributes_have_the_numbers_of_the_c_header() {
    let spec = spec();
    let commands = DEMO_GENL_COMMANDS.iter().map(|&(v, n)| (v.into(), n));
    numbered_as(get(&spec, "operations").unwrap(), "list", commands);
    let attributes = DEMO_GENL_ATTRS.iter().map(|&(v, n)| (v.into(), n));
    numbered_as(&list(&spec, "attribute-sets")[0], "attributes", attributes);
}

#[test]
fn operations_refer_to_what_the_spec_defines() {
    let spec = spec();
    let sets: BTreeMap<String, BTreeSet<String>> = list(&spec, "attribute-sets")
        .iter()
        .map(|set| {
            (
                text(set, "name").to_string(),
                list(set, "attributes")
                    .iter()
                    .map(|a| text(a, "name").to_string())
                    .collect(),
            )
        })
        .collect();
    let groups: BTreeSet<String> = list(get(&spec, "mcast-groups").unwrap(), "list")
        .iter()
        .map(|g| text(g, "name").to_string())
        .collect();
    let operations = list(get(&spec, "operations").unwrap(), "list");
    let with_reply: BTreeSet<String> = operations
        .iter()
        .filter(|op| {
            ["do", "dump"]
                .iter()
                .any(|part| get(op, part).and_then(|p| get(p, "reply")).is_some())
        })
        .map(|op| text(op, "name").to_string())
        .collect();
    for operation in operations {
        let name = text(operation, "name");
        if let Some(target) = get(operation, "notify") {
            let target = target.as_str().unwrap();
            assert!(
                with_reply.contains(target),
                "{name} notifies as {target}, which has no reply"
            );
            let group = text(operation, "mcgrp");
            assert!(groups.contains(group), "{name}: no group {group}");
            continue;
        }
        let set = &sets[text(operation, "attribute-set")];
        for part in ["do", "dump"] {
            for message in ["request", "reply"] {
                let Some(attributes) = get(operation, part)
                    .and_then(|p| get(p, message))
                    .map(|m| list(m, "attributes"))
                else {
                    continue;
                };
                for attribute in names(attributes) {
                    assert!(
                        set.contains(&attribute),
                        "{name} {part} {message}: no attribute {attribute}"
                    );
                }
            }
        }
    }
}

/// A limit as the module writes it: a number, a define of the header, or a
/// define minus one.
fn c_value(expression: &str) -> u64 {
    let expression = expression.trim();
    if let Ok(number) = expression.parse() {
        return number;
    }
    if let Some(define) = expression.strip_suffix(" - 1") {
        return c_value(define) - 1;
    }
    let line = HEADER
        .lines()
        .find_map(|line| line.strip_prefix(&format!("#define {expression} ")))
        .unwrap_or_else(|| panic!("no #define {expression} in the header"));
    line.trim().parse().unwrap()
}

/// The entries of `static const struct nla_policy NAME[...] = { ... };` in
/// the module: attribute (the part after NLSCOPE_DEMO_GENL_A_) -> its policy.
fn module_policy(name: &str) -> BTreeMap<String, String> {
    let start = MODULE
        .find(&format!("static const struct nla_policy {name}["))
        .unwrap_or_else(|| panic!("no policy {name} in kmod/nlscope_demo.c"));
    let body = &MODULE[start..];
    let body = &body[..body.find("};").unwrap()];
    body.lines()
        .filter_map(|line| line.trim().strip_prefix("[NLSCOPE_DEMO_GENL_A_"))
        .map(|line| {
            let (attribute, policy) = line.split_once("] = ").unwrap();
            (
                attribute.to_lowercase().replace('_', "-"),
                policy.trim_end_matches(',').to_string(),
            )
        })
        .collect()
}

/// The policy the module should have for an attribute of the spec.
fn expected_policy(attribute: &Value) -> String {
    let checks = get(attribute, "checks");
    let check = |key: &str| checks.and_then(|c| get(c, key)).and_then(Value::as_u64);
    match text(attribute, "type") {
        "u32" => match (check("min"), check("max")) {
            (Some(min), Some(max)) => format!("range u32 {min}..{max}"),
            (None, None) => "u32".to_string(),
            other => panic!("a u32 check the test does not know: {other:?}"),
        },
        "string" => format!("nul-string max {}", check("max-len").expect("a max-len")),
        other => panic!("an attribute type the test does not know: {other}"),
    }
}

/// The module's policy entry in the same words.
fn module_policy_words(policy: &str) -> String {
    if let Some(range) = policy
        .strip_prefix("NLA_POLICY_RANGE(NLA_U32, ")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (min, max) = range.split_once(", ").unwrap();
        return format!("range u32 {}..{}", c_value(min), c_value(max));
    }
    if policy == "{ .type = NLA_U32 }" {
        return "u32".to_string();
    }
    if let Some(length) = policy
        .strip_prefix("{ .type = NLA_NUL_STRING, .len = ")
        .and_then(|r| r.strip_suffix(" }"))
    {
        return format!("nul-string max {}", c_value(length));
    }
    panic!("a policy the test does not know: {policy}");
}

#[test]
fn each_request_is_what_the_module_policy_accepts() {
    let spec = spec();
    let set = &list(&spec, "attribute-sets")[0];
    let attributes: BTreeMap<String, &Value> = list(set, "attributes")
        .iter()
        .map(|a| (text(a, "name").to_string(), a))
        .collect();
    let operations = list(get(&spec, "operations").unwrap(), "list");
    let mut checked = 0;
    for operation in operations {
        let name = text(operation, "name");
        let Some(request) = get(operation, "do").and_then(|d| get(d, "request")) else {
            continue;
        };
        let policy = module_policy(&format!("{name}_policy"));
        let requested: BTreeSet<String> = names(list(request, "attributes")).into_iter().collect();
        assert_eq!(
            policy.keys().cloned().collect::<BTreeSet<_>>(),
            requested,
            "{name}: the spec's request against {name}_policy"
        );
        for (attribute, entry) in &policy {
            assert_eq!(
                module_policy_words(entry),
                expected_policy(attributes[attribute]),
                "{name}: attribute {attribute}"
            );
            checked += 1;
        }
        // SET asks for CAP_NET_ADMIN in the spec and in the module.
        let admin = get(operation, "flags").is_some_and(|f| f.as_sequence().unwrap().len() == 1);
        let ops_entry = &MODULE[MODULE
            .find(&format!(
                ".cmd = {},",
                c_name("nlscope-demo-genl-cmd-", name)
            ))
            .unwrap()..];
        let ops_entry = &ops_entry[..ops_entry.find("},").unwrap()];
        assert_eq!(ops_entry.contains("GENL_ADMIN_PERM"), admin, "{name}");
    }
    assert_eq!(checked, 6, "echo's 2, set's 3 and get's 1 attributes");
}
