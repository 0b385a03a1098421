//! Roles. Griffin's built-in roles are defined here in code (they are the same for every
//! organization and never change); each is a named set of permissions from one catalogue.
//! Their ids are derived from their names, so they are stable across installations.

pub mod custom;
pub mod handlers;
pub mod view;

use std::sync::OnceLock;

use crate::ids::{OrganizationId, RoleId};

pub use view::{PermissionTreeView, RoleView, views};

/// Everything a role can allow. Endpoints name the permission they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read anything of the organization.
    Read,
    /// Add and remove users, change their roles, manage webhooks.
    TeamManage,
    /// Create and delete API keys.
    ApiKeysManage,
    /// Create legal persons, claims and verifications.
    LegalPersonsWrite,
    /// Decide on verifications.
    DecisionsWrite,
    /// Open, change and close bank accounts.
    BankAccountsWrite,
    /// Create payments.
    PaymentsCreate,
    /// Submit one's own payments.
    PaymentsSubmit,
    /// Approve (submit or reject) other users' payments.
    PaymentsApprove,
    /// Apply, update and lift bank account restrictions.
    AccountRestrictionsWrite,
    /// Add and remove the members of pooled accounts.
    PoolMembershipWrite,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::Read,
        Permission::TeamManage,
        Permission::ApiKeysManage,
        Permission::LegalPersonsWrite,
        Permission::DecisionsWrite,
        Permission::BankAccountsWrite,
        Permission::PaymentsCreate,
        Permission::PaymentsSubmit,
        Permission::PaymentsApprove,
        Permission::AccountRestrictionsWrite,
        Permission::PoolMembershipWrite,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::TeamManage => "team:manage",
            Permission::ApiKeysManage => "api-keys:manage",
            Permission::LegalPersonsWrite => "legal-persons:write",
            Permission::DecisionsWrite => "decisions:write",
            Permission::BankAccountsWrite => "bank-accounts:write",
            Permission::PaymentsCreate => "payments:create",
            Permission::PaymentsSubmit => "payments:submit",
            Permission::PaymentsApprove => "payments:approve",
            Permission::AccountRestrictionsWrite => "account-restrictions:write",
            Permission::PoolMembershipWrite => "pool-membership:write",
        }
    }

    pub fn from_name(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What the permission allows, for people choosing roles.
    pub fn description(self) -> &'static str {
        match self {
            Permission::Read => {
                "See the organization's resources: its team, customers, accounts, payments and events."
            }
            Permission::TeamManage => {
                "Invite and remove members, change their roles and groups, manage custom roles and webhooks."
            }
            Permission::ApiKeysManage => "Create and delete API keys.",
            Permission::LegalPersonsWrite => {
                "Create and change legal persons, their claims and verifications."
            }
            Permission::DecisionsWrite => "Decide on verifications and onboarding applications.",
            Permission::BankAccountsWrite => "Open, change and close bank accounts.",
            Permission::PaymentsCreate => "Create payments and payees.",
            Permission::PaymentsSubmit => "Submit one's own payments without a second approver.",
            Permission::PaymentsApprove => {
                "Approve (submit) or reject payments created by other members."
            }
            Permission::AccountRestrictionsWrite => {
                "Apply, change and lift bank account restrictions."
            }
            Permission::PoolMembershipWrite => "Add and remove the members of pooled accounts.",
        }
    }

    /// The area of the catalogue the permission belongs to.
    pub fn area(self) -> PermissionArea {
        match self {
            Permission::Read => PermissionArea::Organization,
            Permission::TeamManage => PermissionArea::Team,
            Permission::ApiKeysManage => PermissionArea::ApiKeys,
            Permission::LegalPersonsWrite | Permission::DecisionsWrite => PermissionArea::Customers,
            Permission::BankAccountsWrite
            | Permission::AccountRestrictionsWrite
            | Permission::PoolMembershipWrite => PermissionArea::BankAccounts,
            Permission::PaymentsCreate
            | Permission::PaymentsSubmit
            | Permission::PaymentsApprove => PermissionArea::Payments,
        }
    }
}

crate::text_enum! {
    /// The areas the permission catalogue groups permissions into.
    pub enum PermissionArea {
        Organization = "organization",
        Team = "team",
        ApiKeys = "api-keys",
        Customers = "customers",
        BankAccounts = "bank-accounts",
        Payments = "payments",
    }
}

