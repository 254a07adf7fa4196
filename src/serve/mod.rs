//! `duibiao serve`: the planners' web page and its JSON API, on one local address.
//!
//! The server is a front end like the command line: it parses a request, calls the search
//! side, and writes what comes back, as the same JSON the CLI's `--json` prints
//! ([`api`]), or as the page's assets compiled into the binary ([`assets`]). It holds the
//! live [`Searcher`] behind a lock that is only ever swapped whole: a watcher thread
//! ([`watch`]) checks the library once a second, rebuilds in the background when it
//! changed, and swaps the new generation in, so every request is answered from one good
//! generation, old or new, and none waits for a build.
//!
//! HTTP is [`http`]: httparse reads request heads, and each connection is served on a
//! thread of its own with deadlines, so a slow client holds only itself. The page needs
//! nothing from an async stack, and this keeps the build small.

pub mod api;
pub mod assets;
pub mod html;
pub mod http;
mod watch;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::thread;

use crate::search::Searcher;
use crate::workspace::{Workspace, WorkspaceError};

/// Requests longer than this (path and query) are refused with 414: no page or API call
/// needs more, and a search box's text is far shorter.
pub const MAX_URL_BYTES: usize = 4096;
/// The API is read-only and takes no body; a request body past this is refused with 413.
pub const MAX_BODY_BYTES: usize = 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

/// What the library on disk looks like to the server right now.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Health {
    /// The live generation's folder name.
    pub generation: String,
    pub cases: u64,
    /// A rebuild is under way; requests are answered from the live generation meanwhile.
    pub rebuilding: bool,
    /// The library's problems (`duibiao check`) when its latest state could not be built;
    /// the live generation is then the last good one.
    pub problems: Vec<String>,
}

/// What every worker shares.
pub struct State {
    pub workspace: Workspace,
    live: RwLock<Arc<Searcher>>,
    health: RwLock<Health>,
    rebuilding: AtomicBool,
}

impl State {
    pub fn new(workspace: Workspace, searcher: Searcher) -> State {
        let health = Health {
            generation: generation_name(&searcher),
            cases: searcher.num_cases(),
            ..Health::default()
        };
        State {
            workspace,
            live: RwLock::new(Arc::new(searcher)),
            health: RwLock::new(health),
            rebuilding: AtomicBool::new(false),
        }
    }

    /// The live searcher. A request keeps the one it got for its whole answer, even when
    /// a newer generation is swapped in meanwhile.
    pub fn searcher(&self) -> Arc<Searcher> {
        match self.live.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn health(&self) -> Health {
        let mut h = match self.health.read() {
            Ok(h) => h.clone(),
            Err(p) => p.into_inner().clone(),
        };
        h.rebuilding = self.rebuilding.load(Ordering::Acquire);
        h
    }

    fn swap(&self, searcher: Searcher) {
        let health = Health {
            generation: generation_name(&searcher),
            cases: searcher.num_cases(),
            ..Health::default()
        };
        match self.live.write() {
            Ok(mut s) => *s = Arc::new(searcher),
            Err(p) => *p.into_inner() = Arc::new(searcher),
        }
        self.set_health(health);
    }

    fn set_problems(&self, problems: Vec<String>) {
        let mut h = self.health();
        h.problems = problems;
        self.set_health(h);
    }

    fn set_health(&self, h: Health) {
        match self.health.write() {
            Ok(mut x) => *x = h,
            Err(p) => *p.into_inner() = h,
        }
    }
}

fn generation_name(s: &Searcher) -> String {
    s.generation
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A listening server, before it runs: the address it got (port 0 becomes a real port).
pub struct Server {
    listener: TcpListener,
    pub addr: SocketAddr,
}

impl Server {
    pub fn bind(addr: SocketAddr) -> Result<Server, ServeError> {
        let bind_err = |source| ServeError::Bind { addr, source };
        let listener = http::listen(addr).map_err(bind_err)?;
        let local = listener.local_addr().map_err(bind_err)?;
        Ok(Server {
            listener,
            addr: local,
        })
    }

    /// Answers requests until the process ends; `watch` keeps the index fresh meanwhile.
    pub fn run(self, state: Arc<State>, watch: bool) {
        if watch {
            let s = Arc::clone(&state);
            thread::spawn(move || watch::run(&s));
        }
        http::serve(self.listener, move |request| api::handle(&state, request));
    }
}

/// Writes one line to stderr, ignoring a closed or full stderr: the server's notes are
/// for a person watching, never a reason to stop answering.
pub fn note(msg: &str) {
    let _ = writeln!(io::stderr(), "duibiao: {msg}");
}
