//! Workflows: which claims a verification needs. Every organization has the same six —
//! Griffin's sample corporation, individual and sole-trader workflows and its three reliance
//! workflows — defined here in code. Each organization's copy has its own id, derived from
//! the organization's, so nothing needs storing and every organization has them from its
//! first moment.

pub mod handlers;
pub mod view;

use crate::ids::{OrganizationId, WorkflowId};
use crate::legal_persons::LegalPersonType;

pub use view::WorkflowView;

#[derive(Debug)]
pub struct Workflow {
    pub key: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub legal_person_type: LegalPersonType,
    /// Claim types the subject needs, by legal person type; for corporations the
    /// `individual` entry applies to every director and person with significant control.
    pub required: &'static [(LegalPersonType, &'static [&'static str])],
    pub rules: &'static [&'static str],
}

const PERSON: &[&str] = &[
    "contact-details",
    "individual-identity",
    "individual-residence",
];

pub static WORKFLOWS: [Workflow; 6] = [
    Workflow {
        key: "corporation",
        display_name: "Sample workflow (corporations)",
        description: "A UK company with its register entry and at least one director; every director and person with significant control is identified.",
        legal_person_type: LegalPersonType::Corporation,
        required: &[
            (
                LegalPersonType::Corporation,
                &["uk-company-register", "director"],
            ),
            (LegalPersonType::Individual, PERSON),
        ],
        rules: &[],
    },
    Workflow {
        key: "individual",
        display_name: "Sample individual workflow",
        description: "A person with contact details, identity, residence and mobile number.",
        legal_person_type: LegalPersonType::Individual,
        required: &[(
            LegalPersonType::Individual,
            &[
                "contact-details",
                "individual-identity",
                "individual-residence",
                "mobile-number",
            ],
        )],
        rules: &[],
    },
    Workflow {
        key: "sole-trader",
        display_name: "Sample sole trader workflow",
        description: "As the individual workflow, with the sole trader's business.",
        legal_person_type: LegalPersonType::Individual,
        required: &[(
            LegalPersonType::Individual,
            &[
                "contact-details",
                "individual-identity",
                "individual-residence",
                "mobile-number",
                "sole-trader",
            ],
        )],
        rules: &[],
    },
    Workflow {
        key: "reliance-ltd-company",
        display_name: "Reliance: LTD company",
        description: "A UK company onboarded by you under reliance; its related people likewise.",
        legal_person_type: LegalPersonType::Corporation,
        required: &[
            (
                LegalPersonType::Corporation,
                &[
                    "uk-company-register",
                    "trading-address",
                    "reliance-verification",
                ],
            ),
            (
                LegalPersonType::Individual,
                &[
                    "individual-identity",
                    "individual-residence",
                    "reliance-verification",
                ],
            ),
        ],
        rules: &["allow-zero-directors"],
    },
    Workflow {
        key: "reliance-individual",
        display_name: "Reliance: individual",
        description: "A person onboarded by you under reliance.",
        legal_person_type: LegalPersonType::Individual,
        required: &[(
            LegalPersonType::Individual,
            &[
                "individual-identity",
                "individual-residence",
                "reliance-verification",
            ],
        )],
        rules: &[],
    },
    Workflow {
        key: "reliance-sole-trader",
        display_name: "Reliance: sole trader",
        description: "A sole trader onboarded by you under reliance.",
        legal_person_type: LegalPersonType::Individual,
        required: &[(
            LegalPersonType::Individual,
            &[
                "business-name",
                "individual-identity",
                "individual-residence",
                "reliance-verification",
            ],
        )],
        rules: &[],
    },
];

impl Workflow {
    /// Claim types the subject itself needs.
    pub fn subject_requirements(&self) -> &'static [&'static str] {
        self.requirements(self.legal_person_type)
    }

    /// Claim types each related individual (director, person with significant control)
    /// needs, for corporate workflows.
    pub fn related_requirements(&self) -> &'static [&'static str] {
        if self.legal_person_type == LegalPersonType::Corporation {
            self.requirements(LegalPersonType::Individual)
        } else {
            &[]
        }
    }

    fn requirements(&self, legal_person_type: LegalPersonType) -> &'static [&'static str] {
        self.required
            .iter()
            .find(|(kind, _)| *kind == legal_person_type)
            .map(|(_, claims)| *claims)
            .unwrap_or(&[])
    }
}

/// The id of the organization's copy of a workflow.
pub fn id_of(organization_id: &OrganizationId, key: &str) -> WorkflowId {
    WorkflowId::derived(&format!("hyperbank workflow {organization_id} {key}"))
}

/// The workflow with this id among the given organizations' workflows, with its organization.
pub fn find<'a>(
    id: &WorkflowId,
    organization_ids: &'a [OrganizationId],
) -> Option<(&'static Workflow, &'a OrganizationId)> {
    crate::organizations::find_in_catalogue(&WORKFLOWS, id, organization_ids, |organization, w| {
        id_of(organization, w.key)
    })
}
