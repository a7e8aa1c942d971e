//! `file:<directory>`: the processes of one host share each account's login through one file.
//!
//! - `<dir>/<entry key>.token`: the sealed record, mode 0600, replaced atomically (written to
//!   a temporary file in the same directory, then renamed over it).
//! - `<dir>/<entry key>.lock`: an OS file lock (`flock`), taken only while a login runs, so
//!   that processes starting together make one login and the others read its result. The OS
//!   releases it when its holder exits, however it ends.
//! - The directory is made with mode 0700; one that is not ours or that other users can write
//!   to is refused (they could swap records or locks), which makes the session log in by
//!   itself.
//!
//! Blocking faces do this I/O on the calling thread; async faces on tokio's blocking pool.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt};

use super::seal::MAX_RECORD;
use super::{bad_url, Io, StoreLock, TokenStore};
use crate::error::Result;

/// The directory of a `file:` URL (`file:/dir`, `file:///dir`, `file://localhost/dir`,
/// `file:relative/dir` — relative to the working directory when the store is made).
pub(crate) fn parse(url: &str, rest: &str) -> Result<PathBuf> {
    let path = match rest.strip_prefix("//") {
        Some(after) if after.starts_with('/') => after,
        Some(after) => match after.strip_prefix("localhost") {
            Some(p) if p.starts_with('/') => p,
            _ => return Err(bad_url(url, "a file: URL names no other host")),
        },
        None => rest,
    };
    if path.is_empty() {
        return Err(bad_url(
            url,
            "`file:` needs a directory, e.g. file:/var/cache/xpay",
        ));
    }
    if path.contains('\0') {
        return Err(bad_url(url, "the directory contains a NUL character"));
    }
    let path = PathBuf::from(path);
    if path.is_absolute() {
        return Ok(path);
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(&path))
        .map_err(|e| bad_url(url, &format!("the working directory is unknown: {e}")))
}

/// The file store of one directory.
#[derive(Clone)]
pub(crate) struct FileStore {
    dir: Arc<PathBuf>,
}

impl FileStore {
    pub(crate) fn new(dir: PathBuf) -> FileStore {
        FileStore { dir: Arc::new(dir) }
    }

    fn path(&self, key: &str, suffix: &str) -> PathBuf {
        self.dir.join(format!("{key}.{suffix}"))
    }
}

/// Makes the directory (0700) if missing and checks that only we can write to it.
fn safe_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent() {
        if !parent.as_os_str().is_empty() && !parent.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} belongs to another user (uid {})",
                dir.display(),
                meta.uid()
            ),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} can be written by other users (mode {:o}): use a directory only you can \
                 write (0700)",
                dir.display(),
                meta.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

fn read_record(dir: &Path, path: &Path) -> io::Result<Option<Vec<u8>>> {
    safe_dir(dir)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // A symlink planted where the record goes (ELOOP) or anything else unreadable: not
        // a record; the next save replaces it.
        Err(_) => return Ok(None),
    };
    let meta = file.metadata()?;
    // SAFETY: as above.
    if !meta.is_file() || meta.uid() != unsafe { libc::geteuid() } {
        return Ok(None);
    }
    let mut record = Vec::new();
    file.take(MAX_RECORD as u64 + 1).read_to_end(&mut record)?;
    Ok(Some(record))
}

fn write_record(dir: &Path, path: &Path, record: &[u8]) -> io::Result<()> {
    safe_dir(dir)?;
    let temp = dir.join(format!(
        ".{}.{}.{:016x}.tmp",
        path.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("record"),
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temp)?;
        file.write_all(record)?;
        drop(file);
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

fn open_lock(dir: &Path, path: &Path) -> io::Result<File> {
    safe_dir(dir)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// `flock(LOCK_EX | LOCK_NB)`: `Ok(true)` taken, `Ok(false)` held by someone else.
fn try_flock(file: &File) -> io::Result<bool> {
    loop {
        // SAFETY: a valid open descriptor for the call's duration.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a str, io: Io) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        let dir = self.dir.clone();
        let path = self.path(key, "token");
        async move { io.run_blocking(move || read_record(&dir, &path)).await? }.boxed()
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        record: Vec<u8>,
        _ttl: Duration,
        io: Io,
    ) -> BoxFuture<'a, io::Result<()>> {
        let dir = self.dir.clone();
        let path = self.path(key, "token");
        async move {
            io.run_blocking(move || write_record(&dir, &path, &record))
                .await?
        }
        .boxed()
    }

    fn lock<'a>(
        &'a self,
        key: &'a str,
        _hold: Duration,
        deadline: Instant,
        io: Io,
    ) -> BoxFuture<'a, io::Result<Option<Box<dyn StoreLock>>>> {
        let dir = self.dir.clone();
        let path = self.path(key, "lock");
        async move {
            let file = io.run_blocking(move || open_lock(&dir, &path)).await??;
            let mut pause = Duration::from_millis(1);
            loop {
                if try_flock(&file)? {
                    let lock: Box<dyn StoreLock> = Box::new(Flock { _file: file });
                    return Ok(Some(lock));
                }
                let now = Instant::now();
                if now >= deadline {
                    return Ok(None);
                }
                io.sleep(pause.min(deadline - now)).await;
                pause = (pause * 2).min(Duration::from_millis(20));
            }
        }
        .boxed()
    }

    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }
}

/// The held `flock`: closing the file releases it.
struct Flock {
    _file: File,
}

impl StoreLock for Flock {
    fn release(self: Box<Self>, _io: Io) -> BoxFuture<'static, io::Result<()>> {
        drop(self);
        async { Ok(()) }.boxed()
    }
}
