//! RSA signing keys: the one that signs CloudFront cookies and the one that signs waiting-room tokens. Each comes from
//! configuration (`CARAVAN_CF_PRIVATE_KEY_FILE`, `CARAVAN_WAITING_ROOM_KEY_FILE`: PEM, PKCS#8 or PKCS#1), or is made
//! on first start and kept in `<data_dir>/keys/` (only its owner may read it). `caravan-server cloudfront-public-key`
//! prints CloudFront's public half in the form its key groups take.

use std::path::Path;

use rsa::{
    RsaPrivateKey,
    pkcs1::DecodeRsaPrivateKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding},
};

/// CloudFront's public keys are RSA 2048 (and so are the waiting room's).
const BITS: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the signing key {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the signing key {path} is not an RSA private key in PEM (PKCS#8 or PKCS#1)")]
    Invalid { path: String },
    #[error("cannot make the signing key: {0}")]
    Generate(String),
}

/// Reads the configured key file.
pub fn load(path: &Path) -> Result<RsaPrivateKey, KeyError> {
    let shown = path.display().to_string();
    let pem = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: shown.clone(),
        source,
    })?;
    RsaPrivateKey::from_pkcs8_pem(&pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&pem))
        .map_err(|_| KeyError::Invalid { path: shown })
}

/// The key kept at `path`, made there on first use.
pub fn load_or_create(path: &Path) -> Result<RsaPrivateKey, KeyError> {
    if path.exists() {
        return load(path);
    }
    let key = RsaPrivateKey::new(&mut rand_core::OsRng, BITS).map_err(|e| KeyError::Generate(e.to_string()))?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    crate::secret::write_private_file(path, pem.as_bytes()).map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(key)
}

/// The public half as CloudFront's "create public key" takes it (SubjectPublicKeyInfo PEM).
pub fn public_key_pem(key: &RsaPrivateKey) -> String {
    key.to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_development_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("cloudfront-dev.pem");
        let first = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(first, again);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let public = public_key_pem(&first);
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{public}");
    }

    #[test]
    fn a_bad_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, "not a key").unwrap();
        let message = load(&path).unwrap_err().to_string();
        assert!(message.contains("key.pem") && message.contains("PEM"), "{message}");
        assert!(!message.contains("not a key"), "the file's content is never echoed");
    }
}
