//! Where the media lives: every show's segments, playlists and recording, and the demo's media. The ingest and the
//! demo write it, `/media` reads it. Two backends behind one interface (the `object_store` crate's):
//! - the local disk (`{data_dir}/media`), the embedded default: one machine;
//! - an S3-compatible object store (a bucket and a prefix): every replica, and a CDN in front of them, read the same
//!   stream, written by the one replica that runs the show's transcoder.
//!
//! Keys are `/`-separated (`demo/live/live/720p/42.ts`). A write is whole or nothing for its readers (the local
//! backend writes a temporary file and renames it; S3's PUT is atomic), so a player never reads half a playlist.

use std::{ops::Range, path::Path, sync::Arc};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, aws::AmazonS3Builder, local::LocalFileSystem,
    path::Path as Key, prefix::PrefixStore,
};

use crate::secret::Secret;

/// Where the media is kept (given by the root).
#[derive(Debug, Clone)]
pub enum MediaStoreSettings {
    /// A folder of this machine.
    Local(std::path::PathBuf),
    /// An S3-compatible bucket.
    S3(S3Settings),
}

#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// Every key is put under this (`shows/`); empty: the bucket's root.
    pub prefix: String,
    /// The service's address (MinIO, R2, a test server); `None`: AWS's own for the region.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaStoreError {
    #[error("no media at {0}")]
    NotFound(String),
    #[error("not a media key: {0}")]
    BadKey(String),
    #[error("the media store: {0}")]
    Backend(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<object_store::Error> for MediaStoreError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { path, .. } => Self::NotFound(path),
            object_store::Error::InvalidPath { source } => Self::BadKey(source.to_string()),
            // The backend's words, which name the bucket and the key but never a credential.
            other => Self::Backend(other.to_string()),
        }
    }
}

/// One object read for a viewer: its bytes as they come, which of them, and what the cache needs.
pub struct Fetched {
    pub body: BoxStream<'static, Result<Bytes, MediaStoreError>>,
    /// The bytes sent, of `size`.
    pub range: Range<u64>,
    pub size: u64,
    pub e_tag: Option<String>,
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// What a viewer's request asks of an object (its `Range` and `If-None-Match`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    pub range: Option<Range<u64>>,
    pub if_none_match: Option<String>,
}

/// What a read gave: the object, "unchanged since the copy you have", or nothing.
pub enum Read {
    Object(Fetched),
    NotModified,
    Missing,
}

#[derive(Clone)]
pub struct MediaStore {
    objects: Arc<dyn ObjectStore>,
    /// For the log and the start-up summary (`/srv/caravan/media`, `s3://bucket/prefix`): no credential.
    describe: Arc<str>,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The object `key` names: never the store's root, never outside it (`..`, empty segments).
fn key(key: &str) -> Result<Key, MediaStoreError> {
    match Key::parse(key) {
        Ok(parsed) if !parsed.is_root() => Ok(parsed),
        Ok(_) => Err(MediaStoreError::BadKey("the store's root".into())),
        Err(e) => Err(MediaStoreError::BadKey(e.to_string())),
    }
}

impl MediaStore {
    pub fn open(settings: &MediaStoreSettings) -> Result<Self, MediaStoreError> {
        match settings {
            MediaStoreSettings::Local(dir) => {
                std::fs::create_dir_all(dir)?;
                let objects = LocalFileSystem::new_with_prefix(dir)?;
                Ok(Self {
                    objects: Arc::new(objects),
                    describe: dir.display().to_string().into(),
                })
            }
            MediaStoreSettings::S3(s3) => {
                crate::outbound::install_tls();
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(s3.secret_access_key.expose());
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                let bucket: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
                let prefix = s3.prefix.trim_matches('/');
                let objects = if prefix.is_empty() {
                    bucket
                } else {
                    Arc::new(PrefixStore::new(bucket, key(prefix)?))
                };
                Ok(Self {
                    objects,
                    describe: format!("s3://{}/{prefix}", s3.bucket).into(),
                })
            }
        }
    }

    /// Writes `bytes` at `at`, replacing what was there.
    pub async fn put(&self, at: &str, bytes: impl Into<Bytes>) -> Result<(), MediaStoreError> {
        self.objects.put(&key(at)?, PutPayload::from(bytes.into())).await?;
        Ok(())
    }

    /// Writes the file `from` at `at` (a segment: small enough to hold).
    pub async fn put_file(&self, at: &str, from: &Path) -> Result<(), MediaStoreError> {
        self.put(at, tokio::fs::read(from).await?).await
    }

    /// Writes every file under the folder `from` under `at`, keeping their relative paths: the playlists after the
    /// media they list, the outer ones last, so a player finds nothing that is not there yet.
    pub async fn put_folder(&self, at: &str, from: &Path) -> Result<usize, MediaStoreError> {
        let mut pending = vec![from.to_path_buf()];
        let mut files = Vec::new();
        while let Some(folder) = pending.pop() {
            let mut entries = tokio::fs::read_dir(&folder).await?;
            while let Some(entry) = entries.next_entry().await? {
                let path = entry.path();
                if entry.file_type().await?.is_dir() {
                    pending.push(path);
                    continue;
                }
                let relative = path
                    .strip_prefix(from)
                    .map_err(|e| MediaStoreError::BadKey(e.to_string()))?;
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let playlist = relative.extension().is_some_and(|e| e == "m3u8");
                files.push(((playlist, std::cmp::Reverse(parts.len())), parts.join("/"), path));
            }
        }
        files.sort();
        for (_, relative, path) in &files {
            self.put_file(&format!("{at}/{relative}"), path).await?;
        }
        Ok(files.len())
    }

