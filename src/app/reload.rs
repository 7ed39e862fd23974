//! Live configuration reload: on SIGHUP and when the configuration file changes.
//!
//! A reload validates the whole new configuration first. If it is invalid, or changes what
//! only a restart can apply (any field of [`StartConfig`](crate::config::StartConfig),
//! compared with `==`: name, source, listen address, decode limits, dead letter, checkpoint,
//! Alertmanager, `spec.http`), the running configuration stays, every problem is logged, the failure is counted and its text is
//! shown on `/readyz` until a reload succeeds; readiness itself does not change. Otherwise
//! [`Pipeline::reload`] takes the generation's write lock (no batch is half-applied), builds
//! the [successor](super::Generation::successor) generation with the window state moved over,
//! and installs it.
//!
//! [`watch`] is the trigger: SIGHUP, and a poll of the file every two seconds that compares
//! modification time and size, then a hash of the content (an editor's save by rename shows
//! up as new content at the same path).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tracing::{debug, info, warn};

use super::Pipeline;
use super::generation::Changes;
use crate::config::{self, Config, ConfigError};

/// How often the configuration file is checked for changes.
pub(super) const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// Counters of reloads, for `/metrics` and `/readyz`.
#[derive(Debug, Default)]
pub struct ReloadStats {
    /// Successful reloads.
    pub reloads: AtomicU64,
    /// Rejected reloads.
    pub failures: AtomicU64,
    /// Wall-clock time the running configuration was loaded (at start, then at each
    /// successful reload), µs.
    pub last_success_us: AtomicI64,
    /// Why the last reload was rejected; cleared by a successful one.
    pub last_error: Mutex<Option<String>>,
    /// The restart-only fields (config paths) that the last reload rejected for changing
    /// them: what the file says differs from what runs until a restart. Cleared by a
    /// successful reload (which changes none of them).
    pub restart_required: Mutex<Vec<&'static str>>,
}

impl ReloadStats {
    /// The last rejected reload's error, if no reload succeeded since.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_error(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }

    /// The restart-only fields the last rejected reload changed (see
    /// [`restart_required`](Self::restart_required)).
    pub fn restart_required(&self) -> Vec<&'static str> {
        self.restart_required
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_restart_required(&self, fields: Vec<&'static str>) {
        *self
            .restart_required
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = fields;
    }
}

/// Why a reload was rejected; the running configuration stays.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The new configuration is invalid.
    #[error("invalid configuration: {}", join_problems(.0))]
    Invalid(ConfigError),
    /// The new configuration changes settings that need a restart: their config paths.
    #[error("{}", restart_message(.0))]
    NeedsRestart(Vec<&'static str>),
}

