//! The two steps of the action layer itself: the design validation that opens every
//! action, and the gate that judges a deployment group by its success criteria.

use std::collections::BTreeSet;

use aero_workflow::{
    BuildError, Decision, DependencyView, Pending, Step, StepContext, StepError, StepSpec,
    StepState,
};
use async_trait::async_trait;

use crate::plan::GateParams;

/// Judges one deployment group: its nodes' outcomes against its success criteria.
///
/// It runs after every step of its nodes has ended (completion edges), counts a node as
/// succeeded when all its steps succeeded (or it was not acted on), and either fails,
/// naming the criteria not met and, for each failed node, the step that failed and why,
/// or succeeds and accepts the failures of the nodes its criteria allow.
pub struct GroupGate {
    params: GateParams,
}

impl GroupGate {
    /// The gate of `spec`.
    pub fn build(spec: &StepSpec) -> Result<Self, BuildError> {
        let params = serde_json::from_value(spec.params.clone()).map_err(|error| {
            BuildError::InvalidParams {
                step: spec.id.clone(),
                message: error.to_string(),
            }
        })?;
        Ok(GroupGate { params })
    }
}

/// A node's outcome as the gate judged it.
#[derive(Debug, PartialEq)]
struct Verdict {
    succeeded: Vec<String>,
    /// Failed nodes, each with why.
    failed: Vec<(String, String)>,
    /// Every member step that did not succeed (what the gate accepts when it passes).
    unsuccessful_steps: Vec<String>,
}

fn judge(params: &GateParams, dependencies: &[DependencyView]) -> Verdict {
    let mut verdict = Verdict {
        succeeded: Vec::new(),
        failed: Vec::new(),
        unsuccessful_steps: Vec::new(),
    };
    for member in &params.members {
        let views: Vec<&DependencyView> = member
            .steps
            .iter()
            .filter_map(|step| dependencies.iter().find(|view| &view.step == step))
            .collect();
        let unsuccessful: Vec<&&DependencyView> = views
            .iter()
            .filter(|view| view.state != StepState::Succeeded)
            .collect();
        if unsuccessful.is_empty() && views.len() == member.steps.len() {
            verdict.succeeded.push(member.node.clone());
            continue;
        }
        let cause = unsuccessful
            .iter()
            .find(|view| view.state == StepState::Failed)
            .or(unsuccessful.first())
            .map(|view| {
                format!(
                    "{} {}: {}",
                    view.step,
                    view.state,
                    view.error.as_deref().unwrap_or("no reason recorded")
                )
            })
            .unwrap_or_else(|| "its steps did not all run".to_string());
        verdict.failed.push((member.node.clone(), cause));
        verdict
            .unsuccessful_steps
            .extend(unsuccessful.iter().map(|view| view.step.clone()));
    }
    verdict
}

#[async_trait]
impl Step for GroupGate {
    type Observed = Vec<DependencyView>;
    type Op = ();

    async fn observe(&self, cx: &StepContext) -> Result<Self::Observed, StepError> {
        Ok(cx.dependencies().to_vec())
    }

    fn decide(&self, observed: &Self::Observed, _pending: Option<&Pending<()>>) -> Decision<()> {
        let verdict = judge(&self.params, observed);
        let total = self.params.members.len();
        let unmet = self.params.criteria.unmet(verdict.succeeded.len(), total);
        let failed_nodes: Vec<String> = verdict
            .failed
            .iter()
            .map(|(node, cause)| format!("{node} ({cause})"))
            .collect();
        if !unmet.is_empty() {
            let criteria: Vec<String> = unmet.iter().map(ToString::to_string).collect();
            return Decision::fail(format!(
                "group {} did not meet its success criteria ({}) with {} of {} node(s) succeeded; failed: {}",
                self.params.group,
                criteria.join("; "),
                verdict.succeeded.len(),
                total,
                if failed_nodes.is_empty() {
                    "none".to_string()
                } else {
                    failed_nodes.join("; ")
                }
            ));
        }
        let tolerated: BTreeSet<String> = verdict.unsuccessful_steps.into_iter().collect();
        Decision::done_tolerating(
            serde_json::json!({
                "group": self.params.group,
                "succeeded": verdict.succeeded,
                "failed": verdict.failed.iter().map(|(node, cause)| serde_json::json!({"node": node, "cause": cause})).collect::<Vec<_>>(),
            }),
            tolerated.into_iter().collect(),
        )
    }

    async fn act(&self, _cx: &StepContext, _op: &()) -> Result<serde_json::Value, StepError> {
        Ok(serde_json::Value::Null)
    }
}

