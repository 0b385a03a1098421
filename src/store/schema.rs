//! The schema, identical on both backends (see the migrations).

diesel::table! {
    organizations (id) {
        id -> Text,
        display_name -> Text,
        organization_mode -> Text,
        own_legal_person_id -> Text,
        can_decide_on_verifications -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        username -> Text,
        given_name -> Nullable<Text>,
        surname -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    memberships (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    membership_roles (membership_id, role_id) {
        membership_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        name -> Text,
        secret_hash -> Text,
        live -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        organization_id -> Text,
        event_type -> Text,
        payload -> Text,
        created_at -> BigInt,
    }
}

diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(membership_roles -> memberships (membership_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(events -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    memberships,
    membership_roles,
    api_keys,
    events,
);
