//! The two rendering semantics, in their own module so that `render`, `layering` and
//! `substitution` can all depend on it without depending on each other.

/// Which semantics to render with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Aerostat's: copies instead of shared objects, delete by path, order-independent,
    /// YAML 1.2, conflicting control documents are errors.
    Aerostat,
    /// Deckhand's, quirks included, for sites migrating from Airship.
    Deckhand,
}

impl Mode {
    /// How YAML is read in this mode: YAML 1.2, or PyYAML's 1.1 as Deckhand read it.
    pub fn yaml_dialect(self) -> aero_yaml::Dialect {
        match self {
            Mode::Aerostat => aero_yaml::Dialect::Yaml12,
            Mode::Deckhand => aero_yaml::Dialect::PyYaml11,
        }
    }
}
