//! Building the synthetic site's documents from a [`Plan`]: envelopes, labels,
//! parent selectors, actions and substitutions, each document tagged with the group
//! of files it belongs in.

use serde_json::{Map, Value, json};

use crate::data::{self, CATALOGUE_SERVICES, CATALOGUE_SUBTREES, HOST_PLACEHOLDER};
use crate::plan::{FamilyPlan, Plan};
use crate::rng::Rng;
use crate::schema;

/// Schema of the catalogue documents that substitutions read from.
pub const CATALOGUE_SCHEMA: &str = "synth/Catalogue/v1";
/// Schema of the Passphrases.
pub const PASSPHRASE_SCHEMA: &str = "deckhand/Passphrase/v1";
/// Schema of Pegleg's site definition.
pub const SITE_DEFINITION_SCHEMA: &str = "pegleg/SiteDefinition/v1";
/// Name of the synthetic site (its folder under `site/`).
pub const SITE_NAME: &str = "synth-site";
/// Its site type (its folder under `type/`).
pub const SITE_TYPE: &str = "synth-type";

/// Which files a document goes into.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// `global/layering-policy.yaml`.
    LayeringPolicy,
    /// `global/schemas/<ns>/<Kind>/<vN>.yaml`, for the DataSchema of this kind.
    Schema(String),
    /// `site/<site>/site-definition.yaml`.
    SiteDefinition,
    /// Catalogue documents of a layer, split over a few files.
    Catalogues(Layer),
    /// Application documents of a layer, split over many files.
    Software(Layer),
    /// Passphrases, under the site's `secrets/` folder.
    Secrets,
}

/// The three layers of the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// `global`.
    Global,
    /// `type`.
    Type,
    /// `site`.
    Site,
}

impl Layer {
    /// The layer's name in the layering policy.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Type => "type",
            Layer::Site => "site",
        }
    }
}

/// One generated document and the group of files it belongs in.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthDocument {
    /// Where it goes.
    pub group: Group,
    /// The whole document: `schema`, `metadata`, `data`.
    pub value: Value,
}

/// Counts describing a generated site.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// Documents in the site, all kinds counted.
    pub documents: usize,
    /// Application kinds (each has a DataSchema).
    pub kinds: usize,
    /// DataSchema documents.
    pub data_schemas: usize,
    /// Families (catalogue and application).
    pub families: usize,
    /// Concrete type documents replaced by a site document.
    pub replaced: usize,
    /// Substitutions, over all documents.
    pub substitutions: usize,
    /// Passphrase documents.
    pub passphrases: usize,
    /// Documents a render outputs: concrete, not replaced, control documents included.
    pub expected_output: usize,
    /// Real-site constructs written into the YAML ([`crate::Shape::RealSite`]).
    pub constructs: usize,
}

/// The letters naming application kind `index`: `A`..`Z`, `BA`, `BB`...
/// (schema names allow letters only).
pub fn kind_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = index;
    loop {
        letters.push(b'A' + (rest % 26) as u8);
        rest /= 26;
        if rest == 0 {
            break;
        }
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// The schema of application kind `index`.
pub fn kind_schema(index: usize) -> String {
    format!("synth/Service{}/v1", kind_letters(index))
}

fn envelope(schema: &str, metadata: Value, data: Value) -> Value {
    json!({"schema": schema, "metadata": metadata, "data": data})
}

/// What goes into a `metadata/Document/v1` block.
struct Meta<'a> {
    name: &'a str,
    layer: Layer,
    is_abstract: bool,
    labels: Option<Value>,
    parent: Option<(Value, Value)>,
    replacement: bool,
    substitutions: Option<Value>,
    encrypted: bool,
}

impl<'a> Meta<'a> {
    fn new(name: &'a str, layer: Layer) -> Self {
        Self {
            name,
            layer,
            is_abstract: false,
            labels: None,
            parent: None,
            replacement: false,
            substitutions: None,
            encrypted: false,
        }
    }

