//! One simulated boot from CD: read the media, wait the simulated boot time, phone home.
//! A failure is recorded in the node's status and the lab log; the simulator then waits
//! for the next power-on or medium.

use std::sync::Arc;
use std::time::Duration;

use aero_baremetal::{CIDATA_LABEL, IsoImage};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::cloud_config::{self, Identity};
use super::host_keys::HostKeys;
use super::{Simulator, media_slot, now_text, origin_of};
use crate::record::SimulatorState;

/// OS image bytes kept in memory to read its boot configuration; a larger image is
/// hashed whole but only its volume descriptor is checked.
const OS_IMAGE_KEPT: usize = 64 << 20;
/// Largest config image (or seed file) read: NoCloud configs are kilobytes.
const CONFIG_LIMIT: usize = 16 << 20;
/// cloud-init's pause between phone-home attempts (`sec_between=3`).
const PHONE_HOME_PAUSE: Duration = Duration::from_secs(3);
/// Bytes 1..6 of the volume descriptor at sector 16 of every ISO 9660 image.
const ISO_MAGIC_OFFSET: usize = 16 * 2048 + 1;

/// Boots the node from the CD holding `image_url`, recording each stage.
pub(super) async fn boot(simulator: Arc<Simulator>, image_url: String) {
    let node = simulator.node.clone();
    simulator.board.update(&node, |status| {
        status.state = SimulatorState::Booting;
        status.booted_at = Some(now_text());
        status.boots += 1;
        status.image_sha256 = None;
        status.image_label = None;
        status.config_source = None;
        status.phoned_home_at = None;
        status.phone_home_status = None;
        status.error = None;
    });
    if let Err(reason) = run(&simulator, &image_url).await {
        tracing::warn!(node = %node, error = %reason, "simulated boot failed");
        simulator.board.update(&node, |status| {
            status.state = SimulatorState::Failed;
            status.error = Some(reason);
        });
    }
}

async fn run(simulator: &Simulator, image_url: &str) -> Result<(), String> {
    let node = &simulator.node;
    let os_image = download(&simulator.media_client, image_url, OS_IMAGE_KEPT)
        .await
        .map_err(|reason| {
            format!(
                "cannot download the OS image from {}: {reason}",
                origin_of(image_url)
            )
        })?;
    let label = iso_label(&os_image).ok_or_else(|| {
        format!(
            "the CD image from {} is not an ISO 9660 image ({} bytes)",
            origin_of(image_url),
            os_image.size
        )
    })?;
    tracing::info!(node = %node, sha256 = %os_image.sha256, label = %label, size = os_image.size, "read the OS image from the CD");
    simulator.board.update(node, |status| {
        status.image_sha256 = Some(os_image.sha256.clone());
        status.image_label = Some(label.clone());
    });

    let config = read_config(simulator, &os_image).await?;
    tracing::info!(node = %node, source = %config.source, "read the NoCloud config");
    simulator.board.update(node, |status| {
        status.config_source = Some(config.source.clone());
    });
    let settings = cloud_config::phone_home(&config.user_data)?;
    let identity = cloud_config::identity(&config.user_data, &config.meta_data, node)?;

    tokio::time::sleep(simulator.boot_delay).await;
    let Some(settings) = settings else {
        tracing::info!(node = %node, "booted; its user-data asks for no phone_home");
        simulator
            .board
            .update(node, |status| status.state = SimulatorState::Booted);
        return Ok(());
    };
    if !simulator.phones_home {
        tracing::info!(node = %node, "booted; the lab plays the no-phone-home fault: it never phones home");
        simulator.board.update(node, |status| {
            status.state = SimulatorState::Booted;
            status.error = Some("fault played by the lab: never phones home".to_string());
        });
        return Ok(());
    }
    simulator
        .board
        .update(node, |status| status.state = SimulatorState::PhoningHome);
    phone_home(simulator, &settings, &identity).await
}

