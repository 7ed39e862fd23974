//! Every file of `deploy/` parses: each YAML file has documents, each JSON file is JSON.

use serde_json::Value as Json;

use super::{deploy_dir, files, read, yaml_docs};

#[test]
fn every_deploy_file_parses() {
    let yaml = files(&deploy_dir(), &["yaml", "yml"]);
    let json = files(&deploy_dir(), &["json"]);
    assert!(yaml.len() >= 7, "{yaml:?}");
    assert!(!json.is_empty());
    for p in &yaml {
        assert!(!yaml_docs(p).is_empty(), "{} is empty", p.display());
    }
    for p in &json {
        serde_json::from_str::<Json>(&read(p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}
