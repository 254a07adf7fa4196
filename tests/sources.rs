//! The shipped library's sources and dates, read straight from the case files (issue 17):
//! every case records the month it was checked; every source has a title; no source URL
//! points at a known mirror, repost or junk domain (a mirror is allowed only where its title
//! says so, a junk domain never); no body refers to a handbook the reader does not have.
//!
//! The front matter is parsed with serde-saphyr, independently of the library's own loader,
//! so these checks hold even for a file the loader would reject.
//!
//! `DUIBIAO_SOURCES_LIBRARY=DIR cargo test --test sources` runs the same audit on another
//! library folder (for example an older copy of `cases/`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Mirrors, reposts, aggregators, content farms and document-sharing sites. A source on one
/// of these is kept only where no original was found, and then its title must say that it
/// is a copy (see `MARKS`). A host matches an entry when it equals it or ends in `.entry`.
const MIRROR_DOMAINS: &[&str] = &[
    // document-sharing sites (uploads of other people's documents)
    "docslib.org",
    "docplayer.net",
    "docplayer.com",
    "dokumen.tips",
    "documents.pub",
    "kipdf.com",
    "paperzz.com",
    "studylib.net",
    "pdfhost.io",
    "pdfslide.net",
    "vdocuments.site",
    "vdocument.in",
    "1library.net",
    "scribd.com",
    "joomag.com",
    "issuu.com",
    "doc88.com",
    "360doc.com",
    "dawenge.com",
    "fxbaogao.com",
    "businessdocbox.com",
    "5y1.org",
    "boteman.cn",
    // Chinese journal and news mirrors, aggregators and self-media platforms
    "handmsg.com",
    "fx361.com",
    "fx361.cc",
    "fzg360.com",
    "reportify.cn",
    "reportify.ai",
    "wenxiaobai.com",
    "163.com",
    "sohu.com",
    "scholarmate.com",
    "careerengine.us",
    "022tianjin.cn",
    "anlle.com",
    "bohe.cn",
    "crane-net.com",
    "echinagov.com",
    "e-gov.org.cn",
    "stockstar.com",
    "guihuayun.com",
    "szdushi.com.cn",
    "silverindustry.cn",
    "ntv.cn",
    "freewechat.com",
    // Wikipedia mirrors
    "alchetron.com",
    "liquisearch.com",
    "en-academic.com",
    "wikide.org",
    "dokumen123.com",
    "knowledgr.com",
    "wikizero.com",
    "wiki2.org",
    "wikiwand.com",
    "enwikipedia.net",
    "abcdef.wiki",
    // news aggregators and press-release reposts
    "livedoor.com",
    "alojapan.com",
    "tellerreport.com",
    "thecanadian.news",
    "news.yahoo.com",
    "pressreader.com",
    "wallstreet-online.de",
    "finanznachrichten.de",
    "itiger.com",
    "businessobserver.pk",
    "aseans.com",
    "gztlv.com",
    "world-heritage-site.com",
    "mpnnow.com",
    // web archives and flipbook hosts
    "ruarxive.org",
    "cld.bz",
];

/// Copies on a mirror-class host that are the publisher's own upload, not a repost.
const PUBLISHER_UPLOADS: &[(&str, &str)] = &[
    // NUS Enterprise publishes its SPARKS magazine on its own issuu account.
    ("issuu.com", "/nusenterprise/"),
    // GRID-Arendal (UNEP's partner and co-publisher) publishes on its own flipbook account.
    ("grid.cld.bz", "/"),
];

