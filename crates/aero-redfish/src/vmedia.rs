//! Virtual media: find a CD/DVD slot, eject, insert an image URL, verify.
//!
//! Slots are found under the system or its managers (see
//! [`crate::quirks::VirtualMediaPreference`]). Insert follows Ironic's sequence: eject what
//! the slot holds and wait until it reads empty, then `POST InsertMedia {"Image": url}` —
//! adding `TransferProtocolType`, `TransferMethod: Stream` or dummy credentials when the BMC's
//! error asks for them — or, for BMCs without the actions, `PATCH {Image, Inserted,
//! WriteProtected}` with `If-Match`. A slot that refuses (400/404/405) is skipped for the next
//! one. The slot is then read until it reports the image inserted. Eject is `POST EjectMedia`
//! (no body, then `{}` on 400/415, accepting an empty slot after a refusal) or `PATCH
//! {Image: null, Inserted: false}`.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::{Deadline, Resource};
use crate::discovery::last_segment;
use crate::error::{RedfishError, RequestFailure};
use crate::model::{Collection, VirtualMedia};
use crate::quirks::Quirks;
use crate::system::RedfishSystem;

/// How a slot is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaControl {
    /// Through this action target.
    Action(String),
    /// By PATCHing the slot.
    Patch,
    /// Not at all (no action, and PATCH not allowed).
    Unsupported,
}

/// A virtual media slot and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSlot {
    /// Id.
    pub id: String,
    /// Path.
    pub path: String,
    /// Name.
    pub name: Option<String>,
    /// Supported media types.
    pub media_types: Vec<String>,
    /// Image URI.
    pub image: Option<String>,
    /// Image name.
    pub image_name: Option<String>,
    /// Inserted, when reported.
    pub inserted: Option<bool>,
    /// Write protected, when reported.
    pub write_protected: Option<bool>,
    /// How it is connected.
    pub connected_via: Option<String>,
    /// How media is inserted.
    pub insert: MediaControl,
    /// How media is ejected.
    pub eject: MediaControl,
}

impl MediaSlot {
    fn from_resource(resource: &Resource<VirtualMedia>) -> Self {
        let value = &resource.value;
        let patch_allowed = resource.allows("PATCH") != Some(false);
        let control = |action: Option<&crate::model::ActionTarget>| match action
            .and_then(|action| action.target.clone())
        {
            Some(target) => MediaControl::Action(target),
            None if patch_allowed => MediaControl::Patch,
            None => MediaControl::Unsupported,
        };
        let actions = value.actions.as_ref();
        MediaSlot {
            id: value
                .id
                .clone()
                .unwrap_or_else(|| last_segment(&resource.path)),
            path: resource.path.clone(),
            name: value.name.clone(),
            media_types: value.media_types.clone(),
            image: value.image.clone().filter(|image| !image.is_empty()),
            image_name: value.image_name.clone().filter(|name| !name.is_empty()),
            inserted: value.inserted,
            write_protected: value.write_protected,
            connected_via: value.connected_via.clone(),
            insert: control(actions.and_then(|actions| actions.insert_media.as_ref())),
            eject: control(actions.and_then(|actions| actions.eject_media.as_ref())),
        }
    }

    /// Whether the slot takes CD or DVD images.
    pub fn takes_cd(&self) -> bool {
        self.media_types
            .iter()
            .any(|media| media == "CD" || media == "DVD")
    }

    /// Whether the slot holds media (`Inserted`, or an image when `Inserted` is absent).
    pub fn has_media(&self) -> bool {
        match self.inserted {
            Some(inserted) => inserted,
            None => self.image.is_some(),
        }
    }

    /// Whether the slot reports `image_url` inserted (or only its file name, as iDRAC does).
    pub fn holds(&self, image_url: &str) -> bool {
        self.has_media()
            && match &self.image {
                None => true,
                Some(image) => image == image_url || image_url.ends_with(image.as_str()),
            }
    }
}

