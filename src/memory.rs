//! The memory pilah may use, and what a message needs: so that a message too large for the
//! memory limit is quarantined from its header instead of killing pilah at every start.
//!
//! The limit is the cgroup's (systemd's `MemoryMax=`; cgroup v2 `memory.max`, v1
//! `memory.limit_in_bytes`), read once. Handling a message holds it once in the IMAP
//! response while it is stored and parsed (a large one by its skeleton, so its attachments
//! are not decoded: src/parse/skeleton.rs), and later the forward that carries it in base64
//! (4/3 of its size), handed to the SMTP connection in pieces. Measured: 1 times its size
//! plus pilah's own base; budgeted at 1.5 times plus the base (docs/operations.md, "Memory").
//!
//! It must not allocate on behalf of others or refuse anything itself: the pipeline asks it
//! and decides.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What pilah needs besides the message in hand (runtime, rules, SQLite cache, buffers).
pub const BASE: u64 = 32 * 1024 * 1024;

/// Memory per byte of the message in hand, as a fraction (3/2): the forward's base64 copy
/// (4/3) with room to spare.
const FACTOR: (u64, u64) = (3, 2);

/// The memory a message of `size` bytes needs to be handled whole.
pub fn needed(size: u64) -> u64 {
    (size.saturating_mul(FACTOR.0) / FACTOR.1).saturating_add(BASE)
}

/// The largest message that fits in `limit`.
pub fn largest_for(limit: u64) -> u64 {
    limit.saturating_sub(BASE).saturating_mul(FACTOR.1) / FACTOR.0
}

/// This process's memory limit in bytes, if its cgroup has one (read once).
pub fn limit() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        cgroup_limit(&cgroups, Path::new("/sys/fs/cgroup"))
    })
}

/// The memory limit of the cgroups listed in `/proc/self/cgroup`'s text, under `root`.
fn cgroup_limit(cgroups: &str, root: &Path) -> Option<u64> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_start_matches('/');
        if controllers.is_empty() {
            // cgroup v2 (mounted at the root, or at unified/ beside v1).
            for base in [root.to_path_buf(), root.join("unified")] {
                candidates.push(base.join(path).join("memory.max"));
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            candidates.push(root.join("memory").join(path).join("memory.limit_in_bytes"));
        }
    }
    candidates
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| t.trim().parse::<u64>().ok())
        // "max" (v2) does not parse; v1 says "no limit" with a number near 2^63.
        .filter(|l| *l < 1 << 60)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1_memory_cgroup_limit_is_read_and_no_limit_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let cg = dir.path().join("memory/pilah");
        std::fs::create_dir_all(&cg).unwrap();
        std::fs::write(cg.join("memory.limit_in_bytes"), "67108864\n").unwrap();
        assert_eq!(
            cgroup_limit("4:memory:/pilah\n0::/\n", dir.path()),
            Some(64 << 20)
        );
        std::fs::write(cg.join("memory.limit_in_bytes"), "9223372036854771712\n").unwrap();
        assert_eq!(cgroup_limit("4:memory:/pilah\n", dir.path()), None);
        let v2 = dir.path().join("system.slice/pilah.service");
        std::fs::create_dir_all(&v2).unwrap();
        std::fs::write(v2.join("memory.max"), "max\n").unwrap();
        assert_eq!(
            cgroup_limit("0::/system.slice/pilah.service\n", dir.path()),
            None
        );
        std::fs::write(v2.join("memory.max"), "268435456\n").unwrap();
        assert_eq!(
            cgroup_limit("0::/system.slice/pilah.service\n", dir.path()),
            Some(256 << 20)
        );
    }

    #[test]
    fn a_message_needs_one_and_a_half_times_its_size_plus_the_base() {
        assert_eq!(needed(10 << 20), 47 << 20);
        assert_eq!(largest_for(62 << 20), 20 << 20);
        assert_eq!(largest_for(16 << 20), 0);
    }
}
