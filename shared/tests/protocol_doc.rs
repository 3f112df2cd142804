//! Every JSON example in docs/PROTOCOL.md must parse as the message it documents, and every message
//! type must have an example: the document cannot drift from the code.

use mulin_shared::{ClientMsg, ServerMsg};

const DOC: &str = include_str!("../../docs/PROTOCOL.md");

/// The bodies of the fenced blocks opened with "```json {side}".
fn examples(side: &str) -> Vec<String> {
    let fence = format!("```json {side}");
    let mut found = Vec::new();
    let mut rest = DOC;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("closed code block");
        found.push(body[..end].trim().to_string());
        rest = &body[end + 3..];
    }
    found
}

fn type_of(example: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(example).expect("example is JSON");
    value["type"]
        .as_str()
        .expect("example has a type")
        .to_string()
}

#[test]
fn every_client_example_parses_and_every_client_type_has_one() {
    let examples = examples("client");
    for example in &examples {
        if let Err(e) = ClientMsg::parse(example) {
            panic!("{example}\n does not parse: {}", e.message);
        }
    }
    let documented: Vec<String> = examples.iter().map(|e| type_of(e)).collect();
    for kind in ClientMsg::TYPES {
        assert!(
            documented.iter().any(|d| d == kind),
            "no example for client message {kind}"
        );
    }
}

#[test]
fn every_server_example_parses_and_every_server_type_has_one() {
    let examples = examples("server");
    for example in &examples {
        if let Err(e) = ServerMsg::parse(example) {
            panic!("{example}\n does not parse: {e}");
        }
    }
    let documented: Vec<String> = examples.iter().map(|e| type_of(e)).collect();
    for kind in ServerMsg::TYPES {
        assert!(
            documented.iter().any(|d| d == kind),
            "no example for server message {kind}"
        );
    }
}