/// The slots an insert tries, in order: CD/DVD slots that can be changed; when the vendor
/// allows only some slot ids (`allowed`, from the quirk table), those, in that order.
pub fn cd_slots<'a>(slots: &'a [MediaSlot], allowed: Option<&[String]>) -> Vec<&'a MediaSlot> {
    let usable = |slot: &&MediaSlot| slot.takes_cd() && slot.insert != MediaControl::Unsupported;
    match allowed {
        None => slots.iter().filter(usable).collect(),
        Some(allowed) => allowed
            .iter()
            .filter_map(|id| slots.iter().find(|slot| &slot.id == id))
            .filter(usable)
            .collect(),
    }
}

/// What a media operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaOutcome {
    /// The slot inserted into (insert only).
    pub slot: Option<MediaSlot>,
    /// Ids of the slots that were ejected.
    pub ejected: Vec<String>,
}

/// The body of an `InsertMedia` action: only the image. `Inserted` and `WriteProtected`
/// default to true in the schema and some BMCs (Supermicro X11/X12) reject them.
pub(crate) fn insert_action_body(image_url: &str) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("Image".to_string(), json!(image_url));
    body
}

/// The field the BMC's error asks for, added to `body`; false when there is nothing to add.
pub(crate) fn add_requested_field(
    body: &mut Map<String, Value>,
    failure: &RequestFailure,
    image_url: &str,
) -> bool {
    if !body.contains_key("TransferProtocolType") && failure.mentions("TransferProtocolType") {
        let protocol = if image_url.starts_with("https://") {
            "HTTPS"
        } else {
            "HTTP"
        };
        body.insert("TransferProtocolType".to_string(), json!(protocol));
        return true;
    }
    if body.get("TransferMethod").and_then(Value::as_str) != Some("Stream")
        && failure.mentions("TransferMethod")
    {
        body.insert("TransferMethod".to_string(), json!("Stream"));
        return true;
    }
    if !body.contains_key("UserName")
        && (failure.mentions("UserName") || failure.mentions("Password"))
    {
        body.insert("UserName".to_string(), json!("none"));
        body.insert("Password".to_string(), json!("none"));
        return true;
    }
    false
}

impl RedfishSystem {
    async fn slot_paths(&self, deadline: &Deadline) -> Result<Vec<String>, RedfishError> {
        if let Some(paths) = self.cached_slot_paths() {
            return Ok(paths);
        }
        let system = self.structure(deadline).await?;
        let collections = self
            .client()
            .virtual_media_collections(&system, deadline)
            .await?;
        let mut paths = Vec::new();
        for collection in collections {
            let members: Resource<Collection> = self
                .client()
                .get(&collection, "virtual media collection", deadline)
                .await?;
            paths.extend(
                members
                    .value
                    .members
                    .into_iter()
                    .map(|member| member.odata_id),
            );
        }
        self.remember_slot_paths(paths.clone());
        Ok(paths)
    }

    async fn read_slot(&self, path: &str, deadline: &Deadline) -> Result<MediaSlot, RedfishError> {
        let resource: Resource<VirtualMedia> =
            self.client().get(path, "virtual media", deadline).await?;
        let slot = MediaSlot::from_resource(&resource);
        self.remember_slot(resource);
        Ok(slot)
    }

    pub(crate) async fn slots(
        &self,
        deadline: &Deadline,
        reuse_recent: bool,
    ) -> Result<Vec<MediaSlot>, RedfishError> {
        let mut slots = Vec::new();
        for path in self.slot_paths(deadline).await? {
            let recent = if reuse_recent {
                self.recent_slot(&path)
            } else {
                None
            };
            let slot = match recent {
                Some(resource) => MediaSlot::from_resource(&resource),
                None => self.read_slot(&path, deadline).await?,
            };
            slots.push(slot);
        }
        Ok(slots)
    }

    /// The virtual media slots and what they hold.
    pub async fn media_status(&self) -> Result<Vec<MediaSlot>, RedfishError> {
        let deadline = self.deadline();
        self.slots(&deadline, false).await
    }

    /// Ejects every CD/DVD slot that holds media and waits until they read empty.
    pub async fn eject_media(&self) -> Result<MediaOutcome, RedfishError> {
        let deadline = self.deadline();
        let quirks = self.quirks();
        let slots = self.slots(&deadline, false).await?;
        let mut ejected = Vec::new();
        for slot in slots
            .iter()
            .filter(|slot| slot.takes_cd() && slot.has_media())
        {
            self.eject_slot(slot, &quirks, &deadline).await?;
            ejected.push(slot.id.clone());
        }
        Ok(MediaOutcome {
            slot: None,
            ejected,
        })
    }

