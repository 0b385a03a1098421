//! `openapi.yaml` documents exactly the routes the server serves.

use std::collections::BTreeSet;

use crate::contract::ours;

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