fn restart_message(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("{f} changed: restart slipstream to apply it"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn join_problems(e: &ConfigError) -> String {
    e.problems
        .iter()
        .map(|p| format!("{}: {}", p.location, p.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a successful reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadSummary {
    /// The new generation's number.
    pub generation: u64,
    /// How each SLO was treated.
    pub changes: Changes,
}

impl Pipeline {
    /// Switches to `loaded` (a configuration as [`config::parse`] or [`config::load_file`]
    /// returned it) if it is valid and needs no restart; otherwise keeps the running one.
    /// Either way the outcome is logged and counted.
    pub fn reload(
        &self,
        loaded: Result<Config, ConfigError>,
    ) -> Result<ReloadSummary, ReloadError> {
        let result = loaded.map_err(ReloadError::Invalid).and_then(|config| {
            let changed = self.start.changed_fields(&config.start);
            if changed.is_empty() {
                Ok(self.install(&config))
            } else {
                Err(ReloadError::NeedsRestart(changed))
            }
        });
        let stats = &self.reload_stats;
        match &result {
            Ok(summary) => {
                stats.reloads.fetch_add(1, Ordering::Relaxed);
                stats
                    .last_success_us
                    .store(self.clock.now_us(), Ordering::Relaxed);
                stats.set_error(None);
                stats.set_restart_required(Vec::new());
                let c = &summary.changes;
                info!(
                    generation = summary.generation,
                    kept = c.kept.len(),
                    reset = c.reset.len(),
                    added = c.added.len(),
                    removed = c.removed.len(),
                    reset_slos = ?c.reset,
                    added_slos = ?c.added,
                    removed_slos = ?c.removed,
                    "configuration reloaded"
                );
            }
            Err(e) => {
                stats.failures.fetch_add(1, Ordering::Relaxed);
                stats.set_error(Some(e.to_string()));
                match e {
                    ReloadError::Invalid(c) => {
                        for p in &c.problems {
                            warn!(location = %p.location, problem = %p.message, "config reload rejected; keeping the running configuration");
                        }
                    }
                    ReloadError::NeedsRestart(fields) => {
                        stats.set_restart_required(fields.clone());
                        for field in fields {
                            warn!(
                                field,
                                "config reload rejected: the field changed needs a restart; keeping the running configuration"
                            );
                        }
                    }
                }
            }
        }
        result
    }

    /// Builds and installs the next generation under the write lock, so no batch is applied
    /// to the old store after its state was moved.
    fn install(&self, config: &Config) -> ReloadSummary {
        let now = self.clock.now_us();
        let mut current = self.generation.write().unwrap_or_else(|e| e.into_inner());
        let (next, changes) = current.successor(&config.reload, now);
        let generation = next.number;
        *current = Arc::new(next);
        ReloadSummary {
            generation,
            changes,
        }
    }
}

/// Where a reload reads its configuration.
#[derive(Debug, Clone)]
pub struct ReloadSource {
    /// The configuration file.
    pub path: PathBuf,
    /// The `--listen` given on the command line, which overrides the file's.
    pub listen: Option<SocketAddr>,
}

impl ReloadSource {
    /// Loads the file as a reload sees it (with the command line's overrides).
    fn load(&self, text: std::io::Result<String>) -> Result<Config, ConfigError> {
        let origin = self.path.display().to_string();
        let mut config = match text {
            Ok(text) => config::parse(&text, &origin)?,
            Err(e) => {
                return Err(ConfigError {
                    problems: vec![config::Problem {
                        location: origin,
                        message: format!("cannot read: {e}"),
                    }],
                });
            }
        };
        if let Some(listen) = self.listen {
            config.start.listen = listen;
        }
        Ok(config)
    }
}

/// What the watcher last saw of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    modified: Option<SystemTime>,
    len: u64,
    hash: u64,
}

fn metadata_of(path: &Path) -> Option<(Option<SystemTime>, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len()))
}

fn hash_of(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Reads the file and its fingerprint; `None` while it cannot be read (mid-rename).
fn read(path: &Path) -> Option<(String, Fingerprint)> {
    let (modified, len) = metadata_of(path)?;
    let text = std::fs::read_to_string(path).ok()?;
    let hash = hash_of(&text);
    Some((
        text,
        Fingerprint {
            modified,
            len,
            hash,
        },
    ))
}

/// Reloads `pipeline` from `source` on SIGHUP and whenever the file's content changes;
/// runs until the process ends. `hangup` is the SIGHUP stream, installed before serving so
/// that an early SIGHUP does not end the process.
#[cfg(unix)]
pub(super) async fn watch(
    pipeline: Arc<Pipeline>,
    source: ReloadSource,
    mut hangup: tokio::signal::unix::Signal,
) {
    let mut seen = read(&source.path).map(|(_, f)| f);
    let mut tick =
        tokio::time::interval_at(tokio::time::Instant::now() + WATCH_INTERVAL, WATCH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let text = tokio::select! {
            Some(()) = hangup.recv() => {
                info!(path = %source.path.display(), "SIGHUP: reloading configuration");
                let text = std::fs::read_to_string(&source.path);
                if let (Ok(t), Some((modified, len))) = (&text, metadata_of(&source.path)) {
                    seen = Some(Fingerprint { modified, len, hash: hash_of(t) });
                }
                text
            }
            _ = tick.tick() => {
                match changed_content(&source.path, &mut seen).await {
                    Some(text) => {
                        info!(path = %source.path.display(), "configuration file changed; reloading");
                        Ok(text)
                    }
                    None => continue,
                }
            }
        };
        let (pipeline, source) = (pipeline.clone(), source.clone());
        let reloaded =
            tokio::task::spawn_blocking(move || pipeline.reload(source.load(text))).await;
        if let Err(e) = reloaded {
            warn!(error = %e, "config reload task failed");
        }
    }
}

/// Logs and otherwise ignores SIGHUP, for a configuration that is not read from a file.
#[cfg(unix)]
pub(super) async fn ignore(mut hangup: tokio::signal::unix::Signal) {
    while hangup.recv().await.is_some() {
        warn!("SIGHUP ignored: this configuration is built in, there is no file to reload");
    }
}

/// The file's new content if it changed since `seen` (and then updates `seen`). A file
/// being written is read again after a short pause until two reads agree.
async fn changed_content(path: &Path, seen: &mut Option<Fingerprint>) -> Option<String> {
    let meta = metadata_of(path)?;
    if seen.is_some_and(|s| (s.modified, s.len) == meta) {
        return None;
    }
    let (mut text, mut fingerprint) = read(path)?;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (again, f) = read(path)?;
        if f == fingerprint {
            break;
        }
        (text, fingerprint) = (again, f);
    }
    let content_changed = seen.is_none_or(|s| s.hash != fingerprint.hash);
    *seen = Some(fingerprint);
    if content_changed {
        Some(text)
    } else {
        debug!(path = %path.display(), "configuration file touched; content unchanged");
        None
    }
}