/// Checks that this worker's render of the pinned revision is valid and is the revision
/// the action pinned: the first step of every action. A site whose documents do not
/// render fails here, with the renderer's diagnostics, before anything is touched.
pub struct ValidateDesign {
    /// This worker's render: the revision id, or the diagnostics that prevent one.
    pub rendered: Result<String, String>,
}

#[async_trait]
impl Step for ValidateDesign {
    type Observed = (Result<String, String>, String);
    type Op = ();

    async fn observe(&self, cx: &StepContext) -> Result<Self::Observed, StepError> {
        Ok((self.rendered.clone(), cx.revision_id().to_string()))
    }

    fn decide(&self, observed: &Self::Observed, _pending: Option<&Pending<()>>) -> Decision<()> {
        match observed {
            (Ok(revision), pinned) if revision == pinned => {
                Decision::done(serde_json::json!({ "revision": revision }))
            }
            (Ok(revision), pinned) => Decision::fail(format!(
                "this worker renders the pinned sources to revision {revision}, not {pinned}: it uses another key or another Aerostat version"
            )),
            (Err(diagnostics), _) => {
                Decision::fail(format!("the documents do not render: {diagnostics}"))
            }
        }
    }

    async fn act(&self, _cx: &StepContext, _op: &()) -> Result<serde_json::Value, StepError> {
        Ok(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::GateMember;
    use crate::strategy::SuccessCriteria;
    use aero_workflow::DependencyOn;

    fn view(step: &str, state: StepState, error: Option<&str>) -> DependencyView {
        DependencyView {
            step: step.to_string(),
            on: DependencyOn::Completion,
            state,
            node: None,
            group: None,
            output: None,
            error: error.map(str::to_string),
        }
    }

    fn gate(criteria: SuccessCriteria) -> GroupGate {
        GroupGate {
            params: GateParams {
                group: "workers".to_string(),
                critical: false,
                criteria,
                members: vec![
                    GateMember {
                        node: "wk01".to_string(),
                        steps: vec!["p/wk01/a".into(), "p/wk01/b".into()],
                    },
                    GateMember {
                        node: "wk02".to_string(),
                        steps: vec!["p/wk02/a".into(), "p/wk02/b".into()],
                    },
                    GateMember {
                        node: "wk03".to_string(),
                        steps: vec![],
                    },
                ],
            },
        }
    }

    fn outcomes() -> Vec<DependencyView> {
        vec![
            view("p/wk01/a", StepState::Succeeded, None),
            view("p/wk01/b", StepState::Succeeded, None),
            view(
                "p/wk02/a",
                StepState::Failed,
                Some("BMC https://10.0.0.2 unreachable"),
            ),
            view(
                "p/wk02/b",
                StepState::Skipped,
                Some("dependency `p/wk02/a` failed"),
            ),
        ]
    }

    #[test]
    fn a_group_within_its_criteria_succeeds_and_accepts_the_failed_steps() {
        let gate = gate(SuccessCriteria {
            minimum_successful_nodes: Some(2),
            ..SuccessCriteria::default()
        });
        match gate.decide(&outcomes(), None) {
            Decision::Done { output, tolerate } => {
                assert_eq!(tolerate, ["p/wk02/a", "p/wk02/b"]);
                assert_eq!(output["succeeded"], serde_json::json!(["wk01", "wk03"]));
                assert!(
                    output["failed"][0]["cause"]
                        .as_str()
                        .unwrap()
                        .contains("p/wk02/a failed: BMC https://10.0.0.2 unreachable")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_group_outside_its_criteria_fails_naming_node_step_and_cause() {
        let gate = gate(SuccessCriteria {
            percent_successful_nodes: Some(100),
            ..SuccessCriteria::default()
        });
        match gate.decide(&outcomes(), None) {
            Decision::Fail { reason } => {
                assert!(reason.contains("group workers did not meet"), "{reason}");
                assert!(
                    reason.contains("percent_successful_nodes needs 100"),
                    "{reason}"
                );
                assert!(
                    reason.contains("wk02 (p/wk02/a failed: BMC https://10.0.0.2 unreachable)"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_design_step_fails_with_the_diagnostics_or_on_another_revision() {
        let valid = ValidateDesign {
            rendered: Ok("sha256:a".into()),
        };
        assert!(matches!(
            valid.decide(&(Ok("sha256:a".into()), "sha256:a".into()), None),
            Decision::Done { .. }
        ));
        assert!(matches!(
            valid.decide(&(Ok("sha256:b".into()), "sha256:a".into()), None),
            Decision::Fail { .. }
        ));
        match valid.decide(&(Err("site.yaml:3:1: bad".into()), "sha256:a".into()), None) {
            Decision::Fail { reason } => assert!(reason.contains("site.yaml:3:1: bad")),
            other => panic!("{other:?}"),
        }
    }
}
