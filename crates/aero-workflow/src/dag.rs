//! The DAG of an action: validation, and the pure scheduling rules the executor applies.
//!
//! Everything here is a function of the step specs and the current step states: which
//! steps are ready, which must be skipped (and why), which failures a gate's toleration
//! covers, and the action's final state. No I/O, no clock.

use std::collections::HashMap;

use aero_error::{Classify, ErrorClass};

use crate::spec::{ActionSpec, DependencyOn, StepSpec};
use crate::state::{ActionState, StepState};

/// A malformed action spec.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A field that must not be empty is.
    #[error("action spec: {field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// Two steps share an id.
    #[error("action spec: step id `{id}` is used twice")]
    DuplicateStep {
        /// The id.
        id: String,
    },
    /// A step waits for a step that does not exist.
    #[error("action spec: step `{step}` depends on unknown step `{dependency}`")]
    UnknownDependency {
        /// The waiting step.
        step: String,
        /// The missing step.
        dependency: String,
    },
    /// The dependencies form a cycle.
    #[error("action spec: dependency cycle {}", path.join(" -> "))]
    Cycle {
        /// The steps of one cycle, the first repeated at the end.
        path: Vec<String>,
    },
    /// `max_parallel` is zero.
    #[error("action spec: limits.max_parallel must be at least 1")]
    NoParallelism,
}

impl Classify for SpecError {
    fn class(&self) -> ErrorClass {
        ErrorClass::InvalidInput
    }
}

/// The validated dependency graph of an action's steps, by index in the spec order.
#[derive(Clone, Debug)]
pub struct Graph {
    ids: Vec<String>,
    index: HashMap<String, usize>,
    dependencies: Vec<Vec<(usize, DependencyOn)>>,
    dependants: Vec<Vec<usize>>,
    /// Every step after all of its dependencies.
    topological: Vec<usize>,
}

impl Graph {
    /// Validates the steps and builds their graph.
    pub fn new(steps: &[StepSpec]) -> Result<Graph, SpecError> {
        let mut index = HashMap::with_capacity(steps.len());
        for (position, step) in steps.iter().enumerate() {
            if step.id.is_empty() {
                return Err(SpecError::Empty { field: "step id" });
            }
            if step.kind.is_empty() {
                return Err(SpecError::Empty { field: "step kind" });
            }
            if index.insert(step.id.clone(), position).is_some() {
                return Err(SpecError::DuplicateStep {
                    id: step.id.clone(),
                });
            }
        }
        let mut dependencies = vec![Vec::new(); steps.len()];
        let mut dependants = vec![Vec::new(); steps.len()];
        for (position, step) in steps.iter().enumerate() {
            for dependency in &step.after {
                let Some(&target) = index.get(&dependency.step) else {
                    return Err(SpecError::UnknownDependency {
                        step: step.id.clone(),
                        dependency: dependency.step.clone(),
                    });
                };
                dependencies[position].push((target, dependency.on));
                dependants[target].push(position);
            }
        }
        let ids: Vec<String> = steps.iter().map(|step| step.id.clone()).collect();
        let topological = topological_order(&ids, &dependencies, &dependants)?;
        Ok(Graph {
            ids,
            index,
            dependencies,
            dependants,
            topological,
        })
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the action has no step.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of step `position`.
    pub fn id(&self, position: usize) -> &str {
        &self.ids[position]
    }

    /// The position of step `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The dependencies of step `position`.
    pub fn dependencies(&self, position: usize) -> &[(usize, DependencyOn)] {
        &self.dependencies[position]
    }

    /// `roots` and every step that depends on one of them, directly or not, in spec order.
    pub fn with_dependants(&self, roots: &[usize]) -> Vec<usize> {
        let mut marked = vec![false; self.len()];
        let mut stack: Vec<usize> = roots.to_vec();
        while let Some(position) = stack.pop() {
            if !std::mem::replace(&mut marked[position], true) {
                stack.extend(self.dependants[position].iter().copied());
            }
        }
        (0..self.len())
            .filter(|&position| marked[position])
            .collect()
    }
}

/// Validates a whole action spec: non-empty names, limits, and the step graph.
pub fn validate(spec: &ActionSpec) -> Result<Graph, SpecError> {
    if spec.kind.is_empty() {
        return Err(SpecError::Empty {
            field: "action kind",
        });
    }
    if spec.site.is_empty() {
        return Err(SpecError::Empty { field: "site" });
    }
    if spec.limits.max_parallel == 0 {
        return Err(SpecError::NoParallelism);
    }
    Graph::new(&spec.steps)
}

fn topological_order(
    ids: &[String],
    dependencies: &[Vec<(usize, DependencyOn)>],
    dependants: &[Vec<usize>],
) -> Result<Vec<usize>, SpecError> {
    let mut waiting: Vec<usize> = dependencies.iter().map(Vec::len).collect();
    let mut queue: Vec<usize> = (0..ids.len()).filter(|&p| waiting[p] == 0).collect();
    queue.reverse();
    let mut order = Vec::with_capacity(ids.len());
    while let Some(position) = queue.pop() {
        order.push(position);
        for &dependant in &dependants[position] {
            waiting[dependant] -= 1;
            if waiting[dependant] == 0 {
                queue.push(dependant);
            }
        }
    }
    if order.len() == ids.len() {
        return Ok(order);
    }
    // Some step still waits: walk its unfinished dependencies until one repeats.
    let start = (0..ids.len()).find(|&p| waiting[p] > 0).unwrap_or_default();
    let mut path = vec![start];
    let mut current = start;
    while let Some(&(next, _)) = dependencies[current]
        .iter()
        .find(|(dependency, _)| waiting[*dependency] > 0)
    {
        if let Some(seen) = path.iter().position(|&p| p == next) {
            let mut cycle: Vec<String> = path[seen..].iter().map(|&p| ids[p].clone()).collect();
            cycle.push(ids[next].clone());
            return Err(SpecError::Cycle { path: cycle });
        }
        path.push(next);
        current = next;
    }
    Err(SpecError::Cycle {
        path: vec![ids[start].clone()],
    })
}

/// What the executor does next, from the current step states.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// Pending steps that cannot run because a dependency they needed to succeed did not,
    /// with the reason; their states were set to `Skipped`.
    pub skipped: Vec<(usize, String)>,
    /// Pending steps whose dependencies are all satisfied, in spec order.
    pub ready: Vec<usize>,
}

