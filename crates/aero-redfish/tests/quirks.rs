//! Vendor quirks. Each fixture is written from the vendor behaviour the reference documents
//! (`redfish.md` §2 and §4: layouts from the bmc-toolbox dumps, reactions from Ironic and
//! sushy), not from the quirk table. Every test runs the same operation twice: with the
//! built-in table (it works) and with an empty table, or the built-in table without the
//! flag under test (the vendor behaviour bites), which shows that the table row, not the
//! control flow, makes the difference.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aero_redfish::boot::{BootMethod, BootMode, BootOverride, BootPersistence, BootTarget};
use aero_redfish::client::BmcClient;
use aero_redfish::error::RedfishError;
use aero_redfish::power::{PowerRequest, PowerState};
use aero_redfish::quirks::{QuirkFlags, QuirkTable};
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

/// The built-in table with `change` applied to the flags of the row `name`.
fn builtin_with(name: &str, change: impl Fn(&mut QuirkFlags)) -> QuirkTable {
    let mut rules = QuirkTable::builtin().rules().to_vec();
    let rule = rules
        .iter_mut()
        .find(|rule| rule.name == name)
        .expect("built-in row");
    change(&mut rule.flags);
    QuirkTable::new(rules)
}

/// The built-in table without the row `name`.
fn builtin_without(name: &str) -> QuirkTable {
    QuirkTable::new(
        QuirkTable::builtin()
            .rules()
            .iter()
            .filter(|rule| rule.name != name)
            .cloned()
            .collect(),
    )
}