    fn build(self) -> Value {
        let mut metadata = Map::new();
        metadata.insert("schema".into(), json!("metadata/Document/v1"));
        metadata.insert("name".into(), json!(self.name));
        let policy = if self.encrypted {
            "encrypted"
        } else {
            "cleartext"
        };
        metadata.insert("storagePolicy".into(), json!(policy));
        if let Some(labels) = self.labels {
            metadata.insert("labels".into(), labels);
        }
        if self.replacement {
            metadata.insert("replacement".into(), json!(true));
        }
        let mut layering = Map::new();
        layering.insert("abstract".into(), json!(self.is_abstract));
        layering.insert("layer".into(), json!(self.layer.name()));
        if let Some((selector, actions)) = self.parent {
            layering.insert("parentSelector".into(), selector);
            layering.insert("actions".into(), actions);
        }
        metadata.insert("layeringDefinition".into(), Value::Object(layering));
        if let Some(substitutions) = self.substitutions {
            metadata.insert("substitutions".into(), substitutions);
        }
        Value::Object(metadata)
    }
}

fn control(schema: &str, name: &str, labels: Option<Value>, data: Value) -> Value {
    let mut metadata = Map::new();
    metadata.insert("schema".into(), json!("metadata/Control/v1"));
    metadata.insert("name".into(), json!(name));
    if let Some(labels) = labels {
        metadata.insert("labels".into(), labels);
    }
    envelope(schema, Value::Object(metadata), data)
}

fn data_schema(kind: &str, schema: Value) -> SynthDocument {
    SynthDocument {
        group: Group::Schema(kind.to_string()),
        value: control(
            "deckhand/DataSchema/v1",
            kind,
            Some(json!({"application": "synth"})),
            schema,
        ),
    }
}

/// The four substitutions of an application member: a Passphrase into a nested path,
/// a catalogue host into a URL through a pattern, a catalogue DNS server into a list
/// index, and a catalogue subtree.
fn member_substitutions(passphrase: &str, catalogues: &[String], rng: &mut Rng) -> Value {
    let mut catalogue = || catalogues[rng.index(catalogues.len())].clone();
    let (host_source, server_source, subtree_source) = (catalogue(), catalogue(), catalogue());
    json!([
        {
            "src": {"schema": PASSPHRASE_SCHEMA, "name": passphrase, "path": "."},
            "dest": {"path": data::PASSWORD_PATH},
        },
        {
            "src": {
                "schema": CATALOGUE_SCHEMA,
                "name": host_source,
                "path": format!(".endpoints.svc{}.host", rng.index(CATALOGUE_SERVICES)),
            },
            "dest": {"path": data::URL_PATH, "pattern": HOST_PLACEHOLDER},
        },
        {
            "src": {"schema": CATALOGUE_SCHEMA, "name": server_source, "path": ".dns.servers[0]"},
            "dest": {"path": data::DNS_SERVER_PATH},
        },
        {
            "src": {
                "schema": CATALOGUE_SCHEMA,
                "name": subtree_source,
                "path": format!(".subtrees.{}", CATALOGUE_SUBTREES[rng.index(CATALOGUE_SUBTREES.len())]),
            },
            "dest": {"path": data::CATALOGUE_SUBTREE_PATH},
        },
    ])
}

/// Hands documents to a sink and counts them while walking the plan.
struct Builder<'a> {
    rng: Rng,
    sink: &'a mut dyn FnMut(Group, Value),
    stats: SynthStats,
}