/// Posts the phone-home form, `tries` times at most, 3 s apart, as cloud-init does.
async fn phone_home(
    simulator: &Simulator,
    settings: &cloud_config::PhoneHome,
    identity: &Identity,
) -> Result<(), String> {
    let node = &simulator.node;
    let keys = HostKeys::generate(&identity.hostname);
    let body = cloud_config::form_body(&settings.post, &|key| match key {
        "instance_id" => Some(identity.instance_id.clone()),
        "hostname" => Some(identity.hostname.clone()),
        "fqdn" => Some(identity.fqdn.clone()),
        other => keys.get(other),
    });
    let url = cloud_config::url_for(settings, identity);
    let mut last = String::new();
    for attempt in 1..=settings.tries {
        let sent = simulator
            .media_client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "user-agent",
                "Cloud-Init/lab-stand-in (Aerostat node simulator)",
            )
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                let code = response.status().as_u16();
                tracing::info!(node = %node, to = %origin_of(&url), status = code, attempt, "phoned home");
                simulator.board.update(node, |status| {
                    status.state = SimulatorState::PhonedHome;
                    status.phoned_home_at = Some(now_text());
                    status.phone_home_status = Some(code);
                    status.error = None;
                });
                return Ok(());
            }
            Ok(response) => {
                let code = response.status().as_u16();
                last = format!("HTTP {code}");
                simulator.board.update(node, |status| {
                    status.phone_home_status = Some(code);
                });
            }
            Err(error) => last = error.without_url().to_string(),
        }
        tracing::info!(node = %node, to = %origin_of(&url), attempt, tries = settings.tries, error = %last, "phone-home attempt failed");
        if attempt < settings.tries {
            tokio::time::sleep(PHONE_HOME_PAUSE).await;
        }
    }
    Err(format!(
        "phone-home to {} failed in {} tries: {last}",
        origin_of(&url),
        settings.tries
    ))
}

/// A NoCloud config read from wherever the node found it.
struct Config {
    user_data: String,
    meta_data: String,
    source: String,
}

/// The `cidata` image of the second slot, else the HTTP seed of the OS image's boot
/// configuration.
async fn read_config(simulator: &Simulator, os_image: &Download) -> Result<Config, String> {
    let system = super::get_json(simulator, &simulator.system_path)
        .await?
        .unwrap_or(Value::Null);
    let slot = media_slot(simulator, &system, "Floppy").await?;
    if let Some(url) = slot.as_ref().and_then(super::inserted_image) {
        let image = download(&simulator.media_client, &url, CONFIG_LIMIT)
            .await
            .map_err(|reason| {
                format!(
                    "cannot download the config image from {}: {reason}",
                    origin_of(&url)
                )
            })?;
        if !image.complete {
            return Err(format!(
                "the config image is larger than {CONFIG_LIMIT} bytes"
            ));
        }
        let iso = IsoImage::parse(&image.bytes)
            .map_err(|error| format!("the config image is not readable: {error}"))?;
        if !iso.label().eq_ignore_ascii_case(CIDATA_LABEL) {
            return Err(format!(
                "the config image's label is `{}`, not `{CIDATA_LABEL}` (cloud-init would not read it)",
                iso.label()
            ));
        }
        let file = |name: &str| -> Result<String, String> {
            let bytes = iso
                .read(name)
                .map_err(|error| format!("config image: {error}"))?;
            std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|_| format!("config image: {name} is not UTF-8"))
        };
        return Ok(Config {
            user_data: file("user-data")?,
            meta_data: file("meta-data")?,
            source: "Floppy slot (cidata image)".to_string(),
        });
    }
    let why = if slot.is_some() {
        "its second virtual media slot (Floppy) is empty"
    } else {
        "its BMC has no second virtual media slot"
    };
    let seed = boot_config_seed(os_image).ok_or_else(|| {
        format!("no NoCloud config: {why}, and the OS image's boot configuration names no `ds=nocloud;s=URL` seed")
    })?;
    let fetch = |file: &'static str| {
        let url = cloud_config::seed_file_url(&seed, file);
        async move {
            let got = download(&simulator.media_client, &url, CONFIG_LIMIT)
                .await
                .map_err(|reason| {
                    format!(
                        "cannot fetch {file} from the seed at {}: {reason}",
                        origin_of(&url)
                    )
                })?;
            String::from_utf8(got.bytes).map_err(|_| format!("{file} of the seed is not UTF-8"))
        }
    };
    Ok(Config {
        user_data: fetch("user-data").await?,
        meta_data: fetch("meta-data").await?,
        source: format!("http seed at {}", origin_of(&seed)),
    })
}

