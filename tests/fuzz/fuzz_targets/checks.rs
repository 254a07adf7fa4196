//! What every fuzz target asserts of the problems a parser reports: each is pinned to a
//! line of the text and a column, and renders as `path:line:col: message`.

use duibiao::library::Diagnostic;

pub fn pinned(problems: &[Diagnostic], text: &str) {
    let lines = text.split('\n').count().max(1);
    for p in problems {
        assert!(p.line >= 1 && p.line <= lines, "{p}: line of {lines}");
        assert!(p.col >= 1, "{p}");
        assert!(!p.message.is_empty(), "{p}");
        let head = format!("{}:{}:{}: ", p.path.display(), p.line, p.col);
        assert!(p.to_string().starts_with(&head), "{p}");
    }
}