impl Builder<'_> {
    fn push(&mut self, group: Group, value: Value, output: bool) {
        if output {
            self.stats.expected_output += 1;
        }
        if let Some(count) = value["metadata"]["substitutions"].as_array().map(Vec::len) {
            self.stats.substitutions += count;
        }
        self.stats.documents += 1;
        (self.sink)(group, value);
    }

    fn catalogue_family(&mut self, index: usize, family: &FamilyPlan, names: &mut Vec<String>) {
        let family_name = format!("catalogue-{index:03}");
        let group = Group::Catalogues;
        let global_name = format!("{family_name}-global");
        let mut meta = Meta::new(&global_name, Layer::Global);
        meta.is_abstract = true;
        meta.labels = Some(json!({"family": family_name, "tier": "global"}));
        let data = data::catalogue_global(&mut self.rng);
        self.push(
            group(Layer::Global),
            envelope(CATALOGUE_SCHEMA, meta.build(), data),
            false,
        );

        let type_name = format!("{family_name}-type");
        let (actions, data) = data::catalogue_type(&mut self.rng);
        let mut meta = Meta::new(&type_name, Layer::Type);
        meta.is_abstract = true;
        meta.labels = Some(json!({"family": family_name, "tier": "type"}));
        meta.parent = Some((json!({"family": family_name, "tier": "global"}), actions));
        self.push(
            group(Layer::Type),
            envelope(CATALOGUE_SCHEMA, meta.build(), data),
            false,
        );

        for (position, member) in family.members.iter().enumerate() {
            let name = format!("{family_name}-m{position:02}");
            let (actions, data) = data::catalogue_member(&name, &mut self.rng);
            let selector = if member.replaced {
                let layering = data::replaced_catalogue_type(&mut self.rng);
                self.replaced_type(
                    CATALOGUE_SCHEMA,
                    &name,
                    &family_name,
                    layering,
                    group(Layer::Type),
                );
                json!({"member": name})
            } else {
                json!({"family": family_name, "tier": "type"})
            };
            let mut meta = Meta::new(&name, Layer::Site);
            meta.labels = Some(json!({"family": family_name, "tier": "site"}));
            meta.parent = Some((selector, actions));
            meta.replacement = member.replaced;
            self.push(
                group(Layer::Site),
                envelope(CATALOGUE_SCHEMA, meta.build(), data),
                true,
            );
            names.push(name);
        }
    }

    /// The concrete type document named `name` that a site document replaces.
    fn replaced_type(
        &mut self,
        schema: &str,
        name: &str,
        family_name: &str,
        (actions, data): (Value, Value),
        group: Group,
    ) {
        let mut meta = Meta::new(name, Layer::Type);
        meta.labels = Some(json!({"member": name}));
        meta.parent = Some((json!({"family": family_name, "tier": "global"}), actions));
        self.push(group, envelope(schema, meta.build(), data), false);
        self.stats.replaced += 1;
    }

    fn application_family(&mut self, index: usize, family: &FamilyPlan, catalogues: &[String]) {
        let letters = kind_letters(family.kind);
        let schema = kind_schema(family.kind);
        let family_name = format!("service{}-{index:04}", letters.to_ascii_lowercase());
        let group = Group::Software;

        let global_name = format!("{family_name}-global");
        let data = data::application_global(&letters, &family_name, &mut self.rng);
        let mut meta = Meta::new(&global_name, Layer::Global);
        meta.is_abstract = true;
        meta.labels = Some(json!({"family": family_name, "tier": "global"}));
        self.push(
            group(Layer::Global),
            envelope(&schema, meta.build(), data),
            false,
        );

        let type_name = format!("{family_name}-type");
        let (actions, data) = data::application_type(&letters, &mut self.rng);
        let mut meta = Meta::new(&type_name, Layer::Type);
        meta.is_abstract = true;
        meta.labels = Some(json!({"family": family_name, "tier": "type"}));
        meta.parent = Some((json!({"family": family_name, "tier": "global"}), actions));
        self.push(
            group(Layer::Type),
            envelope(&schema, meta.build(), data),
            false,
        );

        let passphrase = format!("{family_name}-db-password");
        let mut meta = Meta::new(&passphrase, Layer::Site);
        meta.encrypted = true;
        let secret = Value::String(self.rng.hex(32));
        self.push(
            Group::Secrets,
            envelope(PASSPHRASE_SCHEMA, meta.build(), secret),
            true,
        );
        self.stats.passphrases += 1;

        for (position, member) in family.members.iter().enumerate() {
            let name = format!("{family_name}-m{position:02}");
            let (actions, data) = data::application_member(&letters, &name, &mut self.rng);
            let selector = if member.replaced {
                let layering = data::replaced_type(&mut self.rng);
                self.replaced_type(&schema, &name, &family_name, layering, group(Layer::Type));
                json!({"member": name})
            } else {
                json!({"family": family_name, "tier": "type"})
            };
            let substitutions = member_substitutions(&passphrase, catalogues, &mut self.rng);
            let mut meta = Meta::new(&name, Layer::Site);
            meta.labels = Some(json!({"family": family_name, "tier": "site"}));
            meta.parent = Some((selector, actions));
            meta.replacement = member.replaced;
            meta.substitutions = Some(substitutions);
            self.push(
                group(Layer::Site),
                envelope(&schema, meta.build(), data),
                true,
            );
        }
    }
}