/// Whether a pending step can start, must wait, or can never run.
enum Verdict {
    Ready,
    Blocked,
    Skip(String),
}

fn verdict(graph: &Graph, states: &[StepState], position: usize) -> Verdict {
    let mut satisfied = true;
    for &(dependency, on) in graph.dependencies(position) {
        let state = states[dependency];
        match on {
            DependencyOn::Success => match state {
                StepState::Succeeded => {}
                StepState::Failed | StepState::Skipped => {
                    let verb = if state == StepState::Failed {
                        "failed"
                    } else {
                        "was skipped"
                    };
                    return Verdict::Skip(format!("dependency `{}` {verb}", graph.id(dependency)));
                }
                _ => satisfied = false,
            },
            DependencyOn::Completion => {
                if !state.is_terminal() {
                    satisfied = false;
                }
            }
        }
    }
    if satisfied {
        Verdict::Ready
    } else {
        Verdict::Blocked
    }
}

/// Applies the scheduling rules once: skips what can never run (cascading) and lists the
/// steps that can start. `states` is updated for the skipped steps.
pub fn schedule(graph: &Graph, states: &mut [StepState]) -> Schedule {
    let mut result = Schedule::default();
    for &position in &graph.topological {
        if states[position] != StepState::Pending {
            continue;
        }
        match verdict(graph, states, position) {
            Verdict::Skip(reason) => {
                states[position] = StepState::Skipped;
                result.skipped.push((position, reason));
            }
            Verdict::Ready => result.ready.push(position),
            Verdict::Blocked => {}
        }
    }
    result.ready.sort_unstable();
    result
}

/// The same rules applied incrementally, for the executor: after the first pass, only the
/// dependants of a step that just ended are looked at again.
#[derive(Debug, Default)]
pub struct Scheduler {
    ready: std::collections::BTreeSet<usize>,
}

impl Scheduler {
    /// The first pass over every step (see [`schedule`]); returns the steps skipped.
    pub fn new(graph: &Graph, states: &mut [StepState]) -> (Scheduler, Vec<(usize, String)>) {
        let first = schedule(graph, states);
        let scheduler = Scheduler {
            ready: first.ready.into_iter().collect(),
        };
        (scheduler, first.skipped)
    }

    /// Pending steps whose dependencies are satisfied, in spec order.
    #[cfg(test)]
    pub fn ready(&self) -> Vec<usize> {
        self.ready.iter().copied().collect()
    }

    /// The same, without collecting them.
    pub fn ready_iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.ready.iter().copied()
    }

    /// Step `position` started: it is no longer ready.
    pub fn started(&mut self, position: usize) {
        self.ready.remove(&position);
    }

    /// Step `position` reached a terminal state in `states`: its pending dependants become
    /// ready or are skipped (cascading). Returns the steps skipped, with their reasons.
    pub fn ended(
        &mut self,
        graph: &Graph,
        states: &mut [StepState],
        position: usize,
    ) -> Vec<(usize, String)> {
        let mut skipped = Vec::new();
        let mut stack = vec![position];
        while let Some(ended) = stack.pop() {
            for &dependant in &graph.dependants[ended] {
                if states[dependant] != StepState::Pending || self.ready.contains(&dependant) {
                    continue;
                }
                match verdict(graph, states, dependant) {
                    Verdict::Skip(reason) => {
                        states[dependant] = StepState::Skipped;
                        skipped.push((dependant, reason));
                        stack.push(dependant);
                    }
                    Verdict::Ready => {
                        self.ready.insert(dependant);
                    }
                    Verdict::Blocked => {}
                }
            }
        }
        skipped
    }
}

