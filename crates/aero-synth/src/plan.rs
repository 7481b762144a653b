//! The shape of a synthetic site: how many kinds, families and members a document
//! budget buys, decided before any document is written.
//!
//! Every site has a fixed part (the layering policy, the site definition and one
//! DataSchema per kind) and families. A family is an abstract global document, an
//! abstract type document and its members; an application family also owns one
//! Passphrase. A member is one concrete site document, or, for one member in four, a
//! concrete type document plus the site document that replaces it. The plan always
//! spends the budget exactly, so the site has precisely the requested number of
//! documents (or [`minimum_documents`] when fewer are asked for).

use crate::rng::Rng;

/// Members a family starts with, at most (fewer when the budget runs out).
const MAX_MEMBERS: u64 = 24;
/// Members a family starts with, at least.
const MIN_MEMBERS: u64 = 8;
/// Documents per application kind: more documents means more kinds, up to [`MAX_KINDS`].
const DOCUMENTS_PER_KIND: usize = 250;
/// At least this many application kinds.
const MIN_KINDS: usize = 2;
/// At most this many application kinds.
const MAX_KINDS: usize = 40;
/// Share of the budget, in percent, spent on catalogue families.
const CATALOGUE_PERCENT: usize = 3;
/// Documents of a catalogue family besides its members: global and type parents.
const CATALOGUE_OVERHEAD: usize = 2;
/// Documents of an application family besides its members: parents and a Passphrase.
const APPLICATION_OVERHEAD: usize = 3;

/// One member of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberPlan {
    /// Whether the member is a concrete type document replaced by a site document
    /// (two documents) rather than one concrete site document.
    pub replaced: bool,
}

impl MemberPlan {
    fn cost(self) -> usize {
        if self.replaced { 2 } else { 1 }
    }
}

/// One family: documents of one kind sharing their global and type parents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FamilyPlan {
    /// Index of the application kind (unused for catalogue families).
    pub kind: usize,
    /// The members, in order.
    pub members: Vec<MemberPlan>,
}

/// The whole site's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Number of application kinds (each with a DataSchema).
    pub kinds: usize,
    /// Families of catalogue documents (substitution sources).
    pub catalogues: Vec<FamilyPlan>,
    /// Families of application documents.
    pub applications: Vec<FamilyPlan>,
}

/// Number of application kinds for a budget of `documents`.
pub fn kind_count(documents: usize) -> usize {
    (documents / DOCUMENTS_PER_KIND).clamp(MIN_KINDS, MAX_KINDS)
}

/// Documents outside families: layering policy, site definition, and DataSchemas for
/// the application kinds, the catalogue kind and the site definition kind.
pub fn fixed_documents(kinds: usize) -> usize {
    2 + kinds + 2
}

/// The smallest site the generator makes: the fixed part, one catalogue family and
/// one application family with one member each.
pub fn minimum_documents() -> usize {
    fixed_documents(MIN_KINDS) + CATALOGUE_OVERHEAD + 1 + APPLICATION_OVERHEAD + 1
}

impl Plan {
    /// Plans a site of `documents` documents (at least [`minimum_documents`]).
    pub fn new(documents: usize, rng: &mut Rng) -> Self {
        Plan::with_kinds(documents, kind_count(documents), rng)
    }

    /// Plans a site of `documents` documents (at least [`minimum_documents`]) with `kinds`
    /// application kinds, fewer when the documents cannot hold that many DataSchemas.
    pub fn with_kinds(documents: usize, kinds: usize, rng: &mut Rng) -> Self {
        let documents = documents.max(minimum_documents());
        let room =
            documents - fixed_documents(0) - (CATALOGUE_OVERHEAD + 1) - (APPLICATION_OVERHEAD + 1);
        let kinds = kinds.min(room).max(MIN_KINDS);
        let mut budget = documents - fixed_documents(kinds);
        let application_minimum = APPLICATION_OVERHEAD + 1;
        let catalogue_budget = (documents * CATALOGUE_PERCENT / 100)
            .max(CATALOGUE_OVERHEAD + 1)
            .min(budget - application_minimum);
        budget -= catalogue_budget;
        let catalogues = fill(catalogue_budget, CATALOGUE_OVERHEAD, 1, rng);
        let applications = fill(budget, APPLICATION_OVERHEAD, kinds, rng);
        Self {
            kinds,
            catalogues,
            applications,
        }
    }

    /// Total documents the plan produces.
    pub fn document_count(&self) -> usize {
        let family_cost = |families: &[FamilyPlan], overhead: usize| -> usize {
            families
                .iter()
                .map(|family| overhead + family.members.iter().map(|m| m.cost()).sum::<usize>())
                .sum()
        };
        fixed_documents(self.kinds)
            + family_cost(&self.catalogues, CATALOGUE_OVERHEAD)
            + family_cost(&self.applications, APPLICATION_OVERHEAD)
    }
}

/// Spends exactly `budget` documents on families of `overhead` documents plus members;
/// kinds are assigned round-robin. `budget` must be at least `overhead + 1`.
fn fill(mut budget: usize, overhead: usize, kinds: usize, rng: &mut Rng) -> Vec<FamilyPlan> {
    let mut families: Vec<FamilyPlan> = Vec::new();
    while budget > overhead {
        budget -= overhead;
        let wanted = rng.range(MIN_MEMBERS, MAX_MEMBERS) as usize;
        let offset = rng.index(4);
        let mut members = Vec::new();
        for position in 0..wanted {
            if budget == 0 {
                break;
            }
            let member = MemberPlan {
                replaced: (position + offset) % 4 == 3 && budget >= 2,
            };
            budget -= member.cost();
            members.push(member);
        }
        families.push(FamilyPlan {
            kind: families.len() % kinds.max(1),
            members,
        });
    }
    // What is left is too little for another family: plain members of the last one.
    if let Some(last) = families.last_mut() {
        last.members
            .extend((0..budget).map(|_| MemberPlan { replaced: false }));
    }
    families
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_spend_the_budget_exactly() {
        for documents in [
            minimum_documents(),
            minimum_documents() + 1,
            minimum_documents() + 2,
            50,
            101,
            999,
            1000,
            10_000,
            50_000,
        ] {
            for seed in 0..5 {
                let plan = Plan::new(documents, &mut Rng::new(seed));
                assert_eq!(plan.document_count(), documents, "{documents} seed {seed}");
                assert!(!plan.catalogues.is_empty());
                assert!(!plan.applications.is_empty());
                assert!(
                    plan.applications
                        .iter()
                        .chain(&plan.catalogues)
                        .all(|family| !family.members.is_empty())
                );
            }
        }
    }

    #[test]
    fn tiny_budgets_get_the_minimum_site() {
        let plan = Plan::new(0, &mut Rng::new(1));
        assert_eq!(plan.document_count(), minimum_documents());
    }

    #[test]
    fn about_one_member_in_four_is_replaced() {
        let plan = Plan::new(10_000, &mut Rng::new(3));
        let members: Vec<&MemberPlan> = plan
            .applications
            .iter()
            .flat_map(|family| &family.members)
            .collect();
        let replaced = members.iter().filter(|member| member.replaced).count();
        let share = replaced as f64 / members.len() as f64;
        assert!((0.2..=0.3).contains(&share), "replaced share {share}");
        assert_eq!(plan.kinds, 40);
        assert_eq!(kind_count(1000), 4);
    }
}