/// Spam, hijacked and junk domains that host copies of other publishers' pages. A source
/// never links to one: where the original was not found the URL is dropped and the title
/// names the publisher and ends "（原文链接未见）" or "(original link not found)".
const JUNK_DOMAINS: &[&str] = &[
    "sexiaogui25.cc",
    "x144tl.cn",
    "2961688.com",
    "tuburidinbeton.com",
    "shenzhenrexian.net",
    "axdbkk.com",
    "xwboo.com",
    "ssoouu.com",
    "yuzhongnet.com",
    "daily8.com",
    "hartdran.com",
    "cache.yimg.jp",
    "2jcj.com",
    "861718.com",
    "ysol.com",
    "xbkfyjy.com",
    "lr5.cn",
    "aolaikelin.cn",
    "sz-yigao.com",
    "pouringspot.com",
    "pds-midea.com",
    "keyanhelp.cn",
    "syxj.com.cn",
    "sxjjr.com",
    "shanghaidx.net",
    "yanjintv.com",
    "neamco.com",
    // seen in search results as hosts of copied news and government pages
    "resvibrant.com",
    "xywbxg.com",
    "idyueduqi.com",
    "huaxiataike.com",
    "fengdujob.net",
    "j637.cn",
];

/// Words in a title that mark its source as a copy.
const MARKS: &[&str] = &["转载", "轉載", "転載", "镜像", "mirror", "repost"];

/// Phrases by which a body refers to the handbook (《对标案例》) the reader does not hold.
const HANDBOOK_PHRASES: &[&str] = &[
    "《对标案例》",
    "对标案例手册",
    "对标案例》手册",
    "本手册",
    "该手册",
    "手册中",
    "手册总结",
    "手册提出",
    "手册所",
    "案例集",
    "本书",
];

#[derive(Deserialize)]
struct FrontMatter {
    #[serde(default)]
    checked: Option<String>,
    #[serde(default)]
    sources: Vec<SourceEntry>,
}

#[derive(Deserialize)]
struct SourceEntry {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// One case file: its name, parsed front matter (or why it could not be parsed), and body.
struct CaseFile {
    name: String,
    front: Result<FrontMatter, String>,
    body: String,
}

fn library_dir() -> PathBuf {
    std::env::var_os("DUIBIAO_SOURCES_LIBRARY")
        .map(PathBuf::from)
        .unwrap_or_else(common::shipped_library)
}

/// The `*.md` case files of a library folder (a README is documentation, not a case).
fn case_files(dir: &Path) -> Vec<CaseFile> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case("README.md"))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {name}: {e}"));
            let (yaml, body) = split_front_matter(&text);
            let front = match yaml {
                None => Err("no front matter between `---` lines".to_string()),
                Some(y) => serde_saphyr::from_str::<FrontMatter>(y).map_err(|e| e.to_string()),
            };
            CaseFile {
                name,
                front,
                body: body.to_string(),
            }
        })
        .collect()
}

/// The YAML between the opening `---` line and the next `---` line, and the rest.
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

/// The part of an http(s) URL after `scheme://`; `None` for anything else.
fn after_scheme(url: &str) -> Option<&str> {
    let u = url.trim();
    let (scheme, rest) = u.split_once("://")?;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(rest)
}

/// The lower-cased host of an http(s) URL, without port; `None` for anything else.
fn host(url: &str) -> Option<String> {
    let authority = after_scheme(url)?
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let h = authority
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    (!h.is_empty()).then_some(h)
}

/// The path of an http(s) URL, `/` when it has none.
fn path_of(url: &str) -> &str {
    let rest = after_scheme(url).unwrap_or(url);
    rest.find('/').map_or("/", |i| &rest[i..])
}

