//! Running the pipelines: one task per mailbox, one for the outbox, signals for reload and
//! shutdown. A mailbox's failure is logged, recorded and retried with backoff; it never
//! stops the other mailbox or the outbox.

use crate::act::notice::NoticeKind;
use crate::act::send::{self, Smtp};
use crate::act::template::Vars;
use crate::classify::rules::RuleSet;
use crate::config::{Config, MailboxConfig};
use crate::pipeline::{Pipeline, RunOptions};
use crate::source::Connection;
use crate::store::Store;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{watch, Notify};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Rules(#[from] crate::classify::rules::RulesError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Send(#[from] crate::act::send::SendError),
    #[error("the rules have no category list for mailbox {0:?} (configured in {1})")]
    UnknownMailbox(String, String),
    #[error("{failed} of {total} mailboxes could not be drained (see the log above)")]
    MailboxesFailed { failed: usize, total: usize },
    #[error("another pilah is running on the state directory {0}: {1}")]
    Locked(String, String),
    #[error("cannot install signal handlers: {0}")]
    Signal(std::io::Error),
}

/// Who asked for a rules reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// SIGHUP (`systemctl reload pilah`): the admin's confirmation, shrinking allowed.
    Signal,
    /// The directory watcher: only a set that keeps every rule and file of the running one.
    Watcher,
}

/// How long the rules directory must stay unchanged (no event, the same content hash)
/// before the watcher reloads it.
const RULES_QUIET: Duration = Duration::from_secs(1);

/// State shared by the tasks.
pub struct Shared {
    pub config: Config,
    pub store: Store,
    pub rules: RwLock<Arc<RuleSet>>,
    pub smtp: Smtp,
    pub outbox: Notify,
    pub options: RunOptions,
    pub health: crate::health::Health,
}

impl crate::metrics::Figures for Shared {
    fn store(&self) -> &Store {
        &self.store
    }
    fn health(&self) -> &crate::health::Health {
        &self.health
    }
    fn rules_version(&self) -> String {
        self.rules().version.clone()
    }
}

impl Shared {
    pub fn rules(&self) -> Arc<RuleSet> {
        self.rules.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Loads the rules again; on any error the running set stays. A set that would drop
    /// whole files or rules of the running one is refused when the directory watcher asked
    /// (a half-done save or copy looks like that) and taken when the admin did (SIGHUP,
    /// `systemctl reload pilah`): docs/rules.md, "How reload works".
    pub fn reload_rules(&self, by: Reload) {
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Reloading]);
        match RuleSet::load(&self.config.rules_dir) {
            Ok(new) => {
                let running = self.rules();
                let shrink = running.shrink_from(&new);
                if by == Reload::Watcher && new.version == running.version {
                    tracing::debug!(step = "rules-unchanged", version = %new.version, "the rules directory changed but the rules did not");
                } else if by == Reload::Watcher && !shrink.is_empty() {
                    tracing::error!(step = "rules-reload-refused", version = %new.version, rules = new.rules.len(), running_rules = running.rules.len(), shrink = %shrink, "new rules refused: they would remove rules or files of the running set; if that is meant, confirm with `systemctl reload pilah` (SIGHUP); the old rules keep running");
                    self.health.reload_refused();
                } else {
                    if !shrink.is_empty() {
                        tracing::warn!(step = "rules-shrunk", shrink = %shrink, "the reload removes rules or files, as confirmed by SIGHUP");
                    }
                    tracing::info!(step = "rules-reloaded", version = %new.version, rules = new.rules.len(), "rules reloaded");
                    *self.rules.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new);
                }
            }
            Err(e) => {
                tracing::error!(step = "rules-reload-refused", error = %e, "new rules refused; the old rules keep running");
                self.health.reload_refused();
            }
        }
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    }

    /// The longest a mailbox waits in IDLE (or between polls): under half the systemd
    /// watchdog interval, so that a quiet mailbox is not taken for a hung one.
    fn wait_limit(&self) -> Duration {
        match sd_notify::watchdog_enabled() {
            Some(wd) => self.config.limits.poll_interval.min(wd / 3),
            None => self.config.limits.poll_interval,
        }
    }
}

/// Checks that the rules know every configured mailbox.
pub fn check_mailboxes(config: &Config, rules: &RuleSet) -> Result<(), DaemonError> {
    let known = rules.mailboxes();
    for m in &config.mailboxes {
        if !known.contains(m.name.as_str()) {
            return Err(DaemonError::UnknownMailbox(
                m.name.to_string(),
                config.path.display().to_string(),
            ));
        }
    }
    Ok(())
}

