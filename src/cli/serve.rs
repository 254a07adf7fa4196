//! `duibiao serve`: the web page and its JSON API on a local address.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;

use super::Env;
use crate::serve::{Server, State, note};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen. Port 0 picks a free port; the URL is printed either way. Another
    /// host than 127.0.0.1 exposes the library to the network (read-only, no login).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: SocketAddr,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
}

pub fn run(env: &Env, args: &ServeArgs, out: &mut dyn Write) -> anyhow::Result<i32> {
    let searcher = env.searcher()?;
    let server = Server::bind(args.addr)?;
    let url = format!("http://{}/", server.addr);
    if !server.addr.ip().is_loopback() {
        note(&format!(
            "warning: listening on {}, reachable from other machines; the page is read-only and has no login",
            server.addr
        ));
    }
    // The URL is the one line on stdout, so a script (or a test) can read where to go.
    writeln!(out, "{url}")?;
    out.flush()?;
    note(&format!(
        "serving {} at {url} (Ctrl-C to stop)",
        env.workspace.origin.describe()
    ));
    if args.open
        && let Err(e) = open::that_detached(&url)
    {
        note(&format!("cannot open a browser ({e}); open {url} yourself"));
    }
    let state = Arc::new(State::new(env.workspace.clone(), searcher));
    server.run(state, env.rebuild);
    Ok(0)
}