impl PermissionArea {
    pub fn display_name(self) -> &'static str {
        match self {
            PermissionArea::Organization => "Organization",
            PermissionArea::Team => "Team, roles, groups and webhooks",
            PermissionArea::ApiKeys => "API keys",
            PermissionArea::Customers => "Customers",
            PermissionArea::BankAccounts => "Bank accounts",
            PermissionArea::Payments => "Payments",
        }
    }

    /// The area's permissions, in catalogue order.
    pub fn permissions(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| p.area() == self)
    }
}

/// A built-in role.
#[derive(Debug)]
pub struct BuiltinRole {
    /// Stable key the id is derived from.
    pub key: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    pub category: RoleCategory,
    pub permissions: &'static [Permission],
}

crate::text_enum! {
    /// What a role is about; an organization's own roles are `custom`.
    pub enum RoleCategory {
        Team = "team",
        Compliance = "compliance",
        Payments = "payments",
        Custom = "custom",
    }
}

use Permission::*;

pub const TEAM_ADMIN: &str = "team-admin";
pub const COMPLIANCE: &str = "compliance";
pub const APPROVE_OWN_PAYMENTS: &str = "approve-own-payments";
pub const TEAM_MEMBER: &str = "team-member";

pub static BUILTIN_ROLES: [BuiltinRole; 7] = [
    BuiltinRole {
        key: TEAM_ADMIN,
        display_name: "Team admin",
        description: "Manages the team: invites and removes users, changes their roles, and manages API keys and webhooks.",
        category: RoleCategory::Team,
        permissions: &[Read, TeamManage, ApiKeysManage],
    },
    BuiltinRole {
        key: COMPLIANCE,
        display_name: "Compliance",
        description: "Onboards customers: creates legal persons and verifications, decides on applications, restricts bank accounts and manages pooled account members.",
        category: RoleCategory::Compliance,
        permissions: &[
            Read,
            LegalPersonsWrite,
            DecisionsWrite,
            AccountRestrictionsWrite,
            PoolMembershipWrite,
        ],
    },
    BuiltinRole {
        key: "compliance-view-only",
        display_name: "Compliance view-only",
        description: "Sees customers, verifications and decisions without changing them.",
        category: RoleCategory::Compliance,
        permissions: &[Read],
    },
    BuiltinRole {
        key: "request-payments",
        display_name: "Request payments",
        description: "Creates payments for others to approve; cannot submit them.",
        category: RoleCategory::Payments,
        permissions: &[Read, PaymentsCreate],
    },
    BuiltinRole {
        key: "approve-payments",
        display_name: "Approve payments",
        description: "Approves and submits, or rejects, payments created by other users.",
        category: RoleCategory::Payments,
        permissions: &[Read, PaymentsApprove],
    },
    BuiltinRole {
        key: APPROVE_OWN_PAYMENTS,
        display_name: "Approve own payments",
        description: "Opens and closes bank accounts, and creates and submits payments without a second approver.",
        category: RoleCategory::Payments,
        permissions: &[Read, BankAccountsWrite, PaymentsCreate, PaymentsSubmit],
    },
    BuiltinRole {
        key: TEAM_MEMBER,
        display_name: "Team member",
        description: "Sees the organization's resources and takes no actions.",
        category: RoleCategory::Team,
        permissions: &[Read],
    },
];

/// The roles a new organization's first user gets.
pub const FOUNDER_ROLES: [&str; 3] = [TEAM_ADMIN, COMPLIANCE, APPROVE_OWN_PAYMENTS];