    /// Ejects the CD/DVD slots, inserts `image_url` into the first slot that accepts it and
    /// waits until the slot reports it inserted.
    pub async fn insert_media(&self, image_url: &str) -> Result<MediaOutcome, RedfishError> {
        let deadline = self.deadline();
        let quirks = self.quirks();
        let slots = self.slots(&deadline, true).await?;
        let allowed = quirks.virtual_media_slots.as_deref();
        let candidates = cd_slots(&slots, allowed);
        if candidates.is_empty() {
            let mut detail = if slots.is_empty() {
                "no virtual media found".to_string()
            } else {
                slots
                    .iter()
                    .map(|slot| format!("{} takes {}", slot.id, slot.media_types.join("/")))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if let Some(allowed) = allowed {
                detail.push_str(&format!(
                    "; this BMC boots only from slot {} (vendor quirk)",
                    allowed.join(", ")
                ));
            }
            return Err(RedfishError::NoVirtualMediaSlot {
                bmc: self.client().bmc().to_string(),
                system: self.id().to_string(),
                detail,
            });
        }
        let mut ejected = Vec::new();
        for slot in slots
            .iter()
            .filter(|slot| slot.takes_cd() && slot.has_media())
        {
            self.eject_slot(slot, &quirks, &deadline).await?;
            ejected.push(slot.id.clone());
        }
        let mut last_error = None;
        for slot in candidates {
            match self.insert_into(slot, image_url, &deadline).await {
                Ok(()) => {
                    let inserted = self
                        .wait_for_slot(slot, |slot| slot.holds(image_url), "inserted", &deadline)
                        .await?;
                    return Ok(MediaOutcome {
                        slot: Some(inserted),
                        ejected,
                    });
                }
                Err(RedfishError::InsertMedia {
                    failure,
                    image,
                    slot: slot_path,
                }) if matches!(failure.status(), Some(400 | 404 | 405)) => {
                    tracing::warn!(bmc = self.client().bmc(), slot = %slot_path, error = %failure, "slot refused the image, trying the next one");
                    last_error = Some(RedfishError::InsertMedia {
                        failure,
                        image,
                        slot: slot_path,
                    });
                }
                Err(other) => return Err(other),
            }
        }
        Err(
            last_error.unwrap_or_else(|| RedfishError::NoVirtualMediaSlot {
                bmc: self.client().bmc().to_string(),
                system: self.id().to_string(),
                detail: "every CD/DVD slot refused the image".to_string(),
            }),
        )
    }

    /// Inserts `image_url` into the slot `slot_id` (its id, or its path) and waits until the
    /// BMC reports it inserted. Nothing is sent when the slot already holds that image. A
    /// slot holding another image is refused with [`RedfishError::SlotOccupied`] before
    /// anything is sent (real BMCs answer 409 or 500; sushy-emulator would silently replace
    /// it): eject it first. The insert itself is the one [`RedfishSystem::insert_media`] uses
    /// (action with the fields the BMC asks for, or PATCH), without trying other slots.
    pub async fn insert_media_into(
        &self,
        slot_id: &str,
        image_url: &str,
    ) -> Result<MediaSlot, RedfishError> {
        let deadline = self.deadline();
        let slot = self.current_slot(slot_id, &deadline).await?;
        if slot.holds(image_url) {
            tracing::debug!(bmc = self.client().bmc(), slot = %slot.path, "the slot already holds the image");
            return Ok(slot);
        }
        if slot.has_media() {
            return Err(RedfishError::SlotOccupied {
                bmc: self.client().bmc().to_string(),
                slot: slot.path.clone(),
                image: slot
                    .image
                    .clone()
                    .or_else(|| slot.image_name.clone())
                    .unwrap_or_else(|| "an image".to_string()),
            });
        }
        self.insert_into(&slot, image_url, &deadline).await?;
        self.wait_for_slot(&slot, |slot| slot.holds(image_url), "inserted", &deadline)
            .await
    }

    /// Ejects the slot `slot_id` (its id, or its path) and waits until it reads empty;
    /// nothing is sent when it is empty already. The eject is the one
    /// [`RedfishSystem::eject_media`] uses (action, `{}` body when needed, or PATCH).
    pub async fn eject_media_from(&self, slot_id: &str) -> Result<MediaSlot, RedfishError> {
        let deadline = self.deadline();
        let quirks = self.quirks();
        let slot = self.current_slot(slot_id, &deadline).await?;
        if !slot.has_media() {
            return Ok(slot);
        }
        self.eject_slot(&slot, &quirks, &deadline).await
    }

    /// The slot with id (or path) `slot_id`, as read within the reuse window or read now;
    /// slots are read in order only until it is found.
    async fn current_slot(
        &self,
        slot_id: &str,
        deadline: &Deadline,
    ) -> Result<MediaSlot, RedfishError> {
        let mut seen = Vec::new();
        for path in self.slot_paths(deadline).await? {
            let slot = match self.recent_slot(&path) {
                Some(resource) => MediaSlot::from_resource(&resource),
                None => self.read_slot(&path, deadline).await?,
            };
            if slot.id == slot_id || slot.path == slot_id {
                return Ok(slot);
            }
            seen.push(slot.id);
        }
        Err(RedfishError::SlotNotFound {
            bmc: self.client().bmc().to_string(),
            system: self.id().to_string(),
            slot: slot_id.to_string(),
            available: seen.join(", "),
        })
    }

    async fn insert_into(
        &self,
        slot: &MediaSlot,
        image_url: &str,
        deadline: &Deadline,
    ) -> Result<(), RedfishError> {
        let insert_error = |failure: RequestFailure| RedfishError::InsertMedia {
            image: image_url.to_string(),
            slot: slot.path.clone(),
            failure: Box::new(failure),
        };
        tracing::info!(bmc = self.client().bmc(), slot = %slot.path, image = image_url, "inserting virtual media");
        self.forget_slot(&slot.path);
        let (method, path, response) = match &slot.insert {
            MediaControl::Action(target) => {
                let mut body = insert_action_body(image_url);
                let response = loop {
                    match self
                        .client()
                        .post(target, Some(&Value::Object(body.clone())), deadline)
                        .await
                    {
                        Ok(response) => break response,
                        Err(failure) if add_requested_field(&mut body, &failure, image_url) => {
                            tracing::info!(bmc = self.client().bmc(), error = %failure, "InsertMedia needs more fields, retrying");
                        }
                        Err(failure) => return Err(insert_error(failure)),
                    }
                };
                (Method::POST, target.clone(), response)
            }
            MediaControl::Patch => {
                let body = json!({"Image": image_url, "Inserted": true, "WriteProtected": true});
                let response = self
                    .client()
                    .patch(&slot.path, &body, deadline)
                    .await
                    .map_err(insert_error)?;
                (Method::PATCH, slot.path.clone(), response)
            }
            MediaControl::Unsupported => {
                return Err(RedfishError::NoVirtualMediaSlot {
                    bmc: self.client().bmc().to_string(),
                    system: self.id().to_string(),
                    detail: format!(
                        "{} has no InsertMedia action and does not allow PATCH",
                        slot.id
                    ),
                });
            }
        };
        self.client()
            .finish_task(&method, &path, response, deadline)
            .await?;
        Ok(())
    }

    /// Ejects and waits until the slot reads empty; the slot as last read.
    async fn eject_slot(
        &self,
        slot: &MediaSlot,
        quirks: &Quirks,
        deadline: &Deadline,
    ) -> Result<MediaSlot, RedfishError> {
        let eject_error = |failure: RequestFailure| RedfishError::EjectMedia {
            slot: slot.path.clone(),
            failure: Box::new(failure),
        };
        tracing::info!(bmc = self.client().bmc(), slot = %slot.path, "ejecting virtual media");
        self.forget_slot(&slot.path);
        match &slot.eject {
            MediaControl::Action(target) => {
                let empty = json!({});
                let first_body = quirks.eject_with_empty_object.then_some(&empty);
                let response = match self.client().post(target, first_body, deadline).await {
                    Ok(response) => Some(response),
                    Err(failure)
                        if first_body.is_none() && matches!(failure.status(), Some(400 | 415)) =>
                    {
                        match self.client().post(target, Some(&empty), deadline).await {
                            Ok(response) => Some(response),
                            Err(failure) if refusal_may_mean_empty(&failure) => {
                                self.accept_if_empty(slot, failure, deadline).await?;
                                None
                            }
                            Err(failure) => return Err(eject_error(failure)),
                        }
                    }
                    Err(failure) if refusal_may_mean_empty(&failure) => {
                        self.accept_if_empty(slot, failure, deadline).await?;
                        None
                    }
                    Err(failure) => return Err(eject_error(failure)),
                };
                if let Some(response) = response {
                    self.client()
                        .finish_task(&Method::POST, target, response, deadline)
                        .await?;
                }
            }
            MediaControl::Patch => {
                let body = json!({"Image": null, "Inserted": false});
                let response = self
                    .client()
                    .patch(&slot.path, &body, deadline)
                    .await
                    .map_err(eject_error)?;
                self.client()
                    .finish_task(&Method::PATCH, &slot.path, response, deadline)
                    .await?;
            }
            MediaControl::Unsupported => {
                return Err(RedfishError::NoVirtualMediaSlot {
                    bmc: self.client().bmc().to_string(),
                    system: self.id().to_string(),
                    detail: format!(
                        "{} has no EjectMedia action and does not allow PATCH",
                        slot.id
                    ),
                });
            }
        }
        self.wait_for_slot(slot, |slot| !slot.has_media(), "ejected", deadline)
            .await
    }

    /// After a refused eject: fine when the slot reads empty, else the refusal stands.
    async fn accept_if_empty(
        &self,
        slot: &MediaSlot,
        failure: RequestFailure,
        deadline: &Deadline,
    ) -> Result<(), RedfishError> {
        let current = self.read_slot(&slot.path, deadline).await?;
        if current.has_media() {
            Err(RedfishError::EjectMedia {
                slot: slot.path.clone(),
                failure: Box::new(failure),
            })
        } else {
            tracing::debug!(bmc = self.client().bmc(), slot = %slot.path, "eject refused but the slot is empty");
            Ok(())
        }
    }

    /// Reads the slot until `done`, first at once, then every poll interval.
    async fn wait_for_slot(
        &self,
        slot: &MediaSlot,
        done: impl Fn(&MediaSlot) -> bool,
        expected: &str,
        deadline: &Deadline,
    ) -> Result<MediaSlot, RedfishError> {
        let poll_interval = self.client().timing().poll_interval;
        loop {
            let current = self.read_slot(&slot.path, deadline).await?;
            if done(&current) {
                return Ok(current);
            }
            if !self.client().pause(poll_interval, deadline).await {
                return Err(RedfishError::Converge(Box::new(
                    crate::error::ConvergeFailure {
                        bmc: self.client().bmc().to_string(),
                        path: slot.path.clone(),
                        property: "Inserted/Image".to_string(),
                        expected: expected.to_string(),
                        observed: format!(
                            "Inserted={} Image={}",
                            current
                                .inserted
                                .map_or("absent".to_string(), |inserted| inserted.to_string()),
                            current.image.as_deref().unwrap_or("none")
                        ),
                        waited: deadline.elapsed(),
                    },
                )));
            }
        }
    }
}

/// Eject refusals after which the slot may simply be empty (sushy's rule).
fn refusal_may_mean_empty(failure: &RequestFailure) -> bool {
    failure
        .status()
        .is_some_and(|status| status == 400 || status == 409 || status >= 500)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Answer, GaveUp};