/// Holds the state directory's lock for as long as it lives.
pub struct InstanceLock {
    _dir: std::fs::File,
}

/// Refuses a second pilah on the same state directory: an `flock` on the state directory
/// itself, not on a file in it, so that it cannot be bypassed by deleting a file (a lock
/// file that was deleted let a second daemon start and send mail twice).
pub fn lock_state_dir(config: &Config) -> Result<InstanceLock, DaemonError> {
    let dir = &config.state_dir;
    let err = |e: String| DaemonError::Locked(dir.display().to_string(), e);
    if let Some(t) = crate::private::ensure_dir(dir).map_err(|e| err(e.to_string()))? {
        t.log();
    }
    let handle = std::fs::File::open(dir).map_err(|e| err(format!("cannot open it: {e}")))?;
    handle.try_lock().map_err(|e| {
        err(format!(
            "the directory is locked by another process ({e}); `fuser -v {}` shows which",
            dir.display()
        ))
    })?;
    Ok(InstanceLock { _dir: handle })
}

/// Drains every mailbox and the outbox once (`--once`). Sending runs beside the mailboxes:
/// each fetch batch's mail goes out while the next batch is fetched.
pub async fn run_once(shared: Arc<Shared>) -> Result<(), DaemonError> {
    let (done_tx, done_rx) = watch::channel(false);
    let sender = tokio::spawn(once_outbox(shared.clone(), done_rx));
    let mut tasks = Vec::new();
    for m in shared.config.mailboxes.clone() {
        let shared = shared.clone();
        let name = m.name.to_string();
        tasks.push((
            name,
            tokio::spawn(async move {
                let r = drain_mailbox(&shared, &m).await;
                if let Err(e) = &r {
                    log_failure(&shared, &m.name, e, None);
                    let _ = shared.store.mailbox_error(m.name.as_str(), &e.to_string());
                }
                r.is_ok()
            }),
        ));
    }
    let total = tasks.len();
    let mut failed = 0;
    for (name, t) in tasks {
        match t.await {
            Ok(true) => {}
            Ok(false) => failed += 1,
            Err(e) => {
                failed += 1;
                let why = if e.is_panic() {
                    format!(
                        "panic: {}",
                        crate::guard::panic_text(e.into_panic().as_ref())
                    )
                } else {
                    e.to_string()
                };
                tracing::error!(step = "fetch-failed", mailbox = %name, error = %why, "the mailbox task ended abnormally; mailbox not drained");
                let _ = shared.store.mailbox_error(&name, &why);
            }
        }
    }
    remind(&shared);
    let _ = done_tx.send(true);
    let stats = match sender.await {
        Ok(r) => r?,
        Err(e) => {
            tracing::error!(step = "outbox-failed", error = %e, "the sending task ended abnormally");
            send::DrainStats::default()
        }
    };
    tracing::info!(
        step = "outbox",
        sent = stats.sent,
        deferred = stats.deferred,
        failed = stats.failed,
        "outbox drained"
    );
    if failed > 0 {
        return Err(DaemonError::MailboxesFailed { failed, total });
    }
    Ok(())
}

/// The outbox of `--once`: a pass whenever a batch queued mail, a last one when the
/// mailboxes are done. What was tried once (and deferred) is not tried again in this run.
async fn once_outbox(
    shared: Arc<Shared>,
    mut done: watch::Receiver<bool>,
) -> Result<send::DrainStats, send::SendError> {
    let mut total = send::DrainStats::default();
    let mut cursor = 0;
    loop {
        let finished = *done.borrow_and_update();
        let stats = send::drain(
            &shared.store,
            &shared.smtp,
            true,
            shared.config.limits.retry_initial,
            &mut cursor,
        )
        .await?;
        total += stats;
        if finished || stats.unreachable {
            if stats.unreachable && !finished {
                // Leave the rest queued for the next run; count what is still waiting then.
                let _ = done.wait_for(|d| *d).await;
                total.deferred = shared.store.pending_count()?.max(0) as usize;
            }
            return Ok(total);
        }
        tokio::select! {
            _ = shared.outbox.notified() => {}
            _ = done.changed() => {}
        }
    }
}

