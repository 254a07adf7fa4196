//! Cases, hits, counts and tasks as terminal text. Renderers take data and a writer, so
//! the same values serve the command line, tests and a future web page; JSON output is the
//! data's own serde form (`cli::write_json`).

use std::io::{self, Write};

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use unicode_width::UnicodeWidthStr;

use crate::library::diag::{escape_controls, shown};
use crate::library::{Case, Diagnostic};
use crate::search::insights::{Stats, TaskRow, TaskView};
use crate::search::snippet::{CLOSE, OPEN};
use crate::search::suggest_tasks::{LinkReview, Why};
use crate::search::{Hit, Results};

/// How to decorate text for one stream: colour only when the front end decided that stream
/// takes it (`--color`, NO_COLOR, CLICOLOR_FORCE, a terminal), and lines wrapped only when
/// it knows the terminal's width. The styles are anstyle's, so the escape codes are the same
/// ones clap's own help uses and anstream can translate them for older Windows consoles.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    /// Wrap long lines to this many display columns; `None` (a pipe, a file) never wraps.
    pub width: Option<usize>,
}

const BOLD: anstyle::Style = anstyle::Style::new().bold();
const DIM: anstyle::Style = anstyle::Style::new().dimmed();
const MATCH: anstyle::Style = anstyle::Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(anstyle::AnsiColor::Yellow)));
const WARNING: anstyle::Style = anstyle::Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(anstyle::AnsiColor::Yellow)));
const ERROR: anstyle::Style = anstyle::Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(anstyle::AnsiColor::Red)));

/// Narrower than this, wrapping would do more harm than good (a mis-reported width).
const MIN_WRAP_WIDTH: usize = 20;