    fn slot(json: Value, allow: Option<&str>) -> MediaSlot {
        let raw = json.clone();
        MediaSlot::from_resource(&Resource {
            path: "/redfish/v1/Managers/1/VirtualMedia/CD1".to_string(),
            value: serde_json::from_value(json).unwrap(),
            raw,
            allow: allow.map(str::to_string),
        })
    }

    fn failure(status: u16, message: &str) -> RequestFailure {
        RequestFailure {
            bmc: "https://bmc:443".to_string(),
            method: "POST".to_string(),
            path: "/x".to_string(),
            answer: Answer::Status {
                status,
                message: message.to_string(),
                message_ids: vec![],
            },
            attempts: 1,
            gave_up: GaveUp::Permanent,
        }
    }

    #[test]
    fn controls_follow_actions_and_allow() {
        let with_actions = slot(
            json!({"Id": "CD1", "MediaTypes": ["CD", "DVD"], "Actions": {
                "#VirtualMedia.InsertMedia": {"target": "/x/Actions/VM.InsertMedia"},
                "#VirtualMedia.EjectMedia": {"target": "/x/Actions/VM.EjectMedia"}}}),
            None,
        );
        assert_eq!(
            with_actions.insert,
            MediaControl::Action("/x/Actions/VM.InsertMedia".to_string())
        );
        assert!(with_actions.takes_cd());
        let patch_only = slot(
            json!({"Id": "CD1", "MediaTypes": ["DVD"]}),
            Some("GET, PATCH"),
        );
        assert_eq!(patch_only.insert, MediaControl::Patch);
        let read_only = slot(
            json!({"Id": "CD1", "MediaTypes": ["CD"]}),
            Some("GET, HEAD"),
        );
        assert_eq!(read_only.insert, MediaControl::Unsupported);
        assert!(cd_slots(&[read_only], None).is_empty());
        let floppy = slot(
            json!({"Id": "Floppy1", "MediaTypes": ["Floppy", "USBStick"]}),
            None,
        );
        assert!(!floppy.takes_cd());
    }

