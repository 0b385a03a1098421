//! `openapi.yaml` documents exactly the routes the server serves.

use std::collections::BTreeSet;

use serde_yaml::Value;

#[test]
fn openapi_yaml_and_the_route_table_agree() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let document: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        document["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true)
    );
    let mut documented = BTreeSet::new();
    if let Some(paths) = document["paths"].as_mapping() {
        for (path, item) in paths {
            let path = path.as_str().unwrap_or_default().to_string();
            for (method, operation) in item.as_mapping().into_iter().flatten() {
                let method = method.as_str().unwrap_or_default();
                if ["get", "post", "put", "patch", "delete"].contains(&method) {
                    assert!(
                        operation["responses"]
                            .as_mapping()
                            .is_some_and(|r| !r.is_empty()),
                        "{method} {path} documents no responses"
                    );
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    let served: BTreeSet<_> = hyperbank::routes::route_table()
        .into_iter()
        .map(|(method, path)| (method.as_str().to_string(), path.to_string()))
        .collect();
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
