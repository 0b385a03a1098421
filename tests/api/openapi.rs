//! `openapi.yaml` documents exactly the routes the server serves, and marks those Griffin's
//! API does not have.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::contract::{griffin, ours};

#[test]
fn openapi_yaml_and_the_route_table_agree() {
    let mut documented = BTreeSet::new();
    for operation in ours().operations() {
        assert!(
            operation.definition["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{} {} documents no responses",
            operation.method,
            operation.path
        );
        documented.insert((operation.method.clone(), operation.path.clone()));
    }
    let served: BTreeSet<_> = hyperbank::routes::route_table()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_string(), path.to_string()))
        .collect();
    assert!(!served.is_empty(), "the route table is empty");
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in openapi.yaml but not served: {unserved:?}"
    );
}

/// Every operation Griffin's spec lacks carries `x-hyperbank-extension: true`, and none of
/// Griffin's does. Paths match by shape: the same literal segments, parameters where Griffin
/// has them, whatever their names.
#[test]
fn operations_beyond_griffins_are_marked_as_extensions() {
    let mut unmarked = Vec::new();
    let mut wrongly_marked = Vec::new();
    let mut extensions = 0;
    for operation in ours().operations() {
        let mark = operation.definition.get("x-hyperbank-extension");
        assert!(
            matches!(mark, None | Some(Value::Bool(true))),
            "{} {}: x-hyperbank-extension is true or absent, not {mark:?}",
            operation.method,
            operation.path
        );
        let marked = mark.is_some();
        let griffins = griffin()
            .operation_like(&operation.method, &operation.path)
            .is_some();
        let name = format!("{} {}", operation.method, operation.path);
        match (griffins, marked) {
            (false, false) => unmarked.push(name),
            (true, true) => wrongly_marked.push(name),
            (false, true) => extensions += 1,
            (true, false) => {}
        }
    }
    assert!(
        unmarked.is_empty() && wrongly_marked.is_empty(),
        "not in Griffin's spec, so to be marked `x-hyperbank-extension: true`: \
         {unmarked:#?}\nGriffin's operations, not extensions: {wrongly_marked:#?}"
    );
    // Both kinds exist: the check above compared something.
    assert!(extensions > 0 && extensions < ours().operations().len());
}

/// The media types besides JSON that the route table serves are exactly those `openapi.yaml`
/// documents for the operations' 200s (and no error is documented as anything but JSON).
#[test]
fn media_types_beyond_json_are_documented_where_they_are_served() {
    let served: BTreeSet<(String, String, String)> = hyperbank::routes::offers()
        .all()
        .iter()
        .map(|(method, path, media)| {
            (
                method.as_str().to_string(),
                path.to_string(),
                media.to_string(),
            )
        })
        .collect();
    assert!(
        !served.is_empty(),
        "the route table offers nothing but JSON"
    );
    let mut documented = BTreeSet::new();
    for operation in ours().operations() {
        let responses = operation.definition["responses"].as_object();
        for (status, response) in responses.into_iter().flatten() {
            let Some(content) = response.get("content").and_then(Value::as_object) else {
                continue;
            };
            for media in content.keys().filter(|m| *m != "application/json") {
                assert_eq!(
                    status, "200",
                    "{} {}: only a 200 answers {media}",
                    operation.method, operation.path
                );
                documented.insert((
                    operation.method.clone(),
                    operation.path.clone(),
                    media.clone(),
                ));
            }
        }
    }
    assert_eq!(served, documented);
}
