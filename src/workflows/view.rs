//! A workflow as Griffin shows it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Workflow, id_of};
use crate::ids::OrganizationId;
use crate::legal_persons::LegalPersonType;
use crate::time;
use crate::urls;

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct WorkflowView {
    pub workflow_url: String,
    pub display_name: &'static str,
    pub description: &'static str,
    pub legal_person_type: LegalPersonType,
    pub created_at: String,
    #[serde(rename = "disabled?")]
    pub disabled: bool,
    pub required_claim_types: BTreeMap<LegalPersonType, &'static [&'static str]>,
    pub workflow_rules: &'static [&'static str],
}

impl WorkflowView {
    /// `created_at`: the organization's creation, when its workflows came to be.
    pub fn new(
        workflow: &Workflow,
        organization_id: &OrganizationId,
        created_at: time::Micros,
    ) -> Self {
        WorkflowView {
            workflow_url: urls::workflow(&id_of(organization_id, workflow.key)),
            display_name: workflow.display_name,
            description: workflow.description,
            legal_person_type: workflow.legal_person_type,
            created_at: time::format(created_at),
            disabled: false,
            required_claim_types: workflow.required.iter().copied().collect(),
            workflow_rules: workflow.rules,
        }
    }
}