impl Style {
    pub fn new(color: bool, width: Option<usize>) -> Style {
        Style {
            color,
            width: width.filter(|w| *w >= MIN_WRAP_WIDTH),
        }
    }
    pub fn plain() -> Style {
        Style {
            color: false,
            width: None,
        }
    }
    fn paint(&self, style: anstyle::Style, s: &str) -> String {
        if self.color {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint(BOLD, s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint(DIM, s)
    }
    /// A snippet with its 【】 matches in bold yellow.
    pub fn snippet(&self, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        s.replace(OPEN, &format!("{MATCH}{OPEN}"))
            .replace(CLOSE, &format!("{CLOSE}{MATCH:#}"))
    }

    /// `text` as lines no wider than the terminal, the first after `first` and the rest
    /// after `rest`. Breaks follow Unicode's line-breaking rules, so Chinese text breaks
    /// between characters (never before a closing mark such as ，) and English between
    /// words; widths are display widths (a Chinese character is two columns) and ignore
    /// escape codes. Without a width, the text is left as it is.
    pub fn wrap(&self, first: &str, rest: &str, text: &str) -> String {
        let Some(width) = self.width else {
            return format!("{first}{text}");
        };
        let options = textwrap::Options::new(width)
            .initial_indent(first)
            .subsequent_indent(rest)
            .word_separator(textwrap::WordSeparator::Custom(break_points));
        textwrap::wrap(text, options).join("\n")
    }
}

/// Marks a line must not start with (they close what came before).
const CLOSING: &str = "，。、；：？！）》」』”’】〉…—·%,.;:!?)]}";
/// Marks a line must not end with (they open what comes after).
const OPENING: &str = "（《「『“‘【〈([{";

/// The pieces a line may break between: after spaces, as in English, and between two
/// characters where either is wide (Chinese has no spaces), but never before a closing
/// mark or after an opening one, and never inside an escape code. textwrap's own Unicode
/// line breaking would do this too, but since 0.16.3 it brings in the ICU segmenter and
/// its derive macros, several minutes of compiling for these few rules.
fn break_points(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut in_escape = false;
    for (i, c) in line.char_indices() {
        let wide = |c: char| unicode_width::UnicodeWidthChar::width(c) == Some(2);
        let breaks = match prev {
            _ if in_escape => false,
            None => false,
            Some(p) if p.is_whitespace() => !c.is_whitespace(),
            Some(p) => {
                !c.is_whitespace()
                    && (wide(p) || wide(c))
                    && !CLOSING.contains(c)
                    && !OPENING.contains(p)
            }
        };
        if breaks && i > start {
            words.push(textwrap::core::Word::from(&line[start..i]));
            start = i;
        }
        if c == '\x1b' {
            in_escape = true;
        } else if in_escape && c != '[' && ('@'..='~').contains(&c) {
            in_escape = false;
        }
        prev = Some(c);
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// What kind of line a message on stderr is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something the user may want to know (the index was rebuilt).
    Note,
    Warning,
    Error,
}

/// A line for stderr: `duibiao: ` and the text, with warnings and errors marked in colour
/// when stderr takes colour. The words are the same either way, so scripts that read
/// stderr see no difference.
pub fn message(style: &Style, level: Level, text: &str) -> String {
    match level {
        Level::Note => format!("{} {text}", style.bold("duibiao:")),
        Level::Error => format!("{} {text}", style.paint(ERROR, "duibiao:")),
        Level::Warning => match text.strip_prefix("warning:") {
            Some(rest) => format!(
                "{} {}{rest}",
                style.bold("duibiao:"),
                style.paint(WARNING, "warning:")
            ),
            None => format!("{} {}", style.paint(WARNING, "duibiao:"), text),
        },
    }
}

/// A problem as `path:line:col: message; hint`, the place in bold.
pub fn problem(style: &Style, p: &Diagnostic) -> String {
    // Paths, messages and hints quote what is on disk: control characters in them are
    // escaped, so a file name cannot drive the terminal.
    let place = format!("{}:{}:{}:", shown(&p.path), p.line, p.col);
    let mut s = format!("{} {}", style.bold(&place), escape_controls(&p.message));
    if let Some(hint) = &p.hint {
        s.push_str("; ");
        s.push_str(&escape_controls(hint));
    }
    s
}

/// A problem as `check --format json` prints it, one object a line.
#[derive(Debug, serde::Serialize)]
pub struct ProblemJson<'a> {
    pub path: String,
    pub line: usize,
    /// In display columns, as in the text form (a Chinese character is two columns).
    pub column: usize,
    pub message: &'a str,
    /// What to do about it, or null.
    pub hint: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for ProblemJson<'a> {
    fn from(p: &'a Diagnostic) -> Self {
        ProblemJson {
            path: p.path.display().to_string(),
            line: p.line,
            column: p.col,
            message: &p.message,
            hint: p.hint.as_deref(),
        }
    }
}

/// A problem as a GitHub Actions workflow command, so a CI job shows it on the file's line:
/// `::error file=…,line=…,col=…,title=duibiao check::message`. The hint follows the message
/// on a second line.
pub fn github_annotation(p: &Diagnostic) -> String {
    let mut message = p.message.clone();
    if let Some(hint) = &p.hint {
        message.push('\n');
        message.push_str(hint);
    }
    format!(
        "::error file={},line={},col={},title={}::{}",
        escape_property(&p.path.display().to_string()),
        p.line,
        p.col,
        escape_property("duibiao check"),
        escape_data(&message)
    )
}

/// A workflow command's message: `%`, CR and LF are encoded, as GitHub's runner decodes them.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`, which would end the value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn meta_line(
    cities: &[String],
    countries: &[String],
    positioning: &[String],
    tasks: &[String],
) -> String {
    let mut place: Vec<&str> = cities.iter().map(String::as_str).collect();
    for c in countries {
        if !place.contains(&c.as_str()) {
            place.push(c);
        }
    }
    let parts = [place.join(" · "), positioning.join("、"), tasks.join(" ")];
    // An empty part leaves no separator behind (`show` gives places alone).
    let parts: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    parts.join(" | ")
}

/// Where a hit's second and later lines start.
const INDENT: &str = "    ";

fn hit(out: &mut dyn Write, n: usize, h: &Hit, style: &Style, show_score: bool) -> io::Result<()> {
    let score = if show_score {
        format!("  {:.2}", h.score)
    } else {
        String::new()
    };
    let head = format!(
        "{}  {}{}",
        style.bold(&h.title),
        style.dim(&h.id),
        style.dim(&score)
    );
    writeln!(out, "{}", style.wrap(&format!("{n:>2}. "), INDENT, &head))?;
    let meta = meta_line(&h.cities, &h.countries, &h.positioning, &h.tasks);
    writeln!(out, "{}", style.wrap(INDENT, INDENT, &style.dim(&meta)))?;
    if !h.snippet.is_empty() {
        writeln!(
            out,
            "{}",
            style.wrap(INDENT, INDENT, &style.snippet(&h.snippet))
        )?;
    }
    if let Some(line) = h.why.as_ref().and_then(why_line) {
        writeln!(out, "    {}", style.dim(&line))?;
    }
    Ok(())
}

/// Why a case was suggested, on one line: `why: words … · topics … · places …`.
fn why_line(why: &Why) -> Option<String> {
    let mut parts = Vec::new();
    for (label, v) in [
        ("words", &why.words),
        ("topics", &why.topics),
        ("places", &why.places),
    ] {
        if !v.is_empty() {
            parts.push(format!("{label} {}", v.join("、")));
        }
    }
    (!parts.is_empty()).then(|| format!("why: {}", parts.join(" · ")))
}

/// `suggest-links`: each task with suggestions, the commands that would link them, and
/// the tasks no case informs.
pub fn link_review(out: &mut dyn Write, r: &LinkReview, style: &Style) -> io::Result<()> {
    for t in r.tasks.iter().filter(|t| !t.suggested.is_empty()) {
        writeln!(
            out,
            "{}  {}  {}",
            style.bold(&t.task),
            t.title,
            style.dim(&format!("({} linked)", t.linked))
        )?;
        for (i, h) in t.suggested.iter().enumerate() {
            hit(out, i + 1, h, style, true)?;
            writeln!(
                out,
                "    {}",
                style.dim(&format!("duibiao link {} {}", h.id, t.task))
            )?;
        }
        writeln!(out)?;
    }
    let with = r.tasks.iter().filter(|t| !t.suggested.is_empty()).count();
    writeln!(
        out,
        "{} suggestion(s) for {with} of {} tasks (score ≥ {})",
        r.suggestions,
        r.tasks.len(),
        r.min_score
    )?;
    if r.tasks_without_cases.is_empty() {
        writeln!(out, "every task has at least one linked case")
    } else {
        writeln!(
            out,
            "{} task(s) have no case at all: {}",
            r.tasks_without_cases.len(),
            r.tasks_without_cases.join(", ")
        )
    }
}

/// Search results, then one line on how many matched.
pub fn results(
    out: &mut dyn Write,
    r: &Results,
    library_size: u64,
    style: &Style,
) -> io::Result<()> {
    if library_size == 0 {
        return writeln!(
            out,
            "the library holds no cases yet; add one (see README: how to add a case)"
        );
    }
    if r.hits.is_empty() {
        return writeln!(out, "no case matches “{}”", r.query);
    }
    let mut said = false;
    for (i, h) in r.hits.iter().enumerate() {
        if h.partial && !said {
            let all = r.hits.iter().filter(|h| !h.partial).count();
            let note = if all == 0 {
                format!(
                    "no case has every word of “{}”; these have most of them:",
                    r.query
                )
            } else {
                format!("cases with most of the words of “{}”:", r.query)
            };
            writeln!(out, "{}", style.dim(&note))?;
            said = true;
        }
        hit(out, i + 1, h, style, !r.query.is_empty())?;
    }
    if r.total > r.hits.len() {
        writeln!(
            out,
            "{} of {} matching cases shown; use --limit to see more",
            r.hits.len(),
            r.total
        )
    } else {
        writeln!(
            out,
            "{} matching case{}",
            r.total,
            if r.total == 1 { "" } else { "s" }
        )
    }
}

pub fn similar(out: &mut dyn Write, r: &Results, style: &Style) -> io::Result<()> {
    writeln!(out, "cases most like {}:", style.bold(&r.query))?;
    for (i, h) in r.hits.iter().enumerate() {
        hit(out, i + 1, h, style, true)?;
    }
    Ok(())
}

/// A case, whole: its header, then the body rendered for a terminal.
pub fn case(out: &mut dyn Write, c: &Case, style: &Style) -> io::Result<()> {
    writeln!(out, "{}", style.wrap("", "", &style.bold(&c.title)))?;
    if let Some(en) = &c.title_en {
        writeln!(out, "{}", style.wrap("", "", en))?;
    }
    let origin = format!("{}  ({})", c.id, c.path);
    writeln!(out, "{}", style.wrap("", "", &style.dim(&origin)))?;
    writeln!(out)?;
    writeln!(
        out,
        "地点  {}",
        meta_line(&c.cities, &c.countries, &[], &[])
    )?;
    writeln!(
        out,
        "{}",
        style.wrap("定位  ", "      ", &c.positioning.join("、"))
    )?;
    writeln!(
        out,
        "{}",
        style.wrap("主题  ", "      ", &c.topics.join(" · "))
    )?;
    if !c.tasks.is_empty() {
        writeln!(out, "任务  {}", c.tasks.join(" "))?;
    }
    if let Some(p) = &c.period {
        writeln!(out, "时间  {p}")?;
    }
    if let Some(m) = &c.checked {
        writeln!(out, "核实  {m}")?;
    }
    markdown(out, &c.body, style)?;
    writeln!(out)?;
    writeln!(out, "{}", style.bold("来源"))?;
    for s in &c.sources {
        let text = match &s.url {
            Some(u) => format!("{} <{u}>", s.title),
            None => s.title.clone(),
        };
        writeln!(out, "{}", style.wrap("  • ", "    ", &text))?;
    }
    Ok(())
}

/// Markdown as readable terminal text: headings set off and bold, lists with bullets,
/// links with their address.
fn markdown(out: &mut dyn Write, md: &str, style: &Style) -> io::Result<()> {
    let mut line = String::new();
    let mut list_depth = 0usize;
    let mut heading: Option<HeadingLevel> = None;
    let mut bold = false;
    let mut link: Option<String> = None;
    let flush = |out: &mut dyn Write, line: &mut String| -> io::Result<()> {
        if !line.trim().is_empty() {
            // A list item's later lines start under its text, not under its bullet.
            let body = line.trim_start_matches(' ');
            let mut lead = line.len() - body.len();
            if body.starts_with("• ") {
                lead += "• ".len();
            }
            let (first, text) = line.split_at(lead);
            writeln!(
                out,
                "{}",
                style.wrap(first, &" ".repeat(first.width()), text)
            )?;
        }
        line.clear();
        Ok(())
    };
    for event in Parser::new(md) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(out, &mut line)?;
                writeln!(out)?;
                heading = Some(level);
            }
            Event::End(TagEnd::Heading(level)) => {
                let text = std::mem::take(&mut line);
                let marker = if level == HeadingLevel::H2 {
                    "■ "
                } else {
                    "▸ "
                };
                writeln!(out, "{}", style.bold(&format!("{marker}{text}")))?;
                heading = None;
            }
            Event::Start(Tag::List(_)) => {
                flush(out, &mut line)?;
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) => {
                flush(out, &mut line)?;
                line.push_str(&"  ".repeat(list_depth.saturating_sub(1)));
                line.push_str("  • ");
            }
            Event::End(TagEnd::Item | TagEnd::Paragraph) => flush(out, &mut line)?,
            Event::Start(Tag::Paragraph) if list_depth == 0 => {
                flush(out, &mut line)?;
            }
            Event::Start(Tag::Strong) => bold = true,
            Event::End(TagEnd::Strong) => bold = false,
            Event::Start(Tag::Link { dest_url, .. }) => link = Some(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(u) = link.take() {
                    line.push_str(&format!(" <{u}>"));
                }
            }
            Event::Text(t) | Event::Code(t) => {
                if bold && heading.is_none() {
                    line.push_str(&style.bold(&t));
                } else {
                    line.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => line.push('\n'),
            _ => {}
        }
    }
    flush(out, &mut line)
}

