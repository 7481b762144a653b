//! Virtual media: eject every slot, and insert the OS image and the config image.
//!
//! Intents name a slot and which image goes in it, never the image's URL: the config
//! image's URL holds the node's token, and the journal must not.

use aero_bmc::{MediaSlot, pick_slots};
use aero_workflow::{Decision, Pending, Step, StepContext, StepError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::bmc::NodeBmc;
use crate::config::{NodeToken, TokenPurpose, os_image_url};
use crate::model::ConfigMedia;

/// A change of one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "op")]
pub(super) enum MediaOp {
    /// Eject the slot.
    Eject { slot: String },
    /// Insert an image into the slot.
    Insert { slot: String, image: ImageKind },
}

/// Which of the node's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum ImageKind {
    Os,
    Config,
}

fn holds_anything(slot: &MediaSlot) -> bool {
    slot.inserted || slot.image.is_some()
}

/// Ejects every slot that holds anything.
pub(super) struct Eject {
    node: NodeBmc,
}

impl Eject {
    pub(super) fn new(node: NodeBmc) -> Self {
        Eject { node }
    }
}

#[async_trait]
impl Step for Eject {
    type Observed = Vec<MediaSlot>;
    type Op = MediaOp;

    async fn observe(&self, _cx: &StepContext) -> Result<Vec<MediaSlot>, StepError> {
        self.node.media_slots().await
    }

    fn decide(
        &self,
        slots: &Vec<MediaSlot>,
        _pending: Option<&Pending<MediaOp>>,
    ) -> Decision<MediaOp> {
        // Ejecting is safe to repeat: a pending eject needs no special care.
        match slots.iter().find(|slot| holds_anything(slot)) {
            Some(slot) => Decision::Act(MediaOp::Eject {
                slot: slot.id.clone(),
            }),
            None => Decision::done(serde_json::json!({ "slots": slots.len() })),
        }
    }

    async fn act(&self, cx: &StepContext, op: &MediaOp) -> Result<serde_json::Value, StepError> {
        act_media(&self.node, cx, op, None).await
    }
}

/// Inserts the OS image into the slot it boots from and the config image into a second
/// slot (by the node's preference), or leaves the config image to HTTP.
pub(super) struct Insert {
    node: NodeBmc,
    /// The OS image's and the config image's URLs, or why the node has none (a node
    /// without an OS image fails this step, not the whole action).
    urls: Result<(String, String), String>,
}

impl Insert {
    /// The step, with the node's image URLs (derived from the pinned revision; the config
    /// image's token is registered with the redactor).
    pub(super) fn new(node: NodeBmc) -> Self {
        let urls = image_urls(&node);
        Insert { node, urls }
    }

    fn url(&self, image: ImageKind) -> &str {
        match (&self.urls, image) {
            (Ok((os, _)), ImageKind::Os) => os,
            (Ok((_, config)), ImageKind::Config) => config,
            (Err(_), _) => "",
        }
    }
}

fn image_urls(node: &NodeBmc) -> Result<(String, String), String> {
    let env = node.env();
    let name = &node.node.name;
    let server = env.model.provisioning_server().ok_or_else(|| {
        "the site has no aerostat/ProvisioningServer/v1: the images have no URL".to_string()
    })?;
    let image = node.node.os_image.as_ref().ok_or_else(|| {
        format!("node `{name}` has no OS image (platform.image names no aerostat/OsImage/v1)")
    })?;
    let token = NodeToken::derive(
        &server.token_key,
        TokenPurpose::ConfigImage,
        name,
        &env.revision_id,
    );
    env.redactor.add_secret(token.expose());
    Ok((
        os_image_url(server, image),
        server.config_image_url(name, &token),
    ))
}

