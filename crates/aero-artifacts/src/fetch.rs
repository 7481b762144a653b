//! OS images: fetched once from their document's URL into the cache, verified against the
//! document's SHA-256 before anything is served.
//!
//! The file is written under a temporary name and renamed to `<sha256>.iso` only once its
//! digest matched, so a cached file under its final name was verified when written; it is
//! hashed again once per process before its first use (a cache folder can be edited or
//! damaged between runs).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aero_baremetal::OsImage;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;

use crate::error::ArtifactError;

/// Fetches and verifies OS images, one fetch per file at a time.
#[derive(Default)]
pub(crate) struct ImageCache {
    /// One lock per cache file: concurrent requests for one image wait for one fetch.
    locks: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
    /// Files verified by this process.
    verified: std::sync::Mutex<HashSet<PathBuf>>,
    client: reqwest::Client,
}

/// `url` without user information (`http://user:password@host/` → `http://host/`).
pub(crate) fn display_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

impl ImageCache {
    /// The verified cache file of `image` under `cache_dir`, fetched if needed.
    pub(crate) async fn verified(
        &self,
        cache_dir: &Path,
        image: &OsImage,
    ) -> Result<PathBuf, ArtifactError> {
        let folder = cache_dir.join("os-images");
        let path = folder.join(format!("{}.iso", image.sha256.hex()));
        let lock = {
            let mut locks = self.locks.lock().await;
            locks.entry(path.clone()).or_default().clone()
        };
        let _guard = lock.lock().await;
        if self.is_verified(&path) {
            return Ok(path);
        }
        let cache_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ArtifactError::Cache { path, source }
        };
        if tokio::fs::try_exists(&path)
            .await
            .map_err(cache_error(&path))?
        {
            let actual = hash_file(&path).await.map_err(cache_error(&path))?;
            if actual == image.sha256.hex() {
                self.mark_verified(&path);
                return Ok(path);
            }
            tracing::warn!(image = %image.name, expected = %image.sha256, actual = %actual, "a cached OS image changed on disk: fetching it again");
            tokio::fs::remove_file(&path)
                .await
                .map_err(cache_error(&path))?;
        }
        tokio::fs::create_dir_all(&folder)
            .await
            .map_err(cache_error(&folder))?;
        let partial = folder.join(format!("{}.iso.partial", image.sha256.hex()));
        let fetched = self.fetch(image, &partial).await;
        let actual = match fetched {
            Ok(actual) => actual,
            Err(error) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(error);
            }
        };
        if actual != image.sha256.hex() {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(ArtifactError::ChecksumMismatch {
                image: image.name.clone(),
                url: display_url(&image.url),
                expected: image.sha256.hex(),
                actual,
            });
        }
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(cache_error(&path))?;
        self.mark_verified(&path);
        tracing::info!(image = %image.name, sha256 = %image.sha256, "OS image fetched and verified");
        Ok(path)
    }

    fn is_verified(&self, path: &Path) -> bool {
        match self.verified.lock() {
            Ok(verified) => verified.contains(path),
            Err(poisoned) => poisoned.into_inner().contains(path),
        }
    }

    fn mark_verified(&self, path: &Path) {
        match self.verified.lock() {
            Ok(mut verified) => verified.insert(path.to_path_buf()),
            Err(poisoned) => poisoned.into_inner().insert(path.to_path_buf()),
        };
    }

    /// Copies the image to `partial`, returning the hex SHA-256 of what was written.
    async fn fetch(&self, image: &OsImage, partial: &Path) -> Result<String, ArtifactError> {
        let failed = |reason: String| ArtifactError::Fetch {
            image: image.name.clone(),
            url: display_url(&image.url),
            reason,
        };
        let mut out =
            tokio::fs::File::create(partial)
                .await
                .map_err(|source| ArtifactError::Cache {
                    path: partial.to_path_buf(),
                    source,
                })?;
        let write_failed = |source| ArtifactError::Cache {
            path: partial.to_path_buf(),
            source,
        };
        let mut hasher = Sha256::new();
        if let Some(local) = image.url.strip_prefix("file://") {
            let mut file = tokio::fs::File::open(local)
                .await
                .map_err(|error| failed(error.to_string()))?;
            let mut buffer = vec![0u8; 1 << 20];
            loop {
                let read = file
                    .read(&mut buffer)
                    .await
                    .map_err(|error| failed(error.to_string()))?;
                if read == 0 {
                    break;
                }
                hasher.update(&buffer[..read]);
                out.write_all(&buffer[..read]).await.map_err(write_failed)?;
            }
        } else if image.url.starts_with("http://") || image.url.starts_with("https://") {
            let mut response = self
                .client
                .get(&image.url)
                .send()
                .await
                .map_err(|error| failed(error.without_url().to_string()))?;
            if !response.status().is_success() {
                return Err(failed(format!("HTTP {}", response.status())));
            }
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| failed(error.without_url().to_string()))?
            {
                hasher.update(&chunk);
                out.write_all(&chunk).await.map_err(write_failed)?;
            }
        } else {
            return Err(failed(
                "unsupported URL scheme: file://, http:// and https:// are".to_string(),
            ));
        }
        out.flush().await.map_err(write_failed)?;
        out.sync_all().await.map_err(write_failed)?;
        Ok(hex::encode(hasher.finalize()))
    }
}

async fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..read]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aero_baremetal::{OsImageKind, Sha256Digest};

    fn image(url: String, bytes: &[u8]) -> OsImage {
        OsImage {
            name: "focal".to_string(),
            url,
            sha256: Sha256Digest(Sha256::digest(bytes).into()),
            kind: OsImageKind::InstallerIso,
        }
    }

    #[tokio::test]
    async fn local_files_are_copied_verified_and_checked_again_when_changed() {
        let folder = tempfile::tempdir().unwrap();
        let source = folder.path().join("source.iso");
        std::fs::write(&source, b"the image").unwrap();
        let wanted = image(format!("file://{}", source.display()), b"the image");
        let cache = ImageCache::default();
        let cache_dir = folder.path().join("cache");
        let path = cache.verified(&cache_dir, &wanted).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"the image");

        // A cache file damaged between runs is fetched again by the next process.
        std::fs::write(&path, b"damaged").unwrap();
        let next_process = ImageCache::default();
        let again = next_process.verified(&cache_dir, &wanted).await.unwrap();
        assert_eq!(std::fs::read(&again).unwrap(), b"the image");

        // A source that is not the documented image is refused, and nothing is kept.
        let other = image(format!("file://{}", source.display()), b"another image");
        let refused = cache.verified(&cache_dir, &other).await.unwrap_err();
        assert!(
            matches!(&refused, ArtifactError::ChecksumMismatch { expected, actual, .. }
                if *expected == other.sha256.hex() && *actual == wanted.sha256.hex()),
            "{refused}"
        );
        let names: Vec<String> = std::fs::read_dir(cache_dir.join("os-images"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [format!("{}.iso", wanted.sha256.hex())]);
    }

    #[test]
    fn urls_lose_their_user_information() {
        assert_eq!(
            display_url("http://user:pw@mirror.example/a/b.iso"),
            "http://mirror.example/a/b.iso"
        );
        assert_eq!(display_url("file:///srv/a.iso"), "file:///srv/a.iso");
        assert_eq!(display_url("https://host"), "https://host");
    }
}