fn pad(s: &str, width: usize) -> String {
    let w = s.width();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// A labelled bar chart, largest first.
fn bars(
    out: &mut dyn Write,
    title: &str,
    counts: &std::collections::BTreeMap<String, u64>,
    style: &Style,
    limit: usize,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style.bold(title))?;
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let max = v.first().map_or(1, |x| *x.1).max(1);
    let label_w = v.iter().take(limit).map(|x| x.0.width()).max().unwrap_or(0);
    for (k, n) in v.iter().take(limit) {
        let len = ((**n as f64 / max as f64) * 30.0).round() as usize;
        let bar = if **n > 0 {
            "█".repeat(len.max(1))
        } else {
            String::new()
        };
        writeln!(out, "  {} {} {n}", pad(k, label_w), bar)?;
    }
    if v.len() > limit {
        writeln!(out, "  … and {} more", v.len() - limit)?;
    }
    Ok(())
}

pub fn stats(out: &mut dyn Write, s: &Stats, style: &Style) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{} cases · {} cities · {} countries and regions",
            s.cases, s.cities, s.countries
        ))
    )?;
    bars(out, "By positioning", &s.by_positioning, style, 10)?;
    bars(out, "By country or region", &s.by_country, style, 20)?;
    bars(out, "By city", &s.by_city, style, 40)?;
    bars(out, "By topic (top 25)", &s.by_topic, style, 25)?;
    bars(out, "By task", &s.by_task, style, 60)?;
    let unchecked = s.cases - s.by_checked_year.values().sum::<u64>();
    let mut checked = s.by_checked_year.clone();
    if unchecked > 0 {
        checked.insert("never".into(), unchecked);
    }
    bars(out, "By year last checked", &checked, style, 20)
}