fn builtin_ids() -> &'static [(RoleId, &'static BuiltinRole)] {
    static IDS: OnceLock<Vec<(RoleId, &'static BuiltinRole)>> = OnceLock::new();
    IDS.get_or_init(|| {
        BUILTIN_ROLES
            .iter()
            .map(|role| {
                let id = RoleId::derived(&format!("hyperbank built-in role {}", role.key));
                (id, role)
            })
            .collect()
    })
}

/// The id of the built-in role with this key.
pub fn builtin_id(key: &str) -> Option<RoleId> {
    builtin_ids()
        .iter()
        .find(|(_, role)| role.key == key)
        .map(|(id, _)| id.clone())
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PermissionSet(u16);

impl PermissionSet {
    pub fn of(permissions: &[Permission]) -> Self {
        let mut set = PermissionSet::default();
        for p in permissions {
            set.insert(*p);
        }
        set
    }

    fn bit(permission: Permission) -> u16 {
        1 << (Permission::ALL
            .iter()
            .position(|p| *p == permission)
            .unwrap_or(0) as u16)
    }

    pub fn insert(&mut self, permission: Permission) {
        self.0 |= Self::bit(permission);
    }

    pub fn union(self, other: PermissionSet) -> Self {
        PermissionSet(self.0 | other.0)
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & Self::bit(permission) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::name).collect()
    }

    /// The names of the permissions in this set that `held` lacks.
    pub fn beyond(self, held: PermissionSet) -> Vec<&'static str> {
        self.iter()
            .filter(|p| !held.contains(*p))
            .map(Permission::name)
            .collect()
    }

    /// The stored form of a custom role's permissions: names, comma-separated.
    pub fn to_stored(self) -> String {
        self.names().join(",")
    }

    /// Reads the stored form; names this build does not know are skipped.
    pub fn from_stored(text: &str) -> Self {
        let mut set = PermissionSet::default();
        for name in text.split(',') {
            if let Some(p) = Permission::from_name(name.trim()) {
                set.insert(p);
            }
        }
        set
    }
}

/// A role of either kind, resolved: what it is called and what it allows.
#[derive(Debug, Clone)]
pub struct Role {
    pub id: RoleId,
    pub display_name: String,
    pub description: String,
    pub category: RoleCategory,
    pub permissions: PermissionSet,
    /// `None` for built-in roles.
    pub organization_id: Option<OrganizationId>,
}

impl Role {
    fn from_builtin(id: &RoleId, role: &BuiltinRole) -> Self {
        Role {
            id: id.clone(),
            display_name: role.display_name.to_string(),
            description: role.description.to_string(),
            category: role.category,
            permissions: PermissionSet::of(role.permissions),
            organization_id: None,
        }
    }

    pub fn is_builtin(&self) -> bool {
        self.organization_id.is_none()
    }
}

/// Every built-in role, in catalogue order.
pub fn builtin_roles() -> Vec<Role> {
    builtin_ids()
        .iter()
        .map(|(id, role)| Role::from_builtin(id, role))
        .collect()
}

pub fn builtin_role(id: &RoleId) -> Option<Role> {
    builtin_ids()
        .iter()
        .find(|(candidate, _)| *candidate == *id)
        .map(|(id, role)| Role::from_builtin(id, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_ids_are_stable_and_distinct() {
        let ids: Vec<_> = BUILTIN_ROLES
            .iter()
            .filter_map(|r| builtin_id(r.key))
            .collect();
        assert_eq!(ids.len(), BUILTIN_ROLES.len());
        for (i, id) in ids.iter().enumerate() {
            assert!(id.as_str().starts_with("re."));
            assert_eq!(RoleId::parse(id.as_str()).as_ref(), Some(id));
            assert!(ids[i + 1..].iter().all(|other| other != id));
        }
    }

    /// The owners migration names Team admin by its id, as SQL cannot derive it.
    #[test]
    fn the_owners_migration_names_team_admin_by_its_id() {
        let team_admin = builtin_id(TEAM_ADMIN).map(|id| format!("'{id}'"));
        for migration in [
            include_str!("../../migrations/sqlite/2026-12-03-000014_owners/up.sql"),
            include_str!("../../migrations/postgres/2026-12-03-000014_owners/up.sql"),
        ] {
            assert!(team_admin.as_ref().is_some_and(|id| migration.contains(id)));
        }
    }

    #[test]
    fn permission_sets() {
        let set = PermissionSet::of(&[Permission::Read, Permission::PaymentsApprove]);
        assert!(set.contains(Permission::Read));
        assert!(!set.contains(Permission::TeamManage));
        assert_eq!(set.names(), ["read", "payments:approve"]);
        assert_eq!(PermissionSet::from_stored(&set.to_stored()), set);
        assert_eq!(PermissionSet::from_stored(""), PermissionSet::default());
    }

    #[test]
    fn permission_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_name(p.name()), Some(p));
        }
        assert_eq!(Permission::from_name("root"), None);
    }
}