/// The slots chosen for the images: the OS slot, and the config slot if any. Pure.
fn choose(
    preference: &crate::model::MediaPreference,
    slots: &[MediaSlot],
) -> Result<(String, Option<String>), String> {
    let known = || {
        slots
            .iter()
            .map(|slot| slot.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let os = match &preference.os_slot {
        Some(wanted) => match slots.iter().find(|slot| &slot.id == wanted) {
            Some(slot) => slot.id.clone(),
            None => {
                return Err(format!(
                    "the documents name OS slot `{wanted}`, the BMC has slots [{}]",
                    known()
                ));
            }
        },
        None => pick_slots(slots).os.ok_or_else(|| {
            format!(
                "the BMC has no virtual media slot that boots CDs (slots [{}])",
                known()
            )
        })?,
    };
    let config = match &preference.config {
        ConfigMedia::Http => None,
        ConfigMedia::Slot(wanted) => {
            if wanted == &os || !slots.iter().any(|slot| &slot.id == wanted) {
                return Err(format!(
                    "the documents name config slot `{wanted}`, the BMC has slots [{}] and \
                     the OS image goes in `{os}`",
                    known()
                ));
            }
            Some(wanted.clone())
        }
        ConfigMedia::Auto => {
            let others: Vec<MediaSlot> =
                slots.iter().filter(|slot| slot.id != os).cloned().collect();
            // `pick_slots` over the other slots: a disk slot first, else any insertable.
            let mut rest = pick_slots(&others).config;
            if rest.is_none() {
                rest = others
                    .iter()
                    .find(|slot| slot.can_insert)
                    .map(|slot| slot.id.clone());
            }
            rest
        }
    };
    Ok((os, config))
}

#[async_trait]
impl Step for Insert {
    type Observed = Vec<MediaSlot>;
    type Op = MediaOp;

    async fn observe(&self, _cx: &StepContext) -> Result<Vec<MediaSlot>, StepError> {
        self.node.media_slots().await
    }

    fn decide(
        &self,
        slots: &Vec<MediaSlot>,
        _pending: Option<&Pending<MediaOp>>,
    ) -> Decision<MediaOp> {
        // Inserting returns once the BMC reports the image, and inserting an image a slot
        // already holds sends nothing: a pending insert is decided from the slots alone.
        if let Err(reason) = &self.urls {
            return Decision::fail(reason.clone());
        }
        let (os_slot, config_slot) = match choose(&self.node.node.media, slots) {
            Ok(choice) => choice,
            Err(reason) => return Decision::fail(reason),
        };
        let wanted = [
            (Some(os_slot.clone()), ImageKind::Os),
            (config_slot.clone(), ImageKind::Config),
        ];
        for (slot_id, image) in wanted {
            let Some(slot_id) = slot_id else { continue };
            let Some(slot) = slots.iter().find(|slot| slot.id == slot_id) else {
                return Decision::fail(format!("slot `{slot_id}` disappeared from the BMC"));
            };
            if slot.holds(self.url(image)) {
                continue;
            }
            if holds_anything(slot) {
                return Decision::Act(MediaOp::Eject { slot: slot_id });
            }
            return Decision::Act(MediaOp::Insert {
                slot: slot_id,
                image,
            });
        }
        Decision::done(serde_json::json!({
            "os_slot": os_slot,
            "config_slot": config_slot,
            "config_over_http": config_slot.is_none(),
        }))
    }

    async fn act(&self, cx: &StepContext, op: &MediaOp) -> Result<serde_json::Value, StepError> {
        act_media(&self.node, cx, op, Some(self)).await
    }
}

async fn act_media(
    node: &NodeBmc,
    _cx: &StepContext,
    op: &MediaOp,
    insert: Option<&Insert>,
) -> Result<serde_json::Value, StepError> {
    let bmc = node.bmc().await?;
    match op {
        MediaOp::Eject { slot } => {
            bmc.eject_media(slot)
                .await
                .map_err(|error| node.failure(error))?;
            Ok(serde_json::json!({ "ejected": slot }))
        }
        MediaOp::Insert { slot, image } => {
            let Some(insert) = insert else {
                return Err(StepError::permanent(format!(
                    "an eject step was asked to insert into slot `{slot}`"
                )));
            };
            bmc.insert_media(slot, insert.url(*image))
                .await
                .map_err(|error| node.failure(error))?;
            Ok(serde_json::json!({ "inserted": slot, "image": image }))
        }
    }
}
