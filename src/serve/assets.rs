//! The page's files, compiled into the binary: one HTML shell for every view (the views are
//! drawn by `app.js` from the address, so a link to any of them can be shared), a
//! stylesheet, a script and the land-outline map. Nothing is read from disk and nothing
//! is loaded from the network; only these names can be served, so no address reaches a
//! file outside them.

use super::api::Reply;

pub const INDEX_HTML: &str = include_str!("assets/index.html");
pub const APP_JS: &str = include_str!("assets/app.js");
pub const APP_CSS: &str = include_str!("assets/app.css");
/// Natural Earth land outlines (public domain) via world-atlas (ISC); see
/// `assets/README.md` for how it was made.
pub const WORLD_SVG: &str = include_str!("assets/world.svg");

fn file(content_type: &'static str, body: &str) -> Reply {
    Reply {
        status: 200,
        content_type,
        body: body.as_bytes().to_vec(),
        cache: true,
    }
}

/// The views the page draws: the search (with a case open or not), the task list, a task,
/// a task's printable brief, a brief of a result list, and the statistics.
fn is_view(segs: &[&str]) -> bool {
    matches!(
        segs,
        [] | ["cases", _]
            | ["tasks"]
            | ["tasks", _]
            | ["tasks", _, "brief"]
            | ["brief"]
            | ["stats"]
    )
}

/// The file or view at `segs`, or a 404 page.
pub fn page(segs: &[&str]) -> Reply {
    match segs {
        ["assets", "app.js"] => file("text/javascript; charset=utf-8", APP_JS),
        ["assets", "app.css"] => file("text/css; charset=utf-8", APP_CSS),
        ["assets", "world.svg"] => file("image/svg+xml", WORLD_SVG),
        _ if is_view(segs) => Reply {
            cache: false,
            ..file("text/html; charset=utf-8", INDEX_HTML)
        },
        _ => Reply {
            status: 404,
            cache: false,
            ..file(
                "text/html; charset=utf-8",
                "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>404 · 对标</title>\
                 <p>没有这个页面。<a href=\"/\">回到案例检索</a></p></html>",
            )
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_get_the_page_and_other_paths_404() {
        for v in [
            &[][..],
            &["cases", "x"],
            &["tasks"],
            &["tasks", "BAY-03", "brief"],
            &["stats"],
        ] {
            assert_eq!(page(v).status, 200, "{v:?}");
        }
        for v in [
            &["etc", "passwd"][..],
            &["assets", "..", "Cargo.toml"],
            &["cases"],
            &["assets"],
        ] {
            assert_eq!(page(v).status, 404, "{v:?}");
        }
    }

    #[test]
    fn the_page_names_only_its_own_assets() {
        // The SVG namespace is a name, not an address anything is loaded from.
        for asset in [INDEX_HTML, APP_JS, APP_CSS, WORLD_SVG] {
            let rest = asset.replace("http://www.w3.org/2000/svg", "");
            assert!(
                !rest.contains("http://") && !rest.contains("https://") && !rest.contains("//cdn"),
                "an asset names an address outside the server"
            );
        }
        assert!(INDEX_HTML.contains("lang=\"zh-CN\""));
    }
}