fn on_domain(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// Why a URL is never acceptable, if it is on a junk host: a listed junk domain, a bare IP
/// address, or a staging server.
fn junk_reason(host: &str) -> Option<String> {
    if let Some(d) = JUNK_DOMAINS.iter().find(|d| on_domain(host, d)) {
        return Some(format!("junk domain {d}"));
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Some("a bare IP address".into());
    }
    if host
        .split(['.', '-'])
        .any(|p| p == "staging" || p == "stage" || p.ends_with("staging"))
    {
        return Some("a staging server".into());
    }
    None
}

fn marked_as_copy(title: &str) -> bool {
    let t = title.to_lowercase();
    MARKS.iter().any(|m| t.contains(m))
}

/// Everything wrong with a library folder, one line per problem.
fn audit(dir: &Path) -> Audit {
    let mut a = Audit::default();
    for case in case_files(dir) {
        let name = &case.name;
        let front = match &case.front {
            Ok(f) => f,
            Err(e) => {
                a.unreadable
                    .push(format!("{name}: front matter does not parse: {e}"));
                continue;
            }
        };
        match front.checked.as_deref().map(str::trim) {
            None => a
                .checked
                .push(format!("{name}: no `checked: YYYY-MM` line")),
            Some(c) if !is_month(c) => a
                .checked
                .push(format!("{name}: checked {c:?} is not a YYYY-MM month")),
            Some(_) => {}
        }
        if front.sources.is_empty() {
            a.titles.push(format!("{name}: no sources"));
        }
        for (i, s) in front.sources.iter().enumerate() {
            let title = s.title.as_deref().map(str::trim).unwrap_or("");
            if title.is_empty() {
                a.titles
                    .push(format!("{name}: source {} has no title", i + 1));
            }
            let Some(url) = s.url.as_deref() else {
                continue;
            };
            let Some(h) = host(url) else { continue };
            if let Some(why) = junk_reason(&h) {
                a.domains.push(format!("{name}: {url} is on {why}"));
                continue;
            }
            let own_upload = PUBLISHER_UPLOADS
                .iter()
                .any(|(d, p)| on_domain(&h, d) && path_of(url).starts_with(p));
            if let Some(d) = MIRROR_DOMAINS.iter().find(|d| on_domain(&h, d))
                && !own_upload
                && !marked_as_copy(title)
            {
                a.domains.push(format!(
                    "{name}: {url} is on mirror/repost domain {d}, but its title {title:?} \
                     does not say so (转载/镜像/mirror/repost)"
                ));
            }
        }
        for phrase in HANDBOOK_PHRASES {
            if case.body.contains(phrase) {
                a.handbook
                    .push(format!("{name}: body refers to the handbook ({phrase})"));
            }
        }
    }
    a
}

fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        && matches!(s[5..].parse::<u32>(), Ok(1..=12))
        && s[..4].parse::<u32>().is_ok_and(|y| y >= 2000)
}

#[derive(Default)]
struct Audit {
    unreadable: Vec<String>,
    checked: Vec<String>,
    titles: Vec<String>,
    domains: Vec<String>,
    handbook: Vec<String>,
}

fn assert_none(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} {what}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_library_has_case_files_whose_front_matter_parses() {
    let dir = library_dir();
    let files = case_files(&dir);
    assert!(
        files.len() >= 10,
        "only {} case files in {}",
        files.len(),
        dir.display()
    );
    assert_none("unreadable case files", &audit(&dir).unreadable);
}

#[test]
fn every_case_records_the_month_it_was_checked() {
    assert_none(
        "cases without a valid `checked`",
        &audit(&library_dir()).checked,
    );
}

#[test]
fn every_source_has_a_title() {
    assert_none("sources without a title", &audit(&library_dir()).titles);
}

#[test]
fn no_source_is_on_a_junk_domain_or_an_unmarked_mirror() {
    assert_none(
        "sources on junk or mirror domains",
        &audit(&library_dir()).domains,
    );
}

#[test]
fn no_body_refers_to_a_handbook_the_reader_does_not_have() {
    assert_none("handbook references", &audit(&library_dir()).handbook);
}

