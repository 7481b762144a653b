//! Vendor quirks. Each fixture is written from the vendor behaviour the reference documents
//! (`redfish.md` §2 and §4: layouts from the bmc-toolbox dumps, reactions from Ironic and
//! sushy), not from the quirk table. Every test runs the same operation twice: with the
//! built-in table (it works) and with an empty table (the vendor behaviour bites), which shows
//! that the table row, not the control flow, makes the difference.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aero_redfish::boot::{BootMethod, BootMode, BootOverride, BootPersistence, BootTarget};
use aero_redfish::client::BmcClient;
use aero_redfish::error::RedfishError;
use aero_redfish::power::{PowerRequest, PowerState};
use aero_redfish::quirks::QuirkTable;
use serde_json::{Value, json};
use support::fake_bmc::{Behaviour, FakeBmc, Reply};
use support::vendors;

const USER: &str = "root";
const PASSWORD: &str = "calvin-test";

async fn connect(server: &FakeBmc, table: QuirkTable) -> BmcClient {
    let mut config = support::fast_config(&server.url, USER, PASSWORD);
    config.quirks = table;
    BmcClient::connect(config).await.expect("connect")
}

fn no_quirks() -> QuirkTable {
    QuirkTable::new(Vec::new())
}

fn boot(target: BootTarget, persistence: BootPersistence, mode: Option<BootMode>) -> BootOverride {
    BootOverride {
        target,
        persistence,
        mode,
    }
}

// ---------------------------------------------------------------- Dell iDRAC

/// iDRAC: one-time virtual CD boot is an ImportSystemConfiguration job (202 + a job URI
/// that answers 200 with TaskState Running, then Completed); Reset On right after a power
/// off answers 409 ActionParameterValueConflict once (iDRAC 10).
async fn dell_fixture() -> (FakeBmc, Arc<Mutex<Vec<Value>>>) {
    let shape = vendors::dell_idrac9();
    let mut behaviour = Behaviour::bmc(USER, PASSWORD);
    behaviour.sessions = None;
    let server = FakeBmc::start(shape.resources(), behaviour).await;
    let imports = Arc::new(Mutex::new(Vec::new()));
    let hook_imports = imports.clone();
    let job_polls = Arc::new(AtomicUsize::new(0));
    let conflict_sent = Arc::new(AtomicUsize::new(0));
    let reset_target = shape.reset_target();
    server.hook(move |request, _| {
        if request.method == "POST" && request.path.ends_with("EID_674_Manager.ImportSystemConfiguration") {
            hook_imports.lock().expect("imports").push(request.body.clone().unwrap_or_default());
            return Some(Reply::empty(202).header("Location", "/redfish/v1/TaskService/Tasks/JID_467762674724"));
        }
        if request.method == "GET" && request.path == "/redfish/v1/TaskService/Tasks/JID_467762674724" {
            let poll = job_polls.fetch_add(1, Ordering::SeqCst);
            let state = if poll == 0 { "Running" } else { "Completed" };
            return Some(Reply::json(
                200,
                &json!({"Id": "JID_467762674724", "TaskState": state, "TaskStatus": "OK",
                        "Messages": [{"Message": "Successfully imported and applied Server Configuration Profile."}]}),
            ));
        }
        let power_on = request.body.as_ref().and_then(|body| body["ResetType"].as_str()) == Some("On");
        if request.method == "POST" && request.path == reset_target && power_on && conflict_sent.fetch_add(1, Ordering::SeqCst) == 0 {
            return Some(Reply::redfish_error(
                409,
                "Base.1.12.ActionParameterValueConflict",
                "The value On for ResetType conflicts with the current power state.",
            ));
        }
        None
    });
    (server, imports)
}