/// The failures a gate's toleration of `tolerated` covers: each tolerated step that failed
/// or was skipped, and, for a skipped one, the failed or skipped dependencies that caused
/// the skip (recursively). Steps that did not fail are left out.
pub fn toleration_closure(graph: &Graph, states: &[StepState], tolerated: &[usize]) -> Vec<usize> {
    let mut marked = vec![false; graph.len()];
    let mut stack: Vec<usize> = tolerated.to_vec();
    while let Some(position) = stack.pop() {
        if !states[position].is_failure() || std::mem::replace(&mut marked[position], true) {
            continue;
        }
        if states[position] == StepState::Skipped {
            for &(dependency, on) in graph.dependencies(position) {
                if on == DependencyOn::Success && states[dependency].is_failure() {
                    stack.push(dependency);
                }
            }
        }
    }
    (0..graph.len()).filter(|&p| marked[p]).collect()
}

/// The final state of an action whose steps have all ended, or `None` while one has not.
///
/// A failure is *accepted* when the step is allowed to fail (`allow_failure`), when a gate
/// tolerated it, or (for a skipped step) when every failure that caused the skip is
/// accepted. Any failure not accepted fails the action; accepted failures make it
/// `SucceededWithFailures`.
pub fn final_state(
    graph: &Graph,
    states: &[StepState],
    allow_failure: &[bool],
    tolerated: &[bool],
) -> Option<ActionState> {
    if states.iter().any(|state| !state.is_terminal()) {
        return None;
    }
    let mut accepted = vec![false; graph.len()];
    let mut any_accepted = false;
    for &position in &graph.topological {
        let state = states[position];
        if !state.is_failure() {
            continue;
        }
        let by_cause = state == StepState::Skipped
            && graph
                .dependencies(position)
                .iter()
                .filter(|(dependency, on)| {
                    *on == DependencyOn::Success && states[*dependency].is_failure()
                })
                .all(|(dependency, _)| accepted[*dependency]);
        accepted[position] = tolerated[position]
            || (state == StepState::Failed && allow_failure[position])
            || by_cause;
        if !accepted[position] {
            return Some(ActionState::Failed);
        }
        any_accepted = true;
    }
    Some(if any_accepted {
        ActionState::SucceededWithFailures
    } else {
        ActionState::Succeeded
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Dependency;

    /// Steps from a compact description: `"b<a c~a"` is step `b` after `a` (success) and
    /// `c` after `a` (completion).
    fn steps(text: &str) -> Vec<StepSpec> {
        text.split_whitespace()
            .map(|item| {
                let mut parts = item.split(['<', '~']);
                let id = parts.next().expect("id");
                let mut step = StepSpec::new(id, "noop", id);
                let mut rest = &item[id.len()..];
                while !rest.is_empty() {
                    let on = rest.as_bytes()[0];
                    rest = &rest[1..];
                    let end = rest.find(['<', '~']).unwrap_or(rest.len());
                    let dependency = &rest[..end];
                    rest = &rest[end..];
                    step.after.push(if on == b'<' {
                        Dependency::success(dependency)
                    } else {
                        Dependency::completion(dependency)
                    });
                }
                step
            })
            .collect()
    }

    fn state(letter: char) -> StepState {
        match letter {
            'p' => StepState::Pending,
            'r' => StepState::Running,
            's' => StepState::Succeeded,
            'f' => StepState::Failed,
            'k' => StepState::Skipped,
            'c' => StepState::Cancelled,
            other => panic!("unknown state letter {other}"),
        }
    }

    /// Schedules `graph` in `states` (one letter per step) and compares the ready steps,
    /// the skipped steps and the states after.
    #[track_caller]
    fn check(graph: &str, states: &str, ready: &[&str], skipped: &[&str], after: &str) {
        let graph = Graph::new(&steps(graph)).expect("valid graph");
        let mut states: Vec<StepState> = states.chars().map(state).collect();
        let schedule = schedule(&graph, &mut states);
        let ready_ids: Vec<&str> = schedule.ready.iter().map(|&p| graph.id(p)).collect();
        let skipped_ids: Vec<&str> = schedule.skipped.iter().map(|(p, _)| graph.id(*p)).collect();
        assert_eq!(ready_ids, ready, "ready");
        assert_eq!(skipped_ids, skipped, "skipped");
        let after_states: Vec<StepState> = after.chars().map(state).collect();
        assert_eq!(states, after_states, "states after");
    }

    #[test]
    fn roots_are_ready_first() {
        check("a b<a c<b d", "pppp", &["a", "d"], &[], "pppp");
        check("a b<a c<b d", "sppp", &["b", "d"], &[], "sppp");
        check("a b<a c<a d<b<c", "ssrp", &[], &[], "ssrp");
    }

    #[test]
    fn failures_skip_success_dependants_transitively() {
        check("a b<a c<b d", "fppp", &["d"], &["b", "c"], "fkkp");
    }

    #[test]
    fn completion_edges_run_after_any_end() {
        check("a b c~a~b", "fsp", &["c"], &[], "fsp");
        check("a b<a c~b", "fpp", &["c"], &["b"], "fkp");
        check("a b c~a~b", "frp", &[], &[], "frp");
    }

    #[test]
    fn the_incremental_scheduler_follows_the_same_rules() {
        let graph = Graph::new(&steps("a b<a c~a d<b e<d f")).expect("graph");
        let mut states = vec![StepState::Pending; graph.len()];
        let (mut scheduler, skipped) = Scheduler::new(&graph, &mut states);
        assert!(skipped.is_empty());
        let ids = |positions: Vec<usize>| -> Vec<&str> {
            positions.into_iter().map(|p| graph.id(p)).collect()
        };
        assert_eq!(ids(scheduler.ready()), ["a", "f"]);
        let a = graph.position("a").expect("a");
        scheduler.started(a);
        states[a] = StepState::Failed;
        let skipped: Vec<usize> = scheduler
            .ended(&graph, &mut states, a)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(ids(skipped), ["b", "d", "e"]);
        assert_eq!(ids(scheduler.ready()), ["c", "f"]);
        let mut again = states.clone();
        assert_eq!(ids(schedule(&graph, &mut again).ready), ["c", "f"]);
    }

    #[test]
    fn invalid_graphs_are_refused() {
        let message = |text: &str| Graph::new(&steps(text)).expect_err("invalid").to_string();
        assert_eq!(
            message("a b<x"),
            "action spec: step `b` depends on unknown step `x`"
        );
        assert_eq!(message("a a"), "action spec: step id `a` is used twice");
        assert_eq!(
            message("a<c b<a c<b d"),
            "action spec: dependency cycle a -> c -> b -> a"
        );
        assert_eq!(message("a<a"), "action spec: dependency cycle a -> a");
    }

    #[test]
    fn dependants_include_transitive_ones() {
        let graph = Graph::new(&steps("a b<a c~b d e<d")).expect("graph");
        let ids: Vec<&str> = graph
            .with_dependants(&[graph.position("b").expect("b")])
            .into_iter()
            .map(|p| graph.id(p))
            .collect();
        assert_eq!(ids, ["b", "c"]);
    }

    #[track_caller]
    fn check_final(
        graph: &str,
        states: &str,
        allowed: &[&str],
        tolerated: &[&str],
    ) -> Option<ActionState> {
        let graph = Graph::new(&steps(graph)).expect("graph");
        let states: Vec<StepState> = states.chars().map(state).collect();
        let flags = |ids: &[&str]| {
            (0..graph.len())
                .map(|p| ids.contains(&graph.id(p)))
                .collect::<Vec<bool>>()
        };
        let tolerated_positions: Vec<usize> = tolerated
            .iter()
            .map(|id| graph.position(id).expect("step"))
            .collect();
        let closure = toleration_closure(&graph, &states, &tolerated_positions);
        let closure_flags: Vec<bool> = (0..graph.len()).map(|p| closure.contains(&p)).collect();
        final_state(&graph, &states, &flags(allowed), &closure_flags)
    }

    #[test]
    fn final_state_from_step_states() {
        assert_eq!(check_final("a b<a", "sr", &[], &[]), None);
        assert_eq!(
            check_final("a b<a", "ss", &[], &[]),
            Some(ActionState::Succeeded)
        );
        assert_eq!(
            check_final("a b<a", "fk", &[], &[]),
            Some(ActionState::Failed)
        );
        // A step allowed to fail, and what its failure skipped.
        assert_eq!(
            check_final("a b<a c", "fks", &["a"], &[]),
            Some(ActionState::SucceededWithFailures)
        );
        // A gate tolerating a member whose chain failed earlier.
        assert_eq!(
            check_final("m1 m2a m2b<m2a g~m1~m2b", "sfks", &[], &["m2b"]),
            Some(ActionState::SucceededWithFailures)
        );
        // Tolerating one member does not cover another's failure.
        assert_eq!(
            check_final("m1 m2 g~m1~m2", "ffs", &[], &["m2"]),
            Some(ActionState::Failed)
        );
    }
}