/// Where a task's later lines start in `tasks`: under its title.
const TASK_INDENT: &str = "          ";

pub fn tasks(out: &mut dyn Write, rows: &[TaskRow], style: &Style) -> io::Result<()> {
    let mut last = "";
    for r in rows {
        if r.positioning != last {
            writeln!(out)?;
            writeln!(
                out,
                "{}",
                style.bold(&format!("{} ({})", r.positioning, r.positioning_code))
            )?;
            last = &r.positioning;
        }
        let cases = if r.cases.is_empty() {
            style.dim("— no linked case yet")
        } else {
            format!("[{}] {}", r.cases.len(), r.cases.join(", "))
        };
        let head = format!("{}  {}", style.bold(&r.id), r.title);
        writeln!(out, "{}", style.wrap("  ", TASK_INDENT, &head))?;
        writeln!(out, "{}", style.wrap(TASK_INDENT, TASK_INDENT, &cases))?;
    }
    let covered = rows.iter().filter(|r| !r.cases.is_empty()).count();
    writeln!(out)?;
    writeln!(
        out,
        "coverage: {covered}/{} tasks have at least one linked case",
        rows.len()
    )
}

pub fn task(out: &mut dyn Write, v: &TaskView, style: &Style) -> io::Result<()> {
    let t = &v.task;
    let head = format!("{}  {}", style.bold(&t.id), style.bold(&t.title));
    writeln!(out, "{}", style.wrap("", "", &head))?;
    writeln!(
        out,
        "{}",
        style.dim(&format!("{} ({})", t.positioning, t.positioning_code))
    )?;
    writeln!(out, "{}", style.wrap("", "", &t.summary))?;
    if !t.precedents.is_empty() {
        let names = t.precedents.join("、");
        writeln!(out, "{}", style.wrap("the plan names: ", "", &names))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.bold(&format!("Linked cases ({})", v.linked.len()))
    )?;
    if v.linked.is_empty() {
        writeln!(out, "  {}", style.dim("none yet"))?;
    }
    for (i, h) in v.linked.iter().enumerate() {
        hit(out, i + 1, h, style, false)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.bold("Suggested for the task's words, positioning and places")
    )?;
    if v.suggested.is_empty() {
        writeln!(out, "  {}", style.dim("none"))?;
    }
    for (i, h) in v.suggested.iter().enumerate() {
        hit(out, i + 1, h, style, true)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_counts_chinese_characters_as_two_columns() {
        let style = Style::new(false, Some(24));
        let text = "口袋公园是小而精致的城市绿地，一般不到一公顷。";
        let wrapped = style.wrap("    ", "    ", text);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() > 1, "{wrapped}");
        for l in &lines {
            assert!(l.width() <= 24, "{l:?} is {} columns", l.width());
            assert!(l.starts_with("    "), "{l:?}");
        }
        // Nothing is lost or reordered, and no line starts with a closing mark.
        let joined: String = lines.iter().map(|l| l.trim_start()).collect();
        assert_eq!(joined, text);
        assert!(lines.iter().all(|l| !l.trim_start().starts_with('，')));
    }

    #[test]
    fn wrapping_breaks_english_between_words() {
        let style = Style::new(false, Some(20));
        let wrapped = style.wrap("", "", "Boston's Emerald Necklace park system");
        assert_eq!(wrapped, "Boston's Emerald\nNecklace park system");
    }

    #[test]
    fn escape_codes_take_no_columns() {
        let plain = Style::new(false, Some(20)).wrap("", "", "aaaa bbbb cccc dddd eeee");
        let coloured = Style::new(true, Some(20));
        let painted = coloured.wrap("", "", &coloured.bold("aaaa bbbb cccc dddd eeee"));
        assert_eq!(
            plain.lines().count(),
            painted.lines().count(),
            "{painted:?}"
        );
        assert!(painted.contains("\x1b[1m"), "{painted:?}");
    }

    #[test]
    fn no_width_no_wrapping_and_no_colour_no_codes() {
        let style = Style::plain();
        let long = "口袋公园".repeat(100);
        assert_eq!(style.wrap("  ", "  ", &long), format!("  {long}"));
        assert_eq!(style.bold("x"), "x");
        assert_eq!(style.snippet("a【b】c"), "a【b】c");
        let coloured = Style::new(true, None);
        assert_eq!(coloured.snippet("a【b】c"), "a\x1b[1m\x1b[33m【b】\x1b[0mc");
    }

    #[test]
    fn github_annotations_escape_what_the_runner_decodes() {
        let p = Diagnostic {
            path: "cases/a,b:c%.md".into(),
            line: 3,
            col: 8,
            message: "100% wrong:\r\nsecond, line".into(),
            hint: Some("did you mean \"波士顿\"?".into()),
        };
        assert_eq!(
            github_annotation(&p),
            "::error file=cases/a%2Cb%3Ac%25.md,line=3,col=8,title=duibiao check::\
             100% wrong:%0D%0Asecond, line%0Adid you mean \"波士顿\"?"
                .replace("100% ", "100%25 ")
        );
    }

    #[test]
    fn messages_keep_their_words_in_colour() {
        let plain = Style::plain();
        let coloured = Style::new(true, None);
        for level in [Level::Note, Level::Warning, Level::Error] {
            let text = "warning: the library has 2 problem(s)";
            let a = message(&plain, level, text);
            let b = message(&coloured, level, text);
            assert_eq!(a, format!("duibiao: {text}"));
            assert_ne!(a, b);
            let stripped: String = anstream::adapter::strip_str(&b).to_string();
            assert_eq!(stripped, a);
        }
    }
}