async fn drain_mailbox(
    shared: &Shared,
    m: &MailboxConfig,
) -> Result<(), crate::pipeline::PipelineError> {
    let mut conn = Connection::open(&m.name, &m.imap, shared.config.limits.network_timeout).await?;
    let pipeline = Pipeline {
        config: &shared.config,
        mailbox: m,
        store: &shared.store,
        rules: shared.rules(),
        options: shared.options,
        health: None,
        queued: Some(&shared.outbox),
    };
    let r = pipeline.drain(&mut conn).await?;
    crate::guard::task_fault(m.name.as_str());
    tracing::info!(step = "drained", mailbox = %m.name, fetched = r.fetched, classified = r.classified, filed = r.filed, held = r.held, "mailbox drained");
    conn.logout().await;
    if r.held > 0 {
        // Not drained: these wait in the mailbox for the spam engine (the next run tries again).
        return Err(crate::pipeline::PipelineError::SpamHeld {
            mailbox: m.name.to_string(),
            count: r.held,
        });
    }
    Ok(())
}

/// Runs until SIGTERM/SIGINT: mailboxes wait with IDLE (or poll), the outbox is sent as
/// soon as something is queued and retried with backoff, SIGHUP reloads the rules.
pub async fn run_forever(shared: Arc<Shared>) -> Result<(), DaemonError> {
    use tokio::signal::unix::{signal, SignalKind};
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signal)?;

    let mut tasks = Vec::new();
    for m in shared.config.mailboxes.clone() {
        tasks.push(tokio::spawn(supervise_mailbox(
            shared.clone(),
            m,
            stop_rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(outbox_loop(shared.clone(), stop_rx.clone())));
    tasks.push(tokio::spawn(reminder_loop(shared.clone(), stop_rx.clone())));
    tasks.push(tokio::spawn(notify_loop(shared.clone(), stop_rx.clone())));
    if let Some(addr) = shared.config.metrics_listen {
        tasks.push(tokio::spawn(crate::metrics::serve(
            shared.clone(),
            addr,
            stop_rx.clone(),
        )));
    }
    let (reload_tx, mut reload_rx) = tokio::sync::mpsc::channel::<()>(1);
    let rules_dir = shared.config.rules_dir.clone();
    // Kept alive for as long as the daemon runs.
    let mut watcher = watch_rules(&rules_dir, reload_tx);
    tracing::info!(step = "started", mailboxes = shared.config.mailboxes.len(), rules = %shared.rules().version, "pilah running");
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => shared.reload_rules(Reload::Signal),
            Some(()) = reload_rx.recv() => {
                // Editors write several events per save, some truncate first and write a
                // moment later, deploy tools copy file by file: reload only once the
                // directory has been quiet and its content the same across a quiet period.
                // A stop asked for meanwhile is not kept waiting for the rules to settle.
                let settled = tokio::select! {
                    _ = settle_rules_dir(&rules_dir, &mut reload_rx) => true,
                    _ = term.recv() => false,
                    _ = int.recv() => false,
                };
                if !settled {
                    break;
                }
                // The directory may have been replaced (`mv`, a new checkout): watch
                // whatever is at its path now.
                if let Some(w) = watcher.as_mut() {
                    rewatch(w, &rules_dir);
                }
                shared.reload_rules(Reload::Watcher);
            }
        }
    }
    tracing::info!(step = "stopping", "finishing the message in hand");
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(20), t).await;
    }
    Ok(())
}

/// Waits until the rules directory is stable: no event for [`RULES_QUIET`], and the same
/// content hash before and after another quiet period (at most a minute of trying).
async fn settle_rules_dir(dir: &std::path::Path, rx: &mut tokio::sync::mpsc::Receiver<()>) {
    async fn quiet(rx: &mut tokio::sync::mpsc::Receiver<()>) {
        while tokio::time::timeout(RULES_QUIET, rx.recv()).await.is_ok() {}
    }
    for _ in 0..30 {
        quiet(rx).await;
        let before = crate::classify::rules::directory_hash(dir);
        quiet(rx).await;
        if crate::classify::rules::directory_hash(dir) == before {
            return;
        }
        tracing::debug!(step = "rules-changing", dir = %dir.display(), "the rules directory is still changing; waiting");
    }
}

