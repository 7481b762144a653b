//! What each `aero node` verb does: render the site through `aero-site`, read its host
//! model through `aero-baremetal`, and hand the result to [`super::output`].

use std::process::ExitCode;

use aero_baremetal::{ConfigImage, ConfigPart, HostModel, ImageTime, NodeConfig};
use aero_site::RenderedSite;

use super::args::{NodeArgs, NodeCommand};
use super::output::{NodeRow, nodes_table};
use crate::context::Context;
use crate::documents::{render_valid_site, site_model};
use crate::exit::{Failure, OrFail, output_failure};
use crate::format::{emit, write_stdout};

/// Why node verbs need a valid revision: its id keys the node's token and instance id.
const NODE_PURPOSE: &str = "node configs are made from a valid revision";

/// Runs an `aero node` verb.
pub fn run(context: &Context, args: NodeArgs) -> Result<ExitCode, Failure> {
    let repos = context.repos(&args.repos)?;
    match args.command {
        NodeCommand::Adopt { site, node, keys } => {
            // The node must exist at the site's current revision: adopting a typo would
            // silently protect nothing.
            let (_, rendered) =
                render_valid_site(context, &repos, &site, &keys.identities, NODE_PURPOSE)?;
            let model = HostModel::from_site(&rendered).or_fail()?;
            model.node(&node).or_fail()?;
            let by = std::env::var("USER").unwrap_or_else(|_| "unknown".to_string());
            crate::run_async(record_adoption(context, &site, &node, Some(by)))
        }
        NodeCommand::Release { site, node } => {
            crate::run_async(record_adoption(context, &site, &node, None))
        }
        NodeCommand::List { site, output, keys } => {
            let (_, rendered) =
                render_valid_site(context, &repos, &site, &keys.identities, NODE_PURPOSE)?;
            let model = site_model(context, &site, &rendered)?;
            let rows: Vec<NodeRow> = model.nodes().iter().map(NodeRow::of).collect();
            emit(&context.redactor, output, &rows, nodes_table).map_err(output_failure)?;
            Ok(ExitCode::SUCCESS)
        }
        NodeCommand::Config {
            site,
            node,
            part,
            show_secrets,
            keys,
        } => {
            let (_, rendered) =
                render_valid_site(context, &repos, &site, &keys.identities, NODE_PURPOSE)?;
            let config = node_config(context, &site, &rendered, &node)?;
            let parts: Vec<ConfigPart> = match part {
                Some(part) => vec![part.into()],
                None => ConfigPart::ALL.to_vec(),
            };
            let redacted = (!show_secrets).then(|| config.redacted(&context.redactor));
            let mut text = String::new();
            for part in &parts {
                let file = match &redacted {
                    Some(redacted) => redacted.part(*part),
                    None => config.part(*part),
                };
                if parts.len() > 1 {
                    // The files one after the other, each under a header (`head`'s
                    // form); with --part, the file alone, as the image holds it.
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&format!("# ==> {part} <==\n"));
                }
                text.push_str(file);
            }
            write_stdout(&text).map_err(output_failure)?;
            Ok(ExitCode::SUCCESS)
        }
        NodeCommand::Image {
            site,
            node,
            output,
            time,
            keys,
        } => {
            let (_, rendered) =
                render_valid_site(context, &repos, &site, &keys.identities, NODE_PURPOSE)?;
            let config = node_config(context, &site, &rendered, &node)?;
            let time = time.map_or(ImageTime::DEFAULT, ImageTime::from_unix_seconds);
            let image = ConfigImage::build(&config, time).or_fail()?;
            std::fs::write(&output, image.bytes()).map_err(|error| {
                Failure::operational(
                    anyhow::Error::new(error).context(format!("cannot write {}", output.display())),
                )
            })?;
            write_stdout(&format!("{}  {}\n", image.sha256(), output.display()))
                .map_err(output_failure)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Records (or, with `by` = `None`, removes) an operator's adoption of `node`.
async fn record_adoption(
    context: &Context,
    site: &str,
    node: &str,
    by: Option<String>,
) -> Result<ExitCode, Failure> {
    let store = context.open_store().await?;
    let current = store
        .fact(site, aero_deploy::observe::NODE_FACTS, node)
        .await
        .or_fail()?;
    let provisioned = current.as_ref().and_then(|fact| {
        match serde_json::from_value::<aero_deploy::NodeRecord>(fact.value.clone()) {
            Ok(aero_deploy::NodeRecord::Provisioned { revision_id, .. }) => Some(revision_id),
            _ => None,
        }
    });
    let result = match by {
        Some(_) if provisioned.is_some() => Err(Failure::usage(format!(
            "node {node} of site {site} was provisioned by Aerostat (revision {}): it is managed already; adopt is for nodes installed by other means",
            provisioned.unwrap_or_default()
        ))),
        Some(by) => {
            let record = aero_deploy::NodeRecord::Adopted { by };
            store
                .put_fact(
                    site,
                    aero_deploy::observe::NODE_FACTS,
                    node,
                    serde_json::to_value(&record).unwrap_or_default(),
                )
                .await
                .or_fail()
                .map(|()| {
                    eprintln!("aero: node {node} of site {site} is adopted: no action will power it off or provision it (`aero node release {site} {node}` to undo)");
                })
        }
        None => {
            let adopted = current.as_ref().is_some_and(|fact| {
                matches!(
                    serde_json::from_value::<aero_deploy::NodeRecord>(fact.value.clone()),
                    Ok(aero_deploy::NodeRecord::Adopted { .. })
                )
            });
            if !adopted {
                store.close().await.or_fail()?;
                return Err(Failure {
                    error: anyhow::anyhow!("node {node} of site {site} is not adopted"),
                    code: crate::exit::USAGE,
                });
            }
            store
                .delete_fact(site, aero_deploy::observe::NODE_FACTS, node)
                .await
                .or_fail()
                .map(|()| eprintln!("aero: node {node} of site {site} is no longer adopted"))
        }
    };
    store.close().await.or_fail()?;
    result.map(|()| ExitCode::SUCCESS)
}

/// A node's config at the rendered revision, as a deploy would serve it.
fn node_config(
    context: &Context,
    site: &str,
    rendered: &RenderedSite,
    node: &str,
) -> Result<NodeConfig, Failure> {
    let model = site_model(context, site, rendered)?;
    let node = model.node(node).or_fail()?;
    let revision = rendered.revision_id().unwrap_or_default();
    NodeConfig::render(&model, node, revision).or_fail()
}
