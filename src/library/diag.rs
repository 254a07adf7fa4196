//! Problems found in a library, each pinned to a file, line and column.
//!
//! Validation never stops at the first problem: every step pushes into a [`Diagnostics`]
//! list, and the caller decides once, at the end, whether the library is usable. Columns
//! are measured in display width (a Chinese character is two columns), so an editor's
//! ruler and the message agree.

use std::fmt;
use std::path::{Path, PathBuf};

use unicode_width::UnicodeWidthStr;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// The file as the user named it (relative to the working folder when possible).
    pub path: PathBuf,
    /// 1-based line in the file (not inside the YAML block).
    pub line: usize,
    /// 1-based column in display width.
    pub col: usize,
    pub message: String,
    /// What to do about it, when we know ("did you mean …?").
    pub hint: Option<String>,
}

/// A path as every message shows it: control characters (an escape sequence in a file
/// name, say) are escaped, so a name cannot repaint or rewrite the user's terminal.
pub fn shown(path: &Path) -> String {
    escape_controls(&path.display().to_string())
}

/// `text` with its control characters written as Rust escapes (`\u{1b}`, `\n`).
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            shown(&self.path),
            self.line,
            self.col,
            escape_controls(&self.message)
        )?;
        // Messages quote the file's own text (an id, a city): escaped like paths.
        if let Some(hint) = &self.hint {
            write!(f, "; {}", escape_controls(hint))?;
        }
        Ok(())
    }
}

/// A position in a file's text: 1-based line, 1-based column in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub char_col: usize,
}

impl Pos {
    pub const START: Pos = Pos {
        line: 1,
        char_col: 1,
    };

    pub fn new(line: usize, char_col: usize) -> Self {
        Pos {
            line: line.max(1),
            char_col: char_col.max(1),
        }
    }
}

/// The problems of a whole library, collected file by file.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

/// A file's text with what is needed to turn character positions into display columns.
pub struct FileText<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl FileText<'_> {
    /// Display-width column of the `char_col`-th character of `line` (both 1-based).
    pub fn display_col(&self, line: usize, char_col: usize) -> usize {
        let Some(line_text) = self.text.lines().nth(line.saturating_sub(1)) else {
            return char_col.max(1);
        };
        let prefix: String = line_text.chars().take(char_col.saturating_sub(1)).collect();
        prefix.width() + 1
    }

    /// The position of byte offset `offset` in the text.
    pub fn pos_of_byte(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos::new(line, before[line_start..].chars().count() + 1)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// A problem at a character position of a file whose text we have.
    pub fn at(&mut self, file: &FileText<'_>, pos: Pos, message: impl Into<String>) -> &mut Self {
        self.push_raw(
            file.path,
            pos.line,
            file.display_col(pos.line, pos.char_col),
            message,
            None,
        )
    }

    /// Like [`Diagnostics::at`], with a hint.
    pub fn at_hint(
        &mut self,
        file: &FileText<'_>,
        pos: Pos,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> &mut Self {
        self.push_raw(
            file.path,
            pos.line,
            file.display_col(pos.line, pos.char_col),
            message,
            hint,
        )
    }

    /// A problem with a file as a whole (unreadable, too large, …), reported at 1:1.
    pub fn file(&mut self, path: &Path, message: impl Into<String>) -> &mut Self {
        self.push_raw(path, 1, 1, message, None)
    }

    pub fn push_raw(
        &mut self,
        path: &Path,
        line: usize,
        col: usize,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> &mut Self {
        self.items.push(Diagnostic {
            path: path.to_path_buf(),
            line: line.max(1),
            col: col.max(1),
            message: message.into(),
            hint,
        });
        self
    }

    /// Takes over the problems another list collected (another thread's, say).
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The problems sorted by file, line and column, duplicates removed.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort();
        self.items.dedup();
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_columns_count_wide_characters_twice() {
        let f = FileText {
            path: Path::new("x.md"),
            text: "---\ncities: [波士顿, Bostn]\n",
        };
        // Before "Bostn" (the 15th character): 9 ASCII, 3 wide, 2 ASCII.
        assert_eq!(f.display_col(2, 15), 9 + 6 + 2 + 1);
        assert_eq!(f.display_col(1, 1), 1);
    }

    #[test]
    fn byte_offsets_become_lines_and_characters() {
        let f = FileText {
            path: Path::new("x.md"),
            text: "ab\n中文x\n",
        };
        let off = "ab\n中文".len();
        assert_eq!(f.pos_of_byte(off), Pos::new(2, 3));
        assert_eq!(f.pos_of_byte(0), Pos::new(1, 1));
    }

    #[test]
    fn control_characters_in_paths_are_escaped() {
        assert_eq!(
            shown(Path::new("cases/\u{1b}[31mred\u{7}.md")),
            "cases/\\u{1b}[31mred\\u{7}.md"
        );
        assert_eq!(shown(Path::new("cases/口袋.md")), "cases/口袋.md");
    }

    #[test]
    fn diagnostics_sort_and_render() {
        let mut d = Diagnostics::new();
        d.push_raw(Path::new("b.md"), 2, 1, "second", None);
        d.push_raw(
            Path::new("a.md"),
            3,
            5,
            "unknown city \"Bostn\"",
            Some("did you mean \"波士顿\" (Boston)?".into()),
        );
        let v = d.into_sorted();
        assert_eq!(
            v[0].to_string(),
            "a.md:3:5: unknown city \"Bostn\"; did you mean \"波士顿\" (Boston)?"
        );
        assert_eq!(v[1].to_string(), "b.md:2:1: second");
    }
}