    /// The text at `at`, if there is an object there.
    pub async fn text(&self, at: &str) -> Result<Option<String>, MediaStoreError> {
        match self.objects.get(&key(at)?).await {
            Ok(got) => {
                let bytes = got.bytes().await?;
                Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn exists(&self, at: &str) -> Result<bool, MediaStoreError> {
        match self.objects.head(&key(at)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The names of the folders right under `at`, sorted.
    pub async fn folders(&self, at: &str) -> Result<Vec<String>, MediaStoreError> {
        let listed = match self.objects.list_with_delimiter(Some(&key(at)?)).await {
            Ok(listed) => listed,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut names: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|folder| folder.filename().map(str::to_owned))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Removes the object at `at`; one already gone is fine.
    pub async fn delete(&self, at: &str) -> Result<(), MediaStoreError> {
        match self.objects.delete(&key(at)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads `at` for a viewer: the part `wanted` asks for, unless their copy is current. A key that cannot name an
    /// object (`..`, an empty segment) is missing; a range that starts past the end is not satisfiable.
    pub async fn read(&self, at: &str, wanted: Wanted) -> Result<Read, ReadError> {
        let Ok(location) = key(at) else {
            return Ok(Read::Missing);
        };
        let mut options = GetOptions {
            if_none_match: wanted.if_none_match,
            ..GetOptions::default()
        };
        if let Some(range) = wanted.range {
            // The size first: a range past the end is the viewer's mistake (416), not the store's.
            let size = match self.objects.head(&location).await {
                Ok(meta) => meta.size,
                Err(object_store::Error::NotFound { .. }) => return Ok(Read::Missing),
                Err(e) => return Err(ReadError::Store(e.into())),
            };
            if range.start >= size || range.start >= range.end {
                return Err(ReadError::RangeNotSatisfiable(size));
            }
            options.range = Some(GetRange::Bounded(range.start..range.end.min(size)));
        }
        match self.objects.get_opts(&location, options).await {
            Ok(got) => {
                let (range, size) = (got.range.clone(), got.meta.size);
                let (e_tag, last_modified) = (got.meta.e_tag.clone(), got.meta.last_modified);
                let body = futures_util::StreamExt::boxed(futures_util::StreamExt::map(got.into_stream(), |chunk| {
                    chunk.map_err(MediaStoreError::from)
                }));
                Ok(Read::Object(Fetched {
                    body,
                    range,
                    size,
                    e_tag,
                    last_modified,
                }))
            }
            Err(object_store::Error::NotModified { .. }) => Ok(Read::NotModified),
            Err(object_store::Error::NotFound { .. } | object_store::Error::InvalidPath { .. }) => Ok(Read::Missing),
            Err(e) => Err(ReadError::Store(e.into())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the range is outside the object's {0} bytes")]
    RangeNotSatisfiable(u64),
    #[error(transparent)]
    Store(MediaStoreError),
}

impl std::fmt::Display for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_store_writes_reads_lists_and_serves_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let store = MediaStore::open(&MediaStoreSettings::Local(dir.path().join("media"))).unwrap();
        store.put("show/live/720p/index.m3u8", "#EXTM3U\n").await.unwrap();
        store.put("show/live/360p/1.ts", vec![0x47u8; 10]).await.unwrap();
        assert_eq!(
            store.text("show/live/720p/index.m3u8").await.unwrap().as_deref(),
            Some("#EXTM3U\n")
        );
        assert!(
            dir.path().join("media/show/live/360p/1.ts").is_file(),
            "a plain file on disk"
        );
        assert_eq!(store.text("show/nothing.m3u8").await.unwrap(), None);
        assert!(!store.exists("show/live").await.unwrap(), "a folder is not an object");
        assert_eq!(store.folders("show/live").await.unwrap(), ["360p", "720p"]);
        assert_eq!(store.folders("elsewhere").await.unwrap(), Vec::<String>::new());

        let Read::Object(part) = store
            .read(
                "show/live/360p/1.ts",
                Wanted {
                    range: Some(2..5),
                    ..Wanted::default()
                },
            )
            .await
            .unwrap()
        else {
            panic!("the segment is there");
        };
        assert_eq!((part.range.clone(), part.size), (2..5, 10));
        let e_tag = part.e_tag.clone().expect("an entity tag");
        assert!(matches!(
            store
                .read(
                    "show/live/360p/1.ts",
                    Wanted {
                        if_none_match: Some(e_tag),
                        ..Wanted::default()
                    }
                )
                .await,
            Ok(Read::NotModified)
        ));
        assert!(matches!(
            store
                .read(
                    "show/live/360p/1.ts",
                    Wanted {
                        range: Some(10..20),
                        ..Wanted::default()
                    }
                )
                .await,
            Err(ReadError::RangeNotSatisfiable(10))
        ));
        for hostile in ["../etc/passwd", "show/../../x", "", "show//x"] {
            assert!(
                matches!(store.read(hostile, Wanted::default()).await, Ok(Read::Missing)),
                "{hostile}"
            );
        }
        store.delete("show/live/360p/1.ts").await.unwrap();
        store.delete("show/live/360p/1.ts").await.unwrap();
        assert!(!store.exists("show/live/360p/1.ts").await.unwrap());
    }
}
