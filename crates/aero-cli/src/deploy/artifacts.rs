//! TEMPORARY until aero-artifacts lands (replaced before merge).

use std::sync::Arc;

use aero_deploy::{ArtifactHost, DeploySite};
use aero_workflow::{ActionSummary, BuildError, Store};
use async_trait::async_trait;

use crate::context::Context;

struct Pending;

#[async_trait]
impl ArtifactHost for Pending {
    async fn serve(&self, _site: &DeploySite, action: &ActionSummary) -> Result<(), BuildError> {
        Err(BuildError::Prepare {
            action: action.id.clone(),
            message: "TEMPORARY".into(),
            class: aero_error::ErrorClass::Permanent,
        })
    }
}

pub fn host(_context: &Context, _store: &Store) -> Arc<dyn ArtifactHost> {
    Arc::new(Pending)
}
