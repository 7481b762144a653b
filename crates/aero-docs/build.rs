//! Embeds the JSON Schemas under the workspace's `schemas/` folder
//! (`schemas/<namespace>/<Kind>/v<N>.json`) as the engine's built-in schemas.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let schemas = manifest_dir.join("../../schemas");
    println!("cargo:rerun-if-changed={}", schemas.display());
    let mut entries = Vec::new();
    collect(&schemas, &schemas, &mut entries);
    entries.sort();
    let mut code = String::from(
        "/// Built-in schemas: (document schema, JSON Schema text).\npub static BUILTIN_SCHEMAS: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &entries {
        println!("cargo:rerun-if-changed={}", path.display());
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_schemas.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(read) = fs::read_dir(dir) else { return };
    for entry in read.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, out);
        } else if path
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let parts: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if let [namespace, kind, file] = parts.as_slice() {
                let version = file.trim_end_matches(".json");
                out.push((
                    format!("{namespace}/{kind}/{version}"),
                    fs::canonicalize(&path).unwrap_or(path.clone()),
                ));
            }
        }
    }
}