#[tokio::test]
async fn dell_boot_once_through_system_configuration_import() {
    let (server, imports) = dell_fixture().await;
    let client = connect(&server, QuirkTable::builtin()).await;
    assert!(
        !client.uses_session().await,
        "no sessions collection: Basic"
    );
    let system = client.system(None).await.expect("system");
    assert_eq!(system.quirks().matched, vec!["dell-idrac"]);

    let media = system
        .insert_media("http://10.0.0.1/deploy.iso")
        .await
        .expect("insert");
    assert_eq!(
        media.slot.expect("slot").path,
        "/redfish/v1/Managers/iDRAC.Embedded.1/VirtualMedia/CD"
    );
    assert_eq!(
        server.requests_to("POST", "/VirtualMedia/CD/Actions/VirtualMedia.InsertMedia")[0].body,
        Some(json!({"Image": "http://10.0.0.1/deploy.iso"}))
    );

    let outcome = system
        .set_boot_override(&boot(
            BootTarget::Cd,
            BootPersistence::Once,
            Some(BootMode::Uefi),
        ))
        .await
        .expect("boot once");
    assert!(
        matches!(outcome.method, BootMethod::DellSystemConfiguration(_)),
        "{outcome:?}"
    );
    assert_eq!(outcome.target, "VCD-DVD");
    let imports = imports.lock().expect("imports").clone();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0]["ShareParameters"], json!({"Target": ["ALL"]}));
    let buffer = imports[0]["ImportBuffer"].as_str().expect("buffer");
    assert!(buffer.contains("FQDD=\"iDRAC.Embedded.1\""), "{buffer}");
    assert!(
        buffer.contains("<Attribute Name=\"ServerBoot.1#BootOnce\">Enabled</Attribute>"),
        "{buffer}"
    );
    assert!(
        buffer.contains("<Attribute Name=\"ServerBoot.1#FirstBootDevice\">VCD-DVD</Attribute>"),
        "{buffer}"
    );
    assert_eq!(server.requests_to("GET", "JID_467762674724").len(), 2);
    assert!(server.requests_to("PATCH", "/Systems/").is_empty());

    system.set_power(PowerRequest::ForceOff).await.expect("off");
    let on = system
        .set_power(PowerRequest::On)
        .await
        .expect("409 then on");
    assert_eq!(on.after, PowerState::On);
    assert_eq!(server.requests_to("POST", "ComputerSystem.Reset").len(), 3);
}

#[tokio::test]
async fn dell_without_its_rule_uses_the_standard_path_and_fails_on_409() {
    let (server, imports) = dell_fixture().await;
    let client = connect(&server, no_quirks()).await;
    let system = client.system(None).await.expect("system");
    system
        .set_boot_override(&boot(BootTarget::Cd, BootPersistence::Once, None))
        .await
        .expect("standard PATCH");
    assert!(imports.lock().expect("imports").is_empty());
    // Enabled is already Once: only the target is sent.
    assert_eq!(
        server.requests_to("PATCH", "/Systems/System.Embedded.1")[0].body,
        Some(json!({"Boot": {"BootSourceOverrideTarget": "Cd"}}))
    );
    system.set_power(PowerRequest::ForceOff).await.expect("off");
    let error = system
        .set_power(PowerRequest::On)
        .await
        .expect_err("409 is permanent without the rule");
    assert!(
        error.to_string().contains("answered HTTP 409 Conflict"),
        "{error}"
    );
}

// ---------------------------------------------------------------- HPE iLO

/// iLO 5: every path ends with '/', and the server matches paths exactly; sessions answer
/// an absolute Location; ETags come as @odata.etag in bodies; a GET with
/// `Accept-Encoding: identity` of the system answers 406; EjectMedia without a body is 415;
/// PATCH of Boot while the host is in POST answers 400 UnableToModifyDuringSystemPOST twice.
async fn hpe_fixture() -> FakeBmc {
    let shape = vendors::hpe_ilo5();
    let mut resources = shape.resources();
    let system = resources.get_mut(&shape.system_path()).expect("system");
    system["@odata.etag"] = json!("W/\"14D4047B\"");
    let slot = resources.get_mut(&shape.media_slot_path()).expect("slot");
    slot["Image"] = json!("http://old.example/old.iso");
    slot["Inserted"] = json!(true);
    let mut behaviour = Behaviour::bmc(USER, PASSWORD);
    behaviour.strict_paths = true;
    behaviour.etags = None;
    behaviour.sessions = None;
    let server = FakeBmc::start(resources, behaviour).await;
    let sessions_path = shape.sessions_path();
    let system_path = shape.system_path();
    let eject_target = shape.eject_target();
    let in_post = Arc::new(AtomicUsize::new(0));
    server.hook(move |request, state| {
        if request.method == "POST" && request.path == sessions_path {
            let body = request.body.clone().unwrap_or_default();
            if body["UserName"] != USER || body["Password"] != PASSWORD {
                return Some(Reply::redfish_error(
                    401,
                    "Base.1.0.NoValidSession",
                    "bad credentials",
                ));
            }
            let path = "/redfish/v1/SessionService/Sessions/admin000001/".to_string();
            state.sessions.insert("hpe-token".to_string(), path.clone());
            state
                .resources
                .insert(path.clone(), json!({"@odata.id": path}));
            let host = request.header("host").unwrap_or("127.0.0.1");
            return Some(
                Reply::json(201, &json!({"@odata.id": path}))
                    .header("X-Auth-Token", "hpe-token")
                    .header("Location", &format!("https://{host}{path}")),
            );
        }
        if request.method == "GET"
            && request.path == system_path
            && request.header("accept-encoding") == Some("identity")
        {
            return Some(Reply::redfish_error(
                406,
                "Base.1.0.NotAcceptable",
                "identity encoding not acceptable",
            ));
        }
        if request.method == "POST" && request.path == eject_target && request.raw_body.is_empty() {
            return Some(Reply::redfish_error(
                415,
                "Base.1.0.UnsupportedMediaType",
                "a JSON body is required",
            ));
        }
        if request.method == "PATCH"
            && request.path == system_path
            && in_post.fetch_add(1, Ordering::SeqCst) < 2
        {
            return Some(Reply::redfish_error(
                400,
                "iLO.2.14.UnableToModifyDuringSystemPOST",
                "The value for the property cannot be changed while the server is in POST.",
            ));
        }
        None
    });
    server
}