/// The reset types the fixture received, in order.
fn resets(server: &FakeBmc) -> Vec<String> {
    server
        .requests_to("POST", "ComputerSystem.Reset")
        .iter()
        .filter_map(|request| {
            request.body.as_ref()?["ResetType"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

/// The position of the first request matching `method` and `fragment`.
fn position(server: &FakeBmc, method: &str, fragment: &str) -> usize {
    server
        .requests()
        .iter()
        .position(|request| request.method == method && request.path.contains(fragment))
        .unwrap_or_else(|| panic!("no {method} {fragment}"))
}

fn is_boot(reset_type: Option<&str>) -> bool {
    matches!(
        reset_type,
        Some("On" | "ForceOn" | "ForceRestart" | "GracefulRestart" | "PowerCycle")
    )
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

const IMPORT_ACTION: &str = "EID_674_Manager.ImportSystemConfiguration";

/// What the iDRAC fixture's Lifecycle Controller is doing.
#[derive(Default)]
struct Lifecycle {
    /// A configuration waits for the next boot of the host.
    config_pending: bool,
    /// Import requests still refused because a job is running.
    running_refusals: usize,
    /// Failed task of each import job, by job id (None: completes).
    jobs: Vec<Option<(&'static str, &'static str)>>,
}

/// iDRAC refusing the configuration import while it is busy (reference §4 step 8;
/// sushy-oem-idrac `set_virtual_boot_device` and its constants): while a configuration is
/// pending until the next boot, the import job fails with `LC068`; booting the host applies
/// the pending configuration, and while that job runs the import request itself is refused
/// with 503 `RAC0679`. The host starts powered off (Ironic powers off before setting the boot
/// device).
async fn dell_busy_fixture(running_refusals: usize) -> FakeBmc {
    let mut shape = vendors::dell_idrac9();
    shape.power_state = "Off";
    let mut behaviour = Behaviour::bmc(USER, PASSWORD);
    behaviour.sessions = None;
    let server = FakeBmc::start(shape.resources(), behaviour).await;
    let lifecycle = Arc::new(Mutex::new(Lifecycle {
        config_pending: true,
        ..Lifecycle::default()
    }));
    let reset_target = shape.reset_target();
    server.hook(move |request, _| {
        let mut lifecycle = lifecycle.lock().expect("lifecycle");
        let reset_type = request
            .body
            .as_ref()
            .and_then(|body| body["ResetType"].as_str());
        if request.method == "POST" && request.path == reset_target && is_boot(reset_type) {
            if lifecycle.config_pending {
                lifecycle.config_pending = false;
                lifecycle.running_refusals = running_refusals;
            }
            return None;
        }
        if request.method == "POST" && request.path.ends_with(IMPORT_ACTION) {
            if !lifecycle.config_pending && lifecycle.running_refusals > 0 {
                lifecycle.running_refusals -= 1;
                return Some(Reply::redfish_error(
                    503,
                    "IDRAC.2.8.RAC0679",
                    "Unable to run the import because a Lifecycle Controller job is running.",
                ));
            }
            let failure = lifecycle.config_pending.then_some((
                "IDRAC.2.8.LC068",
                "Unable to import: pending configuration changes must be applied first.",
            ));
            lifecycle.jobs.push(failure);
            let job = lifecycle.jobs.len();
            return Some(
                Reply::empty(202).header("Location", &format!("/redfish/v1/TaskService/Tasks/JID_{job}")),
            );
        }
        let job = request
            .path
            .strip_prefix("/redfish/v1/TaskService/Tasks/JID_")
            .and_then(|number| number.parse::<usize>().ok());
        if request.method == "GET"
            && let Some(job) = job
        {
            let task = match lifecycle.jobs.get(job - 1).copied().flatten() {
                Some((message_id, message)) => json!({
                    "Id": format!("JID_{job}"), "TaskState": "Exception", "TaskStatus": "Critical",
                    "Messages": [{"MessageId": message_id, "Message": message}]}),
                None => json!({
                    "Id": format!("JID_{job}"), "TaskState": "Completed", "TaskStatus": "OK",
                    "Messages": [{"MessageId": "IDRAC.2.8.SYS053",
                                  "Message": "Successfully imported and applied Server Configuration Profile."}]}),
            };
            return Some(Reply::json(200, &task));
        }
        None
    });
    server
}

#[tokio::test]
async fn dell_import_is_retried_while_idrac_is_busy_with_one_reboot() {
    // Refused 7 times while the job runs: more than the client's own retries of a 503
    // (6 attempts), so the busy retries are needed too.
    let server = dell_busy_fixture(7).await;
    let client = connect(&server, QuirkTable::builtin()).await;
    let system = client.system(None).await.expect("system");
    let outcome = system
        .set_boot_override(&boot(BootTarget::Cd, BootPersistence::Once, None))
        .await
        .expect("boot once after the busy period");
    assert!(
        matches!(outcome.method, BootMethod::DellSystemConfiguration(_)),
        "{outcome:?}"
    );
    // LC068 once, then 7 refusals (RAC0679), then accepted.
    assert_eq!(server.requests_to("POST", IMPORT_ACTION).len(), 9);
    // One reboot (the host was off: On), then off again as it was.
    assert_eq!(resets(&server), vec!["On", "ForceOff"]);
    assert!(
        position(&server, "POST", "ComputerSystem.Reset") > position(&server, "GET", "JID_1"),
        "the reboot follows the refused import"
    );
    assert_eq!(
        server.resource(&vendors::dell_idrac9().system_path())["PowerState"],
        "Off"
    );
    let notes = outcome.notes.join("\n");
    assert!(notes.contains("host rebooted once"), "{notes}");
    assert!(notes.contains("accepted at attempt 3"), "{notes}");
    assert!(notes.contains("powered off again"), "{notes}");

    // Without the busy conditions the first refusal is final, and nothing reboots.
    let server = dell_busy_fixture(7).await;
    let table = builtin_with("dell-idrac", |flags| flags.config_job_busy.clear());
    let client = connect(&server, table).await;
    let system = client.system(None).await.expect("system");
    let error = system
        .set_boot_override(&boot(BootTarget::Cd, BootPersistence::Once, None))
        .await
        .expect_err("LC068 is final without the rule");
    assert!(matches!(error, RedfishError::TaskFailed { .. }), "{error}");
    assert!(error.mentions("LC068"), "{error}");
    assert_eq!(server.requests_to("POST", IMPORT_ACTION).len(), 1);
    assert!(resets(&server).is_empty());
}

#[tokio::test]
async fn dell_import_gives_up_after_the_busy_retries() {
    // A job that never ends: 1 + 2 attempts (with the client's own 503 retries inside each).
    let server = dell_busy_fixture(usize::MAX).await;
    let mut config = support::fast_config(&server.url, USER, PASSWORD);
    config.timing.busy_retry_attempts = 2;
    config.timing.busy_retry_interval = std::time::Duration::from_millis(10);
    let client = BmcClient::connect(config).await.expect("connect");
    let system = client.system(None).await.expect("system");
    let error = system
        .set_boot_override(&boot(BootTarget::Cd, BootPersistence::Once, None))
        .await
        .expect_err("still busy");
    assert!(
        matches!(error, RedfishError::StillBusy { attempts: 3, .. }),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.contains("ImportSystemConfiguration was still refused as busy after 3 attempts"),
        "{text}"
    );
    assert!(error.mentions("RAC0679"), "{text}");
}

/// iDRAC applies a BootSourceOverrideMode change through a BIOS job at the next boot
/// (reference §4 step 7): the PATCH is accepted (200), the mode reads back unchanged until
/// the host boots and the job has run (three more reads of the system), other Boot fields
/// apply at once.
async fn dell_bios_job_fixture(job_completes: bool) -> FakeBmc {
    let mut shape = vendors::dell_idrac9();
    shape.power_state = "Off";
    shape.boot["BootSourceOverrideMode"] = json!("Legacy");
    shape.boot["BootSourceOverrideMode@Redfish.AllowableValues"] = json!(["UEFI", "Legacy"]);
    let mut behaviour = Behaviour::bmc(USER, PASSWORD);
    behaviour.sessions = None;
    let server = FakeBmc::start(shape.resources(), behaviour).await;
    let system_path = shape.system_path();
    let reset_target = shape.reset_target();
    // (staged mode, reads of the system left until the BIOS job has applied it)
    let bios_job: Arc<Mutex<(Option<Value>, Option<usize>)>> = Arc::default();
    server.hook(move |request, state| {
        let mut bios_job = bios_job.lock().expect("bios job");
        if request.method == "PATCH" && request.path == system_path {
            let mut body = request.body.clone().unwrap_or_default();
            let mode = body["Boot"]
                .as_object_mut()
                .and_then(|boot| boot.remove("BootSourceOverrideMode"))?;
            bios_job.0 = Some(mode);
            if let Some(system) = state.resources.get_mut(&system_path) {
                support::fake_bmc::deep_merge(system, &body);
            }
            return Some(Reply::json(
                200,
                &json!({"@Message.ExtendedInfo": [{"MessageId": "Base.1.8.Success",
                    "Message": "Successfully Completed Request"}]}),
            ));
        }
        let reset_type = request
            .body
            .as_ref()
            .and_then(|body| body["ResetType"].as_str());
        if request.method == "POST"
            && request.path == reset_target
            && is_boot(reset_type)
            && bios_job.0.is_some()
            && job_completes
        {
            bios_job.1 = Some(3);
            return None;
        }
        if request.method == "GET"
            && request.path == system_path
            && let Some(reads_left) = bios_job.1
        {
            if reads_left == 0 {
                let mode = bios_job.0.take().expect("staged mode");
                bios_job.1 = None;
                if let Some(system) = state.resources.get_mut(&system_path) {
                    system["Boot"]["BootSourceOverrideMode"] = mode;
                }
            } else {
                bios_job.1 = Some(reads_left - 1);
            }
        }
        if request.method == "POST" && request.path.ends_with(IMPORT_ACTION) {
            return Some(
                Reply::empty(202).header("Location", "/redfish/v1/TaskService/Tasks/JID_9"),
            );
        }
        if request.method == "GET" && request.path.ends_with("/JID_9") {
            return Some(Reply::json(
                200,
                &json!({"Id": "JID_9", "TaskState": "Completed", "TaskStatus": "OK"}),
            ));
        }
        None
    });
    server
}

#[tokio::test]
async fn dell_boot_mode_change_reboots_and_waits_for_the_bios_job() {
    let server = dell_bios_job_fixture(true).await;
    let system_path = vendors::dell_idrac9().system_path();
    let client = connect(&server, QuirkTable::builtin()).await;
    let system = client.system(None).await.expect("system");
    let outcome = system
        .set_boot_override(&boot(
            BootTarget::Cd,
            BootPersistence::Once,
            Some(BootMode::Uefi),
        ))
        .await
        .expect("mode, then boot once");
    assert_eq!(outcome.mode.as_deref(), Some("UEFI"));
    assert!(
        matches!(outcome.method, BootMethod::DellSystemConfiguration(_)),
        "{outcome:?}"
    );
    assert!(
        outcome.notes[0].contains("boot mode UEFI applies at boot on this BMC: host rebooted"),
        "{:?}",
        outcome.notes
    );
    let resource = server.resource(&system_path);
    assert_eq!(resource["Boot"]["BootSourceOverrideMode"], "UEFI");
    assert_eq!(resource["PowerState"], "Off");
    // The mode alone, then a reboot (the host was off: On) and off again, and only then the
    // one-time boot device, which the reboot would otherwise have consumed.
    let patches = server.requests_to("PATCH", &system_path);
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0].body,
        Some(json!({"Boot": {"BootSourceOverrideMode": "UEFI"}}))
    );
    assert_eq!(resets(&server), vec!["On", "ForceOff"]);
    let last_reset = server
        .requests()
        .iter()
        .rposition(|request| request.path.contains("ComputerSystem.Reset"))
        .expect("reset");
    assert!(position(&server, "POST", IMPORT_ACTION) > last_reset);

    // Without the flag the mode goes out with the rest and is reported as set, but iDRAC
    // still boots Legacy: nothing rebooted to run the BIOS job.
    let server = dell_bios_job_fixture(true).await;
    let table = builtin_with("dell-idrac", |flags| {
        flags.boot_mode_applies_at_reboot = Some(false)
    });
    let client = connect(&server, table).await;
    let system = client.system(None).await.expect("system");
    let outcome = system
        .set_boot_override(&boot(
            BootTarget::Pxe,
            BootPersistence::Continuous,
            Some(BootMode::Uefi),
        ))
        .await
        .expect("accepted");
    assert_eq!(outcome.mode.as_deref(), Some("UEFI"));
    assert!(resets(&server).is_empty());
    let resource = server.resource(&system_path);
    assert_eq!(resource["Boot"]["BootSourceOverrideMode"], "Legacy");
    assert_eq!(resource["Boot"]["BootSourceOverrideTarget"], "Pxe");
}

#[tokio::test]
async fn dell_boot_mode_that_never_applies_times_out() {
    // The BIOS job never completes: boots do not apply the staged mode.
    let server = dell_bios_job_fixture(false).await;
    let mut config = support::fast_config(&server.url, USER, PASSWORD);
    config.timing.boot_mode_apply_timeout = std::time::Duration::from_millis(500);
    let client = BmcClient::connect(config).await.expect("connect");
    let system = client.system(None).await.expect("system");
    let error = system
        .set_boot_override(&boot(
            BootTarget::Cd,
            BootPersistence::Once,
            Some(BootMode::Uefi),
        ))
        .await
        .expect_err("the mode never reads back");
    let text = error.to_string();
    assert!(
        text.contains("Boot/BootSourceOverrideMode did not become UEFI within"),
        "{text}"
    );
    assert!(text.contains("last seen: Legacy"), "{text}");
    assert!(server.requests_to("POST", IMPORT_ACTION).is_empty());
}

#[tokio::test]
async fn idrac10_inserts_virtual_media_into_slot_1_only() {
    // iDRAC 10 lists Systems/System.Embedded.1/VirtualMedia/2 before /1; both take the
    // image, but the host boots only from slot 1 (Remote File Share 1).
    let shape = vendors::dell_idrac10();
    let mut behaviour = Behaviour::bmc(USER, PASSWORD);
    behaviour.sessions = None;
    let image = "http://10.0.0.1/deploy.iso";
    for (table, matched, expected_slot) in [
        (
            QuirkTable::builtin(),
            vec!["dell-idrac", "dell-idrac10"],
            "1",
        ),
        (builtin_without("dell-idrac10"), vec!["dell-idrac"], "2"),
    ] {
        let server = FakeBmc::start(shape.resources_with_slot_first("2"), behaviour.clone()).await;
        let client = connect(&server, table).await;
        let system = client.system(None).await.expect("system");
        // The iDRAC 10 row matches on the firmware version the manager reports.
        assert_eq!(system.quirks().matched, matched);
        let media = system.insert_media(image).await.expect("insert");
        let slot = media.slot.expect("slot");
        assert_eq!(slot.id, expected_slot);
        let inserts = server.requests_to("POST", "VirtualMedia.InsertMedia");
        assert_eq!(inserts.len(), 1);
        assert_eq!(
            inserts[0].path,
            format!(
                "/redfish/v1/Systems/System.Embedded.1/VirtualMedia/{expected_slot}/Actions/VirtualMedia.InsertMedia"
            )
        );
        let inventory = system.inventory().await.expect("inventory");
        assert_eq!(inventory.cd_slot.as_deref(), Some(expected_slot));
    }
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