/// Watches the rules directory (the directory, not single files: editors that save by
/// renaming would break a file watch), and its parent, so that a directory replaced by
/// rename is noticed; sends a signal on every change under the rules directory's path.
fn watch_rules(
    dir: &std::path::Path,
    tx: tokio::sync::mpsc::Sender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let under = dir.to_path_buf();
    let handler = move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event {
            if !matches!(e.kind, notify::EventKind::Access(_))
                && e.paths.iter().any(|p| p.starts_with(&under))
            {
                let _ = tx.try_send(());
            }
        }
    };
    let mut w = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the rules directory; reload with SIGHUP");
            return None;
        }
    };
    if let Err(e) = w.watch(dir, RecursiveMode::Recursive) {
        tracing::warn!(error = %e, dir = %dir.display(), "cannot watch the rules directory; reload with SIGHUP");
        return None;
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Err(e) = w.watch(parent, RecursiveMode::NonRecursive) {
            tracing::warn!(error = %e, dir = %parent.display(), "cannot watch the rules directory's parent: a rules directory replaced by rename is not noticed; reload with SIGHUP then");
        }
    }
    Some(w)
}

/// Watches whatever directory is at `dir`'s path now (after a replacement by rename, the
/// old watch follows the old directory).
fn rewatch(w: &mut notify::RecommendedWatcher, dir: &std::path::Path) {
    use notify::{RecursiveMode, Watcher};
    let _ = w.unwatch(dir);
    if let Err(e) = w.watch(dir, RecursiveMode::Recursive) {
        tracing::warn!(error = %e, dir = %dir.display(), "cannot watch the rules directory again; reload with SIGHUP");
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Exponential backoff with jitter: 1 s, 2 s, 4 s, … up to 5 minutes.
pub fn reconnect_delay(failures: u32) -> Duration {
    crate::backoff::with_jitter(crate::backoff::doubling(
        Duration::from_secs(1),
        failures,
        Duration::from_secs(300),
    ))
}

/// Logs a failed pass with its real cause: the server or the connection (`fetch-failed`),
/// or this machine's disk or database (`store-failed`); `retry` is the backoff before the
/// next attempt (none with `--once`).
fn log_failure(
    shared: &Shared,
    mailbox: &crate::types::MailboxName,
    e: &crate::pipeline::PipelineError,
    retry: Option<Duration>,
) {
    let retry_in_s = retry.map(|d| d.as_secs());
    match e.step() {
        "spam-held" => {
            tracing::error!(step = "spam-held", mailbox = %mailbox, error = %e, retry_in_s, "messages held for the spam engine")
        }
        "store-failed" => {
            let hint = match e {
                crate::pipeline::PipelineError::Store(s) => shared.store.read_only_files(s),
                _ => None,
            };
            tracing::error!(step = "store-failed", mailbox = %mailbox, error = %e, hint = hint.as_deref().unwrap_or(""), retry_in_s, "local failure (disk or database) while handling the mailbox; retrying with backoff")
        }
        _ => {
            tracing::error!(step = "fetch-failed", mailbox = %mailbox, error = %e, retry_in_s, "mailbox error; reconnecting with backoff")
        }
    }
}

/// Tells the admin, once per outage, that a mailbox has not been fetched for a while.
fn alert_stale_mailbox(
    shared: &Shared,
    m: &MailboxConfig,
    since: std::time::Duration,
    error: &str,
) {
    let minutes = since.as_secs() / 60;
    tracing::error!(step = "mailbox-stale", mailbox = %m.name, minutes, last_error = %error, "mailbox not fetched successfully for a long time");
    let vars = Vars::from([
        ("mailbox", m.name.to_string()),
        ("minutes", minutes.to_string()),
        ("error", error.to_string()),
    ]);
    queue_admin_alert(
        shared,
        NoticeKind::MailboxStale,
        format!("stale.{}.{}", m.name, chrono::Utc::now().timestamp()),
        &vars,
    );
}

/// Tells the admin that the OAuth2 provider refuses a mailbox's grant: at most once a day per
/// mailbox (the alert's key holds the date, and the outbox queues a key once), so a restart
/// does not repeat it.
fn alert_grant_refused(shared: &Shared, m: &MailboxConfig, error: &str) {
    tracing::error!(step = "oauth2-refused", mailbox = %m.name, error = %error, "the OAuth2 provider refuses the mailbox's grant; an admin must sign in again");
    let vars = Vars::from([
        ("mailbox", m.name.to_string()),
        ("error", error.to_string()),
    ]);
    let day = chrono::Utc::now().format("%Y-%m-%d");
    queue_admin_alert(
        shared,
        NoticeKind::GrantRefused,
        format!("oauth2-refused.{}.{day}", m.name),
        &vars,
    );
}

/// The OAuth2 error of a failed pass that only an admin can end.
fn refused_grant(e: &crate::pipeline::PipelineError) -> Option<&crate::oauth2::OAuth2Error> {
    match e {
        crate::pipeline::PipelineError::Source(crate::source::SourceError::OAuth2 {
            source,
            ..
        }) if source.needs_admin() => Some(source),
        _ => None,
    }
}

/// Queues an alert about pilah itself to the admin (none without `admin_address`); a failure
/// to compose it is logged and counted by the notice module, a failure to queue it here.
fn queue_admin_alert(shared: &Shared, kind: NoticeKind, key: String, vars: &Vars) {
    let rules = shared.rules();
    let Some(o) = crate::alerts::to_admin(&rules, &shared.config, kind, key, vars) else {
        return;
    };
    match shared.store.queue(&o) {
        Ok(()) => shared.outbox.notify_one(),
        Err(e) => {
            tracing::error!(step = "alert-failed", error = %e, message_id = %o.message_id, "cannot queue an alert to the admin")
        }
    }
}

/// Keeps one mailbox's task running: if it ends for any reason (a panic, or it returned)
/// while pilah is not stopping, it is logged with the panic's text, shown in `STATUS=` and
/// the metrics, reported once to the admin, and started again after `reconnect_delay`.
async fn supervise_mailbox(shared: Arc<Shared>, m: MailboxConfig, stop: watch::Receiver<bool>) {
    let name = m.name.to_string();
    let mut crashes = 0u32;
    let mut reported: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        let task = tokio::spawn(mailbox_loop(shared.clone(), m.clone(), stop.clone()));
        let why = match task.await {
            Ok(()) => "the mailbox task ended".to_string(),
            Err(e) if e.is_panic() => {
                format!(
                    "panic: {}",
                    crate::guard::panic_text(e.into_panic().as_ref())
                )
            }
            Err(e) => e.to_string(),
        };
        if *stop.borrow() {
            return;
        }
        // A crash after the task had fetched successfully again starts a new count.
        let last_success = shared
            .health
            .snapshot()
            .get(&name)
            .and_then(|h| h.last_success);
        if reported.is_some_and(|at| last_success.is_some_and(|ok| ok > at)) {
            crashes = 0;
            reported = None;
        }
        crashes += 1;
        let delay = reconnect_delay(crashes);
        tracing::error!(step = "mailbox-task-restart", mailbox = %name, error = %why, retry_in_s = delay.as_secs(), "the mailbox task stopped; restarting it");
        shared.health.crashed(&name, &why, delay);
        let _ = shared.store.mailbox_error(&name, &why);
        if reported.is_none() {
            let vars = Vars::from([
                ("mailbox", name.clone()),
                ("seconds", delay.as_secs().to_string()),
                ("error", why.to_string()),
            ]);
            queue_admin_alert(
                &shared,
                NoticeKind::MailboxRestarted,
                format!("restart.{name}.{}", chrono::Utc::now().timestamp()),
                &vars,
            );
            reported = Some(chrono::Utc::now());
        }
        // Sleep in short steps, beating: waiting to restart is not being hung.
        let until = tokio::time::Instant::now() + delay;
        while tokio::time::Instant::now() < until {
            tokio::select! {
                _ = tokio::time::sleep_until(until.min(tokio::time::Instant::now() + Duration::from_secs(5))) => {}
                _ = stopped(stop.clone()) => return,
            }
            shared.health.beat(&name);
        }
    }
}

/// The alerts a mailbox's outage has already raised (reset by a completed pass).
#[derive(Default)]
struct Alerted {
    stale: bool,
    grant: bool,
}

impl Alerted {
    /// Raises what a failed pass calls for, once per outage: a refused OAuth2 grant at once,
    /// a stale mailbox after `limits.alert_after`.
    fn failed(
        &mut self,
        shared: &Shared,
        m: &MailboxConfig,
        e: &crate::pipeline::PipelineError,
        since_ok: Duration,
    ) {
        if let (false, Some(g)) = (self.grant, refused_grant(e)) {
            alert_grant_refused(shared, m, &g.to_string());
            self.grant = true;
        }
        if !self.stale && since_ok >= shared.config.limits.alert_after {
            alert_stale_mailbox(shared, m, since_ok, &e.to_string());
            self.stale = true;
        }
    }
}

async fn mailbox_loop(shared: Arc<Shared>, m: MailboxConfig, stop: watch::Receiver<bool>) {
    let mut failures = 0u32;
    let mut last_ok = std::time::Instant::now();
    let mut alerted = Alerted::default();
    let name = m.name.as_str();
    while !*stop.borrow() {
        let r: Result<(), crate::pipeline::PipelineError> = async {
            shared.health.state(name, "connecting");
            let mut conn =
                Connection::open(&m.name, &m.imap, shared.config.limits.network_timeout).await?;
            shared.health.connected(name);
            // A login alone does not reset the backoff: only a completed pass does (a
            // failure after every login would otherwise retry every second for ever).
            loop {
                shared.health.state(name, "fetching");
                let pipeline = Pipeline {
                    config: &shared.config,
                    mailbox: &m,
                    store: &shared.store,
                    rules: shared.rules(),
                    options: shared.options,
                    health: Some(&shared.health),
                    queued: Some(&shared.outbox),
                };
                let r = pipeline.drain(&mut conn).await?;
                failures = 0;
                shared.health.success(name);
                shared.health.held(name, r.held);
                crate::guard::task_fault(name);
                shared
                    .health
                    .state(name, if conn.has_idle { "idle" } else { "polling" });
                last_ok = std::time::Instant::now();
                alerted = Alerted::default();
                if r.classified > 0 {
                    shared.outbox.notify_one();
                }
                if *stop.borrow() {
                    conn.logout().await;
                    return Ok(());
                }
                // Messages held for the spam engine are tried again soon, new mail or not.
                let wait = match (&shared.config.spam, r.held) {
                    (Some(spam), held) if held > 0 => spam.retry.min(shared.wait_limit()),
                    _ => shared.wait_limit(),
                };
                if conn.has_idle {
                    conn = conn.idle(wait, stopped(stop.clone())).await?;
                } else {
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stopped(stop.clone()) => {}
                    }
                    conn.noop().await?;
                }
            }
        }
        .await;
        if let Err(e) = r {
            failures += 1;
            let delay = reconnect_delay(failures);
            log_failure(&shared, &m.name, &e, Some(delay));
            let _ = shared.store.mailbox_error(m.name.as_str(), &e.to_string());
            shared.health.failed(name, &e.to_string(), delay);
            alerted.failed(&shared, &m, &e, last_ok.elapsed());
            // Sleep in short steps, beating: waiting to reconnect is not being hung.
            let until = tokio::time::Instant::now() + delay;
            while tokio::time::Instant::now() < until && !*stop.borrow() {
                tokio::select! {
                    _ = tokio::time::sleep_until(until.min(tokio::time::Instant::now() + Duration::from_secs(5))) => {}
                    _ = stopped(stop.clone()) => {}
                }
                shared.health.beat(name);
            }
        }
    }
}