    #[test]
    fn allowed_slot_ids_pick_and_order_the_slots() {
        let cd = |id: &str| {
            slot(
                json!({"Id": id, "MediaTypes": ["CD", "DVD", "USBStick"], "Actions": {
                    "#VirtualMedia.InsertMedia": {"target": format!("/x/{id}/InsertMedia")}}}),
                None,
            )
        };
        let slots = [cd("2"), cd("1")];
        let ids = |chosen: Vec<&MediaSlot>| -> Vec<String> {
            chosen.iter().map(|slot| slot.id.clone()).collect()
        };
        assert_eq!(ids(cd_slots(&slots, None)), vec!["2", "1"]);
        assert_eq!(ids(cd_slots(&slots, Some(&["1".to_string()]))), vec!["1"]);
        assert!(cd_slots(&slots, Some(&["3".to_string()])).is_empty());
    }

    #[test]
    fn media_presence_without_inserted_uses_image() {
        let emulator_empty = slot(json!({"Image": "", "Inserted": false}), None);
        assert!(!emulator_empty.has_media());
        let no_field = slot(json!({"Image": "http://x/a.iso"}), None);
        assert!(no_field.has_media());
        assert!(no_field.holds("http://x/a.iso"));
        let name_only = slot(json!({"Image": "a.iso", "Inserted": true}), None);
        assert!(name_only.holds("http://x/a.iso"));
        assert!(!name_only.holds("http://x/b.iso"));
    }

    #[test]
    fn insert_body_has_only_the_image() {
        let body = insert_action_body("http://x/a.iso");
        assert_eq!(Value::Object(body), json!({"Image": "http://x/a.iso"}));
    }

    #[test]
    fn errors_add_the_fields_they_ask_for() {
        let mut body = insert_action_body("https://x/a.iso");
        assert!(add_requested_field(
            &mut body,
            &failure(400, "TransferProtocolType is required"),
            "https://x/a.iso"
        ));
        assert_eq!(body["TransferProtocolType"], "HTTPS");
        assert!(add_requested_field(
            &mut body,
            &failure(400, "missing TransferMethod"),
            "https://x/a.iso"
        ));
        assert_eq!(body["TransferMethod"], "Stream");
        assert!(add_requested_field(
            &mut body,
            &failure(400, "requires the parameter UserName"),
            "https://x/a.iso"
        ));
        assert_eq!(body["Password"], "none");
        assert!(!add_requested_field(
            &mut body,
            &failure(400, "TransferProtocolType again"),
            "https://x/a.iso"
        ));
        assert!(!add_requested_field(
            &mut body,
            &failure(500, "boom"),
            "https://x/a.iso"
        ));
    }
}
