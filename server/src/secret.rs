use std::{fmt, path::Path};

use serde::Deserialize;

/// A configuration value that must never be printed: database URLs with passwords, API keys, signing keys.
/// `Debug` and `Display` show a placeholder; reading the value takes an explicit [`Secret::expose`].
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: AsRef<[u8]>> Secret<T> {
    /// Whether `candidate` is this secret, in time that does not depend on where they differ.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_ref().ct_eq(candidate).into()
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

/// `bytes` random bytes from the operating system, as URL-safe base64 without padding: ids nobody can guess
/// (viewers, orders) and one-time values (a sign-in's state, nonce and PKCE verifier).
pub fn random_token(bytes: usize) -> anyhow::Result<String> {
    use base64::Engine;
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random))
}

/// Bytes as lower-case hex (content keys, signatures).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a file only its owner may read (keys), creating its folder; an existing file is replaced.
pub fn write_private_file(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

/// Takes group and others' access away from `path` (a file: `0600`, a folder: `0700`) where they have any; says
/// whether it had to. The server's data (its database, session key, keys and media) is its own.
pub fn make_private(path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path)?;
    let mode = metadata.permissions().mode();
    if mode & 0o077 == 0 {
        return Ok(false);
    }
    let private = if metadata.is_dir() { 0o700 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(private))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_others_could_read_is_made_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("session.key");
        std::fs::write(&file, b"key").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(make_private(&file).unwrap());
        assert!(make_private(dir.path()).unwrap());
        assert_eq!((mode(&file), mode(dir.path())), (0o600, 0o700));
        assert!(!make_private(&file).unwrap(), "already private");
        write_private_file(&dir.path().join("new.pem"), b"k").unwrap();
        assert_eq!(mode(&dir.path().join("new.pem")), 0o600);
    }

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::new("postgres://app:hunter2@db/caravan".to_string());
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{secret}").contains("hunter2"));
        assert_eq!(secret.expose(), "postgres://app:hunter2@db/caravan");
    }

    #[test]
    fn matches_only_itself() {
        let secret = Secret::new("da2-key".to_string());
        assert!(secret.matches(b"da2-key"));
        assert!(!secret.matches(b"da2-kez"));
        assert!(!secret.matches(b"da2-key "));
        assert!(!secret.matches(b""));
    }
}