/// Tells systemd how pilah is: READY once every mailbox has connected (or after a minute
/// with whatever state, so that one broken mailbox does not keep the others from starting),
/// STATUS lines, and the watchdog ping only while every mailbox loop makes progress.
async fn notify_loop(shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    use sd_notify::NotifyState;
    let watchdog = sd_notify::watchdog_enabled();
    let step = watchdog
        .map(|w| w / 3)
        .unwrap_or(Duration::from_secs(10))
        .min(Duration::from_secs(10));
    let mut ready = false;
    let mut last_status = String::new();
    loop {
        let pending = shared.store.pending_count().unwrap_or(-1);
        let status = shared.health.status_line(pending);
        if !ready
            && (shared.health.all_connected_once()
                || shared.health.started.elapsed() > Duration::from_secs(60))
        {
            let _ = sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(&status)]);
            tracing::info!(step = "ready", status = %status, "ready");
            ready = true;
        } else if status != last_status {
            let _ = sd_notify::notify(&[NotifyState::Status(&status)]);
        }
        last_status = status;
        if let Some(wd) = watchdog {
            if shared.health.alive(wd) {
                let _ = sd_notify::notify(&[NotifyState::Watchdog]);
            } else {
                tracing::error!(
                    step = "watchdog-missed",
                    "a mailbox loop made no progress for {} s",
                    wd.as_secs()
                );
            }
        }
        // Until READY, look every second: systemd waits for it.
        let pause = if ready {
            step
        } else {
            step.min(Duration::from_secs(1))
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stopped(stop.clone()) => return,
        }
    }
}