#[tokio::test]
async fn hpe_trailing_slashes_empty_eject_body_and_post_retries() {
    let server = hpe_fixture().await;
    let shape = vendors::hpe_ilo5();
    let client = connect(&server, QuirkTable::builtin()).await;
    // The sessions path is constructed from SessionService, with the slash iLO needs.
    assert_eq!(
        client.service().sessions.as_deref(),
        Some("/redfish/v1/SessionService/Sessions/")
    );
    assert!(client.uses_session().await);
    let system = client.system(None).await.expect("system");
    assert_eq!(system.quirks().matched, vec!["hpe-ilo"]);
    // 406 to identity encoding: the GET is repeated without it.
    let gets = server.requests_to("GET", &shape.system_path());
    assert_eq!(gets[0].header("accept-encoding"), Some("identity"));
    assert_eq!(gets[1].header("accept-encoding"), None);

    let media = system
        .insert_media("https://10.0.0.1/deploy.iso")
        .await
        .expect("insert");
    assert_eq!(media.ejected, vec!["2"]);
    let ejects = server.requests_to("POST", "VirtualMedia.EjectMedia");
    assert_eq!(ejects.len(), 1);
    assert_eq!(ejects[0].path, shape.eject_target());
    assert_eq!(ejects[0].body, Some(json!({})));
    assert_eq!(
        server.requests_to("POST", "VirtualMedia.InsertMedia")[0].path,
        shape.insert_target()
    );

    system
        .set_boot_override(&boot(
            BootTarget::Cd,
            BootPersistence::Once,
            Some(BootMode::Uefi),
        ))
        .await
        .expect("boot after POST finished");
    let patches = server.requests_to("PATCH", &shape.system_path());
    assert_eq!(patches.len(), 3);
    assert_eq!(patches[0].header("if-match"), Some("W/\"14D4047B\""));

    client.close().await.expect("logout");
    assert_eq!(
        server
            .requests_to("DELETE", "/redfish/v1/SessionService/Sessions/admin000001/")
            .len(),
        1
    );
}

