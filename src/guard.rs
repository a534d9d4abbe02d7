//! The second line of defence: a panic while handling one message or one outgoing item (in
//! a library or in pilah itself) is caught and becomes that item's failure, and a test-only
//! switch to provoke such a panic on purpose.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

/// The text of a panic's payload (`panic!("...")` gives a `&str` or a `String`).
pub fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".to_string())
}

/// Runs `f`; a panic inside it is returned as its text.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_text(p.as_ref()))
}

/// Where `PILAH_FAULT_INJECT` can make pilah fail (tests only; see docs/operations.md).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fault {
    /// `compose-panic:MARKER`: composing mail for a message whose subject contains MARKER panics.
    ComposePanic(String),
    /// `task-panic:MAILBOX`: the mailbox task of MAILBOX panics once, after its first drain.
    TaskPanic(String),
}

fn parse_fault(s: &str) -> Option<Fault> {
    match s.split_once(':') {
        Some(("compose-panic", m)) if !m.is_empty() => Some(Fault::ComposePanic(m.to_string())),
        Some(("task-panic", m)) if !m.is_empty() => Some(Fault::TaskPanic(m.to_string())),
        _ => None,
    }
}

/// `PILAH_FAULT_INJECT`, read once.
fn fault() -> Option<&'static Fault> {
    static FAULT: OnceLock<Option<Fault>> = OnceLock::new();
    FAULT
        .get_or_init(|| {
            let f = std::env::var("PILAH_FAULT_INJECT")
                .ok()
                .and_then(|v| parse_fault(&v));
            if let Some(f) = &f {
                tracing::warn!(fault = ?f, "PILAH_FAULT_INJECT is set: faults are injected on purpose (tests only)");
            }
            f
        })
        .as_ref()
}

/// Panics when the fault switch asks for a compose panic on this subject.
pub fn compose_fault(subject: &str) {
    if let Some(Fault::ComposePanic(marker)) = fault() {
        if subject.contains(marker.as_str()) {
            panic!("fault injected while composing (PILAH_FAULT_INJECT=compose-panic:{marker})");
        }
    }
}

/// Panics once per process when the fault switch asks for a panic of this mailbox's task.
pub fn task_fault(mailbox: &str) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FIRED: AtomicBool = AtomicBool::new(false);
    if let Some(Fault::TaskPanic(m)) = fault() {
        if m == mailbox && !FIRED.swap(true, Ordering::SeqCst) {
            panic!("fault injected in the mailbox task (PILAH_FAULT_INJECT=task-panic:{m})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_text() {
        assert_eq!(catch(|| 3), Ok(3));
        assert_eq!(catch(|| -> u8 { panic!("boom") }), Err("boom".to_string()));
        let n = 7;
        assert_eq!(
            catch(|| -> u8 { panic!("boom {n}") }),
            Err("boom 7".to_string())
        );
    }

    #[test]
    fn the_fault_switch_reads_its_two_forms_and_nothing_else() {
        assert_eq!(
            parse_fault("compose-panic:XYZ"),
            Some(Fault::ComposePanic("XYZ".into()))
        );
        assert_eq!(
            parse_fault("task-panic:lapor"),
            Some(Fault::TaskPanic("lapor".into()))
        );
        assert_eq!(parse_fault("compose-panic:"), None);
        assert_eq!(parse_fault("anything"), None);
    }
}