/// Queues the reminders, escalations and digests that are due, and the digest of alerts held
/// back by `limits.alerts_per_hour`.
fn remind(shared: &Shared) {
    match crate::alerts::queue_digest(&shared.store, &shared.rules(), &shared.config) {
        Ok(0) => {}
        Ok(_) => shared.outbox.notify_one(),
        Err(e) => {
            tracing::error!(step = "alert-digest-failed", error = %e, "cannot queue the digest of held alerts")
        }
    }
    if shared.options.no_send {
        return;
    }
    let now = match crate::ticket::now() {
        Ok(now) => now,
        Err(e) => {
            tracing::error!(step = "reminders-failed", error = %e, "reminder pass skipped");
            return;
        }
    };
    match crate::ticket::remind(&shared.store, &shared.rules(), &shared.config, now) {
        Ok(s) if s.reminders + s.escalations + s.digests > 0 => {
            tracing::info!(
                step = "reminders",
                reminders = s.reminders,
                escalations = s.escalations,
                digests = s.digests,
                "reminders queued"
            );
            shared.outbox.notify_one();
        }
        Ok(_) => {}
        Err(e) => tracing::error!(step = "reminders-failed", error = %e, "reminder pass failed"),
    }
}

/// Releases the bodies of mail sent longer ago than `limits.keep_sent_bodies_days`.
fn release_sent_bodies(shared: &Shared) {
    let keep = chrono::Duration::from_std(shared.config.limits.keep_sent_bodies)
        .unwrap_or(chrono::Duration::MAX);
    let Some(before) = chrono::Utc::now().checked_sub_signed(keep) else {
        return;
    };
    match shared.store.release_sent_bodies(before) {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            step = "bodies-released",
            count = n,
            "released the bodies of sent mail"
        ),
        Err(e) => {
            tracing::error!(step = "release-failed", error = %e, "cannot release the bodies of sent mail")
        }
    }
}