#[tokio::test]
async fn hpe_without_its_rule() {
    let server = hpe_fixture().await;
    let client = connect(&server, no_quirks()).await;
    // Without the slash the exact-path server has no sessions collection: Basic.
    assert_eq!(
        client.service().sessions.as_deref(),
        Some("/redfish/v1/SessionService/Sessions")
    );
    assert!(!client.uses_session().await);
    let system = client.system(None).await.expect("system");
    system
        .insert_media("https://10.0.0.1/deploy.iso")
        .await
        .expect("insert");
    // The generic fallback still ejects: no body (415), then {}.
    let bodies: Vec<usize> = server
        .requests_to("POST", "VirtualMedia.EjectMedia")
        .iter()
        .map(|request| request.raw_body.len())
        .collect();
    assert_eq!(bodies, vec![0, 2]);
    let error = system
        .set_boot_override(&boot(BootTarget::Cd, BootPersistence::Once, None))
        .await
        .expect_err("400 in POST is permanent without the rule");
    assert!(
        matches!(error, RedfishError::SetBootOverride { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("cannot be changed while the server is in POST"),
        "{error}"
    );
    assert_eq!(error.request_failure().expect("failure").attempts, 1);
}

// ---------------------------------------------------------------- Supermicro

/// X11: PATCH of Boot without BootSourceOverrideEnabled is refused; InsertMedia with
/// Inserted or WriteProtected is refused; the virtual CD boots only as UsbCd.
async fn supermicro_fixture() -> FakeBmc {
    let shape = vendors::supermicro_x11();
    let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USER, PASSWORD)).await;
    let system_path = shape.system_path();
    server.hook(move |request, _| {
        let body = request.body.clone().unwrap_or_default();
        if request.method == "PATCH"
            && request.path == system_path
            && body["Boot"].get("BootSourceOverrideEnabled").is_none()
        {
            return Some(Reply::redfish_error(
                400,
                "Base.1.4.PropertyMissing",
                "BootSourceOverrideEnabled is required",
            ));
        }
        if request.method == "POST"
            && request.path.ends_with("InsertMedia")
            && (body.get("Inserted").is_some() || body.get("WriteProtected").is_some())
        {
            return Some(Reply::redfish_error(
                400,
                "Base.1.4.ActionParameterNotSupported",
                "Inserted is not supported",
            ));
        }
        None
    });
    server
}

#[tokio::test]
async fn supermicro_usbcd_and_enabled_always() {
    let server = supermicro_fixture().await;
    let client = connect(&server, QuirkTable::builtin()).await;
    let system = client.system(None).await.expect("system");
    assert_eq!(system.quirks().matched, vec!["supermicro"]);
    system
        .insert_media("http://10.0.0.1/deploy.iso")
        .await
        .expect("insert without flags");
    let outcome = system
        .set_boot_override(&boot(
            BootTarget::Cd,
            BootPersistence::Once,
            Some(BootMode::Uefi),
        ))
        .await
        .expect("boot");
    assert_eq!(outcome.target, "UsbCd");
    assert!(
        outcome
            .notes
            .iter()
            .any(|note| note.contains("no BootSourceOverrideMode")),
        "{:?}",
        outcome.notes
    );
    assert_eq!(
        server.requests_to("PATCH", "/Systems/1")[0].body,
        Some(
            json!({"Boot": {"BootSourceOverrideTarget": "UsbCd", "BootSourceOverrideEnabled": "Once"}})
        )
    );

    let client = connect(&server, no_quirks()).await;
    let system = client.system(None).await.expect("system");
    let error = system
        .set_boot_override(&boot(BootTarget::Cd, BootPersistence::Once, None))
        .await
        .expect_err("Enabled missing");
    assert!(
        error
            .to_string()
            .contains("BootSourceOverrideEnabled is required"),
        "{error}"
    );
}

// ---------------------------------------------------------------- AMI / ASRockRack

#[tokio::test]
async fn ami_gets_the_full_boot_body() {
    let shape = vendors::ami_megarac();
    let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USER, PASSWORD)).await;
    let system_path = shape.system_path();
    server.hook(move |request, _| {
        let boot = request.body.clone().unwrap_or_default()["Boot"].clone();
        let complete = [
            "BootSourceOverrideTarget",
            "BootSourceOverrideEnabled",
            "BootSourceOverrideMode",
        ]
        .iter()
        .all(|name| boot.get(name).is_some());
        (request.method == "PATCH" && request.path == system_path && !complete).then(|| {
            Reply::redfish_error(
                400,
                "Base.1.4.PropertyMissing",
                "Target, Enabled and Mode are required together",
            )
        })
    });
    let client = connect(&server, QuirkTable::builtin()).await;
    let system = client.system(None).await.expect("system");
    assert_eq!(system.quirks().matched, vec!["ami-asrockrack"]);
    system
        .set_boot_override(&boot(BootTarget::Pxe, BootPersistence::Continuous, None))
        .await
        .expect("full body");
    assert_eq!(
        server.requests_to("PATCH", "/Systems/Self")[0].body,
        Some(
            json!({"Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Continuous", "BootSourceOverrideMode": "UEFI"}})
        )
    );
    let client = connect(&server, no_quirks()).await;
    let system = client.system(None).await.expect("system");
    let error = system
        .set_boot_override(&boot(BootTarget::Pxe, BootPersistence::Continuous, None))
        .await
        .expect_err("partial body");
    assert!(error.to_string().contains("required together"), "{error}");
}