/// The audit itself: a small library with one problem of each kind is caught, line by line,
/// and the acceptable forms (a marked mirror, a publisher's own upload, a source without a
/// URL) pass.
#[test]
fn the_audit_finds_each_kind_of_problem() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, front: &str, body: &str| {
        fs::write(
            dir.path().join(name),
            format!("---\n{front}---\n\n{body}\n"),
        )
        .unwrap()
    };
    write(
        "good.md",
        "id: good\nchecked: 2026-12\nsources:\n  - title: \"Docs — a report (2019; mirror at docslib, original not found)\"\n    url: https://docslib.org/doc/1/x\n  - title: NUS Enterprise — SPARKS (2021)\n    url: https://issuu.com/nusenterprise/docs/sparks\n  - title: 青岛日报《125项重点任务全方位提升青岛国际化水平》（2022）\n  - title: 人民日报 — 某报道（2019；原文链接未见）\n",
        "## 案例概述\n本案例介绍……",
    );
    write(
        "no-checked.md",
        "id: no-checked\nsources:\n  - title: City — page\n    url: https://example.gov/page\n",
        "正文",
    );
    write(
        "bad-month.md",
        "id: bad-month\nchecked: 2026-13\nsources:\n  - title: City — page\n    url: https://example.gov/page\n",
        "正文",
    );
    write(
        "untitled.md",
        "id: untitled\nchecked: 2026-12\nsources:\n  - url: https://example.gov/a\n  - title: \"  \"\n    url: https://example.gov/b\n",
        "正文",
    );
    write(
        "domains.md",
        "id: domains\nchecked: 2026-12\nsources:\n  - title: \"Some paper (docslib copy)\"\n    url: https://docslib.org/doc/2/y\n  - title: \"NYT story (2023; repost, original not found)\"\n    url: https://sexiaogui25.cc/story/\n  - title: 新闻（转载）\n    url: http://49.213.3.36/doc/1.html\n  - title: Institute news (2024)\n    url: https://www-stage-cloud.example.org/news\n  - title: 网易号文章\n    url: https://www.163.com/dy/article/X.html\n",
        "正文",
    );
    write(
        "handbook.md",
        "id: handbook\nchecked: 2026-12\nsources:\n  - title: City — page\n    url: https://example.gov/page\n",
        "青岛《对标案例》手册总结了四方面经验。",
    );
    write("broken.md", "id: [unclosed\n", "正文");
    fs::write(dir.path().join("README.md"), "# not a case\n").unwrap();

    let a = audit(dir.path());
    let for_file = |v: &[String], f: &str| v.iter().filter(|p| p.starts_with(f)).count();
    assert_eq!(a.unreadable.len(), 1, "{:?}", a.unreadable);
    assert!(a.unreadable[0].starts_with("broken.md"));
    assert_eq!(for_file(&a.checked, "no-checked.md"), 1);
    assert_eq!(for_file(&a.checked, "bad-month.md"), 1);
    assert_eq!(a.checked.len(), 2, "{:?}", a.checked);
    assert_eq!(for_file(&a.titles, "untitled.md"), 2, "{:?}", a.titles);
    assert_eq!(a.titles.len(), 2, "{:?}", a.titles);
    // docslib unmarked, the junk domain even though marked, the bare IP, the staging host,
    // the unmarked 网易号 repost: five, all in one file.
    assert_eq!(for_file(&a.domains, "domains.md"), 5, "{:?}", a.domains);
    assert_eq!(a.domains.len(), 5, "{:?}", a.domains);
    assert!(
        for_file(&a.handbook, "handbook.md") >= 1,
        "{:?}",
        a.handbook
    );
    assert!(
        a.handbook.iter().all(|p| p.starts_with("handbook.md")),
        "{:?}",
        a.handbook
    );
}

#[test]
fn hosts_and_months_are_read_as_written() {
    assert_eq!(
        host("https://www.mondaq.com:443/x").as_deref(),
        Some("www.mondaq.com")
    );
    assert_eq!(
        host("HTTP://Docslib.ORG/doc/1").as_deref(),
        Some("docslib.org")
    );
    assert_eq!(host("ftp://example.org/"), None);
    assert!(on_domain("sz.fzg360.com", "fzg360.com"));
    assert!(!on_domain("notfzg360.com", "fzg360.com"));
    assert!(junk_reason("one-web.t4staging.qmul.ac.uk").is_some());
    assert!(junk_reason("nlb-ba-staging.netlify.app").is_some());
    assert!(junk_reason("www.fredhutch.org").is_none());
    assert!(is_month("2026-12") && !is_month("2026-00") && !is_month("26-12"));
}