/// The start of retention: messages that arrived before it lose their raw mail
/// (`[retention] raw_months` before `now`, on the configured clock); `None`: kept.
pub fn retention_cutoff(
    config: &crate::config::Config,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let months = config.retention.raw_months?;
    now.with_timezone(&config.timezone)
        .checked_sub_months(chrono::Months::new(months))
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The `[retention]` pass, once a day (`last`: when it last ran).
fn prune_daily(shared: &Shared, last: &mut Option<std::time::Instant>) {
    if last.is_some_and(|t| t.elapsed() < Duration::from_secs(24 * 3600)) {
        return;
    }
    let Some(before) = retention_cutoff(&shared.config, chrono::Utc::now()) else {
        return;
    };
    *last = Some(std::time::Instant::now());
    match shared
        .store
        .prune(before, shared.config.retention.erase_subjects)
    {
        Ok(p) if p.messages == 0 => {}
        Ok(p) => {
            tracing::info!(step = "pruned", count = p.messages, bytes = p.bytes, missing = p.missing, before = %before, "removed raw mail past [retention]")
        }
        Err(e) => {
            tracing::error!(step = "prune-failed", error = %e, "cannot remove raw mail past [retention]")
        }
    }
}

async fn reminder_loop(shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    let mut pruned = None;
    loop {
        remind(&shared);
        release_sent_bodies(&shared);
        prune_daily(&shared, &mut pruned);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = stopped(stop.clone()) => return,
        }
    }
}

async fn outbox_loop(shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    loop {
        match send::drain(
            &shared.store,
            &shared.smtp,
            false,
            shared.config.limits.retry_initial,
            &mut 0,
        )
        .await
        {
            Ok(s) if s.sent + s.deferred + s.failed > 0 => {
                tracing::info!(
                    step = "outbox",
                    sent = s.sent,
                    deferred = s.deferred,
                    failed = s.failed,
                    "outbox pass"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(step = "outbox-failed", error = %e, "outbox pass failed"),
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = shared.outbox.notified() => {}
            _ = tokio::time::sleep(shared.config.limits.retry_initial.min(Duration::from_secs(15))) => {}
            _ = stopped(stop.clone()) => {}
        }
    }
}