/// Generates every document of the site planned by `plan`, in generation order,
/// handing each to `sink` as soon as it is made (so a large site never has to be held
/// as values all at once), and returns the counts.
pub fn build(plan: &Plan, rng: Rng, sink: &mut dyn FnMut(Group, Value)) -> SynthStats {
    let mut builder = Builder {
        rng,
        sink,
        stats: SynthStats {
            kinds: plan.kinds,
            families: plan.catalogues.len() + plan.applications.len(),
            ..SynthStats::default()
        },
    };
    builder.push(
        Group::LayeringPolicy,
        control(
            "deckhand/LayeringPolicy/v1",
            "layering-policy",
            None,
            json!({"layerOrder": ["global", "type", "site"]}),
        ),
        true,
    );
    let mut schemas = vec![
        data_schema(CATALOGUE_SCHEMA, schema::catalogue_schema()),
        data_schema(SITE_DEFINITION_SCHEMA, schema::site_definition_schema()),
    ];
    schemas.extend((0..plan.kinds).map(|kind| {
        data_schema(
            &kind_schema(kind),
            schema::application_schema(&kind_letters(kind)),
        )
    }));
    for document in schemas {
        builder.stats.data_schemas += 1;
        builder.push(document.group, document.value, true);
    }
    let mut meta = Meta::new(SITE_NAME, Layer::Site);
    meta.labels = Some(json!({"name": SITE_NAME}));
    builder.push(
        Group::SiteDefinition,
        envelope(
            SITE_DEFINITION_SCHEMA,
            meta.build(),
            json!({"site_type": SITE_TYPE}),
        ),
        true,
    );

    let mut catalogue_names = Vec::new();
    for (index, family) in plan.catalogues.iter().enumerate() {
        builder.catalogue_family(index, family, &mut catalogue_names);
    }
    for (index, family) in plan.applications.iter().enumerate() {
        builder.application_family(index, family, &catalogue_names);
    }
    builder.stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_letters_count_in_base_twenty_six() {
        assert_eq!(kind_letters(0), "A");
        assert_eq!(kind_letters(25), "Z");
        assert_eq!(kind_letters(26), "BA");
        assert_eq!(kind_letters(39), "BN");
        assert!(aero_docs::document::is_valid_schema_name(&kind_schema(39)));
        assert!(aero_docs::document::is_valid_schema_name(CATALOGUE_SCHEMA));
    }

    #[test]
    fn every_application_member_has_four_substitutions() {
        let plan = Plan::new(500, &mut Rng::new(4));
        let mut documents = Vec::new();
        let stats = build(&plan, Rng::new(4), &mut |group, value| {
            documents.push(SynthDocument { group, value })
        });
        assert_eq!(documents.len(), 500);
        assert_eq!(stats.documents, 500);
        let members: Vec<&SynthDocument> = documents
            .iter()
            .filter(|document| {
                document.value["schema"]
                    .as_str()
                    .is_some_and(|schema| schema.starts_with("synth/Service"))
                    && document.value["metadata"]["layeringDefinition"]["layer"] == "site"
            })
            .collect();
        assert!(!members.is_empty());
        for member in &members {
            assert_eq!(
                member.value["metadata"]["substitutions"]
                    .as_array()
                    .map(Vec::len),
                Some(4)
            );
        }
        assert_eq!(stats.substitutions, members.len() * 4);
        assert!(stats.replaced > 0);
    }
}
