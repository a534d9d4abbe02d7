//! `pilah backup DIR`: what it takes to rebuild pilah on another machine, while it runs.
//! The database by SQLite's online backup (a consistent copy, checked), then `raw/` (after the
//! database: every message the copy knows has its raw file), the config file and the rules
//! directory, and where each password comes from. Passwords themselves only with
//! `--with-secrets`: a backup travels to other disks and other hands, and a password is
//! better set again at the mail server than copied there (docs/operations.md).

use crate::config::Config;
use crate::store::Store;
use anyhow::{bail, Context as _, Result};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub(super) struct BackupArgs {
    #[arg(long)]
    config: PathBuf,
    /// A new (or empty) directory for the backup.
    dir: PathBuf,
    /// Also copy the password files (private to the backup's owner).
    #[arg(long)]
    with_secrets: bool,
}

pub(super) fn command(a: BackupArgs) -> Result<()> {
    let config = Config::load(&a.config)?;
    let dir = &a.dir;
    if dir.exists()
        && std::fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty: give a new directory for each backup (such as {}/$(date +%F))",
            dir.display(),
            dir.display()
        );
    }
    mkdir(dir)?;
    let db = config.db_path();
    if !db.exists() {
        bail!("{}: no database yet, nothing to back up", db.display());
    }
    let found = Store::backup(&db, &dir.join("pilah.sqlite"))?;
    let raw = copy_tree(&config.state_dir.join("raw"), &dir.join("raw"))?;
    let etc = dir.join("etc");
    mkdir(&etc)?;
    copy_file(&config.path, &etc.join("pilah.toml"))?;
    let rules = copy_tree(&config.rules_dir, &etc.join("rules"))?;
    let secrets = credentials(&config, &etc, a.with_secrets)?;
    let summary = format!(
        "pilah backup of {state} made {now}\n\
         database: pilah.sqlite, schema version {v}, {n} message(s), integrity ok\n\
         raw mail: raw/, {raw} file(s)\n\
         config: etc/pilah.toml (from {cfg}); rules: etc/rules/, {rules} file(s) (from {rd})\n\
         passwords: etc/credentials.txt says where each comes from{copied}\n\
         restore: docs/operations.md, \"Backup and restore\"\n",
        state = config.state_dir.display(),
        now = chrono::Utc::now()
            .with_timezone(&config.timezone)
            .format("%Y-%m-%d %H:%M %Z"),
        v = found.version,
        n = found.messages,
        cfg = config.path.display(),
        rd = config.rules_dir.display(),
        copied = if secrets > 0 {
            format!("; {secrets} password file(s) copied into etc/secrets/")
        } else {
            String::new()
        },
    );
    write_private(&dir.join("backup.txt"), summary.as_bytes())?;
    let mut out = std::io::stdout().lock();
    write!(out, "{summary}")?;
    writeln!(out, "backup written to {}", dir.display())?;
    Ok(())
}

/// `etc/credentials.txt`: each password's source (a file, a variable, a systemd
/// credential); with `copy`, the files pilah reads itself go to `etc/secrets/`. Returns how
/// many were copied.
fn credentials(config: &Config, etc: &Path, copy: bool) -> Result<usize> {
    let mut text = String::from(
        "# Where pilah's passwords come from (their contents are not in this backup unless it\n\
         # was made with --with-secrets: then they are in secrets/).\n",
    );
    let mut copied = std::collections::BTreeSet::new();
    for (key, src) in config.secrets() {
        let place = match (src, src.private_file()) {
            (crate::config::SecretSource::Env(var), _) => format!("environment variable {var}"),
            (crate::config::SecretSource::Credential(name), None) => {
                format!("systemd credential {name} (LoadCredential= in the unit)")
            }
            (_, Some(path)) => format!("file {}", path.display()),
            (_, None) => "-".to_string(),
        };
        text.push_str(&format!("{key} = {place}\n"));
        if let (true, Some(path)) = (copy, src.private_file()) {
            if !copied.insert(path.clone()) {
                continue;
            }
            let secrets = etc.join("secrets");
            mkdir(&secrets)?;
            let name = path.file_name().map(PathBuf::from).unwrap_or_default();
            copy_file(&path, &secrets.join(name))?;
        }
    }
    write_private(&etc.join("credentials.txt"), text.as_bytes())?;
    Ok(copied.len())
}

fn mkdir(dir: &Path) -> Result<()> {
    crate::private::ensure_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = crate::private::create_file(path, true)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Copies one file, private to the backup's owner (it may hold personal data).
fn copy_file(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .and_then(|_| std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600)))
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Copies a directory tree (nothing when it does not exist); returns the files copied.
fn copy_tree(from: &Path, to: &Path) -> Result<u64> {
    if !from.is_dir() {
        return Ok(0);
    }
    let mut n = 0;
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        mkdir(&dst)?;
        for e in
            std::fs::read_dir(&src).with_context(|| format!("cannot read {}", src.display()))?
        {
            let e = e.with_context(|| format!("cannot read {}", src.display()))?;
            let (p, q) = (e.path(), dst.join(e.file_name()));
            if e.file_type()?.is_dir() {
                stack.push((p, q));
            } else {
                copy_file(&p, &q)?;
                n += 1;
            }
        }
    }
    Ok(n)
}