/// The NoCloud seed URL in the OS image's boot loader files (`*.cfg`), if it is whole
/// in memory and names one.
fn boot_config_seed(os_image: &Download) -> Option<String> {
    if !os_image.complete {
        return None;
    }
    let iso = IsoImage::parse(&os_image.bytes).ok()?;
    iso.entries()
        .ok()?
        .into_iter()
        .filter(|entry| {
            !entry.is_dir
                && entry.size <= 1 << 20
                && entry.path.to_ascii_lowercase().ends_with(".cfg")
        })
        .filter_map(|entry| iso.read(&entry.path).ok())
        .find_map(|bytes| cloud_config::seed_url(&String::from_utf8_lossy(bytes)))
}

/// The volume label of an ISO 9660 image; `None` when it is not one.
fn iso_label(image: &Download) -> Option<String> {
    if image.complete {
        return IsoImage::parse(&image.bytes)
            .ok()
            .map(|iso| iso.label().to_string());
    }
    // Too large to keep whole: its volume descriptor says whether it is one.
    (image.bytes.get(ISO_MAGIC_OFFSET..ISO_MAGIC_OFFSET + 5) == Some(b"CD001"))
        .then(|| "(not read: a large image)".to_string())
}

/// A downloaded file: hashed whole, kept up to a limit.
struct Download {
    bytes: Vec<u8>,
    complete: bool,
    size: u64,
    sha256: String,
}

async fn download(client: &reqwest::Client, url: &str, keep: usize) -> Result<Download, String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err("only http and https media are read".to_string());
    }
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|error| error.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut hasher = Sha256::new();
    let mut bytes = Vec::new();
    let mut size: u64 = 0;
    let mut complete = true;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| error.without_url().to_string())?
    {
        hasher.update(&chunk);
        size += chunk.len() as u64;
        let room = keep.saturating_sub(bytes.len());
        if chunk.len() > room {
            complete = false;
        }
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(Download {
        bytes,
        complete,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

#[cfg(test)]
mod tests {
    use aero_baremetal::{ImageTime, write_image};

    use super::*;

    fn whole(bytes: Vec<u8>) -> Download {
        Download {
            size: bytes.len() as u64,
            bytes,
            complete: true,
            sha256: String::new(),
        }
    }

    #[test]
    fn an_iso_is_recognised_and_anything_else_refused() {
        let iso = write_image(
            "AEROSTAT-STANDIN",
            &[("README.TXT", b"stand-in")],
            ImageTime::DEFAULT,
        )
        .unwrap();
        assert_eq!(
            iso_label(&whole(iso.clone())).as_deref(),
            Some("AEROSTAT-STANDIN")
        );
        assert_eq!(iso_label(&whole(b"<html>not found</html>".to_vec())), None);
        // Too large to keep: only its volume descriptor is looked at.
        let mut head = whole(iso[..ISO_MAGIC_OFFSET + 5].to_vec());
        head.complete = false;
        assert!(iso_label(&head).is_some());
        head.bytes[ISO_MAGIC_OFFSET] = b'X';
        assert_eq!(iso_label(&head), None);
    }

    #[test]
    fn the_seed_comes_from_the_images_boot_loader_files() {
        let grub = b"menuentry 'Install' {\n  linux /casper/vmlinuz autoinstall ds=nocloud-net\\;s=http://127.0.0.1:9/seed/n1/ ---\n}\n";
        let with_seed = write_image(
            "INSTALLER",
            &[("grub.cfg", grub), ("README.TXT", b"x")],
            ImageTime::DEFAULT,
        )
        .unwrap();
        assert_eq!(
            boot_config_seed(&whole(with_seed)).as_deref(),
            Some("http://127.0.0.1:9/seed/n1/")
        );
        let without = write_image(
            "AEROSTAT-STANDIN",
            &[("README.TXT", b"x")],
            ImageTime::DEFAULT,
        )
        .unwrap();
        assert_eq!(boot_config_seed(&whole(without)), None);
    }
}
