//! The panic boundary around reading an index.
//!
//! tantivy trusts the bytes of its files: damage that no stamp shows (see [`super::store`])
//! can make it index out of bounds or unwrap a failed decode deep inside a read. A read
//! runs inside [`catch`], which turns such a panic into [`SearchError::Damaged`] (so the
//! caller rebuilds, or reports exit 3) and keeps the panic's text off the user's terminal:
//! the process-wide panic hook stays quiet while a thread is inside the boundary. Panics
//! elsewhere are reported as before.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use super::SearchError;

thread_local! {
    /// How many boundaries this thread is inside.
    static INSIDE: Cell<usize> = const { Cell::new(0) };
}

static HOOK: Once = Once::new();

/// Installs, once, a panic hook that says nothing for a thread inside a boundary and
/// defers to the previous hook otherwise.
fn install_quiet_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if INSIDE.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside it becomes [`SearchError::Damaged`]. Whatever `f` was working
/// on must be dropped after a panic: the caller discards the searcher and rebuilds.
pub fn catch<T>(f: impl FnOnce() -> Result<T, SearchError>) -> Result<T, SearchError> {
    install_quiet_hook();
    INSIDE.with(|c| c.set(c.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    INSIDE.with(|c| c.set(c.get() - 1));
    result.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        Err(SearchError::Damaged(format!(
            "reading the index failed ({what})"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_an_error_and_outside_stays_a_panic() {
        let r: Result<u8, _> = catch(|| {
            let v: Vec<u8> = Vec::new();
            let i = std::hint::black_box(3);
            Ok(*v.get(i).unwrap_or_else(|| panic!("index {i} out of range")))
        });
        let Err(SearchError::Damaged(msg)) = r else {
            panic!("expected Damaged, got {r:?}");
        };
        assert!(msg.contains("out of range"), "{msg}");
        assert_eq!(catch(|| Ok(7)).unwrap(), 7);
        assert!(panic::catch_unwind(|| panic!("still a panic")).is_err());
    }
}
