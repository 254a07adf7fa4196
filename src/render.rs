//! Cases, hits, counts and tasks as terminal text. Renderers take data and a writer, so
//! the same values serve the command line, tests and a future web page; JSON output is the
//! data's own serde form (`cli::write_json`).

use std::io::{self, IsTerminal, Write};

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use unicode_width::UnicodeWidthStr;

use crate::library::Case;
use crate::search::insights::{Stats, TaskRow, TaskView};
use crate::search::snippet::{CLOSE, OPEN};
use crate::search::suggest_tasks::{LinkReview, Why};
use crate::search::{Hit, Results};

/// How to decorate text: bold and colour only on a terminal, and never with NO_COLOR set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && io::stdout().is_terminal(),
        }
    }
    pub fn plain() -> Style {
        Style { color: false }
    }
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    /// A snippet with its 【】 matches in bold.
    pub fn snippet(&self, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        s.replace(OPEN, &format!("\x1b[1;33m{OPEN}"))
            .replace(CLOSE, &format!("{CLOSE}\x1b[0m"))
    }
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
    let mut parts = vec![place.join(" · "), positioning.join("、")];
    if !tasks.is_empty() {
        parts.push(tasks.join(" "));
    }
    parts.join(" | ")
}

fn hit(out: &mut dyn Write, n: usize, h: &Hit, style: &Style, show_score: bool) -> io::Result<()> {
    let score = if show_score {
        format!("  {:.2}", h.score)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{n:>2}. {}  {}{}",
        style.bold(&h.title),
        style.dim(&h.id),
        style.dim(&score)
    )?;
    writeln!(
        out,
        "    {}",
        style.dim(&meta_line(
            &h.cities,
            &h.countries,
            &h.positioning,
            &h.tasks
        ))
    )?;
    if !h.snippet.is_empty() {
        writeln!(out, "    {}", style.snippet(&h.snippet))?;
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
    writeln!(out, "{}", style.bold(&c.title))?;
    if let Some(en) = &c.title_en {
        writeln!(out, "{en}")?;
    }
    writeln!(out, "{}", style.dim(&format!("{}  ({})", c.id, c.path)))?;
    writeln!(out)?;
    writeln!(
        out,
        "地点  {}",
        meta_line(&c.cities, &c.countries, &[], &[])
    )?;
    writeln!(out, "定位  {}", c.positioning.join("、"))?;
    writeln!(out, "主题  {}", c.topics.join(" · "))?;
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
        match &s.url {
            Some(u) => writeln!(out, "  • {} <{u}>", s.title)?,
            None => writeln!(out, "  • {}", s.title)?,
        }
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
            writeln!(out, "{line}")?;
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
        writeln!(out, "  {}  {}", style.bold(&r.id), r.title)?;
        writeln!(out, "          {cases}")?;
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
    writeln!(out, "{}  {}", style.bold(&t.id), style.bold(&t.title))?;
    writeln!(
        out,
        "{}",
        style.dim(&format!("{} ({})", t.positioning, t.positioning_code))
    )?;
    writeln!(out, "{}", t.summary)?;
    if !t.precedents.is_empty() {
        writeln!(out, "the plan names: {}", t.precedents.join("、"))?;
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