// ---------------------------------------------------------------- generic behaviours

/// Lenovo SD530 style: no InsertMedia action, PATCH with If-Match (428 without), and the
/// image is attached only when Inserted is sent.
#[tokio::test]
async fn patch_based_virtual_media_with_if_match() {
    let shape = vendors::lenovo_sd530();
    let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USER, PASSWORD)).await;
    let slot_path = shape.media_slot_path();
    server.hook(move |request, state| {
        if request.method != "PATCH" || request.path != slot_path {
            return None;
        }
        if request.header("if-match").is_none() {
            return Some(Reply::redfish_error(
                428,
                "Base.1.8.PreconditionRequired",
                "If-Match is required",
            ));
        }
        let body = request.body.clone().unwrap_or_default();
        if body.get("Inserted").is_none() {
            // Accepted, but nothing is attached.
            if let Some(slot) = state.resources.get_mut(&request.path) {
                slot["Image"] = body["Image"].clone();
            }
            return Some(Reply::empty(204));
        }
        None
    });
    let client = connect(&server, QuirkTable::builtin()).await;
    let system = client.system(None).await.expect("system");
    let media = system
        .insert_media("http://10.0.0.1/deploy.iso")
        .await
        .expect("insert by PATCH");
    assert_eq!(media.slot.expect("slot").inserted, Some(true));
    let ejected = system.eject_media().await.expect("eject by PATCH");
    assert_eq!(ejected.ejected, vec!["EXT1"]);
    let patches = server.requests_to("PATCH", "/VirtualMedia/EXT1");
    let summary: Vec<(Option<String>, Value)> = patches
        .iter()
        .map(|request| {
            (
                request.header("if-match").map(str::to_string),
                request.body.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                Some("W/\"1\"".to_string()),
                json!({"Image": "http://10.0.0.1/deploy.iso", "Inserted": true, "WriteProtected": true})
            ),
            (
                Some("W/\"2\"".to_string()),
                json!({"Image": null, "Inserted": false})
            ),
        ]
    );
}

/// A BMC whose virtual media has no Inserted/WriteProtected fields: presence is read from
/// Image; TransferProtocolType is added when the BMC's error asks for it.
#[tokio::test]
async fn virtual_media_without_inserted_fields() {
    let mut shape = vendors::contoso();
    shape.media_reports_inserted = false;
    let server = FakeBmc::start(shape.resources(), Behaviour::bmc(USER, PASSWORD)).await;
    let insert_target = shape.insert_target();
    let eject_target = shape.eject_target();
    let slot_path = shape.media_slot_path();
    server.hook(move |request, state| {
        if request.method != "POST" {
            return None;
        }
        let body = request.body.clone().unwrap_or_default();
        if request.path == insert_target {
            if body.get("TransferProtocolType").is_none() {
                return Some(Reply::redfish_error(
                    400,
                    "Base.1.8.ActionParameterMissing",
                    "The action InsertMedia requires the parameter TransferProtocolType.",
                ));
            }
            state.resources.get_mut(&slot_path).expect("slot")["Image"] = body["Image"].clone();
            return Some(Reply::empty(204));
        }
        if request.path == eject_target {
            state.resources.get_mut(&slot_path).expect("slot")["Image"] = Value::Null;
            return Some(Reply::empty(204));
        }
        None
    });
    let client = connect(&server, QuirkTable::builtin()).await;
    let system = client.system(None).await.expect("system");
    let media = system
        .insert_media("https://10.0.0.1/deploy.iso")
        .await
        .expect("insert");
    let slot = media.slot.expect("slot");
    assert_eq!(slot.inserted, None);
    assert!(slot.has_media());
    let inserts = server.requests_to("POST", "InsertMedia");
    assert_eq!(inserts.len(), 2);
    assert_eq!(
        inserts[1].body,
        Some(json!({"Image": "https://10.0.0.1/deploy.iso", "TransferProtocolType": "HTTPS"}))
    );
    assert_eq!(
        system.eject_media().await.expect("eject").ejected,
        vec!["CD1"]
    );
    assert!(!system.media_status().await.expect("status")[0].has_media());
}
