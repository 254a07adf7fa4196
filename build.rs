//! Compiles the shipped library (`cases/`) into the binary, so that `cargo install` gives a
//! `duibiao` that works in any folder.

use std::fs;
use std::path::Path;

fn main() {
    let dir = Path::new("cases");
    println!("cargo:rerun-if-changed=cases");
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| {
                    (n.ends_with(".md") && !n.eq_ignore_ascii_case("README.md"))
                        || ["places.yaml", "plan.yaml", "dict.txt", "synonyms.yaml"]
                            .contains(&n.as_str())
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from(
        "/// The shipped library: (file name, content).\npub static EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    for name in &names {
        let abs = fs::canonicalize(dir.join(name)).expect("library file path");
        println!("cargo:rerun-if-changed={}", abs.display());
        out.push_str(&format!(
            "    ({name:?}, include_bytes!({:?}).as_slice()),\n",
            abs.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("embedded_library.rs");
    fs::write(dest, out).expect("write embedded library");
}
