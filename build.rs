//! Compiles into the binary the shipped library (`cases/`), so that `cargo install` gives a
//! `duibiao` that works in any folder, and jieba's dictionary as an automaton
//! (`src/search/segmenter/`).

use std::fs;
use std::path::Path;

fn main() {
    embed_library();
    compile_dictionary();
}

/// jieba's dictionary (`word freq tag` lines, sorted by bytes) as an FST from each word to
/// its frequency, and the sum of all frequencies, which jieba's probabilities divide by.
fn compile_dictionary() {
    let src = Path::new("src/search/segmenter/jieba-dict.txt");
    println!("cargo:rerun-if-changed={}", src.display());
    let text = fs::read_to_string(src).expect("read the jieba dictionary");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let file = fs::File::create(out.join("jieba-dict.fst")).expect("create the dictionary FST");
    let mut map = tantivy_fst::MapBuilder::new(std::io::BufWriter::new(file)).expect("FST");
    let mut total: u64 = 0;
    for (n, line) in text.lines().enumerate() {
        let mut parts = line.split_ascii_whitespace();
        let (Some(word), Some(freq)) = (parts.next(), parts.next()) else {
            panic!("{}:{}: expected `word freq [tag]`", src.display(), n + 1);
        };
        let freq: u64 = freq
            .parse()
            .unwrap_or_else(|e| panic!("{}:{}: frequency: {e}", src.display(), n + 1));
        total += freq;
        map.insert(word, freq).unwrap_or_else(|e| {
            panic!(
                "{}:{}: {e} (keep the file sorted by bytes, no duplicates)",
                src.display(),
                n + 1
            )
        });
    }
    map.finish().expect("write the dictionary FST");
    fs::write(
        out.join("jieba_dict.rs"),
        format!("/// The sum of the frequencies in jieba's dictionary.\npub const DICT_TOTAL: usize = {total};\n"),
    )
    .expect("write the dictionary total");
}

fn embed_library() {
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
